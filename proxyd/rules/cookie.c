/* Cookie persistence: "cookie NAME insert|rewrite|prefix [indirect]
 * [nocache] [httponly] [secure] [domain D]... [maxidle T] [maxlife T]" in a
 * backend, with "cookie VALUE" on its servers. The request's cookie picks
 * the server; the response tells the client which server it got.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "backend/server.h"
#include "cfg/cfg.h"
#include "cfg/proxy-t.h"
#include "core/util.h"
#include "proto/hmsg.h"
#include "proto/stream-t.h"
#include "rules/rules.h"
#include "rules/sample.h"

enum ck_mode { CK_INSERT = 0, CK_REWRITE, CK_PREFIX };

struct px_cookie {
	char *name;
	uint32_t nlen;
	uint8_t mode;            /* enum ck_mode */
	uint8_t indirect, nocache, httponly, secure, postonly, preserve;
	char *domains;           /* "; domain=a; domain=b" ready to append */
	uint32_t maxidle;        /* seconds, 0 = none */
	uint32_t maxlife;
};

static int kw_cookie(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_cookie *ck;
	char dom[1024] = "";
	size_t dl = 0;
	int i, modes = 0;

	if (nargs < 2) {
		px_strfmt(err, "expects a cookie name and options (insert, rewrite, prefix, "
		          "indirect, nocache, httponly, secure, domain D, maxidle T, maxlife T)");
		return -1;
	}
	ck = px_gen_alloc(ctx->gen, sizeof(*ck));
	if (!ck) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	ck->name = px_gen_strdup(ctx->gen, args[1]);
	ck->nlen = (uint32_t)strlen(args[1]);
	ck->mode = CK_REWRITE;   /* HAProxy's default mode */
	for (i = 2; i < nargs; i++) {
		const char *o = args[i];

		if (!strcmp(o, "insert")) {
			ck->mode = CK_INSERT;
			modes++;
		} else if (!strcmp(o, "rewrite")) {
			ck->mode = CK_REWRITE;
			modes++;
		} else if (!strcmp(o, "prefix")) {
			ck->mode = CK_PREFIX;
			modes++;
		} else if (!strcmp(o, "indirect")) {
			ck->indirect = 1;
		} else if (!strcmp(o, "nocache")) {
			ck->nocache = 1;
		} else if (!strcmp(o, "httponly")) {
			ck->httponly = 1;
		} else if (!strcmp(o, "secure")) {
			ck->secure = 1;
		} else if (!strcmp(o, "postonly")) {
			ck->postonly = 1;
		} else if (!strcmp(o, "preserve")) {
			ck->preserve = 1;
		} else if (!strcmp(o, "domain") && i + 1 < nargs) {
			int n = snprintf(dom + dl, sizeof(dom) - dl, "; domain=%s", args[++i]);

			if (n < 0 || (size_t)n >= sizeof(dom) - dl ||
			    !px_rules_value_ok(args[i], strlen(args[i]))) {
				px_strfmt(err, "invalid or too many domains");
				return -1;
			}
			dl += (size_t)n;
		} else if ((!strcmp(o, "maxidle") || !strcmp(o, "maxlife")) && i + 1 < nargs) {
			uint64_t ms;

			if (px_parse_time(args[++i], &ms, err) < 0)
				return -1;
			/* Cookie dates count in seconds. */
			if (ms < 1000) {
				px_strfmt(err, "'%s' must be at least 1s ('%s' given)", o, args[i]);
				return -1;
			}
			if (o[3] == 'i')
				ck->maxidle = (uint32_t)(ms / 1000);
			else
				ck->maxlife = (uint32_t)(ms / 1000);
		} else {
			px_strfmt(err, "unknown cookie option '%s' (insert, rewrite, prefix, indirect, "
			          "nocache, postonly, preserve, httponly, secure, domain D, "
			          "maxidle T, maxlife T)", o);
			return -1;
		}
	}
	if (modes > 1) {
		px_strfmt(err, "only one of insert, rewrite and prefix");
		return -1;
	}
	if ((ck->maxidle || ck->maxlife) && ck->mode != CK_INSERT) {
		px_strfmt(err, "maxidle and maxlife need 'insert' mode");
		return -1;
	}
	if ((ck->nocache || ck->preserve) && ck->mode != CK_INSERT) {
		px_strfmt(err, "'%s' only applies to 'insert' mode",
		          ck->nocache ? "nocache" : "preserve");
		return -1;
	}
	ck->domains = px_gen_strdup(ctx->gen, dom);
	ctx->px->ck = ck;
	return 0;
}

/* Which server a cookie value names; <len> bytes of <v>. */
static struct px_server *find_server(struct px_proxy *be, const char *v, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < be->nsrv; i++) {
		struct px_server *s = be->srv[i];

		if (s->cookie && s->cookie_len == len && !memcmp(s->cookie, v, len))
			return s;
	}
	return NULL;
}

/* The name of the persistence cookie <ck> ("show stat" column "cookie"). */
const char *px_cookie_name(const struct px_cookie *ck)
{
	return ck->name;
}

