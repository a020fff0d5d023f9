/* smtpd_maildir.c - Maildir delivery (smtpd_maildir.h).
 *
 * Owns the file names and the order of operations that make a delivery
 * atomic: the text goes to tmp/NAME (created O_EXCL, mode 0600), is
 * fsync'd, and is renamed to new/NAME with RENAME_NOREPLACE, so a
 * reader of new/ only ever sees complete messages and no delivery can
 * replace another's file; then new/ itself is fsync'd so the rename
 * survives a crash. Only then does the client get its 250. With sync=no
 * both fsyncs are skipped (faster; a crash may lose acknowledged mail).
 *
 * Names follow the Maildir convention SECONDS.MmicrosecondsPpidQcount.HOST
 * (the time of delivery, this process and its count of deliveries):
 * unique per host as long as pids are, since one process makes one file
 * at a time. Nothing here is fatal: a failure is logged and answered 451,
 * and the tmp/ file is removed (the sweeper removes what a killed worker
 * leaves there). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "smtpd_maildir.h"
#include "smtpd_trace.h"

#define SMTPD_MAILDIR_DIR_MODE 0700
#define SMTPD_MAILDIR_FILE_MODE 0600
/* renameat2(2)'s RENAME_NOREPLACE (linux/fs.h): musl's headers lack it. */
#define SMTPD_MAILDIR_RENAME_NOREPLACE 1U

static int smtpd_maildir_subdir(int dir_fd, const char *name, char *why, size_t why_size)
{
	int fd;

	if (mkdirat(dir_fd, name, SMTPD_MAILDIR_DIR_MODE) < 0 && errno != EEXIST) {
		snprintf(why, why_size, "mkdir %s: %s", name, strerror(errno));
		return -1;
	}
	fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, why_size, "open %s: %s", name, strerror(errno));
		return -1;
	}
	if (faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) < 0) {
		snprintf(why, why_size, "%s: not writable: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The host part of a name: "/" and ":" would break the name (Maildir
 * uses ":" for flags), so anything but letters, digits, "-", "_" and "."
 * becomes "_". */
static void smtpd_maildir_host(char *dst, size_t size, const char *hostname)
{
	size_t i;

	for (i = 0; hostname[i] != '\0' && i + 1 < size; i++) {
		char c = hostname[i];

		dst[i] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.') ? c : '_';
	}
	dst[i] = '\0';
}

int smtpd_maildir_open(struct smtpd_maildir *md, const char *spool,
	const char *hostname, bool sync, char *why, size_t why_size)
{
	md->tmp_fd = md->new_fd = md->file_fd = -1;
	md->sync = sync;
	md->hostname = hostname;
	md->pid = (long)getpid();
	md->deliveries = 0;
	md->len = 0;
	smtpd_maildir_host(md->host, sizeof(md->host), hostname);
	md->dir_fd = open(spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (md->dir_fd < 0) {
		snprintf(why, why_size, "spool %s: %s", spool, strerror(errno));
		return -1;
	}
	md->tmp_fd = smtpd_maildir_subdir(md->dir_fd, "tmp", why, why_size);
	md->new_fd = md->tmp_fd < 0 ? -1 : smtpd_maildir_subdir(md->dir_fd, "new", why, why_size);
	if (md->new_fd >= 0) {
		int cur = smtpd_maildir_subdir(md->dir_fd, "cur", why, why_size);

		if (cur >= 0) {
			close(cur);
			return 0;
		}
	}
	smtpd_maildir_close(md);
	return -1;
}

void smtpd_maildir_close(struct smtpd_maildir *md)
{
	int *slots[] = { &md->file_fd, &md->new_fd, &md->tmp_fd, &md->dir_fd };

	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		if (*slots[i] >= 0)
			(void)close(*slots[i]);
		*slots[i] = -1;
	}
}

static int smtpd_maildir_flush(struct smtpd_maildir *md)
{
	size_t done = 0;

	while (done < md->len) {
		ssize_t n = write(md->file_fd, md->buf + done, md->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "smtpd: maildir: write tmp/%s: %s\n", md->name,
				n < 0 ? strerror(errno) : "no progress");
			return -1;
		}
		done += (size_t)n;
	}
	md->len = 0;
	return 0;
}

