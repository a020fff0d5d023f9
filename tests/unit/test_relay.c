/* test_relay.c - the stderr relay's pure parts, with a fake clock: the
 * token bucket, the per-worker rate limit with its summary, and the
 * escaping of worker text. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bucket.h"
#include "logtext.h"
#include "relaylimit.h"
#include "unit.h"

/* --- bucket ------------------------------------------------------------ */

START_TEST(test_bucket_burst_then_rate)
{
	struct bucket b;

	bucket_init(&b, 10, 5, 1000);
	for (int i = 0; i < 5; i++)
		ck_assert(bucket_take(&b, 1, 1000));
	ck_assert(!bucket_take(&b, 1, 1000));
	/* 10/s: one token per 100 ms, not before. */
	ck_assert(!bucket_take(&b, 1, 1099));
	ck_assert(bucket_take(&b, 1, 1100));
	ck_assert(!bucket_take(&b, 1, 1150));
	/* A long quiet refills to the burst, no more. */
	ck_assert_uint_eq(bucket_level(&b, 1000000), 5);
}
END_TEST

START_TEST(test_bucket_fractions_accumulate)
{
	struct bucket b;
	unsigned got = 0;

	/* 3/s over 1 s, asked every ms: exactly 3 (no rounding loss). */
	bucket_init(&b, 3, 2, 0);
	ck_assert(bucket_take(&b, 2, 0));
	for (uint64_t t = 1; t <= 1000; t++)
		got += bucket_take(&b, 1, t) ? 1 : 0;
	ck_assert_uint_eq(got, 3);
}
END_TEST

START_TEST(test_bucket_take_all_or_nothing)
{
	struct bucket b;

	bucket_init(&b, 100, 10, 0);
	ck_assert(bucket_take(&b, 7, 0));
	ck_assert(!bucket_take(&b, 4, 0)); /* 3 left: none taken */
	ck_assert_uint_eq(bucket_level(&b, 0), 3);
	ck_assert(!bucket_take(&b, 11, 1000000)); /* more than the burst: never */
}
END_TEST

START_TEST(test_bucket_ready_ms)
{
	struct bucket b;

	bucket_init(&b, 1000, 100, 0);
	ck_assert(bucket_take(&b, 100, 0));
	ck_assert_uint_eq(bucket_ready_ms(&b, 10, 0), 10);
	ck_assert_uint_eq(bucket_ready_ms(&b, 500, 0), 100); /* capped at the burst */
	ck_assert_uint_eq(bucket_ready_ms(&b, 10, 20), 20);
	bucket_init(&b, 0, 5, 0);
	ck_assert(bucket_take(&b, 5, 0));
	ck_assert_uint_eq(bucket_ready_ms(&b, 1, 0), UINT64_MAX);
}
END_TEST

START_TEST(test_bucket_clock_backwards)
{
	struct bucket b;

	bucket_init(&b, 1000, 10, 5000);
	ck_assert(bucket_take(&b, 10, 5000));
	ck_assert(!bucket_take(&b, 1, 4000)); /* no refill from the past */
	ck_assert(bucket_take(&b, 1, 5001));
}
END_TEST

/* --- relaylimit --------------------------------------------------------- */

/* Lines of `bytes` offered every `step_ms` from t0 for dur_ms: how many
 * were allowed. */
static unsigned offer(struct relaylimit *l, uint64_t t0, uint64_t dur_ms, uint64_t step_ms,
		      size_t bytes, unsigned per_step)
{
	unsigned ok = 0;

	for (uint64_t t = t0; t < t0 + dur_ms; t += step_ms)
		for (unsigned i = 0; i < per_step; i++)
			ok += relaylimit_line(l, bytes, t) ? 1 : 0;
	return ok;
}

START_TEST(test_limit_burst_lines)
{
	struct relaylimit l;
	uint64_t b, n;

	relaylimit_init(&l, 0);
	ck_assert(!relaylimit_summary(&l, &b, &n));
	ck_assert_uint_eq(offer(&l, 0, 1, 1, 10, 5000), RELAYLIMIT_LINES_BURST);
	ck_assert(relaylimit_summary(&l, &b, &n));
	ck_assert_uint_eq(n, 5000 - RELAYLIMIT_LINES_BURST);
	ck_assert_uint_eq(b, (5000 - RELAYLIMIT_LINES_BURST) * 10);
	ck_assert(!relaylimit_summary(&l, &b, &n)); /* reported once */
}
END_TEST

