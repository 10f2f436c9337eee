/* Applets: Lua code that answers by itself. HTTP services ("use-service
 * lua.NAME": the applet object, whose response becomes the stream's local
 * response) and command socket commands (core.register_cli), with the
 * socket's own Lua commands: "show lua" and "lua reload".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "admin/cli.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/util.h"
#include "proto/errors.h"
#include "proto/h1.h"
#include "proto/hmsg.h"
#include "proto/sess-t.h"
#include "proto/stream.h"
#include "proto/stream-t.h"
#include "rules/rules.h"
#include "rules/sample.h"
#include "script/hlua.h"
#include "script/hlua-int.h"

#define MT_APPLET "proxyd.applet.http"
#define MT_CLI    "proxyd.applet.cli"

/* What a service answers, gathered until it returns. */
struct lua_applet {
	struct px_lua_call *c;     /* NULL once the call ended */
	int status;
	char *reason;
	char *out;                 /* body sent so far */
	size_t len, cap;
	size_t body_off;           /* request body bytes read */
	char *hdrs;                /* response header lines */
	size_t hlen;
	int ref;                   /* anchors the userdata while the call runs */
	unsigned long long clen;   /* Content-Length the service gave */
	int clen_set;
	int started;               /* start_response() was called */
};

/* The largest answer a service may build (head and body). */
static size_t applet_max(void)
{
	return 2 * (size_t)px_bufsize - 256;
}

/* The applet is a userdata, anchored in the registry while its call
 * runs; when the call ends, what it gathered is freed and the object
 * stops working.
 */
void hl_applet_free(struct lua_applet *a)
{
	struct px_lua_call *c = a->c;

	a->c = NULL;
	free(a->out);
	a->out = NULL;
	free(a->reason);
	a->reason = NULL;
	free(a->hdrs);
	a->hdrs = NULL;
	if (c && c->inst)
		luaL_unref(c->inst->L, LUA_REGISTRYINDEX, a->ref);
}

static struct lua_applet *check_applet(lua_State *L)
{
	struct lua_applet *a = luaL_checkudata(L, 1, MT_APPLET);

	if (!a->c)
		luaL_error(L, "this applet's request is over");
	return a;
}

static int applet_set_status(lua_State *L)
{
	struct lua_applet *a = check_applet(L);
	lua_Integer st = luaL_checkinteger(L, 2);
	size_t rl = 0;
	const char *reason = luaL_optlstring(L, 3, NULL, &rl);

	if (st < 200 || st > 599)
		return luaL_error(L, "invalid status %d (200 to 599)", (int)st);
	if (reason && !px_rules_value_ok(reason, rl))
		return luaL_error(L, "invalid reason (CR, LF or NUL)");
	a->status = (int)st;
	free(a->reason);
	a->reason = reason ? strndup(reason, rl) : NULL;
	return 0;
}

/* Response headers are written out as they come ("name: value\r\n"),
 * except the framing ones, which proxyd sets itself.
 */
static int applet_add_header(lua_State *L)
{
	struct lua_applet *a = check_applet(L);
	size_t nl, vl, i;
	const char *n = luaL_checklstring(L, 2, &nl);
	const char *v = luaL_checklstring(L, 3, &vl);
	char *p;

	if (a->started)
		return luaL_error(L, "add_header after start_response");
	for (i = 0; i < nl; i++)
		if (!px_h1_tchar[(unsigned char)n[i]])
			return luaL_error(L, "invalid header name '%s'", n);
	if (!nl || !px_rules_value_ok(v, vl))
		return luaL_error(L, "invalid header '%s'", n);
	if (nl == 14 && !strncasecmp(n, "content-length", 14)) {
		/* Kept for HEAD (the length a GET would get); otherwise the
		 * length of what the service sends.
		 */
		char *end;
		unsigned long long cl = strtoull(v, &end, 10);

		if (vl && *end == 0 && v[0] >= '0' && v[0] <= '9') {
			a->clen = cl;
			a->clen_set = 1;
		}
		return 0;
	}
	if ((nl == 17 && !strncasecmp(n, "transfer-encoding", 17)) ||
	    (nl == 10 && !strncasecmp(n, "connection", 10)))
		return 0;
	if (a->hlen + nl + vl + 4 > applet_max())
		return luaL_error(L, "too many response headers");
	p = realloc(a->hdrs, a->hlen + nl + vl + 4);
	if (!p)
		return luaL_error(L, "out of memory");
	a->hdrs = p;
	memcpy(p + a->hlen, n, nl);
	memcpy(p + a->hlen + nl, ": ", 2);
	memcpy(p + a->hlen + nl + 2, v, vl);
	memcpy(p + a->hlen + nl + 2 + vl, "\r\n", 2);
	a->hlen += nl + vl + 4;
	return 0;
}

