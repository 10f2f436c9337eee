/* Configuration files: reading lines, cutting them into words (HAProxy's
 * quoting, escaping and environment rules), dispatching each line to the
 * keyword table of the module that owns the keyword, and the life cycle of
 * configuration generations. It knows sections, not what keywords mean.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cfg/cfg.h"
#include "script/hlua.h"
#include "cfg/text.h"
#include "cfg/global.h"
#include "cfg/proxy.h"
#include "core/util.h"
#include "ssl/ssl.h"
#include "rules/rules.h"
#include "rules/sample.h"

struct px_gen *px_gen_cur;
static struct px_cfg_kw_list *kw_lists;
static uint32_t gen_counter;

/* Called at start-up (from constructors) by each module with keywords. */
void px_cfg_register(struct px_cfg_kw_list *list)
{
	list->next = kw_lists;
	kw_lists = list;
}

/* Expands an environment variable reference starting at <p> (just after
 * the '$') inside double quotes. Appends the value to <out> at <*o>.
 * Returns the number of input bytes consumed, or -1 on error.
 */
static int expand_env(const char *p, char *out, size_t outsz, size_t *o, char **err)
{
	char name[256], dflt[1024];
	const char *start = p, *val;
	size_t n = 0;
	int braces = 0, has_dflt = 0;

	if (*p == '{') {
		braces = 1;
		p++;
	}
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
	       (*p >= '0' && *p <= '9') || *p == '_') {
		if (n >= sizeof(name) - 1) {
			px_strfmt(err, "environment variable name too long");
			return -1;
		}
		name[n++] = *p++;
	}
	name[n] = 0;
	if (!n || (name[0] >= '0' && name[0] <= '9')) {
		px_strfmt(err, "invalid environment variable name after '$'");
		return -1;
	}
	dflt[0] = 0;
	if (braces) {
		if (*p == '-') {
			size_t d = 0;

			has_dflt = 1;
			p++;
			while (*p && *p != '}' && *p != '"') {
				if (d >= sizeof(dflt) - 1) {
					px_strfmt(err, "default value too long in '${%s-...}'", name);
					return -1;
				}
				dflt[d++] = *p++;
			}
			dflt[d] = 0;
		}
		if (*p != '}') {
			px_strfmt(err, "missing '}' after environment variable '%s'", name);
			return -1;
		}
		p++;
	}
	val = getenv(name);
	if (!val)
		val = has_dflt ? dflt : "";
	n = strlen(val);
	if (*o + n >= outsz) {
		px_strfmt(err, "line too long after expanding '$%s'", name);
		return -1;
	}
	memcpy(out + *o, val, n);
	*o += n;
	return p - start;
}

/* Cuts <line> into words following HAProxy's rules: blanks separate words,
 * '#' starts a comment, "..." quotes weakly (environment variables are
 * expanded inside), '...' quotes strongly, a backslash escapes a blank,
 * '#', quote or backslash and encodes \n \r \t \xNN; before any other
 * character it is kept as is (so regex escapes such as \1 or \. survive).
 * Words are copied NUL-terminated into <out>; <args> point at them.
 * Returns the number of words, or -1 with a message in <err>.
 */
int px_cfg_tokenize(const char *line, char *out, size_t outsz, char **args,
                    int maxargs, char **err)
{
	const char *p = line;
	size_t o = 0;
	int nargs = 0;

	for (;;) {
		int quote = 0, in_word = 0;

		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (!*p || *p == '#')
			break;
		if (nargs >= maxargs) {
			px_strfmt(err, "too many words on the line (at most %d)", maxargs);
			return -1;
		}
		args[nargs++] = out + o;
		while (*p) {
			char c = *p;

			if (o + 4 >= outsz) {
				px_strfmt(err, "line too long");
				return -1;
			}
			if (quote == '\'') {
				if (c == '\'')
					quote = 0;
				else
					out[o++] = c;
				p++;
				continue;
			}
			if (!quote && (c == ' ' || c == '\t' || c == '\r' || c == '\n'))
				break;
			if (!quote && c == '#')
				break;
			if (c == '"') {
				quote = quote ? 0 : '"';
				p++;
				in_word = 1;
				continue;
			}
			if (c == '\'' && !quote) {
				quote = '\'';
				p++;
				in_word = 1;
				continue;
			}
			if (c == '$' && quote == '"') {
				int n = expand_env(p + 1, out, outsz, &o, err);

				if (n < 0)
					return -1;
				p += 1 + n;
				continue;
			}
			if (c == '\\') {
				char e = p[1];

				switch (e) {
				case ' ': case '#': case '\\': case '\'': case '"': case '$':
					out[o++] = e;
					p += 2;
					continue;
				case 'n':
					out[o++] = '\n';
					p += 2;
					continue;
				case 'r':
					out[o++] = '\r';
					p += 2;
					continue;
				case 't':
					out[o++] = '\t';
					p += 2;
					continue;
				case 'x': {
					int h = px_hexval((unsigned char)p[2]), l = h >= 0 ? px_hexval((unsigned char)p[3]) : -1;

					if (h < 0 || l < 0) {
						px_strfmt(err, "invalid escape '\\x' (two hex digits expected)");
						return -1;
					}
					if (!h && !l) {
						px_strfmt(err, "'\\x00' is not allowed");
						return -1;
					}
					out[o++] = (char)(h * 16 + l);
					p += 4;
					continue;
				}
				case 0:
				case '\n':
				case '\r':
					px_strfmt(err, "backslash at the end of the line (lines "
					          "cannot be continued)");
					return -1;
				default:
					out[o++] = '\\';
					p++;
					continue;
				}
			}
			out[o++] = c;
			p++;
			in_word = 1;
		}
		(void)in_word;
		if (quote) {
			px_strfmt(err, "unterminated %s quote", quote == '"' ? "double" : "single");
			return -1;
		}
		out[o++] = 0;
	}
	return nargs;
}

