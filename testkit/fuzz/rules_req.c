/* libFuzzer target: the rules engine (proxyd/rules/) on HTTP heads, the way
 * proto/http.c runs it, without a network.
 *
 * Once per process: the files of fuzz_files.h are written, then
 * bench/cfg/rules.cfg (its ${BENCH_*} ports set) and testkit/fuzz/rules-fuzz.cfg
 * are loaded as one generation (not in check mode), the buffer, stream and
 * head-view pools are sized from it as main.c does, and an event loop
 * object is made (never run: only its clock is read). The client
 * "socket" is a TCP socket bound to 127.0.0.1 and never connected, so
 * that dst/dst_port and %fi/%fp have an address to read.
 *
 * Input: byte 0 chooses the frontend (bits 0-1, among the HTTP frontends
 * of the configuration), the client address (bits 2-3), whether the
 * request body counts as received (bit 4) and the server of the response
 * (bits 5-7, rules_res); the rest is the request head, then for rules_res
 * the response head (when the request does not parse, a fixed request is
 * used and the whole rest is the response).
 *
 * Each input: a session (frontend, generation, loop, address) and a stream
 * from px_stream_new(); the request is parsed with px_h1_parse() in a heap
 * block of exactly its length; a request proto/http.c would refuse before
 * the rules (its req_analyze(): Host count and agreement with an absolute
 * target, framing headers, target forms) is skipped, as it would never
 * reach them. Then px_hmsg_load() and px_rules_request(); rules_res goes on
 * with px_rules_response() on the response when the request was routed to
 * a backend (the response filtered as res_analyze_build() does). The log
 * line of the frontend is rendered at the end.
 *
 * After px_rules_request() returns 0, what http.c's req_head() does next
 * is mirrored: no backend -> 503; sync_authority() (the target follows a
 * Host a rule set, or 400 when that Host cannot be an authority).
 *
 * Checks, after each rules pass (those tagged method, host, authority,
 * target only count their failures when RULES_FUZZ_KNOWN names them):
 * - the return value is -1, 0 or 1, and 1 exactly when a local response
 *   was set (s->local, PX_STF_LOCAL);
 * - on 0, the edited head is one that may be sent: every field's name is a
 *   non-empty token, no name or value and no start line part holds CR, LF
 *   or NUL (the issue: "a rewrite that would produce an invalid header ...
 *   is refused at run time, never sent"), method a token, target visible
 *   ASCII, version HTTP/d.d; a response's status equals its 3-digit code;
 *   and the head rebuilt as http.c writes it (start line, "Name: value"
 *   lines, CRLF) parses back with px_h1_parse() to exactly the same start
 *   line and fields (so no rule can smuggle a line in or split one). A
 *   value with another control byte (HTAB aside) is counted and skipped
 *   for the re-parse check unless FUZZ_STRICT_CTL=1 (the h1 parser refuses
 *   such bytes from peers; whether rules may emit them is not specified);
 * - on 1, the local response (redirect, return, deny page, errorfile,
 *   http-after-response applied) parses as a complete response head with
 *   at most one Content-Length, which equals the bytes after the head
 *   (HEAD requests aside), and no Transfer-Encoding;
 * - the view's arena use stays within its size; the log line fits.
 * Then the stream is freed (px_stream_free: variables, captures, dynamic
 * response buffer) and the session's variables; the backend's and
 * servers' counters must be back to where they were. LeakSanitizer sees
 * anything an iteration keeps.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include "backend/server-t.h"
#include "cfg/cfg.h"
#include "cfg/proxy-t.h"
#include "core/buf.h"
#include "core/list.h"
#include "core/log.h"
#include "proto/h1.h"
#include "proto/hmsg.h"
#include "proto/http.h"
#include "proto/sess-t.h"
#include "proto/sess.h"
#include "proto/stream.h"
#include "rules/fmt.h"
#include "rules/rules.h"
#include "rules/sample.h"
#include "rules/vars.h"
#include "fuzz.h"
#include "fuzz_files.h"

#ifndef FUZZ_ROOT
#define FUZZ_ROOT "."
#endif
#ifndef FUZZ_RES
#define FUZZ_RES 0
#endif

#define MAX_FE 8

static struct px_gen *gen;
static struct px_loop loop;
static int cli_fd = -1;
static struct px_proxy *fes[MAX_FE];
static int nfe;
static int strict_ctl;
static int dump;             /* RULES_FUZZ_DUMP=1: print what the rules made */
static unsigned long nctl;   /* heads left with a control byte in a value */
static const char *known;    /* RULES_FUZZ_KNOWN: findings to count, not stop on */
static unsigned long nknown; /* how many times a known finding was seen */

/* A check that stops the run unless its finding <tag> is listed in
 * RULES_FUZZ_KNOWN (comma-separated tags of FINDINGS.md), so that a
 * campaign can go on past a reported finding. Known failures are counted
 * (printed at exit).
 */
