/* echo.c - the echo service: a master worker that echoes each connection.
 *
 * Owns only the glue between libmaster's loop and the shared echo work;
 * extra arguments from master.cf are accepted and ignored. */
#include <stddef.h>

#include "libmaster.h"
#include "echo_handler.h"

static void echo_connection(int fd, void *ctx)
{
	(void)ctx;
	echo_handle(fd);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return libmaster_run(echo_connection, NULL);
}
