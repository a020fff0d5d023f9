/* test_metrics_text.c - Prometheus label values are escaped as the text
 * format says (\\ \" \n, nothing else), and metricsd's HTTP: which request
 * heads are served, refused or read further, and the reply head. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_text.h"
#include "services/metricsd_http.h"
#include "outbuf.h"
#include "unit.h"

static void check_label(const char *value, const char *want)
{
	struct outbuf o = { 0 };

	metrics_text_label(&o, "service", value);
	outbuf_append(&o, "", 1);
	ck_assert(!o.failed);
	ck_assert_str_eq(o.data, want);
	outbuf_free(&o);
}

START_TEST(test_label_escaping)
{
	check_label("smtp", "service=\"smtp\"");
	check_label("", "service=\"\"");
	check_label("a\"b", "service=\"a\\\"b\"");
	check_label("a\\b", "service=\"a\\\\b\"");
	check_label("a\nb", "service=\"a\\nb\"");
	check_label("\\\"\n", "service=\"\\\\\\\"\\n\"");
	/* UTF-8, tabs and the rest are kept as they are */
	check_label("caf\xc3\xa9\tx'y", "service=\"caf\xc3\xa9\tx'y\"");
	check_label("127.0.0.1:7070", "service=\"127.0.0.1:7070\"");
}
END_TEST

#define ASK(s) metricsd_http_parse((s), strlen(s))

START_TEST(test_http_requests)
{
	ck_assert_int_eq(ASK("GET /metrics HTTP/1.0\r\n\r\n"), METRICSD_HTTP_METRICS);
	ck_assert_int_eq(ASK("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n"),
			 METRICSD_HTTP_METRICS);
	ck_assert_int_eq(ASK("GET /metrics?x=1 HTTP/1.1\n\n"), METRICSD_HTTP_METRICS);
	ck_assert_int_eq(ASK("GET / HTTP/1.0\r\n\r\n"), METRICSD_HTTP_NOT_FOUND);
	ck_assert_int_eq(ASK("GET /metricsx HTTP/1.0\r\n\r\n"), METRICSD_HTTP_NOT_FOUND);
	ck_assert_int_eq(ASK("GET /metrics/ HTTP/1.0\r\n\r\n"), METRICSD_HTTP_NOT_FOUND);
	ck_assert_int_eq(ASK("POST /metrics HTTP/1.0\r\n\r\n"), METRICSD_HTTP_NOT_FOUND);
	ck_assert_int_eq(ASK("HEAD /metrics HTTP/1.0\r\n\r\n"), METRICSD_HTTP_NOT_FOUND);
	/* not yet complete */
	ck_assert_int_eq(ASK(""), METRICSD_HTTP_INCOMPLETE);
	ck_assert_int_eq(ASK("GET /metrics HTTP/1.0\r\n"), METRICSD_HTTP_INCOMPLETE);
	ck_assert_int_eq(ASK("GET /metrics HTTP/1.0\r\nHost: x\r\n\r"), METRICSD_HTTP_INCOMPLETE);
	/* not HTTP/1.x */
	ck_assert_int_eq(ASK("GET /metrics\r\n\r\n"), METRICSD_HTTP_BAD);
	ck_assert_int_eq(ASK("GET /metrics HTTP/2.0\r\n\r\n"), METRICSD_HTTP_BAD);
	ck_assert_int_eq(ASK("GET  /metrics HTTP/1.0\r\n\r\n"), METRICSD_HTTP_BAD);
	ck_assert_int_eq(ASK("get /metrics HTTP/1.0\r\n\r\n"), METRICSD_HTTP_BAD);
	ck_assert_int_eq(ASK("GET /metrics HTTP/1.0 x\r\n\r\n"), METRICSD_HTTP_BAD);
	ck_assert_int_eq(ASK("\r\n\r\n"), METRICSD_HTTP_BAD);
	/* too long: a full buffer without the end of the head */
	char *big = malloc(METRICSD_HTTP_HEAD_MAX_BYTES + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', METRICSD_HTTP_HEAD_MAX_BYTES);
	ck_assert_int_eq(metricsd_http_parse(big, METRICSD_HTTP_HEAD_MAX_BYTES - 1),
			 METRICSD_HTTP_INCOMPLETE);
	ck_assert_int_eq(metricsd_http_parse(big, METRICSD_HTTP_HEAD_MAX_BYTES), METRICSD_HTTP_BAD);
	ck_assert_int_eq(metricsd_http_parse(big, METRICSD_HTTP_HEAD_MAX_BYTES + 1),
			 METRICSD_HTTP_BAD);
	free(big);
}
END_TEST

START_TEST(test_http_head)
{
	char buf[256];
	size_t n = metricsd_http_head(buf, sizeof(buf), 200, 1234);

	ck_assert_uint_eq(n, strlen(buf));
	ck_assert_str_eq(buf, "HTTP/1.0 200 OK\r\n"
			 "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
			 "Content-Length: 1234\r\nConnection: close\r\n\r\n");
	metricsd_http_head(buf, sizeof(buf), 404, 0);
	ck_assert(strncmp(buf, "HTTP/1.0 404 Not Found\r\n", 24) == 0);
	ck_assert_uint_eq(metricsd_http_head(buf, 20, 200, 1), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("metrics_text");
	TCase *tc = tcase_create("text");

	tcase_add_test(tc, test_label_escaping);
	tcase_add_test(tc, test_http_requests);
	tcase_add_test(tc, test_http_head);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
