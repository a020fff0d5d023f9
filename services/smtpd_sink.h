/* smtpd_sink.h - the store of sink mode: every accepted message is
 * discarded, and only counted (what Postfix's smtp-sink is for: testing
 * and measuring the clients and the path to the server, not the disk). */
#ifndef SMTPD_SINK_H
#define SMTPD_SINK_H

#include "smtpd_session.h"

struct smtpd_sink {
	long pid;
	unsigned long messages;         /* discarded so far by this process */
};

void smtpd_sink_init(struct smtpd_sink *sink);

/* The store callbacks; ctx is a struct smtpd_sink. */
extern const struct smtpd_store smtpd_sink_store;

#endif
