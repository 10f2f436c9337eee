/* ACLs (see acl.h): "acl NAME FETCH[,CONV...] [-m METHOD] [-i] [-f FILE]
 * [--] VALUE...", with HAProxy's shorthands (path_beg, hdr_sub(NAME)...)
 * and predefined ACLs (TRUE, METH_GET, HTTP_1.1...). Patterns are parsed
 * once; a long list of exact strings is sorted and searched by bisection.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cfg/cfg.h"
#include "cfg/proxy-t.h"
#include "core/util.h"
#include "rules/acl.h"
#include "rules/regex.h"
#include "rules/sample.h"

static const char *const match_names[] = {
	[PX_M_FOUND] = "found", [PX_M_BOOL] = "bool", [PX_M_INT] = "int",
	[PX_M_IP] = "ip", [PX_M_STR] = "str", [PX_M_BEG] = "beg", [PX_M_END] = "end",
	[PX_M_SUB] = "sub", [PX_M_REG] = "reg", [PX_M_LEN] = "len", [PX_M_DOM] = "dom",
	[PX_M_DIR] = "dir",
};

/* Shorthands: a fetch with its match method implied. */
static const struct {
	const char *name;
	const char *fetch;
	uint8_t match;
} shorthands[] = {
	{ "path_beg", "path", PX_M_BEG }, { "path_end", "path", PX_M_END },
	{ "path_sub", "path", PX_M_SUB }, { "path_reg", "path", PX_M_REG },
	{ "path_dir", "path", PX_M_DIR }, { "path_dom", "path", PX_M_DOM },
	{ "path_len", "path", PX_M_LEN },
	{ "url_beg", "url", PX_M_BEG }, { "url_end", "url", PX_M_END },
	{ "url_sub", "url", PX_M_SUB }, { "url_reg", "url", PX_M_REG },
	{ "url_dir", "url", PX_M_DIR }, { "url_dom", "url", PX_M_DOM },
	{ "url_len", "url", PX_M_LEN },
	{ "base_beg", "base", PX_M_BEG }, { "base_end", "base", PX_M_END },
	{ "base_sub", "base", PX_M_SUB }, { "base_reg", "base", PX_M_REG },
	{ "base_dir", "base", PX_M_DIR }, { "base_dom", "base", PX_M_DOM },
	{ "hdr_beg", "hdr", PX_M_BEG }, { "hdr_end", "hdr", PX_M_END },
	{ "hdr_sub", "hdr", PX_M_SUB }, { "hdr_reg", "hdr", PX_M_REG },
	{ "hdr_dir", "hdr", PX_M_DIR }, { "hdr_dom", "hdr", PX_M_DOM },
	{ "hdr_len", "hdr", PX_M_LEN }, { "hdr_val", "hdr", PX_M_INT },
	{ "hdr_ip", "hdr", PX_M_IP },
	{ "shdr_beg", "res.hdr", PX_M_BEG }, { "shdr_end", "res.hdr", PX_M_END },
	{ "shdr_sub", "res.hdr", PX_M_SUB }, { "shdr_reg", "res.hdr", PX_M_REG },
	{ "cook_beg", "req.cook", PX_M_BEG }, { "cook_end", "req.cook", PX_M_END },
	{ "cook_sub", "req.cook", PX_M_SUB }, { "cook_reg", "req.cook", PX_M_REG },
	{ "urlp_beg", "url_param", PX_M_BEG }, { "urlp_sub", "url_param", PX_M_SUB },
	{ "urlp_reg", "url_param", PX_M_REG }, { "urlp_val", "url_param", PX_M_INT },
	{ "var_beg", "var", PX_M_BEG },
};

/* Predefined ACLs, defined on first use in a proxy. */
static const struct {
	const char *name;
	const char *def;
} predefined[] = {
	{ "TRUE", "always_true" },
	{ "FALSE", "always_false" },
	{ "HTTP", "always_true" },
	{ "HTTP_1.0", "req.ver 1.0" },
	{ "HTTP_1.1", "req.ver 1.1" },
	{ "HTTP_CONTENT", "hdr_val(content-length) gt 0" },
	{ "HTTP_URL_ABS", "url_reg ^[^/:]*://" },
	{ "HTTP_URL_SLASH", "url_beg /" },
	{ "HTTP_URL_STAR", "url *" },
	{ "LOCALHOST", "src 127.0.0.1/8 ::1" },
	{ "METH_CONNECT", "method CONNECT" },
	{ "METH_DELETE", "method DELETE" },
	{ "METH_GET", "method GET HEAD" },
	{ "METH_HEAD", "method HEAD" },
	{ "METH_OPTIONS", "method OPTIONS" },
	{ "METH_POST", "method POST" },
	{ "METH_PUT", "method PUT" },
	{ "METH_TRACE", "method TRACE" },
};

struct px_rules *px_rules_get(struct px_cfg_ctx *ctx, struct px_proxy *px)
{
	struct px_rules *r = px->rules;

	if (r)
		return r;
	r = px_gen_alloc(ctx->gen, sizeof(*r));
	if (!r)
		return NULL;
	r->http_req.tail = &r->http_req.first;
	r->legacy_req.tail = &r->legacy_req.first;
	r->redirect.tail = &r->redirect.first;
	r->use_be.tail = &r->use_be.first;
	r->http_res.tail = &r->http_res.first;
	r->legacy_res.tail = &r->legacy_res.first;
	r->after_res.tail = &r->after_res.first;
	r->tcp_req.tail = &r->tcp_req.first;
	px->rules = r;
	return r;
}

