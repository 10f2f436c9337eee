/* Load balancing: choosing a server of a backend for a new stream, and the
 * keys the HTTP layer computes for "balance uri" and "balance hdr(NAME)".
 */
#ifndef PX_BACKEND_LB_H
#define PX_BACKEND_LB_H

#include <stddef.h>
#include <stdint.h>
#include "backend/lb-t.h"
#include "backend/server-t.h"
#include "cfg/cfg-t.h"
#include "cfg/proxy-t.h"

struct px_stream;

enum px_lb_result {
	PX_LB_OK = 0,        /* a server with a free slot was chosen */
	PX_LB_SRV_FULL,      /* the server the algorithm insists on is full */
	PX_LB_ALL_FULL,      /* every usable server is full: wait for any */
	PX_LB_NONE,          /* no usable server at all */
};

enum px_lb_result px_lb_pick(struct px_stream *s, const struct px_server *avoid,
                             struct px_server **out);

/* Keys of the hash-based algorithms. Before server selection, when the
 * backend's algorithm is PX_LB_URI or PX_LB_HDR, the HTTP layer sets
 * s->lb_hash and s->lb_has_hash = 1 from one of these; it leaves
 * lb_has_hash at 0 when they return -1 (no key: round robin applies).
 *
 * PX_LB_URI: <uri> is the request target as received. The backend's
 * options (whole, len, depth, path-only) are applied here.
 * PX_LB_HDR: <value> is the value of the first header line named
 * be->lb_hdr (any case); only its first comma-separated element is
 * hashed, as HAProxy does, and use_domain_only is applied here.
 * Both return 0 with *hash set, or -1 when the key is empty.
 */
int px_lb_hash_uri(const struct px_proxy *be, const char *uri, size_t len, uint32_t *hash);
int px_lb_hash_hdr(const struct px_proxy *be, const char *value, size_t len,
                   uint32_t *hash);

uint32_t px_lb_hash(const void *p, size_t len);

int px_lb_update(struct px_proxy *be);
int px_lb_finalize(struct px_cfg_ctx *ctx, struct px_proxy *be);
int px_lb_eligible(const struct px_proxy *be, const struct px_server *s);

#endif
