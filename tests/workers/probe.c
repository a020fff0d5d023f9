/* probe.c - a worker that reports what it was launched as, from inside,
 * for the secure-launch end-to-end tests (tests/e2e/test_secure_launch.py).
 *
 * At start-up, before anything else opens a file, it records what the
 * master handed over: open fds (and what they point to), environment,
 * umask, and the signal fields of /proc/self/status (libmaster then
 * ignores SIGPIPE). Per connection it reads one optional request line
 * of "key=value" words from the client (waiting at most
 * PROBE_REQUEST_WAIT_MS), then writes one JSON object and closes:
 *   connect=PORT  try a TCP connect to 127.0.0.1:PORT
 *   forks=N       try N fork()s, children kept until all are tried
 *   kill0=PID     kill(PID, 0): may this worker signal PID?
 *   environ=PID   open and read /proc/PID/environ
 *   write=PATH:N  write N bytes to PATH (created 0600), then fsync
 * The object holds: pid, ppid, sid, pgid, resuid, resgid, groups,
 * status (Uid Gid Groups CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs
 * Seccomp, now), startup (fds, fd_targets, env, umask, SigBlk SigIgn
 * SigCgt), securebits, cwd, root, root_dev, root_ino, rlimits (soft and
 * hard, -1 = unlimited), interfaces (/proc/net/dev), tmp, var_tmp, dev_shm,
 * run_lock (names in /tmp, /var/tmp, /dev/shm, /run/lock),
 * setuid0 (rc and errno of setuid(0)), cgroup (/proc/self/cgroup), and
 * connect / forks / kill0 / environ / write when asked (each with the
 * errno of the attempt, 0 if it worked). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libmaster.h"

#define PROBE_REQUEST_WAIT_MS 500
#define PROBE_CONNECT_WAIT_MS 2000
#define PROBE_FDS_MAX 64
#define PROBE_FORKS_MAX 64
#define PROBE_LINE_BYTES 512
#define PROBE_TEXT_BYTES 4096

extern char **environ;

struct probe_startup {
	int fds[PROBE_FDS_MAX];
	char targets[PROBE_FDS_MAX][256];
	int nfds;
	char **env;
	unsigned umask;
	char sigblk[32], sigign[32], sigcgt[32];
};

static void probe_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

/* One field of /proc/self/status, trimmed; "" if missing. */
static void probe_status_field(const char *name, char *out, size_t size)
{
	FILE *fp = fopen("/proc/self/status", "re");
	char line[PROBE_LINE_BYTES];
	size_t len = strlen(name);

	out[0] = '\0';
	while (fp != NULL && fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, name, len) != 0 || line[len] != ':')
			continue;
		char *v = line + len + 1;
		v += strspn(v, " \t");
		v[strcspn(v, "\n")] = '\0';
		snprintf(out, size, "%s", v);
		break;
	}
	if (fp != NULL)
		fclose(fp);
}

static void probe_snapshot(struct probe_startup *st)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;

	while (dir != NULL && (de = readdir(dir)) != NULL && st->nfds < PROBE_FDS_MAX) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9' || atoi(de->d_name) == dirfd(dir))
			continue;
		int fd = atoi(de->d_name);
		char link[64];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, st->targets[st->nfds], sizeof(st->targets[0]) - 1);
		st->targets[st->nfds][n < 0 ? 0 : n] = '\0';
		st->fds[st->nfds++] = fd;
	}
	if (dir != NULL)
		closedir(dir);
	st->env = environ;
	st->umask = umask(0);
	umask(st->umask);
	probe_status_field("SigBlk", st->sigblk, sizeof(st->sigblk));
	probe_status_field("SigIgn", st->sigign, sizeof(st->sigign));
	probe_status_field("SigCgt", st->sigcgt, sizeof(st->sigcgt));
}