/* --- patterns ------------------------------------------------------------ */

static int parse_int_pat(const char *s, struct px_pat *p, char **err)
{
	const char *colon = strchr(s, ':');
	char *end;

	if (colon) {
		p->u.range.min = colon == s ? INT64_MIN : strtoll(s, &end, 10);
		if (colon != s && end != colon)
			goto bad;
		p->u.range.max = !colon[1] ? INT64_MAX : strtoll(colon + 1, &end, 10);
		if (colon[1] && *end)
			goto bad;
		return 0;
	}
	p->u.range.min = p->u.range.max = strtoll(s, &end, 10);
	if (!*s || *end)
		goto bad;
	return 0;
bad:
	px_strfmt(err, "'%s' is not an integer or a range (MIN:MAX)", s);
	return -1;
}

static int parse_ip_pat(const char *s, struct px_pat *p, char **err)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	int bits, maxbits, i;

	if (n >= sizeof(buf))
		goto bad;
	memcpy(buf, s, n);
	buf[n] = 0;
	memset(&p->u.ip, 0, sizeof(p->u.ip));
	if (inet_pton(AF_INET, buf, p->u.ip.addr) == 1) {
		p->u.ip.family = AF_INET;
		maxbits = 32;
	} else if (inet_pton(AF_INET6, buf, p->u.ip.addr) == 1) {
		p->u.ip.family = AF_INET6;
		maxbits = 128;
	} else {
		goto bad;
	}
	bits = maxbits;
	if (slash) {
		struct in_addr m;
		char *end;

		if (p->u.ip.family == AF_INET && strchr(slash + 1, '.') &&
		    inet_pton(AF_INET, slash + 1, &m) == 1) {
			memcpy(p->u.ip.mask, &m, 4);
			goto masked;
		}
		bits = (int)strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || bits < 0 || bits > maxbits)
			goto bad;
	}
	for (i = 0; i < maxbits / 8; i++) {
		int b = bits - i * 8;

		p->u.ip.mask[i] = b >= 8 ? 0xff : b <= 0 ? 0 : (uint8_t)(0xff << (8 - b));
	}
masked:
	for (i = 0; i < 16; i++)
		p->u.ip.addr[i] &= p->u.ip.mask[i];
	return 0;
bad:
	px_strfmt(err, "'%s' is not an IP address or network", s);
	return -1;
}

static int add_pattern(struct px_cfg_ctx *ctx, struct px_acl_term *t, const char *v,
                       uint32_t *cap, char **err)
{
	struct px_pat *p;

	if (t->npats == *cap) {
		/* Grown in the generation's arena: what a larger array leaves
		 * behind is at most as much again, freed with the generation.
		 */
		uint32_t ncap = *cap ? *cap * 2 : 4;
		struct px_pat *np = px_gen_alloc(ctx->gen, ncap * sizeof(*np));

		if (!np) {
			px_strfmt(err, "out of memory");
			return -1;
		}
		if (t->npats)
			memcpy(np, t->pats, t->npats * sizeof(*np));
		t->pats = np;
		*cap = ncap;
	}
	p = &t->pats[t->npats];
	p->txt = NULL;
	p->id = 0;
	p->src = 0;
	switch (t->match) {
	case PX_M_INT:
	case PX_M_LEN:
		if (parse_int_pat(v, p, err) < 0)
			return -1;
		break;
	case PX_M_IP:
		if (parse_ip_pat(v, p, err) < 0)
			return -1;
		break;
	case PX_M_REG:
		p->u.re = px_regex_comp(ctx->gen, v, t->icase ? PX_RE_ICASE : 0, err);
		if (!p->u.re)
			return -1;
		break;
	case PX_M_FOUND:
	case PX_M_BOOL:
		px_strfmt(err, "'-m %s' takes no value ('%s' given)", match_names[t->match], v);
		return -1;
	default:
		p->u.str.p = px_gen_strdup(ctx->gen, v);
		if (!p->u.str.p) {
			px_strfmt(err, "out of memory");
			return -1;
		}
		p->u.str.len = (uint32_t)strlen(v);
		/* -i: patterns are lowered once here, samples once per match. */
		if (t->icase) {
			uint32_t k;

			for (k = 0; k < p->u.str.len; k++)
				p->u.str.p[k] = (char)tolower((unsigned char)p->u.str.p[k]);
		}
		break;
	}
	t->npats++;
	return 0;
}

/* Integer operators: "gt 5" is the range 6:, and so on. */
static int int_operator(const char *op, const char *v, char *out, size_t outsz)
{
	long long n;
	char *end;

	n = strtoll(v, &end, 10);
	if (!*v || *end)
		return -1;
	if (!strcmp(op, "eq"))
		snprintf(out, outsz, "%lld", n);
	else if (!strcmp(op, "ge"))
		snprintf(out, outsz, "%lld:", n);
	else if (!strcmp(op, "gt"))
		snprintf(out, outsz, "%lld:", n + 1);
	else if (!strcmp(op, "le"))
		snprintf(out, outsz, ":%lld", n);
	else if (!strcmp(op, "lt"))
		snprintf(out, outsz, ":%lld", n - 1);
	else
		return -1;
	return 0;
}

