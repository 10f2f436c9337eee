/* Command socket: "trace request", a dry run of a request through the
 * rules. The request runs through the same code as real traffic (the
 * parser, the checks, every rule, use_backend, cookie persistence, the
 * rebuilt head) on a session that has no socket; no server is contacted
 * and no counter moves. For each rule the answer says whether its
 * condition held (with the value of each ACL it names), and what running
 * it changed in the head; then the backend, the server balancing would
 * pick, and the request as the server would receive it.
 *
 * Inside a transaction the dry run uses the transaction's configuration:
 * that is how an operator checks a rewrite before committing it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "admin/cli.h"
#include "backend/server-t.h"
#include "cfg/cfg.h"
#include "cfg/proxy.h"
#include "cfg/text.h"
#include "proto/hmsg.h"
#include "proto/http.h"
#include "rules/acl.h"
#include "rules/rules.h"
#include "rules/vars.h"

struct trace_ctx {
	struct px_trace t;              /* first: the callbacks get it back */
	struct px_cli_conn *c;
	const struct px_gen *gen;       /* whose rules run */
	char *before;                   /* the head before the running rule */
	size_t before_len;
};

/* The head as lines: the start line, then "Name: value" per field. */
static char *head_text(const struct px_hmsg *hm, size_t *len)
{
	size_t n = hm->sll[0] + hm->sll[1] + hm->sll[2] + 4, o = 0;
	uint32_t i;
	char *p;

	for (i = 0; i < hm->nhdr; i++)
		if (hm->hdr[i].nl)
			n += hm->hdr[i].nl + hm->hdr[i].vl + 3;
	p = malloc(n + 1);
	if (!p)
		return NULL;
	for (i = 0; i < 3; i++) {
		memcpy(p + o, hm->sl[i], hm->sll[i]);
		o += hm->sll[i];
		p[o++] = i < 2 ? ' ' : '\n';
	}
	for (i = 0; i < hm->nhdr; i++) {
		const struct px_hfield *f = &hm->hdr[i];

		if (!f->nl)
			continue;
		memcpy(p + o, f->n, f->nl);
		o += f->nl;
		p[o++] = ':';
		p[o++] = ' ';
		memcpy(p + o, f->v, f->vl);
		o += f->vl;
		p[o++] = '\n';
	}
	p[o] = '\0';
	*len = o;
	return p;
}

/* Whether line <l> (<ll> bytes) is in <text>, not counting those already
 * matched (<used> marks them).
 */
static int take_line(const char *text, size_t len, char *used, const char *l, size_t ll)
{
	size_t o = 0;

	while (o < len) {
		const char *eol = memchr(text + o, '\n', len - o);
		size_t n = eol ? (size_t)(eol - text - o) : len - o;

		if (!used[o] && n == ll && !memcmp(text + o, l, ll)) {
			used[o] = 1;
			return 1;
		}
		o += n + 1;
	}
	return 0;
}

/* Prints, marked with <mark>, the lines of <a> that <b> does not have
 * (each line of <b> matching once). Returns how many.
 */
static int diff_side(struct px_cli_conn *c, char mark, const char *a, size_t al,
                     const char *b, size_t bl, char *used)
{
	size_t o;
	int n_out = 0;

	memset(used, 0, bl + 1);
	for (o = 0; o < al;) {
		const char *eol = memchr(a + o, '\n', al - o);
		size_t n = eol ? (size_t)(eol - a - o) : al - o;

		if (!take_line(b, bl, used, a + o, n)) {
			px_cli_printf(c, "    %c %.*s\n", mark, (int)n, a + o);
			n_out++;
		}
		o += n + 1;
	}
	return n_out;
}

/* Prints the lines that left (-) and came (+) between two heads. */
static void print_diff(struct px_cli_conn *c, const char *a, size_t al, const char *b,
                       size_t bl)
{
	char *used = calloc((al > bl ? al : bl) + 1, 1);
	int changes;

	if (!used)
		return;
	changes = diff_side(c, '-', a, al, b, bl, used);
	changes += diff_side(c, '+', b, bl, a, al, used);
	if (!changes)
		px_cli_puts(c, "    (no change to the head)\n");
	free(used);
}

