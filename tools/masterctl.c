/* masterctl.c - the operator's client: speaks to a running master over its
 * control socket (found through master.conf), or checks a configuration
 * offline. One request line, one reply; the reply goes to stdout, or to
 * stderr when it is an error ("error: ..."). Exit 0 on success, 1 on an
 * error reply, a refusal or no master, 2 on a usage error. */
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
#include "masterctl_config.h"
#include "settings.h"

#define MASTERCTL_TIMEOUT_S 10
#define MASTERCTL_OVERRIDES_MAX 64

static void masterctl_usage(FILE *fp)
{
	fprintf(fp, "usage: masterctl [-c DIR] [-o name=value]... COMMAND\n"
		    "commands:\n"
		    "  status [SERVICE] [--json|--prometheus]\n"
		    "                              services and workers\n"
		    "  reload                      apply a changed configuration\n"
		    "  recycle SERVICE|all         replace every worker, capacity kept\n"
		    "  stop [--now]                stop gracefully (--now: kill workers)\n"
		    "  check                       validate the configuration offline\n"
		    "  config [SERVICE]            effective settings and their origins (offline)\n");
}

/* Finds the control socket from master.conf and -o, without resolving the
 * services: status must work even while master.cf is being edited. With
 * errors in master.conf the path comes from what could be read (a value
 * error elsewhere in the file does not hide it), and the errors are kept
 * in errs for when the master cannot be reached there: the master itself
 * reports them on `reload`. */
static void masterctl_socket_path(const char *dir, char **overrides, char *path, size_t size,
				  unsigned *reload_timeout_s, struct diag *errs)
{
	struct master_settings m;
	struct service_settings s;
	char file[4096];

	if (settings_defaults(&m, &s) < 0) {
		diag_oom(errs, dir);
		snprintf(path, size, "/run/master/master.ctl");
		return;
	}
	snprintf(file, sizeof(file), "%s/master.conf", dir);
	settings_load_file(file, &m, &s, errs);
	for (size_t i = 0; overrides[i]; i++)
		settings_override(&m, &s, overrides[i], false, "command line", errs);
	if (m.control_socket[0] == '/')
		snprintf(path, size, "%s", m.control_socket);
	else
		snprintf(path, size, "%s/%s", m.run_directory, m.control_socket);
	*reload_timeout_s = m.reload_timeout_s;
	settings_free_master(&m);
	settings_free_service(&s);
}

/* timeout_s: how long the reply may take (a reload: the master's
 * reload_timeout and then some). */
static int masterctl_request(const char *path, const char *request, unsigned timeout_s,
			     const struct diag *conf_errs)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_s };
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
		int err = errno;
		if (conf_errs->n > 0) {
			diag_print(conf_errs, stderr);
			fprintf(stderr, "masterctl: with these errors in master.conf, the control "
				"socket's path may be wrong\n");
		}
		fprintf(stderr, "masterctl: cannot reach the master at %s: %s%s\n", path,
			strerror(err), err == EACCES ? " (only root, the master's user and "
			"members of admin_group may use it)" : err == ENOENT || err == ECONNREFUSED
			? " (is the master running?)" : "");
		if (fd >= 0)
			close(fd);
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* A refusal may already wait in our buffer when the send fails (the
	 * master closes a refused connection at once): read it anyway. */
	int send_err = send(fd, request, strlen(request), MSG_NOSIGNAL) < 0 ? errno : 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (first && n >= 7 && memcmp(buf, "error: ", 7) == 0)
			error = true;
		first = false;
		fwrite(buf, 1, (size_t)n, error ? stderr : stdout);
	}
	if (first) {
		if (send_err != 0)
			fprintf(stderr, "masterctl: send: %s\n", strerror(send_err));
		else if (n < 0)
			fprintf(stderr, "masterctl: no reply from the master: %s\n", strerror(errno));
		else
			fprintf(stderr, "masterctl: the master closed the connection without a reply\n");
		error = true;
	} else if (n < 0 && errno != ECONNRESET) {
		/* ECONNRESET after a reply: the master closed without reading
		 * all we sent (a refusal); the reply is complete. */
		fprintf(stderr, "masterctl: reply cut short: %s\n", strerror(errno));
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
		/* The same lines a refused reload prints. */
		diag_print(&errs, stderr);
		fprintf(stderr, "masterctl: configuration in %s has %zu error%s\n", dir,
			diag_distinct(&errs), diag_distinct(&errs) == 1 ? "" : "s");
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
	if (strcmp(argv[optind], "config") == 0)
		return masterctl_config(dir, overrides, argc - optind - 1, argv + optind + 1);
	if (strcmp(argv[optind], "check") == 0) {
		if (optind + 1 != argc) {
			masterctl_usage(stderr);
			return 2;
		}
		return masterctl_check(dir, overrides);
	}
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
	struct diag conf_errs = { 0 };
	unsigned reload_timeout_s = 0;
	masterctl_socket_path(dir, overrides, path, sizeof(path), &reload_timeout_s, &conf_errs);
	bool reload = strcmp(argv[optind], "reload") == 0;
	int rc = masterctl_request(path, request, MASTERCTL_TIMEOUT_S +
				   (reload ? reload_timeout_s : 0), &conf_errs);
	diag_free(&conf_errs);
	return rc;
}
