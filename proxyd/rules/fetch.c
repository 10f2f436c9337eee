/* Sample fetches of the HTTP layer and the connection: headers, request
 * line parts, status, cookies, addresses, proxy and server names,
 * variables, captures and constants.
 */
#include <string.h>
#include <strings.h>
#include "backend/server.h"
#include "cfg/cfg.h"
#include "cfg/proxy-t.h"
#include "core/util.h"
#include "proto/hmsg.h"
#include "proto/sess-t.h"
#include "proto/stream-t.h"
#include "rules/sample.h"
#include "rules/vars.h"

static void set_str(struct px_smp *smp, const char *p, uint32_t len)
{
	smp->type = PX_SMP_STR;
	smp->flags = PX_SMPF_CONST;
	smp->u.str.p = (char *)p;
	smp->u.str.len = len;
}

static void set_sint(struct px_smp *smp, int64_t v)
{
	smp->type = PX_SMP_SINT;
	smp->flags = 0;
	smp->u.sint = v;
}

/* --- header values ------------------------------------------------------ */

/* Steps to the next value of header <name> after the cursor (<idx>,
 * <pos>): whole field values, or comma-separated elements when <split>
 * (commas inside double quotes do not split). Returns 1 with the value
 * trimmed of blanks, 0 at the end.
 */
static int hdr_next(const struct px_hmsg *hm, const char *name, size_t nl, uint32_t h,
                    int split, int *idx, uint32_t *pos, const char **v, uint32_t *vl)
{
	for (;;) {
		const struct px_hfield *f;
		const char *p, *end, *s;
		int q = 0;

		if (*idx < 0 || *pos == UINT32_MAX) {
			if (nl) {
				*idx = px_hmsg_find_h(hm, name, nl, h, *idx + 1);
			} else {
				/* No name ("req.hdr()"): every field in turn. */
				int i = *idx + 1;

				while (i < (int)hm->nhdr && !hm->hdr[i].nl)
					i++;
				*idx = i < (int)hm->nhdr ? i : -1;
			}
			if (*idx < 0)
				return 0;
			*pos = 0;
		}
		f = &hm->hdr[*idx];
		if (!split) {
			*v = f->v;
			*vl = f->vl;
			*pos = UINT32_MAX;
			return 1;
		}
		p = f->v + *pos;
		end = f->v + f->vl;
		if (p > end) {
			*pos = UINT32_MAX;
			continue;
		}
		/* Most values hold no quoted string: find the comma directly. */
		if (!memchr(p, '"', end - p)) {
			s = memchr(p, ',', end - p);
			if (!s)
				s = end;
		} else {
			for (s = p; s < end && (q || *s != ','); s++)
				if (*s == '"')
					q = !q;
		}
		*pos = s < end ? (uint32_t)(s + 1 - f->v) : UINT32_MAX;
		while (p < s && (*p == ' ' || *p == '\t'))
			p++;
		while (s > p && (s[-1] == ' ' || s[-1] == '\t'))
			s--;
		*v = p;
		*vl = (uint32_t)(s - p);
		if (f->vl == 0 && *pos == UINT32_MAX)
			return 1;   /* an empty field is one empty value */
		return 1;
	}
}

static uint32_t hdr_count(const struct px_hmsg *hm, const char *name, size_t nl, uint32_t h,
                          int split)
{
	int idx = -1;
	uint32_t pos = UINT32_MAX, n = 0, vl;
	const char *v;

	while (hdr_next(hm, name, nl, h, split, &idx, &pos, &v, &vl))
		n++;
	return n;
}

/* Occurrence <occ> (from 1, or from the end when negative; 0 = last) of
 * header <name>; in ACL matching without <occ>, each in turn.
 */
static int hdr_fetch(struct px_hmsg *hm, const struct px_arg *args, int split,
                     struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const char *name, *v;
	uint32_t nl, vl, pos = UINT32_MAX, h;
	int64_t occ = args[1].type == PX_ARG_SINT ? args[1].u.sint : 0;
	int idx = -1, found = 0;

	if (!hm)
		return 0;
	name = args[0].u.str.p;
	nl = args[0].u.str.len;
	h = args[0].u.str.h;
	if (ctx->multi && args[1].type != PX_ARG_SINT) {
		if (ctx->it_idx >= 0 || ctx->it_pos != UINT32_MAX) {
			idx = ctx->it_idx;
			pos = ctx->it_pos;
		}
		if (!hdr_next(hm, name, nl, h, split, &idx, &pos, &v, &vl))
			return 0;
		ctx->it_idx = idx;
		ctx->it_pos = pos;
		/* Ask again: the next call returns the next value or nothing. */
		ctx->more = 1;
		set_str(smp, v, vl);
		return 1;
	}
	if (occ <= 0) {
		uint32_t total = hdr_count(hm, name, nl, h, split);

		if (-occ > (int64_t)total || !total)
			return 0;
		occ = occ == 0 ? total : (int64_t)total + occ + 1;
	}
	while (hdr_next(hm, name, nl, h, split, &idx, &pos, &v, &vl))
		if (++found == occ) {
			set_str(smp, v, vl);
			return 1;
		}
	return 0;
}