/* A rule as its configuration line is written (the parsed words lose the
 * backslashes and the spacing).
 */
static void rule_title(struct trace_ctx *x, const struct px_rule *r)
{
	struct px_cli_conn *c = x->c;
	const char *t = r->text ? r->text : "?";
	int pos = x->gen->text ? px_cfg_text_find(x->gen->text, r->lid) : -1;

	if (pos >= 0)
		t = x->gen->text->l[pos].text;
	while (*t == ' ' || *t == '\t')
		t++;
	px_cli_printf(c, "rule %u: %s\n", r->lid, t);
}

static void on_cond(struct px_trace *t, const struct px_rule *r, int matched,
                    struct px_smp_ctx *ctx)
{
	struct trace_ctx *x = (struct trace_ctx *)t;
	uint32_t i, j;

	rule_title(x, r);
	if (!r->cond) {
		px_cli_puts(x->c, "  no condition\n");
		return;
	}
	for (i = 0; i < r->cond->nsuites; i++) {
		const struct px_cond_suite *su = &r->cond->suites[i];

		for (j = 0; j < su->n; j++) {
			const struct px_acl *a = su->refs[j].acl;

			px_cli_printf(x->c, "  acl %s%s: %s\n", su->refs[j].neg ? "!" : "",
			              a->name ? a->name : "{ anonymous }",
			              px_acl_eval(a, ctx) ? "true" : "false");
		}
	}
	px_cli_printf(x->c, "  condition (%s): %s\n", r->cond->unless ? "unless" : "if",
	              matched ? "true: the rule runs" : "false: skipped");
}

static void on_before(struct px_trace *t, const struct px_rule *r, const struct px_hmsg *hm)
{
	struct trace_ctx *x = (struct trace_ctx *)t;

	free(x->before);
	x->before = hm ? head_text(hm, &x->before_len) : NULL;
}

static void on_after(struct px_trace *t, const struct px_rule *r, int ret,
                     const struct px_hmsg *hm)
{
	struct trace_ctx *x = (struct trace_ctx *)t;
	static const char *const outcome[] = {
		"", "stops the rules of this list", "answers the request itself",
		"fails: the request would get 500",
	};
	size_t al;
	char *after;

	if (ret > 0 && ret < 4)
		px_cli_printf(x->c, "  it %s\n", outcome[ret]);
	if (!hm || !x->before)
		return;
	after = head_text(hm, &al);
	if (after)
		print_diff(x->c, x->before, x->before_len, after, al);
	free(after);
	free(x->before);
	x->before = NULL;
}

static void on_backend(struct px_trace *t, const struct px_rule *r, const struct px_proxy *be)
{
	struct trace_ctx *x = (struct trace_ctx *)t;

	if (r)
		px_cli_printf(x->c, "  use_backend: %s\n", be ? be->id : "(none)");
	else
		px_cli_printf(x->c, "default_backend: %s\n", be ? be->id : "(none)");
}

/* Prints <p> (<len> bytes, CRLF lines) indented, one line each. */
static void print_message(struct px_cli_conn *c, const char *p, size_t len)
{
	size_t o = 0;

	while (o < len) {
		const char *eol = memchr(p + o, '\n', len - o);
		size_t n = eol ? (size_t)(eol - p - o) : len - o;
		size_t shown = n && p[o + n - 1] == '\r' ? n - 1 : n;

		if (!shown && eol) {
			/* The end of the head: the body follows, if any. */
			o += n + 1;
			if (o < len)
				px_cli_printf(c, "  (body: %zu bytes)\n", len - o);
			return;
		}
		px_cli_printf(c, "  %.*s\n", (int)shown, p + o);
		o += n + 1;
	}
}