static int is_known(const char *tag)
{
	size_t n = strlen(tag);
	const char *p = known;

	while (p && *p) {
		if (!strncmp(p, tag, n) && (p[n] == ',' || !p[n]))
			return 1;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return 0;
}

#define CHECK_KNOWN(tag, cond, ...) do {                                      \
	if (!(cond)) {                                                        \
		if (is_known(tag)) {                                          \
			nknown++;                                             \
			break;                                                \
		}                                                             \
		fprintf(stderr, "[finding %s] ", tag);                        \
		CHECK(cond, __VA_ARGS__);                                     \
	}                                                                     \
} while (0)

static void print_known(void)
{
	if (known)
		fprintf(stderr, "rules fuzz: %lu failures of known findings (%s) counted, %lu "
		        "heads with control bytes\n", nknown, known, nctl);
}

static void report(void *arg, int is_warning, const char *msg)
{
	if (!is_warning || getenv("RULES_FUZZ_VERBOSE"))
		fprintf(stderr, "%s%s\n", is_warning ? "[warn] " : "[err] ", msg);
}

static void init(void)
{
	char *files[8] = {
		FUZZ_ROOT "/bench/cfg/rules.cfg",
		FUZZ_ROOT "/testkit/fuzz/rules-fuzz.cfg",
	};
	int nfiles = 2;
	static char *list;           /* kept: the file names point into it */
	char *tok;
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct px_list *e;

	fz_files_write();
	setenv("BENCH_PROXY_PORT", "18080", 1);
	setenv("BENCH_ORIGIN_PORT", "18081", 1);
	strict_ctl = getenv("FUZZ_STRICT_CTL") && atoi(getenv("FUZZ_STRICT_CTL"));
	dump = getenv("RULES_FUZZ_DUMP") && atoi(getenv("RULES_FUZZ_DUMP"));
	known = getenv("RULES_FUZZ_KNOWN");
	atexit(print_known);
	/* Refused rewrites are reported with px_warning(): quiet unless asked. */
	px_quiet = !getenv("RULES_FUZZ_VERBOSE");
	/* RULES_FUZZ_CFG=FILE[:FILE...] loads those instead (reproducers). */
	if (getenv("RULES_FUZZ_CFG") && *getenv("RULES_FUZZ_CFG")) {
		list = strdup(getenv("RULES_FUZZ_CFG"));
		CHECK(list != NULL, "out of memory");
		nfiles = 0;
		for (tok = strtok(list, ":"); tok && nfiles < 8; tok = strtok(NULL, ":"))
			files[nfiles++] = tok;
	}
	gen = px_cfg_load(files, nfiles, 0, report, NULL);
	CHECK(gen != NULL, "the configuration of the target does not load");
	CHECK(px_buf_setup(gen->global.bufsize, gen->global.maxrewrite) == 0, "px_buf_setup");
	CHECK(px_stream_setup(gen->global.maxhdr - 1, gen->global.logurilen) == 0,
	      "px_stream_setup");
	CHECK(px_http_setup(gen->global.bufsize, gen->global.maxhdr) == 0, "px_http_setup");
	px_gen_cur = gen;

	/* The loop is never run: its clock is fixed, its lists empty. */
	loop.epfd = -1;
	loop.now_ms = 5000000;
	loop.now_tv.tv_sec = 1700000000;
	loop.now_tv.tv_usec = 123456;
	px_list_init(&loop.tasks);
	px_sess_init(&loop);

	cli_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(cli_fd >= 0, "socket");
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(cli_fd, (struct sockaddr *)&a, sizeof(a)) == 0, "bind");

	px_list_for_each(e, &gen->proxies) {
		struct px_proxy *px = px_container_of(e, struct px_proxy, link);

		if ((px->cap & PX_CAP_FE) && !(px->cap & PX_CAP_DEF) &&
		    px->mode == PX_MODE_HTTP && nfe < MAX_FE)
			fes[nfe++] = px;
	}
	CHECK(nfe > 0, "no HTTP frontend");
}

/* --- what http.c does before the rules ------------------------------------ */

static int name_is(const char *base, const struct px_h1_hdr *h, const char *name)
{
	size_t n = strlen(name);

	return h->nl == n && !strncasecmp(base + h->n, name, n);
}

/* The request checks and flags of http.c's req_analyze() (commit
 * 26ce588): returns 0 when the request would reach the rules.
 */
