/* monitor_notify.c - owns reading what a ready=notify daemon says on its
 * NOTIFY_SOCKET and applying it, and following a daemon's main process
 * when the process the master started leaves it behind (see monitor.h,
 * worker_daemon.h). The monitor's family: the same distrust as the
 * status channel.
 *
 *  - The socket is the worker's own, but anyone in the master's network
 *    namespace can send to an abstract name: every datagram's sender, as
 *    the kernel vouches (SO_PASSCRED), must be the worker or a process of
 *    its leaf; others are refused, logged (once a second per worker) and
 *    cost the worker nothing.
 *  - A worker's own datagrams are paid from its budget (an overdraft is a
 *    flood: killed); a datagram too long or with a NUL byte is refused
 *    whole; unknown assignments are ignored (notifymsg.h).
 *  - MAINPID= is believed only for a process of its leaf.
 *  - At most MONITOR_NOTIFY_PER_WAKEUP datagrams are read per wake-up.
 * Nothing here blocks or is fatal. */
#include "monitor.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "evict.h"
#include "log.h"
#include "master.h"
#include "notifymsg.h"
#include "notifysock.h"
#include "service.h"
#include "worker.h"

#define MONITOR_NOTIFY_PER_WAKEUP 32u
#define MONITOR_NOTIFY_REFUSED_LOG_MS 1000u
#define MONITOR_NOTIFY_WHY_BYTES 160
/* A sender found to be no process of the worker's leaf is refused again
 * without a look for this long: the look reads the leaf's cgroup.procs,
 * and anyone can send to the abstract name (measured: an outsider's flood
 * held the master at 98% of a CPU). */
#define MONITOR_NOTIFY_STRANGER_MS 1000u
/* Processes of a leaf tried in turn when the one picked leaves before it
 * is pinned (monitor_notify_follow). */
#define MONITOR_NOTIFY_FOLLOW_TRIES 4u

/* Logs a refused datagram, at most once a second per worker (a flood
 * of them costs a counter). */
__attribute__((format(printf, 3, 4)))
static void monitor_notify_refuse(struct worker *w, uint64_t now_ms, const char *fmt, ...)
{
	struct worker_daemon *d = w->daemon;
	char why[MONITOR_NOTIFY_WHY_BYTES];
	va_list ap;

	d->refused++;
	if (d->refused_log_ms != 0 && now_ms < d->refused_log_ms + MONITOR_NOTIFY_REFUSED_LOG_MS)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_warn("service %s: worker %ld: NOTIFY_SOCKET: refused %s (%u refused so far)",
		 w->svc->cfg->name, (long)w->pid, why, d->refused);
	d->refused_log_ms = now_ms;
}

/* Whether pid is no process of w's: found so within the last
 * MONITOR_NOTIFY_STRANGER_MS, or now (and then remembered). */
static bool monitor_notify_stranger(struct worker *w, pid_t pid, uint64_t now_ms)
{
	struct worker_daemon *d = w->daemon;

	if (pid == d->stranger && now_ms < d->stranger_until_ms)
		return true;
	if (worker_daemon_holds(w, pid))
		return false;
	d->stranger = pid;
	d->stranger_until_ms = now_ms + MONITOR_NOTIFY_STRANGER_MS;
	return true;
}

static void monitor_notify_apply(struct worker *w, const struct notifymsg *msg, uint64_t now_ms)
{
	struct worker_daemon *d = w->daemon;

	if (msg->has_status)
		memcpy(d->status, msg->status, sizeof(d->status));
	if (msg->mainpid > 0 && msg->mainpid != d->mainpid) {
		if (worker_daemon_holds(w, msg->mainpid))
			d->mainpid = msg->mainpid;
		else
			monitor_notify_refuse(w, now_ms, "MAINPID=%ld: not a process of its cgroup",
					      (long)msg->mainpid);
	}
	if (msg->ready && d->ready_ms == 0 && w->phase == WORKER_SERVING)
		worker_daemon_ready(w, now_ms);
	if (msg->watchdog)
		d->alive_ms = now_ms;
	if (msg->watchdog_trigger && d->ready_ms != 0)
		d->hung = true; /* the evictor terminates it (worker_daemon_due) */
	/* Leaving on its own: not capacity any more, its successor starts. */
	if (msg->stopping)
		evict_announced(w, now_ms);
	w->svc->dirty = true;
}

static void monitor_notify_on_readable(struct event_watch *ew, uint32_t revents)
{
	struct worker_daemon *d = EVENT_OWNER(ew, struct worker_daemon, notify_watch);
	struct worker *w = d->w;
	uint64_t now_ms = clock_now_ms();
	char buf[NOTIFYMSG_DATAGRAM_MAX_BYTES];
	struct notifysock_dgram dg;
	struct notifymsg msg;

	(void)revents;
	for (unsigned i = 0; i < MONITOR_NOTIFY_PER_WAKEUP; i++) {
		if (w->phase == WORKER_DYING) {
			/* Killed: nothing it says matters now. Not read any
			 * more, so not watched either (level-triggered). */
			event_set(&w->svc->m->loop, ew, 0);
			return;
		}
		int rc = notifysock_recv(ew->fd, buf, sizeof(buf), &dg);
		if (rc <= 0) {
			if (rc < 0)
				log_warn("service %s: worker %ld: NOTIFY_SOCKET: %m",
					 w->svc->cfg->name, (long)w->pid);
			return;
		}
		if (monitor_notify_stranger(w, dg.pid, now_ms)) {
			monitor_notify_refuse(w, now_ms, "a datagram from pid %ld, not a process "
					      "of this worker", (long)dg.pid);
			if (!bucket_take(&d->strangers, 1, now_ms)) {
				worker_daemon_pause_notify(w, now_ms);
				return;
			}
			continue;
		}
		if (!bucket_take(&d->budget, 1, now_ms)) {
			evict_violation(w, now_ms, "notify flood: over its message budget");
			continue; /* dying: unwatched above */
		}
		if (dg.truncated || notifymsg_parse(buf, dg.len, &msg) < 0) {
			monitor_notify_refuse(w, now_ms, "a datagram of %ld bytes (too long, empty "
					      "or with a NUL byte)", (long)dg.len);
			continue;
		}
		monitor_notify_apply(w, &msg, now_ms);
	}
}

