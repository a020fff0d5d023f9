/* client.c - bench-client: the command line, the load threads and the
 * one-line (or JSON) report. The request state machine is client_loop.c.
 *
 *   bench-client -a HOST:PORT [-c CONCURRENCY] [-d SECONDS] [-n MAX_REQUESTS]
 *                [-m conn|persistent|line|http] [-s PAYLOAD_BYTES] [-t THREADS] [-b SOURCES]
 *                [--rst] [--json] [--failures FILE] [--series FILE]
 *
 * -b: towards 127.0.0.0/8, rotate connections over SOURCES source addresses
 * (127.0.0.1, .2, ...; default CLIENT_DEFAULT_SOURCE_ADDRS, 1 = let the
 * kernel choose): one source address has only ~28k ephemeral ports, which
 * TIME_WAIT caps at ~14k new connections/s. --rst closes with a RST
 * (SO_LINGER 0) instead of a FIN: no TIME_WAIT at all, but the server then
 * sees a reset instead of end-of-file.
 *
 * --failures FILE: one line per failed request, "START_NS END_NS KIND ERRNO",
 * CLOCK_MONOTONIC nanoseconds (tools/soak matches them with its kills);
 * ERRNO is that of the failed call for connect and reset, else 0.
 * --series FILE: "BUCKET_START_NS COMPLETED", one line per
 * CLIENT_SERIES_BUCKET_MS from the start to the end of the run (zeros
 * included), same clock: tools/bench/reload cuts it into windows.
 *
 * HOST is a numeric IPv4 address or a bracketed IPv6 one ([::1]); an
 * address that starts with '/' is a unix stream socket's path. The run
 * is bounded: it stops starting requests at the deadline or when the
 * request budget is spent, then waits (at most the request timeout) for
 * the requests in flight. Exit status: 0 if any request succeeded, 1 if
 * none did, 2 on a usage or setup error. */
#include "addr.h"
#include "client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/un.h>

#define CLIENT_DEFAULT_CONCURRENCY 4
#define CLIENT_DEFAULT_DURATION_S 5.0
#define CLIENT_DEFAULT_PAYLOAD_BYTES 64
#define CLIENT_MAX_CONCURRENCY 20000
#define CLIENT_MAX_THREADS 64
#define CLIENT_MAX_DURATION_S 3600.0
#define CLIENT_MAX_PAYLOAD_BYTES (16u << 20)
#define CLIENT_FDS_SPARE 64 /* fds beyond one per slot */
#define CLIENT_DEFAULT_SOURCE_ADDRS 64
#define CLIENT_MAX_SOURCE_ADDRS 65536

static const char *const client_error_names[CLIENT_ERR_COUNT] = {
	"connect", "reset", "short", "mismatch", "timeout",
};

static void client_usage(void)
{
	fprintf(stderr, "usage: bench-client -a HOST:PORT [-c CONCURRENCY] [-d SECONDS] [-n MAX_REQUESTS]\n"
	                "                    [-m conn|persistent|line|http] [-s PAYLOAD_BYTES] [-t THREADS] [-b SOURCES]\n"
	                "                    [--rst] [--json] [--failures FILE] [--series FILE]\n");
	exit(2);
}

const char *client_error_name(enum client_error kind)
{
	return kind < CLIENT_ERR_COUNT ? client_error_names[kind] : "?";
}

static int client_parse_addr(const char *text, struct client_options *o)
{
	if (text[0] == '/') {
		struct sockaddr_un *sun = (struct sockaddr_un *)&o->addr;
		size_t len = strlen(text);
		if (len >= sizeof sun->sun_path)
			return -1;
		memset(&o->addr, 0, sizeof o->addr);
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, text, len + 1);
		o->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
		return 0;
	}
	return addr_parse(text, false, &o->addr, &o->addr_len);
}

static unsigned long long client_parse_uint(const char *opt, const char *text, unsigned long long max)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || *end || end == text || text[0] == '-' || v > max) {
		fprintf(stderr, "bench-client: %s: bad value \"%s\" (0..%llu)\n", opt, text, max);
		exit(2);
	}
	return v;
}