START_TEST(test_limit_burst_bytes)
{
	struct relaylimit l;

	relaylimit_init(&l, 0);
	/* 1000-byte lines: the byte burst ends it first. */
	ck_assert_uint_eq(offer(&l, 0, 1, 1, 1000, 1000), RELAYLIMIT_BYTES_BURST / 1000);
}
END_TEST

START_TEST(test_limit_sustained_rate)
{
	struct relaylimit l;

	relaylimit_init(&l, 0);
	offer(&l, 0, 1, 1, 10, RELAYLIMIT_LINES_BURST); /* spend the burst */
	/* A steady flood for 10 s, 100 lines every 10 ms: about the rate,
	 * in runs of about RESUME_PCT of the burst. */
	unsigned ok = offer(&l, 10, 10000, 10, 10, 100);
	ck_assert_uint_le(ok, RELAYLIMIT_LINES_PER_S * 10 + 10);
	ck_assert_uint_ge(ok, RELAYLIMIT_LINES_PER_S * 10 * 8 / 10);
}
END_TEST

START_TEST(test_limit_hysteresis)
{
	struct relaylimit l;
	uint64_t b, n;
	unsigned resume_lines = RELAYLIMIT_LINES_BURST * RELAYLIMIT_RESUME_PCT / 100;
	uint64_t resume_ms = 1000ull * resume_lines / RELAYLIMIT_LINES_PER_S;

	relaylimit_init(&l, 0);
	offer(&l, 0, 1, 1, 10, RELAYLIMIT_LINES_BURST + 1); /* now suppressing */
	/* One token back (5 ms at 200/s) is not enough to resume. */
	ck_assert(!relaylimit_line(&l, 10, 10));
	ck_assert(!relaylimit_line(&l, 10, resume_ms - 1));
	ck_assert(relaylimit_line(&l, 10, resume_ms + 1));
	ck_assert(relaylimit_summary(&l, &b, &n));
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(b, 30);
	/* Resumed: the refilled lines go, one by one, without a summary. */
	ck_assert(relaylimit_line(&l, 10, resume_ms + 2));
	ck_assert(!relaylimit_summary(&l, &b, &n));
}
END_TEST

START_TEST(test_limit_refused_for_bytes_keeps_line_token)
{
	struct relaylimit l;

	relaylimit_init(&l, 0);
	ck_assert_uint_eq(offer(&l, 0, 1, 1, 1024, 1000), RELAYLIMIT_BYTES_BURST / 1024);
	ck_assert_uint_eq(bucket_level(&l.lines, 0),
			  RELAYLIMIT_LINES_BURST - RELAYLIMIT_BYTES_BURST / 1024);
}
END_TEST

START_TEST(test_limit_drop_counts)
{
	struct relaylimit l;
	uint64_t b, n;

	relaylimit_init(&l, 0);
	relaylimit_drop(&l, 4096, 0); /* left in the pipe at exit */
	ck_assert(relaylimit_summary(&l, &b, &n));
	ck_assert_uint_eq(b, 4096);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_limit_read_budget)
{
	struct relaylimit l;

	relaylimit_init(&l, 0);
	ck_assert_uint_eq(relaylimit_readable(&l, 0), RELAYLIMIT_READ_BURST_BYTES);
	relaylimit_did_read(&l, RELAYLIMIT_READ_BURST_BYTES, 0);
	ck_assert_uint_eq(relaylimit_readable(&l, 0), 0);
	uint64_t resume = relaylimit_resume_ms(&l, 0);
	ck_assert_uint_eq(resume, (1000ull * RELAYLIMIT_READ_RESUME_BYTES +
				   RELAYLIMIT_READ_BYTES_PER_S - 1) / RELAYLIMIT_READ_BYTES_PER_S);
	ck_assert_uint_ge(relaylimit_readable(&l, resume), RELAYLIMIT_READ_RESUME_BYTES);
	/* Over a long flood the reads average the rate. */
	uint64_t total = 0;
	for (uint64_t t = 1; t <= 10000; t++) {
		size_t n = relaylimit_readable(&l, t);
		relaylimit_did_read(&l, n, t);
		total += n;
	}
	ck_assert_uint_le(total, 10ull * RELAYLIMIT_READ_BYTES_PER_S + RELAYLIMIT_READ_BURST_BYTES);
}
END_TEST

/* --- logtext ------------------------------------------------------------ */

static const char *esc(const char *in, size_t n, size_t cap, bool more, size_t *used)
{
	static char out[4096];
	size_t u;
	size_t len = logtext_escape(out, cap, in, n, more, used ? used : &u);

	out[len] = '\0';
	return out;
}

