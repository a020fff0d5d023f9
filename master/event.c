/* event.c - owns the epoll instance and callback dispatch (see event.h).
 *
 * Owners of watches must not free them while an event batch is being
 * dispatched (a later event in the batch may point at them); the master
 * frees dead workers only between batches. */
#include "event.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

int event_init(struct event_loop *loop)
{
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	return loop->epfd < 0 ? -1 : 0;
}

void event_fini(struct event_loop *loop)
{
	if (loop->epfd >= 0)
		close(loop->epfd);
	loop->epfd = -1;
}

int event_add(struct event_loop *loop, struct event_watch *w, int fd,
	      uint32_t events, event_cb cb)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	w->fd = fd;
	w->events = events;
	w->cb = cb;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		w->fd = -1;
		return -1;
	}
	return 0;
}

int event_set(struct event_loop *loop, struct event_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (w->fd < 0 || w->events == events)
		return 0;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
		return -1;
	w->events = events;
	return 0;
}

int event_rearm(struct event_loop *loop, struct event_watch *w)
{
	struct epoll_event ev = { .events = w->events, .data.ptr = w };

	if (w->fd < 0)
		return 0;
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, w->fd, &ev);
}

void event_del(struct event_loop *loop, struct event_watch *w)
{
	if (w->fd < 0)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->fd = -1;
	w->events = 0;
}

int event_run_once(struct event_loop *loop, int timeout_ms)
{
	struct epoll_event evs[EVENT_BATCH_MAX];
	int n = epoll_wait(loop->epfd, evs, EVENT_BATCH_MAX, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (int i = 0; i < n; i++) {
		struct event_watch *w = evs[i].data.ptr;
		if (w->fd >= 0)
			w->cb(w, evs[i].events);
	}
	return n;
}
