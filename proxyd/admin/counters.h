/* Traffic counters for "show stat" (see counters-t.h). */
#ifndef PX_ADMIN_COUNTERS_H
#define PX_ADMIN_COUNTERS_H

#include <stdint.h>
#include "admin/counters-t.h"

struct px_proxy;
struct px_stream;

void px_rate_add(struct px_rate *r, uint32_t now_sec, uint32_t n);
uint32_t px_rate_read(const struct px_rate *r, uint32_t now_sec);

/* A connection accepted by frontend <fe> (its feconn already counts it). */
void px_counters_accept(struct px_proxy *fe, uint32_t now_sec);
/* A stream ends: its bytes, status, errors and times are added to its
 * frontend, backend and server.
 */
void px_counters_stream_end(const struct px_stream *s);

#endif
