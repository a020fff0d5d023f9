/* conffile.h - reads one configuration file (master.conf, master.cf)
 * without ever blocking: opened with O_NONBLOCK, checked on the opened fd
 * to be a regular file (a FIFO, a device or a directory is refused, never
 * read), bounded in size. Used at start, by every reload and by
 * `masterctl check`. */
#ifndef MASTER_CONFFILE_H
#define MASTER_CONFFILE_H

#include <stddef.h>

/* Larger than any sane service table; bounds what a reload may allocate. */
#define CONFFILE_MAX_BYTES (16u * 1024u * 1024u)
#define CONFFILE_WHY_BYTES 128

/* Reads PATH whole into *text (NUL-terminated; *len bytes before that NUL,
 * which may hold NUL bytes of the file's own). Returns 0; or -1 with errno
 * set and why: "cannot open: ...", "not a regular file (a fifo)", "too
 * large ...", "out of memory". errno is ENOENT only when PATH does not
 * exist. */
int conffile_read(const char *path, char **text, size_t *len, char *why, size_t whysize);

#endif
