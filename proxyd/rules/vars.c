/* Variables (see vars.h). A variable is a small pool object holding its
 * value inline; longer strings get their own allocation.
 */
#include <stdlib.h>
#include <string.h>
#include "core/pool.h"
#include "core/util.h"
#include "proto/sess-t.h"
#include "proto/stream-t.h"
#include "rules/rules.h"
#include "rules/vars.h"

#define INLINE_LEN 96

struct px_var {
	struct px_var *next;
	const char *name;
	struct px_smp smp;
	char *ext;                 /* malloc'd storage for long values */
	char data[INLINE_LEN];
};

static __thread struct px_pool var_pool = PX_POOL_INIT("var", sizeof(struct px_var));
static struct px_var *proc_vars;

/* Interned names live as long as the process: a handful per config. */
struct iname {
	struct iname *next;
	int scope;
	char name[];
};

static struct iname *names;

const char *px_var_intern(const char *text, size_t len, int *scope, char **err)
{
	static const char *const scopes[] = { "proc", "sess", "txn", "req", "res" };
	const char *dot = memchr(text, '.', len);
	struct iname *n;
	size_t i;
	int sc = -1;

	if (!dot) {
		px_strfmt(err, "variable '%.*s' has no scope (expected proc., sess., txn., "
		          "req. or res. before its name)", (int)len, text);
		return NULL;
	}
	for (i = 0; i < PX_ARRAY_SIZE(scopes); i++)
		if (strlen(scopes[i]) == (size_t)(dot - text) &&
		    !memcmp(scopes[i], text, dot - text))
			sc = (int)i;
	if (sc < 0) {
		px_strfmt(err, "unknown variable scope '%.*s' (proc, sess, txn, req or res)",
		          (int)(dot - text), text);
		return NULL;
	}
	if (dot + 1 == text + len) {
		px_strfmt(err, "empty variable name in '%.*s'", (int)len, text);
		return NULL;
	}
	for (i = dot + 1 - text; i < len; i++) {
		char c = text[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.')) {
			px_strfmt(err, "invalid character '%c' in variable name '%.*s'", c,
			          (int)len, text);
			return NULL;
		}
	}
	for (n = names; n; n = n->next)
		if (strlen(n->name) == len && !memcmp(n->name, text, len))
			break;
	if (!n) {
		n = malloc(sizeof(*n) + len + 1);
		if (!n) {
			px_strfmt(err, "out of memory");
			return NULL;
		}
		memcpy(n->name, text, len);
		n->name[len] = 0;
		n->scope = sc;
		n->next = names;
		names = n;
	}
	*scope = sc;
	return n->name;
}

/* During a dry run ("trace request"), process-wide variables are a copy:
 * the rules see their values, and what they set stays in the trace.
 */
static struct px_var *trace_proc_vars;

void px_var_trace_begin(void)
{
	struct px_var *v;

	for (v = proc_vars; v; v = v->next)
		px_var_set(&trace_proc_vars, v->name, &v->smp);
}

void px_var_trace_end(void)
{
	px_var_free_all(&trace_proc_vars);
}

struct px_var **px_var_list(int scope, struct px_smp_ctx *ctx)
{
	switch (scope) {
	case PX_VS_PROC:
		return px_trace_cur ? &trace_proc_vars : &proc_vars;
	case PX_VS_SESS:
		return ctx->sess ? &ctx->sess->vars : NULL;
	case PX_VS_REQ:
		/* req and res variables live during their own phase only. */
		return ctx->s && ctx->phase == PX_USE_REQ ? &ctx->s->vars : NULL;
	case PX_VS_RES:
		return ctx->s && ctx->phase == PX_USE_RES ? &ctx->s->vars : NULL;
	default:
		return ctx->s ? &ctx->s->vars : NULL;
	}
}

static struct px_var *find(struct px_var **list, const char *name)
{
	struct px_var *v;

	for (v = *list; v; v = v->next)
		if (v->name == name)
			return v;
	return NULL;
}

int px_var_set(struct px_var **list, const char *name, const struct px_smp *smp)
{
	struct px_var *v = find(list, name);

	if (!v) {
		v = px_pool_alloc(&var_pool);
		if (!v)
			return -1;
		v->name = name;
		v->ext = NULL;
		v->next = *list;
		*list = v;
	}
	v->smp = *smp;
	v->smp.flags = 0;
	if (smp->type == PX_SMP_STR || smp->type == PX_SMP_BIN) {
		char *dst = v->data;

		if (smp->u.str.len > INLINE_LEN) {
			char *p = realloc(v->ext, smp->u.str.len);

			if (!p) {
				v->smp.type = PX_SMP_STR;
				v->smp.u.str.len = 0;
				v->smp.u.str.p = v->data;
				return -1;
			}
			v->ext = dst = p;
		}
		memmove(dst, smp->u.str.p, smp->u.str.len);
		v->smp.u.str.p = dst;
	}
	return 0;
}

int px_var_get(struct px_var **list, const char *name, struct px_smp *smp)
{
	struct px_var *v = list ? find(list, name) : NULL;

	if (!v)
		return 0;
	*smp = v->smp;
	smp->flags = PX_SMPF_CONST;
	return 1;
}

void px_var_unset(struct px_var **list, const char *name)
{
	struct px_var **pv, *v;

	for (pv = list; (v = *pv); pv = &v->next)
		if (v->name == name) {
			*pv = v->next;
			free(v->ext);
			px_pool_free(&var_pool, v);
			return;
		}
}

void px_var_free_all(struct px_var **list)
{
	while (*list) {
		struct px_var *v = *list;

		*list = v->next;
		free(v->ext);
		px_pool_free(&var_pool, v);
	}
}
