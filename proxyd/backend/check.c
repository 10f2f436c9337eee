/* Health checks. Configuration: "option httpchk", "http-check send" and
 * "http-check expect" (the server options are parsed with the server
 * line, in server.c). Run time: each checked server of the running
 * generation has a timer; when it fires, a probe connects to the server
 * (non-blocking, on the event loop), sends the HTTP request when the
 * backend has "option httpchk", reads and judges the response. Results
 * move a health counter; crossing "rise" or "fall" marks the server UP or
 * DOWN, rebuilds its backend's balancing state, moves queued streams and
 * logs the change in HAProxy's words. Nothing here blocks.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include "admin/counters.h"
#include "backend/check.h"
#include "core/netns.h"
#include "ssl/ssl-t.h"
#include "backend/lb.h"
#include "backend/server.h"
#include "cfg/cfg.h"
#include "core/buf.h"
#include "core/ev.h"
#include "core/log.h"
#include "core/net.h"
#include "core/util.h"
#include "proto/h1.h"
#include "proto/stream.h"
#include "rules/regex.h"

/* Header lines a check response may have. */
#define CHK_MAXHDR 101

/* What a probe is waiting for. */
enum probe_phase {
	PROBE_CONNECTING = 0,   /* connect() in progress */
	PROBE_HANDSHAKE,        /* TLS handshake (check-ssl) */
	PROBE_SENDING,          /* the request is not all sent */
	PROBE_READING,          /* reading the response */
};

/* One check in flight. It lives apart from its server so that an event
 * still pending for its socket, in the batch being processed when the
 * server's generation is freed, finds it intact (with io.fn NULL).
 */
struct px_probe {
	struct px_io io;
	struct px_server *srv;
	struct px_loop *loop;
	struct px_buf buf;          /* response bytes (HTTP checks) */
	uint32_t sent;              /* request bytes sent */
	uint8_t phase;              /* enum probe_phase */
	SSL *ssl;                   /* TLS checks, else NULL */
};

/* --- configuration ------------------------------------------------------------ */

/* The httpchk of the section being parsed, made its own: a copy of the
 * inherited one (or the built-in settings) the first time it changes.
 * Returns NULL on memory exhaustion.
 */
static struct px_httpchk *own_httpchk(struct px_cfg_ctx *ctx)
{
	struct px_proxy *px = ctx->px;
	struct px_httpchk *hc = px->httpchk;

	if (hc && hc->owner == px)
		return hc;
	hc = px_gen_alloc(ctx->gen, sizeof(*hc));
	if (!hc)
		return NULL;
	if (px->httpchk) {
		*hc = *px->httpchk;
	} else {
		/* As HAProxy: OPTIONS / HTTP/1.0 unless told otherwise. */
		hc->meth = "OPTIONS";
		hc->uri = "/";
		hc->ver = "HTTP/1.0";
	}
	hc->owner = px;
	hc->req = NULL;
	px->httpchk = hc;
	return hc;
}

/* option httpchk [[METHOD] URI [VERSION]] (args[0] is "option") */
int px_check_opt_httpchk(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_httpchk *hc;
	int n = nargs - 2;

	if (ctx->negate) {
		if (n) {
			px_strfmt(err, "takes no argument after 'no'");
			return -1;
		}
		if (ctx->px->httpchk && ctx->px->httpchk->enabled) {
			hc = own_httpchk(ctx);
			if (!hc)
				goto oom;
			hc->enabled = 0;
		}
		return 0;
	}
	if (n > 3) {
		px_strfmt(err, "expects at most a method, a URI and a version ('%s' is "
		          "unexpected)", args[5]);
		return -1;
	}
	hc = own_httpchk(ctx);
	if (!hc)
		goto oom;
	hc->enabled = 1;
	hc->meth = "OPTIONS";
	hc->uri = "/";
	hc->ver = "HTTP/1.0";
	if (n == 1) {
		hc->uri = px_gen_strdup(ctx->gen, args[2]);
	} else if (n >= 2) {
		hc->meth = px_gen_strdup(ctx->gen, args[2]);
		hc->uri = px_gen_strdup(ctx->gen, args[3]);
		if (n == 3)
			hc->ver = px_gen_strdup(ctx->gen, args[4]);
	}
	if (!hc->meth || !hc->uri || !hc->ver)
		goto oom;
	return 0;
 oom:
	px_strfmt(err, "out of memory");
	return -1;
}

/* Appends "name: value\r\n" to the extra headers of <hc>, the name in
 * lower case as HAProxy sends it.
 */
