/* relay_shared.c - owns a service's shared stderr socket (relay_shared.h):
 * its making, its watch in the loop, its draining and closing.
 *
 * Nothing here is fatal: a socket that cannot be made fails the start of
 * the worker it was for (the caller's error, worker.c); the stream's end
 * or a read error is logged, the socket closed and the owner told. */
#include "relay_shared.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmsg.h"
#include "log.h"

/* The master holds the write end, so an end of the stream means a worker
 * shut the socket down (shutdown(2) acts on the socket every worker
 * shares), or an error: its writers' stderr is dead from now on. The next
 * worker opens a new one (worker.c); the owner hears of it. */
static void relay_shared_ended(struct relay_shared *s)
{
	relay_shared_end_fn *ended = s->ended;
	void *ctx = s->ctx;

	log_warn("service %s: the workers' shared stderr was shut down (by a worker?): "
		 "they are replaced, and their successors get a new one", s->service);
	relay_shared_close(s);
	if (ended != NULL)
		ended(ctx);
}

static void relay_shared_on_read(struct event_watch *ew, uint32_t revents)
{
	(void)revents;
	relay_shared_drain(EVENT_OWNER(ew, struct relay_shared, watch), 1);
}

int relay_shared_open(struct relay_shared *s, struct event_loop *loop, const char *service,
		      relay_route_fn *route, relay_shared_end_fn *ended, void *ctx)
{
	int sv[2], on = 1;

	*s = (struct relay_shared){ .write_fd = -1, .watch.fd = -1, .service = service,
				    .loop = loop, .route = route, .ended = ended, .ctx = ctx };
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	/* Credentials on every read; the kernel attaches them at each write.
	 * One way only: a worker reading its stderr gets end-of-file, not
	 * another worker's bytes. */
	(void)cmsg_refuse_fds(sv[0]); /* a passed fd's close could block us (cmsg.h) */
	if (setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0 ||
	    fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0 || shutdown(sv[0], SHUT_WR) < 0 ||
	    event_add(loop, &s->watch, sv[0], EPOLLIN, relay_shared_on_read) < 0) {
		int err = errno;
		close(sv[0]);
		close(sv[1]);
		s->watch.fd = -1;
		errno = err;
		return -1;
	}
	s->write_fd = sv[1];
	s->open = true;
	relay_attach(&s->own, loop, &s->watch); /* lets the budget pause it */
	return 0;
}

void relay_shared_drain(struct relay_shared *s, unsigned reads)
{
	for (unsigned i = 0; i < reads && s->open && s->watch.fd >= 0; i++)
		if (!relay_read_shared(&s->own, s->watch.fd, s->service, s->route, s->ctx)) {
			relay_shared_ended(s);
			return;
		}
}

void relay_shared_close(struct relay_shared *s)
{
	if (!s->open)
		return;
	relay_flush(&s->own, s->service, 0);
	int fd = s->watch.fd;
	if (fd >= 0) {
		event_del(s->loop, &s->watch);
		close(fd);
	}
	s->watch.fd = -1;
	close(s->write_fd);
	s->write_fd = -1;
	s->open = false;
}