static void client_parse_args(int argc, char **argv, struct client_options *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "rst", no_argument, NULL, 'r' },
		{ "failures", required_argument, NULL, 'e' },
		{ "series", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	memset(o, 0, sizeof *o);
	o->concurrency = CLIENT_DEFAULT_CONCURRENCY;
	o->threads = 1;
	o->duration_s = CLIENT_DEFAULT_DURATION_S;
	o->payload_bytes = CLIENT_DEFAULT_PAYLOAD_BYTES;
	o->mode = CLIENT_MODE_CONN;
	o->source_addrs = CLIENT_DEFAULT_SOURCE_ADDRS;
	int c;
	while ((c = getopt_long(argc, argv, "a:b:c:d:n:m:s:t:jh", longopts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'a':
			o->addr_text = optarg;
			if (client_parse_addr(optarg, o) < 0) {
				fprintf(stderr, "bench-client: -a: bad address \"%s\" (want 127.0.0.1:PORT, [::1]:PORT"
				        " or /unix/path)\n", optarg);
				exit(2);
			}
			break;
		case 'c': o->concurrency = (unsigned)client_parse_uint("-c", optarg, CLIENT_MAX_CONCURRENCY); break;
		case 't': o->threads = (unsigned)client_parse_uint("-t", optarg, CLIENT_MAX_THREADS); break;
		case 'n': o->max_requests = client_parse_uint("-n", optarg, UINT64_MAX / 2); break;
		case 's': o->payload_bytes = client_parse_uint("-s", optarg, CLIENT_MAX_PAYLOAD_BYTES); break;
		case 'd':
			o->duration_s = strtod(optarg, &end);
			if (*end || end == optarg || !(o->duration_s > 0) || o->duration_s > CLIENT_MAX_DURATION_S) {
				fprintf(stderr, "bench-client: -d: bad duration \"%s\" (0 < s <= %.0f)\n", optarg,
				        CLIENT_MAX_DURATION_S);
				exit(2);
			}
			break;
		case 'm':
			if (strcmp(optarg, "conn") == 0)
				o->mode = CLIENT_MODE_CONN;
			else if (strcmp(optarg, "persistent") == 0)
				o->mode = CLIENT_MODE_PERSISTENT;
			else if (strcmp(optarg, "line") == 0)
				o->mode = CLIENT_MODE_LINE;
			else if (strcmp(optarg, "http") == 0)
				o->mode = CLIENT_MODE_HTTP;
			else {
				fprintf(stderr, "bench-client: -m: unknown mode \"%s\" (conn|persistent|line|http)\n", optarg);
				exit(2);
			}
			break;
		case 'b': o->source_addrs = (unsigned)client_parse_uint("-b", optarg, CLIENT_MAX_SOURCE_ADDRS); break;
		case 'r': o->rst_close = 1; break;
		case 'j': o->json = 1; break;
		case 'e':
			o->fail_log = fopen(optarg, "w");
			if (!o->fail_log) {
				fprintf(stderr, "bench-client: --failures: %s: %s\n", optarg, strerror(errno));
				exit(2);
			}
			break;
		case 'S':
			o->series_log = fopen(optarg, "w");
			if (!o->series_log) {
				fprintf(stderr, "bench-client: --series: %s: %s\n", optarg, strerror(errno));
				exit(2);
			}
			break;
		default: client_usage();
		}
	}
	if (optind != argc || !o->addr_text)
		client_usage();
	if (o->concurrency == 0 || o->threads == 0 || o->payload_bytes == 0) {
		fprintf(stderr, "bench-client: -c, -t and -s must be at least 1\n");
		exit(2);
	}
	if (o->mode == CLIENT_MODE_HTTP && o->payload_bytes > CLIENT_HTTP_RESPONSE_MAX_BYTES / 4) {
		fprintf(stderr, "bench-client: -m http: -s at most %d (the body is checked)\n",
			CLIENT_HTTP_RESPONSE_MAX_BYTES / 4);
		exit(2);
	}
	if (o->threads > o->concurrency)
		o->threads = o->concurrency;
	/* Source rotation only where every source is local and reachable. */
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)&o->addr;
	if (o->addr.ss_family != AF_INET || (ntohl(a4->sin_addr.s_addr) >> 24) != 127)
		o->source_addrs = 1;
}

