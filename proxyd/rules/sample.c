/* Sample expressions (see sample.h): keyword registries, the parser for
 * "fetch(args),conv(args),...", evaluation, casts between types, and the
 * per-thread scratch ring results are written to.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cfg/cfg.h"
#include "cfg/proxy.h"
#include "core/util.h"
#include "proto/hmsg.h"
#include "rules/regex.h"
#include "rules/sample.h"
#include "script/hlua.h"

static struct px_fetch_kw_list *fetch_lists;
static struct px_conv_kw_list *conv_lists;

void px_smp_register_fetches(struct px_fetch_kw_list *list)
{
	list->next = fetch_lists;
	fetch_lists = list;
}

void px_smp_register_convs(struct px_conv_kw_list *list)
{
	list->next = conv_lists;
	conv_lists = list;
}

const struct px_fetch_kw *px_fetch_find(const char *name, size_t len)
{
	const struct px_fetch_kw_list *l;
	const struct px_fetch_kw *k;

	if (len > 4 && !memcmp(name, "lua.", 4))
		return px_lua_fetch_find(name, len);
	for (l = fetch_lists; l; l = l->next)
		for (k = l->kws; k->name; k++)
			if (strlen(k->name) == len && !memcmp(k->name, name, len))
				return k;
	return NULL;
}

const struct px_conv_kw *px_conv_find(const char *name, size_t len)
{
	const struct px_conv_kw_list *l;
	const struct px_conv_kw *k;

	if (len > 4 && !memcmp(name, "lua.", 4))
		return px_lua_conv_find(name, len);
	for (l = conv_lists; l; l = l->next)
		for (k = l->kws; k->name; k++)
			if (strlen(k->name) == len && !memcmp(k->name, name, len))
				return k;
	return NULL;
}

/* Lua spells fetch and converter names with '_' for '.' (txn.f:req_hdr()
 * for req.hdr): the keyword whose name reads as <name> that way.
 */
static int lua_name_eq(const char *kw, const char *name)
{
	for (; *kw && *name; kw++, name++)
		if (*kw != *name && !(*kw == '.' && *name == '_'))
			return 0;
	return !*kw && !*name;
}

const struct px_fetch_kw *px_fetch_find_lua(const char *name)
{
	const struct px_fetch_kw_list *l;
	const struct px_fetch_kw *k;

	for (l = fetch_lists; l; l = l->next)
		for (k = l->kws; k->name; k++)
			if (lua_name_eq(k->name, name))
				return k;
	return NULL;
}

const struct px_conv_kw *px_conv_find_lua(const char *name)
{
	const struct px_conv_kw_list *l;
	const struct px_conv_kw *k;

	for (l = conv_lists; l; l = l->next)
		for (k = l->kws; k->name; k++)
			if (lua_name_eq(k->name, name))
				return k;
	return NULL;
}

/* The registered name closest to <word>, for "did you mean" hints. */
static const char *closest_kw(const char *word, int fetches)
{
	const char *names[512];
	int n = 0;

	if (fetches) {
		const struct px_fetch_kw_list *l;
		const struct px_fetch_kw *k;

		for (l = fetch_lists; l; l = l->next)
			for (k = l->kws; k->name && n < 512; k++)
				names[n++] = k->name;
	} else {
		const struct px_conv_kw_list *l;
		const struct px_conv_kw *k;

		for (l = conv_lists; l; l = l->next)
			for (k = l->kws; k->name && n < 512; k++)
				names[n++] = k->name;
	}
	return px_closest(word, names, n);
}

const char *px_smp_type_name(int type)
{
	static const char *const names[] = {
		[PX_SMP_BOOL] = "boolean", [PX_SMP_SINT] = "integer",
		[PX_SMP_IPV4] = "IPv4 address", [PX_SMP_IPV6] = "IPv6 address",
		[PX_SMP_STR] = "string", [PX_SMP_BIN] = "binary", [PX_SMP_ANY] = "any",
	};

	return type >= 0 && type <= PX_SMP_ANY ? names[type] : "?";
}

