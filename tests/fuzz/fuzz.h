/* fuzz.h - what every fuzz target shares: the libFuzzer entry point (also
 * called by replay.c's main in builds without libFuzzer) and turning the
 * raw input into a C string.
 *
 * A target returns 0 for every input; a bug is a crash, a sanitizer report
 * or a failed FUZZ_CHECK (an invariant of the code under test), all of
 * which abort the process so libFuzzer saves the input and the replay test
 * fails. */
#ifndef TESTS_FUZZ_H
#define TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant that must hold whatever the input: abort() if not, in
 * every build (not assert(): it must also hold with NDEBUG). */
#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

/* The input as a NUL-terminated string (a NUL byte inside ends it, as it
 * would end the text for the C parser reading the file); NULL on OOM. */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s != NULL) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

#endif
