/* oneline.h - the one-line protocol's server work, shared by every server
 * the benchmark runs in that protocol (the bare pool, the master's worker,
 * the program tcpserver, xinetd and Postfix spawn execute), so that all of
 * them do exactly the same work per connection: read one line, write it
 * back. The caller then closes: the server ends the connection. */
#ifndef BENCH_ONELINE_H
#define BENCH_ONELINE_H

#define ONELINE_MAX_BYTES 4096 /* a longer "line" is answered as far as read */

/* Reads from in until a '\n' (or end-of-file, or ONELINE_MAX_BYTES), writes
 * what it read to out. Returns 0, or -1 when the client went away. */
int oneline_handle(int in, int out);

#endif
