/* Unit tests of proxyd/cfg/cfg.c: px_cfg_tokenize() (blanks, comments,
 * quotes, escapes, environment variables, limits) and px_cfg_load() on
 * small configuration files written to temporary files: the generation it
 * builds, and every diagnostic as the exact "FILE:LINE: message" line the
 * report callback receives. Keyword semantics beyond what a load shows
 * belong to the tests of the modules owning the keywords.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "backend/server-t.h"
#include "cfg/cfg.h"
#include "cfg/text.h"
#include "cfg/proxy-t.h"
#include "proto/listener-t.h"

/* --- tokenizer ------------------------------------------------------------ */

#define OUTSZ 8192
#define GUARD 64
#define CANARY 0xa5

/* Output buffer followed by a guard zone that must stay untouched. */
static unsigned char outbuf[OUTSZ + GUARD];

static int tokenize(const char *line, size_t outsz, char **args, int maxargs,
                    char **err)
{
	size_t i;
	int n;

	memset(outbuf, CANARY, sizeof(outbuf));
	n = px_cfg_tokenize(line, (char *)outbuf, outsz, args, maxargs, err);
	for (i = outsz; i < outsz + GUARD; i++)
		if (outbuf[i] != CANARY)
			fail_msg("\"%s\": byte %zu written past the %zu-byte output", line, i,
			         outsz);
	return n;
}

/* Checks that <line> gives exactly the words of the NULL-terminated <exp>. */
static void tok_ok(const char *line, const char *const *exp)
{
	char *args[PX_CFG_MAX_ARGS];
	char *err = NULL;
	int n, i, nexp = 0;

	while (exp[nexp])
		nexp++;
	n = tokenize(line, OUTSZ, args, PX_CFG_MAX_ARGS, &err);
	if (n < 0) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", err ? err : "(null)");
		free(err);
		fail_msg("\"%s\": error \"%s\"", line, msg);
	}
	if (n != nexp)
		fail_msg("\"%s\": %d words, expected %d", line, n, nexp);
	for (i = 0; i < n; i++)
		if (strcmp(args[i], exp[i]))
			fail_msg("\"%s\": word %d is \"%s\", expected \"%s\"", line, i,
			         args[i], exp[i]);
	assert_null(err);
}

#define TOK(line, ...) tok_ok((line), (const char *const[]){ __VA_ARGS__, NULL })
#define TOK_NONE(line) tok_ok((line), (const char *const[]){ NULL })

/* Checks that <line> is refused with exactly <msg>. */
static void tok_err_sized(const char *line, size_t outsz, int maxargs, const char *msg)
{
	char *args[PX_CFG_MAX_ARGS];
	char *err = NULL;
	int n;

	n = tokenize(line, outsz, args, maxargs, &err);
	if (n != -1)
		fail_msg("\"%s\": returned %d, expected an error", line, n);
	if (!err || strcmp(err, msg)) {
		char got[256];

		snprintf(got, sizeof(got), "%s", err ? err : "(null)");
		free(err);
		fail_msg("\"%s\": error \"%s\", expected \"%s\"", line, got, msg);
	}
	free(err);
}

static void tok_err(const char *line, const char *msg)
{
	tok_err_sized(line, OUTSZ, PX_CFG_MAX_ARGS, msg);
}

static void test_tok_blanks(void **state)
{
	TOK_NONE("");
	TOK_NONE(" \t \r\n");
	TOK("bind", "bind");
	TOK("  bind \t :80  \r\n", "bind", ":80");
	TOK("a\tb\rc\nd", "a", "b", "c", "d");
	TOK("server  s1   1.2.3.4:80\n", "server", "s1", "1.2.3.4:80");
}

static void test_tok_comments(void **state)
{
	TOK_NONE("# comment");
	TOK_NONE("   \t# indented comment \"unterminated");
	TOK("server s1 1.2.3.4:80 # weight 5", "server", "s1", "1.2.3.4:80");
	TOK("server s1 1.2.3.4:80 #weight 5", "server", "s1", "1.2.3.4:80");
	/* Outside quotes, '#' ends the line even inside a word. */
	TOK("a#b c", "a");
	/* Quoted or escaped, it is an ordinary character. */
	TOK("\"a#b\" 'c#d' e\\#f", "a#b", "c#d", "e#f");
	TOK("\"# not a comment\"", "# not a comment");
}

static void test_tok_weak_quotes(void **state)
{
	TOK("\"hello world\"", "hello world");
	TOK("ab\"c d\"e", "abc de");
	TOK("x \"\" y", "x", "", "y");
	TOK("\"\"", "");
	TOK("\"it's\"", "it's");
	TOK("\"a\tb\"", "a\tb");
	TOK("\"a\" \"b\"", "a", "b");
	TOK("\"a\"\"b\"", "ab");
}

static void test_tok_strong_quotes(void **state)
{
	/* Nothing is special inside single quotes. */
	TOK("'a \\n $HOME \"b\" # c'", "a \\n $HOME \"b\" # c");
	TOK("'a\\'", "a\\");
	TOK("'\\x41'", "\\x41");
	TOK("'say \"hi\"'", "say \"hi\"");
	TOK("'x'\"y\"z", "xyz");
	TOK("''", "");
	TOK("'' ''", "", "");
}

