/* test_smtpd_parts.c - smtpd's pure helpers: the line framing, the reply
 * format, the trace lines, the address grammar and the arguments. */
#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "services/smtpd_addr.h"
#include "services/smtpd_args.h"
#include "services/smtpd_lines.h"
#include "services/smtpd_out.h"
#include "services/smtpd_trace.h"
#include "unit.h"

static void put(struct smtpd_lines *l, const char *text, size_t n)
{
	size_t room;
	char *space = smtpd_lines_space(l, &room);

	ck_assert_uint_ge(room, n);
	memcpy(space, text, n);
	smtpd_lines_filled(l, n);
}

START_TEST(test_lines_endings)
{
	static struct smtpd_lines l;
	const char *line;
	size_t len;
	unsigned flags;

	smtpd_lines_init(&l);
	put(&l, "ab\r\ncd\nef\r", 10);
	ck_assert(smtpd_lines_next(&l, &line, &len, &flags));
	ck_assert_uint_eq(len, 2);
	ck_assert(memcmp(line, "ab", 2) == 0);
	ck_assert_uint_eq(flags, SMTPD_LINE_CRLF);
	ck_assert(smtpd_lines_next(&l, &line, &len, &flags));
	ck_assert_uint_eq(flags, SMTPD_LINE_BARE_LF);
	ck_assert(memcmp(line, "cd", 2) == 0);
	ck_assert(!smtpd_lines_next(&l, &line, &len, &flags));
	ck_assert_uint_eq(smtpd_lines_pending(&l), 3);
	put(&l, "\n", 1);       /* the CR and LF in two reads */
	ck_assert(smtpd_lines_next(&l, &line, &len, &flags));
	ck_assert_uint_eq(len, 2);
	ck_assert_uint_eq(flags, SMTPD_LINE_CRLF);
	put(&l, "\r\n", 2);
	ck_assert(smtpd_lines_next(&l, &line, &len, &flags));
	ck_assert_uint_eq(len, 0);
	ck_assert_uint_eq(flags, SMTPD_LINE_CRLF);
}
END_TEST

START_TEST(test_lines_overlong_across_reads)
{
	static struct smtpd_lines l;
	static char chunk[700];
	const char *line;
	size_t len;
	unsigned flags;

	smtpd_lines_init(&l);
	memset(chunk, 'x', sizeof(chunk));
	put(&l, chunk, sizeof(chunk));
	ck_assert(!smtpd_lines_next(&l, &line, &len, &flags));
	put(&l, chunk, sizeof(chunk));          /* 1400 without LF: dropped */
	ck_assert(!smtpd_lines_next(&l, &line, &len, &flags));
	ck_assert_uint_eq(smtpd_lines_pending(&l), 0);
	chunk[sizeof(chunk) - 1] = '\r';        /* ends with CR, LF in the next read */
	put(&l, chunk, sizeof(chunk));
	ck_assert(!smtpd_lines_next(&l, &line, &len, &flags));
	put(&l, "\nok\r\n", 5);
	ck_assert(smtpd_lines_next(&l, &line, &len, &flags));
	ck_assert_uint_eq(flags, SMTPD_LINE_TOO_LONG | SMTPD_LINE_CRLF);
	ck_assert_uint_eq(len, 0);
	ck_assert(smtpd_lines_next(&l, &line, &len, &flags));
	ck_assert_uint_eq(flags, SMTPD_LINE_CRLF);
	ck_assert(len == 2 && memcmp(line, "ok", 2) == 0);
}
END_TEST

START_TEST(test_lines_limit_boundary)
{
	static struct smtpd_lines l;
	static char text[1001];
	const char *line;
	size_t len;
	unsigned flags;

	smtpd_lines_init(&l);
	memset(text, 'a', 998);
	memcpy(text + 998, "\r\n", 2);          /* 1000 with CRLF: fits */
	put(&l, text, 1000);
	ck_assert(smtpd_lines_next(&l, &line, &len, &flags));
	ck_assert_uint_eq(flags, SMTPD_LINE_CRLF);
	ck_assert_uint_eq(len, 998);
	memset(text, 'a', 999);
	memcpy(text + 999, "\n", 1);            /* 1000 with a bare LF: fits */
	put(&l, text, 1000);
	ck_assert(smtpd_lines_next(&l, &line, &len, &flags));
	ck_assert_uint_eq(flags, SMTPD_LINE_BARE_LF);
	memset(text, 'a', 999);
	memcpy(text + 999, "\r\n", 2);          /* 1001: too long */
	put(&l, text, 1001);
	ck_assert(smtpd_lines_next(&l, &line, &len, &flags));
	ck_assert_uint_eq(flags, SMTPD_LINE_TOO_LONG | SMTPD_LINE_CRLF);
}
END_TEST