static struct px_hmsg *phase_msg(struct px_smp_ctx *ctx)
{
	return ctx->phase == PX_USE_RES ? ctx->res : ctx->req;
}

static int f_req_hdr(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return hdr_fetch(ctx->req, a, 1, smp, ctx);
}

static int f_req_fhdr(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return hdr_fetch(ctx->req, a, 0, smp, ctx);
}

static int f_res_hdr(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return hdr_fetch(ctx->res, a, 1, smp, ctx);
}

static int f_res_fhdr(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return hdr_fetch(ctx->res, a, 0, smp, ctx);
}

static int f_hdr(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return hdr_fetch(phase_msg(ctx), a, 1, smp, ctx);
}

static int cnt(struct px_hmsg *hm, const struct px_arg *a, int split, struct px_smp *smp)
{
	if (!hm)
		return 0;
	if (a[0].type == PX_ARG_STR)
		set_sint(smp, hdr_count(hm, a[0].u.str.p, a[0].u.str.len, a[0].u.str.h, split));
	else {
		/* Every value of every field (split at commas for hdr_cnt). */
		uint32_t i, n = 0;

		for (i = 0; i < hm->nhdr; i++) {
			const struct px_hfield *f = &hm->hdr[i];
			uint32_t k;
			int q = 0;

			if (!f->nl)
				continue;
			n++;
			for (k = 0; split && k < f->vl; k++) {
				if (f->v[k] == '"')
					q = !q;
				else if (f->v[k] == ',' && !q)
					n++;
			}
		}
		set_sint(smp, n);
	}
	return 1;
}

static int f_req_hdr_cnt(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return cnt(ctx->req, a, 1, smp);
}

static int f_req_fhdr_cnt(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return cnt(ctx->req, a, 0, smp);
}

static int f_res_hdr_cnt(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return cnt(ctx->res, a, 1, smp);
}

static int f_res_fhdr_cnt(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return cnt(ctx->res, a, 0, smp);
}

static int f_hdr_cnt(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return cnt(phase_msg(ctx), a, 1, smp);
}

/* --- request line -------------------------------------------------------- */

static int f_path(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const char *p;
	uint32_t len;

	if (!ctx->req)
		return 0;
	px_hmsg_path(ctx->req, &p, &len);
	set_str(smp, p, len);
	return 1;
}

static int f_pathq(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const char *p, *end;
	uint32_t len;

	if (!ctx->req)
		return 0;
	px_hmsg_path(ctx->req, &p, &len);
	end = ctx->req->sl[PX_SL_URI] + ctx->req->sll[PX_SL_URI];
	set_str(smp, p, (uint32_t)(end - p));
	return 1;
}

static int f_query(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const char *p;
	uint32_t len;

	if (!ctx->req || !px_hmsg_query(ctx->req, &p, &len))
		return 0;
	set_str(smp, p, len);
	return 1;
}

static int f_url(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	if (!ctx->req)
		return 0;
	set_str(smp, ctx->req->sl[PX_SL_URI], ctx->req->sll[PX_SL_URI]);
	return 1;
}

/* Host header followed by the path ("base" in HAProxy). */
static int f_base(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	struct px_hmsg *hm = ctx->req;
	const char *path;
	uint32_t plen, sz, n = 0;
	char *t;
	int i;

	if (!hm)
		return 0;
	px_hmsg_path(hm, &path, &plen);
	i = px_hmsg_find(hm, "host", 4, -1);
	if (i < 0) {
		set_str(smp, path, plen);
		return 1;
	}
	t = px_trash(&sz);
	if (hm->hdr[i].vl + plen > sz)
		return 0;
	memcpy(t, hm->hdr[i].v, hm->hdr[i].vl);
	n = hm->hdr[i].vl;
	memcpy(t + n, path, plen);
	smp->type = PX_SMP_STR;
	smp->flags = 0;
	smp->u.str.p = t;
	smp->u.str.len = n + plen;
	return 1;
}

