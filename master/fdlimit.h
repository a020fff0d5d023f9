/* fdlimit.h - the master's own RLIMIT_NOFILE: how far it can go, raising
 * it to what the configuration needs (config_fds.h), and the limit it was
 * started with, which its workers get back.
 *
 * Workers keep the master's original limit (soft and hard) unless their
 * service sets rlimit_nofile: a worker never inherits the tens of
 * thousands of fds a large master needs (select(2), close-all loops and
 * the like would pay for them). isolation.c applies it. */
#ifndef MASTER_FDLIMIT_H
#define MASTER_FDLIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>

/* The most fds this process can give itself: fs.nr_open when it holds
 * CAP_SYS_RESOURCE (it may raise its hard limit), else its hard limit.
 * *source names which ("fs.nr_open", "hard RLIMIT_NOFILE"). Returns 0, or
 * -1 with errno when the limits cannot be read. */
int fdlimit_max(unsigned long long *max, const char **source);

/* Raises the soft limit (and the hard one, if needed) to want, or to the
 * most it can (fdlimit_max) if want is more: never lowers either. The
 * first call remembers the original limits. Returns 0 when want was
 * reached, 1 when only a part of it (the limits are then at the most),
 * -1 with errno when setrlimit failed (nothing changed). */
int fdlimit_raise(unsigned long long want);

/* The limits the master was started with, in *orig; true when they differ
 * from its current ones (so workers need them set back). */
bool fdlimit_original(struct rlimit *orig);

/* The current limits, "soft:hard", for a log line. */
void fdlimit_format(char *buf, size_t size);

#endif
