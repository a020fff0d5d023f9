/* test_config_oom.c - allocation failure in config_load() is an error of
 * the load, never an abort: a reload then keeps the old configuration.
 *
 * This binary replaces malloc, calloc, realloc and free (ELF symbol
 * interposition, no LD_PRELOAD: every allocation of the process comes
 * here, libc's own inside asprintf/getdelim/getaddrinfo and libconfuse's
 * included) with a counting front end over the real allocator (the next
 * one in the lookup order: libc's, or ASan's in a sanitizer build). A
 * load that touches every part of the configuration code is run once to
 * count its N allocations; then for every k in 1..N the k-th allocation
 * fails (and, in a second pass, every one from the k-th on). Each load
 * must return -1 with an "out of memory" error (or an error that libc
 * reported for its own failed allocation), a zeroed result, and nothing
 * leaked; or, where libc absorbed the failure itself, succeed with the
 * same configuration. The libconfuse reader process (settings_reader.c),
 * a copy of this one, inherits the count: its allocations fail too (and
 * a sweep of its own fails each of them alone), and its death must be an
 * error of the load. */
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"

/* --- the counting allocator ------------------------------------------- */

#define OOM_BOOT_BYTES 65536 /* dlsym() may allocate before we know malloc */
#define OOM_READER_PAST 20     /* loads in a row that succeed: past the end */
#define OOM_READER_MAX 2000    /* the reader makes a few hundred */

/* Under ASan, strdup, asprintf and the like allocate through ASan's own
 * allocator, not through the malloc symbol: fewer allocations fail here,
 * and frees outnumber what is counted, so the leak count is left to
 * LeakSanitizer (while ASan watches every failure path for misuse). */
#ifdef __SANITIZE_ADDRESS__
#define OOM_COUNT_LEAKS 0
#else
#define OOM_COUNT_LEAKS 1
#endif

static void *(*oom_real_malloc)(size_t);
static void *(*oom_real_calloc)(size_t, size_t);
static void *(*oom_real_realloc)(void *, size_t);
static void (*oom_real_free)(void *);
static _Alignas(16) char oom_boot[OOM_BOOT_BYTES];
static size_t oom_boot_used;
static bool oom_resolving;

static bool oom_armed;          /* count (and maybe fail) allocations */
static uint64_t oom_calls;      /* allocations since armed */
static uint64_t oom_fail_at;    /* 0: never; else the first that fails */
static bool oom_fail_after;     /* every allocation from oom_fail_at on */
static int64_t oom_live;        /* successful allocations minus frees, always */
static pid_t oom_not_pid;       /* if set: only other processes (the reader) count */

static void oom_resolve(void)
{
	if (oom_real_malloc != NULL || oom_resolving)
		return;
	oom_resolving = true;
	oom_real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	oom_real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	oom_real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	oom_real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	oom_resolving = false;
}

static bool oom_is_boot(const void *p)
{
	return (const char *)p >= oom_boot && (const char *)p < oom_boot + sizeof(oom_boot);
}

static void *oom_boot_alloc(size_t n)
{
	size_t at = (oom_boot_used + 15) & ~(size_t)15;

	if (at + n > sizeof(oom_boot))
		return NULL;
	oom_boot_used = at + n;
	return oom_boot + at;
}

/* Whether this allocation fails (with errno ENOMEM, as malloc's do). */
static bool oom_fail_now(void)
{
	if (!oom_armed || (oom_not_pid != 0 && getpid() == oom_not_pid))
		return false;
	oom_calls++;
	if (oom_fail_at == 0 ||
	    !(oom_calls == oom_fail_at || (oom_fail_after && oom_calls > oom_fail_at)))
		return false;
	errno = ENOMEM;
	return true;
}

void *malloc(size_t n)
{
	oom_resolve();
	if (oom_real_malloc == NULL)
		return oom_boot_alloc(n);
	if (oom_fail_now())
		return NULL;
	void *p = oom_real_malloc(n);
	if (p != NULL)
		oom_live++;
	return p;
}