static int req_analyze(struct px_stream *s, const char *base)
{
	struct px_h1_msg *m = &s->req;
	struct px_h1_te te = { 0 };
	const char *uri = base + m->uri, *host = NULL;
	uint32_t host_len = 0, i, nhost = 0;
	uint64_t clen = 0;
	int have_clen = 0, have_te = 0;

	if (m->meth_len == 4 && !memcmp(base + m->meth, "HEAD", 4))
		s->flags |= PX_STF_HEAD;
	if (m->meth_len == 7 && !memcmp(base + m->meth, "CONNECT", 7))
		s->flags |= PX_STF_CONNECT;
	if (m->meth_len == 4 && !memcmp(base + m->meth, "POST", 4))
		s->flags |= PX_STF_POST;
	for (i = 0; i < m->nhdr; i++) {
		const struct px_h1_hdr *h = &m->hdr[i];
		const char *v = base + h->v;

		if (name_is(base, h, "content-length")) {
			uint64_t n;

			if (px_h1_parse_clen(v, h->vl, &n) < 0 || (have_clen && n != clen))
				return -1;
			clen = n;
			have_clen = 1;
		} else if (name_is(base, h, "transfer-encoding")) {
			have_te = 1;
			px_h1_parse_te(v, h->vl, &te);
		} else if (name_is(base, h, "host")) {
			nhost++;
			host = v;
			host_len = h->vl;
		} else if (name_is(base, h, "connection")) {
			if (px_h1_token_in_list(v, h->vl, "close"))
				s->flags |= PX_STF_REQ_CLOSE;
			if (px_h1_token_in_list(v, h->vl, "keep-alive"))
				s->flags |= PX_STF_REQ_KA10;
			if (px_h1_token_in_list(v, h->vl, "upgrade"))
				s->flags |= PX_STF_UPGRADE;
		}
	}
	if (m->uri_len == 1 && uri[0] == '*') {
		if (m->meth_len != 7 || memcmp(base + m->meth, "OPTIONS", 7))
			return -1;
	} else if (s->flags & PX_STF_CONNECT) {
		const char *colon = memrchr(uri, ':', m->uri_len);
		uint32_t k;

		if (uri[0] == '/' || !colon || colon == uri || colon + 1 == uri + m->uri_len)
			return -1;
		for (k = (uint32_t)(colon + 1 - uri); k < m->uri_len; k++)
			if (uri[k] < '0' || uri[k] > '9')
				return -1;
	} else if (uri[0] != '/') {
		uint32_t k, start;

		for (k = 0; k < m->uri_len && uri[k] != ':' && uri[k] != '/'; k++)
			;
		if (k == 0 || k + 2 >= m->uri_len || uri[k] != ':' || uri[k + 1] != '/' ||
		    uri[k + 2] != '/')
			return -1;
		if (!px_strncaseeq(uri, k, "http") && !px_strncaseeq(uri, k, "https"))
			return -1;
		start = k + 3;
		for (k = start; k < m->uri_len && uri[k] != '/' && uri[k] != '?' && uri[k] != '#'; k++)
			;
		if (k == start || !host || k - start != host_len ||
		    strncasecmp(uri + start, host, host_len))
			return -1;
	}
	if (nhost > 1 || (m->vmin >= 1 && !nhost))
		return -1;
	if (have_te) {
		if (m->vmin == 0 || have_clen || te.invalid || te.nchunked > 1 || !te.nchunked ||
		    !te.last_chunked || te.nother)
			return -1;
	}
	if (m->vmin == 0 && !(s->flags & PX_STF_REQ_KA10))
		s->flags |= PX_STF_REQ_CLOSE;
	if (m->vmin >= 1)
		s->flags &= ~PX_STF_REQ_KA10;
	return 0;
}

/* The response checks of res_analyze_build() that come before the rules:
 * returns 0 when the response would reach them.
 */
static int res_analyze(struct px_stream *s, const char *base)
{
	struct px_h1_msg *m = &s->res;
	struct px_h1_te te = { 0 };
	uint64_t clen = 0;
	int have_clen = 0, have_te = 0, upgrade = 0;
	uint32_t i;

	for (i = 0; i < m->nhdr; i++) {
		const struct px_h1_hdr *h = &m->hdr[i];
		const char *v = base + h->v;

		if (name_is(base, h, "content-length")) {
			uint64_t n;

			if (px_h1_parse_clen(v, h->vl, &n) < 0 || (have_clen && n != clen))
				return -1;
			clen = n;
			have_clen = 1;
		} else if (name_is(base, h, "transfer-encoding")) {
			have_te = 1;
			px_h1_parse_te(v, h->vl, &te);
		}
	}
	if (m->status == 101) {
		if (!(s->flags & PX_STF_UPGRADE))
			return -1;
		upgrade = 1;
	}
	if (m->status < 200 && !upgrade)
		return -1;   /* interim: the rules do not run */
	if (!upgrade && !(s->flags & PX_STF_HEAD) && m->status != 204 && m->status != 304 &&
	    !((s->flags & PX_STF_CONNECT) && m->status < 300) && have_te && te.invalid)
		return -1;
	return 0;
}

/* What http.c's req_head() does to the view after the request rules
 * (sync_authority(), f69ac48 and 6efd3d1): when a rule changed a header of
 * an absolute-form request, the target's authority follows the last Host,
 * when that Host is a valid authority. Mirrored here so that the checks
 * see what is sent. Returns 0, -1 when out of room (http.c answers 500),
 * -2 when the Host value cannot be an authority (400).
 */