/* Request side: finds the persistence cookie, chooses its server when
 * usable, and takes what the server must not see out of the Cookie
 * header. The outcome is kept in s->persist (server) and the stream's
 * PX_STF_CK_* flags.
 */
int px_cookie_request(struct px_stream *s, struct px_hmsg *hm)
{
	const struct px_cookie *ck = s->be->ck;
	int i = -1;
	time_t now = time(NULL);

	s->ck_req = 'N';
	s->ck_set = 'N';
	while ((i = px_hmsg_find(hm, "cookie", 6, i + 1)) >= 0) {
		const char *v = hm->hdr[i].v, *end = v + hm->hdr[i].vl, *p = v;
		uint32_t sz, o = 0;
		char *out = px_scratch(1, &sz);
		int changed = 0;

		while (p < end) {
			const char *e = memchr(p, ';', end - p), *n = p, *eq, *cv, *ce;

			if (!e)
				e = end;
			while (n < e && (*n == ' ' || *n == '\t'))
				n++;
			eq = memchr(n, '=', e - n);
			if (!eq || (uint32_t)(eq - n) != ck->nlen || memcmp(n, ck->name, ck->nlen)) {
				/* Another cookie: kept as it was. */
				if (o + (e - p) + 1 > sz)
					return -1;
				if (o)
					out[o++] = ';';
				memcpy(out + o, p, e - p);
				o += (uint32_t)(e - p);
				p = e + 1;
				continue;
			}
			cv = eq + 1;
			ce = e;
			while (ce > cv && (ce[-1] == ' ' || ce[-1] == '\t'))
				ce--;
			changed = 1;
			if (ck->mode == CK_PREFIX) {
				const char *tilde = memchr(cv, '~', ce - cv);
				struct px_server *srv = tilde ? find_server(s->be, cv, (uint32_t)(tilde - cv)) : NULL;

				if (srv && !s->persist) {
					s->persist = srv;
					s->flags |= PX_STF_CK_VALID;
					s->ck_req = 'V';
				} else if (!srv && s->ck_req == 'N') {
					s->ck_req = 'I';
				}
				/* The server gets its own value back, without our prefix. */
				if (o + (e - p) + 1 > sz)
					return -1;
				if (o)
					out[o++] = ';';
				memcpy(out + o, p, eq + 1 - p);
				o += (uint32_t)(eq + 1 - p);
				if (tilde) {
					memcpy(out + o, tilde + 1, e - tilde - 1);
					o += (uint32_t)(e - tilde - 1);
				} else {
					memcpy(out + o, cv, e - cv);
					o += (uint32_t)(e - cv);
				}
				p = e + 1;
				continue;
			}
			{
				const char *bar = memchr(cv, '|', ce - cv);
				uint32_t vl = (uint32_t)((bar ? bar : ce) - cv);
				struct px_server *srv = find_server(s->be, cv, vl);
				int expired = 0;   /* 'E' idle too long, 'O' too old */

				if (bar && (ck->maxidle || ck->maxlife)) {
					unsigned long long seen = 0, first = 0;

					sscanf(bar + 1, "%llx|%llx", &seen, &first);
					if (ck->maxlife && (!first || (uint64_t)now > first + ck->maxlife))
						expired = 'O';
					else if (ck->maxidle && (!seen || (uint64_t)now > seen + ck->maxidle))
						expired = 'E';
					if (!expired)
						s->ck_first = (uint32_t)first;
				}
				/* A value without dates (set before maxidle/maxlife
				 * were configured) is accepted, and gets dates in the
				 * response, as HAProxy does.
				 */
				if (srv && !expired && !s->persist) {
					s->persist = srv;
					s->flags |= PX_STF_CK_VALID;
					s->ck_req = 'V';
				} else if (s->ck_req == 'N') {
					s->ck_req = expired ? (char)expired : 'I';
				}
			}
			/* insert+indirect: the server never sees it. */
			if (ck->mode == CK_INSERT && ck->indirect) {
				p = e + 1;
				continue;
			}
			if (o + (e - p) + 1 > sz)
				return -1;
			if (o)
				out[o++] = ';';
			memcpy(out + o, p, e - p);
			o += (uint32_t)(e - p);
			p = e + 1;
		}
		if (!changed)
			continue;
		/* Leading blank left by a removed first cookie. */
		{
			uint32_t k = 0;

			while (k < o && (out[k] == ' ' || out[k] == ';'))
				k++;
			if (k == o)
				px_hmsg_del(hm, i);
			else if (px_hmsg_set_value(hm, i, out + k, o - k) < 0)
				return -1;
		}
	}
	if (s->persist && !px_srv_persist_ok(s->persist)) {
		/* A server down or in maintenance: balance as usual. */
		s->persist = NULL;
		s->flags &= ~PX_STF_CK_VALID;
		s->ck_req = 'D';
	}
	return 0;
}

/* Whether a shared cache could keep the response, as HAProxy judges it:
 * a status caches may store, freshness information (Cache-Control
 * max-age, s-maxage or public, Expires, Last-Modified), and nothing that
 * forbids it (private, no-cache, no-store).
 */