static int applet_start_response(lua_State *L)
{
	struct lua_applet *a = check_applet(L);

	a->started = 1;
	return 0;
}

static int applet_send(lua_State *L)
{
	struct lua_applet *a = check_applet(L);
	size_t n;
	const char *s = luaL_checklstring(L, 2, &n);

	a->started = 1;
	if (a->len + n > applet_max())
		return luaL_error(L, "the response is too large (a service answers at most %d "
		                  "bytes: twice tune.bufsize)", (int)applet_max());
	if (a->len + n > a->cap) {
		size_t cap = a->cap ? a->cap : 1024;
		char *p;

		while (cap < a->len + n)
			cap *= 2;
		p = realloc(a->out, cap);
		if (!p)
			return luaL_error(L, "out of memory");
		a->out = p;
		a->cap = cap;
	}
	memcpy(a->out + a->len, s, n);
	a->len += n;
	return 0;
}

/* The request body bytes in the client buffer not read yet (bodies with a
 * Content-Length that arrived with the head).
 */
static const char *body_avail(struct lua_applet *a, size_t *len)
{
	struct px_stream *s = a->c->s;
	struct px_buf *b = &s->sess->cli.buf;
	size_t have, total;

	*len = 0;
	if (s->req_body != PX_BODY_CLEN || b->len <= s->req.hdr_len)
		return NULL;
	have = b->len - s->req.hdr_len;
	total = (size_t)s->req_left;
	if (have > total)
		have = total;
	if (a->body_off >= have)
		return NULL;
	*len = have - a->body_off;
	return px_buf_data(b) + s->req.hdr_len + a->body_off;
}

/* Whether more of the body may still come into the buffer: a
 * Content-Length body not all there, from a client still sending, with
 * room left, and a call that may wait.
 */
static int body_may_grow(lua_State *L, struct lua_applet *a)
{
	struct px_stream *s = a->c->s;
	struct px_buf *b = &s->sess->cli.buf;
	size_t have = b->len > s->req.hdr_len ? b->len - s->req.hdr_len : 0;

	return s->req_body == PX_BODY_CLEN && have < s->req_left &&
	       !(s->sess->cli.flags & PX_CF_RD_EOF) && (!b->area || px_buf_room(b)) &&
	       a->c->yieldable && lua_isyieldable(L);
}

static int applet_receive(lua_State *L);
static int applet_getline(lua_State *L);

static int receive_k(lua_State *L, int status, lua_KContext k)
{
	(void)status;
	return k ? applet_getline(L) : applet_receive(L);
}

/* Waits for more body bytes: the stream reads while the call waits. */
static int wait_body(lua_State *L, struct lua_applet *a, int getline)
{
	a->c->wait = LW_BODY;
	return lua_yieldk(L, 0, getline, receive_k);
}

/* applet:receive([n]): n bytes (fewer only at the end of the body), or
 * the rest of the body.
 */
static int applet_receive(lua_State *L)
{
	struct lua_applet *a = check_applet(L);
	lua_Integer want = luaL_optinteger(L, 2, -1);
	struct px_stream *s = a->c->s;
	size_t len, left = s->req_body == PX_BODY_CLEN && s->req_left > a->body_off ?
	                   (size_t)s->req_left - a->body_off : 0;
	const char *p = body_avail(a, &len);

	if (want >= 0 && (size_t)want < left)
		left = (size_t)want;
	if (len < left && body_may_grow(L, a))
		return wait_body(L, a, 0);
	if (want >= 0 && (size_t)want < len)
		len = (size_t)want;
	lua_pushlstring(L, p ? p : "", len);
	a->body_off += len;
	return 1;
}

/* applet:getline(): up to a line feed included, or the rest of the body. */
static int applet_getline(lua_State *L)
{
	struct lua_applet *a = check_applet(L);
	size_t len;
	const char *p = body_avail(a, &len);
	const char *nl = p ? memchr(p, '\n', len) : NULL;

	if (!nl && body_may_grow(L, a))
		return wait_body(L, a, 1);
	if (nl)
		len = (size_t)(nl - p) + 1;
	lua_pushlstring(L, p ? p : "", len);
	a->body_off += len;
	return 1;
}

