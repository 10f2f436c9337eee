/* The HTTP/1.x exchange of a stream: request head analysis (framing and
 * the strictness rules), the head rebuilt for the server, body framing
 * while bytes stream through, the response head and body the same way,
 * keep-alive decisions, and the end of the exchange. Bytes are parsed in
 * the receive buffer of the side they came from and sent from there: only
 * header blocks are rewritten (in place, using the buffer's reserve).
 * Choosing and connecting a server is stream.c's job; building the heads
 * is hhead.c's.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "admin/errcap.h"
#include "backend/lb.h"
#include "backend/server.h"
#include "backend/srvconn.h"
#include "cfg/cfg.h"
#include "cfg/proxy.h"
#include "core/buf.h"
#include "core/ev.h"
#include "core/net.h"
#include "core/util.h"
#include "proto/conn.h"
#include "proto/errors.h"
#include "proto/h1.h"
#include "proto/hmsg.h"
#include "proto/hhead.h"
#include "proto/http.h"
#include "proto/sess.h"
#include "proto/stream.h"
#include "ssl/sslsrv.h"
#include "rules/rules.h"
#include "script/hlua.h"
#include "rules/sample.h"
#include "rules/vars.h"

/* --- request head ------------------------------------------------------ */

static int is_idempotent(const char *m, uint32_t len)
{
	static const char *const meths[] = { "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE" };
	size_t i;

	for (i = 0; i < PX_ARRAY_SIZE(meths); i++)
		if (len == strlen(meths[i]) && !memcmp(m, meths[i], len))
			return 1;
	return 0;
}

/* Checks the request head semantics (HTTP-STRICTNESS.md rows 1-8, 22-28)
 * and fills framing and connection flags. Returns 0, or the status to
 * answer.
 */
static int req_analyze(struct px_stream *s, const char *base, uint64_t *clen)
{
	struct px_h1_msg *m = &s->req;
	struct px_h1_te te = { 0 };
	const char *uri = base + m->uri;
	const char *host = NULL;
	uint32_t host_len = 0, i, nhost = 0;
	int have_clen = 0, have_te = 0;

	if (m->meth_len == 4 && !memcmp(base + m->meth, "HEAD", 4))
		s->flags |= PX_STF_HEAD;
	if (m->meth_len == 7 && !memcmp(base + m->meth, "CONNECT", 7))
		s->flags |= PX_STF_CONNECT;

	for (i = 0; i < m->nhdr; i++) {
		const struct px_h1_hdr *h = &m->hdr[i];
		const char *v = base + h->v;
		enum hh_kind kind = hdr_kind(base, h);

		if (kind == HK_CONTENT_LENGTH) {
			uint64_t n;

			if (px_h1_parse_clen(v, h->vl, &n) < 0)
				return 400;
			if (have_clen && n != *clen)
				return 400;
			*clen = n;
			have_clen = 1;
		} else if (kind == HK_TRANSFER_ENCODING) {
			have_te = 1;
			px_h1_parse_te(v, h->vl, &te);
		} else if (kind == HK_HOST) {
			nhost++;
			host = v;
			host_len = h->vl;
		} else if (kind == HK_CONNECTION) {
			if (px_h1_token_in_list(v, h->vl, "close"))
				s->flags |= PX_STF_REQ_CLOSE;
			if (px_h1_token_in_list(v, h->vl, "keep-alive"))
				s->flags |= PX_STF_REQ_KA10;
			if (px_h1_token_in_list(v, h->vl, "upgrade"))
				s->flags |= PX_STF_UPGRADE;
		}
	}

	/* Request target forms (RFC 9112 3.2). */
	if (m->uri_len == 1 && uri[0] == '*') {
		if (m->meth_len != 7 || memcmp(base + m->meth, "OPTIONS", 7))
			return 400;
	} else if (s->flags & PX_STF_CONNECT) {
		const char *colon = memrchr(uri, ':', m->uri_len);
		uint32_t k;

		if (uri[0] == '/' || !colon || colon == uri || colon + 1 == uri + m->uri_len)
			return 400;
		for (k = colon + 1 - uri; k < m->uri_len; k++)
			if (uri[k] < '0' || uri[k] > '9')
				return 400;
	} else if (uri[0] != '/') {
		const char *auth;
		uint32_t alen;

		if (hh_uri_authority(uri, m->uri_len, &auth, &alen) < 0 || !alen)
			return 400;
		/* The authority wins over Host for a proxy, but a server
		 * behind us reads Host: they must agree.
		 */
		if (!host || alen != host_len || strncasecmp(auth, host, alen))
			return 400;
	}

	if (nhost > 1)
		return 400;
	if (m->vmin >= 1 && !nhost)
		return 400;

	if (have_te) {
		if (m->vmin == 0)
			return 400;
		if (have_clen)
			return 400;
		if (te.invalid || te.nchunked > 1 || !te.nchunked || !te.last_chunked)
			return 400;
		if (te.nother)
			return 501;
		s->req_body = PX_BODY_CHUNKED;
	} else if (have_clen && *clen) {
		s->req_body = PX_BODY_CLEN;
	} else {
		s->req_body = PX_BODY_NONE;
	}
	if (m->vmin == 0 && !(s->flags & PX_STF_REQ_KA10))
		s->flags |= PX_STF_REQ_CLOSE;
	if (m->vmin >= 1)
		s->flags &= ~PX_STF_REQ_KA10;
	if (is_idempotent(base + m->meth, m->meth_len) && s->req_body == PX_BODY_NONE)
		s->flags |= PX_STF_IDEMPOTENT;
	return 0;
}

/* Rebuilds the request head for the server into the buffer from the view
 * the rules edited: start line, headers with CRLF line ends, hop-by-hop
 * ones removed, Content-Length merged, X-Forwarded-For and Connection
 * added.
 */