/* --- scratch ring ------------------------------------------------------ */

#define TRASH_RING 8
#define SCRATCH_SLOTS 4

static __thread char *trash_area[TRASH_RING];
static __thread char *scratch_area[SCRATCH_SLOTS];
static __thread unsigned trash_next;
static uint32_t trash_sz;

int px_trash_setup(uint32_t size)
{
	int i;

	for (i = 0; i < TRASH_RING + SCRATCH_SLOTS; i++) {
		char **a = i < TRASH_RING ? &trash_area[i] : &scratch_area[i - TRASH_RING];
		char *p = realloc(*a, size);

		if (!p)
			return -1;
		*a = p;
	}
	trash_sz = size;
	return 0;
}

char *px_scratch(int slot, uint32_t *size)
{
	*size = trash_sz;
	return scratch_area[slot];
}

char *px_trash(uint32_t *size)
{
	char *p = trash_area[trash_next];

	trash_next = (trash_next + 1) % TRASH_RING;
	if (size)
		*size = trash_sz;
	return p;
}

uint32_t px_trash_size(void)
{
	return trash_sz;
}

/* --- casts ----------------------------------------------------------------- */

static int str_to_sint(const char *p, uint32_t len, int64_t *out)
{
	uint32_t i = 0;
	int neg = 0;
	uint64_t v = 0, lim;

	if (i < len && (p[i] == '-' || p[i] == '+'))
		neg = p[i++] == '-';
	if (i >= len || p[i] < '0' || p[i] > '9')
		return 0;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
		if (v > (lim - (uint64_t)(p[i] - '0')) / 10)
			return 0;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 1;
}