/* The method from the request line kept for the log. */
static int f_cap_method(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	if (ctx->s && ctx->s->rline_len) {
		const char *sp = memchr(ctx->s->rline, ' ', ctx->s->rline_len);

		set_str(smp, ctx->s->rline, sp ? (uint32_t)(sp - ctx->s->rline) : ctx->s->rline_len);
		return 1;
	}
	return 0;
}

/* The method: of the request being analysed, else (response rules) of
 * the request line kept for the log, as HAProxy keeps it per transaction.
 */
static int f_method(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	if (ctx->req) {
		set_str(smp, ctx->req->sl[PX_SL_METH], ctx->req->sll[PX_SL_METH]);
		return 1;
	}
	return f_cap_method(a, smp, ctx);
}

static int f_req_ver(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const char *v;
	uint32_t len;

	if (!ctx->req)
		return 0;
	v = ctx->req->sl[PX_SL_VER];
	len = ctx->req->sll[PX_SL_VER];
	if (len > 5 && !memcmp(v, "HTTP/", 5)) {
		v += 5;
		len -= 5;
	}
	set_str(smp, v, len);
	return 1;
}

static int f_res_ver(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	if (!ctx->res)
		return 0;
	set_str(smp, ctx->res->sl[PX_SL_RVER] + 5, 3);
	return 1;
}

static int f_status(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	if (ctx->res) {
		set_sint(smp, ctx->res->status);
		return 1;
	}
	if (ctx->s && ctx->s->status) {
		set_sint(smp, ctx->s->status);
		return 1;
	}
	return 0;
}

/* Value of parameter <name> in the query string. */
static int f_url_param(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const char *q, *end, *p;
	uint32_t len;
	char delim = a[1].type == PX_ARG_STR && a[1].u.str.len ? a[1].u.str.p[0] : '&';

	if (!ctx->req || !px_hmsg_query(ctx->req, &q, &len))
		return 0;
	end = q + len;
	for (p = q; p < end; ) {
		const char *e = memchr(p, delim, end - p), *eq;

		if (!e)
			e = end;
		eq = memchr(p, '=', e - p);
		if (a[0].type == PX_ARG_STR) {
			uint32_t nl = (uint32_t)((eq ? eq : e) - p);

			if (nl == a[0].u.str.len && !memcmp(p, a[0].u.str.p, nl)) {
				if (eq)
					set_str(smp, eq + 1, (uint32_t)(e - eq - 1));
				else
					set_str(smp, e, 0);
				return 1;
			}
		} else if (eq) {
			set_str(smp, eq + 1, (uint32_t)(e - eq - 1));
			return 1;
		}
		p = e + 1;
	}
	return 0;
}

/* --- cookies ------------------------------------------------------------- */

/* Finds cookie <name> in a "Cookie:" value ("a=1; b=2"), starting at
 * <*pos>; returns 1 with its value and moves <*pos> past it.
 */
static int cookie_in(const char *v, uint32_t vl, const char *name, uint32_t nl,
                     uint32_t *pos, const char **cv, uint32_t *cvl)
{
	const char *p = v + *pos, *end = v + vl;

	while (p < end) {
		const char *e = memchr(p, ';', end - p), *eq, *n;

		if (!e)
			e = end;
		n = p;
		while (n < e && (*n == ' ' || *n == '\t'))
			n++;
		eq = memchr(n, '=', e - n);
		*pos = (uint32_t)(e - v) + 1;
		if (eq) {
			const char *ne = eq;

			while (ne > n && (ne[-1] == ' ' || ne[-1] == '\t'))
				ne--;
			if ((uint32_t)(ne - n) == nl && !memcmp(n, name, nl)) {
				const char *vs = eq + 1, *ve = e;

				while (vs < ve && (*vs == ' ' || *vs == '\t'))
					vs++;
				while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'))
					ve--;
				*cv = vs;
				*cvl = (uint32_t)(ve - vs);
				return 1;
			}
		}
		p = e + 1;
	}
	return 0;
}

/* Every cookie <name> of the request (all Cookie lines) or of the
 * response (the first pair of each Set-Cookie line), in order.
 */
