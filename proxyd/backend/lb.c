/* Load balancing: the algorithms of "balance" (roundrobin, static-rr,
 * leastconn, first, source, uri, hdr, random), the choice between active
 * and backup servers, and the map of eligible servers that the static and
 * hash-based algorithms index. It picks a server; queuing and connecting
 * are the caller's business, and finding the URI or header to hash is the
 * HTTP layer's (it calls px_lb_hash_uri() / px_lb_hash_hdr()).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "backend/lb.h"
#include "backend/server.h"
#include "cfg/cfg.h"
#include "core/util.h"
#include "proto/sess-t.h"
#include "proto/stream-t.h"

/* Algorithms that choose through the server map. */
static int uses_map(enum px_lb_algo algo)
{
	return algo == PX_LB_STATIC_RR || algo == PX_LB_SRC || algo == PX_LB_URI ||
	       algo == PX_LB_HDR || algo == PX_LB_RANDOM;
}

/* Tells whether <s> takes part in balancing now: a usable active server;
 * or, when no active server is usable, the first usable backup server
 * (every usable backup server with "option allbackups").
 */
int px_lb_eligible(const struct px_proxy *be, const struct px_server *s)
{
	if (!px_srv_usable(s))
		return 0;
	if (!s->backup)
		return 1;
	if (be->lbprm.srv_act)
		return 0;
	return (be->options & PX_OPT_ALLBACKUPS) || s == be->lbprm.fbck;
}

/* Keeps the backend's up/down history when its usable servers were just
 * counted.
 */
static void note_availability(struct px_lbprm *lb)
{
	int64_t now = (int64_t)time(NULL);
	uint8_t down = !(lb->srv_act + lb->srv_bck);

	if (lb->last_change && down == lb->down)
		return;
	if (lb->last_change && lb->down && now > lb->last_change)
		lb->down_time += (uint64_t)(now - lb->last_change);
	else if (lb->last_change)
		lb->down_trans++;
	lb->last_change = now;
	lb->down = down;
}

/* Recounts the usable servers of <be> and, for the algorithms that use
 * it, rebuilds the map of eligible servers. Called at the end of parsing
 * and whenever a server's usability changes (health checks). The map is
 * interleaved by smooth weighted round robin, so that static-rr spreads a
 * server's turns evenly. Returns 0, or -1 when the map could not grow
 * (it is then left empty and the map-based algorithms answer "no server"
 * until the next update).
 */
int px_lb_update(struct px_proxy *be)
{
	struct px_lbprm *lb = &be->lbprm;
	uint64_t total = 0, k;
	uint32_t i;

	lb->srv_act = lb->srv_bck = 0;
	lb->fbck = NULL;
	for (i = 0; i < be->nsrv; i++) {
		struct px_server *s = be->srv[i];

		if (!px_srv_usable(s))
			continue;
		if (!s->backup) {
			lb->srv_act++;
		} else {
			lb->srv_bck++;
			if (!lb->fbck)
				lb->fbck = s;
		}
	}
	note_availability(lb);
	lb->map_len = 0;
	if (!uses_map(be->lb))
		return 0;
	for (i = 0; i < be->nsrv; i++) {
		struct px_server *s = be->srv[i];

		/* The map-based algorithms leave rr_weight to this builder. */
		s->rr_weight = 0;
		if (px_lb_eligible(be, s))
			total += s->weight;
	}
	if (total > lb->map_cap) {
		struct px_server **map = realloc(lb->map, total * sizeof(*map));

		if (!map)
			return -1;
		lb->map = map;
		lb->map_cap = (uint32_t)total;
	}
	for (k = 0; k < total; k++) {
		struct px_server *best = NULL;

		for (i = 0; i < be->nsrv; i++) {
			struct px_server *s = be->srv[i];

			if (!px_lb_eligible(be, s))
				continue;
			s->rr_weight += s->weight;
			if (!best || s->rr_weight > best->rr_weight)
				best = s;
		}
		best->rr_weight -= (int64_t)total;
		lb->map[k] = best;
	}
	lb->map_len = (uint32_t)total;
	return 0;
}

