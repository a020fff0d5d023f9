/* masterctl.c - the operator's client: speaks to a running master over its
 * control socket (found through master.conf), or checks a configuration
 * offline. One request line, one reply, exit 0 on success and 1 on an
 * error reply. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "build_config.h"
#include "config.h"
#include "settings.h"

#define MASTERCTL_TIMEOUT_S 10
#define MASTERCTL_OVERRIDES_MAX 64

static void masterctl_usage(FILE *fp)
{
	fprintf(fp, "usage: masterctl [-c DIR] [-o name=value]... COMMAND\n"
		    "commands:\n"
		    "  status [SERVICE] [--json]   services and workers\n"
		    "  stop                        stop the master gracefully\n"
		    "  check                       validate the configuration offline\n");
}

/* Finds the control socket from master.conf and -o, without resolving the
 * services: status must work even while master.cf is being edited. */
static int masterctl_socket_path(const char *dir, char **overrides, char *path, size_t size)
{
	struct master_settings m;
	struct service_settings s;
	struct diag errs = { 0 };
	char file[4096];
	int rc = 0;

	settings_defaults(&m, &s);
	snprintf(file, sizeof(file), "%s/master.conf", dir);
	if (settings_load_file(file, &m, &s, &errs) < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && overrides[i]; i++)
		if (settings_override(&m, &s, overrides[i], false, "command line", &errs) < 0)
			rc = -1;
	if (rc == 0) {
		if (m.control_socket[0] == '/')
			snprintf(path, size, "%s", m.control_socket);
		else
			snprintf(path, size, "%s/%s", m.run_directory, m.control_socket);
	} else {
		diag_print(&errs, stderr);
	}
	diag_free(&errs);
	settings_free_master(&m);
	settings_free_service(&s);
	return rc;
}

static int masterctl_request(const char *path, const char *request)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = MASTERCTL_TIMEOUT_S };
	char buf[65536];
	bool first = true, error = false;
	ssize_t n;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "masterctl: socket path too long: %s\n", path);
		return 1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "masterctl: cannot reach the master at %s: %s\n", path,
			strerror(errno));
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (send(fd, request, strlen(request), MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "masterctl: send: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (first && n >= 7 && memcmp(buf, "error: ", 7) == 0)
			error = true;
		first = false;
		fwrite(buf, 1, (size_t)n, error ? stderr : stdout);
	}
	if (n < 0) {
		fprintf(stderr, "masterctl: no reply from the master: %s\n", strerror(errno));
		error = true;
	}
	close(fd);
	return error ? 1 : 0;
}

static int masterctl_check(const char *dir, char **overrides)
{
	struct config cfg;
	struct diag errs = { 0 };

	if (config_load(dir, overrides, &cfg, &errs) < 0) {
		diag_print(&errs, stderr);
		fprintf(stderr, "masterctl: %zu error%s in %s\n", errs.n, errs.n == 1 ? "" : "s", dir);
		diag_free(&errs);
		return 1;
	}
	printf("configuration in %s is valid: %zu service%s\n", dir, cfg.nservices,
	       cfg.nservices == 1 ? "" : "s");
	config_free(&cfg);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = MASTER_DEFAULT_CONFIG_DIR;
	char *overrides[MASTERCTL_OVERRIDES_MAX + 1] = { 0 };
	size_t noverrides = 0;
	char path[4096], request[1024];
	int opt;

	while ((opt = getopt(argc, argv, "+c:o:h")) != -1) {
		switch (opt) {
		case 'c': dir = optarg; break;
		case 'o':
			if (noverrides == MASTERCTL_OVERRIDES_MAX)
				return 2;
			overrides[noverrides++] = optarg;
			break;
		case 'h': masterctl_usage(stdout); return 0;
		default: masterctl_usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		masterctl_usage(stderr);
		return 2;
	}
	if (strcmp(argv[optind], "check") == 0)
		return masterctl_check(dir, overrides);
	/* The request is the remaining words, as the master parses them. */
	size_t len = 0;
	for (int i = optind; i < argc; i++) {
		int n = snprintf(request + len, sizeof(request) - len, "%s%s",
				 i > optind ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof(request) - len - 1) {
			fprintf(stderr, "masterctl: request too long\n");
			return 2;
		}
		len += (size_t)n;
	}
	request[len++] = '\n';
	request[len] = '\0';
	if (masterctl_socket_path(dir, overrides, path, sizeof(path)) < 0)
		return 1;
	return masterctl_request(path, request);
}
