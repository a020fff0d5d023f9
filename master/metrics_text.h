/* metrics_text.h - the Prometheus text exposition format's escaping
 * (version 0.0.4), pure: a label value escapes backslash, double quote and
 * newline as \\ \" \n; everything else, UTF-8 included, is kept as is. */
#ifndef MASTER_METRICS_TEXT_H
#define MASTER_METRICS_TEXT_H

struct outbuf;

/* Appends name="VALUE" with value escaped. */
void metrics_text_label(struct outbuf *o, const char *name, const char *value);
/* Appends value escaped (no quotes). */
void metrics_text_escape(struct outbuf *o, const char *value);

#endif
