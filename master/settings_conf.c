/* settings_conf.c - owns reading master.conf: the file read without
 * blocking (conffile.c: a FIFO or device is refused), its comments
 * blanked, then parsed by libconfuse in a reader process of its own
 * (settings_confuse.c), whose records are applied here through the
 * schema's checker; errors collected as "FILE:LINE: message".
 *
 * Why a process: libconfuse exits (its lexer), asserts or dereferences
 * NULL when an allocation fails. Its process may die; the master never.
 *
 * Out of memory: never fatal; an error of the file ("FILE: out of
 * memory", or the reader's death), so the load fails. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conffile.h"
#include "settings.h"
#include "settings_confuse.h"
#include "settings_reader.h"
#include "settings_schema.h"

#define SETTINGS_CONF_DRAIN_BYTES 4096

/* libconfuse 3.3 counts the newline of a '#' or '//' comment three times
 * (and of a block comment twice), which puts every later error on the
 * wrong line. Blanking comments, keeping newlines, gives it nothing to
 * miscount. Quotes are honoured so that "a#b" stays a value. */
static void settings_blank_comments(char *p)
{
	char quote = 0;

	while (*p != '\0') {
		if (quote != 0) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == quote)
				quote = 0;
			p++;
		} else if (*p == '"' || *p == '\'') {
			quote = *p++;
		} else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			while (*p != '\0' && *p != '\n')
				*p++ = ' ';
		} else if (p[0] == '/' && p[1] == '*') {
			for (*p++ = ' ', *p++ = ' '; *p != '\0'; p++) {
				if (p[0] == '*' && p[1] == '/') {
					*p++ = ' ', *p++ = ' ';
					break;
				}
				if (*p != '\n')
					*p = ' ';
			}
		} else {
			p++;
		}
	}
}

/* Sends the request ("FILE\0TEXT") and ends our side's writing. */
static int settings_conf_send(int fd, const char *file, const char *text)
{
	const char *parts[2] = { file, text };
	size_t lens[2] = { strlen(file) + 1, strlen(text) };

	for (int i = 0; i < 2; i++)
		while (lens[i] > 0) {
			ssize_t k = send(fd, parts[i], lens[i], MSG_NOSIGNAL);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				return -1;
			parts[i] += k;
			lens[i] -= (size_t)k;
		}
	return shutdown(fd, SHUT_WR);
}