static struct px_acl_file *file_register(struct px_cfg_ctx *ctx, struct px_acl_term *t,
                                          const char *path);

static int load_file(struct px_cfg_ctx *ctx, struct px_acl_term *t, const char *path,
                     int as_map, uint32_t *cap, char **err)
{
	FILE *f = px_open_regular(path, "pattern file", err);
	struct px_acl_file *af;
	char line[4096];
	int lineno = 0;

	if (!f)
		return -1;
	af = file_register(ctx, t, path);
	if (!af) {
		fclose(f);
		px_strfmt(err, "out of memory");
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *e;

		lineno++;
		e = s + strlen(s);
		if (e > s && e[-1] != '\n' && !feof(f)) {
			px_strfmt(err, "%s:%d: line longer than %zu bytes", path, lineno,
			          sizeof(line) - 2);
			fclose(f);
			return -1;
		}
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*e = 0;
		if (!*s || *s == '#')
			continue;
		if (as_map)
			s[strcspn(s, " \t")] = 0;
		if (add_pattern(ctx, t, s, cap, err) < 0) {
			char *inner = *err;

			*err = NULL;
			px_strfmt(err, "%s:%d: %s", path, lineno, inner);
			free(inner);
			fclose(f);
			return -1;
		}
		t->pats[t->npats - 1].src = (uint16_t)(af->idx + 1);
		t->pats[t->npats - 1].id = ++af->next_id;
		t->pats[t->npats - 1].txt = px_gen_strdup(ctx->gen, s);
	}
	fclose(f);
	return 0;
}

/* Notes that term <t> reads file <path>, so that run-time edits reach it.
 * Returns the file's entry, or NULL when out of memory.
 */
static struct px_acl_file *file_register(struct px_cfg_ctx *ctx, struct px_acl_term *t,
                                         const char *path)
{
	struct px_acl_file *af, **tail = &ctx->gen->acl_files;
	struct px_acl_term **terms;
	uint16_t idx = 0;

	for (af = ctx->gen->acl_files; af; af = af->next, idx++) {
		tail = &af->next;
		if (!strcmp(af->path, path))
			break;
	}
	if (!af) {
		af = px_gen_alloc(ctx->gen, sizeof(*af));
		if (!af)
			return NULL;
		memset(af, 0, sizeof(*af));
		af->path = px_gen_strdup(ctx->gen, path);
		af->cfg_file = px_gen_strdup(ctx->gen, ctx->file ? ctx->file : "");
		af->cfg_line = ctx->line;
		af->idx = idx;
		if (!af->path || !af->cfg_file)
			return NULL;
		*tail = af;
	}
	terms = px_gen_alloc(ctx->gen, (af->nterms + 1) * sizeof(*terms));
	if (!terms)
		return NULL;
	if (af->nterms)
		memcpy(terms, af->terms, af->nterms * sizeof(*terms));
	terms[af->nterms++] = t;
	af->terms = terms;
	return af;
}

static int pat_cmp(const void *a, const void *b)
{
	const struct px_pat *x = a, *y = b;
	uint32_t n = x->u.str.len < y->u.str.len ? x->u.str.len : y->u.str.len;
	int r = memcmp(x->u.str.p, y->u.str.p, n);

	return r ? r : (x->u.str.len > y->u.str.len) - (x->u.str.len < y->u.str.len);
}

static int default_match(int type)
{
	switch (type) {
	case PX_SMP_BOOL:
		return PX_M_BOOL;
	case PX_SMP_SINT:
		return PX_M_INT;
	case PX_SMP_IPV4:
	case PX_SMP_IPV6:
		return PX_M_IP;
	default:
		return PX_M_STR;
	}
}

