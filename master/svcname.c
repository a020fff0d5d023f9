/* svcname.c - owns the service name check (see svcname.h): strict UTF-8
 * (no overlong forms, no surrogates, nothing past U+10FFFF) and no control
 * character (C0, DEL, C1). Pure; nothing is fatal here. */
#include "svcname.h"

#include <stdint.h>
#include <stdio.h>

/* The length of the UTF-8 sequence at s and its code point; 0 if invalid. */
static size_t svcname_decode(const unsigned char *s, uint32_t *cp)
{
	size_t n;
	uint32_t min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0)
		n = 2, min = 0x80, *cp = s[0] & 0x1F;
	else if ((s[0] & 0xF0) == 0xE0)
		n = 3, min = 0x800, *cp = s[0] & 0x0F;
	else if ((s[0] & 0xF8) == 0xF0)
		n = 4, min = 0x10000, *cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0; /* also the terminating NUL */
		*cp = (*cp << 6) | (s[i] & 0x3F);
	}
	if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
		return 0;
	return n;
}

int svcname_check(const char *name, char *why, size_t whysize)
{
	const unsigned char *s = (const unsigned char *)name;

	for (size_t i = 0; s[i] != '\0';) {
		uint32_t cp;
		size_t n = svcname_decode(s + i, &cp);
		if (n == 0) {
			snprintf(why, whysize, "not valid UTF-8 (byte 0x%02x at offset %zu)", s[i], i);
			return -1;
		}
		if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
			snprintf(why, whysize, "control character U+%04X at offset %zu", (unsigned)cp, i);
			return -1;
		}
		i += n;
	}
	return 0;
}