static int req_build(struct px_stream *s, const struct px_hmsg *hm, uint64_t clen)
{
	struct px_h1_msg *m = &s->req;
	struct px_proxy *fe = s->fe, *be = s->be;
	struct px_buf *b = &s->sess->cli.buf;
	struct hh_buf w = hh_init();
	int clen_done = 0, has_xff = 0, has_conn = 0;
	/* As HAProxy: the backend's header name first; "if-none" only
	 * when no side asks for the header unconditionally.
	 */
	const char *xff = be->fwdfor_hdr ? be->fwdfor_hdr :
	                  fe->fwdfor_hdr ? fe->fwdfor_hdr : "X-Forwarded-For";
	int fwd_always = ((fe->options & PX_OPT_FORWARDFOR) && !(fe->options & PX_OPT_FWDFOR_IFNONE)) ||
	                 ((be->options & PX_OPT_FORWARDFOR) && !(be->options & PX_OPT_FWDFOR_IFNONE));
	uint32_t opts = fe->options | be->options;
	enum px_http_mode mode = fe->http_mode > be->http_mode ? fe->http_mode : be->http_mode;
	size_t xff_len = strlen(xff);
	uint32_t i;

	for (i = 0; i < hm->nhdr; i++) {
		const struct px_hfield *f = &hm->hdr[i];

		if (!f->nl)
			continue;
		if (hh_kind(f->n, f->nl) == HK_CONNECTION)
			has_conn = 1;
		if (f->nl == xff_len && px_strncaseeq(f->n, f->nl, xff))
			has_xff = 1;
	}

	hh_start_line(&w, hm);
	for (i = 0; i < hm->nhdr; i++) {
		const struct px_hfield *f = &hm->hdr[i];
		enum hh_kind kind;

		if (!f->nl)
			continue;
		kind = hh_kind(f->n, f->nl);
		if (hh_hop_by_hop(hm, f, kind, has_conn, s->flags & PX_STF_UPGRADE))
			continue;
		if (kind == HK_CONTENT_LENGTH) {
			char num[24];

			if (clen_done)
				continue;
			clen_done = 1;
			hh_put(&w, f->n, f->nl);
			hh_put(&w, ": ", 2);
			hh_put(&w, num, px_utoa(clen, num));
			hh_put(&w, "\r\n", 2);
			continue;
		}
		hh_field(&w, f);
	}
	if ((opts & PX_OPT_FORWARDFOR) && (fwd_always || !has_xff) &&
	    (s->sess->src.sa.sa_family == AF_INET || s->sess->src.sa.sa_family == AF_INET6)) {
		char ip[64];
		size_t n = px_addr_ip_str(&s->sess->src.sa, ip, sizeof(ip));

		hh_str(&w, xff);
		hh_put(&w, ": ", 2);
		hh_put(&w, ip, n);
		hh_put(&w, "\r\n", 2);
	}
	if (s->flags & PX_STF_UPGRADE)
		hh_str(&w, "Connection: upgrade\r\n");
	else if (mode != PX_HTTP_KAL)
		hh_str(&w, "Connection: close\r\n");
	else if (m->vmin == 0)
		hh_str(&w, "Connection: keep-alive\r\n");
	hh_put(&w, "\r\n", 2);
	if (w.overflow || hh_replace(b, m->hdr_len, w.p, w.len) < 0)
		return -1;
	s->req_fwd = w.len;
	return 0;
}

/* A rule changed Host on an absolute-form request: the target's
 * authority follows, as HAProxy makes it, so that the server never sees
 * two host names (RFC 9112 3.2.2). Returns 0, -1 when out of room, -2
 * when the Host value is not a valid authority.
 */
static int sync_authority(struct px_hmsg *hm)
{
	const char *u = hm->sl[PX_SL_URI], *auth, *host;
	uint32_t ulen = hm->sll[PX_SL_URI], alen, hlen, sz;
	int i = -1, last = -1;
	char *out;

	if (!ulen || u[0] == '/' || hh_uri_authority(u, ulen, &auth, &alen) < 0 || !alen)
		return 0;
	while ((i = px_hmsg_find(hm, "host", 4, i + 1)) >= 0)
		last = i;
	if (last < 0)
		return 0;
	host = hm->hdr[last].v;
	hlen = hm->hdr[last].vl;
	if (hlen == alen && !strncasecmp(host, auth, alen))
		return 0;
	/* Only a valid authority may enter the request line: visible ASCII
	 * without the characters that end it ("/?#@") or the blanks that
	 * would split the line.
	 */
	if (!hlen)
		return -2;
	for (i = 0; i < (int)hlen; i++)
		if ((unsigned char)host[i] <= 0x20 || (unsigned char)host[i] >= 0x7f ||
		    strchr("/?#@\\", host[i]))
			return -2;
	out = px_scratch(2, &sz);
	if (ulen - alen + hlen > sz)
		return -1;
	memcpy(out, u, auth - u);
	memcpy(out + (auth - u), host, hlen);
	memcpy(out + (auth - u) + hlen, auth + alen, u + ulen - auth - alen);
	return px_hmsg_set_sl(hm, PX_SL_URI, out, ulen - alen + hlen);
}

/* The key "balance uri" or "balance hdr(NAME)" hashes, from the request
 * as the rules left it.
 */
static void lb_key(struct px_stream *s, const struct px_hmsg *hm)
{
	const struct px_proxy *be = s->be;

	if (be->lb == PX_LB_URI) {
		if (px_lb_hash_uri(be, hm->sl[PX_SL_URI], hm->sll[PX_SL_URI], &s->lb_hash) == 0)
			s->lb_has_hash = 1;
	} else if (be->lb == PX_LB_HDR && be->lb_hdr) {
		int i = px_hmsg_find(hm, be->lb_hdr, strlen(be->lb_hdr), -1);

		if (i >= 0 && px_lb_hash_hdr(be, hm->hdr[i].v, hm->hdr[i].vl, &s->lb_hash) == 0)
			s->lb_has_hash = 1;
	}
}

static int req_rules(struct px_stream *s, struct px_hmsg *hm, uint64_t clen);

/* Parses and analyses the request head, runs the rules and rebuilds it.
 * Returns 1 when the state moved.
 */
static int req_head(struct px_stream *s)
{
	struct px_sess *sess = s->sess;
	struct px_buf *b = &sess->cli.buf;
	struct px_hmsg *hm;
	const char *base;
	uint64_t clen = 0;
	int r, status;

	if (!b->len)
		return 0;
	base = px_buf_data(b);
	r = px_h1_parse(&s->req, base, b->len);
	if (r == -2) {
		/* The client shut its side before the head was complete. */
		if (sess->cli.flags & PX_CF_RD_EOF) {
			px_stream_local(s, 400, 'C', 'R');
			return 1;
		}
		if (b->len < px_bufsize - px_bufreserve)
			return 0;
		/* The buffer is full and the head is not complete. */
		status = s->req.state <= PX_H1_RQ_VER ? 414 : 431;
		px_errcap_add(s, 1, base, b->len, (int32_t)b->len,
		              status == 414 ? "request line too long" : "request head too large");
		px_stream_local(s, status, 'P', 'R');
		return 1;
	}
	if (r < 0) {
		px_errcap_add(s, 1, base, b->len, (int32_t)s->req.err_pos, s->req.err_msg);
		px_stream_local(s, s->req.err_code, 'P', 'R');
		return 1;
	}

	s->t_hdr = sess->loop->now_ms;
	if (!px_trace_cur)
		s->fe->cum_req++;
	/* Keep the request line for the log before the head is rewritten. */
	s->rline_len = s->req.sl_len < px_stream_logurilen ? s->req.sl_len : px_stream_logurilen;
	memcpy(s->rline, base + s->req.sol, s->rline_len);

	status = req_analyze(s, base, &clen);
	if (status) {
		px_errcap_add(s, 1, base, s->req.hdr_len, -1, "invalid message framing or headers");
		px_stream_local(s, status, 'P', 'R');
		return 1;
	}
	s->req_left = clen;
	s->rq = s->req_body == PX_BODY_NONE ? PX_RQ_DONE : PX_RQ_BODY;
	if (s->req.meth_len == 4 && !memcmp(base + s->req.meth, "POST", 4))
		s->flags |= PX_STF_POST;

	/* A small body already here lets a response made by a rule keep
	 * the connection: the body is skipped with the head.
	 */
	if (s->req_body == PX_BODY_CLEN && b->len - s->req.hdr_len >= clen)
		s->flags |= PX_STF_REQ_WHOLE;
	hm = px_hmsg_req();
	px_hmsg_load(hm, base, &s->req);
	return req_rules(s, hm, clen);
}