/* Fields (method, path, qs, version, headers) then methods. */
static int applet_index(lua_State *L)
{
	lua_getiuservalue(L, 1, 1);
	lua_pushvalue(L, 2);
	if (lua_rawget(L, -2) != LUA_TNIL)
		return 1;
	lua_pop(L, 2);
	lua_pushvalue(L, 2);
	lua_rawget(L, lua_upvalueindex(1));
	return 1;
}

/* Pushes the applet of service call <c> for its stream's request. */
int hl_applet_http_push(lua_State *L, struct px_lua_call *c)
{
	struct px_hmsg *hm = c->sctx ? c->sctx->req : NULL;
	struct lua_applet *a;
	const char *path, *q;
	uint32_t pl, ql;

	if (!hm)
		return -1;
	a = lua_newuserdatauv(L, sizeof(*a), 1);
	memset(a, 0, sizeof(*a));
	a->status = 200;
	luaL_setmetatable(L, MT_APPLET);
	lua_pushvalue(L, -1);
	a->ref = luaL_ref(L, LUA_REGISTRYINDEX);
	a->c = c;
	c->applet = a;
	lua_newtable(L);
	lua_pushlstring(L, hm->sl[PX_SL_METH], hm->sll[PX_SL_METH]);
	lua_setfield(L, -2, "method");
	px_hmsg_path(hm, &path, &pl);
	lua_pushlstring(L, path, pl);
	lua_setfield(L, -2, "path");
	if (px_hmsg_query(hm, &q, &ql))
		lua_pushlstring(L, q, ql);
	else
		lua_pushliteral(L, "");
	lua_setfield(L, -2, "qs");
	if (hm->sll[PX_SL_VER] > 5)
		lua_pushlstring(L, hm->sl[PX_SL_VER] + 5, hm->sll[PX_SL_VER] - 5);
	else
		lua_pushliteral(L, "1.1");
	lua_setfield(L, -2, "version");
	hl_push_headers(L, hm);
	lua_setfield(L, -2, "headers");
	lua_setiuservalue(L, -2, 1);
	return 0;
}

/* The service returned: its answer becomes the local response. */
enum px_act_ret hl_applet_http_finish(struct px_lua_call *c, struct px_stream *s,
                                       struct px_rules_run *run)
{
	struct lua_applet *a = c->applet;
	const char *reason = a->reason ? a->reason : px_http_reason(a->status);
	int keep = (s->rq == PX_RQ_DONE || (s->flags & PX_STF_REQ_WHOLE)) &&
	           !(s->flags & (PX_STF_REQ_CLOSE | PX_STF_UPGRADE));
	size_t body = (s->flags & PX_STF_HEAD) || a->status == 204 || a->status == 304 ? 0 : a->len;
	size_t size = a->hlen + body + strlen(reason) + 128, o;
	char *t = malloc(size);

	if (!t)
		return PX_ACT_ERR;
	o = (size_t)snprintf(t, size, "HTTP/1.1 %03d %s\r\n", a->status, reason);
	memcpy(t + o, a->hdrs ? a->hdrs : "", a->hlen);
	o += a->hlen;
	if (a->status != 204 && a->status != 304)
		o += (size_t)snprintf(t + o, size - o, "content-length: %llu\r\n",
		                      (s->flags & PX_STF_HEAD) && a->clen_set ? a->clen :
		                      (unsigned long long)a->len);
	if (!keep)
		o += (size_t)snprintf(t + o, size - o, "connection: close\r\n");
	else if (s->req.vmin == 0)
		o += (size_t)snprintf(t + o, size - o, "connection: keep-alive\r\n");
	memcpy(t + o, "\r\n", 2);
	o += 2;
	if (body)
		memcpy(t + o, a->out, body);
	o += body;
	if (o > applet_max()) {
		free(t);
		px_warning("Lua service '%s': the response is too large (%zu bytes, at most %zu)",
		           c->name ? c->name->name : "?", o, applet_max());
		return PX_ACT_ERR;
	}
	px_stream_local_dyn(s, a->status, 'L', run->dir == PX_USE_RES ? 'H' : 'R', t, (uint32_t)o,
	                    keep);
	free(t);
	return PX_ACT_DONE;
}

/* --- command socket ---------------------------------------------------------- */

/* The applet of a core.register_cli command: output goes straight to the
 * socket connection.
 */
struct lua_cli {
	struct px_lua_call *c;     /* NULL once the call ended */
	const char *payload;       /* text after "<<", read by getline/receive */
	size_t off;
};