/* One fd per slot: raise the soft limit toward the hard one if needed. */
static void client_raise_nofile(unsigned need)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
		return;
	bool capped = rl.rlim_max < need; /* the hard limit is below what we need */
	rl.rlim_cur = capped ? rl.rlim_max : need;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || capped)
		fprintf(stderr, "bench-client: warning: RLIMIT_NOFILE %llu < %u needed\n",
		        (unsigned long long)rl.rlim_cur, need);
}

struct client_thread {
	pthread_t tid;
	struct client_shared *sh;
	unsigned slots;
	struct client_result res;
};

static void *client_thread_main(void *arg)
{
	struct client_thread *t = arg;
	client_loop_run(t->sh, t->slots, &t->res);
	return NULL;
}

static void client_report(const struct client_options *o, const struct client_result *r, double seconds)
{
	uint64_t errors = 0;
	for (int i = 0; i < CLIENT_ERR_COUNT; i++)
		errors += r->errors[i];
	double rps = seconds > 0 ? (double)r->ok / seconds : 0;
	double cps = o->mode != CLIENT_MODE_PERSISTENT ? rps : (seconds > 0 ? (double)r->connections / seconds : 0);
	const struct histogram *h = &r->latency;
	static const char *const mode_names[] = { "conn", "persistent", "line", "http" };
	const char *mode = mode_names[o->mode];
	const char *close = o->rst_close ? "rst" : "fin";
	if (!o->json) {
		printf("conns/s=%.0f requests=%llu errors=%llu p50_us=%llu p99_us=%llu max_us=%llu seconds=%.3f"
		       " req/s=%.0f connections=%llu mode=%s close=%s\n",
		       cps, (unsigned long long)r->ok, (unsigned long long)errors,
		       (unsigned long long)histogram_quantile(h, 0.50), (unsigned long long)histogram_quantile(h, 0.99),
		       (unsigned long long)h->max_us, seconds, rps, (unsigned long long)r->connections, mode, close);
		if (errors) {
			fprintf(stderr, "bench-client: errors:");
			for (int i = 0; i < CLIENT_ERR_COUNT; i++)
				fprintf(stderr, " %s=%llu", client_error_names[i], (unsigned long long)r->errors[i]);
			fprintf(stderr, "\n");
		}
		return;
	}
	printf("{\"address\":\"%s\",\"mode\":\"%s\",\"close\":\"%s\",\"concurrency\":%u,\"threads\":%u,"
	       "\"payload_bytes\":%zu,\"source_addrs\":%u,\"seconds\":%.3f,\"requests\":%llu,\"connections\":%llu,\"conns_per_s\":%.1f,"
	       "\"requests_per_s\":%.1f,\"errors\":%llu,\"errors_by_kind\":{",
	       o->addr_text, mode, close, o->concurrency, o->threads, o->payload_bytes, o->source_addrs, seconds,
	       (unsigned long long)r->ok, (unsigned long long)r->connections, cps, rps, (unsigned long long)errors);
	for (int i = 0; i < CLIENT_ERR_COUNT; i++)
		printf("%s\"%s\":%llu", i ? "," : "", client_error_names[i], (unsigned long long)r->errors[i]);
	printf("},\"latency_us\":{\"p50\":%llu,\"p90\":%llu,\"p99\":%llu,\"p999\":%llu,\"max\":%llu,\"mean\":%.1f}}\n",
	       (unsigned long long)histogram_quantile(h, 0.50), (unsigned long long)histogram_quantile(h, 0.90),
	       (unsigned long long)histogram_quantile(h, 0.99), (unsigned long long)histogram_quantile(h, 0.999),
	       (unsigned long long)h->max_us, h->count ? (double)h->sum_us / (double)h->count : 0.0);
}

