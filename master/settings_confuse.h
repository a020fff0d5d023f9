/* settings_confuse.h - the libconfuse side of reading master.conf, run in
 * a child process of its own (settings_conf.c forks it): libconfuse exits,
 * asserts or dereferences NULL when an allocation fails, so it never runs
 * in a process whose death would take the master (and, through the
 * parent-death signal, every worker) with it.
 *
 * The child sends records through a pipe, each a type byte, a 4-byte
 * length (host order: the same binary on both ends) and that many bytes:
 *   'E' text      an error, "FILE:LINE: message";
 *   'V' row line text  a value libconfuse read: the row's index in
 *                 settings_table as 2 bytes, the line that set it as 4
 *                 bytes (0: unknown), then the value as written;
 *   'R' result    the last record: one byte, 0 if the parse succeeded.
 * A reader that ends without 'R' died (out of memory, or a libconfuse bug):
 * the load fails. Values are checked and stored by the parent, through the
 * same checker as everything else. */
#ifndef MASTER_SETTINGS_CONFUSE_H
#define MASTER_SETTINGS_CONFUSE_H

#include <stdint.h>

#define SETTINGS_CONFUSE_ERROR 'E'
#define SETTINGS_CONFUSE_VALUE 'V'
#define SETTINGS_CONFUSE_RESULT 'R'
#define SETTINGS_CONFUSE_HEADER_BYTES 5u
#define SETTINGS_CONFUSE_VALUE_HEAD_BYTES 6u

/* In the child: parses TEXT (master.conf, comments blanked) and writes the
 * records to fd. Returns 0, or -1 if the pipe failed. */
int settings_confuse_parse(int fd, const char *file, const char *text);

#endif
