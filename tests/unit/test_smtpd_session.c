/* test_smtpd_session.c - smtpd's SMTP state machine, without sockets:
 * client text goes through the real line framing into the session (in
 * chunks, pipelined), and every reply code is checked, with what the
 * store was given. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "smtpd_fake.h"
#include "unit.h"

#define EHLO_REPLY "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 10000\r\n" \
	"250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n"

static struct fake t;

static void setup(void)
{
	fake_init(&t);
	fake_start(&t);
}

static void ehlo(void)
{
	ck_assert_str_eq(fake_send(&t, "EHLO client.test\r\n"), EHLO_REPLY);
}

START_TEST(test_greeting_and_ehlo)
{
	ck_assert_str_eq(t.replies, "220 mx.test ESMTP\r\n");
	ehlo();
	ck_assert_str_eq(t.s.env.helo, "client.test");
	ck_assert(t.s.env.esmtp);
	ck_assert_str_eq(fake_send(&t, "HELO other.test\r\n"), "250 mx.test\r\n");
	ck_assert(!t.s.env.esmtp);
	ck_assert_str_eq(fake_send(&t, "ehlo\r\n"), "501 5.5.4 Syntax: EHLO hostname\r\n");
	ck_assert_str_eq(fake_send(&t, "HELO a b\r\n"), "501 5.5.4 Syntax: HELO hostname\r\n");
}
END_TEST

START_TEST(test_one_message_dot_unstuffed)
{
	ehlo();
	ck_assert_str_eq(fake_send(&t, "MAIL FROM:<a@example.org>\r\n"), "250 2.1.0 Ok\r\n");
	ck_assert_str_eq(fake_send(&t, "RCPT TO:<b@example.net>\r\n"), "250 2.1.5 Ok\r\n");
	ck_assert_str_eq(fake_send(&t, "DATA\r\n"), "354 End data with <CR><LF>.<CR><LF>\r\n");
	ck_assert_int_eq(t.store.begins, 1);
	ck_assert_str_eq(t.store.env.from, "a@example.org");
	ck_assert_str_eq(t.store.env.rcpt, "b@example.net");
	ck_assert_str_eq(t.store.env.client, "[192.0.2.1]");
	ck_assert_str_eq(fake_send(&t, "Subject: x\r\n\r\n..leading dot\r\n.single\r\n"
		"...\r\n. \r\nend\r\n.\r\n"), "250 2.0.0 Ok: queued as ID1\r\n");
	ck_assert_int_eq(t.store.commits, 1);
	ck_assert_uint_eq(t.store.last_len, strlen("Subject: x\r\n\r\n.leading dot\r\nsingle\r\n"
		"..\r\n \r\nend\r\n"));
	ck_assert(memcmp(t.store.last, "Subject: x\r\n\r\n.leading dot\r\nsingle\r\n..\r\n \r\nend\r\n",
		t.store.last_len) == 0);
	ck_assert_uint_eq(t.s.accepted, 1);
	/* The transaction is over: a second MAIL is fine, a RCPT is not. */
	ck_assert_str_eq(fake_send(&t, "RCPT TO:<b@example.net>\r\n"),
		"503 5.5.1 Error: need MAIL command\r\n");
	ck_assert_str_eq(fake_send(&t, "QUIT\r\n"), "221 2.0.0 Bye\r\n");
	ck_assert(smtpd_session_closed(&t.s));
	ck_assert_str_eq(fake_send(&t, "NOOP\r\n"), "");
}
END_TEST

START_TEST(test_pipelined_group_in_one_read)
{
	const char *in = "EHLO c.test\r\nMAIL FROM:<a@b.test> BODY=8BITMIME SIZE=20\r\n"
		"RCPT TO:<x@y.test>\r\nRCPT TO:<bad>\r\nRCPT TO:<z@y.test>\r\nDATA\r\n"
		"h\xc3\xa9llo\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<Postmaster>\r\nDATA\r\n.\r\n"
		"NOOP\r\nRSET\r\nVRFY someone\r\nQUIT\r\nNOOP\r\n";

	ck_assert_str_eq(fake_send(&t, in), EHLO_REPLY
		"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n501 5.1.3 Bad recipient address syntax\r\n"
		"250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
		"250 2.0.0 Ok: queued as ID1\r\n"
		"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
		"250 2.0.0 Ok: queued as ID2\r\n"
		"250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n252 2.0.0 Send some mail, I'll try my best\r\n"
		"221 2.0.0 Bye\r\n");
	ck_assert_int_eq(t.store.commits, 2);
	ck_assert_uint_eq(t.store.last_len, 0);         /* the empty second message */
	ck_assert_str_eq(t.store.env.from, "");
	ck_assert_str_eq(t.store.env.rcpt, "Postmaster");
}
END_TEST

