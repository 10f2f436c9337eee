/* Unit tests of proxyd/proto/h1.c: the HTTP/1.x head parser (requests and
 * responses, fed whole, byte by byte and in every two-piece split), the
 * strictness errors of HTTP-STRICTNESS.md that the parser owns, and the
 * framing helpers (Content-Length, Transfer-Encoding, chunked bodies, list
 * tokens). Semantic checks made later by http.c (Host, framing conflicts,
 * target forms) are not tested here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "proto/h1.h"

/* Capacity of the header arrays used by the tests; each test passes the
 * limit it wants to px_h1_msg_init().
 */
#define HDR_CAP 128

/* String literal with its length, so that literals may hold NUL bytes. */
#define S(lit) (lit), (sizeof(lit) - 1)

/* Everything px_h1_parse() leaves behind, to compare two ways of feeding
 * the same bytes. The hdr pointer is cleared: it differs by construction.
 */
struct outcome {
	int ret;
	struct px_h1_msg m;
	struct px_h1_hdr hdr[HDR_CAP];
};

/* Copies the first <n> bytes of <s> into a buffer of exactly <n> bytes, so
 * that a read past the length the parser was given is caught by ASAN.
 */
static char *exact_copy(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	assert_non_null(p);
	memcpy(p, s, n);
	return p;
}

static int feed(struct px_h1_msg *m, const char *s, size_t n)
{
	char *p = exact_copy(s, n);
	int r = px_h1_parse(m, p, (uint32_t)n);

	free(p);
	return r;
}

static void finish(struct outcome *o, int ret, const struct px_h1_msg *m)
{
	o->ret = ret;
	o->m = *m;
	o->m.hdr = NULL;
}

/* Parses <s> in one call. */
static void parse_once(struct outcome *o, int is_req, uint16_t maxhdr,
                       const char *s, size_t len)
{
	struct px_h1_msg m;

	memset(o, 0, sizeof(*o));
	px_h1_msg_init(&m, is_req, o->hdr, maxhdr);
	finish(o, feed(&m, s, len), &m);
}

/* Parses <s> offering one more byte per call, until the parser stops
 * asking for more.
 */
static void parse_bytewise(struct outcome *o, int is_req, uint16_t maxhdr,
                           const char *s, size_t len)
{
	struct px_h1_msg m;
	int r = -2;
	size_t k;

	memset(o, 0, sizeof(*o));
	px_h1_msg_init(&m, is_req, o->hdr, maxhdr);
	for (k = 1; k <= len && r == -2; k++)
		r = feed(&m, s, k);
	finish(o, r, &m);
}

/* Parses the first <cut> bytes of <s>, then all of them. */
static void parse_split(struct outcome *o, int is_req, uint16_t maxhdr,
                        const char *s, size_t len, size_t cut)
{
	struct px_h1_msg m;
	int r;

	memset(o, 0, sizeof(*o));
	px_h1_msg_init(&m, is_req, o->hdr, maxhdr);
	r = feed(&m, s, cut);
	if (r == -2)
		r = feed(&m, s, len);
	finish(o, r, &m);
}

/* Names the first field where <a> and <b> differ, or returns NULL. */
static const char *outcome_diff(const struct outcome *a, const struct outcome *b)
{
	static char field[32];
	uint16_t i;

#define CMP(f) do { if (a->m.f != b->m.f) return #f; } while (0)
	if (a->ret != b->ret)
		return "return value";
	CMP(state); CMP(is_req); CMP(vmaj); CMP(vmin); CMP(status); CMP(err_code);
	CMP(pos); CMP(sol); CMP(tok); CMP(vend); CMP(meth); CMP(meth_len);
	CMP(uri); CMP(uri_len); CMP(reason); CMP(reason_len); CMP(ver);
	CMP(sl_len); CMP(hdr_len); CMP(err_pos); CMP(nhdr); CMP(maxhdr);
#undef CMP
	if ((a->m.err_msg == NULL) != (b->m.err_msg == NULL) ||
	    (a->m.err_msg && strcmp(a->m.err_msg, b->m.err_msg)))
		return "err_msg";
	for (i = 0; i < a->m.nhdr && i < HDR_CAP; i++) {
		if (memcmp(&a->hdr[i], &b->hdr[i], sizeof(a->hdr[i]))) {
			snprintf(field, sizeof(field), "hdr[%u]", i);
			return field;
		}
	}
	return NULL;
}

/* Checks that feeding <s> byte by byte and in every two-piece split ends
 * exactly as parsing it in one call.
 */
static void check_resumable(const char *name, int is_req, uint16_t maxhdr,
                            const char *s, size_t len)
{
	static struct outcome whole_o, part_o;
	struct outcome *whole = &whole_o, *part = &part_o;
	const char *diff;
	size_t cut;

	parse_once(whole, is_req, maxhdr, s, len);

	parse_bytewise(part, is_req, maxhdr, s, len);
	diff = outcome_diff(whole, part);
	if (diff)
		fail_msg("%s: fed byte by byte, %s differs (ret %d, whole %d)", name,
		         diff, part->ret, whole->ret);

	for (cut = 1; cut < len; cut++) {
		parse_split(part, is_req, maxhdr, s, len, cut);
		diff = outcome_diff(whole, part);
		if (diff)
			fail_msg("%s: split at %zu, %s differs (ret %d, whole %d)", name,
			         cut, diff, part->ret, whole->ret);
	}
}

/* Checks that [off, off+len) of <buf> holds exactly <exp>. */
static void assert_span(const char *buf, uint32_t off, uint32_t len, const char *exp)
{
	assert_int_equal(len, strlen(exp));
	assert_memory_equal(buf + off, exp, len);
}

/* --- complete heads ------------------------------------------------------- */

static void test_req_complete(void **state)
{
	static const char req[] =
		"GET /path?q=1 HTTP/1.1\r\n"
		"Host: example.com\r\n"
		"Accept: */*\r\n"
		"\r\n";
	struct outcome o;

	parse_once(&o, 1, 100, S(req));
	assert_int_equal(o.ret, 58);
	assert_int_equal(o.m.state, PX_H1_DONE);
	assert_int_equal(o.m.hdr_len, 58);
	assert_int_equal(o.m.pos, 58);
	assert_int_equal(o.m.sol, 0);
	assert_int_equal(o.m.meth, 0);
	assert_int_equal(o.m.meth_len, 3);
	assert_int_equal(o.m.uri, 4);
	assert_int_equal(o.m.uri_len, 9);
	assert_int_equal(o.m.ver, 14);
	assert_int_equal(o.m.sl_len, 22);
	assert_int_equal(o.m.vmaj, 1);
	assert_int_equal(o.m.vmin, 1);
	assert_int_equal(o.m.err_code, 0);
	assert_null(o.m.err_msg);
	assert_span(req, o.m.meth, o.m.meth_len, "GET");
	assert_span(req, o.m.uri, o.m.uri_len, "/path?q=1");
	assert_span(req, o.m.sol, o.m.sl_len, "GET /path?q=1 HTTP/1.1");

	assert_int_equal(o.m.nhdr, 2);
	assert_int_equal(o.hdr[0].n, 24);
	assert_int_equal(o.hdr[0].nl, 4);
	assert_int_equal(o.hdr[0].v, 30);
	assert_int_equal(o.hdr[0].vl, 11);
	assert_int_equal(o.hdr[1].n, 43);
	assert_int_equal(o.hdr[1].nl, 6);
	assert_int_equal(o.hdr[1].v, 51);
	assert_int_equal(o.hdr[1].vl, 3);
	assert_span(req, o.hdr[0].n, o.hdr[0].nl, "Host");
	assert_span(req, o.hdr[0].v, o.hdr[0].vl, "example.com");
	assert_span(req, o.hdr[1].n, o.hdr[1].nl, "Accept");
	assert_span(req, o.hdr[1].v, o.hdr[1].vl, "*/*");
}

