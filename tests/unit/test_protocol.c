/* test_protocol.c - unit tests for the status channel wire format.
 *
 * Owns the checks that protocol_decode() accepts exactly the seven words
 * (with or without one '\n') and "next"/"spare" with a count, nothing
 * else, that protocol_word() round trips, and that protocol_send() puts
 * one message per packet on a real SOCK_SEQPACKET socketpair and
 * survives a closed peer without SIGPIPE. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "protocol.h"
#include "unit.h"

static const struct {
	const char *word;
	enum protocol_msg msg;
} protocol_test_words[] = {
	{ "ready", PROTOCOL_READY },
	{ "busy", PROTOCOL_BUSY },
	{ "idle", PROTOCOL_IDLE },
	{ "retiring", PROTOCOL_RETIRING },
	{ "stop", PROTOCOL_STOP },
	{ "next", PROTOCOL_NEXT },
	{ "spare", PROTOCOL_SPARE },
};
#define PROTOCOL_TEST_WORD_COUNT \
	(sizeof(protocol_test_words) / sizeof(protocol_test_words[0]))

static enum protocol_msg protocol_test_decode_str(const char *s)
{
	return protocol_decode(s, strlen(s));
}

START_TEST(test_decode_words)
{
	const char *word = protocol_test_words[_i].word;
	char line[64];

	ck_assert_int_eq(protocol_test_decode_str(word),
		protocol_test_words[_i].msg);
	snprintf(line, sizeof(line), "%s\n", word);
	ck_assert_int_eq(protocol_test_decode_str(line),
		protocol_test_words[_i].msg);
}
END_TEST

START_TEST(test_decode_invalid)
{
	static const char *const bad[] = {
		"", "\n", "hello", "start", "Ready", "READY", "BUSY", "Stop",
		"ready ", " ready", "ready \n", "ready\n\n", "ready\r\n", "\nready",
		"read", "readyx", "busyy", "idl", "retire", "retiringx", "stops",
		"ready\nbusy",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(protocol_test_decode_str(bad[i]) == PROTOCOL_INVALID,
			"\"%s\" decoded as valid", bad[i]);
}
END_TEST

/* "next N": a count of 1 .. PROTOCOL_COUNT_MAX in plain decimal, after
 * "next" only; every other spelling is invalid, and a valid word says 1. */
START_TEST(test_decode_next_count)
{
	static const struct { const char *s; unsigned count; } good[] = {
		{ "next", 1 }, { "next 1", 1 }, { "next 7\n", 7 }, { "next 42", 42 },
		{ "next 999999999", 999999999u }, { "busy", 1 }, { "idle\n", 1 },
		{ "spare", 1 }, { "spare 3", 3 }, { "spare 12\n", 12 },
	};
	static const char *const bad[] = {
		"next 0", "next 00", "next 01", "next -1", "next +1", "next ",
		"next  1", "next 1 ", "next 1\n\n", "next 1x", "next x", "next 0x10",
		"next 1000000000", "next 4294967296", "next\t1", "busy 1", "idle 2",
		"ready 1", "retiring 1", "stop 1", "nextt 1", "next 1\0",
		"spare 0", "spare 01", "spare  2", "spares 2", "spare -2",
	};
	unsigned count;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		count = 0;
		ck_assert_msg(protocol_decode_count(good[i].s, strlen(good[i].s), &count) !=
			      PROTOCOL_INVALID, "\"%s\" decoded as invalid", good[i].s);
		ck_assert_uint_eq(count, good[i].count);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(protocol_decode_count(bad[i], strlen(bad[i]) +
				(strcmp(bad[i], "next 1\0") == 0), &count) == PROTOCOL_INVALID,
			"\"%s\" decoded as valid", bad[i]);
}
END_TEST