void *calloc(size_t n, size_t size)
{
	oom_resolve();
	if (oom_real_calloc == NULL)
		return oom_boot_alloc(n * size); /* static: already zero */
	if (oom_fail_now())
		return NULL;
	void *p = oom_real_calloc(n, size);
	if (p != NULL)
		oom_live++;
	return p;
}

void *realloc(void *old, size_t n)
{
	oom_resolve();
	if (oom_is_boot(old)) { /* never freed; copied out once */
		void *p = malloc(n);
		if (p != NULL)
			memcpy(p, old, n < OOM_BOOT_BYTES ? n : OOM_BOOT_BYTES);
		return p;
	}
	if (oom_fail_now())
		return NULL;
	void *p = oom_real_realloc(old, n);
	if (p != NULL && old == NULL)
		oom_live++;
	else if (p == NULL && old != NULL && n == 0)
		oom_live--;
	return p;
}

void free(void *p)
{
	if (p == NULL || oom_is_boot(p))
		return;
	oom_resolve();
	oom_live--;
	oom_real_free(p);
}

/* --- the configuration --------------------------------------------------- */

static char confdir[64], daemondir[64];
static char *const overrides[] = { "max_use=7", "admin_group=root", NULL };

static void oom_setup(void)
{
	char *conf = NULL, *cf = NULL;

	strcpy(confdir, "/tmp/test_config_oom.XXXXXX");
	strcpy(daemondir, "/tmp/test_config_oom_bin.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(confdir));
	ck_assert_ptr_nonnull(mkdtemp(daemondir));
	unit_put(daemondir, "echo", "#!/bin/sh\nexit 0\n", 0755);
	ck_assert_int_ge(asprintf(&conf,
		"run_directory = /run/mt\n"
		"daemon_directory = \"%s\"\n"
		"# a comment\n"
		"pid_file = other.pid\n"
		"import_environment = \"TZ, LANG FOO=bar\"\n"
		"max_idle = 2m\n", daemondir), 0);
	unit_put(confdir, "master.conf", conf, 0644);
	/* Every resolution path: inet (numeric, IPv6, a host name, port
	 * only), unix private and public, users and groups, capabilities,
	 * the maxproc column, braced and glued -o, continuation lines. */
	ck_assert_int_ge(asprintf(&cf,
		"# service type private unpriv chroot wakeup maxproc command\n"
		"127.0.0.1:7070 inet n y n - 4 echo -o max_use=100 -o { max_idle = 30s }\n"
		"[::1]:0        inet n y n - - echo\n"
		"localhost:7071 inet n n n - - echo -ocapabilities=cap_net_bind_service\n"
		"0              inet n - n - - echo arg1 arg2\n"
		"relay          unix y y n - 8 %s/echo -o user=nobody\n"
		"   -o group=nogroup -o prefork=2\n"
		"pub            unix n n n - - echo { an argument }\n",
		daemondir), 0);
	unit_put(confdir, "master.cf", cf, 0644);
	free(conf);
	free(cf);
}

static void oom_teardown(void)
{
	unit_rm_tree(confdir);
	unit_rm_tree(daemondir);
}

/* The parts of a loaded configuration that a lost allocation could spoil. */
static void oom_summary(const struct config *cfg, char *buf, size_t size)
{
	size_t len = 0;

	len += (size_t)snprintf(buf + len, size - len, "%s %u %d %u|", cfg->master.pid_file,
				cfg->master.reload_timeout_s, cfg->admin.found,
				(unsigned)cfg->admin.gid);
	for (size_t i = 0; i < cfg->nservices && len < size; i++) {
		const struct service_config *s = &cfg->services[i];
		len += (size_t)snprintf(buf + len, size - len, "%s %s %zu %u %u %zu %s;", s->name,
					s->path, s->naddrs, s->set.max_use, s->set.max_idle_s,
					s->ngroups, s->argv[1] ? s->argv[1] : "-");
	}
}

static bool oom_mentioned(const struct diag *d)
{
	if (d->lost > 0)
		return true;
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->msgs[i], "out of memory") || strstr(d->msgs[i], "Cannot allocate memory") ||
		    strstr(d->msgs[i], "Memory allocation failure"))
			return true;
	return false;
}