static void test_req_versions_and_methods(void **state)
{
	struct outcome o;

	parse_once(&o, 1, 100, S("POST /x HTTP/1.0\r\n\r\n"));
	assert_int_equal(o.ret, 20);
	assert_int_equal(o.m.vmaj, 1);
	assert_int_equal(o.m.vmin, 0);

	/* Any token is a method; methods are case-sensitive tokens. */
	parse_once(&o, 1, 100, S("M-SEARCH * HTTP/1.1\r\n\r\n"));
	assert_int_equal(o.ret, 23);
	assert_int_equal(o.m.meth_len, 8);
	assert_int_equal(o.m.uri, 9);
	assert_int_equal(o.m.uri_len, 1);

	parse_once(&o, 1, 100, S("get http://a.example/?x=%20 HTTP/1.1\r\n\r\n"));
	assert_int_equal(o.ret, 40);
	assert_int_equal(o.m.meth_len, 3);
	assert_int_equal(o.m.uri_len, 23);
}

/* The parser stops at the end of the head and leaves the body alone. */
static void test_req_body_follows(void **state)
{
	static const char req[] =
		"POST /f HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\n";
	struct outcome o;

	parse_once(&o, 1, 100, S(req));
	assert_int_equal(o.ret, 39);
	assert_int_equal(o.m.hdr_len, 39);
	assert_int_equal(o.m.nhdr, 1);
	assert_span(req, o.hdr[0].v, o.hdr[0].vl, "5");
	check_resumable("body follows", 1, 100, S(req));
}

/* Once the head is complete, asking again gives the same answer whether
 * or not more bytes arrived since.
 */
static void test_req_parse_again_after_done(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\nXYZ";
	struct px_h1_hdr hdr[4];
	struct px_h1_msg m;

	px_h1_msg_init(&m, 1, hdr, 4);
	assert_int_equal(px_h1_parse(&m, req, 27), 27);
	assert_int_equal(px_h1_parse(&m, req, 30), 27);
	assert_int_equal(m.state, PX_H1_DONE);
	assert_int_equal(px_h1_parse(&m, req, 27), 27);
	assert_int_equal(m.state, PX_H1_DONE);
}

static void test_req_incomplete(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	size_t len = sizeof(req) - 1, k;
	struct outcome o;

	/* Every proper prefix asks for more, never for an error. */
	for (k = 0; k < len; k++) {
		parse_once(&o, 1, 100, req, k);
		if (o.ret != -2)
			fail_msg("prefix of %zu bytes returned %d", k, o.ret);
	}
	parse_once(&o, 1, 100, S("\r"));
	assert_int_equal(o.ret, -2);
	assert_int_equal(o.m.pos, 0);
}

static void test_value_trimming(void **state)
{
	static const char req[] =
		"GET / HTTP/1.1\r\n"
		"A:  \t value with  inner \t spaces \t \r\n"
		"B:\r\n"
		"C: \t \r\n"
		"D:x\r\n"
		"E: caf\xc3\xa9\r\n"
		"\r\n";
	struct outcome o;

	parse_once(&o, 1, 100, S(req));
	assert_int_equal(o.ret, (int)(sizeof(req) - 1));
	assert_int_equal(o.m.nhdr, 5);
	assert_span(req, o.hdr[0].n, o.hdr[0].nl, "A");
	assert_span(req, o.hdr[0].v, o.hdr[0].vl, "value with  inner \t spaces");
	assert_int_equal(o.hdr[0].v, 16 + 6);
	assert_span(req, o.hdr[1].n, o.hdr[1].nl, "B");
	assert_int_equal(o.hdr[1].vl, 0);
	assert_span(req, o.hdr[2].n, o.hdr[2].nl, "C");
	assert_int_equal(o.hdr[2].vl, 0);
	assert_span(req, o.hdr[3].v, o.hdr[3].vl, "x");
	/* obs-text (bytes >= 0x80) is allowed in values. */
	assert_span(req, o.hdr[4].v, o.hdr[4].vl, "caf\xc3\xa9");
	check_resumable("trimming", 1, 100, S(req));
}

static void test_leading_empty_lines(void **state)
{
	static const char req[] = "\r\n\n\r\nGET / HTTP/1.0\r\n\r\n";
	struct outcome o;

	parse_once(&o, 1, 100, S(req));
	assert_int_equal(o.ret, 23);
	assert_int_equal(o.m.sol, 5);
	assert_int_equal(o.m.meth, 5);
	assert_int_equal(o.m.meth_len, 3);
	assert_int_equal(o.m.uri, 9);
	assert_int_equal(o.m.uri_len, 1);
	assert_int_equal(o.m.ver, 11);
	assert_int_equal(o.m.sl_len, 14);
	assert_int_equal(o.m.vmin, 0);
	assert_int_equal(o.m.nhdr, 0);
	check_resumable("leading empty lines", 1, 100, S(req));
}

static void test_bare_lf_line_ends(void **state)
{
	static const char lf[] = "GET / HTTP/1.1\nHost: a\n\n";
	static const char mixed[] = "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\n";
	struct outcome o;

	parse_once(&o, 1, 100, S(lf));
	assert_int_equal(o.ret, 24);
	assert_int_equal(o.m.sl_len, 14);
	assert_int_equal(o.m.nhdr, 1);
	assert_int_equal(o.hdr[0].n, 15);
	assert_int_equal(o.hdr[0].v, 21);
	assert_span(lf, o.hdr[0].v, o.hdr[0].vl, "a");

	parse_once(&o, 1, 100, S(mixed));
	assert_int_equal(o.ret, 31);
	assert_int_equal(o.m.nhdr, 2);
	assert_span(mixed, o.hdr[0].v, o.hdr[0].vl, "a");
	assert_span(mixed, o.hdr[1].n, o.hdr[1].nl, "X");
	assert_span(mixed, o.hdr[1].v, o.hdr[1].vl, "b");

	check_resumable("bare LF", 1, 100, S(lf));
	check_resumable("mixed line ends", 1, 100, S(mixed));
}

