/* Load balancing algorithms (roundrobin, leastconn, source, first) and the
 * "balance" keyword. Picks a server; queuing and connecting are the
 * caller's business.
 */
#include <string.h>
#include "backend/lb.h"
#include "backend/server.h"
#include "cfg/cfg.h"
#include "core/util.h"

/* Smooth weighted round robin: every candidate gains its weight, the
 * richest is chosen and pays the total. Spreads a server's turns evenly.
 */
static struct px_server *pick_rr(struct px_proxy *be, const struct px_server *avoid,
                                 int *any_usable)
{
	struct px_server *best = NULL;
	int64_t total = 0;
	uint32_t i;

	for (i = 0; i < be->nsrv; i++) {
		struct px_server *s = be->srv[i];

		if (!px_srv_usable(s) || s == avoid)
			continue;
		*any_usable = 1;
		if (!px_srv_has_slot(s))
			continue;
		s->rr_weight += s->weight;
		total += s->weight;
		if (!best || s->rr_weight > best->rr_weight)
			best = s;
	}
	if (best)
		best->rr_weight -= total;
	return best;
}

/* Fewest streams relative to weight; ties go round robin. */
static struct px_server *pick_lc(struct px_proxy *be, const struct px_server *avoid,
                                 int *any_usable)
{
	struct px_server *best = NULL;
	uint32_t i, start = be->nsrv ? be->lb_next % be->nsrv : 0;

	for (i = 0; i < be->nsrv; i++) {
		struct px_server *s = be->srv[(start + i) % be->nsrv];

		if (!px_srv_usable(s) || s == avoid)
			continue;
		*any_usable = 1;
		if (!px_srv_has_slot(s))
			continue;
		if (!best || (uint64_t)s->cur_sess * best->weight <
		             (uint64_t)best->cur_sess * s->weight)
			best = s;
	}
	if (best)
		be->lb_next = best->puid;   /* next scan starts after it */
	return best;
}

static struct px_server *pick_first(struct px_proxy *be, const struct px_server *avoid,
                                    int *any_usable)
{
	uint32_t i;

	for (i = 0; i < be->nsrv; i++) {
		struct px_server *s = be->srv[i];

		if (!px_srv_usable(s) || s == avoid)
			continue;
		*any_usable = 1;
		if (px_srv_has_slot(s))
			return s;
	}
	return NULL;
}

static uint32_t hash_addr(const union px_inaddr *src)
{
	const uint8_t *p;
	uint32_t h = 2166136261u, n, i;

	if (src->sa.sa_family == AF_INET6) {
		p = src->in6.sin6_addr.s6_addr;
		n = 16;
	} else {
		p = (const uint8_t *)&src->in4.sin_addr;
		n = 4;
	}
	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	/* Final avalanche so that close addresses spread. */
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	return h;
}

/* The source hash maps onto the usable servers by weight, so a client
 * sticks to one server as long as the set of usable servers is the same.
 */
static struct px_server *pick_src(struct px_proxy *be, const union px_inaddr *src,
                                  const struct px_server *avoid, int *any_usable)
{
	uint64_t total = 0, point;
	uint32_t i;

	for (i = 0; i < be->nsrv; i++)
		if (px_srv_usable(be->srv[i]) && be->srv[i] != avoid)
			total += be->srv[i]->weight;
	if (!total)
		return NULL;
	*any_usable = 1;
	point = hash_addr(src) % total;
	for (i = 0; i < be->nsrv; i++) {
		struct px_server *s = be->srv[i];

		if (!px_srv_usable(s) || s == avoid)
			continue;
		if (point < s->weight)
			return s;
		point -= s->weight;
	}
	return NULL;
}

/* Chooses a server of <be> for a stream from <src>, never <avoid> (a
 * server that just failed, on redispatch). See enum px_lb_result.
 */
enum px_lb_result px_lb_pick(struct px_proxy *be, const union px_inaddr *src,
                             const struct px_server *avoid, struct px_server **out)
{
	struct px_server *s = NULL;
	int any = 0;

	*out = NULL;
	switch (be->lb) {
	case PX_LB_RR:
		s = pick_rr(be, avoid, &any);
		break;
	case PX_LB_LC:
		s = pick_lc(be, avoid, &any);
		break;
	case PX_LB_FIRST:
		s = pick_first(be, avoid, &any);
		break;
	case PX_LB_SRC:
		s = pick_src(be, src, avoid, &any);
		if (s && !px_srv_has_slot(s)) {
			*out = s;
			return PX_LB_SRV_FULL;
		}
		break;
	}
	if (s) {
		*out = s;
		return PX_LB_OK;
	}
	/* With only the failed server left, a redispatch goes back to it. */
	if (!any && avoid)
		return px_lb_pick(be, src, NULL, out);
	return any ? PX_LB_ALL_FULL : PX_LB_NONE;
}

static int kw_balance(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	static const char *const algos[] = {
		[PX_LB_RR] = "roundrobin", [PX_LB_LC] = "leastconn",
		[PX_LB_SRC] = "source", [PX_LB_FIRST] = "first",
	};
	size_t i;

	if (nargs != 2) {
		px_strfmt(err, "expects an algorithm (roundrobin, leastconn, source, first)");
		return -1;
	}
	for (i = 0; i < PX_ARRAY_SIZE(algos); i++)
		if (!strcmp(args[1], algos[i])) {
			ctx->px->lb = i;
			return 0;
		}
	{
		const char *near = px_closest(args[1], algos, PX_ARRAY_SIZE(algos));

		px_strfmt(err, "unknown algorithm '%s'%s%s%s", args[1],
		          near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
	}
	return -1;
}

static const struct px_cfg_kw lb_kws[] = {
	{ .name = "balance", .sections = PX_SEC_BE, .parse = kw_balance },
	{ 0 }
};

static struct px_cfg_kw_list lb_kw_list = { .kws = lb_kws };

__attribute__((constructor)) static void lb_register(void)
{
	px_cfg_register(&lb_kw_list);
}
