/* offloop.h - the few system calls on a shared fd that may wait for a lock
 * a worker or a local user can hold, run on a short-lived thread instead of
 * the loop.
 *
 * Why: the kernel holds some locks of a file while it copies between the
 * file and a caller's memory, page faults included, and a fault can be made
 * to last: a page of a file whose cache was dropped, read with readahead
 * off, is a disk read each (the seventh adversarial round held the master's
 * loop 1.4–3.6 s at a time so). Who else takes the lock then waits,
 * uninterruptibly, O_NONBLOCK or not:
 *  - a pipe's mutex: every write, read, open and last close of a fifo, and
 *    a fifo service's fifo is read by its workers and, public, written by
 *    every local user;
 *  - an inet socket's lock: getsockopt(IP_MSFILTER, MCAST_MSFILTER) and
 *    setsockopt(MCAST_JOIN_GROUP) copy under it, and every worker holds the
 *    service's listening socket; the master's listen(2) on it takes it.
 * So a fifo's wake-up byte, the last close of a fifo's ends, the
 * listening socket's repairs (sockaudit.c), a reload's listen(2) of a
 * socket it keeps and the mend of a shut-down one (service_mend.c) run
 * here. At most one job is in
 * flight per slot (a service's wake-ups, a socket's repairs): a job due
 * while the last one still waits is refused, and its caller skips it.
 *
 * A thread blocks every signal, allocates and frees nothing, takes no lock
 * and never forks: it makes its calls on a duplicate of the caller's fd,
 * closes the duplicate and ends. A copy of the master made meanwhile (the
 * reload's master.conf reader, a raw clone without fork handlers) inherits
 * no lock it holds. Its duplicate keeps the file open, so the loop's own
 * close of the fd is never the last one while a job waits.
 *
 * What the jobs are is their owners' (wakeup.c, sockrepair.c,
 * service_mend.c); this is only how they run. What stays on the loop:
 * opening a fifo when it is made, before anyone else may open it
 * (listener_fifo.c); the reads the repairs decide on (getsockopt of
 * options read without the socket's lock).
 *
 * Out of memory, or no thread: the job is refused, as one still in flight;
 * offloop_close falls back to close(2). */
#ifndef MASTER_OFFLOOP_H
#define MASTER_OFFLOOP_H

#include <stdbool.h>
#include <stddef.h>

struct offloop_slot; /* one per owner; NULL until its first job */

/* A job: run on its thread with a duplicate of the owner's fd and the
 * slot's copy of the owner's arguments. System calls only: no lock, no
 * allocation, no log. Returns a result code of the owner's
 * (offloop_result). */
typedef int offloop_fn(int fd, const void *arg);

/* The most a job's arguments may take (an address and a few numbers). */
#define OFFLOOP_ARG_BYTES 192u

/* Runs fn(duplicate of fd, copy of arg) on a thread of its own. Returns
 * true if handed over; false with why filled when not: the slot's last
 * job still in flight, arguments over OFFLOOP_ARG_BYTES, or no fd, thread
 * or memory. */
bool offloop_run(struct offloop_slot **slot, int fd, offloop_fn *fn, const void *arg,
		 size_t arg_size, char *why, size_t why_size);
/* Whether the slot's last job is still running. */
bool offloop_busy(const struct offloop_slot *slot);
/* What the slot's last job returned; meaningful once not busy. */
int offloop_result(const struct offloop_slot *slot);
/* The owner's end: freed now, or, with a job still in flight, by a later
 * call once that one is done. *slot is NULL afterwards. */
void offloop_release(struct offloop_slot **slot);
/* Closes fd, which the caller owns no more, on a thread of its own: the
 * last close of a fifo's end takes the pipe's mutex. */
void offloop_close(int fd);
/* How many released slots still wait for their job (tests). */
size_t offloop_orphans(void);

#endif
