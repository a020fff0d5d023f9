/* protocol.c - the status channel wire format, protocol version 2.
 *
 * Owns the mapping between messages and their words, the validation of an
 * untrusted packet, and the one way a message is put on the wire. Shared by
 * the master (which decodes what workers say) and libmaster (which speaks
 * for C workers); nothing here allocates or keeps state. */
#include <errno.h>
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
};

#define PROTOCOL_WORD_COUNT (sizeof(protocol_words) / sizeof(protocol_words[0]))

enum protocol_msg protocol_decode(const void *buf, size_t len)
{
	const char *p = buf;

	/* The length check comes first so that a flood of long packets costs
	 * the master nothing but this comparison. */
	if (p == NULL || len == 0 || len > PROTOCOL_PACKET_MAX_BYTES)
		return PROTOCOL_INVALID;
	if (p[len - 1] == '\n')
		len--; /* one optional newline; a second one stays and fails */
	for (size_t i = 1; i < PROTOCOL_WORD_COUNT; i++) {
		const char *word = protocol_words[i];

		/* Exact length then bytes: rejects prefixes ("read"), suffixes
		 * ("readyx"), embedded NULs and trailing blanks alike. */
		if (strlen(word) == len && memcmp(word, p, len) == 0)
			return (enum protocol_msg)i;
	}
	return PROTOCOL_INVALID;
}

const char *protocol_word(enum protocol_msg msg)
{
	if ((size_t)msg >= PROTOCOL_WORD_COUNT)
		return NULL;
	return protocol_words[msg];
}

int protocol_send(int fd, enum protocol_msg msg)
{
	const char *word = protocol_word(msg);
	size_t len;
	ssize_t n;

	if (word == NULL) {
		errno = EINVAL;
		return -1;
	}
	/* Sent without the optional '\n': receivers accept both, and the bare
	 * word is what a reader of strace output expects to see. */
	len = strlen(word);
	do {
		/* MSG_DONTWAIT: the master must never block on a worker;
		 * MSG_NOSIGNAL: a vanished peer is an error, not a signal. */
		n = send(fd, word, len, MSG_NOSIGNAL | MSG_DONTWAIT);
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