static void test_tok_escapes(void **state)
{
	TOK("a\\ b", "a b");
	TOK("a\\ b c", "a b", "c");
	TOK("\\#x", "#x");
	TOK("\\\\", "\\");
	TOK("\\\\\\\\", "\\\\");
	TOK("\\\"q\\\"", "\"q\"");
	TOK("\\'", "'");
	TOK("\\n\\r\\t", "\n\r\t");
	TOK("\\$HOME", "$HOME");
	TOK("\"a\\\"b\"", "a\"b");
	TOK("\"a\\\\\"", "a\\");
	TOK("\"a\\nb\"", "a\nb");
	TOK("abc\\\\ def", "abc\\", "def");
}

static void test_tok_hex_escapes(void **state)
{
	TOK("\\x41\\x7a", "Az");
	TOK("\\xff\\xFF\\x0a", "\xff\xff\n");
	TOK("\\x20", " ");
	TOK("a\\x23b c", "a#b", "c");
	TOK("\"\\x41\"", "A");
	tok_err("\\x00", "'\\x00' is not allowed");
	tok_err("a \"b\\x00\"", "'\\x00' is not allowed");
	tok_err("\\x4", "invalid escape '\\x' (two hex digits expected)");
	tok_err("\\x", "invalid escape '\\x' (two hex digits expected)");
	tok_err("\\xg1", "invalid escape '\\x' (two hex digits expected)");
	tok_err("\\x1g", "invalid escape '\\x' (two hex digits expected)");
	tok_err("abc\\", "backslash at the end of the line (lines cannot be continued)");
	tok_err("abc\\\n", "backslash at the end of the line (lines cannot be continued)");
}

/* Before any other character a backslash is kept, so that regular
 * expressions and their back-references survive.
 */
static void test_tok_backslash_kept(void **state)
{
	TOK("\\1\\ /\\2", "\\1 /\\2");
	TOK("\\.", "\\.");
	TOK("^/api\\/v1\\d+$", "^/api\\/v1\\d+$");
	TOK("\"\\.\\w\"", "\\.\\w");
	TOK("a\\b c", "a\\b", "c");
}

static void set_env(void)
{
	assert_int_equal(setenv("PX_T_A", "alpha", 1), 0);
	assert_int_equal(setenv("PX_T_EMPTY", "", 1), 0);
	assert_int_equal(setenv("PX_T_SP", "a b", 1), 0);
	assert_int_equal(setenv("PX_T_HASH", "x#y", 1), 0);
	assert_int_equal(unsetenv("PX_T_UNSET"), 0);
}

static void test_tok_env(void **state)
{
	set_env();
	TOK("\"$PX_T_A\"", "alpha");
	TOK("\"x${PX_T_A}y\"", "xalphay");
	TOK("\"$PX_T_A/z\"", "alpha/z");
	TOK("\"$PX_T_A-z\"", "alpha-z");
	TOK("\"$PX_T_A$PX_T_A\"", "alphaalpha");
	TOK("pre\"$PX_T_A\"post", "prealphapost");
	/* The value is one word and is not parsed again. */
	TOK("\"$PX_T_SP\" x", "a b", "x");
	TOK("\"$PX_T_HASH\" x", "x#y", "x");
	/* Only inside double quotes. */
	TOK("$PX_T_A", "$PX_T_A");
	TOK("'$PX_T_A'", "$PX_T_A");
	TOK("a$PX_T_A", "a$PX_T_A");
	/* Unset or empty: nothing, but the word exists. */
	TOK("\"$PX_T_UNSET\"", "");
	TOK("\"${PX_T_UNSET}\" b", "", "b");
	TOK("pre\"$PX_T_UNSET\"post", "prepost");
	TOK("\"$PX_T_EMPTY\"", "");
}

static void test_tok_env_default(void **state)
{
	set_env();
	TOK("\"${PX_T_UNSET-dflt}\"", "dflt");
	TOK("\"${PX_T_UNSET-a b}\"", "a b");
	TOK("\"${PX_T_UNSET-}\"", "");
	TOK("\"${PX_T_UNSET-x}${PX_T_A}\"", "xalpha");
	/* The default is only for unset variables, not for empty ones. */
	TOK("\"${PX_T_A-dflt}\"", "alpha");
	TOK("\"${PX_T_EMPTY-dflt}\"", "");
}

static void test_tok_env_errors(void **state)
{
	set_env();
	tok_err("\"${PX_T_A\"", "missing '}' after environment variable 'PX_T_A'");
	tok_err("\"${PX_T_UNSET-abc\"", "missing '}' after environment variable 'PX_T_UNSET'");
	tok_err("\"${PX_T_A:-x}\"", "missing '}' after environment variable 'PX_T_A'");
	tok_err("\"$1x\"", "invalid environment variable name after '$'");
	tok_err("\"$\"", "invalid environment variable name after '$'");
	tok_err("\"${}\"", "invalid environment variable name after '$'");
	tok_err("\"cost: $ 5\"", "invalid environment variable name after '$'");
}