/* Runs the request rules on <hm> and rebuilds the head (the second half
 * of req_head(), where a stream back from a Lua wait comes in again).
 * Returns 1 when the state moved, 0 when the rules wait.
 */
static int req_rules(struct px_stream *s, struct px_hmsg *hm, uint64_t clen)
{
	int r = px_rules_request(s, hm);

	if (r == 2) {
		if (px_lua_park(s, hm) < 0) {
			px_lua_stream_release(s);
			px_stream_local(s, 500, 'P', 'R');
			return 1;
		}
		s->flags |= PX_STF_LUA_WAIT;
		return 0;
	}
	if (r != 0) {
		if (r < 0) {
			px_stream_local(s, 500, 'P', 'R');
			s->flags |= PX_STF_BY_RULE;   /* its bytes count in the log */
		} else if (s->flags & PX_STF_LOCAL_KA) {
			/* Consumed when the answer is sent. */
			s->req_fwd = s->req.hdr_len;
			if (s->flags & PX_STF_REQ_WHOLE) {
				s->req_fwd += (uint32_t)clen;
				s->rq = PX_RQ_DONE;
			}
		}
		if (s->rq != PX_RQ_DONE)
			s->flags &= ~PX_STF_LOCAL_KA;
		return 1;
	}
	if (!s->be) {
		px_stream_local(s, 503, 'S', 'C');
		return 1;
	}
	if (hm->flags & PX_HM_HDR_CHANGED && (r = sync_authority(hm)) < 0) {
		/* -2: the Host a rule left cannot name the target's host. */
		px_stream_local(s, r == -2 ? 400 : 500, 'P', 'R');
		s->flags |= PX_STF_BY_RULE;
		return 1;
	}
	if (s->be->lb == PX_LB_URI || s->be->lb == PX_LB_HDR)
		lb_key(s, hm);
	if (s->be->ssl_sni)
		px_ssl_stream_sni(s, hm);

	if (req_build(s, hm, clen) < 0) {
		px_stream_local(s, 500, 'P', 'R');
		return 1;
	}
	if (s->req_body == PX_BODY_CHUNKED)
		px_h1_chunk_init(&s->req_chunk);
	return 1;
}

/* Classifies newly received request body bytes. Returns 1 on progress. */
static int req_body(struct px_stream *s)
{
	struct px_buf *b = &s->sess->cli.buf;
	uint32_t avail = b->len - s->req_fwd;

	if (!avail) {
		/* Everything received is classified and the client shut its
		 * side: the body will never end.
		 */
		if (s->sess->cli.flags & PX_CF_RD_EOF) {
			px_stream_term(s, 'C', 'D');
			s->flags |= PX_STF_ABORT;
			return 1;
		}
		return 0;
	}
	if (s->req_body == PX_BODY_CLEN) {
		uint32_t n = avail < s->req_left ? avail : (uint32_t)s->req_left;

		s->req_fwd += n;
		s->req_left -= n;
		if (!s->req_left)
			s->rq = PX_RQ_DONE;
		return n > 0;
	}
	{
		int n = px_h1_chunk_parse(&s->req_chunk, px_buf_data(b) + s->req_fwd, avail);

		if (n < 0) {
			if (s->flags & PX_STF_RES_STARTED) {
				px_stream_term(s, 'P', 'D');
				s->flags |= PX_STF_ABORT;
			} else {
				px_stream_local(s, 400, 'P', 'D');
			}
			return 1;
		}
		s->req_fwd += n;
		if (s->req_chunk.state == PX_CH_DONE)
			s->rq = PX_RQ_DONE;
		return n > 0;
	}
}

/* --- response head ------------------------------------------------------ */

/* Decides framing and keep-alive from the response head, runs the
 * response rules and rebuilds the head for the client. Returns 0, -1 when
 * the response is invalid, -2 when a rewrite failed, 1 when a rule
 * answered in its place.
 */
