/* signals.c - owns the signalfd and the master's signal mask (see signals.h). */
#include "signals.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

static void signals_read(struct event_watch *w, uint32_t revents)
{
	struct signals *s = EVENT_OWNER(w, struct signals, watch);
	struct signalfd_siginfo si[16];

	for (;;) {
		ssize_t n = read(w->fd, si, sizeof(si));
		if (n <= 0)
			break;
		for (size_t i = 0; i < (size_t)n / sizeof(si[0]); i++) {
			switch (si[i].ssi_signo) {
			case SIGCHLD: s->child = true; break;
			case SIGTERM:
			case SIGINT: s->stop = true; break;
			case SIGHUP: s->reload = true; break;
			}
		}
	}
}

int signals_init(struct signals *s, struct event_loop *loop)
{
	sigset_t set;
	int fd;

	memset(s, 0, sizeof(*s));
	s->watch.fd = -1;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (event_add(loop, &s->watch, fd, EPOLLIN, signals_read) < 0) {
		close(fd);
		return -1;
	}
	return 0;
}

void signals_fini(struct signals *s, struct event_loop *loop)
{
	int fd = s->watch.fd;

	event_del(loop, &s->watch);
	if (fd >= 0)
		close(fd);
}
