/* outbuf.c - owns the growing reply buffer (see outbuf.h). */
#include "outbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool outbuf_reserve(struct outbuf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (b->failed)
		return false;
	if (need <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < need)
		cap *= 2;
	char *d = realloc(b->data, cap);
	if (d == NULL) {
		b->failed = true;
		return false;
	}
	b->data = d;
	b->cap = cap;
	return true;
}

void outbuf_append(struct outbuf *b, const char *s, size_t n)
{
	if (!outbuf_reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void outbuf_printf(struct outbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !outbuf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void outbuf_json_string(struct outbuf *b, const char *s)
{
	outbuf_append(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			char esc[2] = { '\\', (char)*p };
			outbuf_append(b, esc, 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			outbuf_printf(b, "\\u%04x", *p);
		} else {
			outbuf_append(b, (const char *)p, 1);
		}
	}
	outbuf_append(b, "\"", 1);
}

void outbuf_free(struct outbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
