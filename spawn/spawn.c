/* spawn.c - run an ordinary command per connection (Postfix spawn(8),
 * inetd "nowait").
 *
 * Usage in master.cf:  spawn [-o ...] argv=/absolute/command [arg...]
 * Everything from the "argv=" token on is the command line: the token's
 * value is the program (and its argv[0]), the words after it its arguments.
 *
 * Owns the per-connection fork/exec, the wait for the command, and the
 * end of everything the command started: the accept loop, status reports
 * and retirement are libmaster's. The command gets the client on fds 0
 * and 1, the master's log pipe on fd 2, the client's address in its
 * environment (spawn_peer.c), and nothing else.
 *
 * Nothing the command starts outlives its connection: the command runs in
 * a process group of its own, which is SIGKILLed when the command exits
 * (the connection is over: the client went away or was answered) and when
 * the worker is told to end (SIGTERM from the master: max_busy, stop,
 * kill_grace). spawn is also a child subreaper, so a process that leaves
 * the group (setsid, a daemon's double fork) is re-parented to spawn and
 * killed with the rest. Only a SIGKILL of spawn itself escapes this: the
 * master's per-worker cgroup ends those. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libmaster.h"
#include "protocol.h"
#include "spawn_peer.h"

#define SPAWN_ARGV_TOKEN "argv="
#define SPAWN_EXEC_FAILED 127 /* the shell's "command not found" status */
#define SPAWN_SWEEP_ROUNDS_MAX 64 /* kill-and-reap rounds after a command */

struct spawn_command {
	const char *path;
	char **argv;    /* argv[0] == path, NULL-terminated */
};

/* The running command's process group (0: none), and whether SIGTERM
 * came while it ran. Written by the signal handler. */
static volatile sig_atomic_t spawn_group;
static volatile sig_atomic_t spawn_terminated;

/* Variables that describe this worker's own fds and limits: the command
 * does not have those fds, so it must not be told about them (a
 * socket-activated command would otherwise try to use fd 3). */
static const char *const spawn_scrubbed_env[] = {
	"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
	PROTOCOL_ENV_STATUS_FD, PROTOCOL_ENV_MAX_USE, PROTOCOL_ENV_MAX_IDLE,
	PROTOCOL_ENV_VERSION,
};

/* Finds "argv=..." and makes it the command line, in place. */
static int spawn_parse_args(int argc, char **argv, struct spawn_command *cmd)
{
	size_t token_len = strlen(SPAWN_ARGV_TOKEN);

	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], SPAWN_ARGV_TOKEN, token_len) != 0)
			continue;
		cmd->path = argv[i] + token_len;
		if (cmd->path[0] != '/') {
			fprintf(stderr, "spawn: %s: command must be an absolute path\n",
				argv[i]);
			return -1;
		}
		argv[i] = (char *)cmd->path; /* argv[0] of the command */
		cmd->argv = argv + i;
		return 0;
	}
	fprintf(stderr, "spawn: missing argv=/path/to/command\n");
	return -1;
}

/* SIGTERM (max_busy, stop): the command's group goes first; idle, spawn
 * ends at once as it always did. Async-signal-safe calls only. */
static void spawn_on_term(int sig)
{
	pid_t group = spawn_group;

	if (group > 0) {
		kill(-group, SIGKILL);
		spawn_terminated = 1; /* the waiting code sweeps, then dies */
		return;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* In the child after fork (a full copy of a single-threaded process, so
 * ordinary calls are safe here). What it does not need is dropped: every
 * fd but the connection and stderr, the worker's contract variables, the
 * signal handlers and mask. No PRNG state crosses: spawn keeps none, and
 * the exec replaces the whole image (the kernel gives the new one fresh
 * AT_RANDOM bytes, so its stack canary and pointer guard are its own, not
 * spawn's nor a sibling's). Never returns. */
__attribute__((noreturn))
static void spawn_child(const struct spawn_command *cmd, int fd, pid_t parent,
			const sigset_t *mask)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };

	/* Its own process group, the one spawn kills (set on both sides of
	 * the fork: whichever runs first, the group exists before exec). */
	(void)setpgid(0, 0);
	/* If the worker is killed outright (SIGKILL), the command goes with
	 * it instead of lingering with the client's connection. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(SPAWN_EXEC_FAILED);
	if (dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0) {
		fprintf(stderr, "spawn: dup2 connection: %m\n");
		_exit(SPAWN_EXEC_FAILED);
	}
	/* Everything libmaster opens is close-on-exec already; this also
	 * catches whatever a library may have opened without it. The system
	 * call itself: musl (worker_libc=musl) has no close_range wrapper. */
	(void)syscall(SYS_close_range, 3U, ~0U, 0U);
	/* libmaster ignores SIGPIPE, and an ignored signal stays ignored
	 * across exec: a filter like cat must die on a vanished client. */
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGPIPE, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	for (size_t i = 0; i < sizeof(spawn_scrubbed_env) /
			sizeof(spawn_scrubbed_env[0]); i++)
		(void)unsetenv(spawn_scrubbed_env[i]);
	if (spawn_peer_env(STDIN_FILENO) < 0) {
		fprintf(stderr, "spawn: client address variables: %m\n");
		_exit(SPAWN_EXEC_FAILED);
	}
	(void)sigprocmask(SIG_SETMASK, mask, NULL);
	execv(cmd->path, cmd->argv);
	fprintf(stderr, "spawn: exec %s: %m\n", cmd->path);
	_exit(SPAWN_EXEC_FAILED);
}