/* Parses one ACL line's "FETCH [flags] VALUES" into a term. */
static struct px_acl_term *term_parse(char **args, int nargs, struct px_cfg_ctx *ctx,
                                      unsigned *use, char **err)
{
	struct px_acl_term *t = px_gen_alloc(ctx->gen, sizeof(*t));
	const char *fetch = args[0], *paren;
	char buf[256];
	int implied = -1, i, explicit_m = -1;
	uint32_t cap = 0;
	size_t n;
	char **files = NULL;
	int nfiles = 0, as_map = 0;

	if (!t) {
		px_strfmt(err, "out of memory");
		return NULL;
	}
	if (nargs < 1) {
		px_strfmt(err, "missing fetch method");
		return NULL;
	}
	/* A shorthand: replace its name by the fetch's, keep the arguments. */
	paren = strchr(fetch, '(');
	n = paren ? (size_t)(paren - fetch) : strcspn(fetch, ",");
	for (i = 0; i < (int)PX_ARRAY_SIZE(shorthands); i++)
		if (strlen(shorthands[i].name) == n && !memcmp(shorthands[i].name, fetch, n)) {
			snprintf(buf, sizeof(buf), "%s%s", shorthands[i].fetch, fetch + n);
			fetch = buf;
			implied = shorthands[i].match;
			break;
		}
	/* Evaluated wherever the fetch is valid; the rule checks the phase. */
	t->expr = px_expr_parse(fetch, strlen(fetch), PX_USE_ANY, ctx, err);
	if (!t->expr)
		return NULL;
	*use &= t->expr->fetch->use | (t->expr->fetch->use & PX_USE_CONN ? PX_USE_ANY : 0);
	for (i = 1; i < nargs && args[i][0] == '-' && args[i][1]; i++) {
		const char *f = args[i];

		if (!strcmp(f, "--")) {
			i++;
			break;
		}
		if (!strcmp(f, "-i")) {
			t->icase = 1;
		} else if (!strcmp(f, "-n") || !strcmp(f, "-N")) {
			/* HAProxy's "no duplicate" flags change nothing here. */
		} else if (!strcmp(f, "-M")) {
			/* -f files are maps: each line's key is the pattern. */
			as_map = 1;
		} else if (!strcmp(f, "-m") || !strcmp(f, "-f") || !strcmp(f, "-u")) {
			if (i + 1 >= nargs) {
				px_strfmt(err, "'%s' expects an argument", f);
				return NULL;
			}
			i++;
			if (f[1] == 'm') {
				int k;

				for (k = 0; k < (int)PX_ARRAY_SIZE(match_names); k++)
					if (!strcmp(args[i], match_names[k]))
						explicit_m = k;
				if (explicit_m < 0) {
					const char *near = px_closest(args[i], match_names,
					                              PX_ARRAY_SIZE(match_names));

					px_strfmt(err, "unknown match method '-m %s'%s%s%s", args[i],
					          near ? " (did you mean '" : "", near ? near : "",
					          near ? "'?)" : "");
					return NULL;
				}
			} else if (f[1] == 'f') {
				char **nf = realloc(files, (nfiles + 1) * sizeof(*nf));

				if (!nf) {
					free(files);
					px_strfmt(err, "out of memory");
					return NULL;
				}
				files = nf;
				files[nfiles++] = args[i];
			}
		} else {
			px_strfmt(err, "unknown ACL flag '%s' (-i, -f FILE, -m METHOD, -n, -u ID, "
			          "or '--' before a value starting with '-')", f);
			free(files);
			return NULL;
		}
	}
	if (explicit_m >= 0)
		t->match = (uint8_t)explicit_m;
	else if (implied >= 0)
		t->match = (uint8_t)implied;
	else
		t->match = (uint8_t)default_match(t->expr->nconv ?
		                                  t->expr->conv[t->expr->nconv - 1].kw->out :
		                                  t->expr->fetch->out);
	for (; i < nargs; i++) {
		const char *v = args[i];
		char opbuf[48];

		if ((t->match == PX_M_INT || t->match == PX_M_LEN) &&
		    (!strcmp(v, "eq") || !strcmp(v, "ge") || !strcmp(v, "gt") ||
		     !strcmp(v, "le") || !strcmp(v, "lt"))) {
			if (i + 1 >= nargs || int_operator(v, args[i + 1], opbuf, sizeof(opbuf)) < 0) {
				px_strfmt(err, "'%s' expects an integer after it", v);
				free(files);
				return NULL;
			}
			i++;
			v = opbuf;
		}
		if (add_pattern(ctx, t, v, &cap, err) < 0) {
			free(files);
			return NULL;
		}
	}
	for (i = 0; i < nfiles; i++)
		if (load_file(ctx, t, files[i], as_map, &cap, err) < 0) {
			free(files);
			return NULL;
		}
	free(files);
	t->cap = cap;
	if (!t->npats && t->match != PX_M_FOUND && t->match != PX_M_BOOL && !nfiles) {
		px_strfmt(err, "no value to match (the ACL would never match; add values, "
		          "-f FILE, or '-m found')");
		return NULL;
	}
	if (t->match == PX_M_STR && t->npats > 8) {
		qsort(t->pats, t->npats, sizeof(*t->pats), pat_cmp);
		t->sorted = 1;
	}
	return t;
}

static struct px_acl *acl_find(struct px_rules *r, const char *name)
{
	struct px_acl *a;

	for (a = r ? r->acls : NULL; a; a = a->next)
		if (a->name && !strcmp(a->name, name))
			return a;
	return NULL;
}

static struct px_acl *acl_new(struct px_cfg_ctx *ctx, struct px_rules *r, const char *name)
{
	struct px_acl *a = px_gen_alloc(ctx->gen, sizeof(*a));

	if (!a)
		return NULL;
	a->name = name ? px_gen_strdup(ctx->gen, name) : NULL;
	a->use = PX_USE_ANY;
	a->tail = &a->terms;
	if (name) {
		a->next = r->acls;
		r->acls = a;
	}
	return a;
}

static int acl_add_line(struct px_cfg_ctx *ctx, struct px_acl *a, char **args, int nargs,
                        char **err)
{
	struct px_acl_term *t = term_parse(args, nargs, ctx, &a->use, err);

	if (!t)
		return -1;
	*a->tail = t;
	a->tail = &t->next;
	return 0;
}

static int valid_acl_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.:", *s))
			return 0;
	return 1;
}

