/* metricsd_http.c - owns parsing a metricsd request head and writing a
 * reply head (see metricsd_http.h). Pure: no system call, nothing fatal. */
#include "metricsd_http.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The end of the head: an empty line (CRLF CRLF, or bare LFs). */
static bool metricsd_http_complete(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return true;
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
			return true;
	}
	return false;
}

static bool metricsd_http_token_char(char c)
{
	return c >= 'A' && c <= 'Z';
}

enum metricsd_http_ask metricsd_http_parse(const char *buf, size_t len)
{
	if (len > METRICSD_HTTP_HEAD_MAX_BYTES)
		return METRICSD_HTTP_BAD;
	if (!metricsd_http_complete(buf, len))
		return len == METRICSD_HTTP_HEAD_MAX_BYTES ? METRICSD_HTTP_BAD
							   : METRICSD_HTTP_INCOMPLETE;
	/* METHOD SP TARGET SP HTTP/1.x (CR) LF */
	const char *eol = memchr(buf, '\n', len);
	size_t line = (size_t)(eol - buf);
	if (line > 0 && buf[line - 1] == '\r')
		line--;
	size_t m = 0;
	while (m < line && metricsd_http_token_char(buf[m]))
		m++;
	if (m == 0 || m >= line || buf[m] != ' ')
		return METRICSD_HTTP_BAD;
	const char *target = buf + m + 1;
	const char *sp = memchr(target, ' ', line - m - 1);
	if (sp == NULL || sp == target)
		return METRICSD_HTTP_BAD;
	size_t tlen = (size_t)(sp - target);
	size_t vlen = line - (size_t)(sp + 1 - buf);
	if (vlen != 8 || memcmp(sp + 1, "HTTP/1.", 7) != 0 || (sp[8] != '0' && sp[8] != '1'))
		return METRICSD_HTTP_BAD;
	bool path = (tlen == 8 && memcmp(target, "/metrics", 8) == 0) ||
		    (tlen > 8 && memcmp(target, "/metrics?", 9) == 0);
	if (m == 3 && memcmp(buf, "GET", 3) == 0 && path)
		return METRICSD_HTTP_METRICS;
	return METRICSD_HTTP_NOT_FOUND;
}

static const char *metricsd_http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

size_t metricsd_http_head(char *buf, size_t size, int status, size_t body_len)
{
	int n = snprintf(buf, size,
			 "HTTP/1.0 %d %s\r\n"
			 "Content-Type: " METRICSD_HTTP_CONTENT_TYPE "\r\n"
			 "Content-Length: %zu\r\n"
			 "Connection: close\r\n"
			 "\r\n", status, metricsd_http_reason(status), body_len);
	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}
