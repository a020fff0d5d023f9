/* notifymsg.c - owns parsing sd_notify datagrams (see notifymsg.h).
 * Pure: reads exactly len bytes of its input and nothing else. */
#include "notifymsg.h"

#include <limits.h>
#include <string.h>

/* Whether the len bytes at s are exactly the C string word. */
static bool notifymsg_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

/* A strict pid: 1..INT_MAX in plain decimal (no sign, blank or leading
 * zero); 0 for anything else. */
static pid_t notifymsg_pid(const char *s, size_t len)
{
	long long n = 0;

	if (len == 0 || len > 10 || s[0] == '0')
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		n = n * 10 + (s[i] - '0');
	}
	return n <= INT_MAX ? (pid_t)n : 0;
}

static void notifymsg_status(struct notifymsg *out, const char *s, size_t len)
{
	size_t n;

	/* It ends up in logs and JSON: nothing but printable ASCII. */
	for (n = 0; n < len && n < NOTIFYMSG_STATUS_MAX_BYTES; n++)
		out->status[n] = (s[n] >= 0x20 && s[n] < 0x7f) ? s[n] : '?';
	out->status[n] = '\0';
	out->has_status = true;
}

/* One NAME=VALUE line; anything not understood counts as ignored. */
static void notifymsg_line(struct notifymsg *out, const char *line, size_t len)
{
	const char *eq = memchr(line, '=', len);
	size_t nlen, vlen;
	const char *v;
	pid_t pid;

	if (eq == NULL) {
		out->ignored++;
		return;
	}
	nlen = (size_t)(eq - line);
	v = eq + 1;
	vlen = len - nlen - 1;
	if (notifymsg_is(line, nlen, "READY") && notifymsg_is(v, vlen, "1"))
		out->ready = true;
	else if (notifymsg_is(line, nlen, "STOPPING") && notifymsg_is(v, vlen, "1"))
		out->stopping = true;
	else if (notifymsg_is(line, nlen, "WATCHDOG") && notifymsg_is(v, vlen, "1"))
		out->watchdog = true;
	else if (notifymsg_is(line, nlen, "WATCHDOG") && notifymsg_is(v, vlen, "trigger"))
		out->watchdog_trigger = true;
	else if (notifymsg_is(line, nlen, "STATUS"))
		notifymsg_status(out, v, vlen);
	else if (notifymsg_is(line, nlen, "MAINPID") && (pid = notifymsg_pid(v, vlen)) > 0)
		out->mainpid = pid;
	else
		out->ignored++;
}

int notifymsg_parse(const char *buf, size_t len, struct notifymsg *out)
{
	memset(out, 0, sizeof(*out));
	if (len == 0 || len > NOTIFYMSG_DATAGRAM_MAX_BYTES || memchr(buf, '\0', len) != NULL)
		return -1;
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(buf + at, '\n', len - at);
		size_t end = nl != NULL ? (size_t)(nl - buf) : len;
		if (end > at)
			notifymsg_line(out, buf + at, end - at);
		at = end + 1;
	}
	return 0;
}