static struct lua_cli *check_cli(lua_State *L)
{
	struct lua_cli *a = luaL_checkudata(L, 1, MT_CLI);

	if (!a->c || !a->c->cli)
		luaL_error(L, "this command is over");
	return a;
}

static int cli_send(lua_State *L)
{
	struct lua_cli *a = check_cli(L);
	size_t n;
	const char *s = luaL_checklstring(L, 2, &n);

	px_cli_write(a->c->cli, s, n);
	return 0;
}

static int cli_getline(lua_State *L)
{
	struct lua_cli *a = check_cli(L);
	const char *p = a->payload ? a->payload + a->off : "";
	const char *nl = strchr(p, '\n');
	size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);

	lua_pushlstring(L, p, len);
	a->off += len;
	return 1;
}

/* The Lua command whose words start <args>, the longest match. */
static struct lua_name *cli_find(char **args, int nargs, int *nwords)
{
	struct lua_name *n, *best = NULL;

	*nwords = 0;
	for (n = hl_names_first(); n; n = n->next) {
		const char *p = n->name;
		int i;

		if (n->kind != LK_CLI || !hl_reg_of(px_lua_cur, n))
			continue;
		for (i = 0; i < nargs; i++) {
			size_t wl = strlen(args[i]);

			if (strncmp(p, args[i], wl) || (p[wl] != ' ' && p[wl] != 0))
				break;
			p += wl;
			if (!*p) {
				i++;
				break;
			}
			p++;
		}
		if (!*p && i > *nwords) {
			best = n;
			*nwords = i;
		}
	}
	return best;
}

static int cli_ext_run(struct px_cli_conn *cc, char **args, int nargs, const char *payload)
{
	int nwords, st, nres = 0, i;
	struct lua_name *n = cli_find(args, nargs, &nwords);
	const struct lua_reg *reg;
	struct px_lua_call c = { 0 };
	struct lua_cli *a;

	if (!n)
		return -1;
	reg = hl_reg_of(px_lua_cur, n);
	if (hl_call_start(&c, px_lua_cur, LC_CLI, n) < 0) {
		px_cli_error(cc, 500, "out of memory");
		return 0;
	}
	c.cli = cc;
	n->calls++;
	lua_rawgeti(c.T, LUA_REGISTRYINDEX, reg->ref);
	a = lua_newuserdatauv(c.T, sizeof(*a), 0);
	a->c = &c;
	a->payload = payload;
	a->off = 0;
	luaL_setmetatable(c.T, MT_CLI);
	/* As HAProxy: every word of the command line, its own included. */
	for (i = 0; i < nargs; i++)
		lua_pushstring(c.T, args[i]);
	st = hl_call_run(&c, 1 + nargs, &nres);
	if (st != LUA_OK) {
		if (st == LUA_YIELD)
			lua_pushliteral(c.T, "a command cannot wait");
		px_cli_error(cc, 500, "Lua command '%s' failed: %s", n->name,
		             lua_tostring(c.T, -1) ? lua_tostring(c.T, -1) : "error");
		hl_call_error(&c, "runtime error: ");
	}
	a->c = NULL;
	hl_call_end(&c);
	return 0;
}

static void cli_ext_help(struct px_cli_conn *cc)
{
	struct lua_name *n;

	for (n = hl_names_first(); n; n = n->next) {
		const struct lua_reg *reg;
		char head[128];

		if (n->kind != LK_CLI || !(reg = hl_reg_of(px_lua_cur, n)))
			continue;
		snprintf(head, sizeof(head), "%s", n->name);
		px_cli_printf(cc, "  %-40s: %s (Lua)\n", head, reg->usage ? reg->usage : "");
	}
}

static const struct px_cli_ext lua_cli_ext = {
	.run = cli_ext_run,
	.help = cli_ext_help,
};

