/* srvrec.c: what fake servers received.
 *
 * Owns: reading a fake server's record file (fakesrv's record.c writes
 * it: connections, their TLS handshakes, requests with their heads and
 * bodies) and the steps that check it: "expect-server" (counts, one
 * request's line, headers, head and body bytes, connection reuse, the
 * address the connection came from, the TLS
 * facts of a connection, TLS failures) and "wait-server". A record still
 * being written is ignored until it is whole, so polling is safe.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pxtest.h"
#include "tkh1.h"
#include "tkstr.h"

struct rec_req {
	uint64_t n, conn;
	const char *head;
	size_t head_len;
	const char *body;
	size_t stored;
	uint64_t body_size;
	int incomplete;
};

/* A connection, and the TLS handshake it had, if any. */
struct rec_conn {
	uint64_t id;
	char peer[80];
	int tls;                     /* 0: none, 1: completed, -1: failed */
	char protocol[16], cipher[64], sni[256], alpn[64], offered[256];
	int resumed;
	char client_dn[1024];
	char fail[512];              /* why it failed */
};

struct rec {
	struct tk_buf text;
	struct rec_req *reqs;
	int nreqs;
	struct rec_conn *conns;
	int nconns;
	int ntls, ntls_fail;         /* handshakes completed, failed */
	int reqs_cap, conns_cap;     /* allocated entries */
};

static void rec_free(struct rec *rc)
{
	tk_buf_free(&rc->text);
	free(rc->reqs);
	free(rc->conns);
	memset(rc, 0, sizeof(*rc));
}

/* Decodes a record word into dst: "-" is empty, \xHH escapes are bytes. */
static void rec_word(const char *w, char *dst, size_t size)
{
	struct tk_buf dec = { 0 };
	const char *err;

	dst[0] = '\0';
	if (!strcmp(w, "-") || tk_unescape(w, strlen(w), &dec, &err) < 0)
		return;
	snprintf(dst, size, "%s", tk_buf_str(&dec));
	tk_buf_free(&dec);
}

/* Reads a "tls" or "tls-fail" line (len bytes at line) of connection id. */
static void rec_tls_line(struct rec *rc, uint64_t id, const char *word, const char *line,
			 size_t len)
{
	char copy[2048], proto[16], cipher[128], resumed[8], sni[512], alpn[128], offered[512];
	struct rec_conn *c = NULL;
	const char *rest;
	int i;

	/* The line follows its connection's open line closely: look back. */
	for (i = rc->nconns - 1; i >= 0 && !c; i--)
		if (rc->conns[i].id == id)
			c = &rc->conns[i];
	if (!c || len >= sizeof(copy))
		return;
	memcpy(copy, line, len);
	copy[len] = '\0';
	rest = strstr(copy, word) + strlen(word);
	if (*rest == ' ')
		rest++;
	if (!strcmp(word, "tls-fail")) {
		c->tls = -1;
		snprintf(c->fail, sizeof(c->fail), "%s", rest);
		rc->ntls_fail++;
		return;
	}
	if (sscanf(rest, "protocol %15s cipher %127s resumed %7s sni %511s alpn %127s "
		   "alpn-offered %511s", proto, cipher, resumed, sni, alpn, offered) != 6)
		return;
	c->tls = 1;
	rec_word(proto, c->protocol, sizeof(c->protocol));
	rec_word(cipher, c->cipher, sizeof(c->cipher));
	c->resumed = !strcmp(resumed, "yes");
	rec_word(sni, c->sni, sizeof(c->sni));
	rec_word(alpn, c->alpn, sizeof(c->alpn));
	rec_word(offered, c->offered, sizeof(c->offered));
	rest = strstr(rest, " client-dn ");
	if (rest && strcmp(rest + 11, "-"))
		snprintf(c->client_dn, sizeof(c->client_dn), "%s", rest + 11);
	rc->ntls++;
}

