/* smtpd_sink.c - sink mode's store (smtpd_sink.h): accepts and forgets.
 * The session counts messages and bytes; this only names each message
 * PID.COUNT for the 250 reply and the log. Nothing can fail here. */
#include <stdio.h>
#include <unistd.h>

#include "smtpd_sink.h"

void smtpd_sink_init(struct smtpd_sink *sink)
{
	sink->pid = (long)getpid();
	sink->messages = 0;
}

static int smtpd_sink_begin(void *ctx, const struct smtpd_envelope *env)
{
	(void)ctx;
	(void)env;
	return 0;
}

static int smtpd_sink_write(void *ctx, const char *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return 0;
}

static int smtpd_sink_commit(void *ctx, char *id, size_t id_size)
{
	struct smtpd_sink *sink = ctx;

	snprintf(id, id_size, "sink.%ld.%lu", sink->pid, ++sink->messages);
	return 0;
}

static void smtpd_sink_abort(void *ctx)
{
	(void)ctx;
}

const struct smtpd_store smtpd_sink_store = {
	.begin = smtpd_sink_begin,
	.write = smtpd_sink_write,
	.commit = smtpd_sink_commit,
	.abort = smtpd_sink_abort,
};