static int res_analyze_build(struct px_stream *s)
{
	struct px_h1_msg *m = &s->res;
	struct px_buf *b = &s->sc->conn.buf;
	const char *base = px_buf_data(b);
	struct px_h1_te te = { 0 };
	struct hh_buf w = hh_init();
	struct px_proxy *fe = s->fe, *be = s->be;
	enum px_http_mode mode = fe->http_mode > be->http_mode ? fe->http_mode : be->http_mode;
	struct px_hmsg *hm;
	uint64_t clen = 0;
	int have_clen = 0, have_te = 0, srv_close = 0, srv_ka = 0, upgrade_ok = 0, has_conn = 0;
	int cli_keep, srv_keep, interim = m->status < 200;
	uint32_t i;

	for (i = 0; i < m->nhdr; i++) {
		const struct px_h1_hdr *h = &m->hdr[i];
		const char *v = base + h->v;
		enum hh_kind kind = hdr_kind(base, h);

		if (kind == HK_CONTENT_LENGTH) {
			uint64_t n;

			if (px_h1_parse_clen(v, h->vl, &n) < 0 || (have_clen && n != clen))
				return -1;
			clen = n;
			have_clen = 1;
		} else if (kind == HK_TRANSFER_ENCODING) {
			have_te = 1;
			px_h1_parse_te(v, h->vl, &te);
		} else if (kind == HK_CONNECTION) {
			has_conn = 1;
			if (px_h1_token_in_list(v, h->vl, "close"))
				srv_close = 1;
			if (px_h1_token_in_list(v, h->vl, "keep-alive"))
				srv_ka = 1;
		}
	}

	if (m->status == 101) {
		if (!(s->flags & PX_STF_UPGRADE))
			return -1;
		upgrade_ok = 1;
		interim = 0;
	}

	if (interim || upgrade_ok) {
		s->res_body = PX_BODY_NONE;
	} else if ((s->flags & PX_STF_HEAD) || m->status == 204 || m->status == 304 ||
	           ((s->flags & PX_STF_CONNECT) && m->status < 300)) {
		s->res_body = PX_BODY_NONE;
	} else if (have_te) {
		if (te.invalid)
			return -1;
		if (te.nchunked == 1 && te.last_chunked) {
			s->res_body = PX_BODY_CHUNKED;
			if (have_clen)
				s->flags |= PX_STF_CL_DROPPED;   /* row 39 */
		} else {
			s->res_body = PX_BODY_CLOSE;
		}
	} else if (have_clen) {
		s->res_body = PX_BODY_CLEN;
	} else {
		s->res_body = PX_BODY_CLOSE;
	}
	s->res_left = clen;
	/* An HTTP/1.0 client cannot read chunked framing: strip it, and let
	 * the close mark the end of the body.
	 */
	if (s->res_body == PX_BODY_CHUNKED && s->req.vmin == 0)
		s->flags |= PX_STF_DECHUNK;

	srv_keep = mode == PX_HTTP_KAL && !srv_close && (m->vmin >= 1 || srv_ka) &&
	           s->res_body != PX_BODY_CLOSE && !(s->flags & PX_STF_CL_DROPPED) &&
	           !upgrade_ok;
	cli_keep = mode != PX_HTTP_CLO && !(s->flags & (PX_STF_REQ_CLOSE | PX_STF_DECHUNK)) &&
	           s->res_body != PX_BODY_CLOSE && !(s->flags & PX_STF_CL_DROPPED) &&
	           s->rq == PX_RQ_DONE && !px_sess_stopping(s->sess) && !upgrade_ok &&
	           !((s->flags & PX_STF_CONNECT) && m->status < 300);
	if (!interim) {
		s->flags &= ~(PX_STF_CLI_KEEP | PX_STF_SRV_KEEP);
		if (cli_keep)
			s->flags |= PX_STF_CLI_KEEP;
		if (srv_keep)
			s->flags |= PX_STF_SRV_KEEP;
	}

	hm = px_hmsg_res();
	if (s->flags & PX_STF_LUA_WAIT) {
		s->flags &= ~PX_STF_LUA_WAIT;
		px_lua_unpark(s, hm);
	} else {
		px_hmsg_load(hm, base, m);
	}
	if (!interim && (fe->rules || be->rules || be->ck || fe->nres_caps)) {
		int r = px_rules_response(s, px_hmsg_req(), hm);

		if (r == 2) {
			if (px_lua_park(s, hm) < 0) {
				px_lua_stream_release(s);
				return -2;
			}
			s->flags |= PX_STF_LUA_WAIT;
			return 2;
		}
		if (r)
			return r > 0 ? 1 : -2;
		m->status = hm->status;
	}

	hh_start_line(&w, hm);
	for (i = 0; i < hm->nhdr; i++) {
		const struct px_hfield *f = &hm->hdr[i];
		enum hh_kind kind;

		if (!f->nl)
			continue;
		kind = hh_kind(f->n, f->nl);
		if (hh_hop_by_hop(hm, f, kind, has_conn, upgrade_ok))
			continue;
		if ((s->flags & PX_STF_CL_DROPPED) && kind == HK_CONTENT_LENGTH)
			continue;
		if ((s->flags & PX_STF_DECHUNK) && kind == HK_TRANSFER_ENCODING)
			continue;
		hh_field(&w, f);
	}
	if (upgrade_ok)
		hh_str(&w, "Connection: upgrade\r\n");
	else if (!interim && !cli_keep)
		hh_str(&w, "Connection: close\r\n");
	else if (!interim && s->req.vmin == 0)
		hh_str(&w, "Connection: keep-alive\r\n");
	hh_put(&w, "\r\n", 2);
	/* Too large once rewritten: the rules' fault (500), not the
	 * server's (502).
	 */
	if (w.overflow || hh_replace(b, m->hdr_len, w.p, w.len) < 0)
		return hm->flags & (PX_HM_HDR_CHANGED | PX_HM_SL_CHANGED) ? -2 : -1;
	s->res_fwd = w.len;
	if (upgrade_ok || ((s->flags & PX_STF_CONNECT) && m->status >= 200 && m->status < 300))
		s->flags |= PX_STF_TUNNEL_NEXT;   /* switch to a tunnel once the head is sent */
	return 0;
}

static int res_head(struct px_stream *s)
{
	struct px_buf *b = &s->sc->conn.buf;
	int r;

	if (!b->len)
		return 0;
	if (s->flags & PX_STF_LUA_WAIT)
		goto analyze;   /* back from a wait in the response rules */
	r = px_h1_parse(&s->res, px_buf_data(b), b->len);
	if (r == -2) {
		if (b->len < px_bufsize - px_bufreserve)
			return 0;
		px_errcap_add(s, 0, px_buf_data(b), b->len, (int32_t)b->len,
		              "response head too large");
		px_stream_local(s, 502, 'P', 'H');
		return 1;
	}
	/* The head limit is tune.bufsize - tune.maxrewrite, even though the
	 * response buffer is larger.
	 */
	if (r > 0 && (uint32_t)r > px_bufsize - px_bufreserve) {
		px_errcap_add(s, 0, px_buf_data(b), (uint32_t)r, (int32_t)(px_bufsize - px_bufreserve),
		              "response head too large");
		px_stream_local(s, 502, 'P', 'H');
		return 1;
	}
	if (r < 0) {
		px_errcap_add(s, 0, px_buf_data(b), b->len, (int32_t)s->res.err_pos, s->res.err_msg);
		px_stream_local(s, 502, 'P', 'H');
		return 1;
	}
analyze:
	r = res_analyze_build(s);
	if (r == 2)
		return 0;
	if (r) {
		if (r == 1)
			s->t_res = s->sess->loop->now_ms;
		else {
			if (r == -1)
				px_errcap_add(s, 0, px_buf_data(b), s->res.hdr_len, -1,
				              "invalid message framing or headers");
			px_stream_local(s, r == -2 ? 500 : 502, 'P', 'H');
		}
		return 1;
	}
	if (s->res.status >= 200 || s->res.status == 101) {
		s->t_res = s->sess->loop->now_ms;
		s->status = s->res.status;
	}
	if (s->res_body == PX_BODY_CHUNKED)
		px_h1_chunk_init(&s->res_chunk);
	/* "Content-Length: 0" is a complete message already. */
	if (s->res_body == PX_BODY_CLEN && !s->res_left)
		s->res_body = PX_BODY_NONE;
	s->rs = s->res_body == PX_BODY_NONE ? PX_RS_DONE : PX_RS_BODY;
	return 1;
}

/* Chunked body for an HTTP/1.0 client: chunk data stays in place, the
 * framing between chunks is cut out of the buffer. Returns 1 on progress.
 */
