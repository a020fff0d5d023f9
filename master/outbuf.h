/* outbuf.h - a growing output buffer for replies to control clients:
 * printf-style appends and JSON string quoting. */
#ifndef MASTER_OUTBUF_H
#define MASTER_OUTBUF_H

#include <stdbool.h>
#include <stddef.h>

struct outbuf {
	char *data;
	size_t len;
	size_t cap;
	bool failed; /* an allocation failed: the content is incomplete */
};

void outbuf_printf(struct outbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void outbuf_append(struct outbuf *b, const char *s, size_t n);
/* Appends s as a JSON string literal, quotes included. */
void outbuf_json_string(struct outbuf *b, const char *s);
void outbuf_free(struct outbuf *b);

#endif
