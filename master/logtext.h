/* logtext.h - what may reach the master's log: text made safe for a
 * terminal, a log file and a syslog parser. Pure.
 *
 * Kept as is: printable ASCII, tab, and valid UTF-8 (no overlong forms, no
 * surrogates, nothing past U+10FFFF). Written as \xNN (lower-case hex, one
 * per byte): every other C0 control (newline, CR, ESC: no forged lines, no
 * terminal escape sequences), DEL, the C1 controls U+0080..U+009F (8-bit
 * CSI), the line and paragraph separators U+2028/U+2029 and the bidi
 * embeddings, overrides and isolates U+202A..U+202E, U+2066..U+2069 (text
 * that displays in another order than it reads), and every byte that is
 * not part of valid UTF-8. A backslash is kept: the escaping protects the
 * reader, it is not meant to be reversed. */
#ifndef MASTER_LOGTEXT_H
#define MASTER_LOGTEXT_H

#include <stdbool.h>
#include <stddef.h>

/* An escaped byte takes this many: "\xNN". */
#define LOGTEXT_ESCAPE_BYTES 4u

/* Escapes src[0..n) into dst, writing at most cap bytes (no terminating
 * NUL). Stops before a character whose escaped form would not fit; and,
 * when more_follows, before an incomplete UTF-8 sequence at the very end
 * of src (the next bytes may complete it). Returns the bytes written and
 * sets *used to the bytes of src consumed. */
size_t logtext_escape(char *dst, size_t cap, const char *src, size_t n,
		      bool more_follows, size_t *used);

#endif