/* Loads a record file (see fakesrv's record.c for the format). A record
 * still being written at the end is ignored. Returns 0 or -1.
 */
static int rec_load(const char *path, struct rec *rc)
{
	char block[65536];
	ssize_t r;
	size_t pos = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	memset(rc, 0, sizeof(*rc));
	if (fd < 0)
		return -1;
	while ((r = read(fd, block, sizeof(block))) > 0)
		tk_buf_add(&rc->text, block, (size_t)r);
	close(fd);
	while (pos < rc->text.len) {
		const char *line = rc->text.data + pos;
		const char *nl = memchr(line, '\n', rc->text.len - pos);
		unsigned long long a, b, h, bs, s;
		char word[16], peer[80], hdr[2304];
		size_t ll;
		int used = 0;

		if (!nl)
			break;
		/* sscanf() would measure the whole rest of the file each time. */
		ll = (size_t)(nl - line) < sizeof(hdr) ? (size_t)(nl - line) : sizeof(hdr) - 1;
		memcpy(hdr, line, ll);
		hdr[ll] = '\0';
		if (sscanf(hdr, "@@ conn %llu %15s %79s", &a, word, peer) >= 2 &&
		    !strncmp(hdr, "@@ conn ", 8)) {
			if (!strcmp(word, "open")) {
				struct rec_conn *nc = rc->conns;

				if (rc->nconns == rc->conns_cap) {
					rc->conns_cap = rc->conns_cap ? 2 * rc->conns_cap : 16;
					nc = realloc(rc->conns, sizeof(*nc) * (size_t)rc->conns_cap);
				}
				if (!nc)
					return -1;
				rc->conns = nc;
				memset(&nc[rc->nconns], 0, sizeof(*nc));
				nc[rc->nconns].id = a;
				snprintf(nc[rc->nconns].peer, sizeof(nc[0].peer), "%s", peer);
				rc->nconns++;
			} else if (!strcmp(word, "tls") || !strcmp(word, "tls-fail")) {
				rec_tls_line(rc, a, word, hdr, ll);
			}
			pos = (size_t)(nl - rc->text.data) + 1;
			continue;
		}
		if (sscanf(hdr, "@@ req %llu conn %llu head %llu body %llu stored %llu%n",
			   &a, &b, &h, &bs, &s, &used) == 5) {
			struct rec_req *nr = rc->reqs;
			size_t start = (size_t)(nl - rc->text.data) + 1;

			if (start + h + s + 1 > rc->text.len)
				break;
			if (rc->nreqs == rc->reqs_cap) {
				rc->reqs_cap = rc->reqs_cap ? 2 * rc->reqs_cap : 16;
				nr = realloc(rc->reqs, sizeof(*nr) * (size_t)rc->reqs_cap);
			}
			if (!nr)
				return -1;
			rc->reqs = nr;
			nr += rc->nreqs++;
			nr->n = a;
			nr->conn = b;
			nr->head = rc->text.data + start;
			nr->head_len = (size_t)h;
			nr->body = nr->head + h;
			nr->stored = (size_t)s;
			nr->body_size = bs;
			nr->incomplete = !strncmp(hdr + used, " incomplete", 11);
			pos = start + h + s + 1;
			continue;
		}
		return -1;   /* not a record: the file is not from fakesrv */
	}
	return 0;
}

static struct px_proc *find_server(struct px_ctx *ctx, const char *name)
{
	int i;

	for (i = 0; i < ctx->nservers; i++)
		if (!strcmp(ctx->servers[i].name, name))
			return &ctx->servers[i];
	px_fail(ctx, "no server '%s' was started", name);
	return NULL;
}

