/* Converters on text and bytes: the transformations written after a
 * fetch in a sample expression ("req.hdr(host),lower,map(hosts.map,www)"),
 * as HAProxy's section 7.3.1 describes them: case, trimming, field and word
 * extraction, regsub, hex/base64/URL encodings, json, and the map_*
 * family. Each converter receives its input already cast to the type its
 * table entry names, and its arguments as the check function left them at
 * configuration time.
 *
 * Results that are new bytes go to the scratch ring (px_trash()); results
 * that are a part of the input (field, word, bytes, ltrim...) only move the
 * pointer and keep the input's flags. A result that would not fit in the
 * scratch area makes the converter fail (no value) rather than be cut.
 *
 * Numbers, variables, addresses, hashes and dates are in conv-num.c; map
 * files themselves in map.c; expression parsing and casts in sample.c.
 */
#include <arpa/inet.h>
#include <string.h>
#include "cfg/cfg.h"
#include "core/util.h"
#include "rules/conv.h"
#include "rules/map.h"
#include "rules/regex.h"
#include "rules/sample.h"

/* --- helpers ------------------------------------------------------------ */

/* A set of bytes, built once from a string argument. */
struct charset {
	uint8_t bits[32];
};

static inline int in_set(const struct charset *cs, unsigned char c)
{
	return cs->bits[c >> 3] & (1u << (c & 7));
}

/* Replaces the string argument <a> by the set of its bytes. */
static int arg_to_charset(struct px_arg *a, struct px_cfg_ctx *ctx, char **err)
{
	struct charset *cs = px_gen_alloc(ctx->gen, sizeof(*cs));
	uint32_t i;

	if (!cs) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	for (i = 0; i < a->u.str.len; i++) {
		unsigned char c = (unsigned char)a->u.str.p[i];

		cs->bits[c >> 3] |= (uint8_t)(1u << (c & 7));
	}
	a->type = PX_ARG_PTR;
	a->u.ptr = cs;
	return 0;
}
/* --- case, trimming, cutting ------------------------------------------------ */

static int c_lower(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	uint32_t i;

	if (!px_smp_make_rw(smp))
		return 0;
	for (i = 0; i < smp->u.str.len; i++)
		if (smp->u.str.p[i] >= 'A' && smp->u.str.p[i] <= 'Z')
			smp->u.str.p[i] += 'a' - 'A';
	return 1;
}

static int c_upper(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	uint32_t i;

	if (!px_smp_make_rw(smp))
		return 0;
	for (i = 0; i < smp->u.str.len; i++)
		if (smp->u.str.p[i] >= 'a' && smp->u.str.p[i] <= 'z')
			smp->u.str.p[i] -= 'a' - 'A';
	return 1;
}

static int chk_charset(struct px_arg *a, int n, struct px_cfg_ctx *ctx, char **err)
{
	return arg_to_charset(&a[0], ctx, err);
}

static int c_ltrim(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const struct charset *cs = a[0].u.ptr;

	while (smp->u.str.len && in_set(cs, (unsigned char)*smp->u.str.p)) {
		smp->u.str.p++;
		smp->u.str.len--;
	}
	return 1;
}

static int c_rtrim(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const struct charset *cs = a[0].u.ptr;

	while (smp->u.str.len &&
	       in_set(cs, (unsigned char)smp->u.str.p[smp->u.str.len - 1]))
		smp->u.str.len--;
	return 1;
}

static int c_cut_crlf(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	uint32_t i;

	for (i = 0; i < smp->u.str.len; i++)
		if (smp->u.str.p[i] == '\r' || smp->u.str.p[i] == '\n')
			break;
	smp->u.str.len = i;
	return 1;
}

static int c_length(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	px_conv_set_sint(smp, PX_SMP_SINT, smp->u.str.len);
	return 1;
}

/* --- field, word, bytes ------------------------------------------------------ */

/* field() and word(): index (never 0), delimiters (never empty), count
 * (1 by default, 0 or less for "up to the end").
 */
static int chk_field(struct px_arg *a, int n, struct px_cfg_ctx *ctx, char **err)
{
	if (a[0].u.sint == 0) {
		px_strfmt(err, "index 0 is invalid (the first is 1, the last -1)");
		return -1;
	}
	if (!a[1].u.str.len) {
		px_strfmt(err, "the list of delimiters is empty");
		return -1;
	}
	if (n < 3) {
		a[2].type = PX_ARG_SINT;
		a[2].u.sint = 1;
	}
	return arg_to_charset(&a[1], ctx, err);
}