static void test_tok_unterminated(void **state)
{
	tok_err("\"abc", "unterminated double quote");
	tok_err("a \"b c", "unterminated double quote");
	tok_err("\"a'b", "unterminated double quote");
	tok_err("\"a\\\"", "unterminated double quote");
	tok_err("'abc", "unterminated single quote");
	tok_err("a 'b c", "unterminated single quote");
	tok_err("'a\"b", "unterminated single quote");
	tok_err("'a # b", "unterminated single quote");
}

static void test_tok_too_many_words(void **state)
{
	char *args[4];
	char *err = NULL;

	assert_int_equal(tokenize("a b c", OUTSZ, args, 3, &err), 3);
	assert_int_equal(tokenize("a b c   ", OUTSZ, args, 3, &err), 3);
	assert_int_equal(tokenize("a b c # d e", OUTSZ, args, 3, &err), 3);
	assert_null(err);
	tok_err_sized("a b c d", OUTSZ, 3, "too many words on the line (at most 3)");
	tok_err_sized("a", OUTSZ, 0, "too many words on the line (at most 0)");
}

static void test_tok_line_too_long(void **state)
{
	static char line[4096];
	char *args[PX_CFG_MAX_ARGS];
	char *err = NULL;
	size_t outsz;
	int n;

	memset(line, 'x', 100);
	line[100] = 0;
	tok_err_sized(line, 16, PX_CFG_MAX_ARGS, "line too long");
	tok_err_sized(line, 100, PX_CFG_MAX_ARGS, "line too long");
	n = tokenize(line, 200, args, PX_CFG_MAX_ARGS, &err);
	assert_int_equal(n, 1);
	assert_int_equal(strlen(args[0]), 100);

	assert_int_equal(setenv("PX_T_LONG", line, 1), 0);
	tok_err_sized("\"$PX_T_LONG\"", 64, PX_CFG_MAX_ARGS,
	              "line too long after expanding '$PX_T_LONG'");

	/* Whatever the room, the output is either complete and exact or
	 * refused, and nothing is written past it.
	 */
	set_env();
	for (outsz = 1; outsz <= 64; outsz++) {
		static const char *const lines[] = {
			"abc def ghi", "\"$PX_T_A\" \\x41\\x42 'q r'", "a\\ b \"${PX_T_UNSET-dd}\"",
		};
		static const char *const words[][3] = {
			{ "abc", "def", "ghi" }, { "alpha", "AB", "q r" }, { "a b", "dd", NULL },
		};
		size_t l;

		for (l = 0; l < 3; l++) {
			int nw = words[l][2] ? 3 : 2, i;

			err = NULL;
			n = tokenize(lines[l], outsz, args, PX_CFG_MAX_ARGS, &err);
			if (n < 0) {
				int too_long = err && !strncmp(err, "line too long", 13);

				free(err);
				if (outsz >= 32)
					fail_msg("\"%s\" refused with %zu bytes", lines[l], outsz);
				if (!too_long)
					fail_msg("\"%s\" with %zu bytes: not \"line too long\"",
					         lines[l], outsz);
				continue;
			}
			assert_int_equal(n, nw);
			for (i = 0; i < nw; i++)
				assert_string_equal(args[i], words[l][i]);
		}
	}
}

/* --- loading files -------------------------------------------------------- */

#define MAX_REPORTS 16

/* Diagnostics received by the report callback. Kept in fixed arrays so
 * that a failing assertion leaks nothing.
 */
struct reports {
	int n;
	int warn[MAX_REPORTS];
	char msg[MAX_REPORTS][2048];
};

static void collect(void *arg, int is_warning, const char *msg)
{
	struct reports *r = arg;

	if (r->n >= MAX_REPORTS)
		fail_msg("more than %d reports, last: %s", MAX_REPORTS, msg);
	r->warn[r->n] = is_warning;
	snprintf(r->msg[r->n], sizeof(r->msg[0]), "%s", msg);
	r->n++;
}

static void reports_reset(struct reports *r)
{
	r->n = 0;
}

/* A temporary configuration file, removed by the test's teardown. */
struct cfgfile {
	char path[64];
};

#define MAX_FILES 4
static struct cfgfile files[MAX_FILES];
static int nfiles;