START_TEST(test_decode_embedded_nul)
{
	ck_assert_int_eq(protocol_decode("ready\0", 6), PROTOCOL_INVALID);
	ck_assert_int_eq(protocol_decode("re\0dy", 5), PROTOCOL_INVALID);
	ck_assert_int_eq(protocol_decode("\0ready", 6), PROTOCOL_INVALID);
	ck_assert_int_eq(protocol_decode("ready\0\n", 7), PROTOCOL_INVALID);
	ck_assert_int_eq(protocol_decode("\0", 1), PROTOCOL_INVALID);
}
END_TEST

START_TEST(test_decode_empty_and_null)
{
	ck_assert_int_eq(protocol_decode("ready", 0), PROTOCOL_INVALID);
	ck_assert_int_eq(protocol_decode(NULL, 0), PROTOCOL_INVALID);
}
END_TEST

START_TEST(test_decode_too_long)
{
	char buf[PROTOCOL_PACKET_MAX_BYTES * 2];

	/* A valid word padded with newlines past the limit is invalid for its
	 * length alone. */
	memset(buf, '\n', sizeof(buf));
	memcpy(buf, "ready", 5);
	ck_assert_int_eq(protocol_decode(buf, PROTOCOL_PACKET_MAX_BYTES + 1),
		PROTOCOL_INVALID);
	ck_assert_int_eq(protocol_decode(buf, sizeof(buf)), PROTOCOL_INVALID);
	ck_assert_int_eq(protocol_decode(buf, SIZE_MAX), PROTOCOL_INVALID);
	/* ...while the same buffer cut to the word is fine. */
	ck_assert_int_eq(protocol_decode(buf, 6), PROTOCOL_READY);
}
END_TEST

START_TEST(test_decode_honours_len)
{
	long page = sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *word;

	ck_assert_ptr_ne(map, MAP_FAILED);
	/* The word ends exactly at a guard page: reading one byte past len
	 * crashes the test. */
	ck_assert_int_eq(mprotect(map + page, (size_t)page, PROT_NONE), 0);
	word = map + page - 5;
	memcpy(word, "ready", 5);
	ck_assert_int_eq(protocol_decode(word, 5), PROTOCOL_READY);
	word = map + page - 1;
	*word = '\n';
	ck_assert_int_eq(protocol_decode(word, 1), PROTOCOL_INVALID);
	/* A prefix of a longer buffer is judged by len only. */
	ck_assert_int_eq(protocol_decode("readyx", 5), PROTOCOL_READY);
	ck_assert_int_eq(protocol_decode("stop\nXX", 5), PROTOCOL_STOP);
	munmap(map, (size_t)page * 2);
}
END_TEST

START_TEST(test_word_round_trip)
{
	enum protocol_msg msg = protocol_test_words[_i].msg;
	const char *word = protocol_word(msg);

	ck_assert_ptr_nonnull(word);
	ck_assert_str_eq(word, protocol_test_words[_i].word);
	ck_assert_int_eq(protocol_test_decode_str(word), msg);
}
END_TEST

START_TEST(test_word_invalid)
{
	ck_assert_ptr_null(protocol_word(PROTOCOL_INVALID));
	ck_assert_ptr_null(protocol_word((enum protocol_msg)99));
	ck_assert_ptr_null(protocol_word((enum protocol_msg)-1));
}
END_TEST

static void protocol_test_pair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv),
		0);
}