static void spawn_report(const struct spawn_command *cmd, pid_t pid, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		fprintf(stderr, "spawn: %s (pid %ld): exit status %d\n",
			cmd->path, (long)pid, WEXITSTATUS(status));
	else if (WIFSIGNALED(status) && !spawn_terminated)
		fprintf(stderr, "spawn: %s (pid %ld): killed by signal %d (%s)%s\n",
			cmd->path, (long)pid, WTERMSIG(status),
			strsignal(WTERMSIG(status)),
			WCOREDUMP(status) ? ", core dumped" : "");
}

/* SIGKILLs every child spawn still has (as a subreaper: whatever left the
 * group too), listed in /proc/self/task/PID/children. Returns how many. */
static unsigned spawn_kill_children(void)
{
	char path[64], buf[4096];
	unsigned n = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/children", (long)getpid());
	FILE *fp = fopen(path, "re");
	if (fp == NULL)
		return 0; /* no /proc (a jail): the process group is all there is */
	size_t len = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[len] = '\0';
	for (char *p = buf, *end; *p != '\0'; p = end) {
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
			n++;
	}
	return n;
}

/* After the command: its group killed, then every child left (members
 * of the group re-parented here, and any that left the group) killed and
 * reaped, round after round, until spawn has no child at all. */
static void spawn_sweep(pid_t group)
{
	int status;

	for (unsigned round = 0; round < SPAWN_SWEEP_ROUNDS_MAX; round++) {
		(void)kill(-group, SIGKILL);
		(void)spawn_kill_children();
		pid_t r;
		while ((r = waitpid(-1, &status, WNOHANG)) > 0)
			;
		if (r < 0 && errno == ECHILD)
			return;
		/* Killed, not yet gone: wait for one, then look again. */
		if (waitpid(-1, &status, 0) < 0 && errno == ECHILD)
			return;
	}
	fprintf(stderr, "spawn: children of group %ld still alive after %d rounds\n",
		(long)group, SPAWN_SWEEP_ROUNDS_MAX);
}

/* One connection: run the command on it and wait, so that the master's
 * busy/idle accounting (and max_busy) covers the command's whole run. */
static void spawn_connection(int fd, void *ctx)
{
	const struct spawn_command *cmd = ctx;
	pid_t parent = getpid();
	sigset_t term, old;
	int status;

	/* No SIGTERM between the fork and knowing the group to kill. */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	pid_t pid = fork();
	if (pid < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		fprintf(stderr, "spawn: fork for %s: %m\n", cmd->path);
		return; /* libmaster closes the connection: the client sees EOF */
	}
	if (pid == 0)
		spawn_child(cmd, fd, parent, &old);
	(void)setpgid(pid, pid);
	spawn_group = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "spawn: waitpid %ld: %m\n", (long)pid);
			status = 0;
			break;
		}
	}
	spawn_report(cmd, pid, status);
	spawn_sweep(pid);
	spawn_group = 0;
	if (spawn_terminated) {
		signal(SIGTERM, SIG_DFL);
		raise(SIGTERM);
	}
}

int main(int argc, char **argv)
{
	struct spawn_command cmd;
	struct sigaction sa = { .sa_handler = spawn_on_term };

	if (spawn_parse_args(argc, argv, &cmd) < 0)
		return 1;
	/* Orphans of the command come to us, not to init, to be ended. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		fprintf(stderr, "spawn: child subreaper: %m (orphans of commands may survive)\n");
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	return libmaster_run(spawn_connection, &cmd);
}