static void probe_startup_json(FILE *out, const struct probe_startup *st)
{
	fprintf(out, "\"startup\":{\"fds\":[");
	for (int i = 0; i < st->nfds; i++)
		fprintf(out, "%s%d", i ? "," : "", st->fds[i]);
	fprintf(out, "],\"fd_targets\":{");
	for (int i = 0; i < st->nfds; i++) {
		fprintf(out, "%s\"%d\":", i ? "," : "", st->fds[i]);
		probe_str(out, st->targets[i]);
	}
	fprintf(out, "},\"env\":{");
	for (char **e = st->env; *e != NULL; e++) {
		const char *eq = strchr(*e, '=');
		char name[PROBE_LINE_BYTES];
		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - *e) : (int)strlen(*e), *e);
		fprintf(out, "%s", e == st->env ? "" : ",");
		probe_str(out, name);
		fputc(':', out);
		probe_str(out, eq ? eq + 1 : "");
	}
	fprintf(out, "},\"umask\":%u,\"SigBlk\":\"%s\",\"SigIgn\":\"%s\",\"SigCgt\":\"%s\"},",
		st->umask, st->sigblk, st->sigign, st->sigcgt);
}

static void probe_ids_json(FILE *out)
{
	static const char *const fields[] = { "Uid", "Gid", "Groups", "CapInh", "CapPrm",
		"CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp" };
	uid_t u[3];
	gid_t g[3], groups[256];
	int ng = getgroups(256, groups);
	char v[PROBE_LINE_BYTES];

	getresuid(&u[0], &u[1], &u[2]);
	getresgid(&g[0], &g[1], &g[2]);
	fprintf(out, "\"pid\":%ld,\"ppid\":%ld,\"sid\":%ld,\"pgid\":%ld,", (long)getpid(),
		(long)getppid(), (long)getsid(0), (long)getpgid(0));
	fprintf(out, "\"resuid\":[%u,%u,%u],\"resgid\":[%u,%u,%u],\"groups\":[",
		u[0], u[1], u[2], g[0], g[1], g[2]);
	for (int i = 0; i < ng; i++)
		fprintf(out, "%s%u", i ? "," : "", groups[i]);
	fprintf(out, "],\"status\":{");
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		probe_status_field(fields[i], v, sizeof(v));
		fprintf(out, "%s\"%s\":", i ? "," : "", fields[i]);
		probe_str(out, v);
	}
	fprintf(out, "},\"securebits\":%d,", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
}

static void probe_paths_json(FILE *out)
{
	char cwd[PROBE_TEXT_BYTES], root[PROBE_TEXT_BYTES];
	ssize_t n;
	struct stat st;

	n = readlink("/proc/self/cwd", cwd, sizeof(cwd) - 1);
	cwd[n < 0 ? 0 : n] = '\0';
	n = readlink("/proc/self/root", root, sizeof(root) - 1);
	root[n < 0 ? 0 : n] = '\0';
	if (stat("/", &st) != 0)
		memset(&st, 0, sizeof(st));
	fprintf(out, "\"cwd\":");
	probe_str(out, cwd);
	fprintf(out, ",\"root\":");
	probe_str(out, root);
	fprintf(out, ",\"root_dev\":%llu,\"root_ino\":%llu,", (unsigned long long)st.st_dev,
		(unsigned long long)st.st_ino);
}

static void probe_rlimits_json(FILE *out)
{
	static const struct { const char *name; int res; } lim[] = {
		{ "nofile", RLIMIT_NOFILE }, { "nproc", RLIMIT_NPROC }, { "as", RLIMIT_AS },
		{ "core", RLIMIT_CORE }, { "cpu", RLIMIT_CPU },
	};
	struct rlimit rl;

	fprintf(out, "\"rlimits\":{");
	for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		if (getrlimit(lim[i].res, &rl) != 0)
			rl.rlim_cur = rl.rlim_max = 0;
		fprintf(out, "%s\"%s\":[%lld,%lld]", i ? "," : "", lim[i].name,
			rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long)rl.rlim_cur,
			rl.rlim_max == RLIM_INFINITY ? -1LL : (long long)rl.rlim_max);
	}
	fprintf(out, "},");
}

