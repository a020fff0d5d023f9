/* sockaudit.h - puts back what a worker changed on the sockets its
 * service's workers share, where the change raises no event (see
 * sockaudit.c). */
#ifndef MASTER_SOCKAUDIT_H
#define MASTER_SOCKAUDIT_H

#include <stdint.h>

struct service;

/* At most once per SOCKAUDIT_INTERVAL_MS per service (now_ms against
 * svc->sockaudit_ms): each of its sockets looked at, and put back. */
void sockaudit_service(struct service *svc, uint64_t now_ms);

#endif