static void smtpd_maildir_abort(void *ctx)
{
	struct smtpd_maildir *md = ctx;

	if (md->file_fd < 0)
		return;
	close(md->file_fd);
	md->file_fd = -1;
	md->len = 0;
	if (unlinkat(md->tmp_fd, md->name, 0) < 0)
		fprintf(stderr, "smtpd: maildir: unlink tmp/%s: %s\n", md->name, strerror(errno));
}

static int smtpd_maildir_begin(void *ctx, const struct smtpd_envelope *env)
{
	struct smtpd_maildir *md = ctx;
	struct timespec now;
	int n;

	smtpd_maildir_abort(md);        /* never two at once */
	clock_gettime(CLOCK_REALTIME, &now);
	n = snprintf(md->name, sizeof(md->name), "%lld.M%06ldP%ldQ%lu.%s",
		(long long)now.tv_sec, now.tv_nsec / 1000, md->pid, md->deliveries + 1,
		md->host);
	if (n < 0 || (size_t)n >= sizeof(md->name))
		return -1;
	md->file_fd = openat(md->tmp_fd, md->name,
		O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, SMTPD_MAILDIR_FILE_MODE);
	if (md->file_fd < 0) {
		fprintf(stderr, "smtpd: maildir: create tmp/%s: %s\n", md->name, strerror(errno));
		return -1;
	}
	md->deliveries++;
	md->len = smtpd_trace_format(md->buf, sizeof(md->buf), env, md->hostname,
		md->name, now.tv_sec);
	if (md->len == 0) {
		smtpd_maildir_abort(md);
		return -1;
	}
	return 0;
}

static int smtpd_maildir_write(void *ctx, const char *data, size_t len)
{
	struct smtpd_maildir *md = ctx;

	if (md->file_fd < 0)
		return -1;
	if (len > sizeof(md->buf) - md->len && smtpd_maildir_flush(md) < 0)
		return -1;
	if (len > sizeof(md->buf)) {    /* never, with 1000-octet lines */
		md->len = 0;
		return -1;
	}
	memcpy(md->buf + md->len, data, len);
	md->len += len;
	return 0;
}

/* Moves tmp/NAME to new/NAME, never over an existing file. renameat2 by
 * its system call: musl (worker_libc=musl) has no wrapper and no flag. */
static int smtpd_maildir_publish(struct smtpd_maildir *md)
{
	if (syscall(SYS_renameat2, md->tmp_fd, md->name, md->new_fd, md->name,
			SMTPD_MAILDIR_RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* A file system without RENAME_NOREPLACE: link fails on an existing
	 * name just the same, then the tmp/ name goes. */
	if (linkat(md->tmp_fd, md->name, md->new_fd, md->name, 0) < 0)
		return -1;
	(void)unlinkat(md->tmp_fd, md->name, 0);
	return 0;
}

static int smtpd_maildir_commit(void *ctx, char *id, size_t id_size)
{
	struct smtpd_maildir *md = ctx;
	const char *step;

	if (md->file_fd < 0)
		return -1;
	if (smtpd_maildir_flush(md) < 0) {    /* logged there */
		smtpd_maildir_abort(md);
		return -1;
	}
	step = "fsync";
	if (md->sync && fsync(md->file_fd) < 0)
		goto fail;
	step = "close";
	if (close(md->file_fd) < 0) {
		md->file_fd = -1;
		goto fail_closed;
	}
	md->file_fd = -1;
	step = "rename to new/";
	if (smtpd_maildir_publish(md) < 0)
		goto fail_closed;
	if (md->sync && fsync(md->new_fd) < 0) {
		/* The file is in new/ and will most likely stay; but we cannot
		 * promise it, so the client retries, and a duplicate is better
		 * than a loss. */
		fprintf(stderr, "smtpd: maildir: fsync new/ after %s: %s\n", md->name,
			strerror(errno));
		return -1;
	}
	snprintf(id, id_size, "%s", md->name);
	return 0;
fail:
	fprintf(stderr, "smtpd: maildir: %s tmp/%s: %s\n", step, md->name, strerror(errno));
	smtpd_maildir_abort(md);
	return -1;
fail_closed:
	fprintf(stderr, "smtpd: maildir: %s %s: %s\n", step, md->name, strerror(errno));
	(void)unlinkat(md->tmp_fd, md->name, 0);
	return -1;
}

const struct smtpd_store smtpd_maildir_store = {
	.begin = smtpd_maildir_begin,
	.write = smtpd_maildir_write,
	.commit = smtpd_maildir_commit,
	.abort = smtpd_maildir_abort,
};
