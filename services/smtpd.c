/* smtpd.c - the SMTP service: a master worker that receives mail.
 *
 * Usage in master.cf (arguments after the -o settings, all NAME=VALUE;
 * smtpd(8) has the list):
 *   127.0.0.1:2525 inet n y n - 8 smtpd spool=/var/spool/mail-in
 *   127.0.0.1:2526 inet n y n - 8 smtpd mode=sink
 *
 * One connection is one request: libmaster accepts it, smtpd_conn.c
 * serves the session, and the worker counts it toward max_use. Owns the
 * glue only: the arguments, the store chosen once at start (a Maildir in
 * spool=, or the sink), and the summary logged when the worker ends.
 * Fatal here, and only at start: bad arguments or a spool this process
 * cannot write (the master's log says which; the service is throttled).
 * smtpd needs no privilege, no randomness and no child process: it
 * forks nothing and reseeds nothing; it writes only in its spool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libmaster.h"
#include "smtpd_args.h"
#include "smtpd_conn.h"
#include "smtpd_maildir.h"
#include "smtpd_sink.h"

struct smtpd_main {
	struct smtpd_options opt;
	struct smtpd_store store;       /* the chosen store's callbacks */
	void *store_ctx;
	struct smtpd_maildir maildir;
	struct smtpd_sink sink;
	unsigned long connections, accepted, refused;
	unsigned long long bytes;
};

static struct smtpd_main smtpd_main;   /* one per process; 70 KB, not on the stack */

static void smtpd_log_accepted(void *ctx, const char *id, const struct smtpd_envelope *env,
	size_t size_bytes)
{
	(void)ctx;
	fprintf(stderr, "smtpd: %s: from=<%s> nrcpt=%u size=%zu client=%s\n", id,
		env->from, env->rcpts, size_bytes, env->client);
}

static void smtpd_connection(int fd, void *ctx)
{
	struct smtpd_main *m = ctx;
	char client[SMTPD_CLIENT_MAX_BYTES];
	struct smtpd_session s;

	smtpd_conn_client(fd, client);
	smtpd_session_init(&s, &m->opt.limits, m->opt.hostname, client, &m->store,
		m->store_ctx);
	smtpd_conn_serve(fd, &s, m->opt.timeout_ms);
	m->connections++;
	m->accepted += s.accepted;
	m->refused += s.refused;
	m->bytes += s.accepted_bytes;
}

int main(int argc, char **argv)
{
	struct smtpd_main *m = &smtpd_main;
	char why[512];
	int rc;

	if (smtpd_args_parse(argc, argv, getenv("STATE_DIRECTORY"), &m->opt, why,
			sizeof(why)) < 0) {
		fprintf(stderr, "smtpd: %s\n", why);
		return 1;
	}
	if (m->opt.hostname[0] == '\0' &&
	    (gethostname(m->opt.hostname, sizeof(m->opt.hostname) - 1) < 0 ||
	     !smtpd_args_hostname_ok(m->opt.hostname)))
		snprintf(m->opt.hostname, sizeof(m->opt.hostname), "localhost");
	if (m->opt.mode == SMTPD_MODE_SINK) {
		smtpd_sink_init(&m->sink);
		m->store = smtpd_sink_store;
		m->store_ctx = &m->sink;
	} else {
		if (smtpd_maildir_open(&m->maildir, m->opt.spool, m->opt.hostname,
				m->opt.sync, why, sizeof(why)) < 0) {
			fprintf(stderr, "smtpd: maildir: %s\n", why);
			return 1;
		}
		m->store = smtpd_maildir_store;
		m->store_ctx = &m->maildir;
	}
	if (m->opt.verbose)
		m->store.accepted = smtpd_log_accepted;
	rc = libmaster_run(smtpd_connection, m);
	if (m->connections > 0)
		fprintf(stderr, "smtpd: %s: %lu connections, %lu messages accepted "
			"(%llu bytes), %lu refused\n",
			m->opt.mode == SMTPD_MODE_SINK ? "sink" : "maildir",
			m->connections, m->accepted, m->bytes, m->refused);
	if (m->opt.mode == SMTPD_MODE_MAILDIR)
		smtpd_maildir_close(&m->maildir);
	return rc;
}