static void test_max_headers(void **state)
{
	char req[4096];
	struct outcome o;
	size_t len, line101;
	int i;

	len = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\n");
	for (i = 0; i < 100; i++)
		len += (size_t)snprintf(req + len, sizeof(req) - len, "H%03d: v\r\n", i);
	line101 = len;
	len += (size_t)snprintf(req + len, sizeof(req) - len, "\r\n");

	/* 100 header lines fit in 100 slots. */
	parse_once(&o, 1, 100, req, len);
	assert_int_equal(o.ret, (int)len);
	assert_int_equal(o.m.nhdr, 100);
	assert_span(req, o.hdr[99].n, o.hdr[99].nl, "H099");

	/* The 101st is refused with 431, at its first byte. */
	len = line101 + (size_t)snprintf(req + line101, sizeof(req) - line101,
	                                 "H100: v\r\n\r\n");
	parse_once(&o, 1, 100, req, len);
	assert_int_equal(o.ret, -1);
	assert_int_equal(o.m.state, PX_H1_ERROR);
	assert_int_equal(o.m.err_code, 431);
	assert_int_equal(o.m.err_pos, line101);
	assert_string_equal(o.m.err_msg, "too many header lines");
	assert_int_equal(o.m.nhdr, 100);
	check_resumable("101 headers", 1, 100, req, len);
}

