/* Command socket: listing sessions and closing them ("show sess",
 * "shutdown session", "shutdown sessions"), with filters HAProxy lacks:
 * frontend, backend, server, source network and age.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/ssl.h>
#include "admin/cli.h"
#include "backend/server.h"
#include "cfg/cfg.h"
#include "cfg/proxy.h"
#include "core/ev.h"
#include "core/net.h"
#include "core/util.h"
#include "proto/sess.h"
#include "proto/stream-t.h"

/* --- filters ----------------------------------------------------------------- */

struct sess_filter {
	const char *fe;                 /* frontend name, or NULL */
	const char *be;                 /* backend name, or NULL */
	struct px_server *srv;          /* server, or NULL */
	int family;                     /* AF_INET/AF_INET6 for "src", 0: none */
	uint8_t net[16];
	int bits;
	uint64_t older_ms;              /* "older SECONDS", 0: none */
	int any;                        /* at least one filter given */
};

/* Reads "ADDR[/BITS]". Returns 0 or -1. */
static int parse_cidr(const char *s, struct sess_filter *f)
{
	char ip[64];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t bits;
	int max;

	if (len >= sizeof(ip))
		return -1;
	memcpy(ip, s, len);
	ip[len] = '\0';
	if (inet_pton(AF_INET, ip, f->net) == 1) {
		f->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, ip, f->net) == 1) {
		f->family = AF_INET6;
		max = 128;
	} else {
		return -1;
	}
	if (!slash) {
		f->bits = max;
		return 0;
	}
	if (px_parse_uint(slash + 1, (uint64_t)max, &bits) < 0)
		return -1;
	f->bits = (int)bits;
	return 0;
}

static int src_matches(const struct sess_filter *f, const struct px_sess *sess)
{
	const uint8_t *a;
	int bits = f->bits, i;

	if (sess->src.sa.sa_family != f->family)
		return 0;
	a = f->family == AF_INET ? (const uint8_t *)&sess->src.in4.sin_addr :
	    (const uint8_t *)&sess->src.in6.sin6_addr;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (a[i] != f->net[i])
			return 0;
	if (bits && ((a[i] ^ f->net[i]) & (uint8_t)(0xff << (8 - bits))))
		return 0;
	return 1;
}

/* Reads filters from args[i..]. Returns 0, or -1 after answering the
 * error.
 */
static int parse_filters(struct px_cli_conn *c, char **args, int nargs, int i,
                         struct sess_filter *f)
{
	for (; i < nargs; i += 2) {
		const char *kw = args[i], *val = i + 1 < nargs ? args[i + 1] : NULL;
		uint64_t secs;
		char *err = NULL;

		if (strcmp(kw, "frontend") && strcmp(kw, "backend") && strcmp(kw, "server") &&
		    strcmp(kw, "src") && strcmp(kw, "older")) {
			px_cli_error(c, 400, "Unknown argument '%s' (expected a session id, 'all', "
			             "'json' or filters: frontend, backend, server, src, older).", kw);
			return -1;
		}
		if (!val) {
			px_cli_error(c, 400, "'%s' expects a value.", kw);
			return -1;
		}
		f->any = 1;
		if (!strcmp(kw, "frontend")) {
			if (!px_gen_cur || !px_proxy_find(px_gen_cur, val, PX_CAP_FE)) {
				px_cli_error(c, 404, "No such frontend.");
				return -1;
			}
			f->fe = val;
		} else if (!strcmp(kw, "backend")) {
			if (!px_gen_cur || !px_proxy_find(px_gen_cur, val, PX_CAP_BE)) {
				px_cli_error(c, 404, "No such backend.");
				return -1;
			}
			f->be = val;
		} else if (!strcmp(kw, "server")) {
			f->srv = px_server_find(px_gen_cur, val, &err);
			if (!f->srv) {
				px_cli_error(c, 404, "%s", err);
				free(err);
				return -1;
			}
		} else if (!strcmp(kw, "src")) {
			if (parse_cidr(val, f) < 0) {
				px_cli_error(c, 400, "'src' expects an address or a network "
				             "(ADDR/BITS), not '%s'.", val);
				return -1;
			}
		} else if (!strcmp(kw, "older")) {
			if (px_parse_uint(val, 100000000, &secs) < 0) {
				px_cli_error(c, 400, "'older' expects a number of seconds, not '%s'.",
				             val);
				return -1;
			}
			f->older_ms = secs * 1000;
		}
	}
	return 0;
}