/* Fields are what lies between single delimiters: "a__b" has three, the
 * second empty. An index past the fields is no value; a count past them
 * stops at the end.
 */
static int c_field(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const struct charset *cs = a[1].u.ptr;
	int64_t idx = a[0].u.sint, cnt = a[2].u.sint, k;
	char *s = smp->u.str.p, *end = s + smp->u.str.len, *start, *stop;

	if (idx > 0) {
		start = s;
		for (k = 1; k < idx; k++) {
			while (start < end && !in_set(cs, (unsigned char)*start))
				start++;
			if (start == end)
				return 0;
			start++;
		}
		stop = start;
		if (cnt <= 0)
			stop = end;
		else
			for (k = 0;;) {
				while (stop < end && !in_set(cs, (unsigned char)*stop))
					stop++;
				if (++k == cnt || stop == end)
					break;
				stop++;
			}
	} else {
		stop = end;
		for (k = -1; k > idx; k--) {
			while (stop > s && !in_set(cs, (unsigned char)stop[-1]))
				stop--;
			if (stop == s)
				return 0;
			stop--;
		}
		start = stop;
		if (cnt <= 0)
			start = s;
		else
			for (k = 0;;) {
				while (start > s && !in_set(cs, (unsigned char)start[-1]))
					start--;
				if (++k == cnt || start == s)
					break;
				start--;
			}
	}
	smp->u.str.p = start;
	smp->u.str.len = (uint32_t)(stop - start);
	return 1;
}

/* Words are runs of non-delimiters: delimiters at the ends and repeated
 * ones separate nothing. As HAProxy, an index past the words gives an
 * empty string, and a count past them, or 0, takes everything up to the
 * end of the input, trailing delimiters included.
 */
static int c_word(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const struct charset *cs = a[1].u.ptr;
	int64_t idx = a[0].u.sint, cnt = a[2].u.sint, k;
	char *s = smp->u.str.p, *end = s + smp->u.str.len, *p, *start, *stop;

	if (idx > 0) {
		for (p = s, k = 0;;) {
			while (p < end && in_set(cs, (unsigned char)*p))
				p++;
			if (p == end)
				goto none;
			if (++k == idx)
				break;
			while (p < end && !in_set(cs, (unsigned char)*p))
				p++;
		}
		start = stop = p;
		if (cnt <= 0)
			stop = end;
		else
			for (k = 0;;) {
				while (stop < end && !in_set(cs, (unsigned char)*stop))
					stop++;
				if (++k == cnt)
					break;
				while (stop < end && in_set(cs, (unsigned char)*stop))
					stop++;
				if (stop == end)
					break;
			}
	} else {
		for (p = end, k = 0;;) {
			while (p > s && in_set(cs, (unsigned char)p[-1]))
				p--;
			if (p == s)
				goto none;
			if (--k == idx)
				break;
			while (p > s && !in_set(cs, (unsigned char)p[-1]))
				p--;
		}
		start = stop = p;
		if (cnt <= 0)
			start = s;
		else
			for (k = 0;;) {
				while (start > s && !in_set(cs, (unsigned char)start[-1]))
					start--;
				if (++k == cnt)
					break;
				while (start > s && in_set(cs, (unsigned char)start[-1]))
					start--;
				if (start == s)
					break;
			}
	}
	smp->u.str.p = start;
	smp->u.str.len = (uint32_t)(stop - start);
	return 1;
none:
	smp->u.str.len = 0;
	return 1;
}

static int chk_bytes(struct px_arg *a, int n, struct px_cfg_ctx *ctx, char **err)
{
	if (a[0].u.sint < 0 || (n > 1 && a[1].u.sint < 0)) {
		px_strfmt(err, "offset and length must not be negative");
		return -1;
	}
	return 0;
}

static int c_bytes(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	uint64_t off = (uint64_t)a[0].u.sint;

	if (off >= smp->u.str.len) {
		smp->u.str.len = 0;
		return 1;
	}
	smp->u.str.p += off;
	smp->u.str.len -= (uint32_t)off;
	if (a[1].type == PX_ARG_SINT && (uint64_t)a[1].u.sint < smp->u.str.len)
		smp->u.str.len = (uint32_t)a[1].u.sint;
	return 1;
}