/* Lists the request lines a server received, for excerpts. */
static void detail_reqs(struct px_ctx *ctx, const char *name, const struct rec *rc)
{
	int i;

	px_detail(ctx, "requests received by %s:", name);
	for (i = 0; i < rc->nreqs; i++) {
		const struct rec_req *q = &rc->reqs[i];
		const char *eol = memchr(q->head, '\n', q->head_len);
		size_t ll = eol ? (size_t)(eol - q->head) : q->head_len;
		struct tk_buf b = { 0 };

		if (ll && q->head[ll - 1] == '\r')
			ll--;
		tk_escape(&b, q->head, ll, 200);
		px_detail(ctx, "  #%llu (conn %llu): %s, body %llu bytes%s", (unsigned long long)q->n,
			  (unsigned long long)q->conn, tk_buf_str(&b),
			  (unsigned long long)q->body_size, q->incomplete ? ", incomplete" : "");
		tk_buf_free(&b);
	}
	if (!rc->nreqs)
		px_detail(ctx, "  (none)");
}

static const struct rec_req *rec_find(const struct rec *rc, uint64_t n)
{
	const struct rec_req *best = NULL;
	int i;

	for (i = 0; i < rc->nreqs; i++) {
		if (n && rc->reqs[i].n == n)
			return &rc->reqs[i];
		if (!n && (!best || rc->reqs[i].n > best->n))
			best = &rc->reqs[i];
	}
	return best;
}

static const char *rec_peer(const struct rec *rc, uint64_t conn)
{
	int i;

	for (i = 0; i < rc->nconns; i++)
		if (rc->conns[i].id == conn)
			return rc->conns[i].peer;
	return "?";
}

/* Checks on one recorded request. */
static int srv_req_check(struct px_ctx *ctx, const char *sname, struct rec *rc,
			 const struct rec_req *q, const char *kw, const struct px_arg *a,
			 int nargs)
{
	struct tk_h1_msg m;
	char who[128];

	snprintf(who, sizeof(who), "server %s request #%llu", sname, (unsigned long long)q->n);
	if (!strcmp(kw, "line") && nargs == 1) {
		const char *eol = memchr(q->head, '\n', q->head_len);
		size_t ll = eol ? (size_t)(eol - q->head) : q->head_len;

		if (ll && q->head[ll - 1] == '\r')
			ll--;
		if (ll == a[0].len && !memcmp(q->head, a[0].s, ll))
			return 0;
		px_fail(ctx, "%s: request line differs", who);
		px_detail_bytes(ctx, "expected", a[0].s, a[0].len);
		px_detail_bytes(ctx, "got", q->head, ll);
		return -1;
	}
	if (!strcmp(kw, "head") && nargs == 1)
		return px_check_bytes(ctx, who, &a[0], q->head, q->head_len, q->head_len);
	if (!strcmp(kw, "body") && nargs == 1)
		return px_check_bytes(ctx, who, &a[0], q->body, q->stored, q->body_size);
	if (!strcmp(kw, "body-size") && nargs == 1) {
		uint64_t want;

		if (px_get_uint(ctx, &a[0], &want) < 0)
			return -1;
		if (q->body_size == want)
			return 0;
		return px_fail(ctx, "%s: body is %llu bytes, expected %llu", who,
			       (unsigned long long)q->body_size, (unsigned long long)want);
	}
	if ((!strcmp(kw, "complete") || !strcmp(kw, "incomplete")) && nargs == 0) {
		if (q->incomplete == (kw[0] == 'i'))
			return 0;
		return px_fail(ctx, "%s: is %s (body %llu bytes received)", who,
			       q->incomplete ? "incomplete" : "complete", (unsigned long long)q->body_size);
	}
	if ((!strcmp(kw, "peer-port-differs") || !strcmp(kw, "same-conn")) && nargs == 1) {
		const struct rec_req *o;
		uint64_t j;
		int same;

		if (a[0].s[0] != '#' || tk_parse_size(a[0].s + 1, &j) < 0 || !j)
			return px_fail(ctx, "expected #J, got '%s'", a[0].s);
		o = rec_find(rc, j);
		if (!o) {
			px_fail(ctx, "server %s has no request #%llu", sname, (unsigned long long)j);
			detail_reqs(ctx, sname, rc);
			return -1;
		}
		same = !strcmp(rec_peer(rc, q->conn), rec_peer(rc, o->conn));
		if (kw[0] == 'p' ? !same : (q->conn == o->conn))
			return 0;
		return px_fail(ctx, "%s came from %s (conn %llu), request #%llu from %s (conn %llu)",
			       who, rec_peer(rc, q->conn), (unsigned long long)q->conn,
			       (unsigned long long)j, rec_peer(rc, o->conn), (unsigned long long)o->conn);
	}
	if (!strcmp(kw, "peer-addr") && nargs == 1) {
		/* The record says "IP:PORT" or "[IPv6]:PORT". */
		const char *peer = rec_peer(rc, q->conn), *colon = strrchr(peer, ':');
		size_t len = colon ? (size_t)(colon - peer) : strlen(peer);

		if (len >= 2 && peer[0] == '[' && peer[len - 1] == ']') {
			peer++;
			len -= 2;
		}
		if (len == a[0].len && !memcmp(peer, a[0].s, len))
			return 0;
		return px_fail(ctx, "%s came from %s (conn %llu), expected address %s", who,
			       rec_peer(rc, q->conn), (unsigned long long)q->conn, a[0].s);
	}
	if (tk_h1_parse_req(q->head, q->head_len, &m) < 0) {
		px_fail(ctx, "%s: cannot parse its head", who);
		px_detail_bytes(ctx, "head", q->head, q->head_len);
		return -1;
	}
	if (!strcmp(kw, "header") && nargs == 1)
		return px_check_header(ctx, who, &m, 0, a);
	if (!strcmp(kw, "no-header") && nargs == 1)
		return px_check_header(ctx, who, &m, 1, a);
	if (!strcmp(kw, "header-count") && nargs == 2)
		return px_check_header(ctx, who, &m, 2, a);
	if (!strcmp(kw, "header-match") && nargs == 2)
		return px_check_header(ctx, who, &m, 3, a);
	return px_fail(ctx, "unknown or malformed check 'expect-server %s %s'", sname, kw);
}

