/* monitor.c - owns reading, validating and applying worker status, relaying
 * worker stderr, reaping, and accounting exits (see monitor.h). Nothing a
 * worker sends is trusted: each packet is decoded strictly, checked against
 * the protocol's state machine (policy_on_message), and a worker that keeps
 * its channel full is flooding (policy_flood_note); anything else is
 * reported to the evictor, which
 * kills the worker. Nothing here blocks: every read is non-blocking and
 * bounded per wake-up. Nothing here is fatal. */
#include "monitor.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "evict.h"
#include "isolation.h"
#include "lifelog.h"
#include "log.h"
#include "master.h"
#include "protocol.h"
#include "retire.h"
#include "service.h"
#include "worker.h"

/* Packets taken per recvmmsg(2) call, and per channel per wake-up: enough
 * to empty a full channel (~200 packets) in one turn; a channel with more
 * is flooding and stays readable for the next turn (level-triggered). */
#define MONITOR_PACKETS_PER_CALL 64u
#define MONITOR_PACKETS_PER_WAKEUP 256u
/* stderr reads at a worker's exit: what a pipe buffers (64 KiB). */
#define MONITOR_STDERR_FINAL_READS 8
#define MONITOR_WHY_BYTES 128

/* ---- one message ---- */

static void monitor_close_status(struct worker *w)
{
	int fd = w->status_watch.fd;

	if (fd < 0)
		return;
	if (w->status_watch.cb != NULL)
		event_del(&w->svc->m->monitor.set, &w->status_watch);
	w->status_watch.fd = -1;
	close(fd);
}

static void monitor_close_stderr(struct worker *w)
{
	int fd = w->stderr_watch.fd;

	if (fd < 0)
		return;
	if (w->stderr_watch.cb != NULL)
		event_del(&w->svc->m->loop, &w->stderr_watch);
	w->stderr_watch.fd = -1;
	close(fd);
}

static void monitor_reject(struct worker *w, const char *buf, size_t n, uint64_t now_ms)
{
	char shown[PROTOCOL_PACKET_MAX_BYTES + 1], why[MONITOR_WHY_BYTES];
	size_t k = n > PROTOCOL_PACKET_MAX_BYTES ? PROTOCOL_PACKET_MAX_BYTES : n;

	for (size_t i = 0; i < k; i++)
		shown[i] = (buf[i] >= 0x20 && buf[i] < 0x7f) ? buf[i] : '?';
	shown[k] = '\0';
	snprintf(why, sizeof(why), "protocol violation: invalid status message \"%s\"", shown);
	evict_violation(w, now_ms, why);
}

static void monitor_began(struct worker *w, unsigned count)
{
	struct service *svc = w->svc;

	svc->stats.requests += count;
	if (throttle_reset(&svc->throttle))
		log_info("service %s: recovered: worker %ld is serving requests",
			 svc->cfg->name, (long)w->pid);
}

/* Applies one decoded message: the only place that decides what a worker
 * may say. */
static void monitor_apply(struct worker *w, enum protocol_msg msg, unsigned count,
			  uint64_t now_ms)
{
	struct policy_worker next = w->proto;
	char why[MONITOR_WHY_BYTES];
	unsigned began;

	if (!policy_on_message(&next, msg, count, &began)) {
		snprintf(why, sizeof(why), "protocol violation: \"%s\" while %s%s",
			 protocol_word(msg) ? protocol_word(msg) : "(invalid)",
			 worker_state_name(w), w->proto.announced ? " (announced retiring)" : "");
		evict_violation(w, now_ms, why);
		return;
	}
	if (began && retire_use_exceeded(next.requests, w->max_use)) {
		snprintf(why, sizeof(why), "served more requests than max_use (%u)", w->max_use);
		evict_violation(w, now_ms, why);
		return;
	}
	bool announced = next.announced && !w->proto.announced;
	w->proto.announced = next.announced;
	w->proto.requests = next.requests;
	if (began)
		monitor_began(w, began);
	/* It waited for that request ("busy" from idle) or lingered for
	 * one ("spare"): capacity to spare, for a while (policy.h: slack). */
	if (msg == PROTOCOL_BUSY || msg == PROTOCOL_SPARE)
		w->svc->slack_until_ms = now_ms + POLICY_SLACK_MS;
	/* "next" restarts the request clock (max_busy then counts from the
	 * last report, which a worker under load sends at most
	 * LIBMASTER_REPORT_MS after a request began): a state change of its
	 * own. Not once it was told "stop": it may finish what it took, but
	 * one that keeps taking clients must not keep its clock young, so
	 * max_busy counts from its last report before the stop. */
	if ((began && !w->told_stop) || next.state != w->proto.state)
		worker_set_state(w, next.state, now_ms);
	if (announced)
		evict_announced(w, now_ms);
	/* max_lifetime: "retire when next idle" is now. */
	if (next.state == POLICY_IDLE &&
	    retire_lifetime_due_ms(w->started_ms, w->lifetime_ms) <= now_ms)
		w->svc->lifetime_next_ms = now_ms;
	w->svc->dirty = true;
}

