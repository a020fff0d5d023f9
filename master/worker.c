/* worker.c - owns one worker's mechanism: starting it (channel, stderr
 * pipe, launch), reading its status channel and applying each message
 * through the policy's state machine, stopping and killing it, and the
 * bookkeeping when it exits. The pool decides *when*; this file does. */
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "isolation.h"
#include "log.h"
#include "master.h"
#include "protocol.h"
#include "retire.h"
#include "service.h"

/* Packets read from one worker per wake-up: a flooding worker cannot keep
 * the loop from the others (the rest waits, level-triggered). */
#define WORKER_PACKETS_PER_WAKEUP 16

static void worker_count_state(struct worker *w, int delta)
{
	struct service *svc = w->svc;

	if (w->retiring) {
		svc->n_retiring += delta;
		return;
	}
	switch (w->state) {
	case POLICY_STARTING: svc->n_starting += delta; break;
	case POLICY_IDLE: svc->n_idle += delta; break;
	case POLICY_BUSY: svc->n_busy += delta; break;
	}
}

/* Puts w at the tail of the timer list its state calls for, so each list
 * stays ordered by the time its members entered that state. */
static void worker_place(struct worker *w)
{
	struct service *svc = w->svc;

	list_remove(&w->timer_link);
	if (w->retiring)
		list_append(&svc->retiring, &w->timer_link);
	else if (w->state == POLICY_STARTING)
		list_append(&svc->starting, &w->timer_link);
	else if (w->state == POLICY_IDLE)
		list_append(&svc->idle, &w->timer_link);
	else
		list_append(&svc->busy, &w->timer_link);
}

/* Leaving: no longer capacity, so a successor may start. */
static void worker_mark_retiring(struct worker *w, uint64_t now_ms)
{
	if (w->retiring)
		return;
	worker_count_state(w, -1);
	w->retiring = true;
	w->retiring_since_ms = now_ms;
	worker_count_state(w, +1);
	worker_place(w);
	if (w->recycle) {
		w->recycle = false;
		w->svc->recycle_pending--;
	}
	w->svc->dirty = true;
}

const char *worker_state_name(const struct worker *w)
{
	if (w->retiring)
		return "retiring";
	switch (w->state) {
	case POLICY_STARTING: return "starting";
	case POLICY_IDLE: return "idle";
	case POLICY_BUSY: return "busy";
	}
	return "unknown";
}

void worker_kill(struct worker *w, const char *why)
{
	if (w->kill_sent)
		return;
	log_warn("service %s: killing worker %ld: %s", w->svc->cfg->name,
		 (long)w->pid, why);
	contain_leaf_kill(&w->svc->m->contain, &w->leaf); /* containment: all it started */
	w->kill_sent = true;
	w->killed = true;
	w->svc->dirty = true;
}

void worker_retire(struct worker *w, uint64_t now_ms, const char *why)
{
	if (w->retiring)
		return;
	log_debug("service %s: worker %ld retiring: %s", w->svc->cfg->name,
		  (long)w->pid, why);
	worker_mark_retiring(w, now_ms);
	/* A normal retirement: its successor bypasses the fork limiter. */
	w->svc->replace_credits++;
}

void worker_terminate(struct worker *w, uint64_t now_ms, unsigned grace_s, const char *why)
{
	if (w->terminated || w->kill_sent)
		return;
	log_warn("service %s: terminating worker %ld: %s", w->svc->cfg->name,
		 (long)w->pid, why);
	worker_mark_retiring(w, now_ms);
	contain_leaf_signal(&w->svc->m->contain, &w->leaf, SIGTERM); /* containment: its group */
	w->terminated = true;
	w->killed = true;
	w->stop_sent = true;
	w->stop_deadline_ms = now_ms + (uint64_t)grace_s * 1000u;
}

