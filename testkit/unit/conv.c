/* Unit tests of the converters (proxyd/rules/conv.c and conv-num.c), run
 * through the real expression parser and evaluator: each case is written
 * as in a configuration ("in,field(2,_)") and checks the exact bytes, the
 * type, or that there is no value, or the exact configuration error. The
 * "in" fetch defined here returns bytes set by the test, flagged constant,
 * so that converters writing in place are caught. Expected values marked
 * "haproxy" were taken from Debian's haproxy 2.6 on the same input.
 *
 * Map files are tested here through the map_* converters; their
 * programming interface (run-time changes) in testkit/unit/map.c.
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
#include "cfg/cfg.h"
#include "rules/map.h"
#include "rules/sample.h"
#include "rules/vars.h"

#define TRASH_SIZE 1024

static struct px_gen *gen;
static struct px_cfg_ctx cctx;
static char tmpdir[64];

/* What the "in" fetch returns, and a copy to check it was not written. */
static char in_buf[4096], in_copy[4096];
static uint32_t in_len;

static int f_in(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	smp->type = PX_SMP_STR;
	smp->flags = PX_SMPF_CONST;
	smp->u.str.p = in_buf;
	smp->u.str.len = in_len;
	return 1;
}

static const struct px_fetch_kw test_fetches[] = {
	{ .name = "in", .fn = f_in, .args = "", .out = PX_SMP_STR, .use = PX_USE_ANY },
	{ 0 }
};

static struct px_fetch_kw_list test_fetch_list = { .kws = test_fetches };

static void set_in(const char *p, size_t len)
{
	assert_true(len <= sizeof(in_buf));
	memcpy(in_buf, p, len);
	memcpy(in_copy, p, len);
	in_len = (uint32_t)len;
}

#define IN(lit) set_in((lit), sizeof(lit) - 1)

static int setup(void **state)
{
	gen = calloc(1, sizeof(*gen));
	assert_non_null(gen);
	gen->refcnt = 1;
	memset(&cctx, 0, sizeof(cctx));
	cctx.gen = gen;
	cctx.file = "unit.cfg";
	cctx.line = 1;
	in_len = 0;
	return px_trash_setup(TRASH_SIZE);
}

static int teardown(void **state)
{
	px_gen_unref(gen);
	gen = NULL;
	return 0;
}

/* Prints <len> bytes of <p> with C escapes, for failure messages. */
static const char *show(const char *p, size_t len)
{
	static char buf[4][2048];
	static int turn;
	char *o = buf[turn = (turn + 1) % 4];
	size_t i, n = 0;

	for (i = 0; i < len && n < sizeof(buf[0]) - 5; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			o[n++] = (char)c;
		else
			n += (size_t)snprintf(o + n, 5, "\\x%02x", c);
	}
	o[n] = 0;
	return o;
}

/* Evaluates <expr>: 1 with <out> set, 0 when there is no value. A parse
 * error fails the test.
 */
static int eval_at(const char *expr, struct px_smp *out, int line)
{
	char *err = NULL;
	struct px_expr *e = px_expr_parse(expr, strlen(expr), PX_USE_REQ, &cctx, &err);
	struct px_smp_ctx sctx = { .phase = PX_USE_REQ };
	int rc;

	if (!e) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", err ? err : "(no message)");
		free(err);
		fail_msg("line %d: '%s' refused: %s", line, expr, msg);
	}
	rc = px_expr_eval(e, &sctx, out);
	if (in_len && memcmp(in_buf, in_copy, in_len))
		fail_msg("line %d: '%s' wrote into its constant input", line, expr);
	return rc;
}

static void str_is(const char *expr, const char *exp, size_t len, int line)
{
	struct px_smp smp;

	if (!eval_at(expr, &smp, line))
		fail_msg("line %d: '%s' gave no value, expected \"%s\"", line, expr,
		         show(exp, len));
	if (smp.type != PX_SMP_STR && smp.type != PX_SMP_BIN)
		fail_msg("line %d: '%s' gave a %s, expected a string", line, expr,
		         px_smp_type_name(smp.type));
	if (smp.u.str.len != len || memcmp(smp.u.str.p, exp, len))
		fail_msg("line %d: '%s' gave \"%s\", expected \"%s\"", line, expr,
		         show(smp.u.str.p, smp.u.str.len), show(exp, len));
}

static void int_is(const char *expr, int type, int64_t exp, int line)
{
	struct px_smp smp;

	if (!eval_at(expr, &smp, line))
		fail_msg("line %d: '%s' gave no value, expected %lld", line, expr,
		         (long long)exp);
	if (smp.type != type)
		fail_msg("line %d: '%s' gave a %s, expected a %s", line, expr,
		         px_smp_type_name(smp.type), px_smp_type_name(type));
	if (smp.u.sint != exp)
		fail_msg("line %d: '%s' gave %lld, expected %lld", line, expr,
		         (long long)smp.u.sint, (long long)exp);
}

static void ip_is(const char *expr, const char *exp, int line)
{
	struct px_smp smp;
	char buf[INET6_ADDRSTRLEN];

	if (!eval_at(expr, &smp, line))
		fail_msg("line %d: '%s' gave no value, expected %s", line, expr, exp);
	if (smp.type != PX_SMP_IPV4 && smp.type != PX_SMP_IPV6)
		fail_msg("line %d: '%s' gave a %s, expected an address", line, expr,
		         px_smp_type_name(smp.type));
	inet_ntop(smp.type == PX_SMP_IPV4 ? AF_INET : AF_INET6, &smp.u, buf, sizeof(buf));
	if (strcmp(buf, exp))
		fail_msg("line %d: '%s' gave %s, expected %s", line, expr, buf, exp);
}

