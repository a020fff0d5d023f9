/* smtpd_maildir.h - delivery into a Maildir (tmp/, new/, cur/): each
 * accepted message a file of its own, written in tmp/ and renamed into
 * new/ only when complete and on disk. */
#ifndef SMTPD_MAILDIR_H
#define SMTPD_MAILDIR_H

#include <stdbool.h>
#include <stddef.h>

#include "smtpd_session.h"

#define SMTPD_MAILDIR_NAME_BYTES 128            /* one file name */
#define SMTPD_MAILDIR_HOST_BYTES 64             /* the host part of it */
#define SMTPD_MAILDIR_BUFFER_BYTES (64 * 1024)  /* text held per write */

struct smtpd_maildir {
	int dir_fd, tmp_fd, new_fd;     /* the spool and its subdirectories */
	bool sync;                      /* fsync the file and new/ */
	const char *hostname;           /* for the Received line */
	char host[SMTPD_MAILDIR_HOST_BYTES];
	long pid;
	unsigned long deliveries;       /* files made by this process */
	int file_fd;                    /* the message in tmp/, or -1 */
	char name[SMTPD_MAILDIR_NAME_BYTES];
	size_t len;                     /* bytes in buf */
	char buf[SMTPD_MAILDIR_BUFFER_BYTES];
};

/* Opens spool (which must exist), making tmp/, new/ and cur/ in it if
 * missing, and checks that this process may write there. Returns 0, or
 * -1 with the reason in why. */
int smtpd_maildir_open(struct smtpd_maildir *md, const char *spool,
	const char *hostname, bool sync, char *why, size_t why_size);

void smtpd_maildir_close(struct smtpd_maildir *md);

/* The store callbacks; ctx is a struct smtpd_maildir. */
extern const struct smtpd_store smtpd_maildir_store;

#endif
