/* The last invalid request and response of each proxy, for "show errors"
 * (as HAProxy keeps them): the bytes as received, where the parser
 * stopped, and who sent them. Kept by proxy name, so that they outlive
 * the generation (a commit or a reload) that saw them. Bounded: one of
 * each direction per proxy, at most a buffer's worth of bytes each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "admin/cli.h"
#include "admin/errcap.h"
#include "backend/server-t.h"
#include "cfg/cfg.h"
#include "cfg/proxy.h"
#include "core/ev.h"
#include "core/net.h"
#include "core/util.h"
#include "proto/sess-t.h"
#include "proto/stream-t.h"
#include "rules/rules.h"

struct errcap {
	struct errcap *next;
	char *proxy;                  /* the frontend (requests) or backend */
	int is_req;
	uint32_t puid;
	struct timeval when;
	uint64_t event;               /* process-wide event number */
	char src[80];                 /* client (requests) or server address */
	char other[128];              /* backend (requests) or frontend */
	char server[128];
	int32_t err_pos;              /* -1: somewhere in the head */
	char msg[128];
	char *data;
	uint32_t len;
};

static struct errcap *caps;
static uint64_t events;

static struct errcap *cap_slot(const char *proxy, int is_req)
{
	struct errcap *e;

	for (e = caps; e; e = e->next)
		if (e->is_req == is_req && !strcmp(e->proxy, proxy))
			return e;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->proxy = strdup(proxy))) {
		free(e);
		return NULL;
	}
	e->is_req = is_req;
	e->next = caps;
	caps = e;
	return e;
}

void px_errcap_add(const struct px_stream *s, int is_req, const char *data, uint32_t len,
                   int32_t err_pos, const char *msg)
{
	const struct px_proxy *px = is_req ? s->fe : s->be;
	struct errcap *e;
	char *copy;

	if (px_trace_cur || !px)
		return;
	e = cap_slot(px->id, is_req);
	if (!e)
		return;
	copy = malloc(len ? len : 1);
	if (!copy)
		return;
	memcpy(copy, data, len);
	free(e->data);
	e->data = copy;
	e->len = len;
	e->puid = px->uuid;
	e->when = s->sess->loop->now_tv;
	e->event = events++;
	e->err_pos = err_pos;
	snprintf(e->msg, sizeof(e->msg), "%s", msg ? msg : "");
	if (is_req) {
		char ip[64];

		px_addr_ip_str(&s->sess->src.sa, ip, sizeof(ip));
		snprintf(e->src, sizeof(e->src), "%s:%d", ip,
		         px_addr_port((const union px_sockaddr *)&s->sess->src));
		snprintf(e->other, sizeof(e->other), "%s", s->be ? s->be->id : "<NONE>");
		snprintf(e->server, sizeof(e->server), "%s", s->srv ? s->srv->id : "<NONE>");
	} else {
		char ip[64];

		if (s->srv) {
			px_addr_ip_str(&s->srv->addr.sa, ip, sizeof(ip));
			snprintf(e->src, sizeof(e->src), "%s:%d", ip, px_addr_port(&s->srv->addr));
		} else {
			snprintf(e->src, sizeof(e->src), "-");
		}
		snprintf(e->other, sizeof(e->other), "%s", s->fe->id);
		snprintf(e->server, sizeof(e->server), "%s", s->srv ? s->srv->id : "<NONE>");
	}
}

static void date_str(const struct timeval *tv, char *out, size_t size)
{
	struct tm tm;
	time_t t = tv->tv_sec;
	char d[48];

	localtime_r(&t, &tm);
	strftime(d, sizeof(d), "%d/%b/%Y:%H:%M:%S", &tm);
	snprintf(out, size, "%s.%03d", d, (int)(tv->tv_usec / 1000));
}

/* The bytes, escaped, a line per received line (or per 72 columns), each
 * starting with its offset, as HAProxy prints them.
 */
static void dump_bytes(struct px_cli_conn *c, const char *p, uint32_t len)
{
	uint32_t i = 0;

	while (i < len) {
		char line[400];
		size_t o = (size_t)snprintf(line, sizeof(line), "  %05u  ", i);
		size_t start = o;

		while (i < len && o - start < 72) {
			unsigned char ch = (unsigned char)p[i++];

			if (ch == '\r') {
				memcpy(line + o, "\\r", 2);
				o += 2;
			} else if (ch == '\n') {
				memcpy(line + o, "\\n", 2);
				o += 2;
				break;
			} else if (ch == '\t') {
				memcpy(line + o, "\\t", 2);
				o += 2;
			} else if (ch < 0x20 || ch >= 0x7f || ch == '\\') {
				o += (size_t)snprintf(line + o, sizeof(line) - o, ch == '\\' ? "\\\\" :
				                      "\\x%02x", ch);
			} else {
				line[o++] = (char)ch;
			}
		}
		line[o++] = '\n';
		px_cli_write(c, line, o);
	}
}