/* Reads up to `budget` packets, a batch per recvmmsg(2) call, counting
 * them in *read. Returns false once the channel is closed (end-of-file or
 * an error). */
static bool monitor_drain(struct worker *w, unsigned budget, unsigned *read, uint64_t now_ms)
{
	char bufs[MONITOR_PACKETS_PER_CALL][PROTOCOL_PACKET_MAX_BYTES + 1];
	struct iovec iov[MONITOR_PACKETS_PER_CALL];
	struct mmsghdr msgs[MONITOR_PACKETS_PER_CALL];

	while (budget > 0 && w->phase != WORKER_DYING) {
		unsigned want = budget < MONITOR_PACKETS_PER_CALL ? budget : MONITOR_PACKETS_PER_CALL;
		memset(msgs, 0, sizeof(msgs[0]) * want);
		for (unsigned i = 0; i < want; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		int n = recvmmsg(w->status_watch.fd, msgs, want, MSG_DONTWAIT, NULL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		if (n == 0)
			return false;
		*read += (unsigned)n;
		for (int i = 0; i < n && w->phase != WORKER_DYING; i++) {
			size_t len = msgs[i].msg_len;
			if (len == 0)
				return false; /* end-of-file */
			unsigned count = 1;
			enum protocol_msg msg = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
				? PROTOCOL_INVALID : protocol_decode_count(bufs[i], len, &count);
			if (msg == PROTOCOL_INVALID)
				monitor_reject(w, bufs[i], len, now_ms);
			else
				monitor_apply(w, msg, count, now_ms);
		}
		if ((unsigned)n < want)
			return true; /* drained */
		budget -= (unsigned)n;
	}
	return true;
}

/* Whether the worker's process has exited (its reaping is still to come):
 * a channel closes when its process exits, and that is not a violation. */
static bool monitor_has_exited(const struct worker *w)
{
	struct master *m = w->svc->m;
	siginfo_t si;

	if (m->ops.exited != NULL)
		return m->ops.exited(m, w->pid);
	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)w->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       si.si_pid == w->pid;
}

void monitor_read_status(struct worker *w, uint64_t now_ms)
{
	unsigned read = 0;

	if (w->status_watch.fd < 0)
		return;
	bool open = monitor_drain(w, MONITOR_PACKETS_PER_WAKEUP, &read, now_ms);
	bool flood = policy_flood_note(&w->flood, read >= MONITOR_PACKETS_PER_WAKEUP, now_ms);
	if (!open) {
		monitor_close_status(w);
		/* Gone silent while its process lives: it is gone for us. */
		if (!monitor_has_exited(w))
			evict_channel_closed(w, now_ms);
	}
	if (flood && w->phase != WORKER_DYING)
		evict_violation(w, now_ms, "status flood: it keeps its status channel full");
}

static void monitor_on_status(struct event_watch *ew, uint32_t revents)
{
	struct worker *w = EVENT_OWNER(ew, struct worker, status_watch);

	monitor_read_status(w, clock_now_ms());
}

static void monitor_on_stderr(struct event_watch *ew, uint32_t revents)
{
	struct worker *w = EVENT_OWNER(ew, struct worker, stderr_watch);

	if (!relay_read(&w->relay, ew->fd, w->svc->cfg->name, w->pid))
		monitor_close_stderr(w);
}

/* ---- births and deaths ---- */

/* A worker left before its first request, unasked, or could not be
 * launched at all: the service backs off (throttle.h). Logged once per
 * back-off episode, not once per failure. */
static void monitor_start_failure(struct service *svc, uint64_t now_ms, long pid,
				  const char *what)
{
	bool first = svc->throttle.failures == 0;

	svc->stats.start_failures++;
	service_failure_note(svc, now_ms, pid, "%s", what);
	if (throttle_failure(&svc->throttle, svc->cfg->set.throttle_min_s,
			     svc->cfg->set.throttle_max_s, now_ms) && first)
		log_warn("service %s: %s; throttled: next start in %us", svc->cfg->name,
			 what, svc->throttle.interval_s);
	else
		log_debug("service %s: %s (%u start failures, back-off %us)", svc->cfg->name,
			  what, svc->throttle.failures, svc->throttle.interval_s);
}

struct worker *monitor_spawn(struct service *svc, uint64_t now_ms)
{
	struct master *m = svc->m;
	char why[MONITOR_WHY_BYTES], what[SERVICE_FAILURE_TEXT_BYTES];
	struct worker *w = worker_spawn(svc, now_ms, why, sizeof(why));

	if (w == NULL && svc->iso != NULL && isolation_worker_ids_held_back(svc->iso)) {
		/* Every uid taken, some only until a walk of /dev/shm ends:
		 * not the service's failure, no back-off; pool_uids_back
		 * wakes it when the walk gives some back. */
		if (!svc->uid_wait)
			log_warn("service %s: no dynamic uid free until a walk of /dev/shm gives "
				 "one back: the next start waits for it", svc->cfg->name);
		svc->uid_wait = true;
		return NULL;
	}
	if (w == NULL) {
		log_err("service %s: cannot start %s: %s", svc->cfg->name, svc->cfg->path, why);
		svc->stats.launch_failed++;
		snprintf(what, sizeof(what), "launch failed: %s", why);
		monitor_start_failure(svc, now_ms, 0, what);
		return NULL;
	}
	int fd = w->stderr_watch.fd;
	if (fd >= 0) { /* -1: the service's shared socket (relay_shared.h) */
		if (event_add(&m->loop, &w->stderr_watch, fd, EPOLLIN, monitor_on_stderr) < 0) {
			w->stderr_watch.fd = fd;
			monitor_close_stderr(w); /* unread: the worker gets EPIPE */
		}
		relay_attach(&w->relay, &m->loop, &w->stderr_watch); /* lets it pause the stream */
	}
	lifelog_born(w, now_ms);
	if (w->daemon != NULL) { /* no status channel: its NOTIFY_SOCKET, if any */
		monitor_notify_watch(w, now_ms);
		return w;
	}
	fd = w->status_watch.fd;
	if (event_add(&m->monitor.set, &w->status_watch, fd, EPOLLIN, monitor_on_status) < 0) {
		w->status_watch.fd = fd;
		monitor_close_status(w);
		evict_channel_closed(w, now_ms);
	}
	return w;
}

void monitor_exited(struct worker *w, int wstatus, uint64_t now_ms)
{
	struct service *svc = w->svc;
	const char *name = svc->cfg->name;
	bool clean = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
	char how[48], what[SERVICE_FAILURE_TEXT_BYTES];

	/* From here on nothing may signal its pid: it may be a stranger's. */
	w->reaped = true;
	monitor_notify_close(w);
	/* What it said before dying still counts (its last "idle"...). */
	unsigned read = 0;
	if (w->status_watch.fd >= 0)
		monitor_drain(w, UINT32_MAX, &read, now_ms);
	monitor_close_status(w);
	/* Drain what is buffered; a grandchild still holding the pipe just
	 * means no end-of-file yet. */
	for (int i = 0; i < MONITOR_STDERR_FINAL_READS && w->stderr_watch.fd >= 0 &&
			relay_read_final(&w->relay, w->stderr_watch.fd, name, w->pid); i++)
		;
	/* Shared: what is queued, read while its pid still routes to it. */
	relay_shared_drain(&svc->stderr_shared, MONITOR_STDERR_FINAL_READS);
	relay_flush(&w->relay, name, w->pid);
	monitor_close_stderr(w);

	if (WIFSIGNALED(wstatus))
		snprintf(how, sizeof(how), "died on signal %d", WTERMSIG(wstatus));
	else
		snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(wstatus));
	struct throttle_exit ended = {
		.asked = w->asked, .clean = clean, .killed = w->killed,
		.never_ready = w->proto.state == POLICY_STARTING, .requests = worker_served(w),
	};
	bool start_failure = !svc->stopping && throttle_is_start_failure(&ended);
	if (start_failure) {
		snprintf(what, sizeof(what), "worker %ld %s before serving%s", (long)w->pid, how,
			 w->proto.state == POLICY_STARTING ? " (never ready)" : "");
		monitor_start_failure(svc, now_ms, (long)w->pid, what);
	}
	if (w->silenced && WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGTERM)
		w->killed = true; /* our SIGTERM ended it */
	if (w->killed) {
		svc->stats.killed++;
	} else if (!clean && !w->asked) {
		svc->stats.crashed++;
		if (!start_failure)
			service_failure_note(svc, now_ms, (long)w->pid, "worker %ld %s after %u "
					     "requests", (long)w->pid, how, w->proto.requests);
	} else if (w->phase == WORKER_SERVING && !svc->stopping && worker_served(w) > 0) {
		/* Left on its own after serving: a normal retirement. */
		evict_owe_replacement(svc);
	}
	lifelog_died(w, wstatus, start_failure || w->killed || (!clean && !w->asked), now_ms);
	worker_unlink(w);
}