static int cookie_next(const struct px_hmsg *hm, int res, const char *name, uint32_t nl,
                       int *idx, uint32_t *pos, const char **cv, uint32_t *cvl)
{
	static uint32_t h_cookie, h_set_cookie;
	const char *hn = res ? "set-cookie" : "cookie";

	if (!h_cookie) {
		h_cookie = px_hmsg_name_hash("cookie", 6);
		h_set_cookie = px_hmsg_name_hash("set-cookie", 10);
	}
	for (;;) {
		const struct px_hfield *f;

		if (*idx < 0 || *pos == UINT32_MAX) {
			*idx = px_hmsg_find_h(hm, hn, res ? 10 : 6, res ? h_set_cookie : h_cookie,
			                      *idx + 1);
			if (*idx < 0)
				return 0;
			*pos = 0;
		}
		f = &hm->hdr[*idx];
		if (res) {
			uint32_t p = 0;
			const char *sc = memchr(f->v, ';', f->vl);

			*pos = UINT32_MAX;
			if (cookie_in(f->v, sc ? (uint32_t)(sc - f->v) : f->vl, name, nl, &p, cv, cvl))
				return 1;
			continue;
		}
		if (cookie_in(f->v, f->vl, name, nl, pos, cv, cvl))
			return 1;
		*pos = UINT32_MAX;
	}
}

static int cook_fetch(struct px_hmsg *hm, int res, const struct px_arg *a,
                      struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const char *v, *last = NULL;
	uint32_t vl, lastl = 0, pos = UINT32_MAX;
	int idx = -1;

	if (!hm)
		return 0;
	if (ctx->multi) {
		if (ctx->it_idx >= 0) {
			idx = ctx->it_idx;
			pos = ctx->it_pos;
		}
		if (!cookie_next(hm, res, a[0].u.str.p, a[0].u.str.len, &idx, &pos, &v, &vl))
			return 0;
		ctx->it_idx = idx;
		ctx->it_pos = pos;
		ctx->more = 1;
		set_str(smp, v, vl);
		return 1;
	}
	/* HAProxy returns the last occurrence outside of ACLs. */
	while (cookie_next(hm, res, a[0].u.str.p, a[0].u.str.len, &idx, &pos, &v, &vl)) {
		last = v;
		lastl = vl;
	}
	if (!last)
		return 0;
	set_str(smp, last, lastl);
	return 1;
}

static int f_req_cook(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return cook_fetch(ctx->req, 0, a, smp, ctx);
}

static int f_res_cook(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return cook_fetch(ctx->res, 1, a, smp, ctx);
}

static int f_req_cook_cnt(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const char *v;
	uint32_t vl, pos = UINT32_MAX;
	int idx = -1, n = 0;

	if (!ctx->req)
		return 0;
	while (cookie_next(ctx->req, 0, a[0].u.str.p, a[0].u.str.len, &idx, &pos, &v, &vl))
		n++;
	set_sint(smp, n);
	return 1;
}

/* --- connection and proxies --------------------------------------------------- */

static int addr_smp(const struct sockaddr *sa, struct px_smp *smp)
{
	if (sa->sa_family == AF_INET) {
		smp->type = PX_SMP_IPV4;
		smp->u.v4 = ((const struct sockaddr_in *)sa)->sin_addr;
		return 1;
	}
	if (sa->sa_family == AF_INET6) {
		smp->type = PX_SMP_IPV6;
		smp->u.v6 = ((const struct sockaddr_in6 *)sa)->sin6_addr;
		return 1;
	}
	return 0;
}

static int port_smp(const struct sockaddr *sa, struct px_smp *smp)
{
	if (sa->sa_family == AF_INET)
		set_sint(smp, ntohs(((const struct sockaddr_in *)sa)->sin_port));
	else if (sa->sa_family == AF_INET6)
		set_sint(smp, ntohs(((const struct sockaddr_in6 *)sa)->sin6_port));
	else
		return 0;
	return 1;
}

static int f_src(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return ctx->sess && addr_smp(&ctx->sess->src.sa, smp);
}

static int f_src_port(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return ctx->sess && port_smp(&ctx->sess->src.sa, smp);
}

static int local_addr(struct px_smp_ctx *ctx, union px_sockaddr *u)
{
	socklen_t len = sizeof(*u);

	return ctx->sess && getsockname(ctx->sess->cli.io.fd, &u->sa, &len) == 0;
}

static int f_dst(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	union px_sockaddr u;

	return local_addr(ctx, &u) && addr_smp(&u.sa, smp);
}

static int f_dst_port(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	union px_sockaddr u;

	return local_addr(ctx, &u) && port_smp(&u.sa, smp);
}

