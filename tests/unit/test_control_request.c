/* test_control_request.c - unit tests for the control request parser
 * (control_request.c): each verb and its argument counts, the blanks that
 * separate words (CR included), the word limit and every error. */
#include <check.h>
#include <string.h>

#include "control_request.h"
#include "unit.h"

static struct control_request req;
static char line[2048];

static enum control_request_verb parse(const char *text)
{
	snprintf(line, sizeof(line), "%s", text);
	return control_request_parse(line, &req);
}

START_TEST(test_verbs)
{
	ck_assert_int_eq(parse("status"), CONTROL_REQUEST_STATUS);
	ck_assert_int_eq(req.argc, 1);
	ck_assert_int_eq(parse("status echo --json"), CONTROL_REQUEST_STATUS);
	ck_assert_int_eq(req.argc, 3);
	ck_assert_str_eq(req.argv[1], "echo");
	ck_assert_str_eq(req.argv[2], "--json");
	ck_assert_int_eq(parse("stop"), CONTROL_REQUEST_STOP);
	ck_assert_int_eq(parse("stop --now"), CONTROL_REQUEST_STOP_NOW);
	ck_assert_int_eq(parse("reload"), CONTROL_REQUEST_RELOAD);
	ck_assert_int_eq(parse("recycle all"), CONTROL_REQUEST_RECYCLE);
	ck_assert_str_eq(req.argv[1], "all");
	ck_assert_ptr_null(req.error);
}
END_TEST

START_TEST(test_blanks)
{
	ck_assert_int_eq(parse(" \tstop\r"), CONTROL_REQUEST_STOP); /* CRLF client */
	ck_assert_int_eq(req.argc, 1);
	ck_assert_str_eq(req.argv[0], "stop");
	ck_assert_int_eq(parse("recycle\t\t echo  "), CONTROL_REQUEST_RECYCLE);
	ck_assert_str_eq(req.argv[1], "echo");
}
END_TEST

START_TEST(test_errors)
{
	ck_assert_int_eq(parse(""), CONTROL_REQUEST_INVALID);
	ck_assert_str_eq(req.error, "empty request");
	ck_assert_int_eq(parse(" \t\r "), CONTROL_REQUEST_INVALID);
	ck_assert_str_eq(req.error, "empty request");
	ck_assert_int_eq(parse("hello world"), CONTROL_REQUEST_INVALID);
	ck_assert_str_eq(req.error, "unknown request");
	ck_assert_str_eq(req.error_arg, "hello");
	ck_assert_int_eq(parse("STATUS"), CONTROL_REQUEST_INVALID); /* case matters */
	const char *usage[] = { "stop now", "stop --now x", "reload x", "recycle", "recycle a b" };
	for (size_t i = 0; i < sizeof(usage) / sizeof(usage[0]); i++) {
		ck_assert_int_eq(parse(usage[i]), CONTROL_REQUEST_INVALID);
		ck_assert_msg(strncmp(req.error, "usage: ", 7) == 0, "%s: %s", usage[i], req.error);
		ck_assert_ptr_null(req.error_arg);
	}
}
END_TEST

START_TEST(test_word_limit)
{
	ck_assert_int_eq(parse("status a b c d e f g"), CONTROL_REQUEST_STATUS);
	ck_assert_int_eq(req.argc, CONTROL_REQUEST_ARGS_MAX);
	ck_assert_int_eq(parse("status a b c d e f g h"), CONTROL_REQUEST_INVALID);
	ck_assert_str_eq(req.error, "too many arguments");
	ck_assert_int_le(req.argc, CONTROL_REQUEST_ARGS_MAX);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("control_request");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_verbs);
	tcase_add_test(tc, test_blanks);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_word_limit);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
