/* relay.h - a worker's stderr pipe, relayed line by line into the master's
 * log as "SERVICE[PID]: line". Lines are cut at RELAY_LINE_MAX_BYTES so a
 * worker cannot make the master buffer without bound, and each wake-up reads
 * at most RELAY_READ_MAX_BYTES so a chatty worker cannot starve the others. */
#ifndef MASTER_RELAY_H
#define MASTER_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define RELAY_LINE_MAX_BYTES 1024u
#define RELAY_READ_MAX_BYTES 16384u

struct relay {
	char *partial;   /* allocated on the first partial line only */
	size_t len;
};

/* Reads what is available from fd and logs complete lines. Returns false
 * at end-of-file or error (the pipe is finished). */
bool relay_read(struct relay *r, int fd, const char *service, pid_t pid);
/* Logs a final unterminated line and frees the buffer. */
void relay_flush(struct relay *r, const char *service, pid_t pid);

#endif
