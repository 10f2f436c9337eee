/* libFuzzer target: the list-value helpers of proxyd/proto/h1.c that
 * framing decisions rest on: px_h1_parse_clen(), px_h1_parse_te() and
 * px_h1_token_in_list(), each compared with a plain reference written
 * from their comments (split on commas, trim blanks, look at each element).
 *
 * Input: arbitrary bytes. The whole input is one Content-Length value and
 * one Connection-like list; cut at LF it is the successive
 * Transfer-Encoding lines of one message (http.c feeds them all to the
 * same px_h1_te). Every call gets a heap copy of exactly the value's
 * length, so a read past it is an ASAN report.
 *
 * Checks: Content-Length is accepted exactly when every element is a
 * decimal number no larger than 2^63-1 and all are equal, with that value;
 * the Transfer-Encoding summary (invalid, number of "chunked" and of other
 * codings, whether the last one is "chunked") is what the elements say,
 * counts included; a token is found exactly when one element equals it,
 * case aside.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "proto/h1.h"
#include "fuzz.h"

#define CLEN_MAX UINT64_C(0x7fffffffffffffff)

static int ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static uint8_t lc(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Trims blanks around [*s, *e). */
static void trim(const uint8_t *v, size_t *s, size_t *e)
{
	while (*s < *e && ows(v[*s]))
		(*s)++;
	while (*e > *s && ows(v[*e - 1]))
		(*e)--;
}

static char *copy(const uint8_t *v, size_t len)
{
	char *p = malloc(len);

	memcpy(p, v, len);
	return p;
}

/* --- Content-Length -------------------------------------------------------- */

/* 0 with the value when valid, -1 otherwise. */
static int ref_clen(const uint8_t *v, size_t len, uint64_t *out)
{
	size_t s = 0;
	int seen = 0;

	for (;;) {
		size_t e = s, a, b;
		uint64_t n = 0;

		while (e < len && v[e] != ',')
			e++;
		a = s;
		b = e;
		trim(v, &a, &b);
		if (a == b)
			return -1;
		for (; a < b; a++) {
			if (v[a] < '0' || v[a] > '9')
				return -1;
			if (n > (CLEN_MAX - (v[a] - '0')) / 10)
				return -1;
			n = n * 10 + (v[a] - '0');
		}
		if (seen && n != *out)
			return -1;
		*out = n;
		seen = 1;
		if (e == len)
			return 0;
		s = e + 1;
	}
}

static void check_clen(const uint8_t *data, size_t size)
{
	char *v = copy(data, size);
	uint64_t got = 12345, want = 0;
	int r = px_h1_parse_clen(v, size, &got);
	int ref = ref_clen(data, size, &want);

	free(v);
	CHECK(r == 0 || r == -1 || r == -2, "px_h1_parse_clen returned %d", r);
	CHECK((r == 0) == (ref == 0), "px_h1_parse_clen returned %d, reference %d", r, ref);
	if (r == 0)
		CHECK(got == want && got <= CLEN_MAX, "Content-Length %llu, reference %llu",
		      (unsigned long long)got, (unsigned long long)want);
	else
		CHECK(got == 12345, "output written on failure");
}

/* --- Transfer-Encoding ----------------------------------------------------- */

struct ref_te {
	int invalid;
	long nchunked;
	long nother;
	int last_chunked;
};

/* Adds one Transfer-Encoding line; returns 0 or -1 like px_h1_parse_te. */
static int ref_te_line(const uint8_t *v, size_t len, struct ref_te *te)
{
	size_t s = 0;

	for (;;) {
		size_t e = s, a, b, semi, k;

		while (e < len && v[e] != ',')
			e++;
		/* The coding name ends at ';' (parameters follow). */
		semi = s;
		while (semi < e && v[semi] != ';')
			semi++;
		for (k = semi; k < e; k++)
			if (v[k] == '"')
				goto bad;
		a = s;
		b = semi;
		trim(v, &a, &b);
		if (a == b)
			goto bad;
		for (k = a; k < b; k++)
			if (!px_h1_tchar[v[k]])
				goto bad;
		if (b - a == 7 && lc(v[a]) == 'c' && lc(v[a + 1]) == 'h' && lc(v[a + 2]) == 'u' &&
		    lc(v[a + 3]) == 'n' && lc(v[a + 4]) == 'k' && lc(v[a + 5]) == 'e' &&
		    lc(v[a + 6]) == 'd') {
			te->nchunked++;
			te->last_chunked = 1;
		} else {
			te->nother++;
			te->last_chunked = 0;
		}
		if (e == len)
			return 0;
		s = e + 1;
	}
 bad:
	te->invalid = 1;
	return -1;
}