START_TEST(test_out_reply_format)
{
	static struct smtpd_out o;
	static char longtext[2000];

	smtpd_out_init(&o);
	smtpd_out_reply(&o, 250, 1, "first");
	smtpd_out_reply(&o, 250, 0, "x%sy", "\r\n\x01");
	ck_assert_uint_eq(o.len, strlen("250-first\r\n250 x???y\r\n"));
	ck_assert(memcmp(o.buf, "250-first\r\n250 x???y\r\n", o.len) == 0);
	smtpd_out_consume(&o, 11);
	ck_assert(memcmp(o.buf, "250 x???y\r\n", o.len) == 0);
	smtpd_out_consume(&o, 100);
	ck_assert_uint_eq(o.len, 0);
	memset(longtext, 'q', sizeof(longtext) - 1);
	smtpd_out_reply(&o, 500, 0, "%s", longtext);    /* cut at 512 with CRLF */
	ck_assert_uint_eq(o.len, SMTPD_REPLY_LINE_MAX_BYTES - 1);
	ck_assert(memcmp(o.buf + o.len - 2, "\r\n", 2) == 0);
}
END_TEST

START_TEST(test_trace_lines)
{
	struct smtpd_envelope env;
	char buf[SMTPD_TRACE_MAX_BYTES];
	size_t n;

	memset(&env, 0, sizeof(env));
	env.client = "[192.0.2.1]";
	strcpy(env.helo, "evil;(host)");
	env.esmtp = true;
	strcpy(env.from, "a@b.c");
	strcpy(env.rcpt, "d@e.f");
	env.rcpts = 1;
	n = smtpd_trace_format(buf, sizeof(buf), &env, "mx.test", "ID1", 86400);
	ck_assert_uint_eq(n, strlen(buf));
	ck_assert_str_eq(buf, "Return-Path: <a@b.c>\r\n"
		"Received: from evil__host_ ([192.0.2.1])\r\n"
		"\tby mx.test (master smtpd) with ESMTP id ID1\r\n"
		"\tfor <d@e.f>;\r\n"
		"\tFri, 02 Jan 1970 00:00:00 +0000\r\n");
	env.rcpts = 2;
	env.esmtp = false;
	env.from[0] = '\0';
	smtpd_trace_format(buf, sizeof(buf), &env, "mx.test", "ID2", 0);
	ck_assert_str_eq(buf, "Return-Path: <>\r\n"
		"Received: from evil__host_ ([192.0.2.1])\r\n"
		"\tby mx.test (master smtpd) with SMTP id ID2;\r\n"
		"\tThu, 01 Jan 1970 00:00:00 +0000\r\n");
	ck_assert_uint_eq(smtpd_trace_format(buf, 20, &env, "mx.test", "ID2", 0), 0);
}
END_TEST

static enum smtpd_addr_result addr(const char *arg, unsigned allow, char *out)
{
	const char *params;
	size_t plen;

	return smtpd_addr_parse(arg, strlen(arg), "TO:", allow, out, &params, &plen);
}