static void map_free(void *arg)
{
	struct px_proxy *be = arg;

	free(be->lbprm.map);
	be->lbprm.map = NULL;
	be->lbprm.map_cap = be->lbprm.map_len = 0;
}

/* End of parsing for backend <be>: the algorithm's requirements, then the
 * first map, sized for every server at once so that later updates never
 * allocate. Returns 0, or -1 after reporting an error.
 */
int px_lb_finalize(struct px_cfg_ctx *ctx, struct px_proxy *be)
{
	struct px_lbprm *lb = &be->lbprm;
	uint64_t total = 0;
	uint32_t i;

	if ((be->lb == PX_LB_URI || be->lb == PX_LB_HDR) && be->mode != PX_MODE_HTTP) {
		px_cfg_warn(ctx, "'balance %s' needs 'mode http'; %s '%s' uses 'balance "
		            "roundrobin' instead", be->lb == PX_LB_URI ? "uri" : "hdr",
		            be->kind, be->id);
		be->lb = PX_LB_RR;
	}
	lb->map = NULL;
	lb->map_cap = lb->map_len = lb->map_pos = 0;
	if (uses_map(be->lb)) {
		for (i = 0; i < be->nsrv; i++)
			total += be->srv[i]->weight;
		if (total) {
			lb->map = malloc(total * sizeof(*lb->map));
			if (!lb->map || px_gen_on_free(ctx->gen, map_free, be) < 0) {
				free(lb->map);
				lb->map = NULL;
				px_cfg_error(ctx, "out of memory");
				return -1;
			}
			lb->map_cap = (uint32_t)total;
		}
	}
	return px_lb_update(be);
}

/* --- hashing ----------------------------------------------------------------- */

/* The key hash of the hash-based algorithms: FNV-1a, then a final mix so
 * that keys differing in their last bytes land far apart.
 */
uint32_t px_lb_hash(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ b[i]) * 16777619u;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static uint32_t hash_addr(const union px_inaddr *src)
{
	if (src->sa.sa_family == AF_INET6)
		return px_lb_hash(src->in6.sin6_addr.s6_addr, 16);
	return px_lb_hash(&src->in4.sin_addr, 4);
}

/* See lb.h. The key is the target up to the query string ('?' excluded)
 * unless "whole"; "path-only" drops the scheme and authority of an
 * absolute URI; "len N" keeps at most N bytes and "depth N" stops before
 * the (N+1)th slash, whichever comes first.
 */
int px_lb_hash_uri(const struct px_proxy *be, const char *uri, size_t len, uint32_t *hash)
{
	const struct px_lbprm *lb = &be->lbprm;
	const char *p = uri, *end = uri + len;
	size_t n;
	uint32_t slashes = 0;

	if ((lb->flags & PX_LBF_URI_PATH_ONLY) && len && *uri != '/') {
		const char *scheme = memmem(uri, len, "://", 3);

		if (scheme) {
			p = memchr(scheme + 3, '/', end - (scheme + 3));
			if (!p)
				p = end;
		}
	}
	if (!(lb->flags & PX_LBF_URI_WHOLE)) {
		const char *q = memchr(p, '?', end - p);

		if (q)
			end = q;
	}
	if (lb->uri_len && (size_t)(end - p) > lb->uri_len)
		end = p + lb->uri_len;
	if (lb->uri_depth) {
		for (n = 0; p + n < end; n++)
			if (p[n] == '/' && ++slashes > lb->uri_depth) {
				end = p + n;
				break;
			}
	}
	if (end <= p)
		return -1;
	*hash = px_lb_hash(p, end - p);
	return 0;
}

/* See lb.h. With use_domain_only, of "www.example.com" (or
 * "example.com:8080") only "example" is hashed: the label before the last
 * dot; a value without a dot is hashed whole.
 */