/* FUZZ_SKIP_TE_WRAP=1 in the environment compares the coding counts
 * modulo 256, to keep fuzzing past the known wrap of the 8-bit counters of
 * struct px_h1_te (crashes/h1_lists-1).
 */
static int skip_te_wrap = -1;

static void check_te(const uint8_t *data, size_t size)
{
	struct px_h1_te te = { 0 };
	struct ref_te ref = { 0 };
	size_t s = 0;

	if (skip_te_wrap < 0)
		skip_te_wrap = getenv("FUZZ_SKIP_TE_WRAP") != NULL;
	for (;;) {
		size_t e = s;
		char *v;
		int r, want;

		while (e < size && data[e] != '\n')
			e++;
		v = copy(data + s, e - s);
		r = px_h1_parse_te(v, e - s, &te);
		free(v);
		want = ref_te_line(data + s, e - s, &ref);
		CHECK(r == want, "px_h1_parse_te returned %d, reference %d", r, want);
		CHECK(te.invalid == ref.invalid && te.last_chunked == ref.last_chunked,
		      "invalid %u last_chunked %u, reference %d %d", te.invalid,
		      te.last_chunked, ref.invalid, ref.last_chunked);
		if (skip_te_wrap)
			CHECK(te.nchunked == (ref.nchunked & 0xff) && te.nother == (ref.nother & 0xff),
			      "%u chunked and %u other codings counted, %ld and %ld listed "
			      "(modulo 256)", te.nchunked, te.nother, ref.nchunked, ref.nother);
		else
			CHECK(te.nchunked == ref.nchunked && te.nother == ref.nother,
			      "%u chunked and %u other codings counted, %ld and %ld listed",
			      te.nchunked, te.nother, ref.nchunked, ref.nother);
		if (e == size)
			break;
		s = e + 1;
	}
}

/* --- token lists ---------------------------------------------------------- */

static int ref_in_list(const uint8_t *v, size_t len, const char *tok)
{
	size_t s = 0, tl = strlen(tok);

	for (;;) {
		size_t e = s, a, b, k;

		while (e < len && v[e] != ',')
			e++;
		a = s;
		b = e;
		trim(v, &a, &b);
		if (b - a == tl && tl) {
			for (k = 0; k < tl; k++)
				if (lc(v[a + k]) != lc((uint8_t)tok[k]))
					break;
			if (k == tl)
				return 1;
		}
		if (e >= len)
			return 0;
		s = e + 1;
	}
}

static void check_list(const uint8_t *data, size_t size)
{
	static const char *const toks[] = { "close", "keep-alive", "upgrade", "chunked", "" };
	char first[64];
	size_t i, a = 0, b = 0;
	char *v = copy(data, size);

	for (i = 0; i < sizeof(toks) / sizeof(toks[0]); i++) {
		int r = px_h1_token_in_list(v, size, toks[i]);

		CHECK(r == ref_in_list(data, size, toks[i]), "'%s' found: %d", toks[i], r);
	}
	/* The first element itself must be found. */
	while (b < size && data[b] != ',')
		b++;
	trim(data, &a, &b);
	if (b > a && b - a < sizeof(first) && !memchr(data + a, 0, b - a)) {
		memcpy(first, data + a, b - a);
		first[b - a] = 0;
		CHECK(px_h1_token_in_list(v, size, first) == 1, "first element '%s' not found",
		      first);
	}
	free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_clen(data, size);
	check_te(data, size);
	check_list(data, size);
	return 0;
}