/* acl NAME FETCH [flags] [VALUES...] */
static int kw_acl(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_rules *r;
	struct px_acl *a;

	if (ctx->px->cap & PX_CAP_DEF) {
		px_strfmt(err, "ACLs belong in frontend, backend or listen sections, not in "
		          "defaults");
		return -1;
	}
	if (nargs < 3) {
		px_strfmt(err, "expects a name and a fetch method (acl NAME FETCH [FLAGS] "
		          "[VALUES...])");
		return -1;
	}
	if (!valid_acl_name(args[1])) {
		px_strfmt(err, "invalid ACL name '%s' (letters, digits, '-', '_', '.', ':')",
		          args[1]);
		return -1;
	}
	r = px_rules_get(ctx, ctx->px);
	if (!r) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	a = acl_find(r, args[1]);
	if (!a && !(a = acl_new(ctx, r, args[1]))) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	return acl_add_line(ctx, a, args + 2, nargs - 2, err);
}

/* --- conditions ----------------------------------------------------------- */

int px_cond_start(char **args, int nargs)
{
	int i;

	for (i = 0; i < nargs; i++)
		if (!strcmp(args[i], "if") || !strcmp(args[i], "unless"))
			return i;
	return nargs;
}

static const char *use_phase(unsigned use)
{
	return use & PX_USE_RES ? "response" : "request";
}

/* Resolves an ACL name: this proxy's, or a predefined one. */
static struct px_acl *acl_ref(struct px_cfg_ctx *ctx, struct px_rules *r, const char *name,
                              char **err)
{
	struct px_acl *a = acl_find(r, name);
	size_t i;

	if (a)
		return a;
	for (i = 0; i < PX_ARRAY_SIZE(predefined); i++) {
		char line[128], *av[PX_CFG_MAX_ARGS], tok[256];
		int n;

		if (strcmp(predefined[i].name, name))
			continue;
		snprintf(line, sizeof(line), "%s", predefined[i].def);
		n = px_cfg_tokenize(line, tok, sizeof(tok), av, PX_CFG_MAX_ARGS, err);
		a = acl_new(ctx, r, name);
		if (n < 1 || !a || acl_add_line(ctx, a, av, n, err) < 0)
			return NULL;
		return a;
	}
	{
		const char *names[256];
		int k = 0;
		struct px_acl *x;

		for (x = r->acls; x && k < 256; x = x->next)
			if (x->name)
				names[k++] = x->name;
		for (i = 0; i < PX_ARRAY_SIZE(predefined) && k < 256; i++)
			names[k++] = predefined[i].name;
		{
			const char *near = px_closest(name, names, k);

			px_strfmt(err, "no ACL named '%s' in %s '%s'%s%s%s (ACLs must be "
			          "declared before the rules that use them)", name,
			          ctx->px->kind, ctx->px->id, near ? " (did you mean '" : "",
			          near ? near : "", near ? "'?)" : "");
		}
	}
	return NULL;
}

struct px_cond *px_cond_parse(char **args, int nargs, unsigned use,
                              struct px_cfg_ctx *ctx, char **err)
{
	struct px_rules *r = px_rules_get(ctx, ctx->px);
	struct px_cond *c = px_gen_alloc(ctx->gen, sizeof(*c));
	struct px_cond_suite *cur;
	int i;

	if (!c || !r) {
		px_strfmt(err, "out of memory");
		return NULL;
	}
	c->unless = !strcmp(args[0], "unless");
	if (nargs < 2) {
		px_strfmt(err, "'%s' expects a condition", args[0]);
		return NULL;
	}
	/* At most one suite per "or", one reference per word. */
	c->suites = px_gen_alloc(ctx->gen, nargs * sizeof(*c->suites));
	if (!c->suites)
		goto oom;
	cur = &c->suites[0];
	c->nsuites = 1;
	cur->refs = px_gen_alloc(ctx->gen, nargs * sizeof(*cur->refs));
	if (!cur->refs)
		goto oom;
	for (i = 1; i < nargs; i++) {
		const char *w = args[i];
		struct px_acl *a;
		int neg = 0;

		if (!strcmp(w, "or") || !strcmp(w, "||")) {
			if (!cur->n || i + 1 >= nargs) {
				px_strfmt(err, "'%s' must be between two ACLs", w);
				return NULL;
			}
			cur = &c->suites[c->nsuites++];
			cur->refs = px_gen_alloc(ctx->gen, nargs * sizeof(*cur->refs));
			if (!cur->refs)
				goto oom;
			continue;
		}
		while (*w == '!') {
			neg = !neg;
			w++;
		}
		if (!*w) {
			if (++i >= nargs) {
				px_strfmt(err, "'!' must be followed by an ACL");
				return NULL;
			}
			w = args[i];
		}
		if (!strcmp(w, "{")) {
			int end;

			for (end = i + 1; end < nargs && strcmp(args[end], "}"); end++)
				;
			if (end >= nargs) {
				px_strfmt(err, "missing '}' after an anonymous ACL");
				return NULL;
			}
			if (end == i + 1) {
				px_strfmt(err, "empty anonymous ACL '{ }'");
				return NULL;
			}
			a = acl_new(ctx, r, NULL);
			if (!a)
				goto oom;
			if (acl_add_line(ctx, a, args + i + 1, end - i - 1, err) < 0)
				return NULL;
			i = end;
		} else if (!strcmp(w, "}")) {
			px_strfmt(err, "unexpected '}'");
			return NULL;
		} else {
			a = acl_ref(ctx, r, w, err);
			if (!a)
				return NULL;
		}
		/* As HAProxy: a warning, and the ACL never matches there. */
		if (!(a->use & use))
			px_cfg_warn(ctx, "ACL '%s' will never match on the %s: it uses a "
			            "fetch method of the other direction",
			            a->name ? a->name : "{...}", use_phase(use));
		cur->refs[cur->n].acl = a;
		cur->refs[cur->n].neg = (uint8_t)neg;
		cur->n++;
	}
	if (!cur->n) {
		px_strfmt(err, "'%s' expects a condition", args[0]);
		return NULL;
	}
	return c;
oom:
	px_strfmt(err, "out of memory");
	return NULL;
}