static void on_done(void *arg, const struct px_trace_result *r)
{
	struct px_cli_conn *c = arg;

	if (r->local) {
		px_cli_printf(c, "result: proxyd answers %u itself%s\n", r->status,
		              r->be ? "" : " (no backend chosen)");
		if (r->resp && r->resp_len) {
			px_cli_puts(c, "response:\n");
			print_message(c, r->resp, r->resp_len);
		}
		return;
	}
	px_cli_printf(c, "backend: %s\n", r->be ? r->be->id : "(none)");
	if (r->srv)
		px_cli_printf(c, "server: %s (%s)\n", r->srv->id, r->srv_how);
	else
		px_cli_printf(c, "server: none (%s)\n", r->srv_how ? r->srv_how : "no backend");
	px_cli_puts(c, "request to the server:\n");
	print_message(c, r->req, r->req_len);
}

/* The payload's lines as an HTTP head: CRLF line ends, and the empty line
 * that ends a head (the payload's own end took it).
 */
static char *payload_head(const char *p, size_t *len)
{
	size_t n = strlen(p), o = 0, i;
	char *out = malloc(n * 2 + 4);

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		if (p[i] == '\r')
			continue;
		if (p[i] == '\n')
			out[o++] = '\r';
		out[o++] = p[i];
	}
	if (o && out[o - 1] != '\n') {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	out[o++] = '\r';
	out[o++] = '\n';
	*len = o;
	return out;
}

/* The transaction's configuration, when one is open (see liverules.c). */
struct px_gen *px_txn_gen(struct px_cli_conn *c);

/* trace request [FRONTEND] << */
static int cmd_trace(struct px_cli_conn *c, char **args, int nargs, const char *payload)
{
	struct trace_ctx x;
	struct px_gen *gen;
	struct px_proxy *fe = NULL;
	struct px_list *e;
	char *head, *err = NULL;
	size_t len;

	if (!payload || !*payload) {
		px_cli_error(c, 400, "'trace request' expects the request as a payload: "
		             "'trace request [frontend] <<', its lines, then an empty line.");
		return 0;
	}
	gen = px_txn_gen(c);
	if (!gen)
		return 0;   /* the transaction's text did not parse: said */
	if (nargs > 2) {
		fe = px_proxy_find(gen, args[2], PX_CAP_FE);
		if (!fe || fe->mode != PX_MODE_HTTP) {
			px_cli_error(c, 404, "No HTTP frontend '%s'.", args[2]);
			px_gen_unref(gen);
			return 0;
		}
	} else {
		px_list_for_each(e, &gen->proxies) {
			struct px_proxy *px = px_container_of(e, struct px_proxy, link);

			if ((px->cap & PX_CAP_FE) && px->mode == PX_MODE_HTTP) {
				fe = px;
				break;
			}
		}
		if (!fe) {
			px_cli_error(c, 404, "No HTTP frontend to trace the request through.");
			px_gen_unref(gen);
			return 0;
		}
	}
	head = payload_head(payload, &len);
	if (!head) {
		px_cli_error(c, 500, "Out of memory.");
		px_gen_unref(gen);
		return 0;
	}
	memset(&x, 0, sizeof(x));
	x.t.cond = on_cond;
	x.t.before = on_before;
	x.t.after = on_after;
	x.t.backend = on_backend;
	x.c = c;
	x.gen = gen;
	px_cli_printf(c, "frontend: %s (%s)\n", fe->id,
	              gen == px_gen_cur ? "running configuration" :
	              "configuration of the open transaction");
	px_var_trace_begin();
	px_trace_cur = &x.t;
	if (px_http_trace(gen, fe, head, len, on_done, c, &err) < 0) {
		px_cli_error(c, 400, "The request cannot be traced: %s.", err);
		free(err);
	}
	px_trace_cur = NULL;
	px_var_trace_end();
	free(x.before);
	free(head);
	px_gen_unref(gen);
	return 0;
}

static const struct px_cli_handler trace_handlers[] = {
	{ "trace request", cmd_trace },
	{ NULL }
};

static struct px_cli_handler_list trace_list = { .h = trace_handlers };

__attribute__((constructor)) static void trace_register(void)
{
	px_cli_register(&trace_list);
}