#define ESC(s) esc((s), sizeof(s) - 1, 4000, false, NULL)

START_TEST(test_escape_plain_and_tab)
{
	ck_assert_str_eq(ESC("hello, world \\ 100%"), "hello, world \\ 100%");
	ck_assert_str_eq(ESC("a\tb"), "a\tb");
	ck_assert_str_eq(ESC(""), "");
}
END_TEST

START_TEST(test_escape_controls)
{
	ck_assert_str_eq(ESC("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
	ck_assert_str_eq(ESC("a\rb\nc\a\x7f"), "a\\x0db\\x0ac\\x07\\x7f");
	ck_assert_str_eq(esc("a\0b", 3, 4000, false, NULL), "a\\x00b");
}
END_TEST

START_TEST(test_escape_utf8)
{
	ck_assert_str_eq(ESC("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
			 "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	/* C1 controls (8-bit CSI), separators, bidi overrides. */
	ck_assert_str_eq(ESC("\xc2\x9b" "31m"), "\\xc2\\x9b31m");
	ck_assert_str_eq(ESC("\xc2\xa0"), "\xc2\xa0"); /* NBSP is fine */
	ck_assert_str_eq(ESC("\xe2\x80\xae" "evil"), "\\xe2\\x80\\xaeevil");
	ck_assert_str_eq(ESC("\xe2\x80\xa8"), "\\xe2\\x80\\xa8");
	ck_assert_str_eq(ESC("\xe2\x81\xa6"), "\\xe2\\x81\\xa6");
	ck_assert_str_eq(ESC("\xe2\x80\x94"), "\xe2\x80\x94"); /* em dash */
}
END_TEST

/* The invisible format characters: a worker's line must not hide text
 * or reorder how it shows. Their neighbours pass. */
START_TEST(test_escape_format_characters)
{
	static const char *const hidden[] = {
		"\xc2\xad",         /* U+00AD soft hyphen */
		"\xd8\x9c",         /* U+061C Arabic letter mark */
		"\xe1\xa0\x8e",     /* U+180E Mongolian vowel separator */
		"\xe2\x80\x8b",     /* U+200B zero width space */
		"\xe2\x80\x8d",     /* U+200D zero width joiner */
		"\xe2\x80\x8f",     /* U+200F right-to-left mark */
		"\xe2\x81\xa0",     /* U+2060 word joiner */
		"\xe2\x81\xa4",     /* U+2064 invisible plus */
		"\xe2\x81\xaf",     /* U+206F nominal digit shapes */
		"\xef\xbb\xbf",     /* U+FEFF byte order mark */
		"\xef\xbf\xb9",     /* U+FFF9 interlinear annotation anchor */
		"\xf3\xa0\x80\x81", /* U+E0001 language tag */
		"\xf3\xa0\x81\xbf", /* U+E007F cancel tag */
	};
	static const char *const shown[] = {
		"\xc2\xac",         /* U+00AC not sign */
		"\xd8\x9b",         /* U+061B Arabic semicolon */
		"\xe2\x80\x8a",     /* U+200A hair space */
		"\xe2\x80\x90",     /* U+2010 hyphen */
		"\xe2\x80\xaf",     /* U+202F narrow no-break space */
		"\xe2\x81\x9f",     /* U+205F medium mathematical space */
		"\xe2\x81\xb0",     /* U+2070 superscript zero */
		"\xef\xbb\xbe",     /* U+FEFE Arabic ligature */
		"\xef\xbf\xbc",     /* U+FFFC object replacement character */
		"\xf3\xa0\x82\x80", /* U+E0080 */
	};
	char want[64];

	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		size_t n = strlen(hidden[i]), at = 0;
		for (size_t k = 0; k < n; k++, at += 4)
			snprintf(want + at, sizeof(want) - at, "\\x%02x", (unsigned char)hidden[i][k]);
		ck_assert_str_eq(esc(hidden[i], n, 4000, false, NULL), want);
	}
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		ck_assert_str_eq(esc(shown[i], strlen(shown[i]), 4000, false, NULL), shown[i]);
}
END_TEST

START_TEST(test_escape_invalid_utf8)
{
	ck_assert_str_eq(ESC("\xff\xfe"), "\\xff\\xfe");
	ck_assert_str_eq(ESC("\xc3\x28"), "\\xc3(");            /* bad continuation */
	ck_assert_str_eq(ESC("\xc0\xaf"), "\\xc0\\xaf");         /* overlong '/' */
	ck_assert_str_eq(ESC("\xe0\x80\xaf"), "\\xe0\\x80\\xaf"); /* overlong */
	ck_assert_str_eq(ESC("\xed\xa0\x80"), "\\xed\\xa0\\x80"); /* surrogate */
	ck_assert_str_eq(ESC("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80"); /* > U+10FFFF */
	ck_assert_str_eq(ESC("\x80"), "\\x80");                   /* lone continuation */
	ck_assert_str_eq(ESC("\xe2\x82"), "\\xe2\\x82");         /* cut, nothing follows */
}
END_TEST

START_TEST(test_escape_incomplete_waits_when_more_follows)
{
	size_t used;

	ck_assert_str_eq(esc("ab\xe2\x82", 4, 4000, true, &used), "ab");
	ck_assert_uint_eq(used, 2);
	/* Invalid even so far: escaped at once. */
	ck_assert_str_eq(esc("ab\xe2\x28", 4, 4000, true, &used), "ab\\xe2(");
	ck_assert_uint_eq(used, 4);
}
END_TEST

START_TEST(test_escape_cap_never_cuts_a_character)
{
	size_t used;

	ck_assert_str_eq(esc("abcdef", 6, 4, false, &used), "abcd");
	ck_assert_uint_eq(used, 4);
	/* "\x1b" needs 4 bytes: not started with 3 left. */
	ck_assert_str_eq(esc("a\x1b", 2, 4, false, &used), "a");
	ck_assert_uint_eq(used, 1);
	ck_assert_str_eq(esc("a\xc3\xa9", 3, 2, false, &used), "a");
	ck_assert_uint_eq(used, 1);
	/* Worst case: every byte escaped, a quarter of the cap consumed. */
	char ctl[1024];
	memset(ctl, 1, sizeof(ctl));
	esc(ctl, sizeof(ctl), 1024, false, &used);
	ck_assert_uint_eq(used, 1024 / LOGTEXT_ESCAPE_BYTES);
}
END_TEST

START_TEST(test_escape_output_is_clean)
{
	/* Every byte value, alone and in pairs: the output has no control
	 * byte but tab, and escaping it again changes nothing. */
	char in[2], out[64], again[256];
	for (unsigned a = 0; a < 256; a++) {
		for (unsigned c = 0; c < 256; c += 17) {
			size_t used, used2;
			in[0] = (char)a;
			in[1] = (char)c;
			size_t len = logtext_escape(out, sizeof(out), in, 2, false, &used);
			ck_assert_uint_eq(used, 2);
			for (size_t i = 0; i < len; i++) {
				unsigned char b = (unsigned char)out[i];
				ck_assert(b == '\t' || (b >= 0x20 && b != 0x7f));
			}
			size_t len2 = logtext_escape(again, sizeof(again), out, len, false, &used2);
			ck_assert_uint_eq(len2, len);
			ck_assert(memcmp(again, out, len) == 0);
		}
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("relay");
	TCase *tb = tcase_create("bucket");
	TCase *tl = tcase_create("limit");
	TCase *te = tcase_create("escape");

	tcase_add_test(tb, test_bucket_burst_then_rate);
	tcase_add_test(tb, test_bucket_fractions_accumulate);
	tcase_add_test(tb, test_bucket_take_all_or_nothing);
	tcase_add_test(tb, test_bucket_ready_ms);
	tcase_add_test(tb, test_bucket_clock_backwards);
	tcase_add_test(tl, test_limit_burst_lines);
	tcase_add_test(tl, test_limit_burst_bytes);
	tcase_add_test(tl, test_limit_sustained_rate);
	tcase_add_test(tl, test_limit_hysteresis);
	tcase_add_test(tl, test_limit_refused_for_bytes_keeps_line_token);
	tcase_add_test(tl, test_limit_drop_counts);
	tcase_add_test(tl, test_limit_read_budget);
	tcase_add_test(te, test_escape_plain_and_tab);
	tcase_add_test(te, test_escape_controls);
	tcase_add_test(te, test_escape_utf8);
	tcase_add_test(te, test_escape_format_characters);
	tcase_add_test(te, test_escape_invalid_utf8);
	tcase_add_test(te, test_escape_incomplete_waits_when_more_follows);
	tcase_add_test(te, test_escape_cap_never_cuts_a_character);
	tcase_add_test(te, test_escape_output_is_clean);
	suite_add_tcase(s, tb);
	suite_add_tcase(s, tl);
	suite_add_tcase(s, te);
	return unit_run(s);
}
