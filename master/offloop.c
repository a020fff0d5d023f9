/* offloop.c - owns the short-lived job threads (see offloop.h for why they
 * exist). The loop owns each slot and is the only one to allocate or free
 * it; a thread only makes its calls, closes its duplicate and clears `busy`
 * (release ordering, after all of them). A slot released while its job
 * still waits is kept on an orphan list and freed by the loop once the job
 * is done. The thread never calls malloc or free: the reload's master.conf
 * reader is a raw copy of this process (no fork handlers), and a lock held
 * by another thread at that moment would stay held in the copy. Nothing
 * here is fatal, and nothing is logged from a thread (the log takes a
 * lock): what a job fails to do shows at the next look. */
#include "offloop.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A thread makes a few calls: a small stack is plenty. */
#define OFFLOOP_STACK_BYTES (64u * 1024u)

struct offloop_slot {
	atomic_bool busy;            /* a job is running */
	int result;                  /* the job's, written before busy clears */
	int fd;                      /* the thread's duplicate */
	offloop_fn *fn;
	_Alignas(max_align_t) unsigned char arg[OFFLOOP_ARG_BYTES]; /* the owner's */
	struct offloop_slot *next;   /* on the orphan list */
};

/* Released slots whose job was still running. Reachable from here until
 * freed, so a job still held at the master's exit is no leak. */
static struct offloop_slot *offloop_orphan_list;

/* Frees the orphans whose job is done. */
static void offloop_sweep(void)
{
	struct offloop_slot **pp = &offloop_orphan_list;

	while (*pp != NULL) {
		struct offloop_slot *sl = *pp;
		if (atomic_load_explicit(&sl->busy, memory_order_acquire)) {
			pp = &sl->next;
			continue;
		}
		*pp = sl->next;
		free(sl);
	}
}

static void *offloop_thread(void *arg)
{
	struct offloop_slot *sl = arg;

	sl->result = sl->fn(sl->fd, sl->arg);
	(void)close(sl->fd);
	sl->fd = -1;
	atomic_store_explicit(&sl->busy, false, memory_order_release);
	return NULL;
}

static void *offloop_closer(void *arg)
{
	(void)close((int)(intptr_t)arg);
	return NULL;
}

/* A detached thread with every signal blocked (the loop reads them through
 * a signalfd) and a small stack. Returns 0 or an errno value. */
static int offloop_spawn(void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t thread;
	sigset_t all, old;
	int err = pthread_attr_init(&attr);

	if (err != 0)
		return err;
	(void)pthread_attr_setstacksize(&attr, OFFLOOP_STACK_BYTES);
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old); /* inherited by the thread */
	err = pthread_create(&thread, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return err;
}

static bool offloop_fail(char *why, size_t why_size, const char *what, int err)
{
	snprintf(why, why_size, "%s: %s", what, strerror(err));
	return false;
}

bool offloop_run(struct offloop_slot **slot, int fd, offloop_fn *fn, const void *arg,
		 size_t arg_size, char *why, size_t why_size)
{
	struct offloop_slot *sl = *slot;
	int err;

	offloop_sweep();
	if (fd < 0) {
		snprintf(why, why_size, "no fd");
		return false;
	}
	if (arg_size > OFFLOOP_ARG_BYTES)
		return offloop_fail(why, why_size, "job arguments", E2BIG);
	if (sl == NULL) {
		if ((sl = calloc(1, sizeof(*sl))) == NULL)
			return offloop_fail(why, why_size, "job slot", ENOMEM);
		atomic_init(&sl->busy, false);
		sl->fd = -1;
		*slot = sl;
	}
	if (atomic_load_explicit(&sl->busy, memory_order_acquire)) {
		snprintf(why, why_size, "the last one still waits for the kernel");
		return false;
	}
	/* A duplicate takes no lock of the file's: the calls above do. */
	if ((sl->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return offloop_fail(why, why_size, "dup", errno);
	sl->fn = fn;
	memcpy(sl->arg, arg, arg_size);
	atomic_store_explicit(&sl->busy, true, memory_order_relaxed);
	if ((err = offloop_spawn(offloop_thread, sl)) != 0) {
		(void)close(sl->fd); /* the caller's fd is open: not the last */
		sl->fd = -1;
		atomic_store_explicit(&sl->busy, false, memory_order_relaxed);
		return offloop_fail(why, why_size, "thread", err);
	}
	return true;
}

bool offloop_busy(const struct offloop_slot *slot)
{
	return slot != NULL && atomic_load_explicit(&slot->busy, memory_order_acquire);
}

int offloop_result(const struct offloop_slot *slot)
{
	return slot != NULL ? slot->result : 0;
}

void offloop_release(struct offloop_slot **slot)
{
	struct offloop_slot *sl = *slot;

	*slot = NULL;
	if (sl != NULL) {
		sl->next = offloop_orphan_list;
		offloop_orphan_list = sl;
	}
	offloop_sweep();
}

void offloop_close(int fd)
{
	if (fd >= 0 && offloop_spawn(offloop_closer, (void *)(intptr_t)fd) != 0)
		(void)close(fd);
}

size_t offloop_orphans(void)
{
	size_t n = 0;

	offloop_sweep();
	for (const struct offloop_slot *sl = offloop_orphan_list; sl != NULL; sl = sl->next)
		n++;
	return n;
}
