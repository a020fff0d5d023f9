/* control_share.c - owns the control client table's eviction policy (see
 * control_share.h). Pure. */
#include "control_share.h"

static size_t control_share_count(const uid_t *uids, size_t n, uid_t uid)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += uids[i] == uid;
	return c;
}

static long control_share_oldest(const uid_t *uids, size_t n, uid_t uid)
{
	for (size_t i = 0; i < n; i++)
		if (uids[i] == uid)
			return (long)i;
	return -1;
}

long control_share_victim(const uid_t *uids, size_t n, uid_t uid, size_t per_uid_max,
			  size_t total_max)
{
	size_t most = 0;
	long victim = -1;

	if (control_share_count(uids, n, uid) >= per_uid_max)
		return control_share_oldest(uids, n, uid);
	if (n < total_max)
		return -1;
	/* n <= the table's size (64): quadratic is nothing. */
	for (size_t i = 0; i < n; i++) {
		size_t c = control_share_count(uids, n, uids[i]);
		if (c > most) {
			most = c;
			victim = control_share_oldest(uids, n, uids[i]);
		}
	}
	return victim;
}