/* Lists the TLS handshakes a server had, for excerpts. */
static void detail_tls(struct px_ctx *ctx, const char *name, const struct rec *rc)
{
	int i, any = 0;

	px_detail(ctx, "TLS handshakes of %s:", name);
	for (i = 0; i < rc->nconns; i++) {
		const struct rec_conn *c = &rc->conns[i];

		if (c->tls > 0)
			px_detail(ctx, "  conn %llu: %s, cipher %s, resumed %s, sni %s, alpn %s "
				  "(offered %s), client-dn %s", (unsigned long long)c->id, c->protocol,
				  c->cipher, c->resumed ? "yes" : "no", c->sni[0] ? c->sni : "none",
				  c->alpn[0] ? c->alpn : "none", c->offered[0] ? c->offered : "none",
				  c->client_dn[0] ? c->client_dn : "none");
		else if (c->tls < 0)
			px_detail(ctx, "  conn %llu: failed: %s", (unsigned long long)c->id, c->fail);
		any |= c->tls;
	}
	if (!any)
		px_detail(ctx, "  (none)");
}

/* The counts "expect-server NAME WHAT N" and "wait-server" know; -1 for
 * an unknown WHAT.
 */
static int rec_count(const struct rec *rc, const char *what)
{
	if (!strcmp(what, "requests"))
		return rc->nreqs;
	if (!strcmp(what, "connections"))
		return rc->nconns;
	if (!strcmp(what, "tls-handshakes"))
		return rc->ntls;
	if (!strcmp(what, "tls-failures"))
		return rc->ntls_fail;
	return -1;
}

