/* fifowake.c - owns the fifo wake-up writer threads (see fifowake.h for why
 * they exist). The loop owns each struct and is the only one to allocate or
 * free it; a thread only writes, closes its duplicate and clears `busy`
 * (release ordering, after both). A struct whose service ended while its
 * thread still waits on the pipe is kept on an orphan list and freed by the
 * loop once its thread is done. The thread never calls malloc or free: the
 * reload's master.conf reader is a raw copy of this process (no fork
 * handlers), and a lock held by another thread at that moment would stay
 * held in the copy. Nothing here is fatal. */
#include "fifowake.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The thread does a write and a close: a small stack is plenty. */
#define FIFOWAKE_STACK_BYTES (64u * 1024u)

struct fifowake {
	atomic_bool busy;       /* a wake-up is being written */
	int fd;                 /* the thread's duplicate of the write end */
	struct fifowake *next;  /* on the orphan list */
};

static const char fifowake_byte = 'W';

/* Ended services' structs whose thread was still writing. Reachable from
 * here until freed, so a writer still held at the master's exit is no
 * leak. */
static struct fifowake *fifowake_orphan_list;

/* Frees the orphans whose thread is done. */
static void fifowake_sweep(void)
{
	struct fifowake **pp = &fifowake_orphan_list;

	while (*pp != NULL) {
		struct fifowake *fw = *pp;
		if (atomic_load_explicit(&fw->busy, memory_order_acquire)) {
			pp = &fw->next;
			continue;
		}
		*pp = fw->next;
		free(fw);
	}
}

static void *fifowake_thread(void *arg)
{
	struct fifowake *fw = arg;

	/* EAGAIN: the fifo is full of unread bytes, so its workers have
	 * requests anyway; any other failure is the fifo's end. Neither is
	 * logged: the thread takes no lock, the log's included. */
	(void)!write(fw->fd, &fifowake_byte, 1);
	(void)close(fw->fd);
	fw->fd = -1;
	atomic_store_explicit(&fw->busy, false, memory_order_release);
	return NULL;
}

static void *fifowake_closer(void *arg)
{
	(void)close((int)(intptr_t)arg);
	return NULL;
}

/* A detached thread with every signal blocked and a small stack. */
static int fifowake_spawn(void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t thread;
	sigset_t all, old;
	int err = pthread_attr_init(&attr);

	if (err != 0)
		return err;
	(void)pthread_attr_setstacksize(&attr, FIFOWAKE_STACK_BYTES);
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old); /* inherited by the thread */
	err = pthread_create(&thread, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return err;
}

static bool fifowake_fail(char *why, size_t why_size, const char *what, int err)
{
	snprintf(why, why_size, "%s: %s", what, strerror(err));
	return false;
}

bool fifowake_send(struct fifowake **fwp, int wake_fd, char *why, size_t why_size)
{
	struct fifowake *fw = *fwp;
	int err;

	fifowake_sweep();
	if (wake_fd < 0) {
		snprintf(why, why_size, "no write end");
		return false;
	}
	if (fw == NULL) {
		if ((fw = calloc(1, sizeof(*fw))) == NULL)
			return fifowake_fail(why, why_size, "wake-up writer", ENOMEM);
		atomic_init(&fw->busy, false);
		fw->fd = -1;
		*fwp = fw;
	}
	if (atomic_load_explicit(&fw->busy, memory_order_acquire)) {
		snprintf(why, why_size, "the last wake-up still waits on the fifo");
		return false;
	}
	/* A duplicate takes no lock of the pipe's: only opening, writing,
	 * reading and the last close do. */
	if ((fw->fd = fcntl(wake_fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return fifowake_fail(why, why_size, "dup", errno);
	atomic_store_explicit(&fw->busy, true, memory_order_relaxed);
	if ((err = fifowake_spawn(fifowake_thread, fw)) != 0) {
		(void)close(fw->fd); /* the loop's own copy is open: not the last */
		fw->fd = -1;
		atomic_store_explicit(&fw->busy, false, memory_order_relaxed);
		return fifowake_fail(why, why_size, "wake-up writer thread", err);
	}
	return true;
}

void fifowake_close(int fd)
{
	if (fd >= 0 && fifowake_spawn(fifowake_closer, (void *)(intptr_t)fd) != 0)
		(void)close(fd);
}

bool fifowake_busy(const struct fifowake *fw)
{
	return fw != NULL && atomic_load_explicit(&fw->busy, memory_order_acquire);
}

void fifowake_release(struct fifowake **fwp)
{
	struct fifowake *fw = *fwp;

	*fwp = NULL;
	if (fw != NULL) {
		fw->next = fifowake_orphan_list;
		fifowake_orphan_list = fw;
	}
	fifowake_sweep();
}

size_t fifowake_orphans(void)
{
	size_t n = 0;

	fifowake_sweep();
	for (const struct fifowake *fw = fifowake_orphan_list; fw != NULL; fw = fw->next)
		n++;
	return n;
}
