/* client_loop.c - one bench-client load thread: a level-triggered epoll
 * state machine driving N request slots over non-blocking sockets.
 *
 * A slot sends one line of payload_bytes (ending '\n'), reads exactly as
 * many bytes back and compares them byte for byte. In conn mode every
 * request opens and closes its own connection and its latency runs from
 * socket() to the last reply byte; in persistent mode a slot keeps its
 * connection and the latency runs from the first byte sent (the first
 * request on a connection includes the connect). In line mode the server
 * closes: after the reply the slot waits for end-of-file, and the latency
 * runs to it. In http mode the request is CLIENT_HTTP_REQUEST and the
 * response, read up to the server's close, must say 200 and end with the
 * payload line of the first request (the pattern unshifted). Towards
 * 127.0.0.0/8, connections rotate over several source addresses so that
 * TIME_WAIT does not starve one address of ephemeral ports. Errors, timeouts
 * and completions are counted in the thread's own client_result: no locks,
 * only the shared request budget is atomic. */
#include "client.h"

#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define CLIENT_LOOP_SCAN_INTERVAL_MS 20 /* timeout and back-off checks */
#define CLIENT_LOOP_MAX_EVENTS 256
#define CLIENT_LOOP_READ_BUF_BYTES 65536
#define CLIENT_LOOP_NS_PER_MS 1000000ull
#define CLIENT_LOOP_NS_PER_US 1000ull
#define CLIENT_LOOP_SOURCE_BASE 0x7f000001u /* 127.0.0.1, then .2, .3, ... */

enum client_slot_state {
	SLOT_IDLE,       /* budget or time is up: no more requests */
	SLOT_BACKOFF,    /* resting after an error until retry_ns */
	SLOT_CONNECTING, /* connect in progress, waiting for EPOLLOUT */
	SLOT_ACTIVE,     /* request being sent and/or reply being read */
};

struct client_slot {
	int fd;
	enum client_slot_state state;
	uint32_t events; /* currently registered with epoll, 0 if none */
	size_t wr_off, rd_off;
	size_t req_len;  /* what is sent: the payload, or the HTTP request */
	char *resp;      /* http mode: the response so far */
	uint64_t start_ns, deadline_ns, retry_ns;
	unsigned seq;
	char *req;
};

struct client_loop {
	struct client_shared *sh;
	struct client_result *res;
	int epfd;
	unsigned nslots;
	unsigned busy; /* slots not IDLE */
	unsigned next_source; /* rotates over the loopback source addresses */
	int stopping;
	struct client_slot *slots;
	char *rbuf;
};

uint64_t client_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Fills the request with a pattern that shifts with every request, so a
 * stale or misplaced reply does not compare equal. */
static void client_loop_pattern(char *buf, size_t n, unsigned shift)
{
	for (size_t i = 0; i + 1 < n; i++)
		buf[i] = (char)('a' + (i + shift) % 26);
	buf[n - 1] = '\n';
}

static void client_loop_fill(struct client_slot *s, size_t n)
{
	client_loop_pattern(s->req, n, s->seq++ % 26);
}

static int client_loop_watch(struct client_loop *l, struct client_slot *s, uint32_t ev)
{
	if (s->events == ev)
		return 0;
	struct epoll_event e = { .events = ev, .data.ptr = s };
	int op = s->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(l->epfd, op, s->fd, &e) < 0)
		return -1;
	s->events = ev;
	return 0;
}

static void client_loop_close(struct client_slot *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->events = 0;
}

static void client_loop_fail(struct client_loop *l, struct client_slot *s, enum client_error kind)
{
	/* When it began and ended, on the monotonic clock, and the errno of a
	 * failed call (0 for end-of-file, a mismatch or a timeout): tools/soak
	 * lines failures up with the workers it killed. stdio locks per call. */
	int err = kind == CLIENT_ERR_CONNECT || kind == CLIENT_ERR_RESET ? errno : 0;
	l->res->errors[kind]++;
	if (l->sh->opt->fail_log)
		fprintf(l->sh->opt->fail_log, "%llu %llu %s %d\n", (unsigned long long)s->start_ns,
		        (unsigned long long)client_now_ns(), client_error_name(kind), err);
	client_loop_close(s);
	s->state = SLOT_BACKOFF;
	s->retry_ns = client_now_ns() + CLIENT_ERROR_BACKOFF_MS * CLIENT_LOOP_NS_PER_MS;
}

