/* fuzz_notifymsg.c - fuzz target: the sd_notify datagram parser
 * (notifymsg_parse) on arbitrary bytes, as a ready=notify daemon (or
 * anyone who can reach its socket) may send. Checks that it reads nothing
 * past len (ASan: the input is a buffer of exactly len bytes), that a
 * refused datagram leaves nothing set, that the STATUS text is bounded,
 * terminated and printable, and that READY is set only when a line says
 * exactly READY=1. */
#include <string.h>

#include "fuzz.h"
#include "notifymsg.h"

/* Whether a line of data (split on '\n') is exactly word. */
static int fuzz_has_line(const uint8_t *data, size_t size, const char *word)
{
	size_t wlen = strlen(word);

	for (size_t at = 0; at <= size;) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t end = nl != NULL ? (size_t)(nl - data) : size;
		if (end - at == wlen && memcmp(data + at, word, wlen) == 0)
			return 1;
		if (nl == NULL)
			break;
		at = end + 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct notifymsg m;
	int rc = notifymsg_parse((const char *)data, size, &m);

	if (rc != 0) {
		FUZZ_CHECK(rc == -1);
		FUZZ_CHECK(!m.ready && !m.stopping && !m.watchdog && !m.has_status);
		FUZZ_CHECK(m.mainpid == 0 && m.ignored == 0);
		FUZZ_CHECK(size == 0 || size > NOTIFYMSG_DATAGRAM_MAX_BYTES ||
			   memchr(data, '\0', size) != NULL);
		return 0;
	}
	FUZZ_CHECK(size > 0 && size <= NOTIFYMSG_DATAGRAM_MAX_BYTES);
	size_t n = strnlen(m.status, sizeof(m.status));
	FUZZ_CHECK(n <= NOTIFYMSG_STATUS_MAX_BYTES);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(m.status[i] >= 0x20 && m.status[i] < 0x7f);
	FUZZ_CHECK(m.has_status || n == 0);
	FUZZ_CHECK(m.mainpid >= 0);
	FUZZ_CHECK(m.ready == fuzz_has_line(data, size, "READY=1"));
	FUZZ_CHECK(m.stopping == fuzz_has_line(data, size, "STOPPING=1"));
	FUZZ_CHECK(m.watchdog == fuzz_has_line(data, size, "WATCHDOG=1"));
	return 0;
}
