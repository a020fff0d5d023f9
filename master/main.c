/* main.c - the master daemon: command line, start-up, the event loop and
 * shutdown. Everything it drives lives in struct master (master.h). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build_config.h"
#include "clock.h"
#include "log.h"
#include "master.h"
#include "pidfile.h"
#include "pool.h"
#include "service.h"
#include "worker.h"

#define MAIN_OVERRIDES_MAX 64

struct main_args {
	const char *dir;
	bool foreground;
	bool check_only;
	bool verbose;
	char *overrides[MAIN_OVERRIDES_MAX + 1];
	size_t noverrides;
};

static void main_usage(FILE *fp)
{
	fprintf(fp, "usage: master [-c DIR] [-f] [-n] [-v] [-o name=value]...\n"
		    "  -c DIR   configuration directory (default %s)\n"
		    "  -f       stay in the foreground, log to stderr\n"
		    "  -n       check the configuration and exit\n"
		    "  -o N=V   override a master.conf setting\n"
		    "  -v       verbose (debug) logging\n", MASTER_DEFAULT_CONFIG_DIR);
}

static int main_parse_args(int argc, char **argv, struct main_args *a)
{
	int opt;

	memset(a, 0, sizeof(*a));
	a->dir = MASTER_DEFAULT_CONFIG_DIR;
	while ((opt = getopt(argc, argv, "c:fhno:vV")) != -1) {
		switch (opt) {
		case 'c': a->dir = optarg; break;
		case 'f': a->foreground = true; break;
		case 'n': a->check_only = true; break;
		case 'v': a->verbose = true; break;
		case 'o':
			if (a->noverrides == MAIN_OVERRIDES_MAX) {
				fprintf(stderr, "master: too many -o options\n");
				return -1;
			}
			a->overrides[a->noverrides++] = optarg;
			break;
		case 'V': printf("master %s\n", MASTER_VERSION); exit(0);
		case 'h': main_usage(stdout); exit(0);
		default: main_usage(stderr); return -1;
		}
	}
	if (optind != argc) {
		main_usage(stderr);
		return -1;
	}
	return 0;
}

/* fds 0-2 must be open, or the first socket we open becomes "stderr". */
static void main_fix_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			_exit(2);
}

static int main_daemonize(void)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	pid = fork(); /* not a session leader: can never regain a terminal */
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		return -1;
	umask(022);
	int fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		return -1;
	for (int i = 0; i < 3; i++)
		dup2(fd, i);
	if (fd > 2)
		close(fd);
	return 0;
}

static int main_mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];

	if (strlen(path) >= sizeof(buf))
		return -1;
	strcpy(buf, path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, mode) < 0 && errno != EEXIST ? -1 : 0;
}

/* 10,000 workers need two fds each in the master. */
static void main_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static bool main_all_gone(struct master *m)
{
	for (struct service *svc = m->services; svc; svc = svc->next)
		if (!list_empty(&svc->workers))
			return false;
	return true;
}

static void main_begin_stop(struct master *m, uint64_t now)
{
	log_info("stopping: workers finish their current request");
	m->stopping = true;
	for (struct service *svc = m->services; svc; svc = svc->next)
		pool_stop(svc, now);
}

static int main_timeout_ms(struct master *m, uint64_t now)
{
	uint64_t next = control_expire(&m->control, now);

	for (struct service *svc = m->services; svc; svc = svc->next)
		if (svc->deadline_ms < next)
			next = svc->deadline_ms;
	if (next == CLOCK_NEVER_MS)
		return -1; /* an idle master sleeps */
	return next <= now ? 0 : (int)(next - now > 60000 ? 60000 : next - now);
}

static void main_loop(struct master *m)
{
	for (;;) {
		uint64_t now = clock_now_ms();
		if (event_run_once(&m->loop, main_timeout_ms(m, now)) < 0) {
			log_err("epoll_wait: %m");
			break;
		}
		now = clock_now_ms();
		if (m->sig.child) {
			m->sig.child = false;
			pool_reap(m, now);
		}
		if (m->sig.reload) {
			m->sig.reload = false;
			log_warn("SIGHUP: reload is not implemented yet; configuration unchanged");
		}
		if (m->sig.stop && !m->stopping)
			main_begin_stop(m, now);
		for (struct service *svc = m->services; svc; svc = svc->next)
			if (svc->dirty || svc->deadline_ms <= now)
				pool_update(svc, now);
		while (!list_empty(&m->dead)) {
			struct worker *w = LIST_ENTRY(m->dead.next, struct worker, dead_link);
			list_remove(&w->dead_link);
			worker_free(w);
		}
		if (m->stopping && main_all_gone(m))
			break;
	}
}

int main(int argc, char **argv)
{
	struct main_args args;
	struct diag errs = { 0 };
	struct master m;
	int pidfd, rc = 1;

	main_fix_std_fds();
	if (main_parse_args(argc, argv, &args) < 0)
		return 2;
	memset(&m, 0, sizeof(m));
	list_init(&m.dead);
	m.launcher.devnull_fd = -1;
	if (config_load(args.dir, args.overrides, &m.cfg, &errs) < 0) {
		diag_print(&errs, stderr);
		fprintf(stderr, "master: configuration in %s has %zu error%s; not started\n",
			args.dir, errs.n, errs.n == 1 ? "" : "s");
		diag_free(&errs);
		return 1;
	}
	if (args.check_only) {
		printf("master: configuration in %s is valid: %zu service%s\n", args.dir,
		       m.cfg.nservices, m.cfg.nservices == 1 ? "" : "s");
		config_free(&m.cfg);
		return 0;
	}
	if (!args.foreground && main_daemonize() < 0) {
		fprintf(stderr, "master: cannot become a daemon: %s\n", strerror(errno));
		return 1;
	}
	log_open(args.foreground, args.verbose);
	m.root = geteuid() == 0;
	if (!m.root)
		log_warn("not running as root: every worker runs as uid %ld", (long)geteuid());
	if (main_mkdir_p(m.cfg.master.run_directory, 0755) < 0) {
		log_err("run directory %s: %s", m.cfg.master.run_directory, strerror(errno));
		goto out_config;
	}
	pidfd = pidfile_acquire(m.cfg.master.pid_file);
	if (pidfd < 0)
		goto out_config;
	main_raise_fd_limit();
	m.started_ms = clock_now_ms();
	if (event_init(&m.loop) < 0 || signals_init(&m.sig, &m.loop) < 0 ||
	    launcher_init(&m.launcher) < 0) {
		log_err("start-up: %s", strerror(errno));
		goto out_pid;
	}
	if (control_open(&m.control, &m, m.cfg.master.control_socket) < 0 ||
	    service_create_all(&m) < 0)
		goto out_loop;
	log_info("master %s started: %zu service%s from %s", MASTER_VERSION,
		 m.cfg.nservices, m.cfg.nservices == 1 ? "" : "s", args.dir);
	main_loop(&m);
	log_info("stopped");
	rc = 0;
out_loop:
	control_close(&m.control);
	service_destroy_all(&m);
	launcher_fini(&m.launcher);
	signals_fini(&m.sig, &m.loop);
	event_fini(&m.loop);
	pidmap_free(&m.pids);
out_pid:
	pidfile_release(pidfd, m.cfg.master.pid_file);
out_config:
	config_free(&m.cfg);
	log_close();
	return rc;
}