/* Sends what is left of the request. Returns 0 (progress or would block)
 * or -1 after recording the error. */
static int client_loop_send(struct client_loop *l, struct client_slot *s)
{
	size_t len = s->req_len;
	while (s->wr_off < len) {
		ssize_t n = send(s->fd, s->req + s->wr_off, len - s->wr_off, MSG_NOSIGNAL);
		if (n > 0) {
			s->wr_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		client_loop_fail(l, s, s->state == SLOT_CONNECTING ? CLIENT_ERR_CONNECT : CLIENT_ERR_RESET);
		return -1;
	}
	uint32_t want = s->wr_off < len ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
	if (client_loop_watch(l, s, want) < 0) {
		client_loop_fail(l, s, CLIENT_ERR_RESET);
		return -1;
	}
	return 0;
}

/* Per-connection socket options: a rotating loopback source address,
 * abortive close, no Nagle for persistent connections. */
static int client_loop_options(struct client_loop *l, struct client_slot *s)
{
	const struct client_options *o = l->sh->opt;
	int one = 1;
	if (o->source_addrs > 1) {
		struct sockaddr_in src = { .sin_family = AF_INET };
		src.sin_addr.s_addr = htonl(CLIENT_LOOP_SOURCE_BASE + l->next_source++ % o->source_addrs);
		if (setsockopt(s->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) < 0 ||
		    bind(s->fd, (const struct sockaddr *)&src, sizeof src) < 0)
			return -1;
	}
	if (o->rst_close) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };
		if (setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0)
			return -1;
	}
	if (o->mode == CLIENT_MODE_PERSISTENT)
		(void)setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return 0;
}

/* Opens a connection for slot s. Returns 0 or -1 after recording the error. */
static int client_loop_connect(struct client_loop *l, struct client_slot *s)
{
	const struct client_options *o = l->sh->opt;
	s->fd = socket(o->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		client_loop_fail(l, s, CLIENT_ERR_CONNECT);
		return -1;
	}
	if (client_loop_options(l, s) < 0) {
		client_loop_fail(l, s, CLIENT_ERR_CONNECT);
		return -1;
	}
	if (connect(s->fd, (const struct sockaddr *)&o->addr, o->addr_len) < 0 && errno != EINPROGRESS) {
		client_loop_fail(l, s, CLIENT_ERR_CONNECT);
		return -1;
	}
	/* Loopback usually completes the handshake inside connect(): try
	 * sending at once and wait for EPOLLOUT only if that would block. */
	s->state = SLOT_CONNECTING;
	ssize_t n = send(s->fd, s->req, s->req_len, MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN)) {
		if (client_loop_watch(l, s, EPOLLOUT) == 0)
			return 0;
		n = -1;
	}
	if (n < 0) {
		/* Connected, then dropped by the peer before the first byte got
		 * through (a unix socket connects at once): a reset, not a
		 * refusal. */
		client_loop_fail(l, s, errno == EPIPE || errno == ECONNRESET ? CLIENT_ERR_RESET
		                                                             : CLIENT_ERR_CONNECT);
		return -1;
	}
	l->res->connections++;
	s->state = SLOT_ACTIVE;
	s->wr_off = (size_t)n;
	return client_loop_send(l, s);
}

/* Begins the slot's next request, or parks it when time or budget is up. */
static void client_loop_start(struct client_loop *l, struct client_slot *s)
{
	struct client_shared *sh = l->sh;
	if (l->stopping || (sh->opt->max_requests &&
	                    atomic_fetch_add(&sh->started, 1) >= sh->opt->max_requests)) {
		client_loop_close(s);
		s->state = SLOT_IDLE;
		l->busy--;
		return;
	}
	if (sh->opt->mode != CLIENT_MODE_HTTP)
		client_loop_fill(s, sh->opt->payload_bytes);
	s->wr_off = s->rd_off = 0;
	s->start_ns = client_now_ns();
	s->deadline_ns = s->start_ns + CLIENT_REQUEST_TIMEOUT_MS * CLIENT_LOOP_NS_PER_MS;
	if (s->fd < 0) {
		(void)client_loop_connect(l, s);
		return;
	}
	s->state = SLOT_ACTIVE;
	(void)client_loop_send(l, s);
}