static void test_res_complete(void **state)
{
	static const char res[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	static const char res10[] = "HTTP/1.0 404 Not Found\n\n";
	static const char res204[] = "HTTP/1.1 204\r\n\r\n";
	static const char res204sp[] = "HTTP/1.1 204 \r\n\r\n";
	static const char reason[] = "HTTP/1.1 200 \tOK caf\xc3\xa9\r\n\r\n";
	struct outcome o;

	parse_once(&o, 0, 100, S(res));
	assert_int_equal(o.ret, 38);
	assert_int_equal(o.m.state, PX_H1_DONE);
	assert_int_equal(o.m.status, 200);
	assert_int_equal(o.m.vmaj, 1);
	assert_int_equal(o.m.vmin, 1);
	assert_int_equal(o.m.reason, 13);
	assert_int_equal(o.m.reason_len, 2);
	assert_int_equal(o.m.sl_len, 15);
	assert_int_equal(o.m.nhdr, 1);
	assert_int_equal(o.hdr[0].n, 17);
	assert_int_equal(o.hdr[0].nl, 14);
	assert_int_equal(o.hdr[0].v, 33);
	assert_int_equal(o.hdr[0].vl, 1);
	check_resumable("200", 0, 100, S(res));

	parse_once(&o, 0, 100, S(res10));
	assert_int_equal(o.ret, 24);
	assert_int_equal(o.m.status, 404);
	assert_int_equal(o.m.vmin, 0);
	assert_span(res10, o.m.reason, o.m.reason_len, "Not Found");
	check_resumable("404", 0, 100, S(res10));

	parse_once(&o, 0, 100, S(res204));
	assert_int_equal(o.ret, 16);
	assert_int_equal(o.m.status, 204);
	assert_int_equal(o.m.reason, 12);
	assert_int_equal(o.m.reason_len, 0);
	assert_int_equal(o.m.sl_len, 12);
	check_resumable("204", 0, 100, S(res204));

	parse_once(&o, 0, 100, S(res204sp));
	assert_int_equal(o.ret, 17);
	assert_int_equal(o.m.reason, 13);
	assert_int_equal(o.m.reason_len, 0);
	assert_int_equal(o.m.sl_len, 13);

	parse_once(&o, 0, 100, S(reason));
	assert_int_equal(o.ret, (int)(sizeof(reason) - 1));
	assert_span(reason, o.m.reason, o.m.reason_len, "\tOK caf\xc3\xa9");
	check_resumable("reason", 0, 100, S(reason));

	parse_once(&o, 0, 100, S("HTTP/1.1 100 Continue\r\n\r\n"));
	assert_int_equal(o.ret, 25);
	assert_int_equal(o.m.status, 100);
	parse_once(&o, 0, 100, S("HTTP/1.1 599 X\r\n\r\n"));
	assert_int_equal(o.ret, 18);
	assert_int_equal(o.m.status, 599);
}

/* --- errors --------------------------------------------------------------- */

struct err_case {
	const char *name;
	int is_req;
	const char *in;
	size_t len;
	uint16_t maxhdr;
	uint16_t code;
	uint32_t pos;
	const char *msg;
};

/* "GET / HTTP/1.1\r\n" is 16 bytes, "HTTP/1.1 200 OK\r\n" 17. */
#define RL "GET / HTTP/1.1\r\n"
#define SL "HTTP/1.1 200 OK\r\n"
#define REQ(name, in, code, pos, msg) { name, 1, S(in), 100, code, pos, msg }
#define RES(name, in, pos, msg) { name, 0, S(in), 100, 502, pos, msg }

static const struct err_case err_cases[] = {
	/* Bare CR anywhere in the head (row 12). */
	REQ("CR before request line", "\rGET / HTTP/1.1\r\n\r\n", 400, 0,
	    "bare CR before the request line"),
	REQ("CR after empty line", "\r\n\rGET / HTTP/1.1\r\n\r\n", 400, 2,
	    "bare CR before the request line"),
	REQ("CR ending request line", "GET / HTTP/1.1\rHost: a\r\n\r\n", 400, 15,
	    "bare CR in the header section"),
	REQ("CR inside value", RL "X: a\rb\r\n\r\n", 400, 21,
	    "bare CR in the header section"),
	REQ("CR ending header line", RL "X: a\rY: b\r\n\r\n", 400, 21,
	    "bare CR in the header section"),
	REQ("CR on final line", RL "X: a\r\n\rX", 400, 23,
	    "bare CR in the header section"),
	/* obs-fold (row 13). */
	REQ("obs-fold SP", RL "X: a\r\n b\r\n\r\n", 400, 22,
	    "obsolete line folding in header"),
	REQ("obs-fold HT", RL "X: a\r\n\tb\r\n\r\n", 400, 22,
	    "obsolete line folding in header"),
	REQ("obs-fold after LF", RL "X: a\n b\n\n", 400, 21,
	    "obsolete line folding in header"),
	/* Whitespace before the first header line (row 15). */
	REQ("SP before first header", RL " Host: a\r\n\r\n", 400, 16,
	    "whitespace before the first header line"),
	REQ("HT before first header", RL "\tHost: a\r\n\r\n", 400, 16,
	    "whitespace before the first header line"),
	/* Whitespace between name and colon (row 14). */
	REQ("SP before colon", RL "Host : a\r\n\r\n", 400, 20,
	    "whitespace between header name and colon"),
	REQ("HT before colon", RL "Host\t: a\r\n\r\n", 400, 20,
	    "whitespace between header name and colon"),
	/* Non-token, control or non-ASCII byte in a name (row 16). */
	REQ("@ in name", RL "Ho@st: a\r\n\r\n", 400, 18, "invalid character in header name"),
	REQ("@ first in name", RL "@Host: a\r\n\r\n", 400, 16, "invalid character in header name"),
	REQ("( in name", RL "(Host): a\r\n\r\n", 400, 16, "invalid character in header name"),
	REQ("quote in name", RL "Ho\"st: a\r\n\r\n", 400, 18, "invalid character in header name"),
	REQ("CTL in name", RL "Ho\x01st: a\r\n\r\n", 400, 18, "invalid character in header name"),
	REQ("NUL in name", RL "Ho\0st: a\r\n\r\n", 400, 18, "invalid character in header name"),
	REQ("8-bit in name", RL "Ho\xc3\xa9: a\r\n\r\n", 400, 18, "invalid character in header name"),
	REQ("DEL first in name", RL "\x7fHost: a\r\n\r\n", 400, 16, "invalid character in header name"),
	/* NUL or control bytes in a value (row 17). */
	REQ("NUL in value", RL "X: a\0b\r\n\r\n", 400, 20, "NUL character in header value"),
	REQ("NUL first in value", RL "X: \0\r\n\r\n", 400, 19, "NUL character in header value"),
	REQ("CTL in value", RL "X: a\x01" "b\r\n\r\n", 400, 20,
	    "control character in header value"),
	REQ("ESC in value", RL "X: a\x1b" "b\r\n\r\n", 400, 20,
	    "control character in header value"),
	REQ("DEL in value", RL "X: a\x7f\r\n\r\n", 400, 20,
	    "control character in header value"),
	REQ("VT after OWS", RL "X: a \x0b\r\n\r\n", 400, 21,
	    "control character in header value"),
	/* No colon, empty name (row 18). */
	REQ("no colon", RL "Host\r\n\r\n", 400, 20, "header line without a colon"),
	REQ("no colon LF", RL "Host\n\n", 400, 20, "header line without a colon"),
	REQ("no colon CR in name", RL "Ho\rst: a\r\n\r\n", 400, 18,
	    "header line without a colon"),
	REQ("empty name", RL ": a\r\n\r\n", 400, 16, "empty header name"),
	/* Too many header lines (row 19). */
	{ "3 headers for 2 slots", 1, S(RL "A: 1\r\nB: 2\r\nC: 3\r\n\r\n"), 2, 431, 28,
	  "too many header lines" },
	{ "1 header for 0 slots", 1, S(RL "A: 1\r\n\r\n"), 0, 431, 16,
	  "too many header lines" },
	/* Versions (row 22, 23). */
	REQ("HTTP/1.10", "GET / HTTP/1.10\r\n\r\n", 400, 14, "invalid HTTP version"),
	REQ("HTTP/11.1", "GET / HTTP/11.1\r\n\r\n", 400, 14, "invalid HTTP version"),
	REQ("http/1.1", "GET / http/1.1\r\n\r\n", 400, 6, "invalid HTTP version"),
	REQ("HTTP/1", "GET / HTTP/1\r\n\r\n", 400, 6, "invalid HTTP version"),
	REQ("HTTP/1.x", "GET / HTTP/1.x\r\n\r\n", 400, 6, "invalid HTTP version"),
	REQ("HTTPS/1.1", "GET / HTTPS/1.1\r\n\r\n", 400, 14, "invalid HTTP version"),
	REQ("empty version", "GET / \r\n\r\n", 400, 6, "invalid HTTP version"),
	REQ("SP after version", "GET / HTTP/1.1 \r\n\r\n", 400, 14, "invalid HTTP version"),
	REQ("CTL in version", "GET / HTTP/1\x01" "1\r\n\r\n", 400, 12, "invalid HTTP version"),
	REQ("HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", 505, 6, "unsupported HTTP version"),
	REQ("HTTP/3.0", "GET / HTTP/3.0\n\n", 505, 6, "unsupported HTTP version"),
	REQ("HTTP/0.9 spelled out", "GET / HTTP/0.9\r\n\r\n", 505, 6,
	    "unsupported HTTP version"),
	REQ("HTTP/0.9", "GET /\r\n\r\n", 400, 5,
	    "request line without a version (HTTP/0.9)"),
	REQ("HTTP/0.9 LF", "GET /index.html\n\n", 400, 15,
	    "request line without a version (HTTP/0.9)"),
	/* Request target (row 27). */
	REQ("CTL in target", "GET /a\x01" "b HTTP/1.1\r\n\r\n", 400, 6,
	    "invalid character in request target"),
	REQ("HT in target", "GET /a\tb HTTP/1.1\r\n\r\n", 400, 6,
	    "invalid character in request target"),
	REQ("DEL in target", "GET /a\x7f HTTP/1.1\r\n\r\n", 400, 6,
	    "invalid character in request target"),
	REQ("8-bit in target", "GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n", 400, 8,
	    "invalid character in request target"),
	REQ("NUL in target", "GET /\0 HTTP/1.1\r\n\r\n", 400, 5,
	    "invalid character in request target"),
	REQ("empty target", "GET  / HTTP/1.1\r\n\r\n", 400, 4,
	    "invalid character in request target"),
	REQ("SP in target", "GET /a b HTTP/1.1\r\n\r\n", 400, 8, "invalid HTTP version"),
	/* Method (row 28). */
	REQ("( in method", "G(T / HTTP/1.1\r\n\r\n", 400, 1, "invalid character in method"),
	REQ("@ in method", "G@T / HTTP/1.1\r\n\r\n", 400, 1, "invalid character in method"),
	REQ("/ after method", "GET/ HTTP/1.1\r\n\r\n", 400, 3, "invalid character in method"),
	REQ("HT after method", "GET\t/ HTTP/1.1\r\n\r\n", 400, 3, "invalid character in method"),
	REQ("8-bit in method", "GE\xc3T / HTTP/1.1\r\n\r\n", 400, 2,
	    "invalid character in method"),
	REQ("empty method", " / HTTP/1.1\r\n\r\n", 400, 0, "invalid character in method"),
	REQ("method alone", "GET\r\n\r\n", 400, 3, "invalid character in method"),
	/* Responses: every error is a 502 (rows 37, 40). */
	RES("status 099", "HTTP/1.1 099 Low\r\n\r\n", 9, "status code out of range"),
	RES("status 000", "HTTP/1.1 000\r\n\r\n", 9, "status code out of range"),
	RES("status 600", "HTTP/1.1 600 High\r\n\r\n", 9, "status code out of range"),
	RES("status 999", "HTTP/1.1 999\n\n", 9, "status code out of range"),
	RES("2-digit status", "HTTP/1.1 20 OK\r\n\r\n", 11, "invalid status code"),
	RES("4-digit status", "HTTP/1.1 2000 OK\r\n\r\n", 12, "invalid status code"),
	RES("letter in status", "HTTP/1.1 20x OK\r\n\r\n", 11, "invalid status code"),
	RES("no SP after status", "HTTP/1.1 200OK\r\n\r\n", 12, "invalid status code"),
	RES("two SP before status", "HTTP/1.1  200 OK\r\n\r\n", 9, "invalid status code"),
	RES("HTP", "HTP/1.1 200 OK\r\n\r\n", 2, "invalid status line"),
	RES("lowercase http", "http/1.1 200 OK\r\n\r\n", 0, "invalid status line"),
	RES("HT after version", "HTTP/1.1\t200 OK\r\n\r\n", 8, "invalid status line"),
	RES("HTTP/11", "HTTP/11 200 OK\r\n\r\n", 6, "invalid status line"),
	RES("HTTP/1.10", "HTTP/1.10 200 OK\r\n\r\n", 8, "invalid status line"),
	RES("ICY", "ICY 200 OK\r\n\r\n", 0, "invalid status line"),
	RES("empty line first", "\r\nHTTP/1.1 200 OK\r\n\r\n", 0, "invalid status line"),
	RES("CTL in reason", "HTTP/1.1 200 O\x01K\r\n\r\n", 14,
	    "control character in reason phrase"),
	RES("DEL in reason", "HTTP/1.1 200 OK\x7f\r\n\r\n", 15,
	    "control character in reason phrase"),
	RES("CR ending status line", "HTTP/1.1 200 OK\rX: a\r\n\r\n", 16,
	    "bare CR in the header section"),
	RES("SP before colon", SL "Bad Name: x\r\n\r\n", 20,
	    "whitespace between header name and colon"),
	RES("obs-fold", SL "X: a\r\n b\r\n\r\n", 23, "obsolete line folding in header"),
	RES("NUL in value", SL "X: \0\r\n\r\n", 20, "NUL character in header value"),
	{ "response 2 headers for 1 slot", 0, S(SL "A: 1\r\nB: 2\r\n\r\n"), 1, 502, 23,
	  "too many header lines" },
};

static void test_errors(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *c = &err_cases[i];
		struct outcome o;

		parse_once(&o, c->is_req, c->maxhdr, c->in, c->len);
		if (o.ret != -1 || o.m.state != PX_H1_ERROR)
			fail_msg("%s: returned %d in state %d, expected an error", c->name,
			         o.ret, o.m.state);
		if (o.m.err_code != c->code)
			fail_msg("%s: err_code %u, expected %u", c->name, o.m.err_code, c->code);
		if (o.m.err_pos != c->pos)
			fail_msg("%s: err_pos %u, expected %u", c->name, o.m.err_pos, c->pos);
		if (!o.m.err_msg || strcmp(o.m.err_msg, c->msg))
			fail_msg("%s: err_msg \"%s\", expected \"%s\"", c->name,
			         o.m.err_msg ? o.m.err_msg : "(null)", c->msg);
	}
}

