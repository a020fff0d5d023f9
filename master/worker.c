/* worker.c - owns the worker process handle (see worker.h): starting a
 * worker, keeping the service's per-state and per-phase lists and counts,
 * and the exit verbs. Nothing here is fatal: a start that fails leaves
 * nothing behind and says which step failed.
 *
 * Signals go through worker_signal(), which refuses a worker that has been
 * reaped: its pid may belong to a stranger by now. Until the master reaps
 * it, a dead worker is a zombie and its pid cannot be reused, so a signal
 * to it is harmless. */
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "cmsg.h"
#include "isolation.h"
#include "launch.h"
#include "log.h"
#include "master.h"
#include "protocol.h"
#include "retire.h"
#include "service.h"
#include "sockaudit.h"

#define WORKER_DIGITS_BYTES 16 /* room for an unsigned and its NUL */
#define WORKER_HOW_BYTES 64    /* how worker_memory measured, for the log */

/* The counts the pool policy reads: serving workers by state, and every
 * worker on its way out as retiring. */
static void worker_count(struct worker *w, int delta)
{
	struct service *svc = w->svc;

	if (w->phase != WORKER_SERVING) {
		svc->n_retiring += delta;
		if (w->phase != WORKER_RETIRING)
			svc->n_stopping += delta;
		return;
	}
	switch (w->proto.state) {
	case POLICY_STARTING: svc->n_starting += delta; break;
	case POLICY_IDLE: svc->n_idle += delta; break;
	case POLICY_BUSY: svc->n_busy += delta; break;
	}
}

/* Puts w at the tail of the list its state or phase calls for, so each
 * list stays ordered by the time its members entered it. */
static void worker_place(struct worker *w)
{
	struct service *svc = w->svc;
	struct list *to;

	switch (w->phase) {
	case WORKER_RETIRING: to = &svc->retiring; break;
	case WORKER_STOPPING: to = &svc->stop_sent; break;
	case WORKER_TERMINATING: to = &svc->term_sent; break;
	case WORKER_DYING: to = &svc->kill_sent; break;
	default:
		to = w->proto.state == POLICY_STARTING ? &svc->starting
			: w->proto.state == POLICY_IDLE ? &svc->idle : &svc->busy;
	}
	list_remove(&w->timer_link);
	list_append(to, &w->timer_link);
}

void worker_set_state(struct worker *w, enum policy_worker_state state, uint64_t now_ms)
{
	worker_count(w, -1);
	w->proto.state = state;
	w->state_since_ms = now_ms;
	worker_count(w, +1);
	/* A leaving worker's list is ordered by its phase, not its state. */
	if (w->phase == WORKER_SERVING)
		worker_place(w);
	w->svc->dirty = true;
}

/* Moves w forward to phase; false if it is there or past it already. */
static bool worker_advance(struct worker *w, enum worker_phase phase, uint64_t now_ms)
{
	if (w->reaped || w->phase >= phase)
		return false;
	worker_count(w, -1);
	w->phase = phase;
	w->phase_since_ms = now_ms;
	worker_count(w, +1);
	worker_place(w);
	if (w->recycle) {
		w->recycle = false;
		w->svc->recycle_pending--;
	}
	w->svc->dirty = true;
	return true;
}

static void worker_signal(struct worker *w, int sig)
{
	struct master *m = w->svc->m;

	if (w->reaped)
		return;
	if (m->ops.signal != NULL)
		m->ops.signal(m, w->pid, sig);
	else if (w->daemon != NULL && worker_daemon_signal(w, sig))
		return; /* a main process it left behind, by pidfd */
	else if (sig == SIGKILL) /* the worker and everything it started */
		contain_leaf_kill(&m->contain, &w->leaf);
	else
		contain_leaf_signal(&m->contain, &w->leaf, sig);
}

bool worker_retire(struct worker *w, uint64_t now_ms)
{
	return worker_advance(w, WORKER_RETIRING, now_ms);
}

bool worker_tell_stop(struct worker *w)
{
	if (w->told_stop)
		return true;
	if (w->status_watch.fd < 0 || protocol_send(w->status_watch.fd, PROTOCOL_STOP) < 0)
		return false;
	w->told_stop = true;
	return true;
}

bool worker_stop(struct worker *w, uint64_t now_ms, unsigned timeout_s)
{
	if (!worker_advance(w, WORKER_STOPPING, now_ms))
		return false;
	w->deadline_ms = now_ms + (uint64_t)timeout_s * 1000u;
	/* A daemon is told as systemd would (stop_signal); a protocol worker
	 * with no channel left to ask on gets SIGTERM. */
	if (w->daemon != NULL)
		worker_signal(w, worker_daemon_stop_signal(w));
	else if (!worker_tell_stop(w))
		worker_signal(w, SIGTERM);
	return true;
}

bool worker_terminate(struct worker *w, uint64_t now_ms, unsigned grace_s)
{
	if (!worker_advance(w, WORKER_TERMINATING, now_ms))
		return false;
	w->deadline_ms = now_ms + (uint64_t)grace_s * 1000u;
	worker_signal(w, SIGTERM);
	return true;
}

