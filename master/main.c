/* main.c - the master daemon: command line, start-up, the event loop and
 * shutdown. Everything it drives lives in struct master (master.h).
 *
 * The command line is options.c's.
 *
 * Start-up order: everything that can fail for a reason the operator must
 * see (configuration, pid file lock, control socket, every listening
 * socket) happens before the daemon detaches, with errors on stderr; the
 * workers are forked after it, by the final daemon process, their parent. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/keyctl.h>

#include "build_config.h"
#include "clock.h"
#include "config_fds.h"
#include "daemon.h"
#include "evict.h"
#include "fdlimit.h"
#include "log.h"
#include "monitor.h"
#include "master.h"
#include "options.h"
#include "outbuf.h"
#include "pidfile.h"
#include "pool.h"
#include "procstat.h"
#include "reload.h"
#include "service.h"
#include "status.h"
#include "worker.h"

#define MAIN_WAIT_MAX_MS 60000 /* longest sleep: a clock step cannot strand us */
#define MAIN_FD_TEXT_BYTES 384
#define MAIN_FD_LIMIT_BYTES 48
#define MAIN_OOM_SCORE_BYTES 16 /* "-1000\n" */
/* The master's session keyring: possessors may view, read (it is empty)
 * and search it; nobody may add, link, change or clear anything. */
#define MAIN_KEY_POS_VIEW 0x01000000u   /* keyctl(2)'s permission bits */
#define MAIN_KEY_POS_READ 0x02000000u
#define MAIN_KEY_POS_SEARCH 0x08000000u
#define MAIN_SESSION_KEYRING_PERM (MAIN_KEY_POS_VIEW | MAIN_KEY_POS_READ | MAIN_KEY_POS_SEARCH)

/* A session keyring of the master's own, empty, that its possessors (every
 * worker inherits it) may look at and nothing more. The one it was started
 * with (an administrator's login keyring, with pam_keyinit) was every
 * worker's to read and write, whatever its uid: an adversarial run had a
 * dynamic-user worker read a root token there, and two services pass
 * keys through it. A kernel without keyrings has nothing to drop. */
static void main_session_keyring(void)
{
	long id = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0);

	if (id < 0 && errno == ENOSYS)
		return;
	if (id < 0 || syscall(SYS_keyctl, KEYCTL_SETPERM, id, MAIN_SESSION_KEYRING_PERM, 0, 0) < 0)
		fprintf(stderr, "master: session keyring: %s (workers share the one it was "
			"started with)\n", strerror(errno));
}

static bool main_all_gone(struct master *m)
{
	struct service *lists[] = { m->services, m->draining };

	for (size_t l = 0; l < 2; l++)
		for (struct service *svc = lists[l]; svc; svc = svc->next)
			if (!list_empty(&svc->workers))
				return false;
	return true;
}

/* Every service has its prefork workers ready, or has failed to start and
 * is backing off: waiting longer would only hold up the init system. */
static bool main_all_ready(struct master *m)
{
	for (struct service *svc = m->services; svc; svc = svc->next)
		if (svc->n_idle + svc->n_busy < svc->cfg->set.prefork && svc->throttle.failures == 0)
			return false;
	return true;
}

static void main_notify_ready(struct master *m)
{
	char summary[STATUS_SUMMARY_BYTES];

	m->ready_sent = true;
	status_summary(m, summary, sizeof(summary));
	log_info("ready: %s", summary);
	sdnotify_send(&m->notify, "READY=1\nSTATUS=%s", summary);
}

static void main_begin_stop(struct master *m, uint64_t now)
{
	struct service *lists[] = { m->services, m->draining };

	log_info("stopping: workers finish their current request");
	sdnotify_send(&m->notify, "STOPPING=1\nSTATUS=stopping");
	m->stopping = true;
	for (size_t l = 0; l < 2; l++)
		for (struct service *svc = lists[l]; svc; svc = svc->next) {
			svc->handover = false;
			pool_stop(svc, now);
		}
}

/* `stop --now`: no draining; the loop ends once the kills are reaped. */
static void main_kill_all(struct master *m)
{
	struct service *lists[] = { m->services, m->draining };
	uint64_t now = clock_now_ms();

	log_warn("stopping now: killing every worker");
	for (size_t l = 0; l < 2; l++)
		for (struct service *svc = lists[l]; svc; svc = svc->next)
			evict_kill_service(svc, now, "stop --now");
}