/* --series: the threads' buckets summed, up to the bucket of finish_ns. */
static int client_write_series(const struct client_shared *sh, const struct client_thread *ts,
			       unsigned threads, uint64_t finish_ns, FILE *f)
{
	const uint64_t bucket_ns = (uint64_t)CLIENT_SERIES_BUCKET_MS * 1000000u;
	size_t last = (size_t)((finish_ns - sh->start_ns) / bucket_ns);
	for (size_t b = 0; b <= last && b < sh->series_buckets; b++) {
		uint64_t n = 0;
		for (unsigned i = 0; i < threads; i++)
			n += ts[i].res.series[b];
		fprintf(f, "%llu %llu\n", (unsigned long long)(sh->start_ns + b * bucket_ns),
		        (unsigned long long)n);
	}
	return fclose(f);
}

int main(int argc, char **argv)
{
	struct client_options o;
	client_parse_args(argc, argv, &o);
	client_raise_nofile(o.concurrency + CLIENT_FDS_SPARE);

	struct client_shared sh = { .opt = &o };
	atomic_init(&sh.started, 0);
	struct client_thread *ts = calloc(o.threads, sizeof *ts);
	if (!ts) {
		fprintf(stderr, "bench-client: out of memory for %u threads\n", o.threads);
		return 2;
	}
	sh.start_ns = client_now_ns();
	sh.end_ns = sh.start_ns + (uint64_t)(o.duration_s * 1e9);
	if (o.series_log) /* the run, then at most one request timeout */
		sh.series_buckets = (size_t)((o.duration_s * 1000.0 + CLIENT_REQUEST_TIMEOUT_MS) /
		                             CLIENT_SERIES_BUCKET_MS) + 2;
	for (unsigned i = 0; i < o.threads; i++) {
		ts[i].sh = &sh;
		ts[i].slots = o.concurrency / o.threads + (i < o.concurrency % o.threads);
		int err = pthread_create(&ts[i].tid, NULL, client_thread_main, &ts[i]);
		if (err) {
			fprintf(stderr, "bench-client: pthread_create: %s\n", strerror(err));
			return 2;
		}
	}
	struct client_result total;
	memset(&total, 0, sizeof total);
	uint64_t finish_ns = sh.start_ns;
	int setup_failed = 0;
	for (unsigned i = 0; i < o.threads; i++) {
		pthread_join(ts[i].tid, NULL);
		if (o.series_log && !ts[i].res.series)
			setup_failed = 1;
		struct client_result *r = &ts[i].res;
		setup_failed |= r->setup_failed;
		total.ok += r->ok;
		total.connections += r->connections;
		for (int k = 0; k < CLIENT_ERR_COUNT; k++)
			total.errors[k] += r->errors[k];
		histogram_merge(&total.latency, &r->latency);
		if (r->finish_ns > finish_ns)
			finish_ns = r->finish_ns;
	}
	if (o.series_log && !setup_failed && client_write_series(&sh, ts, o.threads, finish_ns, o.series_log) != 0) {
		fprintf(stderr, "bench-client: --series: %s\n", strerror(errno));
		return 2;
	}
	for (unsigned i = 0; i < o.threads; i++)
		free(ts[i].res.series);
	free(ts);
	if (o.fail_log && fclose(o.fail_log) != 0) {
		fprintf(stderr, "bench-client: --failures: %s\n", strerror(errno));
		return 2;
	}
	if (setup_failed) {
		fprintf(stderr, "bench-client: setup failed (epoll or memory): %s\n", strerror(errno));
		return 2;
	}
	client_report(&o, &total, (double)(finish_ns - sh.start_ns) / 1e9);
	return total.ok > 0 ? 0 : 1;
}
