/* client.h - bench-client's shared types: the options, the state shared by
 * all load threads, and one thread's results. client.c owns the command
 * line and the report; client_loop.c owns the per-thread epoll loop. */
#ifndef BENCH_CLIENT_H
#define BENCH_CLIENT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "histogram.h"

#define CLIENT_REQUEST_TIMEOUT_MS 5000 /* per request, connect included */
#define CLIENT_ERROR_BACKOFF_MS 10     /* a slot rests this long after an error */
#define CLIENT_SERIES_BUCKET_MS 10     /* --series: completions counted per this */

/* conn: a connection per request, the client closes after the reply (the
 * echo-until-close protocol); persistent: one connection per slot; line:
 * a connection per request, one line, its reply, then the SERVER closes
 * (the client waits for end-of-file); http: a connection per request,
 * "GET /line HTTP/1.0", the whole response up to the server's close. */
enum client_mode { CLIENT_MODE_CONN, CLIENT_MODE_PERSISTENT, CLIENT_MODE_LINE, CLIENT_MODE_HTTP };

#define CLIENT_HTTP_REQUEST "GET /line HTTP/1.0\r\n\r\n"
#define CLIENT_HTTP_RESPONSE_MAX_BYTES 4096 /* status line, headers, body */

enum client_error {
	CLIENT_ERR_CONNECT,  /* socket/connect failed or was refused */
	CLIENT_ERR_RESET,    /* send/recv failed on an established connection */
	CLIENT_ERR_SHORT,    /* end-of-file before the whole reply */
	CLIENT_ERR_MISMATCH, /* reply differs from the request */
	CLIENT_ERR_TIMEOUT,  /* no complete reply within the request timeout */
	CLIENT_ERR_COUNT
};

struct client_options {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	const char *addr_text;
	enum client_mode mode;
	unsigned concurrency;
	unsigned threads;
	double duration_s;
	uint64_t max_requests; /* 0: no limit */
	size_t payload_bytes;  /* including the final '\n' */
	unsigned source_addrs; /* >1: rotate over 127.0.0.1.. as source (IPv4 loopback) */
	int rst_close;         /* close with RST (SO_LINGER 0): no TIME_WAIT */
	int json;
	FILE *fail_log;        /* --failures: one line per failed request, or NULL */
	FILE *series_log;      /* --series: completions per bucket, or NULL */
};

/* Read-only after start, except the request counter. */
struct client_shared {
	const struct client_options *opt;
	uint64_t start_ns;
	uint64_t end_ns;
	atomic_uint_fast64_t started; /* requests begun, against max_requests */
	size_t series_buckets;        /* --series: buckets from start_ns; 0 without */
};

struct client_result {
	uint64_t ok;          /* requests answered correctly */
	uint64_t connections; /* connections established */
	uint64_t errors[CLIENT_ERR_COUNT];
	uint64_t finish_ns;   /* when the loop ended */
	int setup_failed;     /* epoll or memory failure: nothing was measured */
	struct histogram latency;
	uint32_t *series;     /* --series: completions per bucket, or NULL */
};

uint64_t client_now_ns(void);

/* "connect", "reset", "short", "mismatch", "timeout". */
const char *client_error_name(enum client_error kind);

/* Runs `slots` concurrent request slots until the shared deadline or
 * request budget; fills *res. Safe to run in several threads at once. */
void client_loop_run(struct client_shared *sh, unsigned slots, struct client_result *res);

#endif