/* An error stays an error: the parser does not resume after it. */
static void test_error_is_final(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost : a\r\n\r\n";
	struct px_h1_hdr hdr[4];
	struct px_h1_msg m;

	px_h1_msg_init(&m, 1, hdr, 4);
	assert_int_equal(px_h1_parse(&m, req, sizeof(req) - 1), -1);
	assert_int_equal(px_h1_parse(&m, req, sizeof(req) - 1), -1);
	assert_int_equal(m.state, PX_H1_ERROR);
	assert_int_equal(m.err_code, 400);
	assert_int_equal(m.err_pos, 20);
}

/* --- incremental parsing: every split point ------------------------------- */

static const struct {
	const char *name;
	int is_req;
	const char *in;
	size_t len;
} split_heads[] = {
	{ "request", 1, S("GET /path?q=1 HTTP/1.1\r\nHost: example.com\r\n"
	                  "Accept:\t*/*  \r\nX-Empty:\r\nX-Sp:   \r\n\r\n") },
	{ "request with body", 1, S("POST /upload HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc") },
	{ "leading CRLF", 1, S("\r\n\r\n\nPUT /a HTTP/1.1\nHost: h\n\n") },
	{ "incomplete request", 1, S("GET / HTTP/1.1\r\nHost: a\r\n") },
	{ "incomplete CR", 1, S("GET / HTTP/1.1\r\nHost: a\r\n\r") },
	{ "response", 0, S("HTTP/1.1 200 OK\r\nServer: x y\r\nContent-Length: 0\r\n\r\n") },
	{ "response no reason", 0, S("HTTP/1.0 304\nETag: \"a\"\n\n") },
	{ "response incomplete", 0, S("HTTP/1.1 200 OK\r\nServer:") },
};

static void test_splits(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(split_heads) / sizeof(split_heads[0]); i++)
		check_resumable(split_heads[i].name, split_heads[i].is_req, 100,
		                split_heads[i].in, split_heads[i].len);
	/* Errors too must be found at the same byte whatever the feeding. */
	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++)
		check_resumable(err_cases[i].name, err_cases[i].is_req, err_cases[i].maxhdr,
		                err_cases[i].in, err_cases[i].len);
}

/* --- Content-Length ------------------------------------------------------- */

static int clen(const char *v, uint64_t *out)
{
	return px_h1_parse_clen(v, strlen(v), out);
}