START_TEST(test_addr_grammar)
{
	char a[SMTPD_PATH_MAX_BYTES];
	const char *ok[] = { " TO:<a@b>", " to:<a.b+c@d-e.f>", " TO:<\"q\\\"x\"@b>",
		" TO:<a@[IPv6:::1]>", " TO:<@x,@y:a@b>", " TO:   <a@b>   " };
	const char *bad[] = { " TO:<a@b.>", " TO:<.a@b>", " TO:<a.@b>", " TO:<a@>",
		" TO:<@b>", " TO:<a@b-.c>", " TO:<a@[]>", " TO:<a b@c>", " TO:<a@b@c>",
 " TO:<a@b\xc3\xa9>", " TO:<@x a@b>" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_msg(addr(ok[i], 0, a) == SMTPD_ADDR_OK, "refused %s", ok[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(addr(bad[i], 0, a) == SMTPD_ADDR_BAD, "accepted %s", bad[i]);
	ck_assert_int_eq(addr(" TO:<@x,@y:a@b>", 0, a), SMTPD_ADDR_OK);
	ck_assert_str_eq(a, "a@b");
	ck_assert_int_eq(addr(" TO:<>", 0, a), SMTPD_ADDR_BAD);
	ck_assert_int_eq(addr(" TO:<>", SMTPD_ADDR_ALLOW_NULL, a), SMTPD_ADDR_OK);
	ck_assert_int_eq(addr(" TO:<postmaster>", 0, a), SMTPD_ADDR_BAD);
	ck_assert_int_eq(addr(" TO:<POSTMASTER>", SMTPD_ADDR_ALLOW_POSTMASTER, a), SMTPD_ADDR_OK);
	ck_assert_int_eq(addr(" TO:a@b", 0, a), SMTPD_ADDR_SYNTAX);
	ck_assert_int_eq(addr(" TO:<a@b", 0, a), SMTPD_ADDR_SYNTAX);
	ck_assert_int_eq(addr(" TO:<\"unterminated@b>", 0, a), SMTPD_ADDR_SYNTAX);
	ck_assert_int_eq(addr("TO:<a@b>", 0, a), SMTPD_ADDR_SYNTAX);
	ck_assert_int_eq(addr(" TO:<a@b>x", 0, a), SMTPD_ADDR_SYNTAX);
}
END_TEST

START_TEST(test_addr_params)
{
	const char *text = "SIZE=10 BODY=8BITMIME FLAG";
	const char *p = text, *end = text + strlen(text);
	struct smtpd_param prm;

	ck_assert_int_eq(smtpd_addr_param(&p, end, &prm), 1);
	ck_assert(prm.key_len == 4 && prm.value_len == 2 && memcmp(prm.value, "10", 2) == 0);
	ck_assert_int_eq(smtpd_addr_param(&p, end, &prm), 1);
	ck_assert(smtpd_addr_word_is(prm.value, prm.value_len, "8bitmime"));
	ck_assert_int_eq(smtpd_addr_param(&p, end, &prm), 1);
	ck_assert(prm.value == NULL && prm.key_len == 4);
	ck_assert_int_eq(smtpd_addr_param(&p, end, &prm), 0);
	text = "SIZE=";
	p = text;
	ck_assert_int_eq(smtpd_addr_param(&p, text + 5, &prm), -1);
	text = "-X=1";
	p = text;
	ck_assert_int_eq(smtpd_addr_param(&p, text + 4, &prm), -1);
	text = "A=b=c";
	p = text;
	ck_assert_int_eq(smtpd_addr_param(&p, text + 5, &prm), -1);
}
END_TEST

static int parse(struct smtpd_options *o, const char *state, char *why, ...)
{
	char *argv[16] = { "smtpd" };
	int argc = 1;
	va_list ap;
	char *a;

	va_start(ap, why);
	while ((a = va_arg(ap, char *)) != NULL && argc < 15)
		argv[argc++] = a;
	va_end(ap);
	return smtpd_args_parse(argc, argv, state, o, why, 256);
}

START_TEST(test_args)
{
	struct smtpd_options o;
	char why[256];

	ck_assert_int_eq(parse(&o, NULL, why, NULL), -1);
	ck_assert_str_eq(why, "mode=maildir needs spool=DIR (or a STATE_DIRECTORY)");
	ck_assert_int_eq(parse(&o, "/var/lib/x", why, NULL), 0);
	ck_assert_str_eq(o.spool, "/var/lib/x");
	ck_assert_uint_eq(o.limits.max_size_bytes, SMTPD_DEFAULT_MAX_SIZE_BYTES);
	ck_assert_uint_eq(o.limits.max_recipients, 100);
	ck_assert_int_eq(o.timeout_ms, 300000);
	ck_assert(o.sync && !o.verbose);
	ck_assert_int_eq(parse(&o, NULL, why, "mode=sink", "timeout=5", "max_size=1000",
		"max_recipients=2", "max_commands=9", "max_errors=3", "hostname=mx.test",
		"sync=no", "verbose=yes", NULL), 0);
	ck_assert_int_eq(o.mode, SMTPD_MODE_SINK);
	ck_assert_int_eq(o.timeout_ms, 5000);
	ck_assert_uint_eq(o.limits.max_size_bytes, 1000);
	ck_assert_uint_eq(o.limits.max_recipients, 2);
	ck_assert_uint_eq(o.limits.max_commands, 9);
	ck_assert_uint_eq(o.limits.max_errors, 3);
	ck_assert_str_eq(o.hostname, "mx.test");
	ck_assert(!o.sync && o.verbose);
	ck_assert_int_eq(parse(&o, NULL, why, "spool=/s", "spool=/t", NULL), -1);
	ck_assert_str_eq(why, "argument spool given twice");
	ck_assert_int_eq(parse(&o, NULL, why, "spool=relative", NULL), -1);
	ck_assert_int_eq(parse(&o, NULL, why, "bogus=1", NULL), -1);
	ck_assert_str_eq(why, "unknown argument \"bogus\" (see smtpd(8))");
	ck_assert_int_eq(parse(&o, NULL, why, "-v", NULL), -1);
	ck_assert_int_eq(parse(&o, NULL, why, "mode=sink", "timeout=0", NULL), -1);
	ck_assert_str_eq(why, "timeout=\"0\": not a number in 1..86400");
	ck_assert_int_eq(parse(&o, NULL, why, "mode=sink", "max_size=-1", NULL), -1);
	ck_assert_int_eq(parse(&o, NULL, why, "mode=sink", "hostname=a b", NULL), -1);
	ck_assert_int_eq(parse(&o, NULL, why, "mode=sink", "sync=maybe", NULL), -1);
	ck_assert_int_eq(parse(&o, NULL, why, "mode=mbox", NULL), -1);
}
END_TEST

static Suite *smtpd_parts_suite(void)
{
	Suite *s = suite_create("smtpd_parts");
	TCase *tc = tcase_create("parts");

	tcase_add_test(tc, test_lines_endings);
	tcase_add_test(tc, test_lines_overlong_across_reads);
	tcase_add_test(tc, test_lines_limit_boundary);
	tcase_add_test(tc, test_out_reply_format);
	tcase_add_test(tc, test_trace_lines);
	tcase_add_test(tc, test_addr_grammar);
	tcase_add_test(tc, test_addr_params);
	tcase_add_test(tc, test_args);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(smtpd_parts_suite());
}