static int filter_matches(const struct sess_filter *f, const struct px_sess *sess,
                          uint64_t now)
{
	const struct px_stream *s = sess->strm;

	if (f->fe && strcmp(sess->fe->id, f->fe))
		return 0;
	if (f->be && (!s || !s->be || strcmp(s->be->id, f->be)))
		return 0;
	/* A server of a generation that a reload replaced is the same server
	 * for the operator: compare names.
	 */
	if (f->srv && (!s || !s->srv || strcmp(s->srv->id, f->srv->id) ||
	               strcmp(s->srv->be->id, f->srv->be->id)))
		return 0;
	if (f->family && !src_matches(f, sess))
		return 0;
	if (f->older_ms && now - sess->accept_ms < f->older_ms)
		return 0;
	return 1;
}

/* --- show sess --------------------------------------------------------------- */

struct sess_ctx {
	struct px_sess_cursor cur;
	struct sess_filter f;
	int detail;                     /* "all": every session in full */
	int json;
	int count;                      /* sessions written (JSON commas) */
};

static const char *proto_of(const struct px_sess *sess)
{
	return sess->src.sa.sa_family == AF_INET6 ? "tcpv6" : "tcpv4";
}

static void src_str(const struct px_sess *sess, char *out, size_t size)
{
	char ip[64];

	px_addr_ip_str(&sess->src.sa, ip, sizeof(ip));
	snprintf(out, size, sess->src.sa.sa_family == AF_INET6 ? "[%s]:%d" : "%s:%d", ip,
	         px_addr_port((const union px_sockaddr *)&sess->src));
}

static const char *state_of(const struct px_sess *sess)
{
	const struct px_stream *s = sess->strm;

	if (sess->state == PX_SESS_LINGER)
		return "closing";
	if (!s)
		return sess->cli.ssl && (sess->cli.flags & PX_CF_SSL_HS) ? "handshake" : "idle";
	if (s->rq == PX_RQ_TUNNEL)
		return "tunnel";
	if (s->rq == PX_RQ_HDR)
		return "request";
	switch (s->scs) {
	case PX_SC_QUEUED:
		return "queued";
	case PX_SC_CONNECTING:
	case PX_SC_TURNAROUND:
		return "connecting";
	default:
		break;
	}
	if (s->rs == PX_RS_NONE || s->rs == PX_RS_HDR)
		return "waiting";
	return "response";
}

/* One line per session, HAProxy's first fields first (tools split it on
 * blanks and read "0x...:" as the id).
 */
static void sess_line(struct px_cli_conn *c, const struct px_sess *sess, uint64_t now)
{
	const struct px_stream *s = sess->strm;
	char src[80];

	src_str(sess, src, sizeof(src));
	px_cli_printf(c, "0x%llx: proto=%s src=%s fe=%s be=%s srv=%s ts=00 age=%llus "
	              "state=%s reqs=%u idle=%llus%s%s\n",
	              (unsigned long long)sess->id, proto_of(sess), src, sess->fe->id,
	              s && s->be ? s->be->id : "<NONE>", s && s->srv ? s->srv->id : "<none>",
	              (unsigned long long)((now - sess->accept_ms) / 1000), state_of(sess),
	              sess->nreq,
	              (unsigned long long)(s ? 0 : (now - sess->idle_ms) / 1000),
	              sess->cli.ssl ? " ssl=" : "",
	              sess->cli.ssl ? SSL_get_version(sess->cli.ssl) : "");
}

static void sess_json(struct px_cli_conn *c, const struct px_sess *sess, uint64_t now)
{
	const struct px_stream *s = sess->strm;
	char src[80], id[32];

	src_str(sess, src, sizeof(src));
	snprintf(id, sizeof(id), "0x%llx", (unsigned long long)sess->id);
	px_cli_puts(c, "{\"id\":");
	px_cli_json_str(c, id, strlen(id));
	px_cli_printf(c, ",\"proto\":\"%s\",\"src\":", proto_of(sess));
	px_cli_json_str(c, src, strlen(src));
	px_cli_puts(c, ",\"frontend\":");
	px_cli_json_str(c, sess->fe->id, strlen(sess->fe->id));
	px_cli_puts(c, ",\"backend\":");
	if (s && s->be)
		px_cli_json_str(c, s->be->id, strlen(s->be->id));
	else
		px_cli_puts(c, "null");
	px_cli_puts(c, ",\"server\":");
	if (s && s->srv)
		px_cli_json_str(c, s->srv->id, strlen(s->srv->id));
	else
		px_cli_puts(c, "null");
	px_cli_printf(c, ",\"age_ms\":%llu,\"state\":\"%s\",\"requests\":%u,\"tls\":%s}",
	              (unsigned long long)(now - sess->accept_ms), state_of(sess), sess->nreq,
	              sess->cli.ssl ? "true" : "false");
}

