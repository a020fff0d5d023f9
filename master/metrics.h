/* metrics.h - `masterctl status --prometheus`: the Prometheus text
 * exposition of every service's workers and counters. */
#ifndef MASTER_METRICS_H
#define MASTER_METRICS_H

struct master;
struct outbuf;

void metrics_render(struct master *m, struct outbuf *out);

#endif