static int add_send_hdr(struct px_cfg_ctx *ctx, struct px_httpchk *hc, const char *name,
                        const char *value, char **err)
{
	size_t old = hc->hdrs ? strlen(hc->hdrs) : 0, nl = strlen(name), vl = strlen(value);
	char *h;
	size_t i;

	if (!nl) {
		px_strfmt(err, "'hdr' expects a header name");
		return -1;
	}
	for (i = 0; i < nl; i++)
		if (!px_h1_tchar[(unsigned char)name[i]]) {
			px_strfmt(err, "invalid header name '%s'", name);
			return -1;
		}
	if (strpbrk(value, "\r\n")) {
		px_strfmt(err, "invalid value for header '%s' (CR or LF)", name);
		return -1;
	}
	h = px_gen_alloc(ctx->gen, old + nl + vl + 5);
	if (!h) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	if (old)
		memcpy(h, hc->hdrs, old);
	for (i = 0; i < nl; i++)
		h[old + i] = (name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i];
	memcpy(h + old + nl, ": ", 2);
	memcpy(h + old + nl + 2, value, vl);
	memcpy(h + old + nl + 2 + vl, "\r\n", 3);
	hc->hdrs = h;
	return 0;
}

/* http-check send [meth M] [uri U] [ver V] [hdr NAME VALUE]... [body S] */
static int http_check_send(char **args, int nargs, struct px_cfg_ctx *ctx,
                           struct px_httpchk *hc, char **err)
{
	static const char *const opts[] = { "meth", "uri", "ver", "hdr", "body" };
	const char *near;
	int a;

	if (hc->send_owner == ctx->px) {
		px_strfmt(err, "only one 'http-check send' line per section is supported");
		return -1;
	}
	/* The section's own line replaces the inherited one entirely. */
	hc->send_meth = hc->send_uri = hc->send_ver = NULL;
	hc->hdrs = hc->body = NULL;
	for (a = 2; a < nargs; a++) {
		const char **dst = NULL;

		if (!strcmp(args[a], "meth"))
			dst = &hc->send_meth;
		else if (!strcmp(args[a], "uri"))
			dst = &hc->send_uri;
		else if (!strcmp(args[a], "ver"))
			dst = &hc->send_ver;
		if (dst || !strcmp(args[a], "body")) {
			if (a + 1 >= nargs || !*args[a + 1]) {
				px_strfmt(err, "'%s' expects a value", args[a]);
				return -1;
			}
			if (dst)
				*dst = px_gen_strdup(ctx->gen, args[a + 1]);
			else
				hc->body = px_gen_strdup(ctx->gen, args[a + 1]);
			if (dst ? !*dst : !hc->body) {
				px_strfmt(err, "out of memory");
				return -1;
			}
			a++;
			continue;
		}
		if (!strcmp(args[a], "hdr")) {
			if (a + 2 >= nargs) {
				px_strfmt(err, "'hdr' expects a name and a value");
				return -1;
			}
			if (add_send_hdr(ctx, hc, args[a + 1], args[a + 2], err) < 0)
				return -1;
			a += 2;
			continue;
		}
		near = px_closest(args[a], opts, PX_ARRAY_SIZE(opts));
		if (near)
			px_strfmt(err, "unknown 'send' option '%s' (did you mean '%s'?)",
			          args[a], near);
		else
			px_strfmt(err, "unknown 'send' option '%s' (expects meth, uri, ver, hdr "
			          "or body)", args[a]);
		return -1;
	}
	hc->send_owner = ctx->px;
	return 0;
}

/* Parses "CODE[-CODE][,CODE[-CODE]]..." into <hc>. */
static int parse_ranges(struct px_cfg_ctx *ctx, struct px_httpchk *hc, const char *list,
                        char **err)
{
	const char *p = list;
	uint16_t n = 1, i = 0;

	for (; *p; p++)
		n += *p == ',';
	hc->ranges = px_gen_alloc(ctx->gen, n * sizeof(*hc->ranges));
	if (!hc->ranges) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	for (p = list; i < n; i++) {
		unsigned long lo, hi;
		char *end;

		if (*p < '0' || *p > '9')
			goto bad;
		lo = strtoul(p, &end, 10);
		hi = lo;
		if (*end == '-') {
			p = end + 1;
			if (*p < '0' || *p > '9')
				goto bad;
			hi = strtoul(p, &end, 10);
		}
		if (lo > 999 || hi > 999 || lo > hi || (*end && *end != ','))
			goto bad;
		hc->ranges[i].lo = (uint16_t)lo;
		hc->ranges[i].hi = (uint16_t)hi;
		p = *end ? end + 1 : end;
	}
	hc->nranges = n;
	return 0;
 bad:
	px_strfmt(err, "invalid status list '%s' (codes and ranges separated by commas, "
	          "such as 200,300-399)", list);
	return -1;
}

/* http-check expect [!] status CODES | rstatus REGEX | string TEXT |
 * rstring REGEX
 */