/* --- matching --------------------------------------------------------------- */

/* memmem() for the short needles of patterns: glibc's pays a set-up cost
 * on every call that a first-byte scan avoids.
 */
static int find_sub(const char *h, uint32_t hl, const char *n, uint32_t nl)
{
	const char *p = h, *end = h + hl;

	if (!nl)
		return 1;
	while ((uint32_t)(end - p) >= nl && (p = memchr(p, n[0], end - p - nl + 1))) {
		if (!memcmp(p + 1, n + 1, nl - 1))
			return 1;
		p++;
	}
	return 0;
}

/* Lower-case of every byte, for "-i" matching. */
static unsigned char lower_tab[256];

__attribute__((constructor)) static void lower_tab_init(void)
{
	int c;

	for (c = 0; c < 256; c++)
		lower_tab[c] = (unsigned char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
}

/* Copies <len> bytes lower-cased, eight at a time: a byte gets 0x20 when
 * it is ASCII and between 'A' and 'Z' (adding 0x3f carries into bit 7 from
 * 'A' up, adding 0x25 from '[' up; the difference is the upper case).
 */
static void lower_copy(char *dst, const char *src, uint32_t len)
{
	const uint64_t m7 = 0x7f7f7f7f7f7f7f7fULL, hi = 0x8080808080808080ULL;
	uint32_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t x, low7, ge_a, gt_z;

		memcpy(&x, src + i, 8);
		low7 = x & m7;
		ge_a = low7 + 0x3f3f3f3f3f3f3f3fULL;
		gt_z = low7 + 0x2525252525252525ULL;
		x |= ((ge_a ^ gt_z) & ~x & hi) >> 2;
		memcpy(dst + i, &x, 8);
	}
	for (; i < len; i++)
		dst[i] = (char)lower_tab[(unsigned char)src[i]];
}

/* <n> appears in <h> as a whole part delimited by <delims> (or the ends). */
static int part_match(const char *h, uint32_t hl, const char *n, uint32_t nl,
                      const char *delims)
{
	uint32_t i;

	if (!nl)
		return 0;
	for (i = 0; i + nl <= hl; i++) {
		if (i && !strchr(delims, h[i - 1]))
			continue;
		if (i + nl < hl && !strchr(delims, h[i + nl]))
			continue;
		if (!memcmp(h + i, n, nl))
			return 1;
	}
	return 0;
}