int px_smp_cast(struct px_smp *smp, int type)
{
	char buf[INET6_ADDRSTRLEN], *t;
	uint32_t tsz;

	if (type == PX_SMP_ANY || smp->type == type)
		return 1;
	switch (type) {
	case PX_SMP_BOOL:
	case PX_SMP_SINT:
		if (smp->type == PX_SMP_BOOL || smp->type == PX_SMP_SINT) {
			if (type == PX_SMP_BOOL)
				smp->u.sint = smp->u.sint != 0;
			smp->type = type;
			return 1;
		}
		if (smp->type == PX_SMP_STR || smp->type == PX_SMP_BIN) {
			int64_t v;

			/* As HAProxy: text that is no number counts as 0, an
			 * empty string has no value.
			 */
			if (!smp->u.str.len)
				return 0;
			if (!str_to_sint(smp->u.str.p, smp->u.str.len, &v))
				v = 0;
			smp->u.sint = type == PX_SMP_BOOL ? v != 0 : v;
			smp->type = type;
			smp->flags = 0;
			return 1;
		}
		if (smp->type == PX_SMP_IPV4 && type == PX_SMP_SINT) {
			smp->u.sint = ntohl(smp->u.v4.s_addr);
			smp->type = type;
			return 1;
		}
		return 0;
	case PX_SMP_STR:
	case PX_SMP_BIN:
		if (smp->type == PX_SMP_STR || smp->type == PX_SMP_BIN) {
			smp->type = type;
			return 1;
		}
		t = px_trash(&tsz);
		if (type == PX_SMP_BIN && smp->type != PX_SMP_STR) {
			/* As HAProxy: binary forms are the bytes themselves,
			 * integers as 8 bytes in network order.
			 */
			uint32_t n;

			if (smp->type == PX_SMP_IPV4) {
				memcpy(t, &smp->u.v4, n = 4);
			} else if (smp->type == PX_SMP_IPV6) {
				memcpy(t, &smp->u.v6, n = 16);
			} else {
				uint64_t v = (uint64_t)smp->u.sint;

				for (n = 0; n < 8; n++)
					t[n] = (char)(v >> (56 - 8 * n));
			}
			smp->u.str.p = t;
			smp->u.str.len = n;
			smp->type = type;
			smp->flags = 0;
			return 1;
		}
		if (smp->type == PX_SMP_BOOL || smp->type == PX_SMP_SINT) {
			int64_t v = smp->u.sint;
			uint32_t n = 0;

			if (v < 0) {
				t[n++] = '-';
				n += (uint32_t)px_utoa((uint64_t)0 - (uint64_t)v, t + n);
			} else {
				n = (uint32_t)px_utoa((uint64_t)v, t);
			}
			smp->u.str.p = t;
			smp->u.str.len = n;
		} else if (smp->type == PX_SMP_IPV4 || smp->type == PX_SMP_IPV6) {
			if (!inet_ntop(smp->type == PX_SMP_IPV4 ? AF_INET : AF_INET6,
			               smp->type == PX_SMP_IPV4 ? (void *)&smp->u.v4 : (void *)&smp->u.v6,
			               buf, sizeof(buf)))
				return 0;
			smp->u.str.len = (uint32_t)strlen(buf);
			memcpy(t, buf, smp->u.str.len);
			smp->u.str.p = t;
		} else {
			return 0;
		}
		smp->type = type;
		smp->flags = 0;
		return 1;
	case PX_SMP_IPV4:
	case PX_SMP_IPV6:
		if (smp->type == PX_SMP_STR) {
			uint32_t n = smp->u.str.len < sizeof(buf) - 1 ? smp->u.str.len : sizeof(buf) - 1;

			memcpy(buf, smp->u.str.p, n);
			buf[n] = 0;
			if (type == PX_SMP_IPV4 && inet_pton(AF_INET, buf, &smp->u.v4) == 1) {
				smp->type = type;
				return 1;
			}
			if (type == PX_SMP_IPV6 && inet_pton(AF_INET6, buf, &smp->u.v6) == 1) {
				smp->type = type;
				return 1;
			}
			return 0;
		}
		if (smp->type == PX_SMP_IPV4 && type == PX_SMP_IPV6) {
			struct in_addr a = smp->u.v4;

			memset(&smp->u.v6, 0, sizeof(smp->u.v6));
			smp->u.v6.s6_addr[10] = 0xff;
			smp->u.v6.s6_addr[11] = 0xff;
			memcpy(&smp->u.v6.s6_addr[12], &a, 4);
			smp->type = type;
			return 1;
		}
		if (smp->type == PX_SMP_IPV6 && type == PX_SMP_IPV4 &&
		    IN6_IS_ADDR_V4MAPPED(&smp->u.v6)) {
			struct in_addr a;

			memcpy(&a, &smp->u.v6.s6_addr[12], 4);
			smp->u.v4 = a;
			smp->type = type;
			return 1;
		}
		return 0;
	}
	return 0;
}

int px_smp_make_rw(struct px_smp *smp)
{
	uint32_t sz;
	char *t;

	if (!(smp->flags & PX_SMPF_CONST))
		return 1;
	t = px_trash(&sz);
	if (smp->u.str.len > sz)
		return 0;
	memcpy(t, smp->u.str.p, smp->u.str.len);
	smp->u.str.p = t;
	smp->flags &= ~PX_SMPF_CONST;
	return 1;
}

/* --- parsing ------------------------------------------------------------------- */

/* Backend names given to fetches, resolved when every proxy is known. */
struct be_ref {
	struct be_ref *next;
	struct px_arg *arg;
	char *file;
	int line;
};

static struct be_ref *be_refs;

/* Splits <text> at top-level commas into at most <max> arguments written
 * NUL-terminated to <out> (backslash escapes a character; quotes group).
 * Returns the number of arguments, or -1.
 */