void monitor_main_exited(struct worker *w, int wstatus, uint64_t now_ms)
{
	struct master *m = w->svc->m;

	/* A followed main's pidfd fires no more: this exit is handled once.
	 * Reaped by waitpid(-1) before its pidfd woke us, it would otherwise
	 * come back through monitor_notify_on_main_exit, and the worker be
	 * handled twice (its pid, by then another's, removed from the map;
	 * its leaf queued twice; an adversarial run crashed the master so). */
	worker_daemon_unwatch_main(w);
	/* Its pid is free from now on: it leaves the map at once. */
	pidmap_remove(&m->pids, w->pid);
	/* A daemon that forked into the background lives on in its child. */
	if (w->daemon != NULL && monitor_notify_follow(w, wstatus, now_ms))
		return;
	if (!contain_leaf_exited(&m->contain, &w->leaf, wstatus)) {
		/* What it started is being killed: gone once its cgroup is
		 * empty (monitor_contained_gone). */
		worker_lingering(w, now_ms);
		return;
	}
	monitor_exited(w, wstatus, now_ms);
}

/* A signal stopped it, or continued it. Stopped, it still counts as idle
 * or busy, and serves no one: evict_stopped kills it if it stays so. */
static void monitor_stop_changed(struct worker *w, int wstatus, uint64_t now_ms)
{
	struct service *svc = w->svc;
	bool stopped = WIFSTOPPED(wstatus);

	if (stopped && w->stopped_ms == 0) {
		if (++w->stops == 1)
			log_warn("service %s: worker %ld stopped by signal %d (another process of "
				 "its user?): killed if still stopped in %us", svc->cfg->name,
				 (long)w->pid, WSTOPSIG(wstatus), WORKER_STOPPED_MAX_MS / 1000);
		w->stopped_ms = now_ms > 0 ? now_ms : 1;
		/* Stopped and continued over and over: it is due now. */
		if (w->stops > WORKER_STOPS_MAX && w->stopped_ms > WORKER_STOPPED_MAX_MS)
			w->stopped_ms -= WORKER_STOPPED_MAX_MS;
		svc->n_stopped++;
	} else if (!stopped && w->stopped_ms != 0) {
		if (w->stops == 1)
			log_info("service %s: worker %ld continued", svc->cfg->name, (long)w->pid);
		w->stopped_ms = 0;
		svc->n_stopped--;
	}
	svc->dirty = true;
}