/* "expect-server NAME [#K] tls FIELD VALUE": checks the TLS handshake of
 * request K's connection, or (no #K) of the last connection that
 * completed one. VALUE "none" matches an empty fact.
 */
static int srv_tls_check(struct px_ctx *ctx, const char *sname, const struct rec *rc,
			 uint64_t k, const struct px_arg *field, const struct px_arg *want)
{
	const struct rec_conn *c = NULL;
	const char *have, *f = field->s;
	char who[128];
	int i;

	if (k) {
		const struct rec_req *q = rec_find(rc, k);

		if (!q) {
			px_fail(ctx, "server %s has no request #%llu", sname, (unsigned long long)k);
			detail_reqs(ctx, sname, rc);
			return -1;
		}
		for (i = 0; i < rc->nconns; i++)
			if (rc->conns[i].id == q->conn)
				c = &rc->conns[i];
		snprintf(who, sizeof(who), "server %s request #%llu (conn %llu)", sname,
			 (unsigned long long)k, (unsigned long long)q->conn);
		if (!c || c->tls <= 0) {
			px_fail(ctx, "%s: the connection has no completed TLS handshake", who);
			detail_tls(ctx, sname, rc);
			return -1;
		}
	} else {
		for (i = 0; i < rc->nconns; i++)
			if (rc->conns[i].tls > 0)
				c = &rc->conns[i];
		if (!c) {
			px_fail(ctx, "server %s completed no TLS handshake", sname);
			detail_tls(ctx, sname, rc);
			return -1;
		}
		snprintf(who, sizeof(who), "server %s conn %llu", sname, (unsigned long long)c->id);
	}
	if (!strcmp(f, "protocol"))
		have = c->protocol;
	else if (!strcmp(f, "cipher"))
		have = c->cipher;
	else if (!strcmp(f, "resumed"))
		have = c->resumed ? "yes" : "no";
	else if (!strcmp(f, "sni"))
		have = c->sni;
	else if (!strcmp(f, "alpn"))
		have = c->alpn;
	else if (!strcmp(f, "alpn-offered"))
		have = c->offered;
	else if (!strcmp(f, "client-dn"))
		have = c->client_dn;
	else
		return px_fail(ctx, "unknown check 'expect-server %s tls %s' (protocol, cipher, "
			       "resumed, sni, alpn, alpn-offered, client-dn)", sname, f);
	if (!strcmp(have[0] ? have : "none", want->s))
		return 0;
	px_fail(ctx, "%s: tls %s is \"%s\", expected \"%s\"", who, f, have[0] ? have : "none",
		want->s);
	detail_tls(ctx, sname, rc);
	return -1;
}

/* "expect-server NAME tls-failure /REGEX/": some failed handshake's reason
 * matches.
 */
static int srv_tls_failure(struct px_ctx *ctx, const char *sname, const struct rec *rc,
			   const struct px_arg *re)
{
	int i, m;

	for (i = 0; i < rc->nconns; i++) {
		if (rc->conns[i].tls >= 0)
			continue;
		if (px_regex(ctx, re, rc->conns[i].fail, strlen(rc->conns[i].fail), &m) < 0)
			return -1;
		if (m)
			return 0;
	}
	px_fail(ctx, "server %s had no failed TLS handshake matching /%s/", sname, re->s);
	detail_tls(ctx, sname, rc);
	return -1;
}