static void none(const char *expr, int line)
{
	struct px_smp smp;

	if (eval_at(expr, &smp, line))
		fail_msg("line %d: '%s' gave a value (%s \"%s\"), expected none", line, expr,
		         px_smp_type_name(smp.type),
		         smp.type == PX_SMP_STR || smp.type == PX_SMP_BIN ?
		         show(smp.u.str.p, smp.u.str.len) : "");
}

/* Checks that <expr> is refused with a message containing <msg>. */
static void refused(const char *expr, const char *msg, int line)
{
	char *err = NULL;
	struct px_expr *e = px_expr_parse(expr, strlen(expr), PX_USE_REQ, &cctx, &err);

	if (e)
		fail_msg("line %d: '%s' accepted, expected an error with \"%s\"", line, expr,
		         msg);
	if (!err || !strstr(err, msg)) {
		char got[512];

		snprintf(got, sizeof(got), "%s", err ? err : "(no message)");
		free(err);
		fail_msg("line %d: '%s' refused with \"%s\", expected \"%s\"", line, expr, got,
		         msg);
	}
	free(err);
}

#define STR(expr, exp) str_is((expr), (exp), sizeof(exp) - 1, __LINE__)
#define SINT(expr, v) int_is((expr), PX_SMP_SINT, (v), __LINE__)
#define BOOL(expr, v) int_is((expr), PX_SMP_BOOL, (v), __LINE__)
#define IP(expr, exp) ip_is((expr), (exp), __LINE__)
#define NONE(expr) none((expr), __LINE__)
#define REFUSED(expr, msg) refused((expr), (msg), __LINE__)

/* Writes a file in the test directory; returns its path (static). */
static const char *write_file(const char *name, const char *content)
{
	static char path[4][256];
	static int turn;
	char *p = path[turn = (turn + 1) % 4];
	FILE *f;

	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	return p;
}

/* Builds "<before><path><after>" for expressions naming a file. */
static const char *with_path(const char *before, const char *name, const char *after)
{
	static char buf[4][512];
	static int turn;
	char *b = buf[turn = (turn + 1) % 4];

	snprintf(b, sizeof(buf[0]), "%s%s/%s%s", before, tmpdir, name, after);
	return b;
}

/* --- case, trimming, length --------------------------------------------- */

static void test_case(void **state)
{
	IN("AbC-xyz_09 \xc3\x89");
	STR("in,lower", "abc-xyz_09 \xc3\x89");
	STR("in,upper", "ABC-XYZ_09 \xc3\x89");
	IN("");
	STR("in,lower", "");
	STR("in,upper", "");
	/* Integers are cast to strings first. */
	STR("int(-12),lower", "-12");
	REFUSED("in,lower(x)", "takes no argument");
}

static void test_trim_cut_length(void **state)
{
	IN("xyaxxbyx");
	STR("in,ltrim(x)", "yaxxbyx");
	STR("in,ltrim(xy)", "axxbyx");
	STR("in,rtrim(xy)", "xyaxxb");
	STR("in,ltrim(xy),rtrim(xy)", "axxb");
	STR("in,ltrim(z)", "xyaxxbyx");
	IN("xx");
	STR("in,ltrim(x)", "");
	STR("in,rtrim(x)", "");
	IN("a\rb\nc");
	STR("in,cut_crlf", "a");
	IN("ab\nc");
	STR("in,cut_crlf", "ab");
	IN("abc");
	STR("in,cut_crlf", "abc");
	SINT("in,length", 3);
	IN("");
	SINT("in,length", 0);
	REFUSED("in,ltrim", "expects 1 argument");
}

/* --- field, word, bytes ---------------------------------------------------- */

static void test_field(void **state)
{
	/* The manual's examples (haproxy). */
	IN("f1_f2_f3__f5");
	STR("in,field(5,_)", "f5");
	STR("in,field(2,_,0)", "f2_f3__f5");
	STR("in,field(2,_,2)", "f2_f3");
	STR("in,field(-2,_,3)", "f2_f3_");
	STR("in,field(-3,_,0)", "f1_f2_f3");
	/* Edges (haproxy). */
	STR("in,field(4,_)", "");
	STR("in,field(1,_)", "f1");
	STR("in,field(-1,_)", "f5");
	STR("in,field(-5,_)", "f1");
	NONE("in,field(6,_)");
	NONE("in,field(-6,_)");
	NONE("in,field(1000000,_)");
	STR("in,field(5,_,3)", "f5");
	STR("in,field(2,_,9)", "f2_f3__f5");
	STR("in,field(-1,_,0)", "f1_f2_f3__f5");
	STR("in,field(-1,_,9)", "f1_f2_f3__f5");
	STR("in,field(-4,_,3)", "f1_f2");
	STR("in,field(1,_,-1)", "f1_f2_f3__f5");
	IN("a_");
	STR("in,field(2,_)", "");
	NONE("in,field(3,_)");
	STR("in,field(-2,_)", "a");
	NONE("in,field(-3,_)");
	IN("_a_");
	STR("in,field(1,_)", "");
	STR("in,field(2,_)", "a");
	STR("in,field(3,_)", "");
	IN("");
	STR("in,field(1,_)", "");
	STR("in,field(-1,_)", "");
	NONE("in,field(2,_)");
	/* Several delimiters. */
	IN("a.b/c");
	STR("in,field(2,./)", "b");
	STR("in,field(3,./)", "c");
	STR("in,field(-2,./,0)", "a.b");
	REFUSED("in,field(0,_)", "index 0 is invalid");
	REFUSED("in,field(1,)", "delimiters is empty");
	REFUSED("in,field(x,_)", "must be an integer");
	REFUSED("in,field(1)", "expects 2 to 3 arguments");
}