static const char *write_cfg(const char *text)
{
	struct cfgfile *f;
	size_t len = strlen(text);
	int fd;

	assert_true(nfiles < MAX_FILES);
	f = &files[nfiles++];
	snprintf(f->path, sizeof(f->path), "/tmp/pxunit-cfg-XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	return f->path;
}

/* Generations loaded by the current test, released by its teardown. */
static struct px_gen *gens[8];
static int ngens;

static struct px_gen *cfg_load(char **names, int n, struct reports *r)
{
	struct px_gen *gen = px_cfg_load(names, n, 1, collect, r);

	if (gen) {
		assert_true(ngens < (int)(sizeof(gens) / sizeof(gens[0])));
		gens[ngens++] = gen;
	}
	return gen;
}

static void release(struct px_gen *gen)
{
	int i;

	for (i = 0; i < ngens; i++)
		if (gens[i] == gen) {
			gens[i] = gens[--ngens];
			px_gen_unref(gen);
			return;
		}
	fail_msg("releasing a generation not loaded by the test");
}

static int cleanup(void **state)
{
	int i;

	for (i = 0; i < nfiles; i++)
		unlink(files[i].path);
	nfiles = 0;
	while (ngens)
		px_gen_unref(gens[--ngens]);
	return 0;
}

static struct px_gen *load(const char *text, struct reports *r, const char **path)
{
	char *names[1];

	*path = write_cfg(text);
	names[0] = (char *)*path;
	r->n = 0;
	return cfg_load(names, 1, r);
}

/* Checks that report <i> is a warning or an error with exactly <exp>. */
static void assert_report(const struct reports *r, int i, int is_warning,
                          const char *exp)
{
	if (i >= r->n)
		fail_msg("report %d missing (only %d); expected \"%s\"", i, r->n, exp);
	if (r->warn[i] != is_warning)
		fail_msg("report %d is %s: \"%s\"", i, r->warn[i] ? "a warning" : "an error",
		         r->msg[i]);
	if (strcmp(r->msg[i], exp))
		fail_msg("report %d:\n  got      \"%s\"\n  expected \"%s\"", i, r->msg[i], exp);
}

static void assert_nreports(const struct reports *r, int n)
{
	if (r->n != n) {
		int i;

		for (i = 0; i < r->n; i++)
			print_message("report %d: %s\n", i, r->msg[i]);
		fail_msg("%d reports, expected %d", r->n, n);
	}
}

/* Formats an expected message into one of a few rotating buffers. */
static const char *msgf(const char *fmt, ...)
{
	static char buf[4][1024];
	static int slot;
	char *b = buf[slot++ % 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(buf[0]), fmt, ap);
	va_end(ap);
	return b;
}

static struct px_proxy *proxy_at(struct px_gen *gen, int idx)
{
	struct px_list *e;
	int i = 0;

	px_list_for_each(e, &gen->proxies)
		if (i++ == idx)
			return px_container_of(e, struct px_proxy, link);
	return NULL;
}

static int count(const struct px_list *head)
{
	const struct px_list *e;
	int n = 0;

	for (e = head->next; e != head; e = e->next)
		n++;
	return n;
}

static void assert_in4(const union px_sockaddr *a, const char *ip, int port)
{
	char s[INET_ADDRSTRLEN];

	assert_int_equal(a->in4.sin_family, AF_INET);
	assert_non_null(inet_ntop(AF_INET, &a->in4.sin_addr, s, sizeof(s)));
	assert_string_equal(s, ip);
	assert_int_equal(ntohs(a->in4.sin_port), port);
}

static void test_load_valid(void **state)
{
	static const char text[] =
		"# A small but complete configuration.\n"        /*  1 */
		"global\n"                                        /*  2 */
		"    maxconn 1000\n"                              /*  3 */
		"\n"                                              /*  4 */
		"defaults\n"                                      /*  5 */
		"    mode http\n"                                 /*  6 */
		"    timeout connect 5s\n"                        /*  7 */
		"    timeout client 30s\n"                        /*  8 */
		"    timeout server 1m\n"                         /*  9 */
		"\n"                                              /* 10 */
		"frontend fe_main\n"                              /* 11 */
		"    bind 127.0.0.1:8080\n"                       /* 12 */
		"    timeout http-request 10s\n"                  /* 13 */
		"    default_backend be_app\n"                    /* 14 */
		"\n"                                              /* 15 */
		"backend be_app\n"                                /* 16 */
		"    retries 2\n"                                 /* 17 */
		"    server s1 127.0.0.1:9001\n"                  /* 18 */
		"    server s2 127.0.0.1:9002 weight 5 maxconn 10\n" /* 19 */
		"    server s3 127.0.0.1:9003 disabled\n";       /* 20 */
	static struct reports r;
	const char *path;
	struct px_gen *gen = load(text, &r, &path);
	struct px_proxy *fe, *be;
	struct px_bind *b;

	assert_nreports(&r, 0);
	assert_non_null(gen);
	assert_int_equal(gen->refcnt, 1);
	/* Numbered when published, not when parsed. */
	assert_int_equal(gen->id, 0);
	assert_non_null(gen->text);
	assert_int_equal(gen->text->n, 20);
	assert_string_equal(gen->text->l[18].text, "    server s2 127.0.0.1:9002 weight 5 maxconn 10");
	assert_int_equal(gen->text->l[18].line, 19);
	assert_int_equal(gen->nfiles, 1);
	assert_string_equal(gen->files[0], path);
	assert_int_equal(gen->global.maxconn, 1000);
	assert_int_equal(count(&gen->proxies), 2);
	assert_int_equal(count(&gen->binds), 1);

	fe = proxy_at(gen, 0);
	be = proxy_at(gen, 1);
	assert_string_equal(fe->id, "fe_main");
	assert_int_equal(fe->cap, PX_CAP_FE);
	assert_string_equal(fe->file, path);
	assert_int_equal(fe->line, 11);
	assert_int_equal(fe->mode, PX_MODE_HTTP);
	assert_int_equal(fe->maxconn, 1000);
	assert_int_equal(fe->to.client, 30000);
	assert_int_equal(fe->to.connect, 5000);
	assert_int_equal(fe->to.server, 60000);
	assert_int_equal(fe->to.http_request, 10000);
	assert_string_equal(fe->defbe_name, "be_app");
	assert_ptr_equal(fe->defbe, be);
	assert_int_equal(fe->nsrv, 0);
	assert_int_equal(count(&fe->binds), 1);
	b = px_container_of(fe->binds.next, struct px_bind, link);
	assert_ptr_equal(b->fe, fe);
	assert_string_equal(b->addr_str, "127.0.0.1:8080");
	assert_int_equal(b->line, 12);
	assert_int_equal(b->inherited_fd, -1);
	assert_in4(&b->addr, "127.0.0.1", 8080);

	assert_string_equal(be->id, "be_app");
	assert_int_equal(be->cap, PX_CAP_BE);
	assert_int_equal(be->line, 16);
	assert_int_equal(be->mode, PX_MODE_HTTP);
	assert_int_equal(be->to.connect, 5000);
	assert_int_equal(be->to.server, 60000);
	assert_int_equal(be->to.http_request, 0);
	assert_int_equal(be->retries, 2);
	assert_int_equal(fe->retries, 3);
	assert_int_equal(be->nsrv, 3);

	assert_string_equal(be->srv[0]->id, "s1");
	assert_ptr_equal(be->srv[0]->be, be);
	assert_string_equal(be->srv[0]->file, path);
	assert_int_equal(be->srv[0]->line, 18);
	assert_int_equal(be->srv[0]->puid, 1);
	assert_string_equal(be->srv[0]->addr_str, "127.0.0.1:9001");
	assert_in4(&be->srv[0]->addr, "127.0.0.1", 9001);
	assert_int_equal(be->srv[0]->weight, 1);
	assert_int_equal(be->srv[0]->maxconn, 0);
	assert_int_equal(be->srv[0]->disabled, 0);

	assert_string_equal(be->srv[1]->id, "s2");
	assert_int_equal(be->srv[1]->puid, 2);
	assert_int_equal(be->srv[1]->line, 19);
	assert_in4(&be->srv[1]->addr, "127.0.0.1", 9002);
	assert_int_equal(be->srv[1]->weight, 5);
	assert_int_equal(be->srv[1]->maxconn, 10);
	assert_int_equal(be->srv[1]->disabled, 0);

	assert_string_equal(be->srv[2]->id, "s3");
	assert_int_equal(be->srv[2]->puid, 3);
	assert_int_equal(be->srv[2]->disabled, 1);
	assert_int_equal(be->srv[2]->weight, 1);

	/* What kind of section each proxy was declared as. */
	assert_string_equal(fe->kind, "frontend");
	assert_string_equal(be->kind, "backend");

	release(gen);
	reports_reset(&r);
}

/* Two files make one generation; each file starts outside any section. */
static void test_load_two_files(void **state)
{
	const char *a = write_cfg("defaults\n"
	                          "    timeout client 1s\n"
	                          "    timeout connect 2s\n"
	                          "    timeout server 3s\n"
	                          "backend be\n"
	                          "    server s1 10.0.0.1:80\n");
	const char *b = write_cfg("listen both\n"
	                          "    bind 127.0.0.1:8081\n"
	                          "    server s1 10.0.0.2:80\n");
	const char *c = write_cfg("    server s2 10.0.0.3:80\n");
	char *names[3] = { (char *)a, (char *)b, (char *)c };
	struct px_gen *gen;
	struct px_proxy *be, *li;
	static struct reports r;

	reports_reset(&r);
	gen = cfg_load(names, 2, &r);
	assert_nreports(&r, 0);
	assert_non_null(gen);
	assert_int_equal(gen->nfiles, 2);
	assert_int_equal(count(&gen->proxies), 2);
	be = proxy_at(gen, 0);
	li = proxy_at(gen, 1);
	assert_string_equal(be->file, a);
	assert_int_equal(be->line, 5);
	assert_string_equal(li->file, b);
	assert_int_equal(li->line, 1);
	assert_int_equal(li->cap, PX_CAP_FE | PX_CAP_BE);
	assert_ptr_equal(li->defbe, li);
	/* Defaults carry over to the next file. */
	assert_int_equal(li->to.client, 1000);
	assert_int_equal(li->to.server, 3000);
	assert_in4(&li->srv[0]->addr, "10.0.0.2", 80);
	release(gen);

	gen = cfg_load(names, 3, &r);
	assert_null(gen);
	assert_nreports(&r, 1);
	assert_report(&r, 0, 0, msgf("%s:1: 'server' outside of any section (global, "
	                             "defaults, frontend, backend or listen)", c));
	reports_reset(&r);
}

static void test_load_unknown_keyword(void **state)
{
	static const char text[] =
		"frontend fe\n"                      /* 1 */
		"    bind 127.0.0.1:8080\n"          /* 2 */
		"    mdoe http\n"                    /* 3 */
		"    maxconm 10\n"                   /* 4 */
		"    frobnicate 1\n"                 /* 5 */
		"backend be\n"                       /* 6 */
		"    sever s1 127.0.0.1:80\n"        /* 7 */
		"    timeout clinet 5s\n"            /* 8 */
		"    option redispatc\n"             /* 9 */
		"bakend x\n";                        /* 10 */
	static struct reports r;
	const char *p;
	struct px_gen *gen = load(text, &r, &p);

	assert_null(gen);
	assert_nreports(&r, 7);
	assert_report(&r, 0, 0, msgf("%s:3: unknown keyword 'mdoe' in 'frontend' section "
	                             "(did you mean 'mode'?)", p));
	assert_report(&r, 1, 0, msgf("%s:4: unknown keyword 'maxconm' in 'frontend' section "
	                             "(did you mean 'maxconn'?)", p));
	assert_report(&r, 2, 0, msgf("%s:5: unknown keyword 'frobnicate' in 'frontend' "
	                             "section", p));
	assert_report(&r, 3, 0, msgf("%s:7: unknown keyword 'sever' in 'backend' section "
	                             "(did you mean 'server'?)", p));
	assert_report(&r, 4, 0, msgf("%s:8: 'timeout clinet' in 'backend' section: unknown "
	                             "timeout (did you mean 'client'?)", p));
	assert_report(&r, 5, 0, msgf("%s:9: 'option redispatc' in 'backend' section: "
	                             "unknown option (did you mean 'redispatch'?)", p));
	assert_report(&r, 6, 0, msgf("%s:10: unknown keyword 'bakend' in 'backend' section "
	                             "(did you mean 'backend'?)", p));
	reports_reset(&r);
}

static void test_load_wrong_section(void **state)
{
	static const char text[] =
		"global\n"                           /* 1 */
		"    mode http\n"                    /* 2 */
		"backend be\n"                       /* 3 */
		"    default_backend other\n"        /* 4 */
		"    bind 127.0.0.1:8080\n"          /* 5 */
		"frontend fe\n"                      /* 6 */
		"    server s1 127.0.0.1:80\n"       /* 7 */
		"    retries 3\n"                    /* 8 */
		"defaults\n"                         /* 9 */
		"    daemon\n";                      /* 10 */
	static struct reports r;
	const char *p;
	struct px_gen *gen = load(text, &r, &p);

	assert_null(gen);
	assert_nreports(&r, 6);
	assert_report(&r, 0, 0, msgf("%s:2: 'mode' is not allowed in 'global' section", p));
	assert_report(&r, 1, 0, msgf("%s:4: 'default_backend' is not allowed in 'backend' "
	                             "section", p));
	assert_report(&r, 2, 0, msgf("%s:5: 'bind' is not allowed in 'backend' section", p));
	assert_report(&r, 3, 0, msgf("%s:7: 'server' is not allowed in 'frontend' section", p));
	assert_report(&r, 4, 0, msgf("%s:8: 'retries' is not allowed in 'frontend' section", p));
	assert_report(&r, 5, 0, msgf("%s:10: 'daemon' is not allowed in 'defaults' section", p));
	reports_reset(&r);
}

static void test_load_invalid_time(void **state)
{
	static const char text[] =
		"defaults\n"                         /* 1 */
		"    timeout client 10x\n"           /* 2 */
		"    timeout server abc\n"           /* 3 */
		"    timeout connect 30d\n"          /* 4 */
		"    timeout queue\n"                /* 5 */
		"    timeout tunnel -1\n";           /* 6 */
	static struct reports r;
	const char *p;
	struct px_gen *gen = load(text, &r, &p);

	assert_null(gen);
	assert_nreports(&r, 5);
	assert_report(&r, 0, 0, msgf("%s:2: 'timeout client' in 'defaults' section: invalid "
	                             "unit 'x' in time value '10x' (us, ms, s, m, h or d)", p));
	assert_report(&r, 1, 0, msgf("%s:3: 'timeout server' in 'defaults' section: invalid "
	                             "time value 'abc' (a number with an optional unit us, ms, "
	                             "s, m, h or d is expected)", p));
	assert_report(&r, 2, 0, msgf("%s:4: 'timeout connect' in 'defaults' section: time "
	                             "value '30d' is too large (at most 24 days)", p));
	assert_report(&r, 3, 0, msgf("%s:5: 'timeout queue' in 'defaults' section: expects "
	                             "one value", p));
	assert_report(&r, 4, 0, msgf("%s:6: 'timeout tunnel' in 'defaults' section: invalid "
	                             "time value '-1' (a number with an optional unit us, ms, "
	                             "s, m, h or d is expected)", p));
	reports_reset(&r);
}

static void test_load_unknown_default_backend(void **state)
{
	static const char text[] =
		"defaults\n"                         /* 1 */
		"    timeout client 5s\n"            /* 2 */
		"    timeout connect 5s\n"           /* 3 */
		"    timeout server 5s\n"            /* 4 */
		"frontend fe\n"                      /* 5 */
		"    bind 127.0.0.1:8080\n"          /* 6 */
		"    default_backend nope\n"         /* 7 */
		"frontend other\n"                   /* 8 */
		"    bind 127.0.0.1:8081\n";         /* 9 */
	static struct reports r;
	const char *p;
	struct px_gen *gen = load(text, &r, &p);

	assert_null(gen);
	assert_nreports(&r, 1);
	assert_report(&r, 0, 0, msgf("%s:5: frontend 'fe': no backend named 'nope' for "
	                             "default_backend", p));
	reports_reset(&r);

	/* A frontend is not a backend, even with the right name. */
	gen = load("defaults\n"
	           "    timeout client 5s\n"
	           "frontend fe\n"
	           "    bind 127.0.0.1:8080\n"
	           "    default_backend other\n"
	           "frontend other\n"
	           "    bind 127.0.0.1:8081\n", &r, &p);
	assert_null(gen);
	assert_nreports(&r, 1);
	assert_report(&r, 0, 0, msgf("%s:3: frontend 'fe': no backend named 'other' for "
	                             "default_backend", p));
	reports_reset(&r);
}

static void test_load_frontend_without_bind(void **state)
{
	static struct reports r;
	const char *p;
	struct px_gen *gen;

	gen = load("defaults\n"
	           "    timeout client 5s\n"
	           "frontend fe\n"
	           "    mode http\n", &r, &p);
	assert_null(gen);
	assert_nreports(&r, 1);
	assert_report(&r, 0, 0, msgf("%s:3: frontend 'fe' has no 'bind' line; declare it as "
	                             "a backend if this was intended", p));
	reports_reset(&r);

	/* A listen section without bind is only a backend. */
	gen = load("defaults\n"
	           "    timeout connect 5s\n"
	           "    timeout server 5s\n"
	           "listen li\n"
	           "    server s1 127.0.0.1:80\n", &r, &p);
	assert_nreports(&r, 0);
	assert_non_null(gen);
	assert_int_equal(proxy_at(gen, 0)->cap, PX_CAP_BE);
	release(gen);
	reports_reset(&r);
}

static void test_load_duplicate_server(void **state)
{
	static const char text[] =
		"backend be\n"                       /* 1 */
		"    timeout connect 1s\n"           /* 2 */
		"    timeout server 1s\n"            /* 3 */
		"    server s1 127.0.0.1:9001\n"     /* 4 */
		"    server s2 127.0.0.1:9002\n"     /* 5 */
		"    server s1 127.0.0.1:9003\n"     /* 6 */
		"backend be2\n"                      /* 7 */
		"    server s1 127.0.0.1:9001\n";    /* 8 */
	static struct reports r;
	const char *p;
	struct px_gen *gen = load(text, &r, &p);

	assert_null(gen);
	assert_nreports(&r, 1);
	assert_report(&r, 0, 0, msgf("%s:6: 'server' in 'backend' section: server 's1' "
	                             "already declared in backend 'be' at %s:4", p, p));
	reports_reset(&r);
}

static void test_load_duplicate_proxy(void **state)
{
	static struct reports r;
	const char *p;
	struct px_gen *gen;

	gen = load("backend be\n"
	           "backend be\n", &r, &p);
	assert_null(gen);
	assert_nreports(&r, 1);
	assert_report(&r, 0, 0, msgf("%s:2: backend 'be' has the same name as backend 'be' "
	                             "declared at %s:1", p, p));
	reports_reset(&r);

	/* The message names the kind of each section, as declared. */
	gen = load("backend be\n"
	           "    server s1 127.0.0.1:80\n"
	           "listen be\n", &r, &p);
	assert_null(gen);
	assert_nreports(&r, 1);
	assert_report(&r, 0, 0, msgf("%s:3: listen 'be' has the same name as backend 'be' "
	                             "declared at %s:1", p, p));
	reports_reset(&r);

	/* Frontends and backends have separate name spaces. */
	gen = load("defaults\n"
	           "    timeout client 1s\n"
	           "    timeout connect 1s\n"
	           "    timeout server 1s\n"
	           "frontend app\n"
	           "    bind 127.0.0.1:8080\n"
	           "    default_backend app\n"
	           "backend app\n", &r, &p);
	assert_nreports(&r, 0);
	assert_non_null(gen);
	assert_ptr_equal(proxy_at(gen, 0)->defbe, proxy_at(gen, 1));
	release(gen);
	reports_reset(&r);
}

/* A setting for a side the proxy does not have is a warning. */
static void test_load_ignored_side(void **state)
{
	static const char text[] =
		"backend be\n"                       /* 1 */
		"    timeout connect 1s\n"           /* 2 */
		"    timeout server 1s\n"            /* 3 */
		"    timeout client 5s\n"            /* 4 */
		"    option httplog\n"               /* 5 */
		"    server s1 127.0.0.1:80\n";      /* 6 */
	static struct reports r;
	const char *p;
	struct px_gen *gen = load(text, &r, &p);

	assert_nreports(&r, 2);
	assert_report(&r, 0, 1, msgf("%s:4: warning: 'timeout client' is ignored in backend "
	                             "'be', which has no frontend side", p));
	assert_report(&r, 1, 1, msgf("%s:5: warning: 'option httplog' is ignored in backend "
	                             "'be', which has no frontend side", p));
	assert_non_null(gen);
	release(gen);
	reports_reset(&r);
}

static void test_load_tokenizer_error(void **state)
{
	static struct reports r;
	const char *p;
	struct px_gen *gen;

	gen = load("frontend fe\n"
	           "    bind \"127.0.0.1:8080\n"
	           "    bind 127.0.0.1:8080 \\x00\n", &r, &p);
	assert_null(gen);
	assert_nreports(&r, 2);
	assert_report(&r, 0, 0, msgf("%s:2: unterminated double quote", p));
	assert_report(&r, 1, 0, msgf("%s:3: '\\x00' is not allowed", p));
	reports_reset(&r);
}

static void test_load_missing_file(void **state)
{
	char *names[1] = { "/nonexistent/proxyd-unit.cfg" };
	static struct reports r;

	reports_reset(&r);
	assert_null(cfg_load(names, 1, &r));
	assert_nreports(&r, 1);
	assert_report(&r, 0, 0, "cannot open configuration file "
	              "'/nonexistent/proxyd-unit.cfg': No such file or directory");
	reports_reset(&r);
}

/* Missing timeouts are warnings: the generation is still built. */
static void test_load_missing_timeouts(void **state)
{
	static const char text[] =
		"frontend fe\n"                      /* 1 */
		"    bind 127.0.0.1:8080\n"          /* 2 */
		"    default_backend be\n"           /* 3 */
		"backend be\n"                       /* 4 */
		"    server s1 127.0.0.1:9001\n"     /* 5 */
		"backend be2\n"                      /* 6 */
		"    timeout connect 5s\n"           /* 7 */
		"listen li\n"                        /* 8 */
		"    bind 127.0.0.1:8081\n"          /* 9 */
		"    timeout client 5s\n"            /* 10 */
		"    timeout connect 5s\n"           /* 11 */
		"    timeout server 5s\n"            /* 12 */
		"listen li2\n"                       /* 13 */
		"    bind 127.0.0.1:8082\n";         /* 14 */
	static struct reports r;
	const char *p;
	struct px_gen *gen = load(text, &r, &p);

	assert_nreports(&r, 5);
	assert_report(&r, 0, 1, msgf("%s:1: warning: missing 'timeout client' in frontend "
	                             "'fe': clients that stop talking will keep their "
	                             "connection forever; set 'timeout client', 'timeout "
	                             "connect' and 'timeout server'", p));
	assert_report(&r, 1, 1, msgf("%s:4: warning: missing 'timeout connect' and "
	                             "'timeout server' in backend 'be': a server that does not answer will hold "
	                             "connections forever", p));
	assert_report(&r, 2, 1, msgf("%s:6: warning: missing 'timeout server' in backend "
	                             "'be2': a server that does not answer will hold "
	                             "connections forever", p));
	assert_report(&r, 3, 1, msgf("%s:13: warning: missing 'timeout client' in listen "
	                             "'li2': clients that stop talking will keep their "
	                             "connection forever; set 'timeout client', 'timeout "
	                             "connect' and 'timeout server'", p));
	assert_report(&r, 4, 1, msgf("%s:13: warning: missing 'timeout connect' and "
	                             "'timeout server' in listen 'li2': a server that does not answer will hold "
	                             "connections forever", p));
	assert_non_null(gen);
	assert_int_equal(count(&gen->proxies), 5);
	release(gen);
	reports_reset(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tok_blanks),
		cmocka_unit_test(test_tok_comments),
		cmocka_unit_test(test_tok_weak_quotes),
		cmocka_unit_test(test_tok_strong_quotes),
		cmocka_unit_test(test_tok_escapes),
		cmocka_unit_test(test_tok_hex_escapes),
		cmocka_unit_test(test_tok_backslash_kept),
		cmocka_unit_test(test_tok_env),
		cmocka_unit_test(test_tok_env_default),
		cmocka_unit_test(test_tok_env_errors),
		cmocka_unit_test(test_tok_unterminated),
		cmocka_unit_test(test_tok_too_many_words),
		cmocka_unit_test(test_tok_line_too_long),
		cmocka_unit_test_teardown(test_load_valid, cleanup),
		cmocka_unit_test_teardown(test_load_two_files, cleanup),
		cmocka_unit_test_teardown(test_load_unknown_keyword, cleanup),
		cmocka_unit_test_teardown(test_load_wrong_section, cleanup),
		cmocka_unit_test_teardown(test_load_invalid_time, cleanup),
		cmocka_unit_test_teardown(test_load_unknown_default_backend, cleanup),
		cmocka_unit_test_teardown(test_load_frontend_without_bind, cleanup),
		cmocka_unit_test_teardown(test_load_duplicate_server, cleanup),
		cmocka_unit_test_teardown(test_load_duplicate_proxy, cleanup),
		cmocka_unit_test_teardown(test_load_ignored_side, cleanup),
		cmocka_unit_test_teardown(test_load_tokenizer_error, cleanup),
		cmocka_unit_test_teardown(test_load_missing_file, cleanup),
		cmocka_unit_test_teardown(test_load_missing_timeouts, cleanup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