bool worker_kill(struct worker *w, uint64_t now_ms)
{
	if (!worker_advance(w, WORKER_DYING, now_ms))
		return false;
	w->deadline_ms = now_ms + WORKER_KILL_RECHECK_MS;
	worker_signal(w, SIGKILL);
	return true;
}

void worker_kill_again(struct worker *w, uint64_t now_ms)
{
	w->deadline_ms = now_ms + WORKER_KILL_RECHECK_MS;
	worker_signal(w, SIGKILL);
}

void worker_lingering(struct worker *w, uint64_t now_ms)
{
	/* Containment kills what is left; nothing is sent to its pid. */
	(void)worker_advance(w, WORKER_DYING, now_ms);
	w->reaped = true;
}

const char *worker_state_name(const struct worker *w)
{
	if (w->phase == WORKER_RETIRING)
		return "retiring";
	if (w->phase != WORKER_SERVING)
		return "stopping";
	if (w->stopped_ms != 0) /* by a signal: it serves no one */
		return "stopped";
	switch (w->proto.state) {
	case POLICY_STARTING: return "starting";
	case POLICY_IDLE: return w->daemon != NULL ? "running" : "idle";
	case POLICY_BUSY: return "busy";
	}
	return "unknown";
}

/* worker_stderr=shared: bytes go to the relay of the worker that wrote
 * them, if it is one of this service's (relay_shared.h); a pid not in the
 * map (a worker's child, one reaped already) is the stream's own. */
static struct relay *worker_stderr_route(void *ctx, pid_t pid)
{
	struct service *svc = ctx;
	struct worker *w = pid > 0 ? pidmap_get(&svc->m->pids, pid) : NULL;

	return w != NULL && w->svc == svc ? &w->relay : NULL;
}

/* The shared stderr was shut down: the workers holding it are recycled
 * (pool.c), so none serves on without a stderr. */
static void worker_stderr_ended(void *ctx)
{
	struct service *svc = ctx;

	svc->stderr_lost = true;
	svc->dirty = true;
}

static pid_t worker_launch(struct service *svc, struct contain_leaf *leaf, int status_fd,
			   int stderr_fd, struct launch_error *e)
{
	struct master *m = svc->m;
	const struct service_config *c = svc->cfg;
	struct launch_spec spec = {
		.path = c->path, .argv = c->argv, .envp = svc->envp,
		.pid_digits = svc->pid_digits, .pid_digits_size = WORKER_DIGITS_BYTES,
		.listen_fds = svc->sock_fds, .nlisten = svc->nsocks,
		.status_fd = status_fd, .stderr_fd = stderr_fd,
		.set_ids = m->root, .uid = c->uid, .gid = c->gid,
		.groups = c->groups, .ngroups = c->ngroups,
		.parent = getpid(), .deny_userns = !c->set.user_namespaces,
	};

	if (svc->iso != NULL)
		isolation_apply(svc->iso, &spec);
	if (m->ops.launch != NULL)
		return m->ops.launch(m, &spec, e);
	/* dynamic_user=worker: a uid of the worker's own
	 * before the launch, kept by its pid after it, given back when it is
	 * reaped (isolation_worker_reaped in worker_unlink). */
	if (svc->iso != NULL && isolation_worker_ids(svc->iso, &spec) < 0) {
		*e = (struct launch_error){ "dynamic user", ENOSPC };
		return -1;
	}
	/* Born in a cgroup leaf of its own (or its own process group). */
	struct launch_isolation leaf_iso;
	pid_t pid = -1;
	errno = 0;
	if (contain_leaf_prepare(&m->contain, leaf, &spec, &leaf_iso,
				 m->launcher.clone3_missing) == 0) {
		pid = launch_start(&m->launcher, &spec, e);
		contain_leaf_launched(&m->contain, leaf, pid);
	} else {
		*e = (struct launch_error){ "containment", errno ? errno : EIO };
	}
	if (svc->iso != NULL)
		isolation_worker_launched(svc->iso, &spec, pid);
	return pid;
}

