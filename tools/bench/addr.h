/* addr.h - the benchmark tools' address argument: numeric "1.2.3.4:PORT"
 * or "[v6]:PORT" (loopback benchmarks: no name resolution). */
#ifndef BENCH_ADDR_H
#define BENCH_ADDR_H

#include <stdbool.h>
#include <sys/socket.h>

/* Fills ss/len. port 0 is accepted only when port0_ok (a server picking a
 * free port). Returns 0, or -1 for anything malformed. */
int addr_parse(const char *text, bool port0_ok, struct sockaddr_storage *ss, socklen_t *len);

#endif