/* --- regsub --------------------------------------------------------------- */

/* regsub(REGEX,REPL[,FLAGS]): the regex is compiled here so that the "i"
 * flag applies; "g" is kept in the third argument as an integer.
 */
static int chk_regsub(struct px_arg *a, int n, struct px_cfg_ctx *ctx, char **err)
{
	unsigned re_flags = 0;
	int global = 0;
	uint32_t i;
	struct px_regex *re;

	if (!a[0].u.str.len) {
		px_strfmt(err, "the regex is empty");
		return -1;
	}
	for (i = 0; n > 2 && i < a[2].u.str.len; i++) {
		char f = a[2].u.str.p[i];

		if (f == 'i') {
			re_flags |= PX_RE_ICASE;
		} else if (f == 'g') {
			global = 1;
		} else {
			px_strfmt(err, "unknown regsub flag '%c' (only 'i' and 'g' exist)", f);
			return -1;
		}
	}
	re = px_regex_comp(ctx->gen, a[0].u.str.p, re_flags, err);
	if (!re)
		return -1;
	a[0].type = PX_ARG_REGEX;
	a[0].u.re = re;
	a[2].type = PX_ARG_SINT;
	a[2].u.sint = global;
	return 0;
}

static int c_regsub(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	uint32_t sz;
	char *out = px_trash(&sz);
	long n = px_regex_subst(a[0].u.re, smp->u.str.p, smp->u.str.len, a[1].u.str.p,
	                        a[1].u.str.len, (int)a[2].u.sint, out, sz);

	if (n < 0)
		return 0;
	px_conv_set_str(smp, PX_SMP_STR, out, (uint32_t)n);
	return 1;
}

/* --- encodings ------------------------------------------------------------ */

static const char hexdig[] = "0123456789ABCDEF";

static int c_hex(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const unsigned char *in = (const unsigned char *)smp->u.str.p;
	uint32_t sz, i, len = smp->u.str.len;
	char *out = px_trash(&sz);

	if (len > sz / 2)
		return 0;
	for (i = 0; i < len; i++) {
		out[2 * i] = hexdig[in[i] >> 4];
		out[2 * i + 1] = hexdig[in[i] & 15];
	}
	px_conv_set_str(smp, PX_SMP_STR, out, 2 * len);
	return 1;
}

static int c_hex2i(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	uint64_t v = 0;
	uint32_t i;

	for (i = 0; i < smp->u.str.len; i++) {
		int d = px_hexval((unsigned char)smp->u.str.p[i]);

		if (d < 0)
			return 0;
		v = (v << 4) | (uint64_t)d;
	}
	px_conv_set_sint(smp, PX_SMP_SINT, (int64_t)v);
	return 1;
}

static const char b64std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Encodes <smp> with alphabet <abc>, padded with '=' when <pad>. */
static int b64_encode(struct px_smp *smp, const char *abc, int pad)
{
	const unsigned char *in = (const unsigned char *)smp->u.str.p;
	uint32_t sz, len = smp->u.str.len, i, o = 0;
	char *out = px_trash(&sz);

	if (len > (sz / 4) * 3)
		return 0;
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = abc[v >> 18];
		out[o++] = abc[(v >> 12) & 63];
		out[o++] = abc[(v >> 6) & 63];
		out[o++] = abc[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);

		out[o++] = abc[v >> 18];
		out[o++] = abc[(v >> 12) & 63];
		if (i + 1 < len)
			out[o++] = abc[(v >> 6) & 63];
		else if (pad)
			out[o++] = '=';
		if (pad)
			out[o++] = '=';
	}
	px_conv_set_str(smp, PX_SMP_STR, out, o);
	return 1;
}

static int c_base64(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return b64_encode(smp, b64std, 1);
}

static int c_ub64enc(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return b64_encode(smp, b64url, 0);
}