static void client_loop_done(struct client_loop *l, struct client_slot *s)
{
	uint64_t now = client_now_ns();
	uint64_t us = (now - s->start_ns) / CLIENT_LOOP_NS_PER_US;
	histogram_add(&l->res->latency, us);
	l->res->ok++;
	if (l->res->series) {
		uint64_t b = (now - l->sh->start_ns) / (CLIENT_SERIES_BUCKET_MS * CLIENT_LOOP_NS_PER_MS);
		if (b < l->sh->series_buckets)
			l->res->series[b]++;
	}
	if (l->sh->opt->mode != CLIENT_MODE_PERSISTENT)
		client_loop_close(s);
	client_loop_start(l, s);
}

/* http mode: a 200 whose body ends with the payload line (unshifted). */
static bool client_loop_http_ok(struct client_loop *l, const struct client_slot *s)
{
	size_t len = l->sh->opt->payload_bytes;
	static const char ok10[] = "HTTP/1.0 200 ", ok11[] = "HTTP/1.1 200 ";

	if (s->rd_off < sizeof(ok10) - 1 + len ||
	    (memcmp(s->resp, ok10, sizeof(ok10) - 1) != 0 && memcmp(s->resp, ok11, sizeof(ok11) - 1) != 0))
		return false;
	client_loop_pattern(l->rbuf, len, 0);
	return memcmp(s->resp + s->rd_off - len, l->rbuf, len) == 0;
}

/* http mode: reads the response until the server closes. */
static void client_loop_recv_http(struct client_loop *l, struct client_slot *s)
{
	for (;;) {
		if (s->rd_off == CLIENT_HTTP_RESPONSE_MAX_BYTES) {
			client_loop_fail(l, s, CLIENT_ERR_MISMATCH);
			return;
		}
		ssize_t n = recv(s->fd, s->resp + s->rd_off, CLIENT_HTTP_RESPONSE_MAX_BYTES - s->rd_off, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			client_loop_fail(l, s, CLIENT_ERR_RESET);
			return;
		}
		if (n == 0)
			break;
		s->rd_off += (size_t)n;
	}
	if (!client_loop_http_ok(l, s)) {
		client_loop_fail(l, s, s->rd_off == 0 ? CLIENT_ERR_SHORT : CLIENT_ERR_MISMATCH);
		return;
	}
	client_loop_done(l, s);
}

/* Reads reply bytes, at most what is still expected, and checks them; in
 * line mode then waits for the server's end-of-file. */
static void client_loop_recv(struct client_loop *l, struct client_slot *s)
{
	size_t len = l->sh->opt->payload_bytes;
	bool line = l->sh->opt->mode == CLIENT_MODE_LINE;

	if (l->sh->opt->mode == CLIENT_MODE_HTTP) {
		client_loop_recv_http(l, s);
		return;
	}
	while (s->rd_off < len || line) {
		/* Past the reply (line mode) only end-of-file may come: read
		 * one byte, which would be one too many. */
		size_t want = s->rd_off < len ? len - s->rd_off : 1;
		if (want > CLIENT_LOOP_READ_BUF_BYTES)
			want = CLIENT_LOOP_READ_BUF_BYTES;
		ssize_t n = recv(s->fd, l->rbuf, want, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			client_loop_fail(l, s, CLIENT_ERR_RESET);
			return;
		}
		if (n == 0 && line && s->rd_off == len)
			break; /* the server closed after the reply */
		if (n == 0) {
			client_loop_fail(l, s, CLIENT_ERR_SHORT);
			return;
		}
		if (s->rd_off >= len || memcmp(l->rbuf, s->req + s->rd_off, (size_t)n) != 0) {
			client_loop_fail(l, s, CLIENT_ERR_MISMATCH);
			return;
		}
		s->rd_off += (size_t)n;
	}
	client_loop_done(l, s);
}

static void client_loop_event(struct client_loop *l, struct client_slot *s, uint32_t ev)
{
	if (s->state == SLOT_CONNECTING) {
		int err = 0;
		socklen_t elen = sizeof err;
		int got = getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &elen);
		if ((ev & EPOLLERR) || got < 0 || err) {
			if (err)
				errno = err; /* for the failure log */
			client_loop_fail(l, s, CLIENT_ERR_CONNECT);
			return;
		}
		l->res->connections++;
		s->state = SLOT_ACTIVE;
		(void)client_loop_send(l, s); /* the reply comes later */
		return;
	}
	if (s->state != SLOT_ACTIVE)
		return;
	if ((ev & EPOLLOUT) && client_loop_send(l, s) < 0)
		return;
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))
		client_loop_recv(l, s);
}