static int http_check_expect(char **args, int nargs, struct px_cfg_ctx *ctx,
                             struct px_httpchk *hc, char **err)
{
	static const char *const matches[] = { "status", "string", "rstatus", "rstring",
	                                        "hdr", "fhdr", "string-lf" };
	static const uint8_t kinds[] = { PX_EXP_STATUS, PX_EXP_STRING, PX_EXP_RSTATUS,
	                                 PX_EXP_RSTRING };
	size_t i;
	const char *kind, *near;
	int a = 2, negate = 0;

	if (hc->expect_owner == ctx->px) {
		px_strfmt(err, "only one 'http-check expect' rule per section is supported");
		return -1;
	}
	if (a < nargs && args[a][0] == '!') {
		negate = 1;
		if (args[a][1])
			args[a]++;
		else
			a++;
	}
	if (a >= nargs) {
		px_strfmt(err, "expects a match (status, rstatus, string or rstring) and a "
		          "pattern");
		return -1;
	}
	kind = args[a];
	for (i = 0; i < PX_ARRAY_SIZE(kinds); i++)
		if (!strcmp(kind, matches[i]))
			break;
	if (i == PX_ARRAY_SIZE(kinds)) {
		near = px_closest(kind, matches, PX_ARRAY_SIZE(matches));
		if (near && !strcmp(near, kind))
			px_strfmt(err, "'%s' is not supported (status, rstatus, string and "
			          "rstring are)", kind);
		else if (near)
			px_strfmt(err, "unknown match '%s' (did you mean '%s'?)", kind, near);
		else
			px_strfmt(err, "unknown match '%s' (expects status, rstatus, string or "
			          "rstring)", kind);
		return -1;
	}
	if (a + 2 != nargs) {
		px_strfmt(err, "'%s' expects one pattern%s", kind,
		          a + 2 < nargs ? " (escape spaces with '\\')" : "");
		return -1;
	}
	hc->negate = negate;
	hc->expect = kinds[i];
	switch (hc->expect) {
	case PX_EXP_STATUS:
		if (parse_ranges(ctx, hc, args[a + 1], err) < 0)
			return -1;
		break;
	case PX_EXP_STRING:
		hc->string = px_gen_strdup(ctx->gen, args[a + 1]);
		hc->string_len = strlen(args[a + 1]);
		if (!hc->string) {
			px_strfmt(err, "out of memory");
			return -1;
		}
		break;
	default:
		hc->re = px_regex_comp(ctx->gen, args[a + 1], 0, err);
		if (!hc->re)
			return -1;
		break;
	}
	hc->expect_owner = ctx->px;
	return 0;
}

static int kw_http_check(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_httpchk *hc;

	if (nargs < 2 || (strcmp(args[1], "send") && strcmp(args[1], "expect"))) {
		px_strfmt(err, "expects 'send' or 'expect'%s%s%s", nargs >= 2 ? " ('" : "",
		          nargs >= 2 ? args[1] : "", nargs >= 2 ? "' is not supported)" : "");
		return -1;
	}
	hc = own_httpchk(ctx);
	if (!hc) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	if (args[1][0] == 's')
		return http_check_send(args, nargs, ctx, hc, err);
	return http_check_expect(args, nargs, ctx, hc, err);
}

/* Builds the request of <hc>: the "http-check send" parts first, then
 * "option httpchk"'s, and the headers HAProxy adds (content-length for a
 * body or a POST/PUT, "connection: close" beyond HTTP/1.0).
 */
static int build_request(struct px_cfg_ctx *ctx, struct px_httpchk *hc)
{
	const char *meth = hc->send_meth ? hc->send_meth : hc->meth;
	const char *uri = hc->send_uri ? hc->send_uri : hc->uri;
	const char *ver = hc->send_ver ? hc->send_ver : hc->ver;
	size_t blen = hc->body ? strlen(hc->body) : 0;
	int need_cl = blen || !strcmp(meth, "POST") || !strcmp(meth, "PUT");
	int n;

	n = snprintf(NULL, 0, "%s %s %s\r\n%s%s%zu%s%s\r\n%s", meth, uri, ver,
	             hc->hdrs ? hc->hdrs : "", need_cl ? "content-length: " : "", blen,
	             need_cl ? "\r\n" : "",
	             strncmp(ver, "HTTP/1.0", 8) ? "connection: close\r\n" : "",
	             hc->body ? hc->body : "");
	hc->req = px_gen_alloc(ctx->gen, n + 1);
	if (!hc->req)
		return -1;
	/* The length digits appear only with the header: print in two steps. */
	n = snprintf(hc->req, n + 1, "%s %s %s\r\n%s", meth, uri, ver, hc->hdrs ? hc->hdrs : "");
	if (need_cl)
		n += sprintf(hc->req + n, "content-length: %zu\r\n", blen);
	if (strncmp(ver, "HTTP/1.0", 8))
		n += sprintf(hc->req + n, "connection: close\r\n");
	n += sprintf(hc->req + n, "\r\n%s", hc->body ? hc->body : "");
	hc->req_len = (uint32_t)n;
	return 0;
}