int px_lb_hash_hdr(const struct px_proxy *be, const char *value, size_t len,
                   uint32_t *hash)
{
	const char *p = value, *end, *comma = memchr(value, ',', len);

	end = comma ? comma : value + len;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (be->lbprm.flags & PX_LBF_HDR_DOMAIN) {
		const char *dot = NULL, *q;

		for (q = end; q > p; q--)
			if (q[-1] == '.') {
				dot = q - 1;
				break;
			}
		if (dot) {
			end = dot;
			for (q = dot; q > p && q[-1] != '.'; q--)
				;
			p = q;
		}
	}
	if (end <= p)
		return -1;
	*hash = px_lb_hash(p, end - p);
	return 0;
}

/* --- algorithms ---------------------------------------------------------------- */

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

		if (!px_lb_eligible(be, s) || s == avoid)
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

		if (!px_lb_eligible(be, s) || s == avoid)
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

		if (!px_lb_eligible(be, s) || s == avoid)
			continue;
		*any_usable = 1;
		if (px_srv_has_slot(s))
			return s;
	}
	return NULL;
}

/* static-rr: the next server of the map with a free slot. */
static struct px_server *pick_static_rr(struct px_proxy *be, const struct px_server *avoid,
                                        int *any_usable)
{
	struct px_lbprm *lb = &be->lbprm;
	uint32_t i;

	for (i = 0; i < lb->map_len; i++) {
		uint32_t pos = (lb->map_pos + i) % lb->map_len;
		struct px_server *s = lb->map[pos];

		if (s == avoid)
			continue;
		*any_usable = 1;
		if (px_srv_has_slot(s)) {
			lb->map_pos = pos + 1;
			return s;
		}
	}
	return NULL;
}

/* The map entry <hash> designates (full or not): the same key reaches the
 * same server as long as the set of eligible servers is the same. When
 * that server is <avoid>, the next one in the map.
 */
static struct px_server *pick_hash(struct px_proxy *be, uint32_t hash,
                                   const struct px_server *avoid, int *any_usable)
{
	struct px_lbprm *lb = &be->lbprm;
	uint32_t i;

	for (i = 0; i < lb->map_len; i++) {
		struct px_server *s = lb->map[(hash % lb->map_len + i) % lb->map_len];

		if (s != avoid) {
			*any_usable = 1;
			return s;
		}
	}
	return NULL;
}

/* A per-thread xorshift64* generator: random balancing needs spread, not
 * secrecy.
 */
static uint32_t lb_random(void)
{
	static __thread uint64_t state;

	if (!state) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		state = ((uint64_t)ts.tv_nsec << 32) ^ (uint64_t)ts.tv_sec ^
		        ((uint64_t)getpid() << 16) ^ (uintptr_t)&state;
		if (!state)
			state = 0x9e3779b97f4a7c15ull;
	}
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return (uint32_t)((state * 0x2545f4914f6cdd1dull) >> 32);
}

/* random(N): draws N servers from the map (so by weight) and keeps the
 * one with the fewest streams for its weight; when no draw has a free
 * slot, the next server of the map that has one.
 */
static struct px_server *pick_random(struct px_proxy *be, const struct px_server *avoid,
                                     int *any_usable)
{
	struct px_lbprm *lb = &be->lbprm;
	struct px_server *best = NULL;
	uint32_t d;

	if (!lb->map_len)
		return NULL;
	for (d = 0; d < lb->draws; d++) {
		struct px_server *s = lb->map[lb_random() % lb->map_len];

		if (s == avoid)
			continue;
		*any_usable = 1;
		if (!px_srv_has_slot(s))
			continue;
		if (!best || (uint64_t)s->cur_sess * best->weight <
		             (uint64_t)best->cur_sess * s->weight)
			best = s;
	}
	return best ? best : pick_static_rr(be, avoid, any_usable);
}