static int b64_val(unsigned char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/* Decodes base64 (<url>: base64url). The standard form must be padded to a
 * multiple of 4 characters; base64url may be padded or not. Anything else
 * than the alphabet and final padding is no value.
 */
static int b64_decode(struct px_smp *smp, int url)
{
	const unsigned char *in = (const unsigned char *)smp->u.str.p;
	uint32_t sz, len = smp->u.str.len, i, o = 0, npad = 0, acc = 0, nacc = 0;
	char *out = px_trash(&sz);

	while (npad < 2 && npad < len && in[len - 1 - npad] == '=')
		npad++;
	if ((!url || npad) && len % 4)
		return 0;
	len -= npad;
	if (len % 4 == 1 || len / 4 * 3 + 2 > sz)
		return 0;
	for (i = 0; i < len; i++) {
		int v = b64_val(in[i], url);

		if (v < 0)
			return 0;
		acc = acc << 6 | (uint32_t)v;
		if (++nacc == 4) {
			out[o++] = (char)(acc >> 16);
			out[o++] = (char)(acc >> 8);
			out[o++] = (char)acc;
			acc = nacc = 0;
		}
	}
	if (nacc == 2) {
		out[o++] = (char)(acc >> 4);
	} else if (nacc == 3) {
		out[o++] = (char)(acc >> 10);
		out[o++] = (char)(acc >> 2);
	}
	px_conv_set_str(smp, PX_SMP_BIN, out, o);
	return 1;
}

static int c_b64dec(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return b64_decode(smp, 0);
}

static int c_ub64dec(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return b64_decode(smp, 1);
}

/* url_dec([IN_FORM]): "%XX" decoded ("%" without two hex digits is no
 * value); '+' becomes a space after a '?', or everywhere when IN_FORM is
 * not 0.
 */
static int c_url_dec(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const char *in = smp->u.str.p;
	uint32_t sz, len = smp->u.str.len, i, o = 0;
	char *out = px_trash(&sz);
	int plus = a[0].type == PX_ARG_SINT && a[0].u.sint;

	for (i = 0; i < len; i++, o++) {
		char c = in[i];

		if (o >= sz)
			return 0;
		if (c == '%') {
			int hi, lo;

			if (len - i < 3)
				return 0;
			hi = px_hexval((unsigned char)in[i + 1]);
			lo = px_hexval((unsigned char)in[i + 2]);
			if (hi < 0 || lo < 0)
				return 0;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		} else if (c == '?') {
			plus = 1;
		}
		out[o] = c;
	}
	px_conv_set_str(smp, PX_SMP_STR, out, o);
	return 1;
}

static int chk_url_enc(struct px_arg *a, int n, struct px_cfg_ctx *ctx, char **err)
{
	if (n && strcmp(a[0].u.str.p, "query")) {
		px_strfmt(err, "unknown encoding type '%s' (only 'query' exists)", a[0].u.str.p);
		return -1;
	}
	return 0;
}

/* url_enc: everything but letters, digits and "-._~" becomes "%XX". */
static int c_url_enc(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const unsigned char *in = (const unsigned char *)smp->u.str.p;
	uint32_t sz, len = smp->u.str.len, i, o = 0;
	char *out = px_trash(&sz);

	for (i = 0; i < len; i++) {
		unsigned char c = in[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			if (o + 1 > sz)
				return 0;
			out[o++] = (char)c;
		} else {
			if (o + 3 > sz)
				return 0;
			out[o++] = '%';
			out[o++] = hexdig[c >> 4];
			out[o++] = hexdig[c & 15];
		}
	}
	px_conv_set_str(smp, PX_SMP_STR, out, o);
	return 1;
}

/* --- json ------------------------------------------------------------------- */

/* Input decoders of json(): "ascii" takes every byte as a character;
 * "utf8" decodes UTF-8 and fails on an error, "s" drops what it cannot
 * encode instead, "p" accepts overlong forms.
 */
#define JSON_UTF8 0x01
#define JSON_SKIP 0x02
#define JSON_PERM 0x04

static int chk_json(struct px_arg *a, int n, struct px_cfg_ctx *ctx, char **err)
{
	static const struct {
		const char *name;
		int mode;
	} modes[] = {
		{ "ascii", 0 },
		{ "utf8", JSON_UTF8 },
		{ "utf8s", JSON_UTF8 | JSON_SKIP },
		{ "utf8p", JSON_UTF8 | JSON_PERM },
		{ "utf8ps", JSON_UTF8 | JSON_PERM | JSON_SKIP },
	};
	size_t i;

	for (i = 0; n && i < PX_ARRAY_SIZE(modes); i++)
		if (!strcmp(a[0].u.str.p, modes[i].name))
			break;
	if (i == PX_ARRAY_SIZE(modes)) {
		px_strfmt(err, "unknown input code '%s' (ascii, utf8, utf8s, utf8p or utf8ps)",
		          a[0].u.str.p);
		return -1;
	}
	a[0].type = PX_ARG_SINT;
	a[0].u.sint = n ? modes[i].mode : 0;
	return 0;
}

enum utf8_res {
	U_OK = 0,     /* a character JSON can hold */
	U_BAD,        /* not UTF-8: a stray continuation byte, a cut sequence */
	U_RANGE,      /* a surrogate, U+FFFE, U+FFFF or above U+10FFFF */
	U_OVERLONG,   /* encoded with more bytes than needed */
	U_TOOLONG,    /* above U+FFFF: more than one \uXXXX escape holds */
};

/* Decodes the character at <p> (before <end>): its code point in <cp> and
 * its length in <nb>. A bad sequence counts its first byte only, so that
 * what follows is decoded again.
 */
static enum utf8_res utf8_next(const unsigned char *p, const unsigned char *end,
                               uint32_t *cp, uint32_t *nb)
{
	uint32_t c = *p, v, min, need, i;

	*nb = 1;
	if (c < 0x80) {
		*cp = c;
		return U_OK;
	}
	if (c < 0xc0 || c >= 0xf8)
		return U_BAD;
	if (c < 0xe0) {
		need = 1, v = c & 0x1f, min = 0x80;
	} else if (c < 0xf0) {
		need = 2, v = c & 0x0f, min = 0x800;
	} else {
		need = 3, v = c & 0x07, min = 0x10000;
	}
	for (i = 1; i <= need; i++) {
		if (p + i >= end || (p[i] & 0xc0) != 0x80)
			return U_BAD;
		v = v << 6 | (p[i] & 0x3f);
	}
	*nb = need + 1;
	*cp = v;
	if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) || v == 0xfffe || v == 0xffff)
		return U_RANGE;
	if (v < min)
		return U_OVERLONG;
	if (v > 0xffff)
		return U_TOOLONG;
	return U_OK;
}