/* "show lua [json]" */
static int cmd_show_lua(struct px_cli_conn *cc, char **args, int nargs, const char *payload)
{
	struct px_lua_inst *in = px_lua_cur;
	int json = nargs == 3 && !strcmp(args[2], "json"), k, first = 1, ntasks = 0;
	struct lua_name *n;

	if (nargs > 3 || (nargs == 3 && !json)) {
		px_cli_error(cc, 400, "'show lua' expects nothing or 'json'");
		return 0;
	}
	if (json)
		px_cli_set_json(cc, 1);
	if (in) {
		const struct px_list *e;

		/* The tasks running now, started at load or later. */
		for (e = in->tasks.next; e != &in->tasks; e = e->next)
			ntasks++;
	}
	if (!in) {
		if (json)
			px_cli_puts(cc, "{\"loaded\":false}\n");
		else
			px_cli_puts(cc, "No Lua script is loaded.\n");
		return 0;
	}
	if (json) {
		px_cli_printf(cc, "{\"loaded\":true,\"instance\":%u,\"memory\":%zu,\"memory_peak\":%zu,"
		              "\"maxmem\":%zu,\"tasks\":%d,\"scripts\":[", in->id, in->mem, in->mem_peak,
		              in->maxmem, ntasks);
		for (k = 0; k < in->nsrc; k++) {
			if (k)
				px_cli_puts(cc, ",");
			px_cli_json_str(cc, in->src[k].path, strlen(in->src[k].path));
		}
		px_cli_puts(cc, "],\"functions\":[");
	} else {
		px_cli_printf(cc, "instance: %u\nmemory: %zu\nmemory_peak: %zu\nmaxmem: %zu\n"
		              "tasks: %d\n", in->id, in->mem, in->mem_peak, in->maxmem, ntasks);
		for (k = 0; k < in->nsrc; k++)
			px_cli_printf(cc, "script: %s\n", in->src[k].path);
		px_cli_printf(cc, "# %-9s %-24s %10s %8s %8s %8s %10s\n", "kind", "name", "calls",
		              "errors", "timeouts", "yields", "time_us");
	}
	for (n = hl_names_first(); n; n = n->next) {
		if (!hl_reg_of(in, n))
			continue;
		if (json) {
			px_cli_printf(cc, "%s{\"kind\":\"%s\",\"name\":", first ? "" : ",", hl_kind_names[n->kind]);
			px_cli_json_str(cc, n->name, strlen(n->name));
			px_cli_printf(cc, ",\"calls\":%llu,\"errors\":%llu,\"timeouts\":%llu,"
			              "\"yields\":%llu,\"time_us\":%llu}",
			              (unsigned long long)n->calls, (unsigned long long)n->errors,
			              (unsigned long long)n->timeouts, (unsigned long long)n->yields,
			              (unsigned long long)n->time_us);
		} else {
			px_cli_printf(cc, "  %-9s %-24s %10llu %8llu %8llu %8llu %10llu\n", hl_kind_names[n->kind],
			              n->name, (unsigned long long)n->calls,
			              (unsigned long long)n->errors, (unsigned long long)n->timeouts,
			              (unsigned long long)n->yields, (unsigned long long)n->time_us);
		}
		first = 0;
	}
	if (json)
		px_cli_puts(cc, "]}\n");
	return 0;
}

/* "lua reload [FILE]" */
static int cmd_lua_reload(struct px_cli_conn *cc, char **args, int nargs, const char *payload)
{
	char *err = NULL;

	if (nargs > 3) {
		px_cli_error(cc, 400, "'lua reload' expects at most a file name");
		return 0;
	}
	if (px_lua_reload(nargs == 3 ? args[2] : NULL, &err) < 0) {
		px_cli_error(cc, 409, "Lua reload refused, the running code stays: %s",
		             err ? err : "error");
		free(err);
		return 0;
	}
	px_cli_printf(cc, "Lua code reloaded (instance %u).\n", px_lua_cur->id);
	return 0;
}

static const struct px_cli_handler lua_handlers[] = {
	{ "show lua", cmd_show_lua },
	{ "lua reload", cmd_lua_reload },
	{ NULL }
};

static struct px_cli_handler_list lua_handler_list = { .h = lua_handlers };

__attribute__((constructor)) static void lua_cli_register(void)
{
	px_cli_register(&lua_handler_list);
	px_cli_ext = &lua_cli_ext;
}

static const luaL_Reg applet_methods[] = {
	{ "set_status", applet_set_status },
	{ "add_header", applet_add_header },
	{ "start_response", applet_start_response },
	{ "send", applet_send },
	{ "receive", applet_receive },
	{ "getline", applet_getline },
	{ NULL, NULL },
};

static const luaL_Reg cli_methods[] = {
	{ "send", cli_send },
	{ "getline", cli_getline },
	{ "receive", cli_getline },
	{ NULL, NULL },
};

void hl_applet_open(lua_State *L, struct px_lua_inst *in)
{
	(void)in;
	hl_new_class(L, MT_APPLET, applet_methods, applet_index);
	hl_new_class(L, MT_CLI, cli_methods, NULL);
}
