/* metrics_text.c - owns escaping label values for the Prometheus text
 * format (see metrics_text.h). Nothing here is fatal: an allocation that
 * fails marks the outbuf failed. */
#include "metrics_text.h"

#include <string.h>

#include "outbuf.h"

void metrics_text_escape(struct outbuf *o, const char *s)
{
	while (*s != '\0') {
		size_t plain = strcspn(s, "\\\"\n");
		outbuf_append(o, s, plain);
		s += plain;
		if (*s == '\0')
			break;
		outbuf_append(o, *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : "\\n", 2);
		s++;
	}
}

void metrics_text_label(struct outbuf *o, const char *name, const char *value)
{
	outbuf_printf(o, "%s=\"", name);
	metrics_text_escape(o, value);
	outbuf_append(o, "\"", 1);
}