static void test_clen(void **state)
{
	uint64_t n;

	assert_int_equal(clen("42", &n), 0);
	assert_int_equal(n, 42);
	assert_int_equal(clen("0", &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(clen("007", &n), 0);
	assert_int_equal(n, 7);
	assert_int_equal(clen(" 42\t", &n), 0);
	assert_int_equal(n, 42);
	/* A list of equal values (row 3). */
	assert_int_equal(clen("42, 42", &n), 0);
	assert_int_equal(n, 42);
	assert_int_equal(clen("42,42 ,\t42", &n), 0);
	assert_int_equal(n, 42);
	/* Largest value: 2^63-1. */
	assert_int_equal(clen("9223372036854775807", &n), 0);
	assert_true(n == UINT64_C(9223372036854775807));
}

static void test_clen_errors(void **state)
{
	uint64_t n;

	/* Different values (row 2). */
	assert_int_equal(clen("5, 6", &n), -2);
	assert_int_equal(clen("42,42,43", &n), -2);
	assert_int_equal(clen("0,1", &n), -2);
	/* Malformed (row 4). */
	assert_int_equal(clen("", &n), -1);
	assert_int_equal(clen("  ", &n), -1);
	assert_int_equal(clen("+5", &n), -1);
	assert_int_equal(clen("-1", &n), -1);
	assert_int_equal(clen("0x5", &n), -1);
	assert_int_equal(clen("5a", &n), -1);
	assert_int_equal(clen("4 2", &n), -1);
	assert_int_equal(clen("5,", &n), -1);
	assert_int_equal(clen(",5", &n), -1);
	assert_int_equal(clen("5,,5", &n), -1);
	assert_int_equal(clen("1.0", &n), -1);
	/* 2^63 and above overflow. */
	assert_int_equal(clen("9223372036854775808", &n), -1);
	assert_int_equal(clen("18446744073709551615", &n), -1);
	assert_int_equal(clen("18446744073709551616", &n), -1);
	assert_int_equal(clen("99999999999999999999999", &n), -1);
	/* The length given is honoured: bytes after it are not read. */
	assert_int_equal(px_h1_parse_clen("12x", 2, &n), 0);
	assert_int_equal(n, 12);
}

/* --- Transfer-Encoding ---------------------------------------------------- */

static int te(const char *v, struct px_h1_te *t)
{
	return px_h1_parse_te(v, strlen(v), t);
}

static void assert_te(const struct px_h1_te *t, int invalid, int nchunked,
                      int last_chunked, int nother)
{
	assert_int_equal(t->invalid, invalid);
	assert_int_equal(t->nchunked, nchunked);
	assert_int_equal(t->last_chunked, last_chunked);
	assert_int_equal(t->nother, nother);
}

static void test_te(void **state)
{
	struct px_h1_te t;

	memset(&t, 0, sizeof(t));
	assert_int_equal(te("chunked", &t), 0);
	assert_te(&t, 0, 1, 1, 0);

	memset(&t, 0, sizeof(t));
	assert_int_equal(te("Chunked", &t), 0);
	assert_te(&t, 0, 1, 1, 0);

	memset(&t, 0, sizeof(t));
	assert_int_equal(te("gzip, chunked", &t), 0);
	assert_te(&t, 0, 1, 1, 1);

	memset(&t, 0, sizeof(t));
	assert_int_equal(te("chunked, gzip", &t), 0);
	assert_te(&t, 0, 1, 0, 1);

	memset(&t, 0, sizeof(t));
	assert_int_equal(te("gzip", &t), 0);
	assert_te(&t, 0, 0, 0, 1);

	memset(&t, 0, sizeof(t));
	assert_int_equal(te(" gzip ,\tdeflate , chunked ", &t), 0);
	assert_te(&t, 0, 1, 1, 2);

	memset(&t, 0, sizeof(t));
	assert_int_equal(te("chunked, chunked", &t), 0);
	assert_te(&t, 0, 2, 1, 0);

	/* "chunkedx" and "chunk" are other codings. */
	memset(&t, 0, sizeof(t));
	assert_int_equal(te("chunkedx, chunk", &t), 0);
	assert_te(&t, 0, 0, 0, 2);

	/* Parameters are skipped. */
	memset(&t, 0, sizeof(t));
	assert_int_equal(te("gzip;q=1, chunked", &t), 0);
	assert_te(&t, 0, 1, 1, 1);
}

static void test_te_across_lines(void **state)
{
	struct px_h1_te t;

	/* Duplicates across Transfer-Encoding lines add up. */
	memset(&t, 0, sizeof(t));
	assert_int_equal(te("chunked", &t), 0);
	assert_int_equal(te("chunked", &t), 0);
	assert_te(&t, 0, 2, 1, 0);

	memset(&t, 0, sizeof(t));
	assert_int_equal(te("gzip", &t), 0);
	assert_int_equal(te("chunked", &t), 0);
	assert_te(&t, 0, 1, 1, 1);

	memset(&t, 0, sizeof(t));
	assert_int_equal(te("chunked", &t), 0);
	assert_int_equal(te("gzip", &t), 0);
	assert_te(&t, 0, 1, 0, 1);

	/* An invalid line taints the whole message. */
	memset(&t, 0, sizeof(t));
	assert_int_equal(te(",chunked", &t), -1);
	assert_int_equal(te("chunked", &t), 0);
	assert_int_equal(t.invalid, 1);
	assert_int_equal(t.nchunked, 1);
}

static void test_te_empty_elements(void **state)
{
	static const char *const bad[] = {
		"", " ", ",chunked", "chunked,", "chunked, ", "gzip,,chunked",
		"gzip, ,chunked", ", ,",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct px_h1_te t;

		memset(&t, 0, sizeof(t));
		if (te(bad[i], &t) != -1 || t.invalid != 1)
			fail_msg("Transfer-Encoding \"%s\" was accepted", bad[i]);
	}
}

/* An element that is not a token optionally followed by parameters is
 * malformed (px_h1_te.invalid: "an empty or malformed list element");
 * "chunked gzip" must not be read as "chunked".
 */
static void test_te_malformed_elements(void **state)
{
	static const char *const bad[] = {
		"chunked gzip", "chunked x", "gzip chunked", "chunked\"", "chunked@",
		"\"chunked\"",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct px_h1_te t;

		memset(&t, 0, sizeof(t));
		if (te(bad[i], &t) != -1 || t.invalid != 1)
			fail_msg("malformed Transfer-Encoding \"%s\" was accepted "
			         "(nchunked %u, last_chunked %u, nother %u)", bad[i],
			         t.nchunked, t.last_chunked, t.nother);
	}
}

/* --- chunked framing ------------------------------------------------------ */

static int chunk(struct px_h1_chunk *c, const char *s, size_t len)
{
	char *p = exact_copy(s, len);
	int r = px_h1_chunk_parse(c, p, (uint32_t)len);

	free(p);
	return r;
}

static int chunk_str(struct px_h1_chunk *c, const char *s)
{
	px_h1_chunk_init(c);
	return chunk(c, s, strlen(s));
}

static void test_chunk_sizes(void **state)
{
	static const char body[] = "a\r\n0123456789\r\n1F\r\n0123456789abcdef0123456789abcde\r\n"
		"0\r\n\r\n";
	struct px_h1_chunk c;

	assert_int_equal(chunk_str(&c, body), (int)(sizeof(body) - 1));
	assert_int_equal(c.state, PX_CH_DONE);
	assert_int_equal(c.last, 1);

	assert_int_equal(chunk_str(&c, "1F\r\n"), 4);
	assert_int_equal(c.state, PX_CH_DATA);
	assert_true(c.left == 31);

	assert_int_equal(chunk_str(&c, "aBcD\r\n"), 6);
	assert_int_equal(c.state, PX_CH_DATA);
	assert_true(c.left == 0xabcd);

	/* 16 digits, leading zeros included, are fine. */
	assert_int_equal(chunk_str(&c, "0000000000000010\r\n"), 18);
	assert_int_equal(c.state, PX_CH_DATA);
	assert_true(c.left == 16);

	/* The largest size: 2^63-1. */
	assert_int_equal(chunk_str(&c, "7fffffffffffffff\r\n"), 18);
	assert_int_equal(c.state, PX_CH_DATA);
	assert_true(c.left == UINT64_C(0x7fffffffffffffff));

	/* Data is skipped in one step, whatever its bytes. */
	assert_int_equal(chunk_str(&c, "4\r\n\r\n\r\n\r\n0\r\n\r\n"), 14);
	assert_int_equal(c.state, PX_CH_DONE);

	/* A partial chunk: the data seen is consumed, the rest awaited. */
	assert_int_equal(chunk_str(&c, "a\r\n0123"), 7);
	assert_int_equal(c.state, PX_CH_DATA);
	assert_true(c.left == 6);
	assert_int_equal(chunk(&c, "456789\r\n0\r\n\r\n", 13), 13);
	assert_int_equal(c.state, PX_CH_DONE);
}

static void test_chunk_extensions(void **state)
{
	static const char *const good[] = {
		"5;name=value\r\nhello\r\n0;last\r\n\r\n",
		"5 ;x\r\nhello\r\n0\r\n\r\n",
		"5\t;x=\"a b\"\r\nhello\r\n0\r\n\r\n",
		"5 \r\nhello\r\n0 \t\r\n\r\n",
		"5;a;b=c;d\r\nhello\r\n0\r\n\r\n",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct px_h1_chunk c;
		int r = chunk_str(&c, good[i]);

		if (r != (int)strlen(good[i]) || c.state != PX_CH_DONE)
			fail_msg("\"%s\": returned %d in state %d (%s)", good[i], r, c.state,
			         c.err_msg ? c.err_msg : "no error");
	}
}

struct chunk_err {
	const char *in;
	const char *msg;
};

static const struct chunk_err chunk_errs[] = {
	/* Size digits (rows 9, 10). */
	{ "00000000000000001\r\n", "chunk size with more than 16 digits" },
	{ "10000000000000000\r\n", "chunk size with more than 16 digits" },
	{ "8000000000000000\r\n", "chunk size overflow" },
	{ "ffffffffffffffff\r\n", "chunk size overflow" },
	{ "\r\n", "invalid chunk size" },
	{ ";ext\r\n", "invalid chunk size" },
	{ "0x5\r\n", "invalid character after chunk size" },
	{ "+5\r\n", "invalid chunk size" },
	{ "-5\r\n", "invalid chunk size" },
	{ " 5\r\n", "invalid chunk size" },
	{ "\t5\r\n", "invalid chunk size" },
	{ "g\r\n", "invalid chunk size" },
	{ "5 x\r\n", "invalid character after chunk size" },
	{ "5 5\r\n", "invalid character after chunk size" },
	{ "5g\r\n", "invalid character after chunk size" },
	{ "5\r\nhello\r\n\r\n", "invalid chunk size" },
	/* Extensions. */
	{ "5;a\x01\r\n", "control character in chunk extension" },
	{ "5;a\x7f\r\n", "control character in chunk extension" },
	/* Bare LF and bare CR (row 11). */
	{ "5\nhello\r\n0\r\n\r\n", "bare LF after chunk size" },
	{ "5;a\nhello\r\n0\r\n\r\n", "bare LF in chunk extension" },
	{ "5\rhello\r\n", "bare CR after chunk size" },
	{ "5\r\nhello\n0\r\n\r\n", "bare LF after chunk data" },
	{ "5\r\nhello\rX", "bare CR after chunk data" },
	{ "5\r\nhello!\r\n0\r\n\r\n", "chunk data longer than its size" },
	/* Trailers and the end. */
	{ "0\r\n\n", "bare LF ending the chunked body" },
	{ "0\r\n\rX", "bare CR ending the chunked body" },
	{ "0\r\nX: 1\n\r\n", "bare LF in trailer" },
	{ "0\r\nX: 1\rY: 2\r\n\r\n", "bare CR in trailer" },
	{ "0\r\nX: \x01\r\n\r\n", "control character in trailer" },
};

static void test_chunk_errors(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(chunk_errs) / sizeof(chunk_errs[0]); i++) {
		const struct chunk_err *e = &chunk_errs[i];
		struct px_h1_chunk c;
		int r = chunk_str(&c, e->in);

		if (r != -1 || c.state != PX_CH_ERROR)
			fail_msg("\"%s\": returned %d in state %d, expected an error", e->in,
			         r, c.state);
		if (!c.err_msg || strcmp(c.err_msg, e->msg))
			fail_msg("\"%s\": err_msg \"%s\", expected \"%s\"", e->in,
			         c.err_msg ? c.err_msg : "(null)", e->msg);
	}
}

static void test_chunk_trailers(void **state)
{
	static const char body[] = "3\r\nabc\r\n0\r\nX-Trailer: 1\r\nY:\t2\r\n\r\n";
	static char big[20100];
	struct px_h1_chunk c;
	size_t n;

	assert_int_equal(chunk_str(&c, body), (int)(sizeof(body) - 1));
	assert_int_equal(c.state, PX_CH_DONE);

	/* A 1000-byte trailer is fine, a 20000-byte one is not. */
	n = (size_t)sprintf(big, "0\r\nX: ");
	memset(big + n, 'a', 1000);
	n += 1000;
	n += (size_t)sprintf(big + n, "\r\n\r\n");
	assert_int_equal(chunk_str(&c, big), (int)n);
	assert_int_equal(c.state, PX_CH_DONE);

	n = (size_t)sprintf(big, "0\r\nX: ");
	memset(big + n, 'a', 20000);
	n += 20000;
	n += (size_t)sprintf(big + n, "\r\n\r\n");
	assert_int_equal(chunk_str(&c, big), -1);
	assert_string_equal(c.err_msg, "trailer section too large");
}

/* The parser returns the length of the message and leaves what follows
 * (the next pipelined request) alone.
 */
static void test_chunk_stops_at_end(void **state)
{
	static const char in[] = "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n";
	static const char trl[] = "1\r\nx\r\n0\r\nT: v\r\n\r\n0\r\n\r\n";
	struct px_h1_chunk c;

	assert_int_equal(chunk_str(&c, in), 13);
	assert_int_equal(c.state, PX_CH_DONE);
	/* Once done, nothing more belongs to the message. */
	assert_int_equal(chunk(&c, in + 13, sizeof(in) - 1 - 13), 0);
	assert_int_equal(c.state, PX_CH_DONE);

	assert_int_equal(chunk_str(&c, trl), 17);
	assert_int_equal(c.state, PX_CH_DONE);
}

static void test_chunk_bytewise(void **state)
{
	static const char *const bodies[] = {
		"a\r\n0123456789\r\n1;x=y\r\n!\r\n0\r\nT: 1\r\n\r\nNEXT",
		"3\r\nabc\r\n0\r\n\r\n",
		"0;e\r\n\r\n",
	};
	static const size_t lens[] = { 36, 13, 7 };
	size_t b;

	for (b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++) {
		const char *s = bodies[b];
		size_t len = strlen(s), i, total = 0;
		struct px_h1_chunk c;

		px_h1_chunk_init(&c);
		for (i = 0; i < len; i++) {
			int r = chunk(&c, s + i, 1);

			if (i < lens[b] && r != 1)
				fail_msg("\"%s\": byte %zu returned %d", s, i, r);
			if (i >= lens[b] && r != 0)
				fail_msg("\"%s\": byte %zu after the end returned %d", s, i, r);
			if ((i + 1 == lens[b]) != (c.state == PX_CH_DONE) && i < lens[b])
				fail_msg("\"%s\": state %d after byte %zu", s, c.state, i);
			total += (size_t)r;
		}
		assert_int_equal(total, lens[b]);
		assert_int_equal(c.state, PX_CH_DONE);
	}
}

/* Two-piece splits end in the same state with the same total; errors are
 * found with the same message.
 */
static void test_chunk_splits(void **state)
{
	static const char *const bodies[] = {
		"a\r\n0123456789\r\n1;x=y\r\n!\r\n0\r\nT: 1\r\n\r\nNEXT",
		"5\r\nhello!\r\n0\r\n\r\n",
		"5\r\nhello\n0\r\n\r\n",
		"00000000000000001\r\n",
	};
	size_t b;

	for (b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++) {
		const char *s = bodies[b];
		size_t len = strlen(s), cut;
		struct px_h1_chunk whole, c;
		int rw = chunk_str(&whole, s);

		for (cut = 1; cut < len; cut++) {
			int r1, r2 = 0, total;

			px_h1_chunk_init(&c);
			r1 = chunk(&c, s, cut);
			if (r1 >= 0 && c.state != PX_CH_DONE) {
				assert_int_equal(r1, cut);
				r2 = chunk(&c, s + cut, len - cut);
			}
			total = r1 < 0 || r2 < 0 ? -1 : r1 + r2;
			if (total != rw || c.state != whole.state)
				fail_msg("\"%s\" split at %zu: %d in state %d, whole %d in state %d",
				         s, cut, total, c.state, rw, whole.state);
			if (rw < 0 && strcmp(c.err_msg, whole.err_msg))
				fail_msg("\"%s\" split at %zu: \"%s\" instead of \"%s\"", s, cut,
				         c.err_msg, whole.err_msg);
		}
	}
}

/* --- list tokens and case-insensitive comparison -------------------------- */

static int in_list(const char *list, const char *tok)
{
	return px_h1_token_in_list(list, strlen(list), tok);
}

static void test_token_in_list(void **state)
{
	assert_int_equal(in_list("close", "close"), 1);
	assert_int_equal(in_list("Close", "close"), 1);
	assert_int_equal(in_list("keep-alive, close", "close"), 1);
	assert_int_equal(in_list("keep-alive,close", "keep-alive"), 1);
	assert_int_equal(in_list(" , ,\tclose\t, ", "close"), 1);
	assert_int_equal(in_list("Upgrade, KEEP-ALIVE", "keep-alive"), 1);
	assert_int_equal(in_list("closed", "close"), 0);
	assert_int_equal(in_list("clos", "close"), 0);
	assert_int_equal(in_list("xclose", "close"), 0);
	assert_int_equal(in_list("clo se", "close"), 0);
	assert_int_equal(in_list("close;x", "close"), 0);
	assert_int_equal(in_list("", "close"), 0);
	assert_int_equal(in_list(" , ", "close"), 0);
	/* Only the given length is read. */
	assert_int_equal(px_h1_token_in_list("keep-alive, close", 10, "close"), 0);
	assert_int_equal(px_h1_token_in_list("keep-alive, close", 10, "keep-alive"), 1);
	assert_int_equal(px_h1_token_in_list("close", 4, "close"), 0);
}

static void test_strncaseeq(void **state)
{
	assert_int_equal(px_strncaseeq("chunked", 7, "chunked"), 1);
	assert_int_equal(px_strncaseeq("CHUNKED", 7, "chunked"), 1);
	assert_int_equal(px_strncaseeq("ChUnKeD", 7, "cHuNkEd"), 1);
	assert_int_equal(px_strncaseeq("Content-Length", 14, "content-length"), 1);
	assert_int_equal(px_strncaseeq("", 0, ""), 1);
	/* Lengths must match. */
	assert_int_equal(px_strncaseeq("chunk", 5, "chunked"), 0);
	assert_int_equal(px_strncaseeq("chunked", 7, "chunk"), 0);
	assert_int_equal(px_strncaseeq("chunkedXYZ", 7, "chunked"), 1);
	assert_int_equal(px_strncaseeq("", 0, "a"), 0);
	/* Only letters fold: these pairs differ by 0x20 but are not letters. */
	assert_int_equal(px_strncaseeq("@", 1, "`"), 0);
	assert_int_equal(px_strncaseeq("[", 1, "{"), 0);
	assert_int_equal(px_strncaseeq("^", 1, "~"), 0);
	assert_int_equal(px_strncaseeq("-", 1, "\r"), 0);
	assert_int_equal(px_strncaseeq("a-b", 3, "A\rB"), 0);
	assert_int_equal(px_strncaseeq("x", 1, "y"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_complete),
		cmocka_unit_test(test_req_versions_and_methods),
		cmocka_unit_test(test_req_body_follows),
		cmocka_unit_test(test_req_parse_again_after_done),
		cmocka_unit_test(test_req_incomplete),
		cmocka_unit_test(test_value_trimming),
		cmocka_unit_test(test_leading_empty_lines),
		cmocka_unit_test(test_bare_lf_line_ends),
		cmocka_unit_test(test_max_headers),
		cmocka_unit_test(test_res_complete),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_is_final),
		cmocka_unit_test(test_splits),
		cmocka_unit_test(test_clen),
		cmocka_unit_test(test_clen_errors),
		cmocka_unit_test(test_te),
		cmocka_unit_test(test_te_across_lines),
		cmocka_unit_test(test_te_empty_elements),
		cmocka_unit_test(test_te_malformed_elements),
		cmocka_unit_test(test_chunk_sizes),
		cmocka_unit_test(test_chunk_extensions),
		cmocka_unit_test(test_chunk_errors),
		cmocka_unit_test(test_chunk_trailers),
		cmocka_unit_test(test_chunk_stops_at_end),
		cmocka_unit_test(test_chunk_bytewise),
		cmocka_unit_test(test_chunk_splits),
		cmocka_unit_test(test_token_in_list),
		cmocka_unit_test(test_strncaseeq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