static int split_args(const char *text, size_t len, char *out, char **argv, int max,
                      char **err)
{
	size_t i, o = 0;
	int n = 0;
	char quote = 0;

	if (!len)
		return 0;
	argv[n++] = out;
	for (i = 0; i < len; i++) {
		char c = text[i];

		/* A backslash protects a quote, a backslash, a comma or a
		 * parenthesis; before anything else it stays, so that "\1"
		 * reaches a regex replacement intact.
		 */
		if (c == '\\' && i + 1 < len && strchr("\"'\\,()", text[i + 1]) &&
		    (!quote || text[i + 1] == quote || text[i + 1] == '\\')) {
			out[o++] = text[++i];
			continue;
		}
		if (quote) {
			if (c == quote) {
				quote = 0;
				continue;
			}
			out[o++] = c;
			continue;
		}
		if (c == '"' || c == '\'') {
			quote = c;
			continue;
		}
		if (c == ',') {
			out[o++] = 0;
			if (n >= max) {
				px_strfmt(err, "too many arguments (%d at most)", max);
				return -1;
			}
			argv[n++] = out + o;
			continue;
		}
		out[o++] = c;
	}
	if (quote) {
		px_strfmt(err, "unterminated quote in arguments");
		return -1;
	}
	out[o] = 0;
	return n;
}

int px_args_parse(const char *kw, const char *spec, px_arg_check_fn check,
                  const char *text, size_t len, struct px_arg *args, int *nargs,
                  struct px_cfg_ctx *ctx, char **err)
{
	char *buf = malloc(len + 1), *argv[PX_SMP_MAX_ARGS + 1];
	int n, i, min = 0, max = 0, opt = 0;
	const char *sp;

	if (!buf) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	for (sp = spec; *sp; sp++) {
		if (*sp == '?') {
			opt = 1;
			continue;
		}
		max++;
		if (!opt)
			min++;
	}
	n = split_args(text, len, buf, argv, PX_SMP_MAX_ARGS, err);
	if (n < 0)
		goto fail;

	if (n < min || n > max) {
		if (!max)
			px_strfmt(err, "'%s' takes no argument", kw);
		else if (min == max)
			px_strfmt(err, "'%s' expects %d argument%s, %d given", kw, min,
			          min > 1 ? "s" : "", n);
		else
			px_strfmt(err, "'%s' expects %d to %d arguments, %d given", kw, min, max, n);
		goto fail;
	}
	memset(args, 0, sizeof(*args) * PX_SMP_MAX_ARGS);
	for (i = 0, sp = spec; i < n; i++, sp++) {
		char *a = argv[i];

		if (*sp == '?')
			sp++;
		switch (*sp) {
		case 'i': {
			int64_t v;

			if (!*a || !str_to_sint(a, (uint32_t)strlen(a), &v) ||
			    strspn(a + (*a == '-' || *a == '+'), "0123456789") !=
			    strlen(a + (*a == '-' || *a == '+'))) {
				px_strfmt(err, "'%s': argument %d must be an integer, not '%s'",
				          kw, i + 1, a);
				goto fail;
			}
			args[i].type = PX_ARG_SINT;
			args[i].u.sint = v;
			break;
		}
		case 'r':
			args[i].type = PX_ARG_REGEX;
			args[i].u.re = px_regex_comp(ctx->gen, a, 0, err);
			if (!args[i].u.re)
				goto fail;
			break;
		case 'b': {
			struct be_ref *r = px_gen_alloc(ctx->gen, sizeof(*r));

			args[i].type = PX_ARG_STR;
			args[i].u.str.p = px_gen_strdup(ctx->gen, a);
			args[i].u.str.len = (uint32_t)strlen(a);
			if (!r || !args[i].u.str.p) {
				px_strfmt(err, "out of memory");
				goto fail;
			}
			r->arg = &args[i];
			r->file = px_gen_strdup(ctx->gen, ctx->file ? ctx->file : "");
			r->line = ctx->line;
			r->next = be_refs;
			be_refs = r;
			break;
		}
		default:
			args[i].type = PX_ARG_STR;
			args[i].u.str.p = px_gen_strdup(ctx->gen, a);
			args[i].u.str.len = (uint32_t)strlen(a);
			args[i].u.str.h = px_hmsg_name_hash(a, args[i].u.str.len);
			if (!args[i].u.str.p) {
				px_strfmt(err, "out of memory");
				goto fail;
			}
			break;
		}
	}
	*nargs = n;
	free(buf);
	if (check && check(args, n, ctx, err) < 0)
		return -1;
	return 0;
fail:
	free(buf);
	return -1;
}