static int res_dechunk(struct px_stream *s)
{
	struct px_buf *b = &s->sc->conn.buf;
	struct px_h1_chunk *c = &s->res_chunk;
	int progress = 0;

	while (b->len > s->res_fwd && c->state != PX_CH_DONE) {
		char *p = px_buf_data(b) + s->res_fwd;
		uint32_t avail = b->len - s->res_fwd, n;
		int r;

		if (c->state == PX_CH_DATA) {
			n = avail < c->left ? avail : (uint32_t)c->left;
			px_h1_chunk_parse(c, p, n);
			s->res_fwd += n;
			progress = 1;
			continue;
		}
		/* Framing up to the next data byte (or what is here of it). */
		for (n = 0; n < avail && c->state != PX_CH_DATA && c->state != PX_CH_DONE; n++) {
			r = px_h1_chunk_parse(c, p + n, 1);
			if (r < 0)
				return -1;
		}
		memmove(p, p + n, avail - n);
		b->len -= n;
		progress = 1;
	}
	if (c->state == PX_CH_DONE) {
		s->rs = PX_RS_DONE;
		b->len = s->res_fwd;   /* nothing may follow on a closing exchange */
	}
	return progress;
}

static int res_body(struct px_stream *s)
{
	struct px_buf *b = &s->sc->conn.buf;
	uint32_t avail = b->len - s->res_fwd;

	if (!avail)
		return 0;
	switch (s->res_body) {
	case PX_BODY_CLEN: {
		uint32_t n = avail < s->res_left ? avail : (uint32_t)s->res_left;

		s->res_fwd += n;
		s->res_left -= n;
		if (!s->res_left)
			s->rs = PX_RS_DONE;
		return n > 0;
	}
	case PX_BODY_CHUNKED: {
		int n;

		if (s->flags & PX_STF_DECHUNK) {
			n = res_dechunk(s);
			if (n < 0) {
				px_stream_term(s, 'P', 'D');
				s->flags |= PX_STF_ABORT;
				return 1;
			}
			return n;
		}
		n = px_h1_chunk_parse(&s->res_chunk, px_buf_data(b) + s->res_fwd, avail);
		if (n < 0) {
			px_stream_term(s, 'P', 'D');
			s->flags |= PX_STF_ABORT;
			return 1;
		}
		s->res_fwd += n;
		if (s->res_chunk.state == PX_CH_DONE)
			s->rs = PX_RS_DONE;
		return n > 0;
	}
	default:
		s->res_fwd += avail;
		return 1;
	}
}

/* --- I/O ---------------------------------------------------------------- */

static int cli_read(struct px_stream *s)
{
	struct px_sess *sess = s->sess;
	struct px_conn *c = &sess->cli;
	int n;

	/* A full head is the parser's business; body bytes may move to the
	 * front, unless request bytes are kept for a resend.
	 */
	if (c->buf.area && !px_buf_room(&c->buf) &&
	    (s->rq != PX_RQ_BODY || (s->flags & PX_STF_RETAIN) || px_buf_make_room(&c->buf) < 0))
		return 0;
	n = px_conn_recv(c);
	if (n > 0) {
		s->bytes_in += n;
		s->t_cli_act = sess->loop->now_ms;
		return 1;
	}
	if (n == -2)
		return 0;
	if (n < 0 && !(c->flags & PX_CF_ERROR)) {
		/* No buffer memory: a resource failure, not the client's. */
		px_stream_term(s, 'R', s->rq == PX_RQ_HDR ? 'R' : 'D');
		s->flags |= PX_STF_ABORT;
		return 1;
	}
	/* End of stream or error from the client. Bytes already received
	 * may still hold a whole head or the end of the body (a client that
	 * sends its request and shuts its side at once): the parsers look at
	 * them first, and act on the end of stream when they need more.
	 */
	if (!(c->flags & PX_CF_ERROR) &&
	    ((s->rq == PX_RQ_HDR && c->buf.len) || (s->rq == PX_RQ_BODY && c->buf.len > s->req_fwd)))
		return 1;
	if (s->rq == PX_RQ_HDR) {
		if (c->flags & PX_CF_ERROR) {
			px_stream_term(s, 'C', 'R');
			s->flags |= PX_STF_ABORT;
		} else {
			/* As HAProxy: a client that shuts its side mid-head
			 * gets a 400 it may still read.
			 */
			px_stream_local(s, 400, 'C', 'R');
		}
	} else {
		px_stream_term(s, 'C', 'D');
		s->flags |= PX_STF_ABORT;
	}
	return 1;
}

static int req_send(struct px_stream *s)
{
	struct px_conn *c = &s->sess->cli;
	struct px_srvconn *sc = s->sc;
	ssize_t n;

	n = px_conn_send(&sc->conn, px_buf_data(&c->buf) + s->req_sent,
	                 s->req_fwd - s->req_sent);
	if (n < 0) {
		/* The server is gone. What it may have answered is read
		 * next; if nothing comes, the read side reports it.
		 */
		sc->conn.flags |= PX_CF_RD_READY;
		return 1;
	}
	if (!n)
		return 0;
	s->req_sent += n;
	/* The server took bytes; the client may send again: a wait for
	 * the client starts now, whatever the server made it wait before.
	 */
	s->t_srv_act = s->t_cli_act = s->sess->loop->now_ms;
	if (!(s->flags & PX_STF_RETAIN))
		px_stream_req_consume_sent(s);
	return 1;
}

static int srv_read(struct px_stream *s)
{
	struct px_srvconn *sc = s->sc;
	struct px_conn *c = &sc->conn;
	int n;

	if (c->buf.area && !px_buf_room(&c->buf) &&
	    (s->rs != PX_RS_BODY || px_buf_make_room(&c->buf) < 0))
		return 0;
	n = px_conn_recv(c);
	if (n > 0) {
		s->t_srv_act = s->sess->loop->now_ms;
		if (c->flags & PX_CF_TFO)
			px_stream_tfo_step(s, 0);   /* made, since it answers */
		if (s->flags & PX_STF_RETAIN) {
			/* The server answers: no resend can happen now. */
			s->flags &= ~PX_STF_RETAIN;
			px_stream_req_consume_sent(s);
		}
		return 1;
	}
	if (n == -2)
		return 0;
	if (n < 0 && !(c->flags & PX_CF_ERROR)) {
		px_stream_local(s, 500, 'R', s->rs == PX_RS_HDR ? 'H' : 'D');
		return 1;
	}
	/* End of stream or reset from the server. */
	if ((c->flags & PX_CF_TFO) && px_stream_tfo_step(s, 0) < 0)
		return 1;   /* refused: a failed connect */
	if (s->rs == PX_RS_HDR) {
		if (!c->buf.len && (s->flags & PX_STF_RETAIN) && (s->flags & PX_STF_REUSED)) {
			/* An idle connection the server had just closed. */
			px_stream_srv_retry_fresh(s);
			return 1;
		}
		if (s->flags & PX_STF_RES_STARTED) {
			px_stream_term(s, 'S', 'H');
			s->flags |= PX_STF_ABORT;
		} else {
			px_stream_local(s, 502, 'S', 'H');
		}
		return 1;
	}
	if (s->rs == PX_RS_BODY && s->res_body == PX_BODY_CLOSE && !(c->flags & PX_CF_ERROR)) {
		s->res_fwd = c->buf.len;
		s->rs = PX_RS_DONE;
		s->flags |= PX_STF_SRV_DONE;
		return 1;
	}
	px_stream_term(s, 'S', 'D');
	s->flags |= PX_STF_ABORT;
	return 1;
}