static const char *const rq_names[] = { "HDR", "BODY", "DONE", "TUNNEL", "CLOSED" };
static const char *const rs_names[] = { "NONE", "HDR", "BODY", "DONE", "TUNNEL", "CLOSED" };
static const char *const sc_names[] = { "NONE", "QUEUED", "TURNAROUND", "CONNECTING",
                                        "READY", "FAILED" };

static void sess_detail(struct px_cli_conn *c, const struct px_sess *sess, uint64_t now)
{
	const struct px_stream *s = sess->strm;
	char src[80], when[64];
	struct tm tm;
	time_t t = sess->accept_tv.tv_sec;

	src_str(sess, src, sizeof(src));
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S", &tm);
	px_cli_printf(c, "0x%llx: [%s.%03d] id=%llu proto=%s source=%s\n",
	              (unsigned long long)sess->id, when, (int)(sess->accept_tv.tv_usec / 1000),
	              (unsigned long long)sess->id, proto_of(sess), src);
	px_cli_printf(c, "  frontend=%s (id=%u mode=%s) state=%s age=%llums requests=%u\n",
	              sess->fe->id, sess->fe->uuid, sess->fe->mode == PX_MODE_HTTP ? "http" : "tcp",
	              state_of(sess), (unsigned long long)(now - sess->accept_ms), sess->nreq);
	if (sess->cli.ssl)
		px_cli_printf(c, "  tls: %s %s\n", SSL_get_version(sess->cli.ssl),
		              SSL_get_cipher_name(sess->cli.ssl));
	if (!s) {
		px_cli_printf(c, "  no exchange in progress (idle for %llums)\n",
		              (unsigned long long)(now - sess->idle_ms));
		return;
	}
	px_cli_printf(c, "  backend=%s server=%s connection=%s retries=%u\n",
	              s->be ? s->be->id : "<NONE>", s->srv ? s->srv->id : "<none>",
	              s->scs < PX_ARRAY_SIZE(sc_names) ? sc_names[s->scs] : "?", s->retries);
	px_cli_printf(c, "  request: state=%s bytes_in=%llu started=%llums ago\n",
	              s->rq < PX_ARRAY_SIZE(rq_names) ? rq_names[s->rq] : "?",
	              (unsigned long long)s->bytes_in,
	              (unsigned long long)(s->t_start ? now - s->t_start : 0));
	px_cli_printf(c, "  response: state=%s status=%u bytes_out=%llu\n",
	              s->rs < PX_ARRAY_SIZE(rs_names) ? rs_names[s->rs] : "?", s->status,
	              (unsigned long long)s->bytes_out);
	px_cli_puts(c, "  expires: client=");
	if (s->exp_cli)
		px_cli_printf(c, "%lldms", (long long)(s->exp_cli - now));
	else
		px_cli_puts(c, "never");
	px_cli_puts(c, " server=");
	if (s->exp_srv)
		px_cli_printf(c, "%lldms\n", (long long)(s->exp_srv - now));
	else
		px_cli_puts(c, "never\n");
}

static void sess_release(void *arg)
{
	struct sess_ctx *x = arg;

	px_sess_cursor_stop(&x->cur);
	free(x);
}

static int sess_dump(struct px_cli_conn *c)
{
	struct sess_ctx *x = px_cli_ctx(c);
	uint64_t now = px_cli_loop()->now_ms;
	struct px_sess *sess;

	while (!px_cli_full(c) && (sess = px_sess_cursor_next(&x->cur))) {
		if (!filter_matches(&x->f, sess, now))
			continue;
		if (x->json) {
			px_cli_puts(c, x->count ? ",\n" : "[\n");
			sess_json(c, sess, now);
		} else if (x->detail) {
			sess_detail(c, sess, now);
		} else {
			sess_line(c, sess, now);
		}
		x->count++;
	}
	if (px_cli_full(c))
		return 1;
	if (x->json)
		px_cli_puts(c, x->count ? "\n]\n" : "[]\n");
	return 0;
}

