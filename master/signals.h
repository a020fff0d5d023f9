/* signals.h - signals as events: SIGCHLD, SIGTERM, SIGINT and SIGHUP are
 * blocked and read from a signalfd in the loop, so no work at all happens
 * in signal handlers (there are none). SIGPIPE is ignored: a vanished
 * control client must not kill the master. Launch resets all of this in
 * the child before exec. */
#ifndef MASTER_SIGNALS_H
#define MASTER_SIGNALS_H

#include <stdbool.h>

#include "event.h"

struct signals {
	struct event_watch watch;
	bool child;    /* SIGCHLD seen: reap */
	bool stop;     /* SIGTERM/SIGINT seen */
	bool reload;   /* SIGHUP seen */
};

int signals_init(struct signals *s, struct event_loop *loop);
void signals_fini(struct signals *s, struct event_loop *loop);

#endif