static int main_timeout_ms(struct master *m, uint64_t now, uint64_t next)
{
	struct service *lists[] = { m->services, m->draining };
	uint64_t t = control_expire(&m->control, now);

	next = t < next ? t : next;
	t = monitor_tick(&m->monitor, now);
	next = t < next ? t : next;
	for (size_t l = 0; l < 2; l++)
		for (struct service *svc = lists[l]; svc; svc = svc->next)
			if (svc->deadline_ms < next)
				next = svc->deadline_ms;
	if (next == CLOCK_NEVER_MS)
		return -1; /* an idle master sleeps */
	return next <= now ? 0 : (int)(next - now > MAIN_WAIT_MAX_MS ? MAIN_WAIT_MAX_MS : next - now);
}

static void main_signals(struct master *m, uint64_t now)
{
	if (m->sig.child) {
		m->sig.child = false;
		monitor_reap(m, now);
	}
	if (m->sig.reload) {
		struct outbuf reply = { 0 };
		m->sig.reload = false;
		log_info("SIGHUP: reloading");
		reload_apply(m, &reply); /* logs its outcome */
		outbuf_free(&reply);
	}
	if (m->sig.stop && !m->stopping)
		main_begin_stop(m, now);
	if (m->stop_now) {
		m->stop_now = false;
		main_kill_all(m);
	}
}

static void main_loop(struct master *m)
{
	uint64_t handover_next = CLOCK_NEVER_MS, contain_next = CLOCK_NEVER_MS;

	for (;;) {
		uint64_t now = clock_now_ms();
		uint64_t next = handover_next < contain_next ? handover_next : contain_next;
		uint64_t sd_next = sdnotify_tick(&m->notify, now); /* systemd's watchdog */
		next = sd_next < next ? sd_next : next;
		uint64_t given = m->ipcsweep.given;
		uint64_t sweep_next = ipcsweep_tick(&m->ipcsweep, now); /* uids held back */
		next = sweep_next < next ? sweep_next : next;
		if (m->ipcsweep.given != given)
			pool_uids_back(m);
		if (event_run_once(&m->loop, main_timeout_ms(m, now, next)) < 0) {
			log_err("epoll_wait: %m");
			break;
		}
		now = clock_now_ms();
		main_signals(m, now);
		/* Draining cgroup leaves re-checked, orphan scans. */
		contain_next = contain_tick(&m->contain, now);
		struct service *lists[] = { m->services, m->draining };
		for (size_t l = 0; l < 2; l++)
			for (struct service *svc = lists[l]; svc; svc = svc->next)
				if (svc->dirty || svc->deadline_ms <= now)
					pool_update(svc, now);
		while (!list_empty(&m->dead)) {
			struct worker *w = LIST_ENTRY(m->dead.next, struct worker, dead_link);
			list_remove(&w->dead_link);
			worker_free(w);
		}
		handover_next = reload_tick(m, now);
		log_flush(); /* the master's own lines kept while the log was full */
		if (!m->ready_sent && !m->stopping && main_all_ready(m))
			main_notify_ready(m);
		if (m->stopping && main_all_gone(m))
			break;
	}
}

/* The fd limit the configuration needs, with room for a reload that
 * replaces every service (config_fds.h); refused at load if even the
 * configuration alone does not fit. Before the first worker fd exists;
 * only a failure is logged here (the caller's stderr stays quiet). */
static int main_fd_limit(struct master *m)
{
	unsigned long long want = config_fds_target(&m->cfg, &m->cfg);
	char now[MAIN_FD_LIMIT_BYTES];

	if (fdlimit_raise(want) >= 0)
		return 0;
	fdlimit_format(now, sizeof(now));
	log_err("cannot raise RLIMIT_NOFILE from %s to %llu: %s", now, want, strerror(errno));
	return -1;
}

/* What the configuration needs and what the limit became (after the
 * daemon detached: a line for the log, not for the caller). */