static int settings_conf_read_full(int fd, void *buf, size_t n)
{
	char *b = buf;

	while (n > 0) {
		ssize_t k = read(fd, b, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Reads what is left, so that the reader never blocks on a full pipe. */
static void settings_conf_drain(int fd)
{
	char junk[SETTINGS_CONF_DRAIN_BYTES];
	ssize_t k;

	while ((k = read(fd, junk, sizeof(junk))) > 0 || (k < 0 && errno == EINTR))
		;
}

/* One record from the reader: its value checked and stored, its error
 * kept. Returns 1 for the final record, 0 for another, -1 at the end of
 * the pipe, -2 when out of memory here (the rest then drained). */
static int settings_conf_record(int fd, const char *file, struct master_settings *m,
				struct service_settings *s, struct diag *errs, int *result)
{
	char head[SETTINGS_CONFUSE_HEADER_BYTES], err[SETTINGS_ERR_SIZE];
	uint32_t len;
	uint16_t row;

	if (settings_conf_read_full(fd, head, sizeof(head)) < 0)
		return -1;
	memcpy(&len, head + 1, sizeof(len));
	char *rec = len <= CONFFILE_MAX_BYTES * 2u ? malloc((size_t)len + 1) : NULL;
	if (rec == NULL) {
		diag_oom(errs, file);
		settings_conf_drain(fd);
		return -2;
	}
	if (settings_conf_read_full(fd, rec, len) < 0) {
		free(rec);
		return -1;
	}
	rec[len] = '\0';
	if (head[0] == SETTINGS_CONFUSE_RESULT && len == 1) {
		*result = rec[0];
	} else if (head[0] == SETTINGS_CONFUSE_ERROR) {
		diag_add(errs, "%s", rec);
		*result = 1;
	} else if (head[0] == SETTINGS_CONFUSE_VALUE && len >= SETTINGS_CONFUSE_VALUE_HEAD_BYTES &&
		   (memcpy(&row, rec, sizeof(row)), row < settings_count)) {
		const struct settings_row *r = &settings_table[row];
		union settings_value val;
		uint32_t line;
		memcpy(&line, rec + sizeof(row), sizeof(line));
		int rc = settings_parse(r, rec + SETTINGS_CONFUSE_VALUE_HEAD_BYTES, &val, err,
					sizeof(err));
		if (rc == 0) {
			settings_store(r, settings_field(r, m, s), &val);
			struct settings_origin from = { SETTINGS_FROM_CONF, line };
			if (r->per_service)
				s->origin[row] = from;
			else
				m->origin[row] = from;
		} else if (rc == SETTINGS_PARSE_OOM) {
			diag_oom(errs, file); /* bad values: the reader's 'E' says so */
		}
	} else {
		diag_add(errs, "%s: the master.conf reader sent a bad record", file);
	}
	free(rec);
	return head[0] == SETTINGS_CONFUSE_RESULT ? 1 : 0;
}

/* The reader ended without its final record. */
static void settings_conf_died(const char *file, struct settings_reader *r, struct diag *errs)
{
	int st = settings_reader_end(r);

	if (st < 0)
		diag_add(errs, "%s: cannot parse: the libconfuse reader died: %s", file,
			 strerror(errno));
	else if (WIFSIGNALED(st))
		diag_add(errs, "%s: cannot parse: the libconfuse reader was killed by signal %d "
			 "(out of memory, or a bug in libconfuse)", file, WTERMSIG(st));
	else
		diag_add(errs, "%s: cannot parse: the libconfuse reader exited with status %d "
			 "(out of memory, or a bug in libconfuse)", file, WEXITSTATUS(st));
}

int settings_load_file_with(const char *file, struct master_settings *m,
			    struct service_settings *s, struct settings_reader *reader,
			    struct diag *errs)
{
	struct settings_reader own = { -1, -1 };
	char why[CONFFILE_WHY_BYTES], *text;
	size_t len;
	int result = 1, rc;

	if (conffile_read(file, &text, &len, why, sizeof(why)) < 0) {
		if (reader != NULL)
			settings_reader_end(reader);
		if (errno == ENOENT)
			return 0; /* no master.conf: every setting has its default */
		diag_add(errs, "%s: %s", file, why);
		return -1;
	}
	settings_blank_comments(text);
	if (reader == NULL) {
		reader = &own;
		if (settings_reader_start(reader) < 0) {
			diag_add(errs, "%s: cannot parse: cannot start the master.conf reader: %s",
				 file, errno == ENOMEM ? "out of memory" : strerror(errno));
			free(text);
			return -1;
		}
	}
	/* A reader that died early shows as the missing final record. */
	settings_conf_send(reader->fd, file, text);
	free(text);
	while ((rc = settings_conf_record(reader->fd, file, m, s, errs, &result)) == 0)
		;
	if (rc == -1) {
		settings_conf_died(file, reader, errs);
		return -1;
	}
	settings_reader_end(reader);
	return rc == 1 && result == 0 ? 0 : -1;
}

int settings_load_file(const char *file, struct master_settings *m,
		       struct service_settings *s, struct diag *errs)
{
	return settings_load_file_with(file, m, s, NULL, errs);
}

int settings_load_buffer(const char *file, char *text, struct master_settings *m,
			 struct service_settings *s, struct diag *errs)
{
	/* In this process, for the fuzzer and the tests: libconfuse writes
	 * its records to a memory file, read back as a reader's would be. */
	int fd = memfd_create("master.conf-records", MFD_CLOEXEC);
	int result = 1, rc;

	if (fd < 0) {
		diag_add(errs, "%s: cannot parse: memfd: %s", file, strerror(errno));
		return -1;
	}
	settings_blank_comments(text);
	(void)settings_confuse_parse(fd, file, text);
	if (lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	while ((rc = settings_conf_record(fd, file, m, s, errs, &result)) == 0)
		;
	close(fd);
	if (rc < 0)
		diag_add(errs, "%s: cannot parse: its records ended early", file);
	return rc == 1 && result == 0 ? 0 : -1;
}
