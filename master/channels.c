/* channels.c - owns the coalesced reading of status channels (see
 * channels.h). */
#include "channels.h"

#include <sys/epoll.h>
#include <unistd.h>

#include "clock.h"

static void channels_ready(struct event_watch *w, uint32_t revents)
{
	struct channels *ch = EVENT_OWNER(w, struct channels, watch);
	int n = event_run_once(&ch->set, 0);

	/* EPOLLONESHOT has already stopped the watch (no syscall for the
	 * pause). A full batch means more is waiting: read on at once. */
	if (n >= 0 && n < EVENT_BATCH_MAX) {
		ch->paused = true;
		ch->resume_ms = clock_now_ms() + CHANNELS_COALESCE_MS;
	} else {
		event_rearm(ch->outer, &ch->watch);
	}
}

int channels_init(struct channels *ch, struct event_loop *outer)
{
	ch->outer = outer;
	ch->paused = false;
	ch->resume_ms = CLOCK_NEVER_MS;
	ch->watch.fd = -1;
	if (event_init(&ch->set) < 0)
		return -1;
	if (event_add(outer, &ch->watch, ch->set.epfd, EPOLLIN | EPOLLONESHOT,
		      channels_ready) < 0) {
		event_fini(&ch->set);
		return -1;
	}
	return 0;
}

void channels_fini(struct channels *ch)
{
	if (ch->outer != NULL)
		event_del(ch->outer, &ch->watch);
	event_fini(&ch->set);
	ch->outer = NULL;
}

int channels_add(struct channels *ch, struct event_watch *w, int fd, event_cb cb)
{
	return event_add(&ch->set, w, fd, EPOLLIN, cb);
}

void channels_del(struct channels *ch, struct event_watch *w)
{
	event_del(&ch->set, w);
}

uint64_t channels_tick(struct channels *ch, uint64_t now_ms)
{
	if (!ch->paused)
		return CLOCK_NEVER_MS;
	if (now_ms < ch->resume_ms)
		return ch->resume_ms;
	event_rearm(ch->outer, &ch->watch);
	ch->paused = false;
	return CLOCK_NEVER_MS;
}
