/* Load balancing: choosing a server of a backend for a new stream. */
#ifndef PX_BACKEND_LB_H
#define PX_BACKEND_LB_H

#include "backend/server-t.h"
#include "cfg/proxy-t.h"
#include "core/net-t.h"

enum px_lb_result {
	PX_LB_OK = 0,        /* a server with a free slot was chosen */
	PX_LB_SRV_FULL,      /* the server the algorithm insists on is full */
	PX_LB_ALL_FULL,      /* every usable server is full: wait for any */
	PX_LB_NONE,          /* no usable server at all */
};

enum px_lb_result px_lb_pick(struct px_proxy *be, const union px_inaddr *src,
                             const struct px_server *avoid, struct px_server **out);

#endif