struct worker *worker_spawn(struct service *svc, uint64_t now_ms,
			    char *why, size_t why_size)
{
	struct master *m = svc->m;
	const struct service_config *c = svc->cfg;
	int chan[2] = { -1, -1 }, errp[2] = { -1, -1 };
	struct launch_error e = { "out of memory", ENOMEM };
	struct worker *w = calloc(1, sizeof(*w));
	pid_t pid = -1;

	if (w == NULL)
		goto fail;
	/* A daemon (ready=notify|exec) has no status channel: its own
	 * NOTIFY_SOCKET or nothing (worker_daemon.h). */
	e.step = c->ready == SERVICE_READY_PROTOCOL ? "socketpair" : "notification socket";
	if (c->ready == SERVICE_READY_PROTOCOL
	    ? socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, chan) < 0
	    : worker_daemon_prepare(w, svc) < 0)
		goto fail_errno;
	if (chan[0] >= 0)
		(void)cmsg_refuse_fds(chan[0]); /* its fds could block us (cmsg.h) */
	/* Its stderr: a socket of its own (relay.h: not a pipe), or the
	 * service's shared socket, opened with the first worker (again after
	 * a read error closed it). */
	e.step = "stderr socket";
	if (config_stderr_shared(c) && !svc->stderr_shared.open) {
		if (relay_shared_open(&svc->stderr_shared, &m->loop, c->name, worker_stderr_route,
				      worker_stderr_ended, svc) < 0)
			goto fail_errno;
		svc->stderr_shared.own.service_limit = &svc->stderr_budget;
	}
	w->relay.service_limit = &svc->stderr_budget;
	e.step = "stderr socket pair";
	if (!svc->stderr_shared.open && relay_open_own(errp) < 0)
		goto fail_errno;
	/* The worker's end blocks (a worker is a plain program); ours never. */
	if (chan[1] >= 0)
		fcntl(chan[1], F_SETFL, fcntl(chan[1], F_GETFL) & ~O_NONBLOCK);

	uint64_t seq = svc->spawn_seq++;
	w->max_use = retire_jitter(c->set.max_use, c->set.lifetime_jitter_pct, seq);
	/* The child reads the environment from here until it execs. */
	if (svc->max_use_digits != NULL)
		snprintf(svc->max_use_digits, WORKER_DIGITS_BYTES, "%u", w->max_use);
	pid = worker_launch(svc, &w->leaf, chan[1],
			    svc->stderr_shared.open ? svc->stderr_shared.write_fd : errp[1], &e);
	if (chan[1] >= 0)
		close(chan[1]);
	if (errp[1] >= 0)
		close(errp[1]);
	chan[1] = errp[1] = -1;
	if (pid < 0)
		goto fail;

	if (pidmap_put(&m->pids, pid, w) < 0) {
		/* Untracked, it could never be retired: end it now (reaped
		 * later as an unknown child). */
		(void)kill(pid, SIGKILL);
		e = (struct launch_error){ "recording its pid", ENOMEM };
		goto fail;
	}
	w->svc = svc;
	w->pid = pid;
	w->seq = seq;
	w->lifetime_ms = retire_jitter_ms(c->set.max_lifetime_s, c->set.lifetime_jitter_pct, seq);
	w->proto.state = POLICY_STARTING;
	w->phase = WORKER_SERVING;
	w->started_ms = w->state_since_ms = w->phase_since_ms = now_ms;
	w->status_watch.fd = chan[0];
	w->stderr_watch.fd = errp[0];
	list_append(&svc->workers, &w->all_link);
	worker_count(w, +1);
	worker_place(w);
	uint64_t due = retire_lifetime_due_ms(now_ms, w->lifetime_ms);
	if (due < svc->lifetime_next_ms)
		svc->lifetime_next_ms = due;
	svc->stats.spawned++;
	svc->dirty = true;
	return w;

fail_errno:
	e.err = errno;
fail:
	snprintf(why, why_size, "%s failed: %s", e.step, strerror(e.err));
	for (int i = 0; i < 2; i++) {
		if (chan[i] >= 0)
			close(chan[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (w != NULL)
		worker_daemon_free(w);
	free(w);
	return NULL;
}

void worker_unlink(struct worker *w)
{
	struct service *svc = w->svc;

	worker_count(w, -1);
	if (w->recycle)
		svc->recycle_pending--;
	if (w->stopped_ms != 0)
		svc->n_stopped--;
	list_remove(&w->timer_link);
	list_remove(&w->silent_link);
	list_remove(&w->all_link);
	/* A lingering worker left the map at its reaping: its pid may be a
	 * new worker's by now. */
	if (pidmap_get(&svc->m->pids, w->pid) == w)
		pidmap_remove(&svc->m->pids, w->pid);
	/* A per-worker dynamic uid goes back once it is reaped. */
	if (svc->iso != NULL)
		isolation_worker_reaped(svc->iso, w->pid);
	list_append(&svc->m->dead, &w->dead_link);
	svc->dirty = true;
	/* What the worker may have changed on the shared sockets. */
	sockaudit_service(svc, clock_now_ms());
}

void worker_free(struct worker *w)
{
	worker_daemon_free(w);
	free(w->relay.partial);
	free(w);
}

unsigned long long worker_memory(struct worker *w, bool *whole, size_t *reads)
{
	char how[WORKER_HOW_BYTES];
	unsigned long long bytes = 0;
	struct master *m = w->svc->m;

	if (m->ops.memory != NULL)
		return m->ops.memory(m, w->pid, whole, reads);
	*whole = contain_leaf_memory(&w->leaf, w->pid, &bytes, reads, how, sizeof(how));
	log_debug("service %s: worker %ld: %llu KiB (%s)", w->svc->cfg->name, (long)w->pid,
		  bytes >> 10, how);
	return bytes;
}