/* End of parsing for backend <be>: warns about rules that will not run
 * and prepares the HTTP check request.
 */
void px_check_finalize(struct px_cfg_ctx *ctx, struct px_proxy *be)
{
	struct px_httpchk *hc = be->httpchk;

	if (!hc)
		return;
	if (!hc->enabled) {
		if (hc->send_owner || hc->expect_owner)
			px_cfg_warn(ctx, "%s '%s' uses http-check rules without 'option "
			            "httpchk', so the rules are ignored", be->kind, be->id);
		return;
	}
	/* A defaults section's settings may serve several backends. */
	if (!hc->req && build_request(ctx, hc) < 0)
		px_cfg_error(ctx, "out of memory");
}

static const struct px_cfg_kw check_kws[] = {
	{ .name = "http-check", .sections = PX_SEC_BE, .parse = kw_http_check },
	{ 0 }
};

static struct px_cfg_kw_list check_kw_list = { .kws = check_kws };

__attribute__((constructor)) static void check_register(void)
{
	px_cfg_register(&check_kw_list);
}

/* --- server state ------------------------------------------------------------- */

static const char *const result_text[] = {
	[PX_CHK_NONE] = "Unknown",
	[PX_CHK_L4OK] = "Layer4 check passed",
	[PX_CHK_L4TOUT] = "Layer4 timeout",
	[PX_CHK_L4CON] = "Layer4 connection problem",
	[PX_CHK_SOCKERR] = "Socket error",
	[PX_CHK_L7OK] = "Layer7 check passed",
	[PX_CHK_L7TOUT] = "Layer7 timeout",
	[PX_CHK_L7RSP] = "Layer7 invalid response",
	[PX_CHK_L7STS] = "Layer7 wrong status",
	[PX_CHK_L6OK] = "Layer6 check passed",
	[PX_CHK_L6TOUT] = "Layer6 timeout",
	[PX_CHK_L6RSP] = "Layer6 invalid response",
};

/* HAProxy's words for a check result ("Layer4 timeout"...). */
const char *px_check_result_text(int result)
{
	if (result < 0 || result >= (int)PX_ARRAY_SIZE(result_text) || !result_text[result])
		return "Unknown";
	return result_text[result];
}

/* Appends to the message <msg> of <size> bytes, of which *<len> are used;
 * what does not fit is cut.
 */
static void __attribute__((format(printf, 4, 5)))
msg_add(char *msg, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= size - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len = *len + n < size - 1 ? *len + n : size - 1;
}

/* Logs the change of <srv> to its new state, in HAProxy's words, with
 * <moved> streams requeued (DOWN) or dequeued (UP): on stderr and to the
 * backend's loggers, DOWN at level alert and UP at level notice.
 */
static void log_transition(struct px_server *srv, uint32_t moved)
{
	struct px_check *chk = &srv->check;
	struct px_proxy *be = srv->be;
	int down = srv->state == PX_SRV_DOWN;
	char msg[1024];
	size_t len = 0;

	msg_add(msg, sizeof(msg), &len, "%sServer %s/%s is %s, reason: %s",
	        srv->backup ? "Backup " : "", be->id, srv->id, down ? "DOWN" : "UP",
	        result_text[chk->result]);
	if (chk->result == PX_CHK_L7OK || chk->result == PX_CHK_L7STS)
		msg_add(msg, sizeof(msg), &len, ", code: %u", chk->code);
	if (chk->info[0])
		msg_add(msg, sizeof(msg), &len, ", info: \"%s\"", chk->info);
	msg_add(msg, sizeof(msg), &len, ", check duration: %ums. %u active and %u backup "
	        "servers %s.%s", chk->duration, be->lbprm.srv_act, be->lbprm.srv_bck,
	        down ? "left" : "online",
	        be->lbprm.srv_bck && !be->lbprm.srv_act ? " Running on backup." : "");
	if (down)
		msg_add(msg, sizeof(msg), &len, " %u sessions active, %u requeued, %u remaining "
		        "in queue.", srv->cur_sess, moved, srv->nqueued);
	else
		msg_add(msg, sizeof(msg), &len, " %u sessions requeued, %u total in queue.",
		        moved, be->nqueued + srv->nqueued);
	px_warning("%s", msg);
	px_log_send(be->loggers, be->nloggers, down ? PX_LOG_ALERT : PX_LOG_NOTICE,
	            &chk->loop->now_tv, msg, len);
	if (down && !be->lbprm.srv_act && !be->lbprm.srv_bck) {
		len = 0;
		msg_add(msg, sizeof(msg), &len, "backend %s has no server available!", be->id);
		px_alert("backend '%s' has no server available!", be->id);
		px_log_send(be->loggers, be->nloggers, PX_LOG_EMERG, &chk->loop->now_tv, msg,
		            len);
	}
}