/* libc's name services turn a failed allocation of their own into "not
 * found" at times: still an error of the load, in libc's words. */
static bool oom_libc_lookup(const struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->msgs[i], "cannot resolve") || strstr(d->msgs[i], "unknown user") ||
		    strstr(d->msgs[i], "unknown group") || strstr(d->msgs[i], "cannot look up"))
			return true;
	return false;
}

/* One load with allocation number fail_at failing (0: none). Returns its
 * result; *allocs gets how many allocations it made. */
static int oom_load(uint64_t fail_at, bool after, struct config *cfg, struct diag *errs,
		    uint64_t *allocs)
{
	memset(errs, 0, sizeof(*errs));
	oom_calls = 0;
	oom_fail_at = fail_at;
	oom_fail_after = after;
	oom_armed = true;
	int rc = config_load(confdir, overrides, cfg, errs);
	oom_armed = false;
	*allocs = oom_calls;
	return rc;
}

static void oom_sweep(bool after)
{
	static const struct config zero;
	struct config cfg;
	struct diag errs;
	char want[4096], got[4096];
	uint64_t n, allocs;
	unsigned absorbed = 0, lookups = 0;

	oom_setup();
	/* Twice: the first load fills libc's lazy state (NSS modules, the
	 * resolver), which is not a leak of ours. */
	for (int i = 0; i < 2; i++) {
		ck_assert_msg(oom_load(0, false, &cfg, &errs, &n) == 0, "reference load: %s",
			      errs.n ? errs.msgs[0] : "?");
		oom_summary(&cfg, want, sizeof(want));
		config_free(&cfg);
		diag_free(&errs);
	}
	ck_assert_uint_gt(n, 50);
	for (uint64_t k = 1; k <= n; k++) {
		/* Twice: a failure inside libc may make it set up state of its
		 * own (the DNS resolver after the hosts file failed), kept for
		 * the process's life; what the second run keeps is ours. */
		for (int run = 0; run < 2; run++) {
			int64_t live = oom_live;
			int rc = oom_load(k, after, &cfg, &errs, &allocs);
			if (rc == 0) {
				/* libc retried or did without: the same result. */
				oom_summary(&cfg, got, sizeof(got));
				ck_assert_msg(strcmp(got, want) == 0, "allocation %lu failed and the "
					      "load succeeded with another configuration:\n%s\n%s",
					      (unsigned long)k, got, want);
				absorbed += run == 0;
			} else {
				ck_assert_int_eq(rc, -1);
				ck_assert_msg(memcmp(&cfg, &zero, sizeof(cfg)) == 0,
					      "allocation %lu: a failed load left a configuration",
					      (unsigned long)k);
				ck_assert_msg(oom_mentioned(&errs) || oom_libc_lookup(&errs),
					      "allocation %lu failed, the load failed, but no error "
					      "says out of memory: %s", (unsigned long)k,
					      errs.n ? errs.msgs[0] : "(none)");
				lookups += run == 0 && !oom_mentioned(&errs);
			}
			config_free(&cfg);
			diag_free(&errs);
			ck_assert_msg(run == 0 || !OOM_COUNT_LEAKS || oom_live == live,
				      "allocation %lu failed: %ld "
				      "allocation%s leaked", (unsigned long)k, (long)(oom_live - live),
				      oom_live - live == 1 ? "" : "s");
		}
	}
	printf("config_load: %lu allocations, each failed in turn%s: %lu load%s failed "
	       "cleanly (%u of them with libc's lookup error rather than \"out of memory\"), "
	       "%u absorbed by libc\n", (unsigned long)n, after ? " (with every later one)" : "",
	       (unsigned long)(n - absorbed), n - absorbed == 1 ? "" : "s", lookups, absorbed);
	oom_teardown();
}