/* --- diagnostics --------------------------------------------------------- */

static void vreport(struct px_cfg_ctx *ctx, int is_warning, const char *fmt, va_list ap)
{
	char msg[2048];
	int n = 0;

	/* A line written from the command socket is named by its id, the
	 * one "show rules" gives.
	 */
	if (ctx->file && ctx->file == px_cfg_runtime)
		n = snprintf(msg, sizeof(msg), "line %u (written at run time): %s", ctx->line_id,
		             is_warning ? "warning: " : "");
	else if (ctx->file)
		n = snprintf(msg, sizeof(msg), "%s:%d: %s", ctx->file, ctx->line,
		             is_warning ? "warning: " : "");
	else if (is_warning)
		n = snprintf(msg, sizeof(msg), "warning: ");
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	/* A message is one line: control bytes quoted from the
	 * configuration ("\n" escapes) are shown as '?'.
	 */
	for (n = 0; msg[n]; n++)
		if ((unsigned char)msg[n] < 0x20 && msg[n] != '\t')
			msg[n] = '?';
	if (is_warning)
		ctx->nwarn++;
	else
		ctx->nerr++;
	if (ctx->report)
		ctx->report(ctx->report_arg, is_warning, msg);
}

void px_cfg_error(struct px_cfg_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ctx, 0, fmt, ap);
	va_end(ap);
}

void px_cfg_warn(struct px_cfg_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ctx, 1, fmt, ap);
	va_end(ap);
}

/* --- sections and keywords ------------------------------------------------ */

static const struct {
	const char *name;
	enum px_section sec;
} sections[] = {
	{ "global", PX_SEC_GLOBAL },
	{ "defaults", PX_SEC_DEFAULTS },
	{ "frontend", PX_SEC_FRONTEND },
	{ "backend", PX_SEC_BACKEND },
	{ "listen", PX_SEC_LISTEN },
};

/* Finds the definition of keyword <name> allowed in <section>. Sets
 * *exists when the keyword is known in some other section.
 */
static const struct px_cfg_kw *find_kw(const char *name, unsigned section, int *exists)
{
	struct px_cfg_kw_list *l;

	*exists = 0;
	for (l = kw_lists; l; l = l->next) {
		const struct px_cfg_kw *kw;

		for (kw = l->kws; kw->name; kw++) {
			if (strcmp(kw->name, name))
				continue;
			if (kw->sections & section)
				return kw;
			*exists = 1;
		}
	}
	return NULL;
}

/* Reports an unknown keyword, suggesting the closest known one. */
static void unknown_kw(struct px_cfg_ctx *ctx, const char *name)
{
	const char *cands[512];
	int n = 0, i;
	struct px_cfg_kw_list *l;
	const char *near;

	for (l = kw_lists; l; l = l->next) {
		const struct px_cfg_kw *kw;

		for (kw = l->kws; kw->name && n < 500; kw++)
			if (kw->sections & ctx->section)
				cands[n++] = kw->name;
	}
	for (i = 0; i < (int)PX_ARRAY_SIZE(sections); i++)
		cands[n++] = sections[i].name;
	near = px_closest(name, cands, n);
	if (near)
		px_cfg_error(ctx, "unknown keyword '%s' in '%s' section (did you mean '%s'?)",
		             name, ctx->section_name, near);
	else
		px_cfg_error(ctx, "unknown keyword '%s' in '%s' section", name,
		             ctx->section_name);
}

