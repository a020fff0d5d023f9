/* launch_worker.c - bench-launch-worker: the smallest worker there is, for
 * the launch benchmark (launch.c): it says "ready" on the fd named by
 * MASTER_STATUS_FD and exits 0. Nothing else, so that the benchmark
 * measures the launch, not the worker. Linked static where the build
 * allows (no sanitizer), like the design's "small static binary". */
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	const char *fd = getenv("MASTER_STATUS_FD");

	if (fd == NULL || send(atoi(fd), "ready", 5, MSG_NOSIGNAL) != 5)
		return 1;
	return 0;
}