static int f_fe_name(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	if (!ctx->sess)
		return 0;
	set_str(smp, ctx->sess->fe->id, (uint32_t)strlen(ctx->sess->fe->id));
	return 1;
}

/* The backend; before one is chosen, the frontend stands for it, as in
 * HAProxy (and in %b).
 */
static int f_be_name(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const struct px_proxy *be = ctx->s && ctx->s->be ? ctx->s->be :
	                            ctx->sess ? ctx->sess->fe : NULL;

	if (!be)
		return 0;
	set_str(smp, be->id, (uint32_t)strlen(be->id));
	return 1;
}

static int f_srv_name(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	/* By the time of the log line the slot is given back: the server
	 * is then the last one tried, as %s shows it.
	 */
	const struct px_server *srv = ctx->s ? (ctx->s->srv ? ctx->s->srv : ctx->s->prev_srv) :
	                              NULL;

	if (!srv)
		return 0;
	set_str(smp, srv->id, (uint32_t)strlen(srv->id));
	return 1;
}

static int f_nbsrv(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const struct px_proxy *be = a[0].type == PX_ARG_BE ? a[0].u.px :
	                            ctx->s ? ctx->s->be : NULL;
	uint32_t i, n = 0;

	if (!be)
		return 0;
	for (i = 0; i < be->nsrv; i++)
		n += px_srv_usable(be->srv[i]);
	set_sint(smp, n);
	return 1;
}

/* --- variables, captures, constants -------------------------------------------- */

static int chk_var(struct px_arg *a, int n, struct px_cfg_ctx *ctx, char **err)
{
	int scope;
	const char *name = px_var_intern(a[0].u.str.p, a[0].u.str.len, &scope, err);

	if (!name)
		return -1;
	a[0].u.str.p = (char *)name;
	a[1].type = PX_ARG_SINT;
	a[1].u.sint = scope;
	return 0;
}

static int f_var(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return px_var_get(px_var_list((int)a[1].u.sint, ctx), a[0].u.str.p, smp);
}

static int capture_get(const struct px_stream *s, const struct px_capture *c,
                       struct px_smp *smp)
{
	const unsigned char *p;
	uint32_t len;

	if (!s || !s->caps)
		return 0;
	p = (const unsigned char *)s->caps + c->off;
	len = p[0] | (uint32_t)p[1] << 8;
	if (len == 0xffff)
		return 0;
	set_str(smp, (const char *)p + 2, len);
	return 1;
}

static int f_cap_req(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const struct px_proxy *fe = ctx->sess ? ctx->sess->fe : NULL;

	if (!fe || a[0].u.sint < 0 || (uint64_t)a[0].u.sint >= fe->nreq_caps)
		return 0;
	return capture_get(ctx->s, &fe->req_caps[a[0].u.sint], smp);
}

static int f_cap_res(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const struct px_proxy *fe = ctx->sess ? ctx->sess->fe : NULL;

	if (!fe || a[0].u.sint < 0 || (uint64_t)a[0].u.sint >= fe->nres_caps)
		return 0;
	return capture_get(ctx->s, &fe->res_caps[a[0].u.sint], smp);
}

/* The request line kept for the log: "capture.req.uri" and friends. */
static int f_cap_req_uri(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const char *r, *sp, *end;

	if (!ctx->s || !ctx->s->rline_len)
		return 0;
	r = ctx->s->rline;
	end = r + ctx->s->rline_len;
	sp = memchr(r, ' ', end - r);
	if (!sp)
		return 0;
	r = sp + 1;
	sp = memchr(r, ' ', end - r);
	set_str(smp, r, (uint32_t)((sp ? sp : end) - r));
	return 1;
}

static int f_unique_id(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	if (!ctx->s || !ctx->s->uid)
		return 0;
	set_str(smp, ctx->s->uid, (uint32_t)strlen(ctx->s->uid));
	return 1;
}

static int f_str(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	set_str(smp, a[0].u.str.p, a[0].u.str.len);
	return 1;
}

static int f_int(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	set_sint(smp, a[0].u.sint);
	return 1;
}

static int f_bool(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	smp->type = PX_SMP_BOOL;
	smp->u.sint = a[0].u.sint != 0;
	return 1;
}

static int f_true(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	smp->type = PX_SMP_BOOL;
	smp->u.sint = 1;
	return 1;
}

static int f_false(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	smp->type = PX_SMP_BOOL;
	smp->u.sint = 0;
	return 1;
}