/* Counts one check result in the health of <srv>, HAProxy's way: from
 * rise on the server is UP; a success adds one (up to rise + fall - 1, and
 * straight to it when the server comes UP), a failure takes one while
 * above rise and drops to 0 (DOWN) otherwise. A server that was fully UP
 * thus goes DOWN after <fall> failures in a row, and a fully DOWN one comes
 * back after <rise> successes; servers start at <rise>, UP, so the first
 * failure after start-up marks them DOWN, as in HAProxy.
 */
static void count_result(struct px_server *srv, int ok)
{
	struct px_check *chk = &srv->check;
	uint32_t top = chk->rise + chk->fall - 1;
	uint32_t moved;

	px_counters_check(srv, ok);
	if (ok) {
		if (chk->health < top)
			chk->health++;
		if (srv->state != PX_SRV_DOWN || chk->health < chk->rise)
			return;
		chk->health = top;
		srv->state = PX_SRV_UP;
		px_srv_note_change(srv);
		px_lb_update(srv->be);
		moved = px_stream_queue_grab(srv);
		log_transition(srv, moved);
		return;
	}
	if (chk->health > chk->rise) {
		chk->health--;
		return;
	}
	chk->health = 0;
	if (srv->state == PX_SRV_DOWN)
		return;
	srv->state = PX_SRV_DOWN;
	px_srv_note_change(srv);
	srv->down_trans++;
	px_lb_update(srv->be);
	moved = px_stream_requeue_srv(srv);
	log_transition(srv, moved);
}

/* The interval before the next check, by HAProxy's rules: "downinter"
 * when fully DOWN, "fastinter" while changing state, "inter" otherwise.
 */
static uint32_t next_interval(const struct px_check *chk)
{
	if (!chk->health)
		return chk->downinter ? chk->downinter : chk->inter;
	if (chk->health < chk->rise + chk->fall - 1)
		return chk->fastinter ? chk->fastinter : chk->inter;
	return chk->inter;
}

/* --- probes ------------------------------------------------------------------- */

static void check_timer(struct px_timer *t);
static void probe_io(struct px_io *io, uint32_t events);

/* Closes the probe of <chk>; its memory goes after the event batch. */
static void probe_close(struct px_check *chk)
{
	struct px_probe *p = chk->probe;

	if (!p)
		return;
	chk->probe = NULL;
	if (p->ssl) {
		SSL_free(p->ssl);
		ERR_clear_error();
		p->ssl = NULL;
	}
	close(p->io.fd);
	p->io.fd = -1;
	p->io.fn = NULL;
	p->srv = NULL;
	px_buf_release(&p->buf);
	px_loop_defer(p->loop, free, p);
}

/* Ends the running check of <srv> with <result> (<code> and <info> as the
 * log line shows them), counts it and schedules the next one.
 */
static void check_done(struct px_server *srv, enum px_chk_result result, uint16_t code,
                       const char *info, size_t info_len)
{
	struct px_check *chk = &srv->check;
	struct px_loop *loop = chk->loop;
	uint64_t now = loop->now_ms, next;
	uint32_t ival;

	/* <info> may point into the probe's buffer: copied before closing. */
	if (info_len >= sizeof(chk->info))
		info_len = sizeof(chk->info) - 1;
	memcpy(chk->info, info ? info : "", info_len);
	chk->info[info_len] = 0;
	probe_close(chk);
	chk->result = result;
	chk->code = code;
	chk->duration = (uint32_t)(now - chk->t_start);
	count_result(srv, result == PX_CHK_L4OK || result == PX_CHK_L6OK ||
	                  result == PX_CHK_L7OK);
	/* Checks keep their cadence from their start; one that overran
	 * (a timeout) skips the slots it ate.
	 */
	ival = next_interval(chk);
	next = chk->t_start + ival;
	while (next <= now)
		next += ival;
	px_timer_set(loop, &chk->timer, next);
}

static void check_done_errno(struct px_server *srv, enum px_chk_result result, int err)
{
	const char *msg = strerror(err);

	check_done(srv, result, 0, msg, strlen(msg));
}

/* Starts a check of <srv>: a non-blocking connection to its check address,
 * with the deadline HAProxy uses: min("timeout connect", inter) to connect
 * and then "timeout check" when that is set, else inter for everything.
 */