/* Appends code point <cp> (at most U+FFFF) escaped for a JSON string. */
static int json_put(char *out, uint32_t *o, uint32_t sz, uint32_t cp)
{
	static const char hexlow[] = "0123456789abcdef";
	char esc = 0;

	switch (cp) {
	case '"': esc = '"'; break;
	case '\\': esc = '\\'; break;
	case '/': esc = '/'; break;
	case '\b': esc = 'b'; break;
	case '\f': esc = 'f'; break;
	case '\n': esc = 'n'; break;
	case '\r': esc = 'r'; break;
	case '\t': esc = 't'; break;
	}
	if (esc) {
		if (sz - *o < 2)
			return 0;
		out[(*o)++] = '\\';
		out[(*o)++] = esc;
	} else if (cp < 0x20 || cp >= 0x7f) {
		if (sz - *o < 6)
			return 0;
		out[(*o)++] = '\\';
		out[(*o)++] = 'u';
		out[(*o)++] = hexlow[(cp >> 12) & 15];
		out[(*o)++] = hexlow[(cp >> 8) & 15];
		out[(*o)++] = hexlow[(cp >> 4) & 15];
		out[(*o)++] = hexlow[cp & 15];
	} else {
		if (sz - *o < 1)
			return 0;
		out[(*o)++] = (char)cp;
	}
	return 1;
}

static int c_json(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const unsigned char *p = (const unsigned char *)smp->u.str.p;
	const unsigned char *end = p + smp->u.str.len;
	int mode = (int)a[0].u.sint;
	uint32_t sz, o = 0, cp, nb;
	char *out = px_trash(&sz);

	while (p < end) {
		enum utf8_res r = U_OK;

		if (mode & JSON_UTF8) {
			r = utf8_next(p, end, &cp, &nb);
		} else {
			cp = *p;
			nb = 1;
		}
		p += nb;
		if (r == U_OVERLONG && (mode & JSON_PERM))
			r = U_OK;
		if (r != U_OK) {
			if (mode & JSON_SKIP)
				continue;
			return 0;
		}
		if (!json_put(out, &o, sz, cp))
			return 0;
	}
	px_conv_set_str(smp, PX_SMP_STR, out, o);
	return 1;
}