/* Times out stuck requests and restarts rested slots. */
static void client_loop_scan(struct client_loop *l, uint64_t now)
{
	for (unsigned i = 0; i < l->nslots; i++) {
		struct client_slot *s = &l->slots[i];
		if ((s->state == SLOT_CONNECTING || s->state == SLOT_ACTIVE) && now >= s->deadline_ns)
			client_loop_fail(l, s, CLIENT_ERR_TIMEOUT);
		else if (s->state == SLOT_BACKOFF && now >= s->retry_ns)
			client_loop_start(l, s);
	}
}

static int client_loop_init(struct client_loop *l, struct client_shared *sh, unsigned slots,
                            struct client_result *res)
{
	memset(l, 0, sizeof *l);
	l->sh = sh;
	l->res = res;
	l->nslots = slots;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->slots = calloc(slots, sizeof *l->slots);
	l->rbuf = malloc(CLIENT_LOOP_READ_BUF_BYTES);
	if (l->epfd < 0 || !l->slots || !l->rbuf)
		return -1;
	bool http = sh->opt->mode == CLIENT_MODE_HTTP;
	for (unsigned i = 0; i < slots; i++) {
		struct client_slot *s = &l->slots[i];
		s->fd = -1;
		s->seq = i;
		s->req_len = http ? strlen(CLIENT_HTTP_REQUEST) : sh->opt->payload_bytes;
		s->req = malloc(s->req_len);
		s->resp = http ? malloc(CLIENT_HTTP_RESPONSE_MAX_BYTES) : NULL;
		if (!s->req || (http && !s->resp))
			return -1;
		if (http)
			memcpy(s->req, CLIENT_HTTP_REQUEST, s->req_len);
	}
	return 0;
}

static void client_loop_free(struct client_loop *l)
{
	for (unsigned i = 0; l->slots && i < l->nslots; i++) {
		client_loop_close(&l->slots[i]);
		free(l->slots[i].req);
		free(l->slots[i].resp);
	}
	free(l->slots);
	free(l->rbuf);
	if (l->epfd >= 0)
		close(l->epfd);
}

void client_loop_run(struct client_shared *sh, unsigned slots, struct client_result *res)
{
	struct client_loop l;
	memset(res, 0, sizeof *res);
	if (sh->series_buckets > 0 && !(res->series = calloc(sh->series_buckets, sizeof *res->series))) {
		res->setup_failed = 1;
		return;
	}
	if (client_loop_init(&l, sh, slots, res) < 0) {
		res->setup_failed = 1;
		client_loop_free(&l);
		return;
	}
	l.busy = slots;
	for (unsigned i = 0; i < slots; i++)
		client_loop_start(&l, &l.slots[i]);

	struct epoll_event evs[CLIENT_LOOP_MAX_EVENTS];
	uint64_t next_scan_ns = client_now_ns() + CLIENT_LOOP_SCAN_INTERVAL_MS * CLIENT_LOOP_NS_PER_MS;
	while (l.busy > 0) {
		int n = epoll_wait(l.epfd, evs, CLIENT_LOOP_MAX_EVENTS, CLIENT_LOOP_SCAN_INTERVAL_MS);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++)
			client_loop_event(&l, evs[i].data.ptr, evs[i].events);
		uint64_t now = client_now_ns();
		if (!l.stopping && now >= sh->end_ns) {
			l.stopping = 1;
			/* Resting slots will start nothing more. */
			for (unsigned i = 0; i < slots; i++)
				if (l.slots[i].state == SLOT_BACKOFF)
					client_loop_start(&l, &l.slots[i]);
		}
		if (now >= next_scan_ns) {
			client_loop_scan(&l, now);
			next_scan_ns = now + CLIENT_LOOP_SCAN_INTERVAL_MS * CLIENT_LOOP_NS_PER_MS;
		}
	}
	res->finish_ns = client_now_ns();
	client_loop_free(&l);
}