static int res_send(struct px_stream *s)
{
	struct px_conn *c = &s->sess->cli;
	struct px_buf *b = &s->sc->conn.buf;
	ssize_t n;

	n = px_conn_send(c, px_buf_data(b), s->res_fwd);
	if (n < 0) {
		px_stream_term(s, 'C', 'D');
		s->flags |= PX_STF_ABORT;
		return 1;
	}
	if (!n)
		return 0;
	s->bytes_out += n;
	s->flags |= PX_STF_RES_STARTED;
	px_buf_consume(b, (uint32_t)n);
	s->res_fwd -= n;
	/* The client took bytes, which makes room for the server's: a wait
	 * for the server starts now (a slow client is not the server's
	 * silence).
	 */
	s->t_cli_act = s->t_srv_act = s->sess->loop->now_ms;
	if (!s->res_fwd && s->rs == PX_RS_DONE && s->res.status < 200 && s->res.status != 101) {
		/* An interim response went out: the final one follows. */
		px_h1_msg_init(&s->res, 0, s->hdrs + px_stream_maxhdr, px_stream_maxhdr);
		s->rs = PX_RS_HDR;
	}
	return 1;
}

static int local_send(struct px_stream *s)
{
	struct px_conn *c = &s->sess->cli;
	ssize_t n;

	if (s->local_sent >= s->local->len)
		return 0;
	n = px_conn_send(c, s->local->data + s->local_sent, s->local->len - s->local_sent);
	if (n < 0) {
		s->local_sent = s->local->len;
		return 1;
	}
	if (!n)
		return 0;
	s->local_sent += n;
	/* Responses to bad requests are not counted, as in HAProxy, where
	 * they come from the connection layer rather than a stream.
	 */
	if (s->term[1] != 'R' || (s->flags & PX_STF_BY_RULE))
		s->bytes_out += n;
	s->t_cli_act = s->sess->loop->now_ms;
	return 1;
}

/* --- deadlines ------------------------------------------------------------ */

/* Acts on expired deadlines. */
static void check_timeouts(struct px_stream *s)
{
	struct px_sess *sess = s->sess;
	uint64_t now = sess->loop->now_ms;

	if (s->flags & PX_STF_LOCAL) {
		if (s->exp_cli && s->exp_cli <= now) {
			px_stream_term(s, 'c', s->term[1]);
			s->flags |= PX_STF_ABORT;
		}
		return;
	}
	if (s->rq == PX_RQ_HDR && s->exp_req && s->exp_req <= now) {
		px_stream_local(s, 408, 'c', 'R');
		return;
	}
	if (s->exp_cli && s->exp_cli <= now) {
		px_stream_term(s, 'c', s->rs == PX_RS_NONE || s->rs == PX_RS_HDR ?
		               (s->rq == PX_RQ_BODY ? 'D' : 'H') : 'D');
		s->flags |= PX_STF_ABORT;
		return;
	}
	if (s->exp_srv && s->exp_srv <= now) {
		if (!(s->flags & PX_STF_RES_STARTED) && s->rs <= PX_RS_HDR) {
			px_stream_local(s, 504, 's', 'H');
		} else {
			px_stream_term(s, 's', 'D');
			s->flags |= PX_STF_ABORT;
		}
	}
}

static void update_deadlines(struct px_stream *s)
{
	struct px_sess *sess = s->sess;
	struct px_proxy *fe = s->fe, *be = s->be ? s->be : s->fe;
	struct px_conn *c = &sess->cli;
	uint64_t next;

	s->exp_cli = 0;
	s->exp_srv = 0;
	if (s->flags & PX_STF_LOCAL) {
		if (s->local_sent < s->local->len)
			s->exp_cli = px_tick_add(s->t_cli_act, fe->to.client);
	} else {
		/* Waiting for request bytes, or for the client to read. */
		if (s->rq == PX_RQ_BODY && !(c->flags & PX_CF_RD_EOF) &&
		    (!c->buf.area || px_buf_room(&c->buf) || c->buf.head))
			s->exp_cli = px_tick_add(s->t_cli_act, fe->to.client);
		if (s->res_fwd && !(c->flags & PX_CF_WR_READY))
			s->exp_cli = px_tick_add(s->t_cli_act, fe->to.client);
		if (s->scs == PX_SC_READY) {
			uint32_t srv_to = s->srv_timeout ? s->srv_timeout : be->to.server;

			if (s->rs == PX_RS_HDR || s->rs == PX_RS_BODY)
				s->exp_srv = px_tick_add(s->t_srv_act, srv_to);
			if (s->req_fwd > s->req_sent)
				s->exp_srv = px_tick_add(s->t_srv_act, srv_to);
			/* While response bytes wait for a client that cannot
			 * take them, the server is not to blame for being quiet
			 * (it may be blocked by us, or simply ahead): the client
			 * timeout covers that wait.
			 */
			if (s->rs == PX_RS_BODY && s->res_fwd && !(c->flags & PX_CF_WR_READY) &&
			    s->req_fwd <= s->req_sent)
				s->exp_srv = 0;
			if (s->sc && (s->sc->conn.flags & PX_CF_TFO))
				s->exp_conn = px_tick_add(s->t_connect, be->to.connect);
		} else if (s->scs == PX_SC_CONNECTING) {
			s->exp_conn = px_tick_add(s->t_connect, be->to.connect);
		} else if (s->scs == PX_SC_QUEUED) {
			s->exp_conn = px_tick_add(s->t_queue, be->to.queue ? be->to.queue :
			                          be->to.connect);
		}
	}
	if (px_sess_poll(sess, (s->rq == PX_RQ_HDR || s->rq == PX_RQ_BODY) &&
	                 !(s->flags & PX_STF_LOCAL),
	                 s->res_fwd || ((s->flags & PX_STF_LOCAL) && s->local_sent < s->local->len)) < 0) {
		px_stream_term(s, 'R', s->rq == PX_RQ_HDR ? 'R' : 'D');
		s->flags |= PX_STF_ABORT;
		px_stream_wake(s);
		return;
	}
	next = px_tick_first(s->rq == PX_RQ_HDR && !(s->flags & PX_STF_LOCAL) ? s->exp_req : 0,
	                     s->exp_cli);
	next = px_tick_first(next, s->exp_srv);
	next = px_tick_first(next, s->scs == PX_SC_CONNECTING || s->scs == PX_SC_QUEUED ||
	                     s->scs == PX_SC_TURNAROUND ||
	                     (s->scs == PX_SC_READY && s->sc && (s->sc->conn.flags & PX_CF_TFO)) ?
	                     s->exp_conn : 0);
	px_sess_set_timer(sess, next);
}