static int step_expect_server(struct px_ctx *ctx, const struct px_step *st)
{
	const char *sname = st->argv[1].s, *kw;
	struct px_proc *srv = find_server(ctx, sname);
	struct rec rc;
	int at = 2, rv, got;
	uint64_t k = 0, want;
	const struct rec_req *q;

	if (!srv)
		return -1;
	if (rec_load(srv->rec_path, &rc) < 0) {
		rec_free(&rc);
		return px_fail(ctx, "cannot read %s's record file %s", sname, srv->rec_path);
	}
	if (st->argv[at].s[0] == '#') {
		if (tk_parse_size(st->argv[at].s + 1, &k) < 0 || !k) {
			rec_free(&rc);
			return px_fail(ctx, "expected #K (1-based request number), got '%s'", st->argv[at].s);
		}
		at++;
	}
	if (at >= st->argc) {
		rec_free(&rc);
		return px_fail(ctx, "expect-server needs a check");
	}
	kw = st->argv[at].s;
	got = rec_count(&rc, kw);
	if (!k && st->argc == at + 2 && got >= 0) {
		rv = px_get_uint(ctx, &st->argv[at + 1], &want);
		if (!rv && (uint64_t)got != want) {
			rv = px_fail(ctx, "server %s had %d %s, expected %llu", sname, got, kw,
				     (unsigned long long)want);
			if (!strncmp(kw, "tls", 3))
				detail_tls(ctx, sname, &rc);
			else
				detail_reqs(ctx, sname, &rc);
		}
		rec_free(&rc);
		return rv;
	}
	if (!k && st->argc == at + 2 && !strcmp(kw, "tls-failure")) {
		rv = srv_tls_failure(ctx, sname, &rc, &st->argv[at + 1]);
		rec_free(&rc);
		return rv;
	}
	if (st->argc == at + 3 && !strcmp(kw, "tls")) {
		rv = srv_tls_check(ctx, sname, &rc, k, &st->argv[at + 1], &st->argv[at + 2]);
		rec_free(&rc);
		return rv;
	}
	q = rec_find(&rc, k);
	if (!q) {
		if (k)
			px_fail(ctx, "server %s has no request #%llu", sname, (unsigned long long)k);
		else
			px_fail(ctx, "server %s received no request", sname);
		detail_reqs(ctx, sname, &rc);
		rec_free(&rc);
		return -1;
	}
	rv = srv_req_check(ctx, sname, &rc, q, kw, &st->argv[at + 1], st->argc - at - 1);
	rec_free(&rc);
	return rv;
}

static int step_wait_server(struct px_ctx *ctx, const struct px_step *st)
{
	const char *sname = st->argv[1].s, *what = st->argv[2].s;
	struct px_proc *srv = find_server(ctx, sname);
	uint64_t want;
	int64_t within, t0 = tk_now_us(), until;
	struct rec rc = { 0 };
	int got;

	if (!srv)
		return -1;
	if (rec_count(&rc, what) < 0)
		return px_fail(ctx, "usage: wait-server NAME requests|connections|tls-handshakes|"
			       "tls-failures N [within DUR]");
	if (px_get_uint(ctx, &st->argv[3], &want) < 0 ||
	    px_opt_within(ctx, st, 4, 5000000, &within) < 0)
		return -1;
	until = px_limit(ctx, t0 + within);
	for (;;) {
		rec_load(srv->rec_path, &rc);
		got = rec_count(&rc, what);
		if ((uint64_t)got >= want) {
			rec_free(&rc);
			px_trace(ctx, "server %s: %d %s after %s", sname, got, what,
				 px_when(ctx, t0, tk_now_us()));
			return 0;
		}
		if (tk_now_us() >= until) {
			px_fail(ctx, "server %s had %d %s within %s, waited for %llu", sname, got,
				what, px_when(ctx, 0, within), (unsigned long long)want);
			if (!strncmp(what, "tls", 3))
				detail_tls(ctx, sname, &rc);
			else
				detail_reqs(ctx, sname, &rc);
			rec_free(&rc);
			return -1;
		}
		rec_free(&rc);
		usleep(5000);
		px_poll_syslogs(ctx);
	}
}

const struct px_cmd px_cmds_server[] = {
	{ .name = "expect-server", .min_args = 2, .max_args = 5, .run = step_expect_server },
	{ .name = "wait-server", .min_args = 3, .max_args = 5, .run = step_wait_server },
	{ .name = NULL },
};
