/* libmaster_type.h - internal to libmaster (not installed): what one
 * request is for each service type, and how the worker loop takes it.
 *
 *   inet, unix  one accepted connection; the handler gets it (blocking).
 *   pass        one connection passed by another process (SCM_RIGHTS)
 *               over a connection to the service's socket; the handler
 *               gets the passed fd, made blocking, as if it had accepted it.
 *   unix-dgram  one datagram; the handler gets a private SOCK_SEQPACKET
 *               socket from which one recv() returns it whole, then EOF.
 *   fifo        the pipe became readable; the handler gets the pipe itself
 *               (non-blocking, shared by every worker: read until EAGAIN,
 *               never close it).
 *
 * Taking is non-blocking and happens before "busy"; opening (a pass
 * service's wait for the passed fd, a datagram's copy) happens after it,
 * inside the request the master times. */
#ifndef LIBMASTER_TYPE_H
#define LIBMASTER_TYPE_H

#include <stdbool.h>
#include <stddef.h>

enum libmaster_type {
	LIBMASTER_TYPE_STREAM, /* inet, unix */
	LIBMASTER_TYPE_PASS,
	LIBMASTER_TYPE_DGRAM,
	LIBMASTER_TYPE_FIFO,
};

/* A datagram longer than this is dropped (logged), never cut. */
#define LIBMASTER_TYPE_DGRAM_MAX_BYTES 65536
/* How long a pass request waits for its descriptor after the connection. */
#define LIBMASTER_TYPE_PASS_TIMEOUT_MS 5000
#define LIBMASTER_TYPE_WHY_BYTES 256

struct libmaster_request {
	int fd;          /* taken: a connection (or a pass carrier), or the fifo */
	int handler_fd;  /* what the handler gets; -1: no handler call */
	size_t len;      /* dgram: the datagram's length */
};

struct libmaster_types {
	enum libmaster_type type;
	char *buf;       /* dgram: one datagram (LIBMASTER_TYPE_DGRAM_MAX_BYTES) */
};

/* From MASTER_SERVICE_TYPE (value may be NULL: unset, then the listening
 * fds say). Returns 0, or -1 with why. */
int libmaster_type_setup(struct libmaster_types *t, const char *value, int first_fd,
			 char *why, size_t why_size);
void libmaster_type_free(struct libmaster_types *t);
/* Checks that fd is a listener of this type; makes it non-blocking and
 * close-on-exec. Returns 0, or -1 with why. */
int libmaster_type_check_fd(const struct libmaster_types *t, int fd, char *why, size_t why_size);
/* Takes one waiting request from listener fd without blocking. Returns 1
 * (req filled), 0 (none waits: another worker took it), or -1 with why
 * (a failure a fresh process may not have: the worker retires). A
 * dropped datagram is 0 with why set. */
int libmaster_type_take(const struct libmaster_types *t, int fd, struct libmaster_request *req,
			char *why, size_t why_size);
/* Prepares req->handler_fd (after "busy"). Returns 0, or -1 with why (no
 * handler call; the request still counts). */
int libmaster_type_open(const struct libmaster_types *t, struct libmaster_request *req,
			char *why, size_t why_size);
/* Closes what the request holds (never the fifo). */
void libmaster_type_done(const struct libmaster_types *t, struct libmaster_request *req);

#endif
