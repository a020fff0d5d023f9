/* fuzz_protocol.c - fuzz target: the status-message decoder
 * (protocol_decode_count) on one packet of arbitrary bytes, as a worker
 * may send. Checks that a packet is accepted exactly when it is a known
 * word, or "next"/"spare" SP a count of 1 .. PROTOCOL_COUNT_MAX without a
 * leading zero, with at most one '\n' after it; that the count is the one written
 * (1 for a plain word); and that the decoder reads nothing past len (ASan:
 * the input is a buffer of exactly len bytes). */
#include <string.h>

#include "fuzz.h"
#include "protocol.h"

/* The count a "next N" packet's digits spell, or 0 if they are not a
 * valid count (recomputed here independently of the decoder). */
static unsigned long fuzz_protocol_count(const uint8_t *p, size_t len)
{
	unsigned long value = 0;

	if (len == 0 || len > 9 || p[0] == '0')
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		value = value * 10 + (unsigned long)(p[i] - '0');
	}
	return value;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned count = 0;
	enum protocol_msg msg = protocol_decode_count(data, size, &count);
	const char *word = protocol_word(msg);

	if (msg == PROTOCOL_INVALID) {
		FUZZ_CHECK(word == NULL);
		return 0;
	}
	FUZZ_CHECK(word != NULL);
	FUZZ_CHECK(size <= PROTOCOL_PACKET_MAX_BYTES);
	size_t len = data[size - 1] == '\n' ? size - 1 : size;
	size_t wlen = strlen(word);
	FUZZ_CHECK(len >= wlen && memcmp(data, word, wlen) == 0);
	if (len == wlen) {
		FUZZ_CHECK(count == 1);
		return 0;
	}
	/* Anything past the word: only "next" and "spare" take it, a blank
	 * and a count. */
	FUZZ_CHECK((msg == PROTOCOL_NEXT || msg == PROTOCOL_SPARE) && data[wlen] == ' ');
	FUZZ_CHECK(count >= 1 && count <= PROTOCOL_COUNT_MAX);
	FUZZ_CHECK(fuzz_protocol_count(data + wlen + 1, len - wlen - 1) == count);
	return 0;
}
