/* protocol.c - the status channel wire format, protocol version 2.
 *
 * Owns the mapping between messages and their words, the validation of an
 * untrusted packet, and the one way a message is put on the wire. Shared by
 * the master (which decodes what workers say) and libmaster (which speaks
 * for C workers); nothing here allocates or keeps state. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "protocol.h"

/* Indexed by enum protocol_msg; PROTOCOL_INVALID has no word. */
static const char *const protocol_words[] = {
	[PROTOCOL_INVALID] = NULL,
	[PROTOCOL_READY] = "ready",
	[PROTOCOL_BUSY] = "busy",
	[PROTOCOL_IDLE] = "idle",
	[PROTOCOL_RETIRING] = "retiring",
	[PROTOCOL_STOP] = "stop",
	[PROTOCOL_NEXT] = "next",
	[PROTOCOL_SPARE] = "spare",
};

#define PROTOCOL_WORD_COUNT (sizeof(protocol_words) / sizeof(protocol_words[0]))

/* The count after "WORD ": 1 .. PROTOCOL_COUNT_MAX in plain decimal (no
 * sign, no leading zero, no blank), or 0 when it is anything else. */
static unsigned protocol_count(const char *p, size_t len)
{
	unsigned value = 0;

	if (len == 0 || len > 9 || p[0] == '0')
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		value = value * 10u + (unsigned)(p[i] - '0');
	}
	return value;
}

/* Whether msg may carry a count ("next N", "spare N"). */
static int protocol_counted(enum protocol_msg msg)
{
	return msg == PROTOCOL_NEXT || msg == PROTOCOL_SPARE;
}

enum protocol_msg protocol_decode_count(const void *buf, size_t len, unsigned *count)
{
	const char *p = buf;

	*count = 1;
	/* The length check comes first so that a flood of long packets costs
	 * the master nothing but this comparison. */
	if (p == NULL || len == 0 || len > PROTOCOL_PACKET_MAX_BYTES)
		return PROTOCOL_INVALID;
	if (p[len - 1] == '\n')
		len--; /* one optional newline; a second one stays and fails */
	for (size_t i = 1; i < PROTOCOL_WORD_COUNT; i++) {
		const char *word = protocol_words[i];
		size_t wlen = strlen(word);

		/* Exact length then bytes: rejects prefixes ("read"), suffixes
		 * ("readyx"), embedded NULs and trailing blanks alike. */
		if (wlen == len && memcmp(word, p, len) == 0)
			return (enum protocol_msg)i;
		/* A counted word: exactly one blank, then the count. */
		if (protocol_counted((enum protocol_msg)i) && len > wlen + 1 &&
		    memcmp(word, p, wlen) == 0 && p[wlen] == ' ') {
			*count = protocol_count(p + wlen + 1, len - wlen - 1);
			if (*count == 0)
				break;
			return (enum protocol_msg)i;
		}
	}
	*count = 1;
	return PROTOCOL_INVALID;
}

enum protocol_msg protocol_decode(const void *buf, size_t len)
{
	unsigned count;

	return protocol_decode_count(buf, len, &count);
}

const char *protocol_word(enum protocol_msg msg)
{
	if ((size_t)msg >= PROTOCOL_WORD_COUNT)
		return NULL;
	return protocol_words[msg];
}

/* Puts one packet on the wire. */
static int protocol_send_bytes(int fd, const char *bytes, size_t len)
{
	ssize_t n;

	do {
		/* MSG_DONTWAIT: the master must never block on a worker;
		 * MSG_NOSIGNAL: a vanished peer is an error, not a signal. */
		n = send(fd, bytes, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n != len) {
		/* Cannot happen on SOCK_SEQPACKET (packets are atomic); on any
		 * other socket type a short write means a torn message. */
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int protocol_send(int fd, enum protocol_msg msg)
{
	const char *word = protocol_word(msg);

	if (word == NULL) {
		errno = EINVAL;
		return -1;
	}
	/* Sent without the optional '\n': receivers accept both, and the bare
	 * word is what a reader of strace output expects to see. */
	return protocol_send_bytes(fd, word, strlen(word));
}

int protocol_send_count(int fd, enum protocol_msg msg, unsigned count)
{
	char packet[PROTOCOL_PACKET_MAX_BYTES];
	int len;

	if (!protocol_counted(msg) || count == 0 || count > PROTOCOL_COUNT_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (count == 1)
		return protocol_send(fd, msg);
	len = snprintf(packet, sizeof(packet), "%s %u", protocol_word(msg), count);
	return protocol_send_bytes(fd, packet, (size_t)len);
}
