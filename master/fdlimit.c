/* fdlimit.c - owns the master's own RLIMIT_NOFILE (see fdlimit.h): the
 * reachable maximum, the raise, and the original limits kept for the
 * workers. Process-wide state, like the limit itself; nothing is fatal
 * here (a failed raise is reported to the caller). */
#include "fdlimit.h"

#include <errno.h>
#include <stdio.h>
#include <sys/capability.h>

#define FDLIMIT_NR_OPEN_PATH "/proc/sys/fs/nr_open"

static struct rlimit fdlimit_orig;
static bool fdlimit_saved;

/* CAP_SYS_RESOURCE in the effective set: the hard limit may go up. */
static bool fdlimit_may_raise_hard(void)
{
	cap_t caps = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;

	if (caps == NULL)
		return false;
	if (cap_get_flag(caps, CAP_SYS_RESOURCE, CAP_EFFECTIVE, &v) < 0)
		v = CAP_CLEAR;
	cap_free(caps);
	return v == CAP_SET;
}

static int fdlimit_nr_open(unsigned long long *out)
{
	FILE *f = fopen(FDLIMIT_NR_OPEN_PATH, "re");
	int ok;

	if (f == NULL)
		return -1;
	ok = fscanf(f, "%llu", out) == 1;
	fclose(f);
	if (!ok) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int fdlimit_max(unsigned long long *max, const char **source)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if (fdlimit_may_raise_hard() && fdlimit_nr_open(max) == 0 && *max >= rl.rlim_max) {
		*source = "fs.nr_open";
		return 0;
	}
	*max = rl.rlim_max;
	*source = "hard RLIMIT_NOFILE";
	return 0;
}

int fdlimit_raise(unsigned long long want)
{
	struct rlimit rl, to;
	unsigned long long max;
	const char *source;
	int partial = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || fdlimit_max(&max, &source) < 0)
		return -1;
	if (!fdlimit_saved) {
		fdlimit_orig = rl;
		fdlimit_saved = true;
	}
	if (want > max) {
		want = max;
		partial = 1;
	}
	to = rl;
	if (to.rlim_cur < want)
		to.rlim_cur = want;
	if (to.rlim_max < want)
		to.rlim_max = want;
	if (to.rlim_cur == rl.rlim_cur && to.rlim_max == rl.rlim_max)
		return partial;
	return setrlimit(RLIMIT_NOFILE, &to) < 0 ? -1 : partial;
}

bool fdlimit_original(struct rlimit *orig)
{
	struct rlimit rl;

	if (!fdlimit_saved || getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return false;
	*orig = fdlimit_orig;
	return rl.rlim_cur != fdlimit_orig.rlim_cur || rl.rlim_max != fdlimit_orig.rlim_max;
}

void fdlimit_format(char *buf, size_t size)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		snprintf(buf, size, "?");
	else
		snprintf(buf, size, "%llu:%llu", (unsigned long long)rl.rlim_cur,
			 (unsigned long long)rl.rlim_max);
}