static void parse_line(struct px_cfg_ctx *ctx, char **args, int nargs)
{
	const struct px_cfg_kw *kw;
	unsigned i;
	int exists;
	char *err = NULL;

	for (i = 0; i < PX_ARRAY_SIZE(sections); i++) {
		if (strcmp(args[0], sections[i].name))
			continue;
		ctx->section = sections[i].sec;
		ctx->section_name = sections[i].name;
		ctx->px = NULL;
		if (sections[i].sec == PX_SEC_GLOBAL)
			px_global_section(args, nargs, ctx);
		else
			px_proxy_section(args, nargs, ctx);
		return;
	}
	if (ctx->section == PX_SEC_NONE) {
		px_cfg_error(ctx, "'%s' outside of any section (global, defaults, "
		             "frontend, backend or listen)", args[0]);
		return;
	}
	if (ctx->section != PX_SEC_GLOBAL && !ctx->px)
		return;   /* the section header was invalid; already reported */

	ctx->negate = 0;
	if (!strcmp(args[0], "no") && nargs > 1) {
		ctx->negate = 1;
		args++;
		nargs--;
	}
	kw = find_kw(args[0], ctx->section, &exists);
	if (!kw) {
		if (exists)
			px_cfg_error(ctx, "'%s' is not allowed in '%s' section", args[0],
			             ctx->section_name);
		else
			unknown_kw(ctx, args[0]);
		return;
	}
	if (ctx->negate && !(kw->flags & PX_KWF_NEGATABLE)) {
		px_cfg_error(ctx, "'no' cannot be used with '%s' in '%s' section", args[0],
		             ctx->section_name);
		return;
	}
	if (kw->parse(args, nargs, ctx, &err) < 0) {
		const char *sec = ctx->section_name;

		if (nargs > 1 && (!strcmp(args[0], "timeout") || !strcmp(args[0], "option")))
			px_cfg_error(ctx, "'%s%s %s' in '%s' section: %s", ctx->negate ? "no " : "",
			             args[0], args[1], sec, err ? err : "invalid");
		else
			px_cfg_error(ctx, "'%s%s' in '%s' section: %s", ctx->negate ? "no " : "",
			             args[0], sec, err ? err : "invalid");
	}
	free(err);
}

/* Parses the lines of <t> in order. Each file starts outside of any
 * section, as in HAProxy; lines written at run time belong to the file of
 * their neighbours.
 */
static void parse_text(struct px_cfg_ctx *ctx, const struct px_cfg_text *t)
{
	char words[8192];
	int fidx = -1;
	uint32_t i;

	for (i = 0; i < t->n; i++) {
		const struct px_cfg_line *l = &t->l[i];
		char *args[PX_CFG_MAX_ARGS + 1];
		char *err = NULL;
		size_t len = strlen(l->text);
		int nargs;

		if (l->fidx != fidx) {
			fidx = l->fidx;
			ctx->section = PX_SEC_NONE;
			ctx->section_name = "none";
			ctx->px = NULL;
		}
		ctx->file = l->file;
		ctx->line = l->line;
		ctx->line_id = l->id;
		if (len >= sizeof(words) / 2) {
			px_cfg_error(ctx, "line too long (at most %zu bytes)", sizeof(words) / 2);
			continue;
		}
		nargs = px_cfg_tokenize(l->text, words, sizeof(words), args,
		                        PX_CFG_MAX_ARGS, &err);
		if (nargs < 0) {
			px_cfg_error(ctx, "%s", err);
			free(err);
			continue;
		}
		args[nargs] = NULL;
		if (nargs)
			parse_line(ctx, args, nargs);
	}
	ctx->line_id = 0;
}

static void text_release(void *arg)
{
	px_cfg_text_free(arg);
}

/* Reads <files> into a new generation. Every error and warning goes to
 * <report> as "FILE:LINE: message". Returns the generation (refcount 1,
 * not published), or NULL when there was any error. With <check_only>, no
 * socket is opened (proxyd -c).
 */
struct px_gen *px_cfg_load(char **files, int nfiles, int check_only,
                           void (*report)(void *, int, const char *), void *arg)
{
	char *err = NULL;
	struct px_cfg_text *t = px_cfg_text_read(files, nfiles, &err);
	char msg[4200];

	if (!t) {
		snprintf(msg, sizeof(msg), "%s", err ? err : "out of memory");
		free(err);
		if (report)
			report(arg, 0, msg);
		return NULL;
	}
	return px_cfg_load_text(t, check_only, report, arg);
}

/* Parses <t> (which the generation takes over, even on failure) into a
 * new generation, as px_cfg_load().
 */