/* Reads "0xHEX" or a decimal id. Returns 0 or -1. */
static int parse_id(const char *s, uint64_t *id)
{
	char *end;

	errno = 0;
	if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2))
		*id = strtoull(s + 2, &end, 16);
	else
		*id = strtoull(s, &end, 10);
	return (*s && !*end && !errno && end != s) ? 0 : -1;
}

/* show sess [ID|all] [json] [FILTERS] */
static int cmd_show_sess(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct sess_ctx *x;
	int i = 2, json = 0;
	uint64_t id;

	/* "json" may come anywhere (scripts append it): taken out here;
	 * errors come in JSON too then.
	 */
	for (i = 2; i < nargs; i++)
		if (!strcmp(args[i], "json")) {
			px_cli_set_json(c, 1);
			memmove(args + i, args + i + 1, (size_t)(nargs - i - 1) * sizeof(*args));
			nargs--;
			json = 1;
			break;
		}
	i = 2;
	x = calloc(1, sizeof(*x));
	if (!x) {
		px_cli_error(c, 500, "Out of memory.");
		return 0;
	}
	if (i < nargs && !strcmp(args[i], "all")) {
		x->detail = 1;
		i++;
	} else if (i < nargs && (args[i][0] == '0' || (args[i][0] >= '1' && args[i][0] <= '9'))) {
		const struct px_sess *sess;

		free(x);
		if (parse_id(args[i], &id) < 0) {
			px_cli_error(c, 400, "Invalid session id '%s'.", args[i]);
			return 0;
		}
		sess = px_sess_by_id(id);
		if (!sess) {
			px_cli_error(c, 404, "No such session (use 'show sess').");
			return 0;
		}
		if (json) {
			sess_json(c, sess, px_cli_loop()->now_ms);
			px_cli_puts(c, "\n");
		} else {
			sess_detail(c, sess, px_cli_loop()->now_ms);
		}
		return 0;
	}
	x->json = json;
	if (parse_filters(c, args, nargs, i, &x->f) < 0) {
		free(x);
		return 0;
	}
	px_sess_cursor_start(&x->cur);
	return px_cli_dump(c, sess_dump, x, sess_release);
}

static int cmd_shutdown_session(struct px_cli_conn *c, char **args, int nargs,
                                const char *payload)
{
	struct px_sess *sess;
	uint64_t id;

	if (nargs != 3 || parse_id(args[2], &id) < 0) {
		px_cli_error(c, 400, "Session id expected.");
		return 0;
	}
	sess = px_sess_by_id(id);
	if (!sess) {
		px_cli_error(c, 404, "No such session (use 'show sess').");
		return 0;
	}
	px_sess_kill(sess);
	return 0;
}

/* shutdown sessions server B/S | FILTERS */
static int cmd_shutdown_sessions(struct px_cli_conn *c, char **args, int nargs,
                                 const char *payload)
{
	struct sess_filter f;
	struct px_sess_cursor cur;
	struct px_sess *sess;
	uint64_t now = px_cli_loop()->now_ms;
	uint32_t n = 0;
	int haproxy_form = nargs == 4 && !strcmp(args[2], "server");

	memset(&f, 0, sizeof(f));
	if (parse_filters(c, args, nargs, 2, &f) < 0)
		return 0;
	if (!f.any) {
		px_cli_error(c, 400, "'shutdown sessions' expects 'server <b>/<s>' or filters "
		             "(frontend, backend, server, src, older).");
		return 0;
	}
	px_sess_cursor_start(&cur);
	while ((sess = px_sess_cursor_next(&cur))) {
		if (!filter_matches(&f, sess, now))
			continue;
		px_sess_kill(sess);
		n++;
	}
	px_sess_cursor_stop(&cur);
	/* HAProxy answers nothing to its own form. */
	if (!haproxy_form)
		px_cli_printf(c, "%u session%s shut down.\n", n, n == 1 ? "" : "s");
	return 0;
}

static const struct px_cli_handler sessions_handlers[] = {
	{ "show sess", cmd_show_sess },
	{ "shutdown session", cmd_shutdown_session },
	{ "shutdown sessions", cmd_shutdown_sessions },
	{ NULL }
};

static struct px_cli_handler_list sessions_list = { .h = sessions_handlers };

__attribute__((constructor)) static void sessions_register(void)
{
	px_cli_register(&sessions_list);
}
