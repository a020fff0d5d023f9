/* clock.h - the monotonic clock, in milliseconds. Policy code never calls
 * it: it takes `now_ms` as an argument so tests can drive a fake clock. */
#ifndef MASTER_CLOCK_H
#define MASTER_CLOCK_H

#include <stdint.h>

#define CLOCK_NEVER_MS UINT64_MAX

uint64_t clock_now_ms(void);

#endif