void worker_stop(struct worker *w, uint64_t now_ms, unsigned timeout_s)
{
	if (w->stop_sent)
		return;
	worker_mark_retiring(w, now_ms);
	w->stop_sent = true;
	w->stop_deadline_ms = now_ms + (uint64_t)timeout_s * 1000u;
	if (w->status_watch.fd < 0 || protocol_send(w->status_watch.fd, PROTOCOL_STOP) < 0)
		contain_leaf_signal(&w->svc->m->contain, &w->leaf, SIGTERM); /* no channel left */
	w->svc->dirty = true;
}

static void worker_apply(struct worker *w, enum protocol_msg msg, uint64_t now_ms)
{
	enum policy_worker_state state = w->state;
	bool retiring = w->retiring;
	unsigned requests = w->requests;

	if (!policy_on_message(&state, &retiring, &requests, msg)) {
		char why[96];
		snprintf(why, sizeof(why), "protocol violation: \"%s\" while %s",
			 msg == PROTOCOL_INVALID ? "(invalid)" : protocol_word(msg),
			 worker_state_name(w));
		worker_kill(w, why);
		return;
	}
	if (retire_use_exceeded(requests, w->max_use)) {
		worker_kill(w, "served more requests than max_use");
		return;
	}
	if (requests != w->requests) {
		w->svc->stats.requests++;
		if (throttle_reset(&w->svc->throttle))
			log_info("service %s: recovered: worker %ld is serving requests",
				 w->svc->cfg->name, (long)w->pid);
	}
	if (retiring && !w->retiring)
		worker_retire(w, now_ms, "announced");
	worker_count_state(w, -1);
	w->state = state;
	w->requests = requests;
	w->state_since_ms = now_ms;
	worker_count_state(w, +1);
	worker_place(w);
	/* max_lifetime: "retire when next idle" is now. */
	if (state == POLICY_IDLE && retire_lifetime_due_ms(w->started_ms, w->lifetime_ms) <= now_ms)
		w->svc->lifetime_next_ms = now_ms;
	w->svc->dirty = true; /* also lets a recycle take this worker now */
}

/* Reads up to `budget` packets. Returns false once the channel is closed. */
static void worker_reject(struct worker *w, const char *buf, size_t n)
{
	char shown[PROTOCOL_PACKET_MAX_BYTES + 1], why[128];
	size_t k = n > PROTOCOL_PACKET_MAX_BYTES ? PROTOCOL_PACKET_MAX_BYTES : n;

	for (size_t i = 0; i < k; i++)
		shown[i] = (buf[i] >= 0x20 && buf[i] < 0x7f) ? buf[i] : '?';
	shown[k] = '\0';
	snprintf(why, sizeof(why), "invalid status message \"%s\"", shown);
	worker_kill(w, why);
}

/* Reads up to `budget` packets, a batch per recvmmsg(2) call (under load a
 * worker's channel holds several). Returns false once the channel closed. */
static bool worker_read_status(struct worker *w, unsigned budget, uint64_t now_ms)
{
	char bufs[WORKER_PACKETS_PER_WAKEUP][PROTOCOL_PACKET_MAX_BYTES + 1];
	struct iovec iov[WORKER_PACKETS_PER_WAKEUP];
	struct mmsghdr msgs[WORKER_PACKETS_PER_WAKEUP];

	while (budget > 0 && !w->kill_sent) {
		unsigned want = budget < WORKER_PACKETS_PER_WAKEUP ? budget : WORKER_PACKETS_PER_WAKEUP;
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
		for (int i = 0; i < n && !w->kill_sent; i++) {
			size_t len = msgs[i].msg_len;
			if (len == 0)
				return false; /* end-of-file */
			enum protocol_msg msg = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
				? PROTOCOL_INVALID : protocol_decode(bufs[i], len);
			if (msg == PROTOCOL_INVALID)
				worker_reject(w, bufs[i], len);
			else
				worker_apply(w, msg, now_ms);
		}
		if ((unsigned)n < want)
			return true; /* drained */
		budget -= (unsigned)n;
	}
	return true;
}