void monitor_notify_watch(struct worker *w, uint64_t now_ms)
{
	struct worker_daemon *d = w->daemon;
	int fd = d->notify_watch.fd;

	bucket_init(&d->budget, WORKER_DAEMON_NOTIFY_RATE_PER_S, WORKER_DAEMON_NOTIFY_BURST,
		    now_ms);
	bucket_init(&d->strangers, WORKER_DAEMON_STRANGERS_PER_S, WORKER_DAEMON_STRANGERS_BURST,
		    now_ms);
	if (fd < 0)
		return; /* ready=exec */
	if (event_add(&w->svc->m->loop, &d->notify_watch, fd, EPOLLIN,
		      monitor_notify_on_readable) < 0) {
		log_err("service %s: worker %ld: watching its NOTIFY_SOCKET: %m (it will not "
			"be seen ready)", w->svc->cfg->name, (long)w->pid);
		d->notify_watch.fd = -1;
		close(fd);
	}
}

void monitor_notify_close(struct worker *w)
{
	struct worker_daemon *d = w->daemon;

	if (d == NULL)
		return;
	/* What it said before leaving still counts (its STATUS=). */
	if (d->notify_watch.fd >= 0 && d->notify_watch.cb != NULL)
		monitor_notify_on_readable(&d->notify_watch, EPOLLIN);
	worker_daemon_close(w);
}

/* The wait status of the followed main process, which exited: its own if
 * it is our child (re-parented to us, a subreaper), else unknown: clean
 * when we had asked it to go, a failure otherwise. */
static int monitor_notify_main_status(struct worker *w, int fd)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG) == 0 && si.si_pid > 0)
		return si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8 : si.si_status & 0x7f;
	log_debug("service %s: worker %ld exited; not our child: its exit status is unknown",
		  w->svc->cfg->name, (long)w->pid);
	return w->asked || w->phase != WORKER_SERVING ? 0 : 1 << 8;
}

static void monitor_notify_on_main_exit(struct event_watch *ew, uint32_t revents)
{
	struct worker_daemon *d = EVENT_OWNER(ew, struct worker_daemon, main_watch);
	struct worker *w = d->w;
	int wstatus = monitor_notify_main_status(w, ew->fd);

	(void)revents;
	/* No signal through the pidfd from here on (containment kills what
	 * is left by its cgroup); monitor_main_exited closes it. */
	monitor_main_exited(w, wstatus, clock_now_ms());
}

bool monitor_notify_follow(struct worker *w, int wstatus, uint64_t now_ms)
{
	struct master *m = w->svc->m;
	struct worker_daemon *d = w->daemon;
	pid_t next = 0;
	int fd = -1;

	/* Checked again once the fd pins the process: the pid, looked up in
	 * the leaf before, may have been reused by a foreign process in
	 * between, and the root master would follow and signal it. One that
	 * left meanwhile (gone, or a zombie) is passed over for the next
	 * oldest: a double fork's middle process exits just after its parent
	 * (lighttpd), and was followed to its exit before. */
	for (unsigned tries = 0; tries < MONITOR_NOTIFY_FOLLOW_TRIES; tries++) {
		next = worker_daemon_successor(w, wstatus);
		if (next <= 0)
			return false;
		fd = (int)syscall(SYS_pidfd_open, next, 0);
		if (fd < 0 && errno != ESRCH)
			break; /* reported below */
		if (fd >= 0 && worker_daemon_holds(w, next))
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
		next = 0;
	}
	if (next <= 0)
		return false;
	if (fd < 0 || pidmap_put(&m->pids, next, w) < 0) {
		log_warn("service %s: worker %ld exited; cannot follow its process %ld: %s",
			 w->svc->cfg->name, (long)w->pid, (long)next,
			 fd < 0 ? strerror(errno) : "out of memory");
		if (fd >= 0)
			close(fd);
		return false;
	}
	worker_daemon_unwatch_main(w); /* a main it had left behind already */
	d->main_fd = fd;
	if (event_add(&m->loop, &d->main_watch, fd, EPOLLIN, monitor_notify_on_main_exit) < 0)
		log_err("service %s: watching process %ld: %m (its exit is seen when its "
			"cgroup empties)", w->svc->cfg->name, (long)next);
	d->main_watch.fd = fd;
	log_info("service %s: worker %ld exited (%s); its process %ld carries on as the worker",
		 w->svc->cfg->name, (long)w->pid, WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0
		 ? "forked into the background" : "announced MAINPID", (long)next);
	/* The first pid is reaped: never signalled again, by pid or group. */
	w->leaf.reaped = true;
	w->pid = next;
	w->svc->dirty = true;
	(void)now_ms;
	return true;
}
