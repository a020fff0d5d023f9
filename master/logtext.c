/* logtext.c - owns escaping text for the log (see logtext.h). Nothing is
 * fatal here: no allocation, no system call. */
#include "logtext.h"

#include <string.h>

/* The length of the valid UTF-8 sequence at s[0..n) (2..4), 0 if the bytes
 * there are not one, or -1 if they are a valid but incomplete start. */
static int logtext_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	int len;
	unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the 2nd byte */

	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* UTF-16 surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* past U+10FFFF */
	} else {
		return 0; /* a continuation byte, C0/C1 lead, or F5..FF */
	}
	for (int i = 1; i < len; i++) {
		if ((size_t)i >= n)
			return -1;
		unsigned char min = i == 1 ? lo : 0x80, max = i == 1 ? hi : 0xbf;
		if (s[i] < min || s[i] > max)
			return 0;
	}
	return len;
}

/* A 3-byte sequence's code point (valid UTF-8, as checked above). */
static unsigned logtext_utf8_cp3(const unsigned char *s)
{
	return ((unsigned)(s[0] & 0x0f) << 12) | ((unsigned)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
}

/* Valid UTF-8 that must still be escaped: what a terminal or a log viewer
 * may act on or show as nothing, so that a worker's text could look like
 * other text. C1 controls; the line and paragraph separators; the
 * invisible format characters (Unicode's Cf): the soft hyphen, the Arabic
 * letter mark, the Mongolian vowel separator, the zero-width characters
 * and bidi marks, the bidi embeddings, overrides and isolates, the word
 * joiner and invisible operators, the deprecated format characters, the
 * byte order mark, the interlinear annotations and the tag characters. */
static bool logtext_utf8_unsafe(const unsigned char *s, int len)
{
	if (len == 2) {
		unsigned cp = ((unsigned)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
		return cp <= 0x9f || cp == 0xad || cp == 0x61c;
	}
	if (len == 3) {
		unsigned cp = logtext_utf8_cp3(s);
		return cp == 0x180e || (cp >= 0x200b && cp <= 0x200f) ||
		       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) ||
		       cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb);
	}
	/* U+E0000..U+E007F: f3 a0 80..81 xx */
	return len == 4 && s[0] == 0xf3 && s[1] == 0xa0 && (s[2] == 0x80 || s[2] == 0x81);
}

static void logtext_hex(char *dst, unsigned char c)
{
	static const char digits[] = "0123456789abcdef";

	dst[0] = '\\';
	dst[1] = 'x';
	dst[2] = digits[c >> 4];
	dst[3] = digits[c & 0xf];
}

size_t logtext_escape(char *dst, size_t cap, const char *src, size_t n,
		      bool more_follows, size_t *used)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t in = 0, out = 0;

	while (in < n) {
		unsigned char c = s[in];
		if ((c >= 0x20 && c < 0x7f) || c == '\t') {
			if (out + 1 > cap)
				break;
			dst[out++] = (char)c;
			in++;
			continue;
		}
		int len = c < 0x80 ? 0 : logtext_utf8_len(s + in, n - in);
		if (len < 0 && more_follows)
			break; /* wait for the rest of the character */
		if (len > 0 && !logtext_utf8_unsafe(s + in, len)) {
			if (out + (size_t)len > cap)
				break;
			memcpy(dst + out, s + in, (size_t)len);
			out += (size_t)len;
			in += (size_t)len;
			continue;
		}
		/* Escaped: the whole unsafe character, or one invalid byte. */
		size_t k = len > 0 ? (size_t)len : 1;
		if (out + k * LOGTEXT_ESCAPE_BYTES > cap)
			break;
		for (size_t i = 0; i < k; i++, out += LOGTEXT_ESCAPE_BYTES)
			logtext_hex(dst + out, s[in + i]);
		in += k;
	}
	*used = in;
	return out;
}