#define REQ   PX_USE_REQ
#define RES   PX_USE_RES
#define ANY   PX_USE_ANY
#define S     PX_SMP_STR
#define I     PX_SMP_SINT

static const struct px_fetch_kw fetch_kws[] = {
	{ "req.hdr",       f_req_hdr,      "s?i", NULL, S, REQ },
	{ "req.fhdr",      f_req_fhdr,     "s?i", NULL, S, REQ },
	{ "req.hdr_cnt",   f_req_hdr_cnt,  "?s",  NULL, I, REQ },
	{ "req.fhdr_cnt",  f_req_fhdr_cnt, "?s",  NULL, I, REQ },
	{ "hdr",           f_hdr,          "s?i", NULL, S, REQ | RES },
	{ "hdr_cnt",       f_hdr_cnt,      "?s",  NULL, I, REQ | RES },
	{ "res.hdr",       f_res_hdr,      "s?i", NULL, S, RES },
	{ "res.fhdr",      f_res_fhdr,     "s?i", NULL, S, RES },
	{ "res.hdr_cnt",   f_res_hdr_cnt,  "?s",  NULL, I, RES },
	{ "res.fhdr_cnt",  f_res_fhdr_cnt, "?s",  NULL, I, RES },
	{ "shdr",          f_res_hdr,      "s?i", NULL, S, RES },
	{ "path",          f_path,         "",    NULL, S, REQ },
	{ "pathq",         f_pathq,        "",    NULL, S, REQ },
	{ "query",         f_query,        "",    NULL, S, REQ },
	{ "url",           f_url,          "",    NULL, S, REQ },
	{ "base",          f_base,         "",    NULL, S, REQ },
	{ "url_param",     f_url_param,    "?ss", NULL, S, REQ },
	{ "urlp",          f_url_param,    "?ss", NULL, S, REQ },
	{ "method",        f_method,       "",    NULL, S, ANY },
	{ "req.ver",       f_req_ver,      "",    NULL, S, REQ },
	{ "req_ver",       f_req_ver,      "",    NULL, S, REQ },
	{ "res.ver",       f_res_ver,      "",    NULL, S, RES },
	{ "status",        f_status,       "",    NULL, I, RES | PX_USE_LOG },
	{ "req.cook",      f_req_cook,     "s",   NULL, S, REQ },
	{ "cook",          f_req_cook,     "s",   NULL, S, REQ },
	{ "req.cook_cnt",  f_req_cook_cnt, "s",   NULL, I, REQ },
	{ "res.cook",      f_res_cook,     "s",   NULL, S, RES },
	{ "scook",         f_res_cook,     "s",   NULL, S, RES },
	{ "src",           f_src,          "",    NULL, PX_SMP_IPV4, ANY },
	{ "src_port",      f_src_port,     "",    NULL, I, ANY },
	{ "dst",           f_dst,          "",    NULL, PX_SMP_IPV4, ANY },
	{ "dst_port",      f_dst_port,     "",    NULL, I, ANY },
	{ "fe_name",       f_fe_name,      "",    NULL, S, ANY },
	{ "be_name",       f_be_name,      "",    NULL, S, ANY },
	{ "srv_name",      f_srv_name,     "",    NULL, S, RES | PX_USE_LOG },
	{ "nbsrv",         f_nbsrv,        "?b",  NULL, I, ANY },
	{ "var",           f_var,          "s",   chk_var, PX_SMP_ANY, ANY },
	{ "capture.req.hdr", f_cap_req,    "i",   NULL, S, ANY },
	{ "capture.res.hdr", f_cap_res,    "i",   NULL, S, ANY },
	{ "capture.req.uri", f_cap_req_uri, "",   NULL, S, ANY },
	{ "capture.req.method", f_cap_method, "", NULL, S, ANY },
	{ "unique-id",     f_unique_id,    "",    NULL, S, ANY },
	{ "str",           f_str,          "s",   NULL, S, ANY },
	{ "int",           f_int,          "i",   NULL, I, ANY },
	{ "bool",          f_bool,         "i",   NULL, PX_SMP_BOOL, ANY },
	{ "always_true",   f_true,         "",    NULL, PX_SMP_BOOL, ANY },
	{ "always_false",  f_false,        "",    NULL, PX_SMP_BOOL, ANY },
	{ 0 }
};

static struct px_fetch_kw_list fetch_list = { .kws = fetch_kws };

__attribute__((constructor)) static void fetch_register(void)
{
	px_smp_register_fetches(&fetch_list);
}
