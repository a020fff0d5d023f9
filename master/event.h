/* event.h - the single-threaded epoll loop. Each fd is watched through a
 * struct event_watch embedded in its owner; the callback gets the watch
 * back and finds its owner with container_of-style arithmetic. */
#ifndef MASTER_EVENT_H
#define MASTER_EVENT_H

#include <stddef.h>
#include <stdint.h>

struct event_watch;
typedef void (*event_cb)(struct event_watch *w, uint32_t revents);

struct event_watch {
	int fd;           /* -1 once removed: pending events for it are skipped */
	uint32_t events;  /* what is currently asked for (0 = registered, paused) */
	event_cb cb;
};

/* Events handled per epoll_wait. */
#define EVENT_BATCH_MAX 256

struct event_loop {
	int epfd;
};

#define EVENT_OWNER(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

int event_init(struct event_loop *loop);
void event_fini(struct event_loop *loop);
/* Registers w->fd with the given events (EPOLLIN...). Returns 0 or -1. */
int event_add(struct event_loop *loop, struct event_watch *w, int fd,
	      uint32_t events, event_cb cb);
/* Changes what is asked for; cheap no-op when unchanged. */
int event_set(struct event_loop *loop, struct event_watch *w, uint32_t events);
/* Re-enables a watch registered with EPOLLONESHOT after it fired. */
int event_rearm(struct event_loop *loop, struct event_watch *w);
/* Unregisters; does not close the fd. Sets w->fd = -1. */
void event_del(struct event_loop *loop, struct event_watch *w);
/* Waits up to timeout_ms (-1 = forever) and runs the callbacks. Returns
 * the number of events, or -1 on a real error (EINTR is 0). */
int event_run_once(struct event_loop *loop, int timeout_ms);

#endif
