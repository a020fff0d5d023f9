/* fuzz_metricsd_http.c - fuzz target: metricsd's request-head parser
 * (metricsd_http_parse) on the bytes a client sent, in a buffer of exactly
 * their size (a read past the end is a sanitizer report). Checks: the
 * verdict is one of the four; a head past the bound is never incomplete;
 * only a head that starts "GET /metrics" is served; a verdict, once
 * reached, does not change when more bytes follow (metricsd stops reading
 * there). */
#include <string.h>

#include "fuzz.h"
#include "services/metricsd_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size > 0 ? size : 1);

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	enum metricsd_http_ask ask = metricsd_http_parse(buf, size);
	FUZZ_CHECK(ask == METRICSD_HTTP_INCOMPLETE || ask == METRICSD_HTTP_METRICS ||
		   ask == METRICSD_HTTP_NOT_FOUND || ask == METRICSD_HTTP_BAD);
	if (size >= METRICSD_HTTP_HEAD_MAX_BYTES)
		FUZZ_CHECK(ask != METRICSD_HTTP_INCOMPLETE);
	if (size > METRICSD_HTTP_HEAD_MAX_BYTES)
		FUZZ_CHECK(ask == METRICSD_HTTP_BAD);
	if (ask == METRICSD_HTTP_METRICS)
		FUZZ_CHECK(size >= 12 && memcmp(buf, "GET /metrics", 12) == 0);
	/* The shortest prefix with a verdict keeps it for the whole input,
	 * within the bound. */
	if (size <= METRICSD_HTTP_HEAD_MAX_BYTES && ask != METRICSD_HTTP_INCOMPLETE) {
		for (size_t n = 1; n <= size; n++) {
			char *p = malloc(n);
			if (p == NULL)
				break;
			memcpy(p, data, n);
			enum metricsd_http_ask first = metricsd_http_parse(p, n);
			free(p);
			if (first != METRICSD_HTTP_INCOMPLETE) {
				FUZZ_CHECK(first == ask);
				break;
			}
		}
	}
	free(buf);
	return 0;
}
