/* fuzz_protocol.c - fuzz target: the status-message decoder
 * (protocol_decode) on one packet of arbitrary bytes, as a worker may send.
 * Checks that a packet is accepted exactly when it is a known word with at
 * most one '\n' after it, and that the decoder reads nothing past len
 * (ASan: the input is a buffer of exactly len bytes). */
#include <string.h>

#include "fuzz.h"
#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum protocol_msg msg = protocol_decode(data, size);
	const char *word = protocol_word(msg);

	if (msg == PROTOCOL_INVALID) {
		FUZZ_CHECK(word == NULL);
		return 0;
	}
	FUZZ_CHECK(word != NULL);
	size_t wlen = strlen(word);
	FUZZ_CHECK(size == wlen || (size == wlen + 1 && data[wlen] == '\n'));
	FUZZ_CHECK(memcmp(data, word, wlen) == 0);
	FUZZ_CHECK(size <= PROTOCOL_PACKET_MAX_BYTES);
	return 0;
}