void monitor_reap(struct master *m, uint64_t now_ms)
{
	int wstatus;
	pid_t pid;

	/* In subreaper mode contain_reaper_reap kills the child's process
	 * group before reaping it (the unreaped child pins the group's id). */
	while ((pid = contain_reaper_reap(&m->contain, &wstatus)) > 0) {
		struct worker *w = pidmap_get(&m->pids, pid);
		if (WIFSTOPPED(wstatus) || WIFCONTINUED(wstatus)) {
			if (w != NULL) /* not reaped: it lives on (an orphan's scan kills it) */
				monitor_stop_changed(w, wstatus, now_ms);
			continue;
		}
		if (w == NULL) {
			contain_reaper_orphan(&m->contain, pid, wstatus); /* a worker's orphan, the guard */
			continue;
		}
		monitor_main_exited(w, wstatus, now_ms);
	}
	if (pid < 0 && errno != ECHILD)
		log_err("waitpid: %m");
}

void monitor_contained_gone(struct contain_leaf *leaf, void *ctx)
{
	struct worker *w = EVENT_OWNER(leaf, struct worker, leaf);

	(void)ctx;
	monitor_exited(w, leaf->wstatus, clock_now_ms());
}

bool monitor_known_child(pid_t pid, void *ctx)
{
	const struct master *m = ctx;

	return pidmap_get(&m->pids, pid) != NULL;
}