struct px_gen *px_cfg_load_text(struct px_cfg_text *t, int check_only,
                                void (*report)(void *, int, const char *), void *arg)
{
	struct px_cfg_ctx ctx = { 0 };
	struct px_gen *gen;
	int i;

	gen = calloc(1, sizeof(*gen));
	if (!gen) {
		px_cfg_text_free(t);
		return NULL;
	}
	gen->refcnt = 1;
	px_list_init(&gen->proxies);
	px_list_init(&gen->defaults);
	px_list_init(&gen->binds);
	px_global_init(&gen->global);
	ctx.gen = gen;
	ctx.report = report;
	ctx.report_arg = arg;
	ctx.check_only = check_only;
	if (px_gen_on_free(gen, text_release, t) < 0) {
		px_cfg_text_free(t);
		ctx.nerr++;
	} else {
		gen->text = t;
	}
	gen->files = px_gen_alloc(gen, sizeof(char *) * ((size_t)t->nfiles + 1));
	for (i = 0; gen->files && i < t->nfiles; i++)
		gen->files[i] = px_gen_strdup(gen, t->files[i]);
	gen->nfiles = t->nfiles;

	if (px_proxy_defaults_init(&ctx) < 0)
		ctx.nerr++;
	if (gen->text)
		parse_text(&ctx, t);
	ctx.file = NULL;
	if (!ctx.nerr)
		px_global_finalize(&ctx);
	if (!ctx.nerr) {
		/* Both report every error they find, not only the first. */
		px_proxy_finalize(&ctx);
		ctx.nerr += px_rules_finalize(&ctx);
		ctx.nerr += px_ssl_finalize(&ctx);
	}
	ctx.nerr += px_lua_cfg_finish(&ctx);
	px_smp_reset();
	if (ctx.nerr) {
		px_gen_unref(gen);
		return NULL;
	}
	/* The generation number comes with publication: a generation that
	 * never runs (a check, a refused commit) takes none.
	 */
	return gen;
}

/* --- generations ------------------------------------------------------------ */

struct gen_block {
	struct px_cleanup cl;
	max_align_t data[];
};

/* Small objects are carved out of 64 KiB chunks: the ACLs, expressions
 * and rules a request walks through then sit next to each other in
 * memory instead of scattered over the heap.
 */
#define GEN_CHUNK 65536
#define GEN_ALIGN 16

static struct gen_block *gen_block_new(struct px_gen *gen, size_t size)
{
	struct gen_block *b = calloc(1, sizeof(*b) + size);

	if (!b)
		return NULL;
	b->cl.next = gen->cleanups;
	gen->cleanups = &b->cl;
	return b;
}

/* Allocates zeroed memory that lives as long as <gen>. */
void *px_gen_alloc(struct px_gen *gen, size_t size)
{
	struct gen_block *b;
	void *p;

	size = (size + GEN_ALIGN - 1) & ~(size_t)(GEN_ALIGN - 1);
	if (!size)
		size = GEN_ALIGN;
	if (size > GEN_CHUNK / 4) {
		b = gen_block_new(gen, size);
		return b ? b->data : NULL;
	}
	if (size > gen->arena_left) {
		b = gen_block_new(gen, GEN_CHUNK);
		if (!b)
			return NULL;
		gen->arena = (char *)b->data;
		gen->arena_left = GEN_CHUNK;
	}
	p = gen->arena;
	gen->arena += size;
	gen->arena_left -= size;
	return p;
}

char *px_gen_strdup(struct px_gen *gen, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = px_gen_alloc(gen, n);

	if (d)
		memcpy(d, s, n);
	return d;
}

/* Registers fn(arg) to run when <gen> is freed (in reverse order of
 * registration). Returns 0, or -1 on memory exhaustion.
 */
int px_gen_on_free(struct px_gen *gen, void (*fn)(void *), void *arg)
{
	struct gen_block *b = calloc(1, sizeof(*b));

	if (!b)
		return -1;
	b->cl.fn = fn;
	b->cl.arg = arg;
	b->cl.next = gen->cleanups;
	gen->cleanups = &b->cl;
	return 0;
}

struct px_gen *px_gen_ref(struct px_gen *gen)
{
	gen->refcnt++;
	return gen;
}

void px_gen_unref(struct px_gen *gen)
{
	struct px_cleanup *cl, *next;

	if (!gen || --gen->refcnt)
		return;
	/* Every cleanup runs before any memory goes: a cleanup may look at
	 * objects allocated after it was registered.
	 */
	for (cl = gen->cleanups; cl; cl = cl->next)
		if (cl->fn)
			cl->fn(cl->arg);
	for (cl = gen->cleanups; cl; cl = next) {
		next = cl->next;
		free(px_container_of(cl, struct gen_block, cl));
	}
	free(gen);
}

/* Makes <gen> the current generation (taking over the caller's reference)
 * and drops the reference held on the previous one.
 */
void px_gen_publish(struct px_gen *gen)
{
	struct px_gen *old = px_gen_cur;

	if (gen && !gen->id)
		gen->id = ++gen_counter;
	px_gen_cur = gen;
	px_gen_unref(old);
}
