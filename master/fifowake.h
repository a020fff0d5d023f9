/* fifowake.h - a fifo service's wake-up byte, written off the loop.
 *
 * Why not from the loop: every write to a pipe takes the pipe's mutex, and
 * whoever else writes to it or reads from it holds that mutex while the
 * kernel copies the bytes, page faults included. A fifo service's fifo is
 * readable by its workers and, as a public fifo (Postfix's pickup), writable
 * by every local user: one who writes from pages it made slow to fault in
 * (page cache dropped, readahead off: a disk read each) held the master's
 * wake-up write, O_NONBLOCK or not, uninterruptibly for 1.4 s at a time and
 * 45% of the time (seventh adversarial round). So each wake-up is written by
 * a short-lived thread of its own, on a duplicate of the master's write end.
 * At most one is in flight per service: a wake-up due while the last one is
 * still waiting on the pipe is skipped (the fifo has one coming anyway).
 *
 * The thread blocks every signal, allocates and frees nothing, takes no
 * lock and never forks: it write(2)s one byte, close(2)s its duplicate and
 * ends. A copy of the master made meanwhile (the reload's master.conf
 * reader, a raw clone without fork handlers) inherits no lock it holds. Its duplicate keeps the pipe's file open, so the loop's
 * own close of the write end at the service's end is never the last one
 * while a wake-up waits (a last close takes the mutex too).
 *
 * The last close of each of the master's own open files of a fifo takes the
 * mutex too (pipe_release), so a service's end closes them the same way,
 * on a thread of its own (fifowake_close). What stays on the loop: opening
 * the fifo when it is made (the service's start, or a reload that makes a
 * new one); a holder can delay that by as long as it holds the mutex
 * (docs/security.md, "Seventh round").
 *
 * Out of memory: the wake-up is skipped, as any other that cannot be sent. */
#ifndef MASTER_FIFOWAKE_H
#define MASTER_FIFOWAKE_H

#include <stdbool.h>
#include <stddef.h>

struct fifowake; /* per service; NULL until its first wake-up */

/* Hands one wake-up byte for wake_fd (the master's O_NONBLOCK write end) to
 * a thread of its own. Returns true if handed over; false with why filled
 * when not: a wake-up still in flight, or no thread, fd or memory. */
bool fifowake_send(struct fifowake **fw, int wake_fd, char *why, size_t why_size);
/* Whether the last wake-up handed over is still being written. */
bool fifowake_busy(const struct fifowake *fw);
/* The service's end: freed now, or, with a wake-up still in flight, by a
 * later call once that one is done. *fw is NULL afterwards. */
void fifowake_release(struct fifowake **fw);
/* Closes fd, one of the master's ends of a fifo it gives up, on a thread
 * of its own (the same kind): the caller owns fd no more. Falls back to
 * close(2) here if no thread can be made. */
void fifowake_close(int fd);
/* How many ended services' writers still wait on their pipe (tests). */
size_t fifowake_orphans(void);

#endif
