/* wakeup.c - owns a service's wake-up timer at run time (see wakeup.h).
 * Nothing here blocks (trigger.c's sends never wait; an inet connect that
 * does not complete at once is finished from the loop, or given up after
 * WAKEUP_CONNECT_TIMEOUT_MS; a fifo's byte is written by a thread of its
 * own, offloop.h, since a pipe write waits for whoever holds the pipe's
 * mutex, O_NONBLOCK or not); nothing is fatal: a trigger that cannot be
 * sent is a skipped wake-up, logged at debug like every other. */
#include "wakeup.h"

#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "trigger.h"

void wakeup_init(struct wakeup *wk, struct event_loop *loop)
{
	wk->loop = loop;
	wk->name_src = NULL;
	wk->name[0] = '\0';
	wk->next_ms = CLOCK_NEVER_MS;
	wk->connecting = false;
	wk->conn.fd = -1;
	wk->conn_deadline_ms = CLOCK_NEVER_MS;
	wk->sent = wk->skipped = 0;
	wk->fifo = NULL;
}

static void wakeup_drop_conn(struct wakeup *wk)
{
	int fd = wk->conn.fd;

	if (!wk->connecting)
		return;
	event_del(wk->loop, &wk->conn);
	if (fd >= 0)
		close(fd);
	wk->connecting = false;
	wk->conn_deadline_ms = CLOCK_NEVER_MS;
}

void wakeup_fini(struct wakeup *wk)
{
	wakeup_drop_conn(wk);
	offloop_release(&wk->fifo);
}

static void wakeup_count(struct wakeup *wk, enum trigger_result r, const char *why)
{
	if (r == TRIGGER_SENT) {
		wk->sent++;
		log_debug("service %s: wake-up sent", wk->name);
	} else {
		wk->skipped++;
		log_debug("service %s: wake-up skipped: %s", wk->name, why);
	}
}

static void wakeup_on_writable(struct event_watch *w, uint32_t revents)
{
	struct wakeup *wk = EVENT_OWNER(w, struct wakeup, conn);
	char why[TRIGGER_WHY_BYTES];
	int fd = w->fd;

	(void)revents;
	event_del(wk->loop, w);
	wk->connecting = false;
	wk->conn_deadline_ms = CLOCK_NEVER_MS;
	wakeup_count(wk, trigger_finish(fd, why, sizeof(why)), why); /* closes fd */
}

/* On a job's thread (offloop.h): a fifo's wake-up byte. A fifo full of
 * unread bytes (EAGAIN) has requests for its workers anyway. */
static int wakeup_fifo_write(int fd, const void *byte)
{
	(void)!write(fd, byte, 1);
	return 0;
}

static void wakeup_send(struct wakeup *wk, const struct wakeup_service *s, uint64_t now_ms)
{
	char why[TRIGGER_WHY_BYTES];
	int conn = -1;
	enum trigger_result r;

	if (s->cfg->type == SERVICE_FIFO) {
		const char byte = TRIGGER_WAKEUP_BYTE;
		bool sent = offloop_run(&wk->fifo, s->wake_fd, wakeup_fifo_write, &byte, 1, why,
					sizeof(why));
		wakeup_count(wk, sent ? TRIGGER_SENT : TRIGGER_FAILED, why);
		return;
	}
	r = trigger_send(s->cfg, s->listen_fd, &conn, why, sizeof(why));
	if (r != TRIGGER_PENDING) {
		wakeup_count(wk, r, why);
		return;
	}
	if (event_add(wk->loop, &wk->conn, conn, EPOLLOUT, wakeup_on_writable) < 0) {
		close(conn);
		wakeup_count(wk, TRIGGER_FAILED, "epoll");
		return;
	}
	wk->connecting = true;
	wk->conn_deadline_ms = now_ms + WAKEUP_CONNECT_TIMEOUT_MS;
}

uint64_t wakeup_tick(struct wakeup *wk, const struct wakeup_service *s, uint64_t now_ms)
{
	struct wakeup_state st = s->st;
	enum wakeup_action a;

	if (st.interval_s == 0 && !wk->connecting && wk->next_ms == CLOCK_NEVER_MS)
		return CLOCK_NEVER_MS; /* the common case, on every pool turn */
	if (wk->name_src != s->cfg->name) {
		wk->name_src = s->cfg->name;
		snprintf(wk->name, sizeof(wk->name), "%s", s->cfg->name);
	}
	if (wk->connecting && (now_ms >= wk->conn_deadline_ms || st.stopping)) {
		wakeup_drop_conn(wk);
		wakeup_count(wk, TRIGGER_FAILED, "connect: timed out");
	}
	st.pending = wk->connecting || offloop_busy(wk->fifo);
	if (s->listen_fd < 0)
		st.stopping = true; /* its socket went to a successor */
	a = wakeup_policy_decide(&st, &wk->next_ms, now_ms);
	if (a == WAKEUP_SEND) {
		wakeup_send(wk, s, now_ms);
	} else if (a != WAKEUP_WAIT) {
		wk->skipped++;
		log_debug("service %s: wake-up %s", wk->name, wakeup_policy_action_name(a));
	}
	return wk->conn_deadline_ms < wk->next_ms ? wk->conn_deadline_ms : wk->next_ms;
}