static int cacheable(const struct px_stream *s, const struct px_hmsg *hm)
{
	static const uint16_t codes[] = { 200, 203, 204, 206, 300, 301, 404, 405, 410,
	                                  414, 501 };
	int i = -1, fresh = 0;
	size_t k;

	if (s->flags & PX_STF_POST)
		return 0;
	for (k = 0; k < sizeof(codes) / sizeof(codes[0]) && codes[k] != hm->status; k++)
		;
	if (k == sizeof(codes) / sizeof(codes[0]))
		return 0;
	while ((i = px_hmsg_find(hm, "cache-control", 13, i + 1)) >= 0) {
		const char *v = hm->hdr[i].v;
		uint32_t vl = hm->hdr[i].vl;

		if (memmem(v, vl, "private", 7) || memmem(v, vl, "no-cache", 8) ||
		    memmem(v, vl, "no-store", 8))
			return 0;
		if (memmem(v, vl, "max-age", 7) || memmem(v, vl, "public", 6))
			fresh = 1;
	}
	return fresh || px_hmsg_find(hm, "expires", 7, -1) >= 0 ||
	       px_hmsg_find(hm, "last-modified", 13, -1) >= 0;
}

int px_cookie_response(struct px_stream *s, struct px_hmsg *hm)
{
	const struct px_cookie *ck = s->be->ck;
	const struct px_server *srv = s->srv;
	uint32_t sz;
	char *t;
	int i = -1, n;

	if (!srv || !srv->cookie)
		return 0;
	if (ck->mode == CK_INSERT) {
		time_t now = time(NULL);

		/* A valid cookie for this very server needs no new one, unless
		 * its idle date must move.
		 */
		if ((s->flags & PX_STF_CK_VALID) && s->persist == srv && !ck->maxidle)
			return 0;
		if (ck->postonly && !(s->flags & PX_STF_POST))
			return 0;
		/* A cookie of that name the server sets itself: with preserve
		 * it wins; without, ours replaces it (HAProxy's insert mode).
		 */
		{
			int k = -1;

			while ((k = px_hmsg_find(hm, "set-cookie", 10, k + 1)) >= 0)
				if (hm->hdr[k].vl > ck->nlen && hm->hdr[k].v[ck->nlen] == '=' &&
				    !memcmp(hm->hdr[k].v, ck->name, ck->nlen)) {
					if (ck->preserve) {
						s->ck_set = 'P';
						return 0;
					}
					px_hmsg_del(hm, k);
				}
		}
		t = px_scratch(1, &sz);
		n = snprintf(t, sz, "%s=%s", ck->name, srv->cookie);
		if (ck->maxidle || ck->maxlife)
			n += snprintf(t + n, sz - n, "|%llx|%llx", (unsigned long long)now,
			              (unsigned long long)((s->flags & PX_STF_CK_VALID) && s->ck_first ?
			                                   s->ck_first : (uint64_t)now));
		n += snprintf(t + n, sz - n, "; path=/%s%s%s", ck->domains,
		              ck->httponly ? "; HttpOnly" : "", ck->secure ? "; Secure" : "");
		if (n < 0 || (uint32_t)n >= sz || px_hmsg_add(hm, "Set-Cookie", 10, t, (size_t)n) < 0)
			return -1;
		s->ck_set = (s->flags & PX_STF_CK_VALID) && s->persist == srv ? 'U' : 'I';
		if (ck->nocache && cacheable(s, hm) &&
		    px_hmsg_add(hm, "Cache-control", 13, "private", 7) < 0)
			return -1;
		return 0;
	}
	/* rewrite and prefix act on the server's own Set-Cookie NAME=... */
	while ((i = px_hmsg_find(hm, "set-cookie", 10, i + 1)) >= 0) {
		const char *v = hm->hdr[i].v, *end = v + hm->hdr[i].vl, *eq, *ve;

		eq = memchr(v, '=', hm->hdr[i].vl);
		if (!eq || (uint32_t)(eq - v) != ck->nlen || memcmp(v, ck->name, ck->nlen))
			continue;
		ve = memchr(eq, ';', end - eq);
		if (!ve)
			ve = end;
		t = px_scratch(1, &sz);
		if (ck->mode == CK_REWRITE)
			n = snprintf(t, sz, "%s=%s%.*s", ck->name, srv->cookie, (int)(end - ve), ve);
		else
			n = snprintf(t, sz, "%s=%s~%.*s", ck->name, srv->cookie, (int)(end - eq - 1), eq + 1);
		if (n < 0 || (uint32_t)n >= sz || px_hmsg_set_value(hm, i, t, (size_t)n) < 0)
			return -1;
		s->ck_set = 'R';
	}
	return 0;
}

static const struct px_cfg_kw cookie_kws[] = {
	{ .name = "cookie", .sections = PX_SEC_BE, .parse = kw_cookie },
	{ 0 }
};

static struct px_cfg_kw_list cookie_kw_list = { .kws = cookie_kws };

__attribute__((constructor)) static void cookie_register(void)
{
	px_cfg_register(&cookie_kw_list);
}
