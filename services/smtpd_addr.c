/* smtpd_addr.c - MAIL/RCPT arguments by RFC 5321's grammar (smtpd_addr.h).
 *
 * Owns what a path and a parameter may contain. Strict where it protects
 * (only printable ASCII of the grammar gets through, so an address can go
 * into a header line and a log line as it is), lenient where clients
 * commonly stray and nothing is at stake: blanks between "FROM:" and the
 * path, as Postfix accepts them. A source route ("@a,@b:") is accepted
 * and dropped, as 4.1.1.3 says. Nothing is fatal here. */
#include <string.h>
#include <strings.h>

#include "smtpd_addr.h"

static bool smtpd_addr_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool smtpd_addr_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 5322 atext: the characters of a dot-string's atoms. */
static bool smtpd_addr_atext(char c)
{
	return smtpd_addr_alpha(c) || smtpd_addr_digit(c) ||
		(c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

bool smtpd_addr_word_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

/* Local-part = Dot-string / Quoted-string. Returns the index after it,
 * or 0 when there is none. */
static size_t smtpd_addr_local(const char *s, size_t n)
{
	size_t i = 0;

	if (n > 0 && s[0] == '"') {
		for (i = 1; i < n; i++) {
			if (s[i] == '"')
				return i + 1;
			if (s[i] == '\\') {     /* quoted-pair: \ then 32..126 */
				if (++i >= n || s[i] < 32 || s[i] > 126)
					return 0;
			} else if (s[i] < 32 || s[i] > 126) {
				return 0;
			}
		}
		return 0;
	}
	for (;;) {
		size_t atom = i;

		while (i < n && smtpd_addr_atext(s[i]))
			i++;
		if (i == atom)
			return 0;       /* empty atom: leading, trailing or ".." */
		if (i < n && s[i] == '.' && i + 1 < n && s[i + 1] != '@') {
			i++;
			continue;
		}
		return i < n && s[i] == '.' ? 0 : i;
	}
}

/* Domain = sub-domain *("." sub-domain), or an address literal in
 * brackets. Returns the index after it, or 0. */
static size_t smtpd_addr_domain(const char *s, size_t n)
{
	size_t i = 0;

	if (n > 0 && s[0] == '[') {
		for (i = 1; i < n && s[i] != ']'; i++)
			if (s[i] < 33 || s[i] > 126 || s[i] == '[' || s[i] == '\\')
				return 0;
		return i < n && i > 1 ? i + 1 : 0;
	}
	for (;;) {
		size_t label = i;

		if (i >= n || !(smtpd_addr_alpha(s[i]) || smtpd_addr_digit(s[i])))
			return 0;
		while (i < n && (smtpd_addr_alpha(s[i]) || smtpd_addr_digit(s[i]) || s[i] == '-'))
			i++;
		if (s[i - 1] == '-' || i - label > 63)
			return 0;
		if (i < n && s[i] == '.' && i + 1 < n &&
		    (smtpd_addr_alpha(s[i + 1]) || smtpd_addr_digit(s[i + 1]))) {
			i++;
			continue;
		}
		return i;
	}
}

/* The path between the brackets: [A-d-l ":"] Mailbox. Fills addr. */
static enum smtpd_addr_result smtpd_addr_path(const char *s, size_t n,
	unsigned allow, char *addr)
{
	size_t i = 0, local, domain;

	if (n == 0) {
		if (!(allow & SMTPD_ADDR_ALLOW_NULL))
			return SMTPD_ADDR_BAD;
		addr[0] = '\0';
		return SMTPD_ADDR_OK;
	}
	if (s[0] == '@') {              /* source route: accepted, ignored */
		const char *colon = memchr(s, ':', n);

		if (colon == NULL)
			return SMTPD_ADDR_BAD;
		for (const char *p = s; p < colon; p++)
			if (!(smtpd_addr_alpha(*p) || smtpd_addr_digit(*p) ||
			      strchr("@,.-[]", *p) != NULL) || *p == '\0')
				return SMTPD_ADDR_BAD;
		i = (size_t)(colon - s) + 1;
	}
	if ((allow & SMTPD_ADDR_ALLOW_POSTMASTER) && i == 0 &&
	    smtpd_addr_word_is(s, n, "postmaster")) {
		memcpy(addr, s, n);
		addr[n] = '\0';
		return SMTPD_ADDR_OK;
	}
	local = smtpd_addr_local(s + i, n - i);
	if (local == 0 || i + local >= n || s[i + local] != '@')
		return SMTPD_ADDR_BAD;
	domain = smtpd_addr_domain(s + i + local + 1, n - i - local - 1);
	if (domain == 0 || i + local + 1 + domain != n)
		return SMTPD_ADDR_BAD;
	memcpy(addr, s + i, n - i);
	addr[n - i] = '\0';
	return SMTPD_ADDR_OK;
}

/* Finds the ">" that closes the path starting after "<" (a quoted local
 * part may hold one). Returns its index, or n when there is none. */
static size_t smtpd_addr_close(const char *s, size_t n)
{
	bool quoted = false;

	for (size_t i = 0; i < n; i++) {
		if (quoted && s[i] == '\\' && i + 1 < n)
			i++;
		else if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && s[i] == '>')
			return i;
	}
	return n;
}

enum smtpd_addr_result smtpd_addr_parse(const char *arg, size_t len,
	const char *keyword, unsigned allow, char addr[SMTPD_PATH_MAX_BYTES],
	const char **params, size_t *params_len)
{
	size_t klen = strlen(keyword), i = 0, close;
	enum smtpd_addr_result r;

	if (len == 0 || arg[0] != ' ')
		return SMTPD_ADDR_SYNTAX;
	i = 1;
	if (len - i < klen || strncasecmp(arg + i, keyword, klen) != 0)
		return SMTPD_ADDR_SYNTAX;
	i += klen;
	while (i < len && arg[i] == ' ')
		i++;
	if (i >= len || arg[i] != '<')
		return SMTPD_ADDR_SYNTAX;
	close = i + 1 + smtpd_addr_close(arg + i + 1, len - i - 1);
	if (close >= len)
		return SMTPD_ADDR_SYNTAX;
	if (close - i + 1 > SMTPD_PATH_MAX_BYTES)
		return SMTPD_ADDR_TOO_LONG;
	r = smtpd_addr_path(arg + i + 1, close - i - 1, allow, addr);
	if (r != SMTPD_ADDR_OK)
		return r;
	i = close + 1;
	if (i < len && arg[i] != ' ')
		return SMTPD_ADDR_SYNTAX;       /* "<a@b>junk" */
	while (i < len && arg[i] == ' ')
		i++;
	*params = arg + i;
	*params_len = len - i;
	return SMTPD_ADDR_OK;
}

int smtpd_addr_param(const char **cursor, const char *end, struct smtpd_param *out)
{
	const char *p = *cursor;

	while (p < end && *p == ' ')
		p++;
	if (p == end) {
		*cursor = p;
		return 0;
	}
	out->key = p;
	if (!(smtpd_addr_alpha(*p) || smtpd_addr_digit(*p)))
		return -1;
	while (p < end && (smtpd_addr_alpha(*p) || smtpd_addr_digit(*p) || *p == '-'))
		p++;
	out->key_len = (size_t)(p - out->key);
	out->value = NULL;
	out->value_len = 0;
	if (p < end && *p == '=') {
		out->value = ++p;
		/* esmtp-value: 33..126 but "=" */
		while (p < end && *p >= 33 && *p <= 126 && *p != '=')
			p++;
		out->value_len = (size_t)(p - out->value);
		if (out->value_len == 0)
			return -1;
	}
	if (p < end && *p != ' ')
		return -1;
	*cursor = p;
	return 1;
}