START_TEST(test_send_one_packet_per_message)
{
	int sv[2];
	char buf[256];
	ssize_t n;

	protocol_test_pair(sv);
	for (size_t i = 0; i < PROTOCOL_TEST_WORD_COUNT; i++)
		ck_assert_int_eq(protocol_send(sv[0], protocol_test_words[i].msg), 0);
	/* Each recv returns exactly one message, whatever the buffer size:
	 * the boundaries are the packets'. */
	for (size_t i = 0; i < PROTOCOL_TEST_WORD_COUNT; i++) {
		n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		ck_assert_int_gt(n, 0);
		ck_assert_int_le(n, PROTOCOL_PACKET_MAX_BYTES);
		ck_assert_int_eq(protocol_decode(buf, (size_t)n),
			protocol_test_words[i].msg);
	}
	n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
	ck_assert_int_eq(n, -1);
	ck_assert_int_eq(errno, EAGAIN);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* protocol_send_count puts "next"/"spare" for 1 and "next N"/"spare N"
 * otherwise, each decoding back to its count; 0, too big and a word that
 * takes no count are refused. */
START_TEST(test_send_next_count)
{
	static const unsigned counts[] = { 1, 2, 10, 12345, PROTOCOL_COUNT_MAX };
	int sv[2];
	char buf[64];
	unsigned count;

	protocol_test_pair(sv);
	for (int spare = 0; spare < 2; spare++) {
		enum protocol_msg msg = spare ? PROTOCOL_SPARE : PROTOCOL_NEXT;

		for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
			ck_assert_int_eq(protocol_send_count(sv[0], msg, counts[i]), 0);
			ssize_t n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
			ck_assert_int_gt(n, 0);
			ck_assert_int_le(n, PROTOCOL_PACKET_MAX_BYTES);
			ck_assert_int_eq(protocol_decode_count(buf, (size_t)n, &count), msg);
			ck_assert_uint_eq(count, counts[i]);
			if (counts[i] == 1) /* the bare word */
				ck_assert_int_eq(n, (ssize_t)strlen(protocol_word(msg)));
		}
	}
	errno = 0;
	ck_assert_int_eq(protocol_send_count(sv[0], PROTOCOL_NEXT, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(protocol_send_count(sv[0], PROTOCOL_SPARE, PROTOCOL_COUNT_MAX + 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(protocol_send_count(sv[0], PROTOCOL_BUSY, 2), -1);
	ck_assert_int_eq(errno, EINVAL);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_send_invalid_msg)
{
	int sv[2];

	protocol_test_pair(sv);
	errno = 0;
	ck_assert_int_eq(protocol_send(sv[0], PROTOCOL_INVALID), -1);
	ck_assert_int_eq(errno, EINVAL);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_send_closed_peer)
{
	int sv[2];

	/* Default SIGPIPE: without MSG_NOSIGNAL the process would die here
	 * and check would report a signal instead of a pass. */
	signal(SIGPIPE, SIG_DFL);
	protocol_test_pair(sv);
	close(sv[1]);
	errno = 0;
	ck_assert_int_eq(protocol_send(sv[0], PROTOCOL_READY), -1);
	ck_assert_int_eq(errno, EPIPE);
	close(sv[0]);
}
END_TEST

START_TEST(test_send_does_not_block)
{
	int sv[2];
	int sent = 0;

	/* Nobody reads: a send must fail with EAGAIN rather than block the
	 * sender (the master never waits on a worker). */
	protocol_test_pair(sv);
	while (protocol_send(sv[0], PROTOCOL_IDLE) == 0)
		ck_assert_int_lt(++sent, 1000000);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_gt(sent, 0);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

static Suite *protocol_suite(void)
{
	Suite *s = suite_create("protocol");
	TCase *decode = tcase_create("decode");
	TCase *word = tcase_create("word");
	TCase *send = tcase_create("send");

	tcase_add_loop_test(decode, test_decode_words, 0, PROTOCOL_TEST_WORD_COUNT);
	tcase_add_test(decode, test_decode_invalid);
	tcase_add_test(decode, test_decode_next_count);
	tcase_add_test(decode, test_decode_embedded_nul);
	tcase_add_test(decode, test_decode_empty_and_null);
	tcase_add_test(decode, test_decode_too_long);
	tcase_add_test(decode, test_decode_honours_len);
	suite_add_tcase(s, decode);

	tcase_add_loop_test(word, test_word_round_trip, 0, PROTOCOL_TEST_WORD_COUNT);
	tcase_add_test(word, test_word_invalid);
	suite_add_tcase(s, word);

	tcase_add_test(send, test_send_one_packet_per_message);
	tcase_add_test(send, test_send_invalid_msg);
	tcase_add_test(send, test_send_next_count);
	tcase_add_test(send, test_send_closed_peer);
	tcase_add_test(send, test_send_does_not_block);
	suite_add_tcase(s, send);
	return s;
}

int main(void)
{
	return unit_run(protocol_suite());
}
