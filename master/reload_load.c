/* reload_load.c - owns the reload thread (see reload_load.h). The struct
 * is shared by the loop and the thread: two references, dropped by each
 * side (atomically); `done` is published with release ordering after the
 * result is written, so the loop reads a complete configuration.
 *
 * The thread blocks every signal (the loop reads them through a signalfd),
 * never logs and never forks workers: a worker's parent-death signal fires
 * when the thread that forked it ends. The master.conf reader process is
 * started before the thread (a copy of a one-thread process, but for a
 * job thread that may be in flight: it holds no lock and allocates
 * nothing, offloop.h), and a done thread is joined, so the next
 * reload starts from one thread again.
 *
 * Out of memory: never fatal; reload_load_start() fails with ENOMEM, and
 * config_load() reports its own as errors. */
#include "reload_load.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "resolve.h"
#include "settings_reader.h"

struct reload_load {
	atomic_int refs;
	atomic_bool done;
	pthread_t thread;
	struct settings_reader reader; /* started on the loop thread */
	struct resolver resolver;      /* the same (resolve.h) */
	int efd;
	char *dir;
	char **overrides;
	int rc;
	struct config cfg;
	struct diag errs;
};

static void reload_load_free(struct reload_load *ld)
{
	settings_reader_end(&ld->reader); /* if the thread never used it */
	resolve_end(&ld->resolver);
	config_free(&ld->cfg);
	diag_free(&ld->errs);
	for (char **o = ld->overrides; o && *o; o++)
		free(*o);
	free(ld->overrides);
	free(ld->dir);
	if (ld->efd >= 0)
		close(ld->efd);
	free(ld);
}

static void reload_load_put(struct reload_load *ld)
{
	if (atomic_fetch_sub_explicit(&ld->refs, 1, memory_order_acq_rel) == 1)
		reload_load_free(ld);
}

static void *reload_load_thread(void *arg)
{
	struct reload_load *ld = arg;
	uint64_t one = 1;

	ld->rc = config_load_with(ld->dir, ld->overrides, &ld->reader, &ld->resolver, &ld->cfg,
				  &ld->errs);
	atomic_store_explicit(&ld->done, true, memory_order_release);
	/* Fails only if the counter would overflow, which one write cannot. */
	ssize_t w = write(ld->efd, &one, sizeof(one));
	(void)w;
	reload_load_put(ld);
	return NULL;
}

static int reload_load_copy(struct reload_load *ld, const char *dir, char *const *overrides)
{
	size_t n = 0;

	while (overrides != NULL && overrides[n] != NULL)
		n++;
	if ((ld->dir = strdup(dir)) == NULL ||
	    (ld->overrides = calloc(n + 1, sizeof(*ld->overrides))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((ld->overrides[i] = strdup(overrides[i])) == NULL)
			return -1;
	return 0;
}

struct reload_load *reload_load_start(const char *dir, char *const *overrides)
{
	struct reload_load *ld = calloc(1, sizeof(*ld));
	sigset_t all, old;
	int err;

	if (ld == NULL)
		return NULL;
	ld->efd = -1;
	ld->rc = -1;
	ld->reader.pid = -1;
	ld->reader.fd = -1;
	resolve_init(&ld->resolver, false);
	if (reload_load_copy(ld, dir, overrides) < 0) {
		reload_load_free(ld);
		errno = ENOMEM;
		return NULL;
	}
	if ((ld->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		err = errno;
		reload_load_free(ld);
		errno = err;
		return NULL;
	}
	/* The master.conf reader is a copy of this process: made now, while
	 * the loop thread is the only one of ours that takes locks
	 * (settings_reader.h; offloop.h). */
	if (settings_reader_start(&ld->reader) < 0 || resolve_start(&ld->resolver) < 0) {
		err = errno;
		reload_load_free(ld);
		errno = err;
		return NULL;
	}
	atomic_init(&ld->refs, 2);
	atomic_init(&ld->done, false);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old); /* inherited by the thread */
	err = pthread_create(&ld->thread, NULL, reload_load_thread, ld);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		reload_load_free(ld);
		errno = err;
		return NULL;
	}
	return ld;
}

int reload_load_fd(const struct reload_load *ld)
{
	return ld->efd;
}

bool reload_load_done(struct reload_load *ld)
{
	uint64_t n;
	ssize_t r = read(ld->efd, &n, sizeof(n)); /* EAGAIN: woken by something else */

	(void)r;
	return atomic_load_explicit(&ld->done, memory_order_acquire);
}

int reload_load_take(struct reload_load *ld, struct config *cfg, struct diag *errs)
{
	int rc = ld->rc;

	*cfg = ld->cfg;
	*errs = ld->errs;
	memset(&ld->cfg, 0, sizeof(ld->cfg));
	memset(&ld->errs, 0, sizeof(ld->errs));
	return rc;
}

void reload_load_drop(struct reload_load *ld)
{
	if (ld == NULL)
		return;
	/* Done: the thread is at its end; joined, so that the next reload
	 * starts its reader while this process has one thread again. Not
	 * done (the master exits): left to end on its own. */
	if (atomic_load_explicit(&ld->done, memory_order_acquire))
		pthread_join(ld->thread, NULL);
	else
		pthread_detach(ld->thread);
	reload_load_put(ld);
}