static void test_word(void **state)
{
	/* The manual's examples (haproxy). */
	IN("f1_f2_f3__f5");
	STR("in,word(4,_)", "f5");
	STR("in,word(2,_,0)", "f2_f3__f5");
	STR("in,word(3,_,2)", "f3__f5");
	STR("in,word(-2,_,3)", "f1_f2_f3");
	STR("in,word(-3,_,0)", "f1_f2");
	IN("/f1/f2/f3/f4");
	STR("in,word(1,/)", "f1");
	/* Edges (haproxy): out of range is an empty string, a count past the
	 * words reaches the end of the input, delimiters included.
	 */
	IN("/f1/f2/f3/f4/");
	STR("in,word(-1,/)", "f4");
	STR("in,word(5,/)", "");
	STR("in,word(-5,/)", "");
	IN("___");
	STR("in,word(1,_)", "");
	IN("");
	STR("in,word(1,_)", "");
	STR("in,word(-1,_)", "");
	IN("__a__b__");
	STR("in,word(1,_,0)", "a__b__");
	STR("in,word(-1,_,0)", "__a__b");
	STR("in,word(-1,_,2)", "a__b");
	STR("in,word(2,_,5)", "b__");
	IN("a_b__");
	STR("in,word(1,_,2)", "a_b");
	STR("in,word(1,_,3)", "a_b__");
	IN("__a_b");
	STR("in,word(-1,_,3)", "__a_b");
	STR("in,word(-1,_,2)", "a_b");
	IN("a");
	STR("in,word(1,_)", "a");
	STR("in,word(-1,_)", "a");
	REFUSED("in,word(0,_)", "index 0 is invalid");
	REFUSED("in,word(1,)", "delimiters is empty");
}

static void test_bytes(void **state)
{
	IN("abc");
	STR("in,bytes(0)", "abc");
	STR("in,bytes(1)", "bc");
	STR("in,bytes(1,10)", "bc");
	STR("in,bytes(1,1)", "b");
	STR("in,bytes(1,0)", "");
	STR("in,bytes(3)", "");
	STR("in,bytes(5)", "");
	STR("in,bytes(5,2)", "");
	IN("a\0b\xff");
	STR("in,bytes(1,3)", "\0b\xff");
	REFUSED("in,bytes(-1)", "must not be negative");
	REFUSED("in,bytes(0,-1)", "must not be negative");
	REFUSED("in,bytes", "expects 1 to 2 arguments");
}

/* --- regsub --------------------------------------------------------------- */

static void test_regsub(void **state)
{
	IN("/a//b///c");
	STR("in,regsub('/+','/','g')", "/a/b/c");
	STR("in,regsub('/+','/')", "/a//b///c");
	IN("//a//b");
	STR("in,regsub('/+','/')", "/a//b");
	STR("in,regsub('/+','/',g)", "/a/b");
	/* Groups and flags (haproxy). */
	IN("FooBar12");
	STR("in,regsub('(foo|bar)([0-9]+)?','\\2\\1',i)", "FooBar12");
	STR("in,regsub('(foo|bar)([0-9]+)?','\\2\\1',gi)", "Foo12Bar");
	STR("in,regsub('(foo|bar)([0-9]+)?','\\2\\1',ig)", "Foo12Bar");
	STR("in,regsub('(foo|bar)([0-9]+)?','\\2\\1',g)", "FooBar12");
	STR("in,regsub('(Foo)(Bar)','<\\2|\\1|\\0>')", "<Bar|Foo|FooBar>12");
	/* The manual's form, with double quotes (haproxy). */
	STR("in,regsub(\"(foo|bar)([0-9]+)?\",\"\\2\\1\",gi)", "Foo12Bar");
	/* A group that did not take part is empty; so is one past the last. */
	IN("abc");
	STR("in,regsub('(x)?b','[\\1\\5]',g)", "a[]c");
	/* A backslash before an ordinary character is dropped, as haproxy 2.6. */
	STR("in,regsub('b','[\\\\]',g)", "a[]c");
	/* Empty matches (haproxy). */
	STR("in,regsub('x*','-','g')", "-a-b-c-");
	STR("in,regsub('x*','-')", "-abc");
	STR("in,regsub('$','!')", "abc!");
	STR("in,regsub('z','-','g')", "abc");
	IN("");
	STR("in,regsub('^$','empty')", "empty");
	REFUSED("in,regsub('a','b',x)", "unknown regsub flag 'x'");
	REFUSED("in,regsub('a(','b')", "invalid regex");
	REFUSED("in,regsub('','b')", "the regex is empty");
	REFUSED("in,regsub('a')", "expects 2 to 3 arguments");
}

/* A result larger than the scratch area is no value, never a write past
 * it (the ASAN build checks the latter).
 */
static void test_regsub_overflow(void **state)
{
	char big[TRASH_SIZE];

	memset(big, 'a', sizeof(big));
	set_in(big, TRASH_SIZE / 2);
	SINT("in,regsub('a','aa',g),length", TRASH_SIZE);
	NONE("in,regsub('a','aaa',g)");
	set_in(big, TRASH_SIZE);
	SINT("in,regsub('^a','b'),length", TRASH_SIZE);
	NONE("in,regsub('^','x')");
}

/* --- encodings ------------------------------------------------------------- */

static void test_hex(void **state)
{
	IN("abc");
	STR("in,hex", "616263");
	IN("\0\x7f\x80\xff");
	STR("in,hex", "007F80FF");
	IN("");
	STR("in,hex", "");
	SINT("str(ff),hex2i", 255);
	SINT("str(1f2),hex2i", 498);
	SINT("str(FFFFFFFFFFFFFFFF),hex2i", -1);
	IN("");
	SINT("in,hex2i", 0);
	NONE("str(1fZ),hex2i");
	NONE("str(-1f),hex2i");
}