/* --- maps ----------------------------------------------------------------- */

/* What a map_* converter keeps: its map, how it searches it, and the
 * default value already in the output type.
 */
struct map_conv {
	struct px_map *map;
	uint8_t match;         /* enum px_map_match */
	uint8_t out;           /* enum px_map_out */
	uint8_t has_def;
	struct px_smp def;
};

static int map_check(struct px_arg *a, int n, struct px_cfg_ctx *ctx, char **err,
                     int match, int out)
{
	struct map_conv *mc = px_gen_alloc(ctx->gen, sizeof(*mc));

	if (!mc) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	mc->map = px_map_get(ctx->gen, a[0].u.str.p, match, out, err);
	if (!mc->map)
		return -1;
	mc->match = (uint8_t)match;
	mc->out = (uint8_t)out;
	if (n > 1) {
		const char *d = a[1].u.str.p;

		mc->has_def = 1;
		if (out == PX_MAP_OUT_STR) {
			px_conv_set_str(&mc->def, PX_SMP_STR, a[1].u.str.p, a[1].u.str.len);
			mc->def.flags = PX_SMPF_CONST;
		} else if (out == PX_MAP_OUT_INT) {
			mc->def.type = PX_SMP_SINT;
			if (!px_conv_parse_sint(d, &mc->def.u.sint)) {
				px_strfmt(err, "default value '%s' is not an integer", d);
				return -1;
			}
		} else if (inet_pton(AF_INET, d, &mc->def.u.v4) == 1) {
			mc->def.type = PX_SMP_IPV4;
		} else if (inet_pton(AF_INET6, d, &mc->def.u.v6) == 1) {
			mc->def.type = PX_SMP_IPV6;
		} else {
			px_strfmt(err, "default value '%s' is not an IPv4 or IPv6 address", d);
			return -1;
		}
	}
	a[0].type = PX_ARG_PTR;
	a[0].u.ptr = mc;
	return 0;
}

/* One check function per method and output type, since a check function
 * is not told which keyword it checks.
 */
