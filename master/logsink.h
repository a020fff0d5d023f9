/* logsink.h - the one place the master's log lines leave the process,
 * without ever blocking.
 *
 * The foreground log goes to stderr, which may be a terminal, a file, a
 * pipe or a socket (journald's stream), and whose reader may be slow or
 * stuck. The master must not wait for it, yet fd 2's open file description
 * is shared with whoever started the master (a shell's terminal): setting
 * O_NONBLOCK on it would change it for them too. So:
 *   - a socket: fd 2 with send(MSG_DONTWAIT), which is per call;
 *   - a regular file or block device: fd 2 as is (a write never waits for
 *     a reader);
 *   - anything else (pipe, FIFO, terminal, /dev/null): a description of our
 *     own, opened through /proc/self/fd/2 with O_NONBLOCK; without /proc, a
 *     pipe's own description is made O_NONBLOCK (a pipe is shared only with
 *     the process that made it, which is waiting for us), and a terminal is
 *     written blocking (a person is reading it).
 * syslog mode sends datagrams to /dev/log on a non-blocking socket of its
 * own, not through syslog(3): glibc's send waits while the syslog daemon's
 * queue (net.unix.max_dgram_qlen datagrams) is full.
 *
 * A line that cannot go at once is dropped (the caller counts it). A stream
 * that took only part of a line keeps the rest (tail) and sends it first
 * next time, so lines are never interleaved or cut. Nothing here is fatal. */
#ifndef MASTER_LOGSINK_H
#define MASTER_LOGSINK_H

#include <stdbool.h>
#include <stddef.h>

/* Longest line (datagram) accepted, newline included; PIPE_BUF, so a pipe
 * write is all or nothing. */
#define LOGSINK_LINE_MAX_BYTES 4096u
#define LOGSINK_SYSLOG_PATH "/dev/log"

struct logsink {
	int fd;            /* -1: no sink */
	bool owned;        /* ours to close */
	bool use_send;     /* a socket: send(MSG_DONTWAIT) */
	bool dgram;        /* syslog: one datagram per line, reconnect on loss */
	const char *path;  /* syslog socket path (static storage) */
	size_t tail_len;   /* unsent end of the last line */
	char tail[LOGSINK_LINE_MAX_BYTES];
};

/* Opens the sink for fd 2 (see above). */
void logsink_open_stderr(struct logsink *s);
/* Opens a datagram sink to the syslog socket at path (kept: static
 * storage); a missing socket is retried at each line. */
void logsink_open_syslog(struct logsink *s, const char *path);
void logsink_close(struct logsink *s);
/* Sends one line (newline included for streams), len <=
 * LOGSINK_LINE_MAX_BYTES, without blocking. True if it went (or is
 * committed, its end in the tail); false if it was dropped. */
bool logsink_put(struct logsink *s, const char *line, size_t len);

#endif
