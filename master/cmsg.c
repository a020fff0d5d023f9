/* cmsg.c - owns reading a received message's control data (see cmsg.h).
 * Nothing here is fatal. */
#include "cmsg.h"

#include <string.h>
#include <unistd.h>

void cmsg_take(struct msghdr *mh, struct cmsg_sender *out)
{
	*out = (struct cmsg_sender){ 0 };
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			struct ucred uc;
			memcpy(&uc, CMSG_DATA(c), sizeof(uc));
			out->pid = uc.pid;
			out->uid = uc.uid;
		} else if (c->cmsg_type == SCM_RIGHTS) {
			size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < n; i++) {
				int passed;
				memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				close(passed);
			}
			out->fds += (unsigned)n;
		}
	}
}
