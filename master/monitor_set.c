/* monitor_set.c - the status channels' coalesced epoll set (monitor.h):
 * every channel sits in a set of its own, nested in the master's loop;
 * when it turns readable every ready channel is drained, then the set is
 * not watched for MONITOR_COALESCE_MS, so that messages arriving meanwhile
 * are read together. Only the set's mechanism lives here; what is read,
 * and what it means, is monitor.c's. Nothing here is fatal. */
#include "monitor.h"

#include <sys/epoll.h>

#include "clock.h"
#include "event.h"

static void monitor_ready(struct event_watch *ew, uint32_t revents)
{
	struct monitor *mon = EVENT_OWNER(ew, struct monitor, watch);
	int n = event_run_once(&mon->set, 0);

	/* EPOLLONESHOT has already stopped the watch (no syscall for the
	 * pause). A full batch means more is waiting: read on at once. */
	if (n >= 0 && n < EVENT_BATCH_MAX) {
		mon->paused = true;
		mon->resume_ms = clock_now_ms() + MONITOR_COALESCE_MS;
	} else {
		event_rearm(mon->outer, &mon->watch);
	}
}

int monitor_init(struct monitor *mon, struct event_loop *outer)
{
	mon->outer = outer;
	mon->paused = false;
	mon->resume_ms = CLOCK_NEVER_MS;
	mon->watch.fd = -1;
	if (event_init(&mon->set) < 0)
		return -1;
	if (event_add(outer, &mon->watch, mon->set.epfd, EPOLLIN | EPOLLONESHOT,
		      monitor_ready) < 0) {
		event_fini(&mon->set);
		return -1;
	}
	return 0;
}

void monitor_fini(struct monitor *mon)
{
	if (mon->outer != NULL)
		event_del(mon->outer, &mon->watch);
	event_fini(&mon->set);
	mon->outer = NULL;
}

uint64_t monitor_tick(struct monitor *mon, uint64_t now_ms)
{
	if (!mon->paused)
		return CLOCK_NEVER_MS;
	if (now_ms < mon->resume_ms)
		return mon->resume_ms;
	event_rearm(mon->outer, &mon->watch);
	mon->paused = false;
	return CLOCK_NEVER_MS;
}
