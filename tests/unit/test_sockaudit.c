/* test_sockaudit.c - the socket audit's pace (sockaudit.c): at most once a
 * second per service, whatever the reapings, and each time it undoes what
 * a worker changed; a repair it cannot start now said once an episode. With a unix-dgram socket a worker connected to a peer
 * of its own (the sixth round's finding), which the audit dissolves on the
 * loop. The e2e tests (test_sockaudit.py) cover each repair. */
#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "offloop.h"
#include "service.h"
#include "sockaudit.h"
#include "unit.h"

/* An abstract unix-dgram socket named name (the leading 0 byte). */
static int dgram_bound(const char *name, struct sockaddr_un *sun, socklen_t *len)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1, "%s.%ld", name, (long)getpid());
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(sun->sun_path + 1));
	ck_assert_int_eq(bind(fd, (struct sockaddr *)sun, *len), 0);
	return fd;
}

static bool connected(int fd)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);

	return getpeername(fd, (struct sockaddr *)&peer, &len) == 0;
}

START_TEST(test_once_a_second)
{
	struct service_config cfg = { .name = "dg", .type = SERVICE_UNIX_DGRAM };
	struct service_socket sock = { .addr = "dg" };
	struct service svc = { .cfg = &cfg, .socks = &sock, .nsocks = 1 };
	struct sockaddr_un shared, peer;
	socklen_t shared_len, peer_len;
	const uint64_t t0 = 7000000;

	log_open(true, false);
	sock.fd = dgram_bound("test_sockaudit.shared", &shared, &shared_len);
	int evil = dgram_bound("test_sockaudit.peer", &peer, &peer_len);
	ck_assert_int_eq(connect(sock.fd, (struct sockaddr *)&peer, peer_len), 0);
	sockaudit_service(&svc, t0); /* a reaping: looked at, dissolved */
	ck_assert(!connected(sock.fd));
	ck_assert_int_eq(connect(sock.fd, (struct sockaddr *)&peer, peer_len), 0);
	sockaudit_service(&svc, t0 + 1);   /* reapings within the second: */
	sockaudit_service(&svc, t0 + 999); /* not looked at */
	ck_assert(connected(sock.fd));
	sockaudit_service(&svc, t0 + 1000);
	ck_assert(!connected(sock.fd));
	close(evil);
	close(sock.fd);
}
END_TEST

/* A job that holds the audit's slot until told: a byte on the pipe whose
 * read end it is given. */
static int test_hold(int fd, const void *arg)
{
	char c;
	(void)fd;
	(void)!read(*(const int *)arg, &c, 1);
	return 0;
}

static void hold_slot(struct service_socket *s, int p_read)
{
	char why[128];
	ck_assert(offloop_run(&s->audit, s->fd, test_hold, &p_read, sizeof(p_read), why,
			      sizeof(why)));
}

static void let_go(struct service_socket *s, int p_write)
{
	ck_assert_int_eq(write(p_write, "x", 1), 1);
	for (int i = 0; i < 3000 && offloop_busy(s->audit); i++)
		usleep(1000);
	ck_assert(!offloop_busy(s->audit));
}

/* How many log lines that came to the fake syslog socket hold what. */
static unsigned lines_with(int logfd, const char *what)
{
	char buf[2048];
	unsigned n = 0;
	ssize_t got;

	while ((got = recv(logfd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		buf[got] = '\0';
		n += strstr(buf, what) != NULL;
	}
	return n;
}

/* An audit due while the last repair still waits (a worker holding the
 * socket's lock) is skipped, and said once an episode, not once a second. */
START_TEST(test_skipped_said_once)
{
	struct service_config cfg = { .name = "in", .type = SERVICE_INET };
	struct service_socket sock = { .addr = "127.0.0.1:0" };
	struct service svc = { .cfg = &cfg, .socks = &sock, .nsocks = 1 };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_un logaddr = { .sun_family = AF_UNIX };
	const uint64_t t0 = 9000000;
	int p[2];

	snprintf(logaddr.sun_path, sizeof(logaddr.sun_path), "/tmp/test_sockaudit.%ld",
		 (long)getpid());
	int logfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(bind(logfd, (struct sockaddr *)&logaddr, sizeof(logaddr)), 0);
	log_open_syslog(logaddr.sun_path, false);
	unlink(logaddr.sun_path); /* connected: no name left behind */
	cfg.set.listen_backlog = 8;
	sock.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(bind(sock.fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(sock.fd, 8), 0);
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);

	hold_slot(&sock, p[0]);
	for (uint64_t t = t0; t < t0 + 3000; t += 1000)
		sockaudit_service(&svc, t);
	ck_assert_uint_eq(lines_with(logfd, "not looked after now"), 1);
	let_go(&sock, p[1]);
	sockaudit_service(&svc, t0 + 3000); /* looked after: the episode ends */
	for (int i = 0; i < 3000 && offloop_busy(sock.audit); i++)
		usleep(1000);
	hold_slot(&sock, p[0]);
	sockaudit_service(&svc, t0 + 4000);
	sockaudit_service(&svc, t0 + 5000);
	ck_assert_uint_eq(lines_with(logfd, "not looked after now"), 1); /* a new one */
	let_go(&sock, p[1]);
	offloop_release(&sock.audit);
	close(p[0]);
	close(p[1]);
	close(sock.fd);
	close(logfd);
	log_open(true, false);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sockaudit");
	TCase *tc = tcase_create("pace");

	tcase_add_test(tc, test_once_a_second);
	tcase_add_test(tc, test_skipped_said_once);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