static enum px_lb_result pick(struct px_proxy *be, struct px_stream *strm,
                              const struct px_server *avoid, struct px_server **out)
{
	struct px_server *s = NULL;
	int any = 0, hashed = 0;

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
	case PX_LB_STATIC_RR:
		s = pick_static_rr(be, avoid, &any);
		break;
	case PX_LB_RANDOM:
		s = pick_random(be, avoid, &any);
		break;
	case PX_LB_SRC:
		s = pick_hash(be, hash_addr(&strm->sess->src), avoid, &any);
		hashed = 1;
		break;
	case PX_LB_URI:
	case PX_LB_HDR:
		/* Without a key (no such header), round robin, as HAProxy. */
		if (strm->lb_has_hash) {
			s = pick_hash(be, strm->lb_hash, avoid, &any);
			hashed = 1;
		} else {
			s = pick_static_rr(be, avoid, &any);
		}
		break;
	}
	if (s && hashed && !px_srv_has_slot(s)) {
		*out = s;
		return PX_LB_SRV_FULL;
	}
	if (s) {
		*out = s;
		return PX_LB_OK;
	}
	/* With only the failed server left, a redispatch goes back to it. */
	if (!any && avoid)
		return pick(be, strm, NULL, out);
	return any ? PX_LB_ALL_FULL : PX_LB_NONE;
}

/* Chooses a server of the backend of <s> for it, never <avoid> (a server
 * that just failed, on redispatch) unless it is the only one left. Uses
 * the client address (source) or s->lb_hash (uri, hdr). See enum
 * px_lb_result.
 */
enum px_lb_result px_lb_pick(struct px_stream *s, const struct px_server *avoid,
                             struct px_server **out)
{
	return pick(s->be, s, avoid, out);
}

/* --- the "balance" keyword -------------------------------------------------------- */

/* Reads a strictly positive number (at most <max>) following option
 * <args[a]>. Returns 0, or -1 with a message in <err>.
 */