static void probe_start(struct px_server *srv)
{
	struct px_check *chk = &srv->check;
	struct px_proxy *be = srv->be;
	struct px_loop *loop = chk->loop;
	struct px_probe *p;
	uint32_t limit = chk->inter;
	const struct px_source *src = srv->src.set ? &srv->src : &be->src;
	char *why = NULL;
	int fd;

	chk->t_start = loop->now_ms;
	if (be->to.check && be->to.connect && be->to.connect < limit)
		limit = be->to.connect;
	p = calloc(1, sizeof(*p));
	if (!p) {
		check_done_errno(srv, PX_CHK_SOCKERR, ENOMEM);
		return;
	}
	/* Checks go where the traffic goes: the server's namespace, and
	 * its source address (not the client's: a check has no client).
	 */
	fd = px_netns_socket(srv->netns, chk->addr.sa.sa_family,
	                     SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, &why);
	if (fd < 0) {
		int err = errno ? errno : EINVAL;

		free(why);
		free(p);
		check_done_errno(srv, PX_CHK_SOCKERR, err);
		return;
	}
	if (chk->addr.sa.sa_family != AF_UNIX)
		px_sock_nodelay(fd);
	if (src->set && src->family == chk->addr.sa.sa_family) {
		struct px_source own = *src;

		if (own.usesrc == PX_USESRC_CLIENTIP || own.usesrc == PX_USESRC_CLIENT)
			own.usesrc = PX_USESRC_NONE;
		if (px_source_bind(fd, &own, NULL, &why) < 0) {
			free(why);
			close(fd);
			free(p);
			check_done_errno(srv, PX_CHK_SOCKERR, EADDRNOTAVAIL);
			return;
		}
	}
	p->io.fd = fd;
	p->io.fn = probe_io;
	p->srv = srv;
	p->loop = loop;
	p->phase = PROBE_CONNECTING;
	chk->probe = p;
	if (connect(fd, &chk->addr.sa, chk->addrlen) < 0 && errno != EINPROGRESS) {
		check_done_errno(srv, PX_CHK_L4CON, errno);
		return;
	}
	if (px_io_add(loop, &p->io, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) < 0) {
		check_done_errno(srv, PX_CHK_SOCKERR, errno);
		return;
	}
	px_timer_set(loop, &chk->timer, loop->now_ms + limit);
}

/* Whether status <code> passes the expect rule of <hc>. */
static int status_matches(const struct px_httpchk *hc, uint16_t code)
{
	uint16_t i;

	for (i = 0; i < hc->nranges; i++)
		if (code >= hc->ranges[i].lo && code <= hc->ranges[i].hi)
			return 1;
	return 0;
}

/* Judges the response bytes of the probe of <srv>; <final> when no more
 * will come (closed, error or buffer full). Returns 1 when the check
 * ended, 0 when more bytes are needed.
 */
static int judge(struct px_server *srv, int final)
{
	const struct px_httpchk *hc = srv->be->httpchk;
	struct px_probe *p = srv->check.probe;
	const char *data = px_buf_data(&p->buf), *reason, *body;
	struct px_h1_hdr hdrs[CHK_MAXHDR];
	struct px_h1_msg m;
	uint32_t len = p->buf.len, blen;
	int r, ok;

	px_h1_msg_init(&m, 0, hdrs, CHK_MAXHDR);
	r = px_h1_parse(&m, data, len);
	if (r == -2 && !final)
		return 0;
	if (r < 0) {
		check_done(srv, PX_CHK_L7RSP, 0, NULL, 0);
		return 1;
	}
	reason = data + m.reason;
	body = data + r;
	blen = len - r;
	if ((hc->expect == PX_EXP_STRING || hc->expect == PX_EXP_RSTRING) && !final) {
		/* The body ends with the connection unless a length says. */
		uint64_t clen;
		uint16_t i;

		for (i = 0; i < m.nhdr; i++)
			if (px_strncaseeq(data + hdrs[i].n, hdrs[i].nl, "content-length") &&
			    !px_h1_parse_clen(data + hdrs[i].v, hdrs[i].vl, &clen))
				break;
		if (i == m.nhdr || blen < clen)
			return 0;
		blen = (uint32_t)clen;
	}
	switch (hc->expect) {
	case PX_EXP_STATUS:
		ok = status_matches(hc, m.status) != hc->negate;
		break;
	case PX_EXP_RSTATUS: {
		char code[8];
		int n = snprintf(code, sizeof(code), "%03u", m.status);

		ok = (px_regex_exec(hc->re, code, n) > 0) != hc->negate;
		break;
	}
	case PX_EXP_STRING:
	case PX_EXP_RSTRING:
		if (hc->expect == PX_EXP_STRING)
			ok = hc->string_len <= blen &&
			     memmem(body, blen, hc->string, hc->string_len);
		else
			ok = px_regex_exec(hc->re, body, blen) > 0;
		if (ok == hc->negate) {
			/* HAProxy's words for a body that does not do. */
			static const char nomatch[] = "HTTP content check did not match";
			static const char unwanted[] = "HTTP check matched unwanted content";

			check_done(srv, PX_CHK_L7RSP, 0, hc->negate ? unwanted : nomatch,
			           hc->negate ? sizeof(unwanted) - 1 : sizeof(nomatch) - 1);
			return 1;
		}
		ok = 1;
		break;
	default:
		ok = m.status >= 200 && m.status <= 399;
		break;
	}
	if (ok)
		check_done(srv, PX_CHK_L7OK, m.status, NULL, 0);
	else
		check_done(srv, PX_CHK_L7STS, m.status, reason, m.reason_len);
	return 1;
}

