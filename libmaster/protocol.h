/* protocol.h - the worker status channel, protocol version 2.
 *
 * One AF_UNIX SOCK_SEQPACKET socketpair per worker; the worker's end is the
 * fd named by MASTER_STATUS_FD. Each message is one packet holding one
 * lower-case ASCII word, optionally followed by a single '\n':
 *   worker -> master: "ready", "busy", "next [N]", "spare [N]", "idle",
 *                     "retiring"
 *   master -> worker: "stop"
 * "next" (new in version 2) says the request in progress ended and the next
 * one began at once; version 1 said "busy" twice, which version 2 treats as
 * a violation (a repeated "busy" could hold one request past max_busy).
 * "next N" (N in decimal, 1 .. PROTOCOL_COUNT_MAX, no leading zero; added
 * within version 2, which plain "next" = "next 1" keeps compatible) says
 * N requests began back to back since the last message: a worker under
 * load reports its run at most every few milliseconds, not per request.
 * "spare [N]" is "next [N]" from a worker that waited for at least one of
 * those requests (it lingered after a request for the next one instead
 * of saying "idle"): it had capacity to spare, so the master does not
 * grow the pool for it until the next report is due (PROTOCOL_REPORT_MS).
 * End-of-file on the channel means the other side is gone. Anything else is
 * a protocol violation. docs/protocol.md is the long form. */
#ifndef MASTER_PROTOCOL_H
#define MASTER_PROTOCOL_H

#include <stddef.h>

#define PROTOCOL_VERSION 2
#define PROTOCOL_PACKET_MAX_BYTES 32 /* longer packets are invalid */
#define PROTOCOL_COUNT_MAX 999999999u /* "next N": nine digits at most */
/* A worker that lingers for requests instead of saying "idle" reports at
 * least this often (or says "idle"): the window a "busy" or "spare"
 * counts as capacity to spare. */
#define PROTOCOL_REPORT_MS 10u

/* Environment a worker is started with. */
#define PROTOCOL_ENV_STATUS_FD "MASTER_STATUS_FD"
#define PROTOCOL_ENV_SERVICE "MASTER_SERVICE"
#define PROTOCOL_ENV_MAX_USE "MASTER_MAX_USE"
#define PROTOCOL_ENV_MAX_IDLE "MASTER_MAX_IDLE"
#define PROTOCOL_ENV_VERSION "MASTER_PROTOCOL"
/* The service's master.cf type ("inet", "unix", "fifo", "unix-dgram",
 * "pass"): what a listening fd is and what one request on it is. */
#define PROTOCOL_ENV_TYPE "MASTER_SERVICE_TYPE"

enum protocol_msg {
	PROTOCOL_INVALID = 0,
	PROTOCOL_READY,
	PROTOCOL_BUSY,
	PROTOCOL_IDLE,
	PROTOCOL_RETIRING,
	PROTOCOL_STOP,
	PROTOCOL_NEXT,
	PROTOCOL_SPARE,
};

/* Decodes one packet; PROTOCOL_INVALID for anything that is not exactly a
 * known word, or "next"/"spare" SP count (plus optional '\n'). *count is
 * the message's count: N for "next N"/"spare N", 1 for any other valid
 * message. Never reads past len. */
enum protocol_msg protocol_decode_count(const void *buf, size_t len, unsigned *count);
/* The same without the count. */
enum protocol_msg protocol_decode(const void *buf, size_t len);

/* The word for msg ("ready"...), or NULL for PROTOCOL_INVALID. */
const char *protocol_word(enum protocol_msg msg);

/* Sends msg as one packet without blocking and without SIGPIPE.
 * Returns 0, or -1 with errno set. */
int protocol_send(int fd, enum protocol_msg msg);
/* Sends "next N" or "spare N" (the bare word for 1); count 1 ..
 * PROTOCOL_COUNT_MAX; EINVAL for another msg. */
int protocol_send_count(int fd, enum protocol_msg msg, unsigned count);

#endif
