/* settings_reader.h - the master.conf reader: a process of its own in which
 * libconfuse parses (settings_confuse.c). libconfuse exits, asserts or
 * dereferences NULL when an allocation fails; there, that ends only the
 * reader, and the load fails with an error.
 *
 * The reader is a copy of the process that starts it (clone, no exec),
 * made with exit signal 0 instead of SIGCHLD: the master's waitpid(-1)
 * reaper never sees it, only settings_reader_end() reaps it. Being a
 * copy, it must be started while the process has one thread (every lock
 * then free in the copy): the loop thread starts a reload's reader before
 * the reload thread (reload_load.c); start, masterctl and tests are
 * single-threaded anyway.
 *
 * On its socket the reader receives the file's name, a NUL and the text,
 * then the end of the stream; it answers with settings_confuse.h's
 * records and exits. */
#ifndef MASTER_SETTINGS_READER_H
#define MASTER_SETTINGS_READER_H

#include <sys/types.h>

struct settings_reader {
	pid_t pid;  /* -1: none (never started, or ended) */
	int fd;     /* our end of its socket */
};

/* Starts a reader. Returns 0, or -1 with errno (r then holds none). */
int settings_reader_start(struct settings_reader *r);
/* Closes our end and reaps it (waiting for it to exit). Returns its wait
 * status, or -1 with errno (none, or it could not be reaped). */
int settings_reader_end(struct settings_reader *r);

#endif