static int opt_number(char **args, int nargs, int a, uint64_t max, uint32_t *out, char **err)
{
	uint64_t v;

	if (a + 1 >= nargs || px_parse_uint(args[a + 1], max, &v) < 0 || !v) {
		px_strfmt(err, "'%s' expects a number from 1 to %llu", args[a],
		          (unsigned long long)max);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_uri_opts(char **args, int nargs, struct px_proxy *px, char **err)
{
	static const char *const opts[] = { "whole", "len", "depth", "path-only" };
	int a;

	for (a = 2; a < nargs; a++) {
		const char *near;

		if (!strcmp(args[a], "whole")) {
			px->lbprm.flags |= PX_LBF_URI_WHOLE;
			continue;
		}
		if (!strcmp(args[a], "path-only")) {
			px->lbprm.flags |= PX_LBF_URI_PATH_ONLY;
			continue;
		}
		if (!strcmp(args[a], "len") || !strcmp(args[a], "depth")) {
			if (opt_number(args, nargs, a, 1000000, args[a][0] == 'l' ?
			               &px->lbprm.uri_len : &px->lbprm.uri_depth, err) < 0)
				return -1;
			a++;
			continue;
		}
		near = px_closest(args[a], opts, PX_ARRAY_SIZE(opts));
		if (near)
			px_strfmt(err, "unknown option '%s' for 'uri' (did you mean '%s'?)",
			          args[a], near);
		else
			px_strfmt(err, "unknown option '%s' for 'uri' (expects whole, len N, "
			          "depth N or path-only)", args[a]);
		return -1;
	}
	return 0;
}

/* hdr(NAME) [use_domain_only] */
static int parse_hdr(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	const char *name = args[1] + 4;
	size_t len = strlen(name), i;

	if (len < 2 || name[len - 1] != ')') {
		px_strfmt(err, "'hdr' expects a header name in parentheses: hdr(NAME)");
		return -1;
	}
	for (i = 0; i < len - 1; i++)
		if (name[i] <= ' ' || name[i] >= 127 || strchr("()<>@,;:\\\"/[]?={}", name[i])) {
			px_strfmt(err, "invalid header name '%.*s' in 'hdr()'", (int)(len - 1), name);
			return -1;
		}
	ctx->px->lb_hdr = px_gen_alloc(ctx->gen, len);
	if (!ctx->px->lb_hdr) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	memcpy(ctx->px->lb_hdr, name, len - 1);
	if (nargs == 3 && !strcmp(args[2], "use_domain_only")) {
		ctx->px->lbprm.flags |= PX_LBF_HDR_DOMAIN;
	} else if (nargs > 2) {
		px_strfmt(err, "unexpected '%s' after 'hdr(%s)' (only 'use_domain_only' may "
		          "follow)", args[2], ctx->px->lb_hdr);
		return -1;
	}
	ctx->px->lb = PX_LB_HDR;
	return 0;
}

/* random or random(DRAWS) */
static int parse_random(char **args, int nargs, struct px_proxy *px, char **err)
{
	uint64_t v = 2;

	if (args[1][6] == '(') {
		size_t len = strlen(args[1]);
		char num[16];

		if (len < 9 || args[1][len - 1] != ')' || len - 8 > sizeof(num) - 1) {
			px_strfmt(err, "'random' expects a number of draws in parentheses: "
			          "random(N)");
			return -1;
		}
		memcpy(num, args[1] + 7, len - 8);
		num[len - 8] = 0;
		if (px_parse_uint(num, 100, &v) < 0 || !v) {
			px_strfmt(err, "invalid number of draws '%s' in 'random()' (1 to 100)", num);
			return -1;
		}
	} else if (args[1][6]) {
		return 1;
	}
	if (nargs > 2) {
		px_strfmt(err, "unexpected '%s' after '%s'", args[2], args[1]);
		return -1;
	}
	px->lbprm.draws = (uint32_t)v;
	px->lb = PX_LB_RANDOM;
	return 0;
}

static int kw_balance(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	static const char *const algos[] = {
		[PX_LB_RR] = "roundrobin", [PX_LB_LC] = "leastconn",
		[PX_LB_SRC] = "source", [PX_LB_FIRST] = "first",
		[PX_LB_STATIC_RR] = "static-rr", [PX_LB_URI] = "uri",
		[PX_LB_HDR] = "hdr(NAME)", [PX_LB_RANDOM] = "random",
	};
	struct px_proxy *px = ctx->px;
	const char *near;
	size_t i;

	if (nargs < 2) {
		px_strfmt(err, "expects an algorithm (roundrobin, static-rr, leastconn, first, "
		          "source, uri, hdr(NAME), random)");
		return -1;
	}
	/* Each "balance" line replaces the previous one, options included. */
	memset(&px->lbprm, 0, sizeof(px->lbprm));
	px->lb_hdr = NULL;
	if (!strncmp(args[1], "hdr(", 4))
		return parse_hdr(args, nargs, ctx, err);
	if (!strcmp(args[1], "hdr")) {
		px_strfmt(err, "'hdr' expects a header name in parentheses: hdr(NAME)");
		return -1;
	}
	if (!strncmp(args[1], "random", 6)) {
		int r = parse_random(args, nargs, px, err);

		if (r <= 0)
			return r;
	}
	for (i = 0; i < PX_ARRAY_SIZE(algos); i++) {
		if (strcmp(args[1], algos[i]))
			continue;
		if (i == PX_LB_URI) {
			if (parse_uri_opts(args, nargs, px, err) < 0)
				return -1;
		} else if (nargs > 2) {
			px_strfmt(err, "'%s' takes no option ('%s' is unexpected)", args[1],
			          args[2]);
			return -1;
		}
		px->lb = i;
		return 0;
	}
	near = px_closest(args[1], algos, PX_ARRAY_SIZE(algos));
	px_strfmt(err, "unknown algorithm '%s'%s%s%s", args[1],
	          near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
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
