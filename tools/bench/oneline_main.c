/* oneline_main.c - bench-oneline: the one-line program the fork+exec
 * servers run (tcpserver, xinetd, Postfix spawn, bench-baseline -m
 * forkexec -l): the connection is stdin and stdout; it answers one line
 * and exits, which closes the connection. Linked static where the build
 * allows, like our own workers, so that every server execs the same kind
 * of binary. */
#include "oneline.h"

int main(void)
{
	return oneline_handle(0, 1) < 0 ? 1 : 0;
}