static void test_base64(void **state)
{
	IN("");
	STR("in,base64", "");
	IN("x");
	STR("in,base64", "eA==");
	IN("xy");
	STR("in,base64", "eHk=");
	IN("xyz");
	STR("in,base64", "eHl6");
	IN("xyzw");
	STR("in,base64", "eHl6dw==");
	IN("\xfb\xff\xbf");
	STR("in,base64", "+/+/");
	STR("in,ub64enc", "-_-_");
	IN("xy");
	STR("in,ub64enc", "eHk");
	IN("x");
	STR("in,ub64enc", "eA");
	/* Decoding (haproxy for the refusals). */
	STR("str(eHk=),b64dec", "xy");
	STR("str(eA==),b64dec", "x");
	STR("str(eHl6),b64dec", "xyz");
	IN("");
	STR("in,b64dec", "");
	STR("str(+/+/),b64dec", "\xfb\xff\xbf");
	NONE("str(eHk),b64dec");
	NONE("str(eH=k),b64dec");
	NONE("str(e===),b64dec");
	NONE("str(eHk*),b64dec");
	NONE("str(-_-_),b64dec");
	STR("str(eHk),ub64dec", "xy");
	STR("str(eA),ub64dec", "x");
	STR("str(-_-_),ub64dec", "\xfb\xff\xbf");
	STR("str(eHk=),ub64dec", "xy");
	NONE("str(e),ub64dec");
	NONE("str(+/+/),ub64dec");
	/* Round trip of every byte value. */
	{
		char all[256];
		int i;

		for (i = 0; i < 256; i++)
			all[i] = (char)i;
		set_in(all, sizeof(all));
		str_is("in,base64,b64dec", all, sizeof(all), __LINE__);
		str_is("in,ub64enc,ub64dec", all, sizeof(all), __LINE__);
		SINT("in,hex,length", 512);
	}
}

static void test_encoding_overflow(void **state)
{
	char big[TRASH_SIZE];

	memset(big, 'z', sizeof(big));
	set_in(big, TRASH_SIZE / 2);
	SINT("in,hex,length", TRASH_SIZE);
	set_in(big, TRASH_SIZE / 2 + 1);
	NONE("in,hex");
	set_in(big, TRASH_SIZE / 4 * 3);
	SINT("in,base64,length", TRASH_SIZE);
	set_in(big, TRASH_SIZE / 4 * 3 + 1);
	NONE("in,base64");
	NONE("in,ub64enc");
	memset(big, ' ', sizeof(big));
	set_in(big, TRASH_SIZE / 3 + 1);
	NONE("in,url_enc");
	set_in(big, TRASH_SIZE / 3);
	SINT("in,url_enc,length", TRASH_SIZE / 3 * 3);
	memset(big, 1, sizeof(big));
	set_in(big, TRASH_SIZE / 6 + 1);
	NONE("in,json");
	set_in(big, TRASH_SIZE / 6);
	SINT("in,json,length", TRASH_SIZE / 6 * 6);
}

static void test_url(void **state)
{
	/* haproxy */
	IN("a%41%2b+b");
	STR("in,url_dec", "aA++b");
	STR("in,url_dec(1)", "aA+ b");
	STR("in,url_dec(0)", "aA++b");
	IN("a+b?c+d");
	STR("in,url_dec", "a+b?c d");
	IN("?a+b");
	STR("in,url_dec", "?a b");
	IN("a%00b");
	STR("in,url_dec", "a\0b");
	IN("%e2%82%ac");
	STR("in,url_dec", "\xe2\x82\xac");
	IN("");
	STR("in,url_dec", "");
	IN("a%zzb");
	NONE("in,url_dec");
	IN("a%4");
	NONE("in,url_dec");
	IN("a%");
	NONE("in,url_dec");
	IN("a%4g");
	NONE("in,url_dec");
	/* url_enc keeps letters, digits and "-._~" (haproxy). */
#define URL_RAW "a b&c=d/e?f~g-h_i.j!k*l(m)n%\"<>[]{}|\\^`:@$+,;'\x01\xc3\xa9Z9"
	IN(URL_RAW);
	STR("in,url_enc", "a%20b%26c%3Dd%2Fe%3Ff~g-h_i.j%21k%2Al%28m%29n%25%22%3C%3E"
	    "%5B%5D%7B%7D%7C%5C%5E%60%3A%40%24%2B%2C%3B%27%01%C3%A9Z9");
	STR("in,url_enc,url_dec", URL_RAW);
	STR("in,url_enc(query),url_dec", URL_RAW);
	REFUSED("in,url_enc(path)", "unknown encoding type 'path'");
}

/* --- json ---------------------------------------------------------------- */

static void test_json_escapes(void **state)
{
	/* haproxy */
	IN("a\"b\\c/d\b\f\n\r\t\x01\x1f\x7f\0z");
	STR("in,json", "a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\\u0000z");
	STR("in,json(utf8)", "a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\\u0000z");
	IN("Very \"Ugly\" UA 1/2");
	STR("in,json(utf8s)", "Very \\\"Ugly\\\" UA 1\\/2");
	IN("");
	STR("in,json", "");
	REFUSED("in,json(utf16)", "unknown input code 'utf16'");
}