static int sync_authority(struct px_hmsg *hm)
{
	const char *u = hm->sl[PX_SL_URI], *c, *auth, *e, *host;
	uint32_t ulen = hm->sll[PX_SL_URI], alen, hlen, sz;
	int i = -1, last = -1;
	char *out;

	if (!(hm->flags & PX_HM_HDR_CHANGED) || !ulen || u[0] == '/')
		return 0;
	c = memchr(u, ':', ulen);
	if (!c || c == u || u + ulen - c < 3 || c[1] != '/' || c[2] != '/' ||
	    memchr(u, '/', (size_t)(c - u)) ||
	    (!px_strncaseeq(u, (size_t)(c - u), "http") &&
	     !px_strncaseeq(u, (size_t)(c - u), "https")))
		return 0;
	auth = c + 3;
	for (e = auth; e < u + ulen && *e != '/' && *e != '?' && *e != '#'; e++)
		;
	alen = (uint32_t)(e - auth);
	if (!alen)
		return 0;
	while ((i = px_hmsg_find(hm, "host", 4, i + 1)) >= 0)
		last = i;
	if (last < 0)
		return 0;
	host = hm->hdr[last].v;
	hlen = hm->hdr[last].vl;
	if (hlen == alen && !strncasecmp(host, auth, alen))
		return 0;
	if (!hlen)
		return -2;
	for (i = 0; i < (int)hlen; i++)
		if ((unsigned char)host[i] <= 0x20 || (unsigned char)host[i] >= 0x7f ||
		    strchr("/?#@\\", host[i]))
			return -2;
	out = px_scratch(2, &sz);
	if (ulen - alen + hlen > sz)
		return -1;
	memcpy(out, u, (size_t)(auth - u));
	memcpy(out + (auth - u), host, hlen);
	memcpy(out + (auth - u) + hlen, auth + alen, (size_t)(u + ulen - auth - alen));
	return px_hmsg_set_sl(hm, PX_SL_URI, out, ulen - alen + hlen);
}

/* --- checks ------------------------------------------------------------------ */

static int has_crlfnul(const char *p, size_t len)
{
	return memchr(p, '\r', len) || memchr(p, '\n', len) || memchr(p, 0, len);
}

static int has_ctl(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (((unsigned char)p[i] < 0x20 && p[i] != '\t') || (unsigned char)p[i] == 0x7f)
			return 1;
	return 0;
}

