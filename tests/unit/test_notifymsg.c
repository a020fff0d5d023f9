/* test_notifymsg.c - the sd_notify datagram parser: the names understood,
 * systemd's exact values, what is ignored, what refuses a datagram whole,
 * the STATUS text's bounds and escaping. */
#include <check.h>
#include <string.h>

#include "notifymsg.h"
#include "unit.h"

static struct notifymsg parse_ok(const char *s)
{
	struct notifymsg m;

	ck_assert_int_eq(notifymsg_parse(s, strlen(s), &m), 0);
	return m;
}

START_TEST(test_known_fields)
{
	struct notifymsg m = parse_ok("READY=1\nSTATUS=Gunicorn arbiter booted\nMAINPID=4242\n");

	ck_assert(m.ready && !m.stopping && !m.watchdog && !m.watchdog_trigger);
	ck_assert(m.has_status);
	ck_assert_str_eq(m.status, "Gunicorn arbiter booted");
	ck_assert_int_eq(m.mainpid, 4242);
	ck_assert_uint_eq(m.ignored, 0);
	m = parse_ok("WATCHDOG=1");
	ck_assert(m.watchdog && !m.ready);
	m = parse_ok("WATCHDOG=trigger\nSTOPPING=1");
	ck_assert(m.watchdog_trigger && m.stopping && !m.watchdog);
	m = parse_ok("STATUS=");
	ck_assert(m.has_status);
	ck_assert_str_eq(m.status, "");
}
END_TEST

START_TEST(test_exact_values_only)
{
	struct notifymsg m = parse_ok("READY=2\nREADY= 1\nready=1\nREADY\n=1\nSTOPPING=yes\n"
				      "WATCHDOG=0\nFDSTORE=1\nRELOADING=1\n");

	ck_assert(!m.ready && !m.stopping && !m.watchdog);
	ck_assert_uint_eq(m.ignored, 9);
	const char *bad_pids[] = { "MAINPID=0", "MAINPID=-1", "MAINPID=+5", "MAINPID=012",
				   "MAINPID=2147483648", "MAINPID=99999999999", "MAINPID=1x",
				   "MAINPID=", "MAINPID= 7" };
	for (size_t i = 0; i < sizeof(bad_pids) / sizeof(bad_pids[0]); i++) {
		m = parse_ok(bad_pids[i]);
		ck_assert_int_eq(m.mainpid, 0);
		ck_assert_uint_eq(m.ignored, 1);
	}
	ck_assert_int_eq(parse_ok("MAINPID=2147483647").mainpid, 2147483647);
	/* The last assignment wins, as in systemd. */
	m = parse_ok("STATUS=one\nSTATUS=two\nMAINPID=5\nMAINPID=6");
	ck_assert_str_eq(m.status, "two");
	ck_assert_int_eq(m.mainpid, 6);
}
END_TEST

START_TEST(test_refused_whole)
{
	struct notifymsg m;
	char big[NOTIFYMSG_DATAGRAM_MAX_BYTES + 2];

	ck_assert_int_eq(notifymsg_parse("", 0, &m), -1);
	ck_assert_int_eq(notifymsg_parse("READY=1\0WATCHDOG=1", 18, &m), -1);
	ck_assert(!m.ready && !m.watchdog);
	memset(big, '\n', sizeof(big));
	memcpy(big, "READY=1\n", 8);
	ck_assert_int_eq(notifymsg_parse(big, NOTIFYMSG_DATAGRAM_MAX_BYTES + 1, &m), -1);
	ck_assert(!m.ready);
	ck_assert_int_eq(notifymsg_parse(big, NOTIFYMSG_DATAGRAM_MAX_BYTES, &m), 0);
	ck_assert(m.ready);
}
END_TEST

START_TEST(test_status_escaped_and_cut)
{
	struct notifymsg m = parse_ok("STATUS=\033[31mred\x7f\xc3\xa9\r");
	char longer[400];

	ck_assert_str_eq(m.status, "?[31mred????");
	memset(longer, 'x', sizeof(longer));
	memcpy(longer, "STATUS=", 7);
	ck_assert_int_eq(notifymsg_parse(longer, sizeof(longer), &m), 0);
	ck_assert_uint_eq(strlen(m.status), NOTIFYMSG_STATUS_MAX_BYTES);
}
END_TEST

static Suite *notifymsg_suite(void)
{
	Suite *s = suite_create("notifymsg");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_known_fields);
	tcase_add_test(tc, test_exact_values_only);
	tcase_add_test(tc, test_refused_whole);
	tcase_add_test(tc, test_status_escaped_and_cut);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(notifymsg_suite());
}
