/* daemon.c - owns the steps of becoming a daemon (see daemon.h). */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DAEMON_UMASK 022
#define DAEMON_PATH_MAX_BYTES 4096

void daemon_fix_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			_exit(2);
}

/* The original process: wait for the daemon's word, exit accordingly. */
static void daemon_wait_ready(int rfd)
{
	char c;
	ssize_t n;

	do
		n = read(rfd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		fprintf(stderr, "master: the daemon exited during start-up; see the system log "
			"(facility daemon, ident master)\n");
	_exit(n == 1 ? 0 : 1);
}

int daemon_detach(int *ready_fd)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	int pipefd[2];
	pid_t pid;

	if (fd < 0)
		return -1;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		close(fd);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		close(fd);
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid > 0) {
		close(pipefd[1]);
		daemon_wait_ready(pipefd[0]);
	}
	close(pipefd[0]);
	/* From here on there is nobody to report to but the log. */
	if (setsid() < 0)
		_exit(1);
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		_exit(1);
	umask(DAEMON_UMASK);
	for (int i = 0; i < 3; i++)
		if (dup2(fd, i) < 0)
			_exit(1);
	close(fd);
	*ready_fd = pipefd[1];
	return 0;
}

void daemon_ready(int ready_fd)
{
	if (ready_fd < 0)
		return;
	if (write(ready_fd, "", 1) < 0) {
		/* the original process is gone: nobody waits */
	}
	close(ready_fd);
}

int daemon_mkdir_p(const char *path, mode_t mode)
{
	char buf[DAEMON_PATH_MAX_BYTES];

	if (strlen(path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
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

char *daemon_absolute(const char *dir)
{
	char cwd[DAEMON_PATH_MAX_BYTES];
	char *out = NULL;

	if (dir[0] == '/')
		return strdup(dir);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	if (asprintf(&out, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, dir) < 0)
		return NULL;
	return out;
}