static void trim(const char **p, size_t *len)
{
	while (*len && ((*p)[0] == ' ' || (*p)[0] == '\t')) {
		(*p)++;
		(*len)--;
	}
	while (*len && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t'))
		(*len)--;
}

struct wb {
	char *p;
	size_t len, size;
};

static void wb_put(struct wb *w, const char *s, size_t n)
{
	if (w->len + n > w->size) {
		size_t ns = (w->len + n) * 2;

		w->p = realloc(w->p, ns);
		CHECK(w->p != NULL, "out of memory");
		w->size = ns;
	}
	if (n)
		memcpy(w->p + w->len, s, n);
	w->len += n;
}

/* The head as http.c's w_start_line() and w_field() write it. */
static void rebuild(const struct px_hmsg *hm, struct wb *w)
{
	uint32_t i;

	if (!(hm->flags & PX_HM_SL_CHANGED)) {
		wb_put(w, hm->line, hm->line_len);
	} else {
		wb_put(w, hm->sl[0], hm->sll[0]);
		wb_put(w, " ", 1);
		wb_put(w, hm->sl[1], hm->sll[1]);
		if (hm->is_req || hm->sll[2]) {
			wb_put(w, " ", 1);
			wb_put(w, hm->sl[2], hm->sll[2]);
		}
	}
	wb_put(w, "\r\n", 2);
	for (i = 0; i < hm->nhdr; i++) {
		if (!hm->hdr[i].nl)
			continue;
		wb_put(w, hm->hdr[i].n, hm->hdr[i].nl);
		wb_put(w, ": ", 2);
		wb_put(w, hm->hdr[i].v, hm->hdr[i].vl);
		wb_put(w, "\r\n", 2);
	}
	wb_put(w, "\r\n", 2);
}

static void check_head(const struct px_hmsg *hm, const char *what)
{
	struct px_h1_msg m;
	struct px_h1_hdr *hdrs;
	struct wb w = { 0 };
	char *copy;
	uint32_t i, live = 0, k;
	int r, ctl = 0;

	CHECK(hm->arena_used <= hm->arena_size, "%s: arena %u of %u bytes", what,
	      hm->arena_used, hm->arena_size);
	CHECK(hm->nhdr <= hm->maxhdr, "%s: %u fields of %u", what, hm->nhdr, hm->maxhdr);
	for (i = 0; i < 3; i++)
		CHECK(!has_crlfnul(hm->sl[i], hm->sll[i]),
		      "%s: start line part %u holds CR, LF or NUL: '%.*s'", what, i,
		      (int)hm->sll[i], hm->sl[i]);
	if (hm->is_req) {
		CHECK(hm->sll[PX_SL_METH] > 0, "%s: empty method", what);
		for (i = 0; i < hm->sll[PX_SL_METH]; i++)
			if (!px_h1_tchar[(unsigned char)hm->sl[PX_SL_METH][i]])
				break;
		CHECK_KNOWN("method", i == hm->sll[PX_SL_METH], "%s: method '%.*s' is not a token",
		            what, (int)hm->sll[PX_SL_METH], hm->sl[PX_SL_METH]);
		if (i < hm->sll[PX_SL_METH])
			return;   /* known: the head would not parse back */
		CHECK(hm->sll[PX_SL_URI] > 0, "%s: empty target", what);
		for (i = 0; i < hm->sll[PX_SL_URI]; i++) {
			unsigned char c = (unsigned char)hm->sl[PX_SL_URI][i];

			if (c <= 0x20 || c >= 0x7f)
				break;
		}
		CHECK_KNOWN("target", i == hm->sll[PX_SL_URI], "%s: target '%.*s' holds byte "
		            "0x%02x", what, (int)hm->sll[PX_SL_URI], hm->sl[PX_SL_URI],
		            (unsigned char)hm->sl[PX_SL_URI][i]);
		if (i < hm->sll[PX_SL_URI])
			return;   /* known: the head would not parse back */
		CHECK(hm->sll[PX_SL_VER] == 8 && !memcmp(hm->sl[PX_SL_VER], "HTTP/", 5) &&
		      hm->sl[PX_SL_VER][5] >= '0' && hm->sl[PX_SL_VER][5] <= '9' &&
		      hm->sl[PX_SL_VER][6] == '.' && hm->sl[PX_SL_VER][7] >= '0' &&
		      hm->sl[PX_SL_VER][7] <= '9', "%s: version '%.*s'", what,
		      (int)hm->sll[PX_SL_VER], hm->sl[PX_SL_VER]);
	} else {
		const char *c = hm->sl[PX_SL_CODE];

		CHECK(hm->sll[PX_SL_CODE] == 3 && c[0] >= '1' && c[0] <= '9' && c[1] >= '0' &&
		      c[1] <= '9' && c[2] >= '0' && c[2] <= '9', "%s: status code '%.*s'", what,
		      (int)hm->sll[PX_SL_CODE], c);
		if (hm->sll[PX_SL_CODE] == 3)
			CHECK(hm->status == (c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0'),
			      "%s: status %u but code '%.3s' in the status line", what, hm->status, c);
		CHECK(hm->sll[PX_SL_RVER] == 8 && !memcmp(hm->sl[PX_SL_RVER], "HTTP/", 5),
		      "%s: version '%.*s'", what, (int)hm->sll[PX_SL_RVER], hm->sl[PX_SL_RVER]);
	}
	if (has_ctl(hm->sl[PX_SL_REASON], hm->sll[PX_SL_REASON]) && !hm->is_req)
		ctl = 1;
	for (i = 0; i < hm->nhdr; i++) {
		const struct px_hfield *f = &hm->hdr[i];

		if (!f->nl)
			continue;
		live++;
		for (k = 0; k < f->nl; k++)
			CHECK(px_h1_tchar[(unsigned char)f->n[k]],
			      "%s: field %u name '%.*s' is not a token", what, i, (int)f->nl, f->n);
		CHECK(!has_crlfnul(f->v, f->vl), "%s: field '%.*s' value holds CR, LF or NUL: "
		      "'%.*s'", what, (int)f->nl, f->n, (int)f->vl, f->v);
		if (has_ctl(f->v, f->vl))
			ctl = 1;
	}
	if (hm->is_req) {
		/* An absolute-form target names the host: http.c refuses a
		 * request whose Host disagrees with it ("a server behind us
		 * reads Host: they must agree"), so the rules should not make
		 * one either (HAProxy updates the authority when Host is
		 * changed, and Host when the target is).
		 */
		const char *u = hm->sl[PX_SL_URI], *end = u + hm->sll[PX_SL_URI], *a, *ae;
		const char *c = memchr(u, ':', hm->sll[PX_SL_URI]);

		if (u[0] != '/' && c && end - c > 3 && c[1] == '/' && c[2] == '/' &&
		    (px_strncaseeq(u, (size_t)(c - u), "http") ||
		     px_strncaseeq(u, (size_t)(c - u), "https"))) {
			int nhost = 0, same = 0;
			const char *hv = "";
			size_t hvl = 0;

			a = c + 3;
			for (ae = a; ae < end && *ae != '/' && *ae != '?' && *ae != '#'; ae++)
				;
			for (i = 0; i < hm->nhdr; i++) {
				const struct px_hfield *f = &hm->hdr[i];
				const char *v = f->v;
				size_t vl = f->vl;

				if (f->nl != 4 || strncasecmp(f->n, "host", 4))
					continue;
				nhost++;
				trim(&v, &vl);
				same = vl == (size_t)(ae - a) && !strncasecmp(v, a, vl);
				hv = v;
				hvl = vl;
			}
			/* http.c refuses an absolute-form target without authority
			 * from a client (400): the rules should not make one.
			 */
			CHECK_KNOWN("authority", ae > a, "%s: target '%.*s' has an empty authority",
			            what, (int)hm->sll[PX_SL_URI], u);
			CHECK_KNOWN("host", ae == a || nhost != 1 || same, "%s: target '%.*s' but Host "
			            "'%.*s' (the rules made them disagree)", what,
			            (int)hm->sll[PX_SL_URI], u, (int)hvl, hv);
		}
	}
	if (ctl) {
		nctl++;
		if (!strict_ctl)
			return;
	}

	/* The rebuilt head must read back as the very same head. */
	rebuild(hm, &w);
	if (dump)
		fprintf(stderr, "--- %s after the rules:\n%.*s", what, (int)w.len, w.p);
	copy = malloc(w.len);
	hdrs = malloc((live + 1) * sizeof(*hdrs));
	CHECK(copy && hdrs, "out of memory");
	memcpy(copy, w.p, w.len);
	px_h1_msg_init(&m, hm->is_req, hdrs, (uint16_t)(live + 1));
	r = px_h1_parse(&m, copy, (uint32_t)w.len);
	CHECK(r == (int)w.len, "%s: the rebuilt head does not parse back (%d of %zu bytes, "
	      "%s at %u): %.*s", what, r, w.len, m.err_msg ? m.err_msg : "-", m.err_pos,
	      (int)w.len, w.p);
	CHECK(m.nhdr == live, "%s: %u fields rebuilt, %u read back: %.*s", what, live, m.nhdr,
	      (int)w.len, w.p);
	if (hm->is_req) {
		CHECK(m.meth_len == hm->sll[0] && !memcmp(copy + m.meth, hm->sl[0], m.meth_len) &&
		      m.uri_len == hm->sll[1] && !memcmp(copy + m.uri, hm->sl[1], m.uri_len),
		      "%s: request line read back differently: %.*s", what, (int)w.len, w.p);
	} else {
		CHECK(m.status == hm->status, "%s: status %u read back as %u", what, hm->status,
		      m.status);
	}
	for (i = 0, k = 0; i < hm->nhdr; i++) {
		const struct px_hfield *f = &hm->hdr[i];
		const char *v = f->v;
		size_t vl = f->vl;

		if (!f->nl)
			continue;
		trim(&v, &vl);
		CHECK(m.hdr[k].nl == f->nl && !memcmp(copy + m.hdr[k].n, f->n, f->nl) &&
		      m.hdr[k].vl == vl && !memcmp(copy + m.hdr[k].v, v, vl),
		      "%s: field %u '%.*s: %.*s' read back as '%.*s: %.*s'", what, k, (int)f->nl,
		      f->n, (int)vl, v, (int)m.hdr[k].nl, copy + m.hdr[k].n, (int)m.hdr[k].vl,
		      copy + m.hdr[k].v);
		k++;
	}
	free(hdrs);
	free(copy);
	free(w.p);
}

/* A response proxyd made (rule, error page or errorfile). */
static void check_local(const struct px_stream *s, const char *what)
{
	const struct px_errmsg *lm = s->local;
	struct px_h1_msg m;
	struct px_h1_hdr hdrs[128];
	char *copy;
	uint32_t i, ncl = 0;
	int r;

	CHECK(lm != NULL && (s->flags & PX_STF_LOCAL), "%s: rules said a local response was "
	      "set, none is (flags %#x)", what, s->flags);
	if (dump)
		fprintf(stderr, "--- %s, local response (status %u):\n%.*s\n", what, s->status,
		        (int)lm->len, lm->data ? lm->data : "");
	if (!lm->len)
		return;   /* an empty errorfile: close silently */
	CHECK(lm->data != NULL, "%s: local response without data", what);
	/* Control bytes (HTAB aside) in the head, from a value a rule took
	 * from the request: counted and left alone, as in check_head().
	 */
	{
		const char *eoh = memmem(lm->data, lm->len, "\r\n\r\n", 4);
		size_t hl = eoh ? (size_t)(eoh - lm->data) : lm->len, k;

		for (k = 0; k < hl; k++) {
			unsigned char c = (unsigned char)lm->data[k];

			if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
				break;
		}
		if (k < hl) {
			nctl++;
			if (!strict_ctl)
				return;
		}
	}
	copy = malloc(lm->len);
	CHECK(copy != NULL, "out of memory");
	memcpy(copy, lm->data, lm->len);
	px_h1_msg_init(&m, 0, hdrs, 128);
	r = px_h1_parse(&m, copy, lm->len);
	CHECK(r > 0, "%s: the local response is not a complete head (%d, %s at %u): %.*s", what,
	      r, m.err_msg ? m.err_msg : "-", m.err_pos, (int)lm->len, lm->data);
	for (i = 0; i < m.nhdr; i++) {
		const struct px_h1_hdr *h = &m.hdr[i];

		CHECK(!name_is(copy, h, "transfer-encoding"), "%s: local response with "
		      "Transfer-Encoding: %.*s", what, (int)lm->len, lm->data);
		if (name_is(copy, h, "content-length")) {
			uint64_t n = 0;

			ncl++;
			CHECK(px_h1_parse_clen(copy + h->v, h->vl, &n) == 0, "%s: bad Content-Length",
			      what);
			if (!(s->flags & PX_STF_HEAD))
				CHECK(n == lm->len - (uint32_t)r, "%s: Content-Length %llu, %u bytes of "
				      "body: %.*s", what, (unsigned long long)n, lm->len - (uint32_t)r,
				      (int)lm->len, lm->data);
		}
	}
	CHECK(ncl <= 1, "%s: %u Content-Length headers: %.*s", what, ncl, (int)lm->len, lm->data);
	free(copy);
}

/* --- one input ----------------------------------------------------------------- */

static const char default_req[] =
	"GET /api/v2/items/42?page=1&utm_source=x HTTP/1.1\r\n"
	"Host: www.example.com\r\nCookie: SRVID=a; lang=fr\r\n\r\n";

static void set_src(struct px_sess *sess, int which)
{
	static const char *const v4[] = { "127.0.0.1", "10.1.2.3", "192.0.2.7" };

	memset(&sess->src, 0, sizeof(sess->src));
	if (which < 3) {
		sess->src.in4.sin_family = AF_INET;
		sess->src.in4.sin_port = htons((uint16_t)(40000 + which));
		inet_pton(AF_INET, v4[which], &sess->src.in4.sin_addr);
	} else {
		sess->src.in6.sin6_family = AF_INET6;
		sess->src.in6.sin6_port = htons(443);
		inet_pton(AF_INET6, "2001:db8::1", &sess->src.in6.sin6_addr);
	}
}

struct counters {
	int beconn;
	uint32_t cur_sess[64];
};

static void save_counters(struct counters *c, const struct px_proxy *be)
{
	uint32_t i;

	c->beconn = (int)be->beconn;
	for (i = 0; i < be->nsrv && i < 64; i++)
		c->cur_sess[i] = be->srv[i]->cur_sess;
}

static void check_counters(const struct counters *c, const struct px_proxy *be)
{
	uint32_t i;

	CHECK((int)be->beconn == c->beconn, "backend %s: beconn %d before, %d after", be->id,
	      c->beconn, (int)be->beconn);
	for (i = 0; i < be->nsrv && i < 64; i++)
		CHECK(be->srv[i]->cur_sess == c->cur_sess[i], "server %s/%s: cur_sess %u before, "
		      "%u after", be->id, be->srv[i]->id, c->cur_sess[i], be->srv[i]->cur_sess);
}

static void run_response(struct px_stream *s, const uint8_t *data, size_t size, int srvsel)
{
	struct px_proxy *be = s->be;
	struct px_hmsg *hm;
	char *buf;
	int r;

	if (!size || size > 65536)
		return;
	buf = malloc(size);
	CHECK(buf != NULL, "out of memory");
	memcpy(buf, data, size);
	r = px_h1_parse(&s->res, buf, (uint32_t)size);
	if (r <= 0 || res_analyze(s, buf) < 0) {
		free(buf);
		return;
	}
	/* The server the stream was given a slot on, as stream.c does. */
	if (be->nsrv) {
		s->srv = be->srv[srvsel % be->nsrv];
		s->srv->cur_sess++;
		s->srv->cum_sess++;
		s->scs = PX_SC_READY;
	}
	s->t_res = loop.now_ms;
	s->status = s->res.status;
	hm = px_hmsg_res();
	px_hmsg_load(hm, buf, &s->res);
	r = px_rules_response(s, px_hmsg_req(), hm);
	CHECK(r >= -1 && r <= 1, "px_rules_response returned %d", r);
	if (r == 1) {
		check_local(s, "response rules");
	} else if (r == 0) {
		check_head(hm, "response");
	} else {
		/* http.c answers 500 (with http-after-response applied). */
		px_stream_local(s, 500, 'P', 'H');
		check_local(s, "500 after a failed response rule");
	}
	/* The view points into <buf>: done with it before it goes. */
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct px_sess sess;
	struct px_stream *s;
	struct px_proxy *fe, *be;
	struct counters cnt[MAX_FE * 2];
	struct px_proxy *cbe[MAX_FE * 2];
	int ncbe = 0, i, r;
	struct px_list *e;
	const uint8_t *req;
	size_t reqlen;
	char *buf;
	uint8_t ctl;

	if (!gen)
		init();
	if (size < 1 || size > 65536)
		return 0;
	ctl = data[0];
	data++;
	size--;

	/* Counters of every backend, to find them unchanged at the end. */
	px_list_for_each(e, &gen->proxies) {
		struct px_proxy *px = px_container_of(e, struct px_proxy, link);

		if ((px->cap & PX_CAP_BE) && !(px->cap & PX_CAP_DEF) && ncbe < MAX_FE * 2) {
			save_counters(&cnt[ncbe], px);
			cbe[ncbe++] = px;
		}
	}

	fe = fes[(ctl & 3) % nfe];
	memset(&sess, 0, sizeof(sess));
	px_list_init(&sess.link);
	sess.fe = fe;
	sess.gen = gen;
	sess.loop = &loop;
	sess.cli.io.fd = cli_fd;
	sess.accept_tv = loop.now_tv;
	sess.accept_ms = loop.now_ms;
	sess.id = 1;
	sess.nreq = 1;
	sess.state = PX_SESS_ACTIVE;
	set_src(&sess, (ctl >> 2) & 3);

	s = px_stream_new(&sess);
	CHECK(s != NULL, "px_stream_new");
	sess.strm = s;

	/* The request: the input's, or (rules_res) a fixed one when the
	 * input does not start with a complete request head.
	 */
	req = data;
	reqlen = size;
	buf = malloc(reqlen ? reqlen : 1);
	CHECK(buf != NULL, "out of memory");
	memcpy(buf, req, reqlen);
	r = px_h1_parse(&s->req, buf, (uint32_t)reqlen);
	if (FUZZ_RES && r <= 0) {
		free(buf);
		reqlen = sizeof(default_req) - 1;
		buf = malloc(reqlen);
		CHECK(buf != NULL, "out of memory");
		memcpy(buf, default_req, reqlen);
		px_h1_msg_init(&s->req, 1, s->hdrs, px_stream_maxhdr);
		r = px_h1_parse(&s->req, buf, (uint32_t)reqlen);
		CHECK(r > 0, "the fixed request does not parse");
	} else if (FUZZ_RES) {
		data += r;
		size -= (size_t)r;
	}
	if (r <= 0 || req_analyze(s, buf) < 0) {
		if (dump)
			fprintf(stderr, "--- request %s: not run\n", r <= 0 ? "incomplete or invalid" :
			        "refused by req_analyze");
		goto out;
	}

	s->t_hdr = loop.now_ms;
	s->rline_len = s->req.sl_len < px_stream_logurilen ? s->req.sl_len : px_stream_logurilen;
	memcpy(s->rline, buf + s->req.sol, s->rline_len);
	s->rq = (ctl & 0x10) ? PX_RQ_DONE : PX_RQ_BODY;
	if (ctl & 0x10)
		s->flags |= PX_STF_REQ_WHOLE;

	{
		struct px_hmsg *hm = px_hmsg_req();

		px_hmsg_load(hm, buf, &s->req);
		r = px_rules_request(s, hm);
		CHECK(r >= -1 && r <= 1, "px_rules_request returned %d", r);
		CHECK((r == 1) == !!(s->flags & PX_STF_LOCAL), "px_rules_request returned %d, "
		      "flags %#x", r, s->flags);
		if (r == 1) {
			check_local(s, "request rules");
		} else if (r == 0 && !s->be) {
			/* No backend: http.c answers 503. */
			px_stream_local(s, 503, 'S', 'C');
			check_local(s, "503 without a backend");
		} else if (r == 0 && (r = sync_authority(hm)) < 0) {
			px_stream_local(s, r == -2 ? 400 : 500, 'P', 'R');
			check_local(s, "400/500 after the target's authority could not follow Host");
		} else if (r == 0) {
			check_head(hm, "request");
			if (FUZZ_RES)
				run_response(s, data, size, ctl >> 5);
		} else {
			px_stream_local(s, 500, 'P', 'R');
			check_local(s, "500 after a failed request rule");
		}
	}

	if (fe->logfmt) {
		char line[8192];
		size_t n = px_logfmt_render(fe->logfmt, &sess, s, loop.now_ms + 7, line, sizeof(line));

		CHECK(n < sizeof(line), "log line of %zu bytes", n);
		if (dump)
			fprintf(stderr, "--- log: %.*s\n", (int)n, line);
	}

out:
	be = s->be;
	(void)be;
	px_stream_free(s);
	sess.strm = NULL;
	if (sess.vars)
		px_var_free_all(&sess.vars);
	free(buf);
	for (i = 0; i < ncbe; i++)
		check_counters(&cnt[i], cbe[i]);
	return 0;
}