static void test_json_utf8(void **state)
{
	/* All expected values: haproxy. */
	IN("\xc3\xa9");
	STR("in,json", "\\u00c3\\u00a9");
	STR("in,json(ascii)", "\\u00c3\\u00a9");
	STR("in,json(utf8)", "\\u00e9");
	IN("\xe2\x82\xac\xc2\x80\xed\x9f\xbf\xee\x80\x80\xef\xb7\x90\xef\xbf\xbd");
	STR("in,json(utf8)", "\\u20ac\\u0080\\ud7ff\\ue000\\ufdd0\\ufffd");
	/* Above U+FFFF: one \u escape cannot hold it. */
	IN("\xf0\x9f\x98\x80x");
	NONE("in,json(utf8)");
	NONE("in,json(utf8p)");
	STR("in,json(utf8s)", "x");
	STR("in,json(utf8ps)", "x");
	/* Bad sequences. */
	IN("a\xff" "b");
	NONE("in,json(utf8)");
	STR("in,json(utf8s)", "ab");
	STR("in,json(ascii)", "a\\u00ffb");
	IN("a\x80" "b");
	NONE("in,json(utf8)");
	STR("in,json(utf8s)", "ab");
	STR("in,json(ascii)", "a\\u0080b");
	IN("a\xc3" "b");
	STR("in,json(utf8s)", "ab");
	IN("a\xc3(b");
	STR("in,json(utf8s)", "a(b");
	IN("a\xc3");
	STR("in,json(utf8s)", "a");
	IN("a\xe2\x82");
	STR("in,json(utf8s)", "a");
	IN("a\xe2\x82" "b");
	STR("in,json(utf8s)", "ab");
	IN("a\xc3\xa9\xa9" "b");
	STR("in,json(utf8s)", "a\\u00e9b");
	IN("a\xf8\x88\x80\x80\x80" "b");
	STR("in,json(utf8s)", "ab");
	/* Invalid ranges: surrogates, U+FFFE, U+FFFF, above U+10FFFF. */
	IN("a\xed\xa0\x80" "b");
	NONE("in,json(utf8)");
	NONE("in,json(utf8p)");
	STR("in,json(utf8s)", "ab");
	IN("a\xef\xbf\xbf" "b");
	NONE("in,json(utf8)");
	IN("a\xef\xbf\xbe" "b");
	NONE("in,json(utf8)");
	IN("a\xf4\x90\x80\x80" "b");
	STR("in,json(utf8s)", "ab");
	IN("a\xf5\x80\x80\x80" "b");
	STR("in,json(utf8s)", "ab");
	/* Overlong forms: fixed by "p", dropped by "s". */
	IN("a\xc0\xaf" "b");
	NONE("in,json(utf8)");
	STR("in,json(utf8p)", "a\\/b");
	STR("in,json(utf8ps)", "a\\/b");
	STR("in,json(utf8s)", "ab");
	IN("a\xc0\x80" "b");
	STR("in,json(utf8p)", "a\\u0000b");
	IN("a\xe0\x80\x80" "b");
	STR("in,json(utf8p)", "a\\u0000b");
	IN("a\xf0\x80\x80\x80" "b");
	STR("in,json(utf8p)", "a\\u0000b");
	IN("a\xc1\xbf" "b");
	STR("in,json(utf8p)", "a\\u007fb");
}

/* --- arithmetic ------------------------------------------------------------ */

static void test_arith(void **state)
{
	/* Saturation, division and remainder by 0 (haproxy). */
	SINT("int(9223372036854775807),add(1)", INT64_MAX);
	SINT("int(-9223372036854775807),sub(5)", INT64_MIN);
	SINT("int(-9223372036854775807),sub(1),neg", INT64_MAX);
	SINT("int(5),div(0)", INT64_MAX);
	SINT("int(-5),div(0)", INT64_MAX);
	SINT("int(-9223372036854775807),sub(1),div(-1)", INT64_MAX);
	SINT("int(7),mod(0)", 0);
	SINT("int(-7),mod(3)", -1);
	SINT("int(-7),div(2)", -3);
	SINT("int(4611686018427387904),mul(4)", INT64_MAX);
	SINT("int(-4611686018427387904),mul(4)", INT64_MIN);
	SINT("int(-9223372036854775807),sub(1),mul(-1)", INT64_MAX);
	SINT("int(5),sub(-9223372036854775808)", INT64_MAX);
	SINT("int(-1),sub(-9223372036854775808)", INT64_MAX);
	SINT("int(-9223372036854775807),sub(1),mod(-1)", 0);
	SINT("int(2),add(-5)", -3);
	SINT("int(2),sub(-5)", 7);
	SINT("int(-6),mul(7)", -42);
	SINT("int(5),neg", -5);
	SINT("int(5),cpl", -6);
	SINT("int(6),and(3)", 2);
	SINT("int(6),or(3)", 7);
	SINT("int(6),xor(3)", 5);
	SINT("str(12),add(1)", 13);
	BOOL("int(0),not", 1);
	BOOL("int(3),not", 0);
	BOOL("int(3),bool", 1);
	BOOL("int(0),bool", 0);
	BOOL("int(3),odd", 1);
	BOOL("int(3),even", 0);
	BOOL("int(-2),even", 1);
	STR("int(7),bool,iif(yes,no)", "yes");
	STR("int(0),iif(yes,no)", "no");
	REFUSED("int(1),add(x)", "neither an integer nor a variable");
	REFUSED("int(1),add(foo.x)", "unknown variable scope 'foo'");
	REFUSED("int(1),add", "expects 1 argument");
}