static void main_fd_report(struct master *m)
{
	char what[MAIN_FD_TEXT_BYTES], now[MAIN_FD_LIMIT_BYTES];
	unsigned long long want = config_fds_target(&m->cfg, &m->cfg);
	struct rlimit orig, cur;

	config_fds_describe(&m->cfg, what, sizeof(what));
	fdlimit_format(now, sizeof(now));
	if (!fdlimit_original(&orig)) {
		log_debug("%s; RLIMIT_NOFILE %s is enough", what, now);
		return;
	}
	if (getrlimit(RLIMIT_NOFILE, &cur) == 0 && cur.rlim_cur < want)
		log_warn("%s; RLIMIT_NOFILE %llu:%llu -> %s, short of the %llu a reload replacing "
			 "every service would need", what, (unsigned long long)orig.rlim_cur,
			 (unsigned long long)orig.rlim_max, now, want);
	else
		log_info("%s; RLIMIT_NOFILE %llu:%llu -> %s (workers keep %llu:%llu unless "
			 "rlimit_nofile is set)", what, (unsigned long long)orig.rlim_cur,
			 (unsigned long long)orig.rlim_max, now, (unsigned long long)orig.rlim_cur,
			 (unsigned long long)orig.rlim_max);
}

/* Everything up to the listening sockets; errors go to stderr. */
static int main_setup(struct master *m, int *pidfd, bool foreground)
{
	/* Made if missing; owned by root and written by nobody else, nor any
	 * directory above it, or refused (rundir.h). */
	if (rundir_open(&m->rundir, m) < 0)
		return -1;
	*pidfd = pidfile_acquire(m->cfg.master.pid_file);
	if (*pidfd < 0)
		return -1;
	rundir_pid_file(&m->rundir, *pidfd);
	if (main_fd_limit(m) < 0)
		return -1;
	if (event_init(&m->loop) < 0 || monitor_init(&m->monitor, &m->loop) < 0 ||
	    launcher_init(&m->launcher) < 0) {
		log_err("start-up: %s", strerror(errno));
		return -1;
	}
	rundir_watch(&m->rundir);
	/* After the pid file lock (what runs under our base is a previous
	 * master's), before any bind (its leftovers may hold our ports). */
	if (contain_init(&m->contain, &m->cfg.master, &m->loop, foreground,
			 monitor_contained_gone, m) < 0)
		return -1;
	if (control_open(&m->control, m, m->cfg.master.control_socket) < 0 ||
	    service_create_all(m) < 0)
		return -1;
	return 0;
}

/* The daemon forks; the final process owns the pid file and the log. */
static int main_detach(struct master *m, struct options *args, int pidfd, int *ready_fd)
{
	char *abs = daemon_absolute(args->dir);

	if (abs == NULL || daemon_detach(ready_fd) < 0) {
		log_err("cannot become a daemon: %s", strerror(errno));
		free(abs);
		return -1;
	}
	/* The daemon lives in "/": a reload must find the directory again. */
	free(m->cfg.dir);
	m->cfg.dir = abs;
	log_open(false, args->verbose);
	return pidfile_write(pidfd, m->cfg.master.pid_file);
}

/* Every worker inherits the master's oom_score_adj (OOMScoreAdjust= in
 * its unit, choom). It cannot be given another one at launch: the launch
 * shares the master's memory until its exec (clone(CLONE_VM), launch.c),
 * and the kernel writes a value to every process of a shared memory, the
 * master too; set after the exec, it would leave a window in which a
 * worker's children take the master's value for good. So a master
 * protected from the OOM killer says that its workers are too. */
static void main_oom_score(void)
{
	char buf[MAIN_OOM_SCORE_BYTES];

	if (procstat_file((long)getpid(), "oom_score_adj", buf, sizeof(buf)) < 0)
		return;
	long adj = strtol(buf, NULL, 10);
	if (adj < 0)
		fprintf(stderr, "master: warning: oom_score_adj is %ld, and every worker "
			"inherits it: the OOM killer spares them as it spares the master "
			"(unset OOMScoreAdjust=)\n", adj);
}

