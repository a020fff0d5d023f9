/* namespace.h - a service's own namespaces, made once when the service is
 * created and entered by each of its workers (setns in launch.c): a
 * network namespace with nothing in it (private_network), and a mount
 * namespace whose /tmp is a fresh, empty tmpfs of a bounded size
 * (private_tmp, private_tmp_size), and so are /var/tmp and /dev/shm
 * (each a tmpfs of that size) for a service without a jail. One per
 * service, not per worker, so a launch stays one setns away from it. */
#ifndef MASTER_NAMESPACE_H
#define MASTER_NAMESPACE_H

#include <stdbool.h>
#include <stddef.h>

/* Creates what is asked: a network namespace if net, a mount namespace
 * with an empty tmpfs of tmp_size_bytes (private_tmp_size: a write past it
 * fails with ENOSPC) on tmp_dir if tmp_dir != NULL. *netns_fd and
 * *mntns_fd receive O_CLOEXEC fds that keep them alive (-1 if not asked).
 * Returns 0, or -1 with "STEP: strerror" in err and nothing left open. */
int namespace_create(bool net, const char *tmp_dir, unsigned long long tmp_size_bytes,
		     int *netns_fd, int *mntns_fd, char *err, size_t errsize);

#endif