static void test_variables(void **state)
{
	struct px_smp smp;
	int scope;
	const char *v5 = px_var_intern("proc.five", 9, &scope, NULL);
	const char *vs = px_var_intern("proc.text", 9, &scope, NULL);
	struct px_var **proc = px_var_list(PX_VS_PROC, NULL);

	smp.type = PX_SMP_SINT;
	smp.flags = 0;
	smp.u.sint = 5;
	assert_int_equal(px_var_set(proc, v5, &smp), 0);
	smp.type = PX_SMP_STR;
	smp.u.str.p = "abd";
	smp.u.str.len = 3;
	assert_int_equal(px_var_set(proc, vs, &smp), 0);

	SINT("int(3),add(proc.five)", 8);
	SINT("int(3),sub(proc.five)", -2);
	SINT("int(3),mul(proc.five)", 15);
	SINT("int(11),div(proc.five)", 2);
	SINT("int(11),mod(proc.five)", 1);
	NONE("int(3),add(proc.missing)");
	/* concat and add_item (haproxy). */
	STR("str(x),concat(<,proc.text,>)", "x<abd>");
	STR("str(a),concat(x,,y)", "axy");
	STR("str(a),concat(,proc.missing,y)", "ay");
	STR("str(a),concat(-,proc.five)", "a-5");
	STR("str(a),concat", "a");
	IN("");
	STR("in,add_item(-,,s)", "s");
	STR("str(a),add_item(-,,s)", "a-s");
	STR("str(a),add_item(-,proc.five)", "a-5");
	STR("str(a),add_item(-,proc.missing)", "a");
	STR("str(a),add_item(-,proc.missing,s)", "a-s");
	REFUSED("str(a),add_item(-)", "a variable or a suffix must follow");
	/* strcmp (haproxy). */
	SINT("str(abc),strcmp(proc.text)", -1);
	SINT("str(abd),strcmp(proc.text)", 0);
	SINT("str(abz),strcmp(proc.text)", 22);
	SINT("str(ab),strcmp(proc.text)", -1);
	SINT("str(abdd),strcmp(proc.text)", 1);
	SINT("str(B),strcmp(proc.text)", -31);
	NONE("str(abc),strcmp(proc.missing)");
	BOOL("str(abd),secure_memcmp(proc.text)", 1);
	BOOL("str(abe),secure_memcmp(proc.text)", 0);
	BOOL("str(ab),secure_memcmp(proc.text)", 0);
	/* set-var and unset-var pass their input through. */
	STR("str(val),set-var(proc.new),concat(-,proc.new)", "val-val");
	STR("str(x),unset-var(proc.new),concat(-,proc.new)", "x-");
	REFUSED("str(x),set-var(noscope)", "has no scope");
	px_var_unset(proc, v5);
	px_var_unset(proc, vs);
}

/* --- addresses, hashes, dates ------------------------------------------------ */

static void test_ipmask(void **state)
{
	/* haproxy */
	IP("str(10.1.2.3),ipmask(24)", "10.1.2.0");
	IP("str(10.1.2.3),ipmask(255.255.0.0)", "10.1.0.0");
	IP("str(10.1.2.3),ipmask(0)", "0.0.0.0");
	IP("str(10.1.2.3),ipmask(32)", "10.1.2.3");
	NONE("str(::1),ipmask(24)");
	IP("str(2001:db8::1),ipmask(24,64)", "2001:db8::");
	IP("str(2001:db8:1:2:3::1),ipmask(24,ffff:ffff::)", "2001:db8::");
	IP("str(2001:db8:1:2:3::1),ipmask(24,33)", "2001:db8::");
	IP("str(2001:db8:ffff::1),ipmask(24,33)", "2001:db8:8000::");
	NONE("str(nope),ipmask(24)");
	REFUSED("str(1.2.3.4),ipmask(33)", "invalid IPv4 mask '33'");
	REFUSED("str(1.2.3.4),ipmask(24,129)", "invalid IPv6 mask '129'");
}

static void test_hashes(void **state)
{
	/* haproxy */
	IN("hello");
	SINT("in,djb2", 261238937);
	SINT("in,sdbm", 684824882);
	SINT("in,wt6", 3538347703);
	SINT("in,crc32", 907060870);
	SINT("in,crc32c", 2591144780);
	SINT("in,djb2(1)", 1119739105);
	SINT("in,wt6(1)", 140457739);
	SINT("in,sdbm(1)", 2061535398);
	SINT("in,crc32(1)", 3902247103);
	SINT("in,crc32c(1)", 2290590055);
	SINT("in,djb2(0)", 261238937);
	IN("");
	SINT("in,wt6", 4187620192);
	SINT("in,djb2", 5381);
	SINT("in,crc32", 0);
	IN("abcdefghijklmnopqrstuvwxyz0123456789");
	SINT("in,wt6", 955643270);
	IN("The quick brown fox jumps over the lazy dog 0123456789!");
	SINT("in,wt6", 804736039);
	SINT("in,sdbm", 2103637423);
	SINT("in,djb2", 1055877836);
	SINT("in,crc32", 2750294879);
	IN("\0\xff\x80\x7f\x01");
	SINT("in,wt6", 1987908488);
	SINT("in,sdbm", 2547043843);
	SINT("in,djb2", 143459748);
	SINT("in,crc32c", 1277015117);
	STR("int(1),htonl,hex", "00000001");
	STR("int(-1),htonl,hex", "FFFFFFFF");
	STR("int(4294967298),htonl,hex", "00000002");
}