int main(int argc, char **argv)
{
	struct options args;
	struct diag errs = { 0 };
	struct master m;
	char *pid_path = NULL;
	int pidfd = -1, ready_fd = -1, rc = 1;

	daemon_fix_std_fds();
	/* Not dumpable, before anything else: a launch runs in the master's
	 * memory (clone(CLONE_VM), launch.c) and, between dropping its
	 * capabilities and its exec, looks to the kernel like any process of
	 * its uid without privilege. A launch that changes uid makes the
	 * memory non-dumpable by itself; one under unpriv=n keeps uid 0, and a
	 * dumpable master would let any unpriv=n worker (uid 0, no
	 * capabilities) open /proc/PID/mem or /proc/PID/fd of the launch:
	 * the master's own memory and fd table. Not dumpable, that takes
	 * CAP_SYS_PTRACE. The flag belongs to the memory, so every launch and
	 * helper sharing it has it; an exec gives the worker memory of its
	 * own, dumpable again. The cost: the master leaves no core dump. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	main_session_keyring();
	switch (options_parse(argc, argv, &args)) {
	case OPTIONS_RUN: break;
	case OPTIONS_DONE: return 0;
	case OPTIONS_USAGE: return 2;
	}
	main_oom_score();
	memset(&m, 0, sizeof(m));
	sdlisten_take(&m.inherited); /* fds 3.., before anything opens one */
	list_init(&m.dead);
	list_init(&m.generations);
	m.launcher.devnull_fd = -1;
	m.control.watch.fd = -1;
	m.sig.watch.fd = -1;
	m.loop.epfd = -1;
	m.notify.fd = -1;
	m.contain.base_fd = m.contain.inotify_fd = m.contain.guard_fd = -1;
	m.contain.watch.fd = -1;
	m.overrides = args.overrides;
	m.ipcsweep.pool = &m.dynusers;
	if (config_load(args.dir, args.overrides, &m.cfg, &errs) < 0) {
		diag_print(&errs, stderr);
		fprintf(stderr, "master: configuration in %s has %zu error%s; not started\n",
			args.dir, errs.n, errs.n == 1 ? "" : "s");
		diag_free(&errs);
		return 1;
	}
	if (args.check_only) {
		char fds[MAIN_FD_TEXT_BYTES];
		config_fds_describe(&m.cfg, fds, sizeof(fds));
		printf("master: configuration in %s is valid: %zu service%s; %s\n", args.dir,
		       m.cfg.nservices, m.cfg.nservices == 1 ? "" : "s", fds);
		config_free(&m.cfg);
		return 0;
	}
	log_open(true, args.verbose);
	sdnotify_open(&m.notify); /* before any worker environment is built */
	m.root = geteuid() == 0;
	if (!m.root)
		log_warn("not running as root: every worker runs as uid %ld", (long)geteuid());
	/* A reload may name another pid file; the one we hold is this one. */
	pid_path = strdup(m.cfg.master.pid_file);
	if (pid_path == NULL || main_setup(&m, &pidfd, args.foreground) < 0)
		goto out;
	sdlisten_done(&m.inherited); /* what no service took is closed */
	if (!args.foreground && main_detach(&m, &args, pidfd, &ready_fd) < 0)
		goto out;
	/* After the forks: a signalfd wakes epoll for the process that
	 * registered it, so one inherited from the original process would
	 * never report the daemon's SIGCHLD. */
	if (signals_init(&m.sig, &m.loop) < 0) {
		log_err("signals: %s", strerror(errno));
		goto out;
	}
	m.started_ms = clock_now_ms();
	contain_start(&m.contain, monitor_known_child, &m); /* subreaper, guard: in the daemon */
	pool_start_all(&m, m.started_ms);
	log_info("master %s started: %zu service%s from %s", MASTER_VERSION,
		 m.cfg.nservices, m.cfg.nservices == 1 ? "" : "s", m.cfg.dir);
	main_fd_report(&m);
	daemon_ready(ready_fd);
	main_loop(&m);
	log_info("stopped");
	rc = 0;
out:
	control_close(&m.control);
	rundir_close(&m.rundir);
	service_destroy_all(&m);
	ipcsweep_finish(&m.ipcsweep); /* after: the services' uids are given back */
	contain_fini(&m.contain); /* the guard leaves, our empty cgroups go */
	reload_fini(&m);
	launcher_fini(&m.launcher);
	signals_fini(&m.sig, &m.loop);
	monitor_fini(&m.monitor);
	event_fini(&m.loop);
	pidmap_free(&m.pids);
	pidfile_release(pidfd, pid_path);
	free(pid_path);
	sdnotify_close(&m.notify);
	sdlisten_done(&m.inherited);
	config_free(&m.cfg);
	log_flush(); /* the master's own kept lines go now, or not at all */
	log_close();
	return rc;
}
