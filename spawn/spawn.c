/* spawn.c - run an ordinary command per connection (Postfix spawn(8),
 * inetd "nowait").
 *
 * Usage in master.cf:  spawn [-o ...] argv=/absolute/command [arg...]
 * Everything from the "argv=" token on is the command line: the token's
 * value is the program (and its argv[0]), the words after it its arguments.
 *
 * Owns the per-connection fork/exec and the wait for the command; the
 * accept loop, status reports and retirement are libmaster's. The command
 * gets the client on fds 0 and 1, the master's log pipe on fd 2, and
 * nothing else. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libmaster.h"
#include "protocol.h"

#define SPAWN_ARGV_TOKEN "argv="
#define SPAWN_EXEC_FAILED 127 /* the shell's "command not found" status */

struct spawn_command {
	const char *path;
	char **argv;    /* argv[0] == path, NULL-terminated */
};

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

/* In the child after fork (a full copy of a single-threaded process, so
 * ordinary calls are safe here). Never returns. */
__attribute__((noreturn))
static void spawn_child(const struct spawn_command *cmd, int fd, pid_t parent)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };

	/* If the worker is killed (max_busy, stop_timeout), the command goes
	 * with it instead of lingering with the client's connection. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(SPAWN_EXEC_FAILED);
	if (dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0) {
		fprintf(stderr, "spawn: dup2 connection: %m\n");
		_exit(SPAWN_EXEC_FAILED);
	}
	/* Everything libmaster opens is close-on-exec already; this also
	 * catches whatever a library may have opened without it. */
	(void)close_range(3, ~0U, 0);
	/* libmaster ignores SIGPIPE, and an ignored signal stays ignored
	 * across exec: a filter like cat must die on a vanished client. */
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGPIPE, &sa, NULL);
	for (size_t i = 0; i < sizeof(spawn_scrubbed_env) /
			sizeof(spawn_scrubbed_env[0]); i++)
		(void)unsetenv(spawn_scrubbed_env[i]);
	execv(cmd->path, cmd->argv);
	fprintf(stderr, "spawn: exec %s: %m\n", cmd->path);
	_exit(SPAWN_EXEC_FAILED);
}

static void spawn_report(const struct spawn_command *cmd, pid_t pid, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		fprintf(stderr, "spawn: %s (pid %ld): exit status %d\n",
			cmd->path, (long)pid, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		fprintf(stderr, "spawn: %s (pid %ld): killed by signal %d (%s)%s\n",
			cmd->path, (long)pid, WTERMSIG(status),
			strsignal(WTERMSIG(status)),
			WCOREDUMP(status) ? ", core dumped" : "");
}

/* One connection: run the command on it and wait, so that the master's
 * busy/idle accounting (and max_busy) covers the command's whole run. */
static void spawn_connection(int fd, void *ctx)
{
	const struct spawn_command *cmd = ctx;
	pid_t parent = getpid();
	pid_t pid = fork();
	int status;

	if (pid < 0) {
		fprintf(stderr, "spawn: fork for %s: %m\n", cmd->path);
		return; /* libmaster closes the connection: the client sees EOF */
	}
	if (pid == 0)
		spawn_child(cmd, fd, parent);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "spawn: waitpid %ld: %m\n", (long)pid);
			return;
		}
	}
	spawn_report(cmd, pid, status);
}

int main(int argc, char **argv)
{
	struct spawn_command cmd;

	if (spawn_parse_args(argc, argv, &cmd) < 0)
		return 1;
	return libmaster_run(spawn_connection, &cmd);
}