/* "KEY":[the entries of dir],"KEY_error":errno (0: listed), */
static void probe_dir_json(FILE *out, const char *key, const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	int n = 0;

	fprintf(out, "\"%s\":[", key);
	while (dir != NULL && (de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		fprintf(out, "%s", n++ ? "," : "");
		probe_str(out, de->d_name);
	}
	fprintf(out, "],\"%s_error\":%d,", key, dir == NULL ? errno : 0);
	if (dir != NULL)
		closedir(dir);
}

/* Names listed one per line after a header (interfaces), or directory
 * entries (/tmp, /var/tmp, /dev/shm), as JSON arrays. */
static void probe_lists_json(FILE *out)
{
	FILE *fp = fopen("/proc/net/dev", "re");
	char line[PROBE_LINE_BYTES];
	int n = 0;

	fprintf(out, "\"interfaces\":[");
	while (fp != NULL && fgets(line, sizeof(line), fp) != NULL) {
		char *colon = strchr(line, ':');
		if (colon == NULL)
			continue; /* the two header lines */
		*colon = '\0';
		fprintf(out, "%s", n++ ? "," : "");
		probe_str(out, line + strspn(line, " "));
	}
	if (fp != NULL)
		fclose(fp);
	fprintf(out, "],");
	probe_dir_json(out, "tmp", "/tmp");
	probe_dir_json(out, "var_tmp", "/var/tmp");
	probe_dir_json(out, "dev_shm", "/dev/shm");
	probe_dir_json(out, "run_lock", "/run/lock");
}

static void probe_connect_json(FILE *out, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err = fd < 0 ? errno : 0;

	if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		err = errno;
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		socklen_t len = sizeof(err);
		if (err == EINPROGRESS && poll(&p, 1, PROBE_CONNECT_WAIT_MS) == 1)
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
		else if (err == EINPROGRESS)
			err = ETIMEDOUT;
	}
	if (fd >= 0)
		close(fd);
	fprintf(out, "\"connect\":{\"port\":%d,\"ok\":%s,\"errno\":%d,\"error\":", port,
		err == 0 ? "true" : "false", err);
	probe_str(out, err == 0 ? "" : strerror(err));
	fprintf(out, "},");
}