static void test_dates(void **state)
{
	/* haproxy */
	STR("int(1700000000),http_date", "Tue, 14 Nov 2023 22:13:20 GMT");
	STR("int(0),http_date", "Thu, 01 Jan 1970 00:00:00 GMT");
	STR("int(1700000000123),http_date(0,ms)", "Tue, 14 Nov 2023 22:13:20.123 GMT");
	STR("int(1700000000123456),http_date(10,us)", "Tue, 14 Nov 2023 22:13:20.123466 GMT");
	STR("int(1700000000),http_date(-86400)", "Mon, 13 Nov 2023 22:13:20 GMT");
	STR("int(1700000000),http_date(0,s)", "Tue, 14 Nov 2023 22:13:20 GMT");
	/* Before 1970 (haproxy prints nonsense there). */
	STR("int(-1),http_date", "Wed, 31 Dec 1969 23:59:59 GMT");
	STR("int(-1500),http_date(0,ms)", "Wed, 31 Dec 1969 23:59:58.500 GMT");
	STR("int(1700000000),utime(%Y-%m-%dT%H:%M:%S)", "2023-11-14T22:13:20");
	STR("int(1700000000),utime(%Y,3600)", "2023");
	STR("int(1700000000),ltime(%Y)", "2023");
	REFUSED("int(0),http_date(0,h)", "unknown unit 'h'");
	/* Extremes must not overflow (the ASAN build checks it). */
	{
		struct px_smp smp;

		eval_at("int(-9223372036854775807),sub(1),http_date(0,ms)", &smp, __LINE__);
		eval_at("int(9223372036854775807),http_date(1,us)", &smp, __LINE__);
		NONE("int(9223372036854775807),utime(%Y,1)");
	}
}

/* --- maps through the converters -------------------------------------------- */

static void test_map_file(void **state)
{
	write_file("t.map",
	           "# comment\n"
	           "   /a   one   \n"
	           "/ab two words  \n"
	           "\n"
	           "/ab dup\n"
	           "/abc\n"
	           "x\t\ttab\n"
	           "  # not a comment\n"
	           "crlf value\r\n"
	           "keyonly\r\n"
	           "/ trailing\\ \n");
	/* Expected values: haproxy. */
	STR(with_path("str(/a),map(", "t.map", ")"), "one");
	STR(with_path("str(/ab),map(", "t.map", ")"), "two words");
	STR(with_path("str(/ab),map_str(", "t.map", ")"), "two words");
	STR(with_path("str(/abc),map(", "t.map", ",def)"), "");
	STR(with_path("str(x),map(", "t.map", ")"), "tab");
	STR(with_path("str(#),map(", "t.map", ")"), "not a comment");
	STR(with_path("str(crlf),map(", "t.map", ")"), "value");
	STR(with_path("str(keyonly),map(", "t.map", ",def)"), "");
	STR(with_path("str(/),map(", "t.map", ")"), "trailing\\");
	NONE(with_path("str(zz),map(", "t.map", ")"));
	NONE(with_path("str(/A),map(", "t.map", ")"));
	STR(with_path("str(/A),map(", "t.map", ",none)"), "none");
	STR(with_path("str(zz),map(", "t.map", ",)"), "");
	NONE(with_path("str(# comment),map(", "t.map", ")"));
	/* beg: the longest key; sub and end: the first in file order. */
	STR(with_path("str(/abcd),map_beg(", "t.map", ",def)"), "");
	STR(with_path("str(/abz),map_beg(", "t.map", ",def)"), "two words");
	STR(with_path("str(/z),map_beg(", "t.map", ")"), "trailing\\");
	STR(with_path("str(/a),map_beg(", "t.map", ")"), "one");
	NONE(with_path("str(a/),map_beg(", "t.map", ")"));
	STR(with_path("str(/zab),map_sub(", "t.map", ")"), "trailing\\");
	STR(with_path("str(q/ab),map_end(", "t.map", ")"), "two words");
	STR(with_path("str(qx),map_end(", "t.map", ")"), "tab");
	NONE(with_path("str(qz),map_end(", "t.map", ")"));
	/* The result is constant: lower copies it, the map is unchanged. */
	STR(with_path("str(/a),map(", "t.map", "),upper"), "ONE");
	STR(with_path("str(/a),map(", "t.map", ")"), "one");
	/* One map object per file and generation. */
	assert_non_null(px_map_find(gen, with_path("", "t.map", "")));
	assert_null(px_map_next(gen, px_map_next(gen, NULL)));
}

