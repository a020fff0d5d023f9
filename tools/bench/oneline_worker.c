/* oneline_worker.c - bench-oneline-worker: the one-line protocol as a
 * master worker (libmaster's loop): each connection gets one line back,
 * then libmaster closes it, so the server ends the connection as in every
 * other one-line server of the benchmark. */
#include <stddef.h>

#include "libmaster.h"
#include "oneline.h"

static void oneline_worker_connection(int fd, void *ctx)
{
	(void)ctx;
	(void)oneline_handle(fd, fd);
}

int main(void)
{
	return libmaster_run(oneline_worker_connection, NULL);
}