static int bsearch_str(const struct px_acl_term *t, const char *s, uint32_t len)
{
	uint32_t lo = 0, hi = t->npats;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		const struct px_pat *p = &t->pats[mid];
		uint32_t n = p->u.str.len < len ? p->u.str.len : len;
		int r = memcmp(p->u.str.p, s, n);

		if (!r)
			r = (p->u.str.len > len) - (p->u.str.len < len);
		if (!r)
			return 1;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int ip_match(const struct px_pat *p, struct px_smp *smp)
{
	uint8_t a[16];
	int i, n;

	if (p->u.ip.family == AF_INET) {
		if (smp->type == PX_SMP_IPV6 && !px_smp_cast(smp, PX_SMP_IPV4))
			return 0;
		if (smp->type != PX_SMP_IPV4)
			return 0;
		memcpy(a, &smp->u.v4, 4);
		n = 4;
	} else {
		if (smp->type == PX_SMP_IPV4 && !px_smp_cast(smp, PX_SMP_IPV6))
			return 0;
		if (smp->type != PX_SMP_IPV6)
			return 0;
		memcpy(a, &smp->u.v6, 16);
		n = 16;
	}
	for (i = 0; i < n; i++)
		if ((a[i] & p->u.ip.mask[i]) != p->u.ip.addr[i])
			return 0;
	return 1;
}

/* Does sample <smp> match one of the term's patterns? */
static int term_match(const struct px_acl_term *t, struct px_smp *smp)
{
	uint32_t i;

	switch (t->match) {
	case PX_M_FOUND:
		return 1;
	case PX_M_BOOL:
		if (!px_smp_cast(smp, PX_SMP_BOOL))
			return 0;
		return smp->u.sint != 0;
	case PX_M_INT:
	case PX_M_LEN: {
		int64_t v;

		if (t->match == PX_M_LEN) {
			if (!px_smp_cast(smp, PX_SMP_STR))
				return 0;
			v = smp->u.str.len;
		} else {
			if (!px_smp_cast(smp, PX_SMP_SINT))
				return 0;
			v = smp->u.sint;
		}
		for (i = 0; i < t->npats; i++)
			if (v >= t->pats[i].u.range.min && v <= t->pats[i].u.range.max)
				return 1;
		return 0;
	}
	case PX_M_IP:
		if (smp->type == PX_SMP_STR) {
			struct px_smp c = *smp;

			if (!px_smp_cast(&c, PX_SMP_IPV4) && !px_smp_cast(&c, PX_SMP_IPV6))
				return 0;
			*smp = c;
		}
		for (i = 0; i < t->npats; i++) {
			struct px_smp c = *smp;

			if (ip_match(&t->pats[i], &c))
				return 1;
		}
		return 0;
	default:
		break;
	}
	if (!px_smp_cast(smp, PX_SMP_STR))
		return 0;
	{
		const char *s = smp->u.str.p;
		uint32_t len = smp->u.str.len;

		/* Patterns were lowered at load time; lower the sample once.
		 * Regexes are compiled caseless instead.
		 */
		if (t->icase && t->match != PX_M_REG) {
			uint32_t sz;
			char *low = px_trash(&sz);

			if (len > sz)
				len = sz;
			lower_copy(low, s, len);
			s = low;
		}
		if (t->sorted)
			return bsearch_str(t, s, len);
		for (i = 0; i < t->npats; i++) {
			const struct px_pat *p = &t->pats[i];
			const char *ps = p->u.str.p;
			uint32_t pl = p->u.str.len;

			switch (t->match) {
			case PX_M_STR:
				if (len == pl && !memcmp(s, ps, pl))
					return 1;
				break;
			case PX_M_BEG:
				if (len >= pl && !memcmp(s, ps, pl))
					return 1;
				break;
			case PX_M_END:
				if (len >= pl && !memcmp(s + len - pl, ps, pl))
					return 1;
				break;
			case PX_M_SUB:
				if (pl <= len && find_sub(s, len, ps, pl))
					return 1;
				break;
			case PX_M_REG:
				if (px_regex_exec(p->u.re, s, len))
					return 1;
				break;
			case PX_M_DOM:
				if (part_match(s, len, ps, pl, "/?.:"))
					return 1;
				break;
			case PX_M_DIR:
				if (part_match(s, len, ps, pl, "/?"))
					return 1;
				break;
			}
		}
	}
	return 0;
}

static int acl_eval(const struct px_acl *a, struct px_smp_ctx *ctx)
{
	const struct px_acl_term *t;

	for (t = a->terms; t; t = t->next) {
		struct px_smp smp;

		ctx->multi = 1;
		ctx->it_idx = -1;
		ctx->it_pos = UINT32_MAX;
		/* A value a converter rejects does not end the walk. */
		do {
			ctx->more = 0;
			if (px_expr_eval(t->expr, ctx, &smp) && term_match(t, &smp)) {
				ctx->multi = 0;
				return 1;
			}
		} while (ctx->more);
		ctx->multi = 0;
	}
	return 0;
}

/* --- pattern files at run time (command socket) -------------------------------- */

struct px_acl_file *px_acl_file_next(const struct px_gen *gen, const struct px_acl_file *prev)
{
	return prev ? prev->next : gen->acl_files;
}

/* The file named <name> (as written in the configuration) or "#IDX". */
struct px_acl_file *px_acl_file_find(const struct px_gen *gen, const char *name)
{
	struct px_acl_file *af;

	if (name[0] == '#') {
		char *end;
		unsigned long idx = strtoul(name + 1, &end, 10);

		if (!name[1] || *end)
			return NULL;
		for (af = gen->acl_files; af; af = af->next)
			if (af->idx == idx)
				return af;
		return NULL;
	}
	for (af = gen->acl_files; af; af = af->next)
		if (!strcmp(af->path, name))
			return af;
	return NULL;
}

static void term_sort(struct px_acl_term *t)
{
	if (t->match == PX_M_STR && t->npats > 8) {
		qsort(t->pats, t->npats, sizeof(*t->pats), pat_cmp);
		t->sorted = 1;
	} else {
		t->sorted = 0;
	}
}

/* Removes from every term of <af> the entries for which <pick> says so;
 * returns how many entries (counted once per id) went.
 */
static uint32_t file_remove(struct px_acl_file *af, const char *txt, uint32_t id)
{
	uint32_t n = 0, k;

	for (k = 0; k < af->nterms; k++) {
		struct px_acl_term *t = af->terms[k];
		uint32_t i, o = 0, here = 0;

		for (i = 0; i < t->npats; i++) {
			const struct px_pat *p = &t->pats[i];
			int gone = p->src == af->idx + 1 &&
			           (txt ? (p->txt && !strcmp(p->txt, txt)) : !id || p->id == id);

			if (gone) {
				here++;
				continue;
			}
			t->pats[o++] = *p;
		}
		t->npats = o;
		/* Removing keeps the order; only the threshold may change. */
		if (t->sorted && t->npats <= 8)
			t->sorted = 0;
		if (here > n)
			n = here;
	}
	return n;
}

/* Adds <txt> to every term reading <af>. Returns 0, or -1 with a message
 * (then no term has it).
 */
int px_acl_file_add(struct px_gen *gen, struct px_acl_file *af, const char *txt, char **err)
{
	uint32_t k;

	if (px_acl_file_add_unsorted(gen, af, txt, err) < 0)
		return -1;
	for (k = 0; k < af->nterms; k++)
		term_sort(af->terms[k]);
	return 0;
}

/* Sorts the terms of <af> after a series of px_acl_file_add_unsorted(). */
void px_acl_file_sort(struct px_acl_file *af)
{
	uint32_t k;

	for (k = 0; k < af->nterms; k++)
		term_sort(af->terms[k]);
}

/* As px_acl_file_add(), leaving the terms unsorted (px_acl_file_sort()
 * must follow before the next evaluation): for many entries at once.
 */
int px_acl_file_add_unsorted(struct px_gen *gen, struct px_acl_file *af, const char *txt,
                             char **err)
{
	struct px_cfg_ctx ctx;
	uint32_t k, id = af->next_id + 1;

	memset(&ctx, 0, sizeof(ctx));
	ctx.gen = gen;
	for (k = 0; k < af->nterms; k++) {
		struct px_acl_term *t = af->terms[k];
		struct px_pat *p;

		if (add_pattern(&ctx, t, txt, &t->cap, err) < 0) {
			file_remove(af, NULL, id);
			return -1;
		}
		p = &t->pats[t->npats - 1];
		p->src = (uint16_t)(af->idx + 1);
		p->id = id;
		p->txt = px_gen_strdup(gen, txt);
		if (!p->txt) {
			t->npats--;
			file_remove(af, NULL, id);
			px_strfmt(err, "out of memory");
			return -1;
		}
		t->sorted = 0;
	}
	af->next_id = id;
	af->changed = 1;
	return 0;
}

/* Removes the entries written <txt>, or the one numbered <id> (<txt> NULL).
 * Returns how many went.
 */
uint32_t px_acl_file_del(struct px_acl_file *af, const char *txt, uint32_t id)
{
	uint32_t n = file_remove(af, txt, id ? id : UINT32_MAX);

	af->changed = 1;
	return n;
}

void px_acl_file_clear(struct px_acl_file *af)
{
	file_remove(af, NULL, 0);
	af->changed = 1;
}

/* The entries of <af>, as the first term reading it holds them (they all
 * hold the same): calls <fn> for each one from position *pos on until it
 * returns non-zero, leaving *pos after the last one passed. Returns how
 * many were passed. A term whose patterns are sorted gives them in sort
 * order, else in file order.
 */
uint32_t px_acl_file_walk(const struct px_acl_file *af, uint32_t *pos,
                          int (*fn)(void *arg, uint32_t id, const char *txt), void *arg)
{
	const struct px_acl_term *t = af->nterms ? af->terms[0] : NULL;
	uint32_t n = 0;

	for (; t && *pos < t->npats; (*pos)++) {
		const struct px_pat *p = &t->pats[*pos];

		if (p->src != af->idx + 1)
			continue;
		n++;
		if (fn(arg, p->id, p->txt)) {
			(*pos)++;
			break;
		}
	}
	return n;
}

/* Whether <value> matches the entries of <af> as its first term matches
 * them (its method and -i). Sets *entry to the pattern found, when any and
 * when the method allows telling it.
 */
int px_acl_file_match(const struct px_acl_file *af, const char *value, const char **method,
                      int *icase)
{
	const struct px_acl_term *t = af->nterms ? af->terms[0] : NULL;
	struct px_acl_term only;
	struct px_pat *pats;
	struct px_smp smp;
	uint32_t i, n = 0;
	int r;

	*method = t ? match_names[t->match] : "str";
	*icase = t ? t->icase : 0;
	if (!t)
		return 0;
	/* The file's entries alone, not the term's inline values. */
	pats = malloc((t->npats ? t->npats : 1) * sizeof(*pats));
	if (!pats)
		return 0;
	for (i = 0; i < t->npats; i++)
		if (t->pats[i].src == af->idx + 1)
			pats[n++] = t->pats[i];
	only = *t;
	only.pats = pats;
	only.npats = n;
	memset(&smp, 0, sizeof(smp));
	smp.type = PX_SMP_STR;
	smp.u.str.p = (char *)value;
	smp.u.str.len = (uint32_t)strlen(value);
	r = term_match(&only, &smp);
	free(pats);
	return r;
}

/* Whether one ACL matches (for "trace request"). */
int px_acl_eval(const struct px_acl *a, struct px_smp_ctx *ctx)
{
	return acl_eval(a, ctx);
}

int px_cond_eval(const struct px_cond *c, struct px_smp_ctx *ctx)
{
	uint32_t i, j;
	int res = 0;

	if (!c)
		return 1;
	for (i = 0; i < c->nsuites && !res; i++) {
		const struct px_cond_suite *su = &c->suites[i];

		res = 1;
		for (j = 0; j < su->n; j++)
			if (acl_eval(su->refs[j].acl, ctx) == su->refs[j].neg) {
				res = 0;
				break;
			}
	}
	return c->unless ? !res : res;
}

static const struct px_cfg_kw acl_kws[] = {
	{ .name = "acl", .sections = PX_SEC_PROXIES, .parse = kw_acl },
	{ 0 }
};

static struct px_cfg_kw_list acl_kw_list = { .kws = acl_kws };

__attribute__((constructor)) static void acl_register(void)
{
	px_cfg_register(&acl_kw_list);
}
