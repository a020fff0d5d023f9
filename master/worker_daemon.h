/* worker_daemon.h - a worker that does not speak the protocol: a daemon
 * started as systemd would start it (`-o ready=notify|exec`). What the
 * master keeps for it beside the process handle (worker.h): its own
 * NOTIFY_SOCKET (ready=notify, read by monitor_notify.c), when it became
 * ready and when it last said it is alive (the watchdog), the main process
 * it announced (MAINPID=) or the one it left behind when it forked into
 * the background, and its last STATUS= line.
 *
 * Such a worker reports no requests and no idle time: the pool counts it
 * as idle capacity once ready (status shows it as "running"); it is
 * "proven" (began serving, for the crash back-off) once it stayed ready
 * WORKER_DAEMON_PROVEN_MS; it is stopped with SIGTERM, then SIGKILL. */
#ifndef MASTER_WORKER_DAEMON_H
#define MASTER_WORKER_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bucket.h"
#include "event.h"
#include "notifymsg.h"

struct service;
struct worker;

/* ready=exec: ready once exec'd and alive this long (a daemon that fails
 * on its configuration usually exits within a few milliseconds). */
#define WORKER_DAEMON_SETTLE_MS 200u
/* Ready this long: it began serving (a later crash does not throttle the
 * service, like a protocol worker's after its first request). */
#define WORKER_DAEMON_PROVEN_MS 1000u
/* Its notification datagrams: far above what a daemon sends (READY once,
 * WATCHDOG=1 a few times per watchdog_timeout, STATUS now and then); an
 * overdraft is a flood (killed, like a status flood). */
#define WORKER_DAEMON_NOTIFY_RATE_PER_S 100u
#define WORKER_DAEMON_NOTIFY_BURST 1000u
/* Datagrams from strangers (anyone may send to an abstract name): past
 * this budget the socket is not read for WORKER_DAEMON_NOTIFY_PAUSE_MS, so
 * a flood from outside costs the master next to nothing (it held the
 * master at 98% of a CPU). The worker's own datagrams wait meanwhile. */
#define WORKER_DAEMON_STRANGERS_PER_S 200u
#define WORKER_DAEMON_STRANGERS_BURST 1000u
#define WORKER_DAEMON_NOTIFY_PAUSE_MS 100u

struct worker_daemon {
	struct worker *w;
	struct event_watch notify_watch; /* our end of its NOTIFY_SOCKET; fd -1: none */
	struct bucket budget;            /* its datagrams */
	uint64_t ready_ms;               /* 0 until ready */
	bool proven;                     /* ready for WORKER_DAEMON_PROVEN_MS */
	bool hung;                       /* WATCHDOG=trigger: terminate it */
	uint64_t alive_ms;               /* its last WATCHDOG=1 (being ready counts) */
	pid_t mainpid;                   /* MAINPID= it announced, checked; 0: none */
	int main_fd;                     /* pidfd of a main process it left behind; -1 */
	struct event_watch main_watch;   /* that pidfd (monitor_notify.c) */
	uint64_t refused_log_ms;         /* datagrams refused: logged once a second */
	unsigned refused;
	pid_t stranger;                  /* the last sender refused as no process of */
	uint64_t stranger_until_ms;      /* its leaf, and until when that holds */
	struct bucket strangers;         /* datagrams refused as such */
	uint64_t paused_until_ms;        /* its socket not read until then; 0: read */
	char status[NOTIFYMSG_STATUS_MAX_BYTES + 1]; /* its last STATUS= */
};

/* Before the launch of a worker of a notify or exec service: its state,
 * and for notify its socket, named in svc->notify_name for the child's
 * environment. Returns 0, or -1 (errno; nothing left). */
int worker_daemon_prepare(struct worker *w, struct service *svc);
/* At its exit: its sockets closed and unwatched. */
void worker_daemon_close(struct worker *w);
/* The followed main's pidfd, unwatched and closed (its exit is handled). */
void worker_daemon_unwatch_main(struct worker *w);
void worker_daemon_free(struct worker *w);

/* It is ready (READY=1, or the settle time of ready=exec passed). */
void worker_daemon_ready(struct worker *w, uint64_t now_ms);

/* What its timers call for now; *next_ms lowered to when one is due. */
enum worker_daemon_due {
	WORKER_DAEMON_NOTHING,
	WORKER_DAEMON_SETTLED, /* ready=exec: alive for the settle time */
	WORKER_DAEMON_PROVEN,  /* ready for WORKER_DAEMON_PROVEN_MS */
	WORKER_DAEMON_HUNG,    /* no WATCHDOG=1 for watchdog_timeout (or a trigger) */
	WORKER_DAEMON_RESUME,  /* its NOTIFY_SOCKET's pause is over */
};
enum worker_daemon_due worker_daemon_due(const struct worker *w, uint64_t now_ms,
					 uint64_t *next_ms);

/* Stops reading its NOTIFY_SOCKET for WORKER_DAEMON_NOTIFY_PAUSE_MS (the
 * evictor resumes it: WORKER_DAEMON_RESUME), and reads it again. */
void worker_daemon_pause_notify(struct worker *w, uint64_t now_ms);
void worker_daemon_resume_notify(struct worker *w);
/* Whether pid may speak for w: its main process or a process of its leaf
 * (its process group without cgroups). */
bool worker_daemon_holds(struct worker *w, pid_t pid);
/* Its main process exited (wstatus): the process that carries on as the
 * worker (an announced MAINPID= in its leaf, or, after a clean exit, the
 * oldest process left in its leaf), or 0: it is gone. */
pid_t worker_daemon_successor(struct worker *w, int wstatus);
/* Signals its main process alone (through a pidfd once followed): what
 * it started is its own to stop. Returns true when that is all (false:
 * SIGKILL, for which containment kills its whole leaf too). */
bool worker_daemon_signal(struct worker *w, int sig);
/* The signal that tells it to stop (stop_signal: SIGTERM unless set). */
int worker_daemon_stop_signal(const struct worker *w);

#endif
