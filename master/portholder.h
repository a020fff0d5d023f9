/* portholder.h - what holds a TCP port a bind found in use, for the
 * operator (portholder.c): a worker that handed its listening socket to
 * a process outside its containment keeps the port after the master
 * stops, and the next master's bind fails (an adversarial run). */
#ifndef MASTER_PORTHOLDER_H
#define MASTER_PORTHOLDER_H

#include <stddef.h>

/* "listened on by pid P (COMM), uid U" into out, or what is known of it;
 * "" if no socket listens on port (either family). Walks /proc: call it
 * only after a bind failed with EADDRINUSE. */
void portholder_name(unsigned port, char *out, size_t size);

#endif