START_TEST(test_pipelined_byte_by_byte)
{
	const char *in = "HELO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n"
		"..x\r\n.\r\nQUIT\r\n";

	ck_assert_str_eq(fake_send_chunked(&t, in, strlen(in), 1),
		"250 mx.test\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
		"354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as ID1\r\n"
		"221 2.0.0 Bye\r\n");
	ck_assert_uint_eq(t.store.last_len, 4);
	ck_assert(memcmp(t.store.last, ".x\r\n", 4) == 0);
}
END_TEST

START_TEST(test_bad_sequence_503)
{
	ck_assert_str_eq(fake_send(&t, "MAIL FROM:<a@b.c>\r\n"),
		"503 5.5.1 Error: send HELO/EHLO first\r\n");
	ck_assert_str_eq(fake_send(&t, "RCPT TO:<a@b.c>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
	ck_assert_str_eq(fake_send(&t, "DATA\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
	ehlo();
	ck_assert_str_eq(fake_send(&t, "DATA\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
	ck_assert_str_eq(fake_send(&t, "MAIL FROM:<a@b.c>\r\n"), "250 2.1.0 Ok\r\n");
	ck_assert_str_eq(fake_send(&t, "MAIL FROM:<a@b.c>\r\n"),
		"503 5.5.1 Error: nested MAIL command\r\n");
	ck_assert_str_eq(fake_send(&t, "DATA\r\n"), "503 5.5.1 Error: need RCPT command\r\n");
	ck_assert_int_eq(t.store.begins, 0);
	/* RSET ends the transaction: RCPT needs a MAIL again. */
	ck_assert_str_eq(fake_send(&t, "RSET\r\n"), "250 2.0.0 Ok\r\n");
	ck_assert_str_eq(fake_send(&t, "RCPT TO:<a@b.c>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
	ck_assert_uint_eq(t.s.errors, 7);
}
END_TEST

START_TEST(test_syntax_501_500_502_555)
{
	t.limits.max_errors = 100;
	ehlo();
	ck_assert_str_eq(fake_send(&t, "MAIL TO:<a@b.c>\r\n"), "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
	ck_assert_str_eq(fake_send(&t, "MAIL FROM:a@b.c\r\n"), "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
	ck_assert_str_eq(fake_send(&t, "MAIL FROM:<a@b.c>x\r\n"), "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
	ck_assert_str_eq(fake_send(&t, "MAIL FROM:<a..b@c>\r\n"), "501 5.1.7 Bad sender address syntax\r\n");
	ck_assert_str_eq(fake_send(&t, "MAIL FROM:<a@-c>\r\n"), "501 5.1.7 Bad sender address syntax\r\n");
	ck_assert_str_eq(fake_send(&t, "MAIL FROM:<a@b.c> SIZE=x\r\n"), "501 5.5.4 Bad message size syntax\r\n");
	ck_assert_str_eq(fake_send(&t, "MAIL FROM:<a@b.c> SIZE=10001\r\n"),
		"552 5.3.4 Message size exceeds fixed limit\r\n");
	ck_assert_str_eq(fake_send(&t, "MAIL FROM:<a@b.c> SIZE=99999999999999999999999\r\n"),
		"501 5.5.4 Bad message size syntax\r\n");
	ck_assert_str_eq(fake_send(&t, "MAIL FROM:<a@b.c> AUTH=<>\r\n"), "555 5.5.4 Unsupported option: AUTH\r\n");
	ck_assert_str_eq(fake_send(&t, "MAIL FROM:<a@b.c> BODY=BINARYMIME\r\n"),
		"555 5.5.4 Unsupported option: BODY\r\n");
	/* Blanks after the colon, a source route, a quoted local part, an
	 * address literal: all accepted. */
	ck_assert_str_eq(fake_send(&t, "MAIL FROM: <@r1.test,@r2.test:\"x y\"@[192.0.2.9]> SIZE=10000\r\n"),
		"250 2.1.0 Ok\r\n");
	ck_assert_str_eq(t.s.env.from, "\"x y\"@[192.0.2.9]");
	ck_assert_str_eq(fake_send(&t, "RCPT TO:<>\r\n"), "501 5.1.3 Bad recipient address syntax\r\n");
	ck_assert_str_eq(fake_send(&t, "RCPT TO:<a@b.c> NOTIFY=NEVER\r\n"), "555 5.5.4 Unsupported option\r\n");
	ck_assert_str_eq(fake_send(&t, "RCPT FROM:<a@b.c>\r\n"), "501 5.5.4 Syntax: RCPT TO:<address>\r\n");
	ck_assert_str_eq(fake_send(&t, "DATA now\r\n"), "501 5.5.4 Syntax: DATA\r\n");
	ck_assert_str_eq(fake_send(&t, "RSET all\r\n"), "501 5.5.4 Syntax: RSET\r\n");
	ck_assert_str_eq(fake_send(&t, "VRFY\r\n"), "501 5.5.4 Syntax: VRFY address\r\n");
	ck_assert_str_eq(fake_send(&t, "NOOP anything at all\r\n"), "250 2.0.0 Ok\r\n");
	ck_assert_str_eq(fake_send(&t, "EXPN list\r\n"), "502 5.5.1 Error: command not implemented\r\n");
	ck_assert_str_eq(fake_send(&t, "STARTTLS\r\n"), "502 5.5.1 Error: command not implemented\r\n");
	ck_assert_str_eq(fake_send(&t, "BDAT 10 LAST\r\n"), "502 5.5.1 Error: command not implemented\r\n");
	ck_assert_str_eq(fake_send(&t, "FOO\r\n"), "500 5.5.2 Error: command not recognized\r\n");
	ck_assert_str_eq(fake_send(&t, "\r\n"), "500 5.5.2 Error: bad syntax\r\n");
	ck_assert_str_eq(fake_send(&t, "NOOP \x01\r\n"), "500 5.5.2 Error: bad character in command\r\n");
	ck_assert_str_eq(fake_send(&t, "NOOP \xff\r\n"), "500 5.5.2 Error: bad character in command\r\n");
}
END_TEST

START_TEST(test_params_need_ehlo)
{
	ck_assert_str_eq(fake_send(&t, "HELO c\r\n"), "250 mx.test\r\n");
	ck_assert_str_eq(fake_send(&t, "MAIL FROM:<a@b.c> SIZE=10\r\n"),
		"555 5.5.4 Error: parameters need EHLO\r\n");
	ck_assert_str_eq(fake_send(&t, "MAIL FROM:<a@b.c>\r\n"), "250 2.1.0 Ok\r\n");
}
END_TEST

START_TEST(test_path_too_long)
{
	char line[600];
	char at[300];

	ehlo();
	memset(at, 'a', 251);
	at[251] = '\0';
	snprintf(line, sizeof(line), "MAIL FROM:<%s@b.c>\r\n", at);     /* <251+4> = 257 octets */
	ck_assert_str_eq(fake_send(&t, line), "501 5.1.7 Error: path too long\r\n");
	at[250] = '\0';                                                  /* exactly 256 */
	snprintf(line, sizeof(line), "MAIL FROM:<%s@b.c>\r\n", at);
	ck_assert_str_eq(fake_send(&t, line), "250 2.1.0 Ok\r\n");
	ck_assert_uint_eq(strlen(t.s.env.from), 254);
	at[250] = 'a';
	snprintf(line, sizeof(line), "RCPT TO:<%s@b.c>\r\n", at);
	ck_assert_str_eq(fake_send(&t, line), "501 5.1.3 Error: path too long\r\n");
}
END_TEST

START_TEST(test_recipient_limit_452)
{
	ehlo();
	fake_send(&t, "MAIL FROM:<a@b.c>\r\n");
	for (int i = 0; i < 3; i++)
		ck_assert_str_eq(fake_send(&t, "RCPT TO:<a@b.c>\r\n"), "250 2.1.5 Ok\r\n");
	ck_assert_str_eq(fake_send(&t, "RCPT TO:<a@b.c>\r\n"), "452 4.5.3 Error: too many recipients\r\n");
	ck_assert_uint_eq(t.s.env.rcpts, 3);
	ck_assert_str_eq(fake_send(&t, "DATA\r\n.\r\n"),
		"354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as ID1\r\n");
	ck_assert_uint_eq(t.store.env.rcpts, 3);
}
END_TEST

/* A command line of n octets including CRLF. */
static const char *cmd_of(size_t n)
{
	static char buf[4096];

	ck_assert_uint_lt(n, sizeof(buf));
	memcpy(buf, "NOOP ", 5);
	memset(buf + 5, 'x', n - 7);
	memcpy(buf + n - 2, "\r\n", 3);
	return buf;
}

START_TEST(test_line_length_limit)
{
	ehlo();
	ck_assert_str_eq(fake_send(&t, cmd_of(1000)), "250 2.0.0 Ok\r\n");
	ck_assert_str_eq(fake_send(&t, cmd_of(1001)), "500 5.5.2 Error: line too long\r\n");
	ck_assert_str_eq(fake_send(&t, cmd_of(3000)), "500 5.5.2 Error: line too long\r\n");
	/* Cut into small reads, the long line is still one line, one reply. */
	ck_assert_str_eq(fake_send_chunked(&t, cmd_of(3000), 3000, 7),
		"500 5.5.2 Error: line too long\r\n");
	ck_assert_str_eq(fake_send(&t, "NOOP\r\n"), "250 2.0.0 Ok\r\n");
}
END_TEST

START_TEST(test_data_line_too_long_500)
{
	static char big[3000];

	t.limits.max_size_bytes = 100000;
	fake_send(&t, "EHLO client.test\r\n");
	fake_send(&t, "MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n");
	memset(big, 'y', sizeof(big) - 3);
	memcpy(big + sizeof(big) - 3, "\r\n", 3);
	fake_send(&t, "ok line\r\n");
	/* The long line ends in CRLF: the "." after it still ends the text. */
	ck_assert_str_eq(fake_send_chunked(&t, big, strlen(big), 100), "");
	ck_assert_str_eq(fake_send(&t, ".\r\n"), "500 5.5.2 Error: message line too long\r\n");
	ck_assert_int_eq(t.store.commits, 0);
	ck_assert_int_eq(t.store.aborts, 1);
	ck_assert_uint_eq(t.s.refused, 1);
	ck_assert_int_eq(t.s.state, SMTPD_STATE_READY);
}
END_TEST

START_TEST(test_message_size_552)
{
	static char text[12000];

	ehlo();
	fake_send(&t, "MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n");
	for (size_t i = 0; i + 100 <= sizeof(text); i += 100) {
		memset(text + i, 'z', 98);
		memcpy(text + i + 98, "\r\n", 2);
	}
	text[sizeof(text) - 1] = '\0';
	fake_send_chunked(&t, text, 11000, 0);  /* 110 lines of 100: 11000 > 10000 */
	ck_assert_int_eq(t.store.aborts, 1);    /* dropped as soon as it passed the limit */
	ck_assert_str_eq(fake_send(&t, ".\r\n"), "552 5.3.4 Error: message file too big\r\n");
	ck_assert_int_eq(t.store.commits, 0);
	/* Exactly the limit passes. */
	fake_send(&t, "MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n");
	fake_send_chunked(&t, text, 10000, 0);
	ck_assert_str_eq(fake_send(&t, ".\r\n"), "250 2.0.0 Ok: queued as ID1\r\n");
	ck_assert_uint_eq(t.store.last_len, 10000);
	ck_assert_uint_eq(t.s.accepted_bytes, 10000);
}
END_TEST

START_TEST(test_bare_lf_no_smuggling)
{
	ehlo();
	fake_send(&t, "MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n");
	/* "\n.\r\n" and ".\n" do not end the text; what follows is text,
	 * not a second transaction. */
	ck_assert_str_eq(fake_send(&t, "one\n.\r\nMAIL FROM:<evil@x.y>\r\n.\n"
		"RCPT TO:<victim@x.y>\r\nDATA\r\n"), "");
	ck_assert_int_eq(t.s.state, SMTPD_STATE_DATA);
	ck_assert_str_eq(fake_send(&t, ".\r\n"), "550 5.5.2 Error: bare <LF> received\r\n");
	ck_assert_int_eq(t.store.commits, 0);
	ck_assert_int_eq(t.store.begins, 1);
	/* CR alone is not a line end either. */
	fake_send(&t, "MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n");
	ck_assert_str_eq(fake_send(&t, "x\r.\rMAIL FROM:<e@x.y>\r\n.\r\n"),
		"250 2.0.0 Ok: queued as ID1\r\n");
	ck_assert_uint_eq(t.store.last_len, strlen("x\r.\rMAIL FROM:<e@x.y>\r\n"));
}
END_TEST

START_TEST(test_command_limit_421)
{
	fake_init(&t);
	t.limits.max_commands = 4;
	fake_start(&t);
	ck_assert_str_eq(fake_send(&t, "NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n"),
		"250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n"
		"421 4.7.0 mx.test Error: too many commands\r\n");
	ck_assert(smtpd_session_closed(&t.s));
}
END_TEST

START_TEST(test_error_limit_421)
{
	fake_init(&t);
	t.limits.max_errors = 3;
	fake_start(&t);
	ck_assert_str_eq(fake_send(&t, "X\r\nNOOP\r\nY\r\nZ\r\nNOOP\r\n"),
		"500 5.5.2 Error: command not recognized\r\n250 2.0.0 Ok\r\n"
		"500 5.5.2 Error: command not recognized\r\n"
		"500 5.5.2 Error: command not recognized\r\n"
		"421 4.7.0 mx.test Error: too many errors\r\n");
	ck_assert(smtpd_session_closed(&t.s));
}
END_TEST

START_TEST(test_timeout_421_drops_message)
{
	ehlo();
	fake_send(&t, "MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\npart\r\n");
	smtpd_session_timeout(&t.s, &t.out);
	fake_drain(&t);
	ck_assert(strstr(t.replies, "421 4.4.2 mx.test Error: timeout exceeded\r\n") != NULL);
	ck_assert(smtpd_session_closed(&t.s));
	ck_assert_int_eq(t.store.aborts, 1);
	ck_assert_int_eq(t.store.commits, 0);
	smtpd_session_end(&t.s);        /* a second end is harmless */
	ck_assert_int_eq(t.store.aborts, 1);
}
END_TEST

START_TEST(test_eof_mid_data_aborts)
{
	ehlo();
	fake_send(&t, "MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\npart\r\n");
	smtpd_session_end(&t.s);
	ck_assert_int_eq(t.store.aborts, 1);
	ck_assert_int_eq(t.store.commits, 0);
}
END_TEST

START_TEST(test_store_failures_451)
{
	ehlo();
	t.store.fail_begin = 1;
	ck_assert_str_eq(fake_send(&t, "MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n"),
		"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n451 4.3.0 Error: queue file write error\r\n");
	ck_assert_int_eq(t.s.state, SMTPD_STATE_RCPT);   /* the client may try DATA again */
	t.store.fail_begin = 0;
	t.store.fail_write = 1;
	ck_assert_str_eq(fake_send(&t, "DATA\r\nx\r\n.\r\n"),
		"354 End data with <CR><LF>.<CR><LF>\r\n451 4.3.0 Error: queue file write error\r\n");
	t.store.fail_write = 0;
	t.store.fail_commit = 1;
	ck_assert_str_eq(fake_send(&t, "MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nx\r\n.\r\n"),
		"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
		"451 4.3.0 Error: queue file write error\r\n");
	ck_assert_int_eq(t.store.commits, 0);
	ck_assert_uint_eq(t.s.refused, 2);
}
END_TEST

START_TEST(test_rset_and_helo_reset)
{
	ehlo();
	fake_send(&t, "MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\n");
	ck_assert_str_eq(fake_send(&t, "EHLO again\r\n"), "250-mx.test\r\n250-PIPELINING\r\n"
		"250-SIZE 10000\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n");
	ck_assert_str_eq(fake_send(&t, "DATA\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
	ck_assert_str_eq(t.s.env.helo, "again");
}
END_TEST

static Suite *smtpd_session_suite(void)
{
	Suite *s = suite_create("smtpd_session");
	TCase *tc = tcase_create("session");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_greeting_and_ehlo);
	tcase_add_test(tc, test_one_message_dot_unstuffed);
	tcase_add_test(tc, test_pipelined_group_in_one_read);
	tcase_add_test(tc, test_pipelined_byte_by_byte);
	tcase_add_test(tc, test_bad_sequence_503);
	tcase_add_test(tc, test_syntax_501_500_502_555);
	tcase_add_test(tc, test_params_need_ehlo);
	tcase_add_test(tc, test_path_too_long);
	tcase_add_test(tc, test_recipient_limit_452);
	tcase_add_test(tc, test_line_length_limit);
	tcase_add_test(tc, test_data_line_too_long_500);
	tcase_add_test(tc, test_message_size_552);
	tcase_add_test(tc, test_bare_lf_no_smuggling);
	tcase_add_test(tc, test_command_limit_421);
	tcase_add_test(tc, test_error_limit_421);
	tcase_add_test(tc, test_timeout_421_drops_message);
	tcase_add_test(tc, test_eof_mid_data_aborts);
	tcase_add_test(tc, test_store_failures_451);
	tcase_add_test(tc, test_rset_and_helo_reset);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(smtpd_session_suite());
}