static int cmd_show_errors(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	const char *proxy = NULL;
	int dir = -1;   /* 1 requests, 0 responses, -1 both */
	struct timeval now;
	char when[64];
	struct errcap *e;
	int i, json = 0, n = 0;

	if (nargs > 2 && !strcmp(args[nargs - 1], "json")) {
		json = 1;
		px_cli_set_json(c, 1);
		nargs--;
	}
	for (i = 2; i < nargs; i++) {
		if (!strcmp(args[i], "request")) {
			dir = 1;
		} else if (!strcmp(args[i], "response")) {
			dir = 0;
		} else if (i == 2) {
			if (strcmp(args[i], "-1")) {
				if (!px_gen_cur || !px_proxy_find(px_gen_cur, args[i], PX_CAP_FE | PX_CAP_BE)) {
					px_cli_error(c, 404, "No such proxy.");
					return 0;
				}
				proxy = args[i];
			}
		} else {
			px_cli_error(c, 400, "'show errors' expects [<proxy>|-1] [request|response].");
			return 0;
		}
	}
	gettimeofday(&now, NULL);
	date_str(&now, when, sizeof(when));
	if (json)
		px_cli_printf(c, "{\"total\":%llu,\"captures\":[", (unsigned long long)events);
	else
		px_cli_printf(c, "Total events captured on [%s] : %llu\n", when,
		              (unsigned long long)events);
	for (e = caps; e; e = e->next) {
		if ((proxy && strcmp(proxy, e->proxy)) || (dir >= 0 && dir != e->is_req))
			continue;
		date_str(&e->when, when, sizeof(when));
		if (json) {
			px_cli_puts(c, n++ ? ",\n{\"proxy\":" : "\n{\"proxy\":");
			px_cli_json_str(c, e->proxy, strlen(e->proxy));
			px_cli_printf(c, ",\"id\":%u,\"direction\":\"%s\",\"date\":\"%s\","
			              "\"event\":%llu,\"src\":", e->puid,
			              e->is_req ? "request" : "response", when,
			              (unsigned long long)e->event);
			px_cli_json_str(c, e->src, strlen(e->src));
			px_cli_puts(c, e->is_req ? ",\"backend\":" : ",\"frontend\":");
			px_cli_json_str(c, e->other, strlen(e->other));
			px_cli_puts(c, ",\"server\":");
			px_cli_json_str(c, e->server, strlen(e->server));
			px_cli_printf(c, ",\"len\":%u,\"error_at\":%d,\"message\":", e->len,
			              e->err_pos);
			px_cli_json_str(c, e->msg, strlen(e->msg));
			px_cli_puts(c, ",\"data\":");
			px_cli_json_str(c, e->data, e->len);
			px_cli_puts(c, "}");
			continue;
		}
		px_cli_printf(c, "  \n[%s] %s %s (#%u): invalid %s\n", when,
		              e->is_req ? "frontend" : "backend", e->proxy, e->puid,
		              e->is_req ? "request" : "response");
		if (e->is_req)
			px_cli_printf(c, "  backend %s, server %s, event #%llu, src %s\n", e->other,
			              e->server, (unsigned long long)e->event, e->src);
		else
			px_cli_printf(c, "  frontend %s, server %s, event #%llu, src %s\n", e->other,
			              e->server, (unsigned long long)e->event, e->src);
		if (e->err_pos >= 0)
			px_cli_printf(c, "  len %u, error at position %d: %s\n", e->len, e->err_pos,
			              e->msg);
		else
			px_cli_printf(c, "  len %u, error in the head: %s\n", e->len, e->msg);
		px_cli_puts(c, "  \n");
		dump_bytes(c, e->data, e->len);
	}
	if (json)
		px_cli_puts(c, "]}\n");
	return 0;
}

static const struct px_cli_handler errcap_handlers[] = {
	{ "show errors", cmd_show_errors },
	{ NULL }
};

static struct px_cli_handler_list errcap_list = { .h = errcap_handlers };

__attribute__((constructor)) static void errcap_register(void)
{
	px_cli_register(&errcap_list);
}