START_TEST(test_each_allocation_fails_once)
{
	oom_sweep(false);
}
END_TEST

START_TEST(test_every_allocation_from_k_fails)
{
	oom_sweep(true);
}
END_TEST

/* The libconfuse reader's k-th allocation fails, for every k: libconfuse
 * exits, asserts, crashes or reports an error, and the load fails with an
 * error saying so; the loading process never dies. The reader is a copy
 * of this process (settings_reader.c): it counts from the copy's start,
 * this process not at all. */
static void oom_reader_sweep(bool after)
{
	struct config cfg;
	struct diag errs;
	char want[4096], got[4096];
	unsigned failed = 0, same = 0, k;
	uint64_t allocs;

	oom_setup();
	ck_assert_int_eq(oom_load(0, false, &cfg, &errs, &allocs), 0);
	oom_summary(&cfg, want, sizeof(want));
	config_free(&cfg);
	diag_free(&errs);
	oom_not_pid = getpid();
	/* Past the reader's last allocation every load succeeds: stop after
	 * a run of those. */
	for (k = 1; same < OOM_READER_PAST && k < OOM_READER_MAX; k++) {
		int rc = oom_load(k, after, &cfg, &errs, &allocs);
		if (rc == 0) {
			oom_summary(&cfg, got, sizeof(got));
			ck_assert_msg(strcmp(got, want) == 0, "reader allocation %u failed and the "
				      "load succeeded with another configuration:\n%s\n%s", k, got,
				      want);
			same++;
		} else {
			ck_assert_int_eq(rc, -1);
			/* The resolver (resolve.c) is such a copy too, started
			 * after the reader: its getaddrinfo() may say "not found". */
			ck_assert_msg(oom_mentioned(&errs) || oom_libc_lookup(&errs),
				      "reader allocation %u failed, the load "
				      "failed, but no error says out of memory: %s", k,
				      errs.n ? errs.msgs[0] : "(none)");
			failed++;
			same = 0;
		}
		config_free(&cfg);
		diag_free(&errs);
	}
	oom_not_pid = 0;
	ck_assert_uint_lt(k, OOM_READER_MAX);
	ck_assert_uint_gt(failed, 10);
	printf("master.conf reader: its allocations 1..%u failed in turn%s: %u loads failed "
	       "cleanly, the rest absorbed\n", k - 1 - same, after ? " (with every later one)" : "",
	       failed);
	oom_teardown();
}

START_TEST(test_reader_allocation_fails_once)
{
	oom_reader_sweep(false);
}
END_TEST

START_TEST(test_reader_allocation_fails_from_k)
{
	oom_reader_sweep(true);
}
END_TEST

/* diag itself: a message that cannot be stored still counts. */
START_TEST(test_diag_counts_lost_messages)
{
	struct diag d = { 0 };
	char *text = NULL;
	size_t len = 0;

	diag_add(&d, "a:1: %s", "first");
	oom_calls = 0;
	oom_fail_at = 1;
	oom_fail_after = true;
	oom_armed = true;
	diag_oom(&d, "b:2");
	oom_armed = false;
	ck_assert_uint_eq(d.n, 1);
	ck_assert_uint_eq(d.lost, 1);
	ck_assert_uint_eq(diag_count(&d), 2);
	FILE *fp = open_memstream(&text, &len);
	diag_print(&d, fp);
	fclose(fp);
	ck_assert_str_eq(text, "a:1: first\nout of memory: 1 more error not recorded\n");
	free(text);
	diag_free(&d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config_oom");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_each_allocation_fails_once);
	tcase_add_test(tc, test_every_allocation_from_k_fails);
	tcase_add_test(tc, test_reader_allocation_fails_once);
	tcase_add_test(tc, test_reader_allocation_fails_from_k);
	tcase_add_test(tc, test_diag_counts_lost_messages);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
