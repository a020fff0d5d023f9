/* ipcclean.h - what a released dynamic uid left in the host's shared
 * kernel namespaces, removed: SysV shared memory, semaphores and message
 * queues owned or created by it, and its entries in /dev/mqueue and
 * /dev/shm (a directory of its, with all inside). The caller
 * (isolation_dynuser.c) calls it once nobody holds the uid, so nothing of
 * the uid runs any more: in cgroup containment a worker counts as reaped
 * only once its leaf is empty. */
#ifndef MASTER_IPCCLEAN_H
#define MASTER_IPCCLEAN_H

#include <dirent.h>
#include <stdbool.h>
#include <sys/types.h>

struct ipcclean_count {
	unsigned removed; /* objects and entries removed */
	unsigned failed;  /* found and not removed */
	unsigned sealed;  /* of those, left at the top made root's, 0700 */
	bool unseen;      /* a directory had more entries than were looked at */
};

/* Removes what uids min..max own, but those skip (if not NULL) names;
 * adds to *n. */
void ipcclean_range(uid_t min, uid_t max, bool (*skip)(uid_t uid), struct ipcclean_count *n);

/* A walk of /dev/mqueue and /dev/shm made over several calls (ipcsweep.c:
 * the uids whose release walk stopped short). Zeroed: at the start. */
struct ipcclean_cursor {
	DIR *dir;   /* the directory being read; NULL between two */
	int stage;  /* 0: the message queues, 1: /dev/shm */
};

/* Looks at up to budget more entries (and for at most
 * IPCCLEAN_WALK_MAX_MS) where c stopped, removing those whose
 * owner member(uid, ctx) names (a directory with all inside, as
 * ipcclean_range does); adds to *n. True when the walk has reached the end
 * of both directories (c is then at the start again). */
bool ipcclean_step(struct ipcclean_cursor *c, bool (*member)(uid_t uid, void *ctx), void *ctx,
		   unsigned budget, struct ipcclean_count *n);
/* Back to the start, its directory closed. */
void ipcclean_cursor_close(struct ipcclean_cursor *c);

#endif
