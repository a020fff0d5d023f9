/* test_sockaudit.c - the socket audit's pace (sockaudit.c): at most once a
 * second per service, whatever the reapings, and each time it undoes what
 * a worker changed. With a unix-dgram socket a worker connected to a peer
 * of its own (the sixth round's finding), which the audit dissolves on the
 * loop. The e2e tests (test_sockaudit.py) cover each repair. */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
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

int main(void)
{
	Suite *s = suite_create("sockaudit");
	TCase *tc = tcase_create("pace");

	tcase_add_test(tc, test_once_a_second);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