/* --- end of an exchange ------------------------------------------------------ */

static void http_end(struct px_stream *s)
{
	struct px_sess *sess = s->sess;
	int cli_keep = ((s->flags & PX_STF_CLI_KEEP) && !(s->flags & PX_STF_LOCAL)) ||
	               ((s->flags & PX_STF_LOCAL_KA) && s->rq == PX_RQ_DONE &&
	                !px_sess_stopping(sess));

	/* A response made by a rule: the request it answered leaves the
	 * buffer, so that a pipelined one starts right after it.
	 */
	if ((s->flags & PX_STF_LOCAL_KA) && s->req_fwd) {
		px_buf_consume(&sess->cli.buf, s->req_fwd);
		s->req_fwd = 0;
	}
	int srv_keep = (s->flags & PX_STF_SRV_KEEP) && s->rq == PX_RQ_DONE && !s->req_fwd &&
	               s->rs == PX_RS_DONE;

	/* Before the log line, as HAProxy: %bc and %sc do not count it,
	 * whoever answered.
	 */
	px_stream_leave_backend(s);
	px_stream_log(s);
	if (s->sc) {
		if (srv_keep)
			s->flags |= PX_STF_SRV_DONE;
		px_stream_srv_detach(s, srv_keep);
	}
	px_sess_stream_done(sess, s, cli_keep ? PX_SESS_END_KEEP :
	                    (s->flags & PX_STF_LOCAL) && !s->local->len ? PX_SESS_END_SILENT :
	                    PX_SESS_END_CLOSE);
}

static void http_abort(struct px_stream *s)
{
	px_stream_log(s);
	if (s->sc)
		px_stream_srv_detach(s, 0);
	px_sess_stream_done(s->sess, s, PX_SESS_END_ABORT);
}

/* Starts a stream on a request whose first bytes are in the client
 * buffer.
 */
void px_http_start(struct px_stream *s)
{
	struct px_sess *sess = s->sess;
	struct px_buf *b = &sess->cli.buf;
	uint32_t to = px_proxy_http_request_timeout(s->fe);

	/* A pipelined request starts mid-buffer: give it the rewrite
	 * reserve in front, as a fresh buffer has.
	 */
	if (b->area && b->head != px_bufreserve)
		px_buf_realign(b, px_bufreserve);
	/* The http-request timeout counts from the connection, or from the
	 * end of the previous response on keep-alive, except when
	 * http-keep-alive governs the idle time: then from the first byte.
	 */
	if (!(sess->flags & PX_SF_KEEPALIVE))
		s->exp_req = px_tick_add(sess->accept_ms, to);
	else if (s->fe->to.http_keep_alive)
		s->exp_req = px_tick_add(s->t_start, to);
	else
		s->exp_req = px_tick_add(sess->idle_ms, to);
}

/* Runs the exchange as far as it can go without waiting. */
void px_http_process(struct px_stream *s)
{
	struct px_sess *sess = s->sess;
	struct px_conn *c = &sess->cli;
	int progress, rounds = 0;

	check_timeouts(s);
	if ((s->flags & PX_STF_LUA_WAIT) && !(s->flags & PX_STF_ABORT) && px_lua_wants_body(s)) {
		/* A Lua service reads the body: bytes may only be appended
		 * (the parked head points into the buffer), so a full
		 * buffer ends the wait as the end of the body does.
		 */
		int got = c->buf.area && !px_buf_room(&c->buf);

		if (!got && (c->flags & PX_CF_RD_READY) && !(c->flags & PX_CF_RD_EOF))
			got = cli_read(s);
		if (got || (c->flags & PX_CF_RD_EOF))
			px_lua_body_came(s);
		/* All of it came: the answer may keep the connection. */
		if (s->req_body == PX_BODY_CLEN && c->buf.len >= s->req.hdr_len &&
		    c->buf.len - s->req.hdr_len >= s->req_left)
			s->flags |= PX_STF_REQ_WHOLE;
	}
	if ((s->flags & PX_STF_LUA_WAIT) && !(s->flags & PX_STF_ABORT)) {
		/* The rules wait on Lua: nothing moves until it goes on. */
		if (!px_lua_ready(s)) {
			update_deadlines(s);
			return;
		}
		if (s->rs == PX_RS_HDR) {
			res_head(s);
		} else {
			struct px_hmsg *hm = px_hmsg_req();

			s->flags &= ~PX_STF_LUA_WAIT;
			px_lua_unpark(s, hm);
			req_rules(s, hm, s->req_left);
		}
		if (s->flags & PX_STF_LUA_WAIT) {
			update_deadlines(s);
			return;
		}
	}
	do {
		progress = 0;
		if (s->flags & PX_STF_ABORT)
			break;
		if (++rounds > PX_STREAM_ROUNDS) {
			/* Its turn is over: the rest after the others' (and
			 * after the clock has moved).
			 */
			px_stream_wake(s);
			break;
		}

		if (s->flags & PX_STF_LOCAL) {
			if (c->flags & PX_CF_WR_READY)
				progress |= local_send(s);
			if (s->local_sent >= s->local->len) {
				http_end(s);
				return;
			}
			continue;
		}

		if ((s->rq == PX_RQ_HDR || s->rq == PX_RQ_BODY) && (c->flags & PX_CF_RD_READY) &&
		    !(c->flags & PX_CF_RD_EOF))
			progress |= cli_read(s);
		if (s->rq == PX_RQ_HDR && !(s->flags & (PX_STF_LOCAL | PX_STF_ABORT)))
			progress |= req_head(s);
		if (s->flags & PX_STF_LUA_WAIT)
			break;   /* the request rules wait on Lua */
		if (s->rq == PX_RQ_BODY && !(s->flags & (PX_STF_LOCAL | PX_STF_ABORT)))
			progress |= req_body(s);
		if (s->flags & (PX_STF_LOCAL | PX_STF_ABORT))
			continue;

		if (s->rq != PX_RQ_HDR && s->rs == PX_RS_NONE) {
			int r = px_stream_srv_step(s);

			if (r < 0)
				continue;
			if (r > 0) {
				s->rs = PX_RS_HDR;
				progress = 1;
			}
		}
		if (s->scs != PX_SC_READY)
			continue;
		/* A Fast Open connection may be written to before it is
		 * made (the request goes with the SYN); a refusal is a
		 * failed connect.
		 */
		if ((s->sc->conn.flags & PX_CF_TFO) && px_stream_tfo_step(s, 0) < 0) {
			progress = 1;
			continue;
		}

		if (s->req_fwd > s->req_sent && (s->sc->conn.flags & PX_CF_WR_READY))
			progress |= req_send(s);
		if ((s->rs == PX_RS_HDR || s->rs == PX_RS_BODY) &&
		    (s->sc->conn.flags & PX_CF_RD_READY))
			progress |= srv_read(s);
		if (s->flags & (PX_STF_LOCAL | PX_STF_ABORT) || !s->sc)
			continue;
		if (s->rs == PX_RS_HDR)
			progress |= res_head(s);
		if (s->flags & PX_STF_LUA_WAIT)
			break;   /* the response rules wait on Lua */
		if (s->flags & (PX_STF_LOCAL | PX_STF_ABORT))
			continue;
		if (s->rs == PX_RS_BODY)
			progress |= res_body(s);
		if (s->res_fwd && (c->flags & PX_CF_WR_READY))
			progress |= res_send(s);
		if (s->flags & PX_STF_ABORT)
			continue;

		if (s->rs == PX_RS_DONE && !s->res_fwd) {
			if ((s->flags & PX_STF_TUNNEL_NEXT)) {
				/* Upgrade or CONNECT accepted: raw bytes from now on. */
				s->flags &= ~PX_STF_TUNNEL_NEXT;
				s->rq = PX_RQ_TUNNEL;
				s->rs = PX_RS_TUNNEL;
				s->req_fwd = s->req_sent = 0;
				px_stream_process(s);
				return;
			}
			if ((s->rq == PX_RQ_DONE && !s->req_fwd) || !(s->flags & PX_STF_CLI_KEEP)) {
				http_end(s);
				return;
			}
		}
	} while (progress);

	if (s->flags & PX_STF_ABORT) {
		http_abort(s);
		return;
	}
	check_timeouts(s);
	if (s->flags & (PX_STF_ABORT | PX_STF_LOCAL)) {
		/* A deadline passed while processing: go round once more. */
		px_stream_wake(s);
	}
	update_deadlines(s);
}

