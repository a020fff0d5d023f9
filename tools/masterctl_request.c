/* masterctl_request.c - owns masterctl's side of the control socket (see
 * masterctl.h): finding it through master.conf, sending one request line,
 * printing the reply and mapping the outcome to an exit status; and the
 * offline `check`. Nothing here outlives one call. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "masterctl.h"
#include "masterctl_config.h"
#include "settings.h"

#define MASTERCTL_REQUEST_TIMEOUT_S 10
#define MASTERCTL_REQUEST_PATH_BYTES 4096
#define MASTERCTL_REQUEST_REPLY_BYTES 65536

/* Finds the control socket from master.conf and -o, without resolving the
 * services: status must work even while master.cf is being edited. With
 * errors in master.conf the path comes from what could be read (a value
 * error elsewhere in the file does not hide it), and the errors are kept
 * in errs for when the master cannot be reached there: the master itself
 * reports them on `reload`. */
static void masterctl_request_path(const char *dir, char **overrides, char *path, size_t size,
				   unsigned *reload_timeout_s, struct diag *errs)
{
	struct master_settings m;
	struct service_settings s;
	char file[MASTERCTL_REQUEST_PATH_BYTES];

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

static int masterctl_request_connect(const char *path, const struct diag *conf_errs)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "masterctl: socket path too long: %s\n", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	int err = errno;
	if (conf_errs->n > 0) {
		diag_print(conf_errs, stderr);
		fprintf(stderr, "masterctl: with these errors in master.conf, the control "
			"socket's path may be wrong\n");
	}
	fprintf(stderr, "masterctl: cannot reach the master at %s: %s%s\n", path,
		strerror(err), err == EACCES ? " (only root, the master's user and "
		"members of admin_group (status_group: status only) may use it)" : err == ENOENT || err == ECONNREFUSED
		? " (is the master running?)" : "");
	if (fd >= 0)
		close(fd);
	errno = err;
	return -1;
}

/* Not allowed to connect (the socket's mode): the master is there and
 * says no, a refusal; anything else: no master to be reached. */
static int masterctl_request_unreached(int err)
{
	return err == EACCES || err == EPERM ? MASTERCTL_EXIT_REFUSED : MASTERCTL_EXIT_NO_MASTER;
}

/* Sends request on fd and copies the reply out: an enum masterctl_exit. */
static int masterctl_request_exchange(int fd, const char *request, unsigned timeout_s)
{
	struct timeval tv = { .tv_sec = timeout_s };
	static char buf[MASTERCTL_REQUEST_REPLY_BYTES];
	bool first = true, error = false;
	ssize_t n;

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
	if (first) { /* no answer at all: as good as no master */
		if (send_err != 0)
			fprintf(stderr, "masterctl: send: %s\n", strerror(send_err));
		else if (n < 0)
			fprintf(stderr, "masterctl: no reply from the master: %s\n", strerror(errno));
		else
			fprintf(stderr, "masterctl: the master closed the connection without a reply\n");
		return MASTERCTL_EXIT_NO_MASTER;
	}
	if (n < 0 && errno != ECONNRESET) {
		/* ECONNRESET after a reply: the master closed without reading
		 * all we sent (a refusal); the reply is complete. Otherwise the
		 * outcome is unknown. */
		fprintf(stderr, "masterctl: reply cut short: %s\n", strerror(errno));
		return MASTERCTL_EXIT_NO_MASTER;
	}
	return error ? MASTERCTL_EXIT_REFUSED : MASTERCTL_EXIT_OK;
}

int masterctl_request(const char *dir, char **overrides, const char *request, bool reload)
{
	char path[MASTERCTL_REQUEST_PATH_BYTES];
	struct diag conf_errs = { 0 };
	unsigned reload_timeout_s = 0;

	masterctl_request_path(dir, overrides, path, sizeof(path), &reload_timeout_s, &conf_errs);
	int fd = masterctl_request_connect(path, &conf_errs);
	diag_free(&conf_errs);
	if (fd < 0)
		return masterctl_request_unreached(errno);
	/* timeout: how long the reply may take (a reload: the master's
	 * reload_timeout and then some). */
	int rc = masterctl_request_exchange(fd, request, MASTERCTL_REQUEST_TIMEOUT_S +
					    (reload ? reload_timeout_s : 0));
	close(fd);
	return rc;
}

int masterctl_check(const char *dir, char **overrides)
{
	struct config cfg;

	if (masterctl_config_load(dir, overrides, &cfg) < 0)
		return MASTERCTL_EXIT_REFUSED;
	printf("configuration in %s is valid: %zu service%s\n", dir, cfg.nservices,
	       cfg.nservices == 1 ? "" : "s");
	config_free(&cfg);
	return MASTERCTL_EXIT_OK;
}