static void test_map_methods(void **state)
{
	write_file("d.map",
	           "example.com dom1\n"
	           "foo.example.com dom2\n"
	           "/api dir1\n"
	           "^/re(g+)x re1 \\1-\\0\n");
	write_file("ip.map",
	           "10.0.0.0/8 net8\n"
	           "10.1.0.0/16 net16\n"
	           "10.1.2.3 host\n"
	           "192.168.0.0/255.255.0.0 dotted\n"
	           "::1 v6lo\n"
	           "2001:db8::/32 v6net\n"
	           "0.0.0.0/0 any\n");
	write_file("int.map", "5 five\n1:3 range\n2 two\n:-10 low\n100: high\n");
	/* dom and dir: delimited words (haproxy). */
	STR(with_path("str(www.example.com),map_dom(", "d.map", ")"), "dom1");
	STR(with_path("str(a.foo.example.com),map_dom(", "d.map", ")"), "dom1");
	STR(with_path("str(example.com.evil),map_dom(", "d.map", ")"), "dom1");
	STR(with_path("str(www.example.com:80),map_dom(", "d.map", ")"), "dom1");
	NONE(with_path("str(xexample.com),map_dom(", "d.map", ")"));
	NONE(with_path("str(/EXAMPLE.COM),map_dom(", "d.map", ")"));
	STR(with_path("str(/x/api/y),map_dir(", "d.map", ")"), "dir1");
	STR(with_path("str(/api?x),map_dir(", "d.map", ")"), "dir1");
	STR(with_path("str(//api//),map_dir(", "d.map", ")"), "dir1");
	NONE(with_path("str(/x/apix/y),map_dir(", "d.map", ")"));
	NONE(with_path("str(/api.x),map_dir(", "d.map", ")"));
	NONE(with_path("str(/api:x),map_dir(", "d.map", ")"));
	/* reg and regm (haproxy). */
	STR(with_path("str(/reggx/1),map_reg(", "d.map", ")"), "re1 \\1-\\0");
	STR(with_path("str(/reggx/1),map_regm(", "d.map", ")"), "re1 gg-/reggx");
	NONE(with_path("str(/rex),map_reg(", "d.map", ")"));
	/* ip: the longest network; IPv4-mapped addresses (haproxy). */
	STR(with_path("str(10.1.2.3),map_ip(", "ip.map", ")"), "host");
	STR(with_path("str(10.1.2.4),map_ip(", "ip.map", ")"), "net16");
	STR(with_path("str(10.2.2.4),map_ip(", "ip.map", ")"), "net8");
	STR(with_path("str(11.1.1.1),map_ip(", "ip.map", ")"), "any");
	STR(with_path("str(192.168.7.7),map_ip(", "ip.map", ")"), "dotted");
	STR(with_path("str(::1),map_ip(", "ip.map", ")"), "v6lo");
	STR(with_path("str(2001:db8::5),map_ip(", "ip.map", ")"), "v6net");
	STR(with_path("str(::ffff:10.1.2.3),map_ip(", "ip.map", ")"), "host");
	NONE(with_path("str(2001:db9::5),map_ip(", "ip.map", ")"));
	STR(with_path("str(2001:db9::5),map_ip(", "ip.map", ",none)"), "none");
	/* Not an address: no value, not the default (haproxy). */
	NONE(with_path("str(nope),map_ip(", "ip.map", ",none)"));
	STR(with_path("str(10.1.2.3),map_str(", "ip.map", ")"), "host");
	/* int: the first key holding the input (haproxy). */
	STR(with_path("int(5),map_int(", "int.map", ")"), "five");
	STR(with_path("int(2),map_int(", "int.map", ")"), "range");
	STR(with_path("int(-11),map_int(", "int.map", ")"), "low");
	STR(with_path("int(1000),map_int(", "int.map", ")"), "high");
	STR(with_path("str(5),map_int(", "int.map", ")"), "five");
	STR(with_path("int(4),map_int(", "int.map", ",no)"), "no");
	NONE(with_path("int(4),map_int(", "int.map", ")"));
	/* Keys that do not suit the method are configuration errors. */
	REFUSED(with_path("str(x),map_ip(", "d.map", ")"),
	        "'example.com' is not a valid IPv4 or IPv6 address or network at line 1");
	REFUSED(with_path("str(x),map_int(", "d.map", ")"),
	        "'example.com' is not a valid integer or range");
	write_file("re.map", "ok x\n[ bad\n");
	REFUSED(with_path("str(x),map_reg(", "re.map", ")"), "at line 2 of map file");
	STR(with_path("str([),map(", "re.map", ")"), "bad");
}

static void test_map_outputs(void **state)
{
	write_file("si.map", "a 5\nb -6\n");
	write_file("sip.map", "a 1.2.3.4\nb ::1\n");
	write_file("bad.map", "a 5\n\n# x\nb x\n");
	/* haproxy */
	SINT(with_path("str(a),map_str_int(", "si.map", ")"), 5);
	SINT(with_path("str(a),map_str_int(", "si.map", "),add(1)"), 6);
	SINT(with_path("str(z),map_str_int(", "si.map", ",7)"), 7);
	SINT(with_path("str(b),map_beg_int(", "si.map", ")"), -6);
	IP(with_path("str(a),map_str_ip(", "sip.map", ")"), "1.2.3.4");
	IP(with_path("str(b),map_str_ip(", "sip.map", ")"), "::1");
	IP(with_path("str(z),map_str_ip(", "sip.map", ",::2)"), "::2");
	IP(with_path("str(z),map_str_ip(", "sip.map", ",9.9.9.9)"), "9.9.9.9");
	REFUSED(with_path("str(a),map_str_int(", "bad.map", ")"),
	        "value 'x' of key 'b' is not a valid integer at line 4 of map file");
	REFUSED(with_path("str(a),map_str_int(", "si.map", ",x)"),
	        "default value 'x' is not an integer");
	REFUSED(with_path("str(a),map_str_ip(", "si.map", ")"),
	        "is not a valid IPv4 or IPv6 address at line 1");
	REFUSED(with_path("str(a),map_str_ip(", "sip.map", ",nope)"),
	        "default value 'nope' is not an IPv4 or IPv6 address");
	/* A file accepted as strings but then asked for integers. */
	STR(with_path("str(b),map(", "bad.map", ")"), "x");
	REFUSED(with_path("str(b),map_str_int(", "bad.map", ")"), "at line 4");
}

static void test_map_missing(void **state)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "cannot open map file '%s/nope.map': No such file or "
	         "directory", tmpdir);
	REFUSED(with_path("str(a),map(", "nope.map", ")"), msg);
	/* Reported again at each use. */
	REFUSED(with_path("str(a),map_beg(", "nope.map", ",x)"), msg);
	REFUSED("str(a),map", "expects 1 to 2 arguments");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_case),
		T(test_trim_cut_length),
		T(test_field),
		T(test_word),
		T(test_bytes),
		T(test_regsub),
		T(test_regsub_overflow),
		T(test_hex),
		T(test_base64),
		T(test_encoding_overflow),
		T(test_url),
		T(test_json_escapes),
		T(test_json_utf8),
		T(test_arith),
		T(test_variables),
		T(test_ipmask),
		T(test_hashes),
		T(test_dates),
		T(test_map_file),
		T(test_map_methods),
		T(test_map_outputs),
		T(test_map_missing),
	};
	char cmd[128];
	int rc;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/proxyd-unit-conv.XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	/* Local times in ltime() are compared with UTC ones. */
	setenv("TZ", "UTC", 1);
	px_smp_register_fetches(&test_fetch_list);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		rc = rc ? rc : 1;
	return rc;
}