/* Checks go over TLS with "check-ssl", or when the server speaks TLS and
 * the checks go to its own address and port.
 */
static int probe_tls(const struct px_server *srv)
{
	const struct px_ssl_srv *ss = srv->ssl;

	return ss && ss->ctx && (ss->check_ssl ||
	                         (ss->enabled && !srv->check.port && !srv->check.addr_str));
}

/* The name a TLS check sends (check-sni, else verifyhost) and checks the
 * certificate against. Returns 0 when out of memory.
 */
static int probe_tls_names(const struct px_server *srv, SSL *ssl)
{
	const struct px_ssl_srv *ss = srv->ssl;
	const char *sni = ss->check_sni ? ss->check_sni : ss->verifyhost;
	const char *host = ss->verifyhost ? ss->verifyhost : ss->check_sni;

	if (sni && !SSL_set_tlsext_host_name(ssl, sni))
		return 0;
	if (host && ss->opts.verify == PX_SSL_VERIFY_REQUIRED && !SSL_set1_host(ssl, host))
		return 0;
	return 1;
}

/* OpenSSL's outcome as send()/recv() would say it (errno set). */
static ssize_t probe_ssl_ret(SSL *ssl, int r)
{
	int e = SSL_get_error(ssl, r);
	unsigned long q = ERR_peek_error();

	ERR_clear_error();
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		errno = EAGAIN;
		return -1;
	}
	if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && !q && !errno))
		return 0;
	if (e != SSL_ERROR_SYSCALL || !errno)
		errno = EPROTO;
	return -1;
}

static ssize_t probe_send(struct px_probe *p, const char *data, size_t len)
{
	int r;

	if (!p->ssl)
		return send(p->io.fd, data, len, MSG_NOSIGNAL);
	r = SSL_write(p->ssl, data, (int)len);
	return r > 0 ? r : probe_ssl_ret(p->ssl, r);
}

static ssize_t probe_recv(struct px_probe *p, char *data, size_t len)
{
	int r;

	if (!p->ssl)
		return recv(p->io.fd, data, len, 0);
	r = SSL_read(p->ssl, data, (int)len);
	return r > 0 ? r : probe_ssl_ret(p->ssl, r);
}

/* Reads what the server sent. Returns 1 when the check ended. */
static int probe_read(struct px_server *srv)
{
	struct px_probe *p = srv->check.probe;
	int err;

	if (!p->buf.area && px_buf_alloc(&p->buf) < 0) {
		check_done_errno(srv, PX_CHK_SOCKERR, ENOMEM);
		return 1;
	}
	for (;;) {
		ssize_t n;

		if (!px_buf_room(&p->buf))
			return judge(srv, 1);
		n = probe_recv(p, px_buf_tail(&p->buf), px_buf_room(&p->buf));
		if (n > 0) {
			p->buf.len += n;
			continue;
		}
		if (!n)
			return judge(srv, 1);
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return judge(srv, 0);
		err = errno;
		/* A reset after a complete response still counts it. */
		if (p->buf.len) {
			struct px_h1_hdr hdrs[CHK_MAXHDR];
			struct px_h1_msg m;

			px_h1_msg_init(&m, 0, hdrs, CHK_MAXHDR);
			if (px_h1_parse(&m, px_buf_data(&p->buf), p->buf.len) > 0)
				return judge(srv, 1);
		}
		check_done_errno(srv, PX_CHK_SOCKERR, err);
		return 1;
	}
}

static void probe_io(struct px_io *io, uint32_t events)
{
	struct px_probe *p = px_container_of(io, struct px_probe, io);
	struct px_server *srv = p->srv;
	struct px_check *chk = &srv->check;
	const struct px_httpchk *hc = srv->be->httpchk;

	if (p->phase == PROBE_CONNECTING) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr) {
			check_done_errno(srv, PX_CHK_L4CON, soerr);
			return;
		}
		if (!(events & EPOLLOUT))
			return;
		if (probe_tls(srv)) {
			p->ssl = SSL_new(srv->ssl->ctx);
			if (!p->ssl || !SSL_set_fd(p->ssl, io->fd)) {
				check_done_errno(srv, PX_CHK_SOCKERR, ENOMEM);
				return;
			}
			SSL_set_connect_state(p->ssl);
			if (!probe_tls_names(srv, p->ssl)) {
				check_done_errno(srv, PX_CHK_SOCKERR, ENOMEM);
				return;
			}
			p->phase = PROBE_HANDSHAKE;
		} else if (!hc || !hc->enabled) {
			check_done(srv, PX_CHK_L4OK, 0, NULL, 0);
			return;
		} else {
			p->phase = PROBE_SENDING;
		}
		if (srv->be->to.check)
			px_timer_set(p->loop, &chk->timer, p->loop->now_ms + srv->be->to.check);
	}
	if (p->phase == PROBE_HANDSHAKE) {
		int r = SSL_do_handshake(p->ssl);

		if (r != 1) {
			int e = SSL_get_error(p->ssl, r);

			ERR_clear_error();
			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
				static const char hs[] = "SSL handshake failure";

				check_done(srv, PX_CHK_L6RSP, 0, hs, sizeof(hs) - 1);
			}
			return;
		}
		if (!hc || !hc->enabled) {
			check_done(srv, PX_CHK_L6OK, 0, NULL, 0);
			return;
		}
		p->phase = PROBE_SENDING;
	}
	if (p->phase == PROBE_SENDING) {
		while (p->sent < hc->req_len) {
			ssize_t n = probe_send(p, hc->req + p->sent, hc->req_len - p->sent);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return;
			if (n < 0) {
				check_done_errno(srv, PX_CHK_SOCKERR, errno);
				return;
			}
			p->sent += n;
		}
		p->phase = PROBE_READING;
	}
	probe_read(srv);
}