/* Resolves the backend names given to fetches ("nbsrv(bk)"). Returns the
 * number of errors reported.
 */
int px_smp_resolve(struct px_cfg_ctx *ctx)
{
	int nerr = 0;

	while (be_refs) {
		struct be_ref *r = be_refs;
		struct px_proxy *be = px_proxy_find(ctx->gen, r->arg->u.str.p, PX_CAP_BE);

		be_refs = r->next;
		if (!be) {
			ctx->file = r->file;
			ctx->line = r->line;
			px_cfg_error(ctx, "no backend named '%s'", r->arg->u.str.p);
			nerr++;
			continue;
		}
		r->arg->type = PX_ARG_BE;
		r->arg->u.px = be;
	}
	ctx->file = NULL;
	return nerr;
}

void px_smp_reset(void)
{
	be_refs = NULL;
}

/* Length of a keyword name at <p>. */
static size_t name_len(const char *p, const char *end)
{
	const char *s = p;

	while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	                   (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
		p++;
	return p - s;
}

/* Finds the ')' closing the argument list starting at <p>. */
static const char *args_end(const char *p, const char *end)
{
	char quote = 0;

	for (; p < end; p++) {
		if (quote) {
			if (*p == '\\' && quote == '"' && p + 1 < end)
				p++;
			else if (*p == quote)
				quote = 0;
			continue;
		}
		if (*p == '\\' && p + 1 < end)
			p++;
		else if (*p == '"' || *p == '\'')
			quote = *p;
		else if (*p == ')')
			return p;
	}
	return NULL;
}

static const char *use_name(unsigned use)
{
	if (use & PX_USE_RES)
		return "response rules";
	if (use & PX_USE_REQ)
		return "request rules";
	return "logs";
}

struct px_expr *px_expr_parse(const char *text, size_t len, unsigned use,
                              struct px_cfg_ctx *ctx, char **err)
{
	const char *p = text, *end = text + len;
	const struct px_fetch_kw *fk;
	struct px_expr *e;
	char name[64];
	size_t n, nconv = 0;
	const char *q;

	/* Converters are at most as many as commas outside arguments. */
	for (q = text; q < end; q++)
		if (*q == ',')
			nconv++;
	e = px_gen_alloc(ctx->gen, sizeof(*e) + nconv * sizeof(struct px_conv_call));
	if (!e) {
		px_strfmt(err, "out of memory");
		return NULL;
	}
	n = name_len(p, end);
	if (!n || n >= sizeof(name)) {
		px_strfmt(err, "missing fetch method in '%.*s'", (int)len, text);
		return NULL;
	}
	memcpy(name, p, n);
	name[n] = 0;
	fk = px_fetch_find(p, n);
	if (!fk && n > 4 && !memcmp(name, "lua.", 4)) {
		px_lua_explain(1, name + 4, n - 4, err);
		return NULL;
	}
	if (!fk) {
		const char *near = closest_kw(name, 1);

		px_strfmt(err, "unknown fetch method '%s'%s%s%s", name,
		          near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
		return NULL;
	}
	if (!(fk->use & (use | PX_USE_CONN))) {
		if (use == PX_USE_LOG && (fk->use & PX_USE_REQ))
			px_strfmt(err, "fetch method '%s' is not available in logs: the request "
			          "is gone when the line is written (capture it with 'capture "
			          "request header' or 'http-request capture', then log "
			          "%%[capture.req.hdr(N)] or %%hr)", name);
		else if (use == PX_USE_LOG)
			px_strfmt(err, "fetch method '%s' is not available in logs: the response "
			          "is gone when the line is written (capture it with 'capture "
			          "response header', then log %%hs)", name);
		else
			px_strfmt(err, "fetch method '%s' is not available in %s", name, use_name(use));
		return NULL;
	}
	e->fetch = fk;
	p += n;
	if (p < end && *p == '(') {
		const char *ae = args_end(p + 1, end);

		if (!ae) {
			px_strfmt(err, "missing ')' after the arguments of '%s'", name);
			return NULL;
		}
		/* "str()": one empty string, not a missing argument. */
		if (ae == p + 1 && fk->args[0] == 's') {
			if (px_args_parse(name, fk->args, fk->check, "\"\"", 2, e->args,
			                  &e->nargs, ctx, err) < 0)
				return NULL;
		} else if (px_args_parse(name, fk->args, fk->check, p + 1, ae - p - 1, e->args,
		                         &e->nargs, ctx, err) < 0) {
			return NULL;
		}
		p = ae + 1;
	} else if (px_args_parse(name, fk->args, fk->check, "", 0, e->args, &e->nargs,
	                         ctx, err) < 0) {
		return NULL;
	}
	if (fk->fn == px_lua_fetch_fn) {
		/* A Lua fetch learns which one it is from its last argument. */
		e->args[PX_SMP_MAX_ARGS - 1].type = PX_ARG_PTR;
		e->args[PX_SMP_MAX_ARGS - 1].u.ptr = (void *)fk;
	}
	while (p < end) {
		struct px_conv_call *c = &e->conv[e->nconv];
		const struct px_conv_kw *ck;

		if (*p != ',') {
			px_strfmt(err, "unexpected '%.*s' after '%.*s' (converters are "
			          "separated by commas)", (int)(end - p), p, (int)(p - text), text);
			return NULL;
		}
		p++;
		n = name_len(p, end);
		if (!n || n >= sizeof(name)) {
			px_strfmt(err, "missing converter name after ',' in '%.*s'", (int)len, text);
			return NULL;
		}
		memcpy(name, p, n);
		name[n] = 0;
		ck = px_conv_find(p, n);
		if (!ck && n > 4 && !memcmp(name, "lua.", 4)) {
			px_lua_explain(0, name + 4, n - 4, err);
			return NULL;
		}
		if (!ck) {
			const char *near = closest_kw(name, 0);

			px_strfmt(err, "unknown converter '%s'%s%s%s", name,
			          near ? " (did you mean '" : "", near ? near : "",
			          near ? "'?)" : "");
			return NULL;
		}
		c->kw = ck;
		p += n;
		if (p < end && *p == '(') {
			const char *ae = args_end(p + 1, end);

			if (!ae) {
				px_strfmt(err, "missing ')' after the arguments of '%s'", name);
				return NULL;
			}
			if (px_args_parse(name, ck->args, ck->check, p + 1, ae - p - 1, c->args,
			                  &c->nargs, ctx, err) < 0)
				return NULL;
			p = ae + 1;
		} else if (px_args_parse(name, ck->args, ck->check, "", 0, c->args, &c->nargs,
		                         ctx, err) < 0) {
			return NULL;
		}
		if (ck->fn == px_lua_conv_fn) {
			c->args[PX_SMP_MAX_ARGS - 1].type = PX_ARG_PTR;
			c->args[PX_SMP_MAX_ARGS - 1].u.ptr = (void *)ck;
		}
		e->nconv++;
	}
	return e;
}

int px_expr_eval(const struct px_expr *e, struct px_smp_ctx *ctx, struct px_smp *out)
{
	int i;

	out->flags = 0;
	if (!e->fetch->fn(e->args, out, ctx))
		return 0;
	for (i = 0; i < e->nconv; i++) {
		const struct px_conv_call *c = &e->conv[i];

		if (!px_smp_cast(out, c->kw->in))
			return 0;
		if (!c->kw->fn(c->args, out, ctx))
			return 0;
	}
	return 1;
}