/* --- dry run (command socket) ------------------------------------------------ */

/* The server balancing would choose for <s>, leaving the backend's
 * balancing state as it was (the dry run must not shift the next real
 * choice).
 */
static const struct px_server *peek_server(struct px_stream *s, const char **how)
{
	struct px_proxy *be = s->be;
	uint32_t lb_next = be->lb_next, map_pos = be->lbprm.map_pos, i;
	int64_t *rr = calloc(be->nsrv ? be->nsrv : 1, sizeof(*rr));
	struct px_server *srv = NULL;
	enum px_lb_result r;

	if (s->persist && px_srv_persist_ok(s->persist)) {
		*how = "persistence cookie";
		free(rr);
		return s->persist;
	}
	if (!rr) {
		*how = "unknown (out of memory)";
		return NULL;
	}
	for (i = 0; i < be->nsrv; i++)
		rr[i] = be->srv[i]->rr_weight;
	r = px_lb_pick(s, NULL, &srv);
	for (i = 0; i < be->nsrv; i++)
		be->srv[i]->rr_weight = rr[i];
	be->lb_next = lb_next;
	be->lbprm.map_pos = map_pos;
	free(rr);
	switch (r) {
	case PX_LB_OK:
		*how = "load balancing (the next choice)";
		return srv;
	case PX_LB_SRV_FULL:
		*how = "load balancing (full now: the request would wait for it)";
		return srv;
	case PX_LB_ALL_FULL:
		*how = "none free now: the request would wait in the backend's queue";
		return NULL;
	default:
		*how = "no usable server: the request would get 503";
		return NULL;
	}
}

/* Runs the request <raw> through the rules of frontend <fe> of <gen> as if
 * a client had sent it, without contacting any server, and hands what it
 * found to <done>. Only the head is used. Returns 0, or -1 with a message.
 */
int px_http_trace(struct px_gen *gen, struct px_proxy *fe, const char *raw, size_t len,
                  void (*done)(void *arg, const struct px_trace_result *r), void *arg,
                  char **err)
{
	struct px_trace_result res = { 0 };
	struct px_sess *sess;
	struct px_stream *s;
	struct px_buf *b;

	sess = calloc(1, sizeof(*sess));
	if (!sess) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	sess->cli.io.fd = -1;
	sess->loop = px_sess_loop();
	sess->fe = fe;
	sess->gen = px_gen_ref(gen);
	sess->src.in4.sin_family = AF_INET;
	sess->src.in4.sin_addr.s_addr = htonl(0x7f000001);
	sess->src.in4.sin_port = htons(40000);
	sess->accept_ms = sess->idle_ms = sess->loop->now_ms;
	sess->accept_tv = sess->loop->now_tv;
	sess->state = PX_SESS_ACTIVE;
	b = &sess->cli.buf;
	if (px_buf_alloc(b) < 0) {
		px_strfmt(err, "out of memory");
		goto out;
	}
	if (len > px_buf_room(b))
		len = px_buf_room(b);
	memcpy(px_buf_tail(b), raw, len);
	b->len += (uint32_t)len;
	s = px_stream_new(sess);
	if (!s) {
		px_strfmt(err, "out of memory");
		goto out;
	}
	sess->strm = s;
	req_head(s);
	if (s->rq == PX_RQ_HDR && !(s->flags & PX_STF_LOCAL)) {
		px_strfmt(err, "the request head is incomplete (it must end with an empty "
		          "line, and fit in %u bytes)", px_bufsize - px_bufreserve);
		goto out_strm;
	}
	if (s->flags & PX_STF_LOCAL) {
		res.local = 1;
		res.status = s->status;
		if (s->local) {
			res.resp = s->local->data;
			res.resp_len = s->local->len;
		}
		res.be = s->be;
	} else {
		res.be = s->be;
		res.srv = peek_server(s, &res.srv_how);
		res.req = px_buf_data(b);
		res.req_len = s->req_fwd;
	}
	done(arg, &res);
	sess->strm = NULL;
	px_stream_free(s);
	px_buf_release(b);
	if (sess->vars)
		px_var_free_all(&sess->vars);
	px_gen_unref(sess->gen);
	free(sess);
	return 0;
out_strm:
	sess->strm = NULL;
	px_stream_free(s);
out:
	px_buf_release(b);
	px_gen_unref(sess->gen);
	free(sess);
	return -1;
}