/* The timer of a check: the deadline of the running probe (a timeout:
 * Layer4 before the connection is established, Layer7 after), or the time
 * to start the next one.
 */
static void check_timer(struct px_timer *t)
{
	struct px_check *chk = px_container_of(t, struct px_check, timer);
	struct px_server *srv = px_container_of(chk, struct px_server, check);

	if (chk->probe)
		check_done(srv, chk->probe->phase == PROBE_CONNECTING ? PX_CHK_L4TOUT :
		           chk->probe->phase == PROBE_HANDSHAKE ? PX_CHK_L6TOUT :
		           PX_CHK_L7TOUT, 0, NULL, 0);
	else
		probe_start(srv);
}

/* --- life cycle ------------------------------------------------------------- */

/* Prepares the check state of a server just declared. */
void px_check_init(struct px_server *srv)
{
	px_timer_init(&srv->check.timer, check_timer);
	srv->check.loop = NULL;
	srv->check.probe = NULL;
}

/* Stops the checks of <srv> (its generation retires or ends); the server
 * keeps its last state.
 */
void px_check_stop(struct px_server *srv)
{
	struct px_check *chk = &srv->check;

	if (!chk->loop)
		return;
	probe_close(chk);
	px_timer_del(chk->loop, &chk->timer);
	chk->loop = NULL;
}

/* Starts the checks of one server (put back to work, or added at run
 * time) on <loop>, its first check soon.
 */
void px_check_server_start(struct px_loop *loop, struct px_server *srv)
{
	struct px_check *chk = &srv->check;

	if (!loop || !chk->enabled || chk->loop)
		return;
	chk->loop = loop;
	if (!chk->health)
		chk->health = srv->state == PX_SRV_UP ? chk->rise : 0;
	px_timer_set(loop, &chk->timer, loop->now_ms + 100);
}

static void stop_gen(struct px_gen *gen)
{
	struct px_list *e;
	uint32_t i;

	px_list_for_each(e, &gen->proxies) {
		struct px_proxy *px = px_container_of(e, struct px_proxy, link);

		for (i = 0; i < px->nsrv; i++)
			px_check_stop(px->srv[i]);
	}
}

/* Starts the checks of the servers of <gen> on <loop> and stops those of
 * the running generation (px_gen_cur): call it just before publishing
 * <gen>. The first checks are spread over the shortest interval, as
 * HAProxy does, so that servers on one host are not probed all at once
 * and every server is checked soon after start-up.
 */
void px_check_start(struct px_loop *loop, struct px_gen *gen)
{
	struct px_list *e;
	uint32_t i, n = 0, k = 0, mininter = 0;

	if (px_gen_cur && px_gen_cur != gen)
		stop_gen(px_gen_cur);
	px_list_for_each(e, &gen->proxies) {
		struct px_proxy *px = px_container_of(e, struct px_proxy, link);

		for (i = 0; i < px->nsrv; i++) {
			struct px_server *srv = px->srv[i];

			if (!srv->check.enabled || srv->disabled)
				continue;
			n++;
			if (!mininter || srv->check.inter < mininter)
				mininter = srv->check.inter;
		}
	}
	px_list_for_each(e, &gen->proxies) {
		struct px_proxy *px = px_container_of(e, struct px_proxy, link);

		for (i = 0; i < px->nsrv; i++) {
			struct px_server *srv = px->srv[i];
			struct px_check *chk = &srv->check;

			if (!chk->enabled || srv->disabled || srv->chk_paused || chk->loop)
				continue;
			chk->loop = loop;
			/* Health carried over from the previous generation
			 * stays; others start UP, at <rise>, as HAProxy's.
			 */
			if (!srv->chk_inherited)
				chk->health = chk->rise;
			px_timer_set(loop, &chk->timer,
			             loop->now_ms + (uint64_t)mininter * k++ / n);
		}
	}
}