static void worker_close_status(struct worker *w)
{
	int fd = w->status_watch.fd;

	if (fd < 0)
		return;
	channels_del(&w->svc->m->channels, &w->status_watch);
	close(fd);
}

static void worker_close_stderr(struct worker *w)
{
	int fd = w->stderr_watch.fd;

	if (fd < 0)
		return;
	event_del(&w->svc->m->loop, &w->stderr_watch);
	close(fd);
}

static void worker_on_status(struct event_watch *ew, uint32_t revents)
{
	struct worker *w = EVENT_OWNER(ew, struct worker, status_watch);

	if (!worker_read_status(w, WORKER_PACKETS_PER_WAKEUP, clock_now_ms()))
		worker_close_status(w); /* its exit comes through SIGCHLD */
}

static void worker_on_stderr(struct event_watch *ew, uint32_t revents)
{
	struct worker *w = EVENT_OWNER(ew, struct worker, stderr_watch);

	if (!relay_read(&w->relay, ew->fd, w->svc->cfg->name, w->pid))
		worker_close_stderr(w);
}

struct worker *worker_spawn(struct service *svc, uint64_t now_ms)
{
	struct master *m = svc->m;
	int chan[2], errp[2];
	struct launch_error e;
	struct worker *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		log_err("service %s: cannot start a worker: out of memory", svc->cfg->name);
		return NULL;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, chan) < 0) {
		log_err("service %s: cannot start a worker: socketpair: %s",
			svc->cfg->name, strerror(errno));
		free(w);
		return NULL;
	}
	if (pipe2(errp, O_CLOEXEC) < 0) {
		log_err("service %s: cannot start a worker: pipe: %s",
			svc->cfg->name, strerror(errno));
		close(chan[0]);
		close(chan[1]);
		free(w);
		return NULL;
	}
	/* The worker's end must block: a worker is a plain program. */
	fcntl(chan[1], F_SETFL, fcntl(chan[1], F_GETFL) & ~O_NONBLOCK);
	fcntl(errp[0], F_SETFL, O_NONBLOCK);

	const struct service_config *c = svc->cfg;
	uint64_t seq = svc->spawn_seq++;
	unsigned max_use = retire_jitter(c->set.max_use, c->set.lifetime_jitter_pct, seq);
	/* The child reads the environment from here until it execs. */
	snprintf(svc->max_use_digits, 16, "%u", max_use);
	struct launch_spec spec = {
		.path = c->path, .argv = c->argv, .envp = svc->envp,
		.pid_digits = svc->pid_digits, .pid_digits_size = 16,
		.listen_fds = svc->sock_fds, .nlisten = svc->nsocks,
		.status_fd = chan[1], .stderr_fd = errp[1],
		.set_ids = m->root, .uid = c->uid, .gid = c->gid,
		.groups = c->groups, .ngroups = c->ngroups,
		.parent = getpid(),
	};
	isolation_apply(svc->iso, &spec);
	/* containment: the worker is born in a cgroup leaf of its own */
	struct launch_isolation leaf_iso;
	pid_t pid = -1;
	e.step = "containment";
	e.err = errno = 0;
	if (contain_leaf_prepare(&m->contain, &w->leaf, &spec, &leaf_iso,
				 m->launcher.clone3_missing) == 0) {
		pid = launch_start(&m->launcher, &spec, &e);
		contain_leaf_launched(&m->contain, &w->leaf, pid);
	} else {
		e.err = errno;
	}
	close(chan[1]);
	close(errp[1]);
	if (pid < 0) {
		log_err("service %s: cannot start %s: %s failed: %s", c->name, c->path,
			e.step, strerror(e.err));
		close(chan[0]);
		close(errp[0]);
		free(w);
		svc->stats.launch_failed++;
		return NULL;
	}
	w->svc = svc;
	w->pid = pid;
	w->seq = seq;
	w->max_use = max_use;
	w->lifetime_ms = retire_jitter_ms(c->set.max_lifetime_s, c->set.lifetime_jitter_pct, seq);
	uint64_t due = retire_lifetime_due_ms(now_ms, w->lifetime_ms);
	if (due < svc->lifetime_next_ms)
		svc->lifetime_next_ms = due;
	w->state = POLICY_STARTING;
	w->started_ms = w->state_since_ms = now_ms;
	w->status_watch.fd = w->stderr_watch.fd = -1;
	channels_add(&m->channels, &w->status_watch, chan[0], worker_on_status);
	event_add(&m->loop, &w->stderr_watch, errp[0], EPOLLIN, worker_on_stderr);
	pidmap_put(&m->pids, pid, w);
	list_append(&svc->workers, &w->all_link);
	worker_count_state(w, +1);
	worker_place(w);
	svc->stats.spawned++;
	svc->dirty = true;
	return w;
}

