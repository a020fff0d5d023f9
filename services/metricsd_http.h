/* metricsd_http.h - the little HTTP metricsd speaks, pure: what a request
 * head asks for, and the head of the reply.
 *
 * A request is HTTP/1.0 or 1.1: the request line, header lines, an empty
 * line. Only "GET /metrics" (a query string allowed, as Prometheus may
 * add one) is served; any other method or path is 404, a head that is not
 * HTTP at all is 400. The head is bounded (METRICSD_HTTP_HEAD_MAX_BYTES):
 * a longer one is 400 too. Nothing in the headers matters. */
#ifndef METRICSD_HTTP_H
#define METRICSD_HTTP_H

#include <stddef.h>

#define METRICSD_HTTP_HEAD_MAX_BYTES 8192u
#define METRICSD_HTTP_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum metricsd_http_ask {
	METRICSD_HTTP_INCOMPLETE, /* no empty line yet: read more */
	METRICSD_HTTP_METRICS,    /* GET /metrics */
	METRICSD_HTTP_NOT_FOUND,  /* a well-formed request for anything else */
	METRICSD_HTTP_BAD,        /* not an HTTP/1.x request, or too long */
};

/* Classifies the bytes read so far, buf[0..len). */
enum metricsd_http_ask metricsd_http_parse(const char *buf, size_t len);
/* The reply head for status (200, 400, 404, 503...) and a body of
 * body_len bytes (text/plain) into buf; returns its length, or 0 if it
 * does not fit. */
size_t metricsd_http_head(char *buf, size_t size, int status, size_t body_len);

#endif