#define MAP_CHECK(M, O) \
	static int chk_map_##M##_##O(struct px_arg *a, int n, struct px_cfg_ctx *ctx, \
	                             char **err) \
	{ \
		return map_check(a, n, ctx, err, PX_MAP_##M, PX_MAP_OUT_##O); \
	}
#define MAP_CHECKS(M) MAP_CHECK(M, STR) MAP_CHECK(M, INT) MAP_CHECK(M, IP)

MAP_CHECKS(STR)
MAP_CHECKS(BEG)
MAP_CHECKS(SUB)
MAP_CHECKS(DIR)
MAP_CHECKS(DOM)
MAP_CHECKS(END)
MAP_CHECKS(REG)
MAP_CHECKS(REGM)
MAP_CHECKS(INT)
MAP_CHECKS(IP)

#define MAX_GROUPS 10

static int c_map(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const struct map_conv *mc = a[0].u.ptr;
	const struct px_map_ent *e = NULL;
	long ov[2 * MAX_GROUPS];
	int ngroups = 0;
	uint8_t addr[16];
	int fam;

	switch (mc->match) {
	case PX_MAP_INT:
		e = px_map_lookup_int(mc->map, smp->u.sint);
		break;
	case PX_MAP_IP:
		/* Not an address is no value, not the default, as HAProxy. */
		fam = px_conv_smp_addr(smp, addr);
		if (!fam)
			return 0;
		e = px_map_lookup_ip(mc->map, fam, addr);
		break;
	case PX_MAP_REGM:
		e = px_map_lookup_str(mc->map, mc->match, smp->u.str.p, smp->u.str.len,
		                      ov, MAX_GROUPS, &ngroups);
		break;
	default:
		e = px_map_lookup_str(mc->map, mc->match, smp->u.str.p, smp->u.str.len,
		                      NULL, 0, NULL);
		break;
	}
	if (!e) {
		if (!mc->has_def)
			return 0;
		*smp = mc->def;
		return 1;
	}
	switch (mc->out) {
	case PX_MAP_OUT_INT:
		px_conv_set_sint(smp, PX_SMP_SINT, e->vint);
		break;
	case PX_MAP_OUT_IP:
		smp->type = e->vfam == AF_INET ? PX_SMP_IPV4 : PX_SMP_IPV6;
		smp->flags = 0;
		if (e->vfam == AF_INET)
			smp->u.v4 = e->vip.v4;
		else
			smp->u.v6 = e->vip.v6;
		break;
	default:
		if (mc->match == PX_MAP_REGM) {
			/* The input is still intact: the result goes to a new area. */
			uint32_t sz;
			char *out = px_trash(&sz);
			long n = px_regex_expand(e->val, e->vlen, smp->u.str.p, ov, ngroups,
			                         out, sz);

			if (n < 0)
				return 0;
			px_conv_set_str(smp, PX_SMP_STR, out, (uint32_t)n);
			break;
		}
		/* Map values live as long as the generation; the command socket
		 * may change them, but not while an expression is evaluated.
		 */
		px_conv_set_str(smp, PX_SMP_STR, e->val, e->vlen);
		smp->flags = PX_SMPF_CONST;
		break;
	}
	return 1;
}

/* --- keyword table ------------------------------------------------------------ */

#define KW(n, f, a, c, i, o) \
	{ .name = (n), .fn = (f), .args = (a), .check = (c), .in = (i), .out = (o) }

#define S PX_SMP_STR
#define B PX_SMP_BIN
#define I PX_SMP_SINT
#define ANY PX_SMP_ANY

/* map_<method>[_<type>]: strings in except for int and ip. */
#define MAP_KWS(name, M, IN) \
	KW("map_" name, c_map, "s?s", chk_map_##M##_STR, IN, S), \
	KW("map_" name "_int", c_map, "s?s", chk_map_##M##_INT, IN, I), \
	KW("map_" name "_ip", c_map, "s?s", chk_map_##M##_IP, IN, ANY)

static const struct px_conv_kw conv_kws[] = {
	KW("lower",     c_lower,     "",      NULL,        S, S),
	KW("upper",     c_upper,     "",      NULL,        S, S),
	KW("ltrim",     c_ltrim,     "s",     chk_charset, S, S),
	KW("rtrim",     c_rtrim,     "s",     chk_charset, S, S),
	KW("cut_crlf",  c_cut_crlf,  "",      NULL,        S, S),
	KW("length",    c_length,    "",      NULL,        S, I),
	KW("field",     c_field,     "is?i",  chk_field,   S, S),
	KW("word",      c_word,      "is?i",  chk_field,   S, S),
	KW("bytes",     c_bytes,     "i?i",   chk_bytes,   B, B),
	KW("regsub",    c_regsub,    "ss?s",  chk_regsub,  S, S),
	KW("hex",       c_hex,       "",      NULL,        B, S),
	KW("hex2i",     c_hex2i,     "",      NULL,        S, I),
	KW("base64",    c_base64,    "",      NULL,        B, S),
	KW("b64dec",    c_b64dec,    "",      NULL,        S, B),
	KW("ub64enc",   c_ub64enc,   "",      NULL,        B, S),
	KW("ub64dec",   c_ub64dec,   "",      NULL,        S, B),
	KW("url_dec",   c_url_dec,   "?i",    NULL,        S, S),
	KW("url_enc",   c_url_enc,   "?s",    chk_url_enc, S, S),
	KW("json",      c_json,      "?s",    chk_json,    S, S),
	KW("map",       c_map,       "s?s",   chk_map_STR_STR, S, S),
	MAP_KWS("str", STR, S),
	MAP_KWS("beg", BEG, S),
	MAP_KWS("sub", SUB, S),
	MAP_KWS("dir", DIR, S),
	MAP_KWS("dom", DOM, S),
	MAP_KWS("end", END, S),
	MAP_KWS("reg", REG, S),
	MAP_KWS("regm", REGM, S),
	MAP_KWS("int", INT, I),
	MAP_KWS("ip", IP, ANY),
	{ 0 }
};

static struct px_conv_kw_list conv_list = { .kws = conv_kws };

__attribute__((constructor)) static void conv_register(void)
{
	px_smp_register_convs(&conv_list);
}