void worker_exited(struct worker *w, int wstatus, uint64_t now_ms)
{
	struct service *svc = w->svc;
	const char *name = svc->cfg->name;
	bool clean = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;

	/* What it said before dying still counts (its last "idle"...). */
	if (w->status_watch.fd >= 0)
		worker_read_status(w, UINT32_MAX, now_ms);
	worker_close_status(w);
	/* Drain what is buffered (a pipe holds 64 KiB: a few reads); a
	 * grandchild still holding the pipe just means no end-of-file yet. */
	for (int i = 0; i < 8 && w->stderr_watch.fd >= 0 &&
			relay_read(&w->relay, w->stderr_watch.fd, name, w->pid); i++)
		;
	relay_flush(&w->relay, name, w->pid);
	worker_close_stderr(w);

	/* A start failure: gone before its first request, not because we
	 * asked it to go (throttle.h). Logged once per back-off transition,
	 * not once per crash. */
	struct throttle_exit how_ended = {
		.asked = w->stop_sent && !w->terminated, .clean = clean, .killed = w->killed,
		.never_ready = w->state == POLICY_STARTING, .requests = w->requests,
	};
	bool start_failure = !svc->stopping && throttle_is_start_failure(&how_ended);
	char how[48];
	if (WIFSIGNALED(wstatus))
		snprintf(how, sizeof(how), "died on signal %d", WTERMSIG(wstatus));
	else
		snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(wstatus));
	if (start_failure) {
		bool first = svc->throttle.failures == 0;
		svc->stats.start_failures++;
		if (throttle_failure(&svc->throttle, svc->cfg->set.throttle_min_s,
				     svc->cfg->set.throttle_max_s, now_ms) && first)
			log_warn("service %s: worker %ld %s before serving; throttled: "
				 "next start in %us", name, (long)w->pid, how,
				 svc->throttle.interval_s);
		else
			log_debug("service %s: worker %ld %s before serving (%u start failures, "
				  "back-off %us)", name, (long)w->pid, how,
				  svc->throttle.failures, svc->throttle.interval_s);
	}
	if (w->killed) {
		svc->stats.killed++;
	} else if (!clean && !w->stop_sent) {
		svc->stats.crashed++;
		if (!start_failure)
			log_warn("service %s: worker %ld %s after %u requests", name,
				 (long)w->pid, how, w->requests);
	} else if (!w->retiring && !svc->stopping && (w->requests > 0 || w->stop_sent)) {
		/* Left on its own after serving: a normal retirement. */
		svc->replace_credits++;
	}
	worker_count_state(w, -1);
	if (w->recycle)
		svc->recycle_pending--;
	list_remove(&w->timer_link);
	list_remove(&w->all_link);
	/* containment: a lingering worker left the map at its reap, and its
	 * pid may be a new worker's by now */
	if (pidmap_get(&svc->m->pids, w->pid) == w)
		pidmap_remove(&svc->m->pids, w->pid);
	list_append(&svc->m->dead, &w->dead_link);
	svc->dirty = true;
}

void worker_lingering(struct worker *w, uint64_t now_ms)
{
	worker_mark_retiring(w, now_ms);
}

void worker_free(struct worker *w)
{
	free(w->relay.partial);
	free(w);
}