static void probe_forks_json(FILE *out, int tries)
{
	pid_t kids[PROBE_FORKS_MAX];
	int gate[2], ok = 0, err = 0;

	if (tries > PROBE_FORKS_MAX)
		tries = PROBE_FORKS_MAX;
	if (pipe2(gate, O_CLOEXEC) != 0)
		tries = 0;
	for (int i = 0; i < tries; i++) {
		pid_t pid = fork();
		if (pid == 0) { /* stay until every fork was tried */
			char c;
			close(gate[1]);
			while (read(gate[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		if (pid < 0) {
			err = errno;
			break;
		}
		kids[ok++] = pid;
	}
	if (tries > 0) {
		close(gate[0]);
		close(gate[1]);
	}
	for (int i = 0; i < ok; i++)
		waitpid(kids[i], NULL, 0);
	fprintf(out, "\"forks\":{\"tried\":%d,\"ok\":%d,\"errno\":%d},", tries, ok, err);
}

struct probe_request {
	int port, forks;        /* -1: not asked */
	long kill_pid, environ_pid;
	char write_path[PROBE_LINE_BYTES];
	long write_bytes;
};

/* The optional request line: "connect=PORT forks=N kill0=PID ...". */
static void probe_request(int fd, struct probe_request *rq)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char line[PROBE_LINE_BYTES];
	ssize_t n = 0;

	memset(rq, 0, sizeof(*rq));
	rq->port = rq->forks = -1;
	if (poll(&p, 1, PROBE_REQUEST_WAIT_MS) == 1 && (n = read(fd, line, sizeof(line) - 1)) > 0) {
		line[n] = '\0';
		for (char *w = strtok(line, " \t\r\n"); w != NULL; w = strtok(NULL, " \t\r\n")) {
			char *colon;
			if (strncmp(w, "connect=", 8) == 0)
				rq->port = atoi(w + 8);
			else if (strncmp(w, "forks=", 6) == 0)
				rq->forks = atoi(w + 6);
			else if (strncmp(w, "kill0=", 6) == 0)
				rq->kill_pid = atol(w + 6);
			else if (strncmp(w, "environ=", 8) == 0)
				rq->environ_pid = atol(w + 8);
			else if (strncmp(w, "write=", 6) == 0 && (colon = strrchr(w, ':')) != NULL) {
				snprintf(rq->write_path, sizeof(rq->write_path), "%.*s",
					 (int)(colon - w - 6), w + 6);
				rq->write_bytes = atol(colon + 1);
			}
		}
	}
}

/* What another process's /proc and signals allow this worker. */
static void probe_reach_json(FILE *out, const struct probe_request *rq)
{
	char path[64], buf[256];

	if (rq->kill_pid > 0) {
		int rc = kill((pid_t)rq->kill_pid, 0);
		fprintf(out, "\"kill0\":{\"pid\":%ld,\"rc\":%d,\"errno\":%d},", rq->kill_pid, rc,
			rc == 0 ? 0 : errno);
	}
	if (rq->environ_pid > 0) {
		snprintf(path, sizeof(path), "/proc/%ld/environ", rq->environ_pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC), err = fd < 0 ? errno : 0;
		ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
		if (fd >= 0 && n < 0)
			err = errno;
		if (fd >= 0)
			close(fd);
		fprintf(out, "\"environ\":{\"pid\":%ld,\"bytes\":%zd,\"errno\":%d},",
			rq->environ_pid, n, err);
	}
}

/* write=PATH:N: how much of N bytes fit, and why not the rest. */
static void probe_write_json(FILE *out, const struct probe_request *rq)
{
	static char block[65536];
	long done = 0;
	int err = 0;

	if (rq->write_path[0] == '\0')
		return;
	int fd = open(rq->write_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		err = errno;
	while (fd >= 0 && done < rq->write_bytes) {
		size_t want = (size_t)(rq->write_bytes - done);
		ssize_t w = write(fd, block, want < sizeof(block) ? want : sizeof(block));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = w < 0 ? errno : EIO;
			break;
		}
		done += w;
	}
	if (fd >= 0 && err == 0 && fsync(fd) != 0)
		err = errno;
	if (fd >= 0)
		close(fd);
	fprintf(out, "\"write\":{\"path\":");
	probe_str(out, rq->write_path);
	fprintf(out, ",\"bytes\":%ld,\"errno\":%d},", done, err);
}

static void probe_handle(int fd, void *ctx)
{
	const struct probe_startup *st = ctx;
	char cgroup[PROBE_TEXT_BYTES] = "", *text = NULL;
	size_t len = 0;
	struct probe_request rq;

	probe_request(fd, &rq);
	FILE *out = open_memstream(&text, &len);
	if (out == NULL)
		return;
	fputc('{', out);
	probe_ids_json(out);
	probe_startup_json(out, st);
	probe_paths_json(out);
	probe_rlimits_json(out);
	probe_lists_json(out);
	if (rq.port > 0)
		probe_connect_json(out, rq.port);
	if (rq.forks > 0)
		probe_forks_json(out, rq.forks);
	probe_reach_json(out, &rq);
	probe_write_json(out, &rq);
	FILE *fp = fopen("/proc/self/cgroup", "re");
	size_t n = fp ? fread(cgroup, 1, sizeof(cgroup) - 1, fp) : 0;
	cgroup[n] = '\0';
	if (fp != NULL)
		fclose(fp);
	fprintf(out, "\"cgroup\":");
	probe_str(out, cgroup);
	errno = 0;
	int rc = setuid(0);
	fprintf(out, ",\"setuid0\":{\"rc\":%d,\"errno\":%d}}\n", rc, rc == 0 ? 0 : errno);
	if (fclose(out) == 0)
		for (size_t off = 0; off < len;) {
			ssize_t w = write(fd, text + off, len - off);
			if (w <= 0 && errno != EINTR)
				break;
			off += w > 0 ? (size_t)w : 0;
		}
	free(text);
}

int main(void)
{
	static struct probe_startup st;

	probe_snapshot(&st);
	return libmaster_run(probe_handle, &st);
}
