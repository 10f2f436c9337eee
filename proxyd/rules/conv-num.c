/* Converters on numbers and other non-text values (see conv.c for the
 * conventions): saturating arithmetic and bit operations, booleans,
 * variables (concat, add_item, strcmp, set-var...), address masks, the
 * hashes HAProxy offers with the values it gives, and dates.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cfg/cfg.h"
#include "core/util.h"
#include "rules/conv.h"
#include "rules/sample.h"
#include "rules/vars.h"

/* --- helpers ------------------------------------------------------------ */

/* Replaces a variable name argument <a> ("txn.name") by its interned name
 * and stores its scope in <scope>.
 */
static int arg_to_var(struct px_arg *a, struct px_arg *scope, char **err)
{
	int sc;
	const char *name = px_var_intern(a->u.str.p, a->u.str.len, &sc, err);

	if (!name)
		return -1;
	a->u.str.p = (char *)name;
	a->u.str.len = (uint32_t)strlen(name);
	scope->type = PX_ARG_SINT;
	scope->u.sint = sc;
	return 0;
}

/* Reads variable <name> of scope <scope>. Returns 1 with <smp> set, or 0. */
static int var_read(const struct px_arg *name, const struct px_arg *scope,
                    struct px_smp_ctx *ctx, struct px_smp *smp)
{
	return px_var_get(px_var_list((int)scope->u.sint, ctx), name->u.str.p, smp);
}

/* --- arithmetic and logic ------------------------------------------------- */

/* The operand of add(), sub()... is an integer or a variable name: the
 * variable's scope goes to the second argument.
 */
static int chk_operand(struct px_arg *a, int n, struct px_cfg_ctx *ctx, char **err)
{
	int64_t v;

	if (px_conv_parse_sint(a[0].u.str.p, &v)) {
		a[0].type = PX_ARG_SINT;
		a[0].u.sint = v;
		return 0;
	}
	if (!memchr(a[0].u.str.p, '.', a[0].u.str.len)) {
		px_strfmt(err, "'%s' is neither an integer nor a variable name (scope.name)",
		          a[0].u.str.p);
		return -1;
	}
	return arg_to_var(&a[0], &a[1], err);
}

/* The operand's value; a missing variable or one that is not a number is
 * no value, as in HAProxy.
 */
static int operand(const struct px_arg *a, struct px_smp_ctx *ctx, int64_t *v)
{
	struct px_smp tmp;

	if (a[0].type == PX_ARG_SINT) {
		*v = a[0].u.sint;
		return 1;
	}
	if (!var_read(&a[0], &a[1], ctx, &tmp) || !px_smp_cast(&tmp, PX_SMP_SINT))
		return 0;
	*v = tmp.u.sint;
	return 1;
}

/* Results that overflow saturate at INT64_MIN or INT64_MAX, as HAProxy's. */
static int c_add(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	int64_t b, r;

	if (!operand(a, ctx, &b))
		return 0;
	if (__builtin_add_overflow(smp->u.sint, b, &r))
		r = b > 0 ? INT64_MAX : INT64_MIN;
	smp->u.sint = r;
	return 1;
}

static int c_sub(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	int64_t b, r;

	if (!operand(a, ctx, &b))
		return 0;
	if (__builtin_sub_overflow(smp->u.sint, b, &r))
		r = b < 0 ? INT64_MAX : INT64_MIN;
	smp->u.sint = r;
	return 1;
}

static int c_mul(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	int64_t b, r;

	if (!operand(a, ctx, &b))
		return 0;
	if (__builtin_mul_overflow(smp->u.sint, b, &r))
		r = (smp->u.sint < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
	smp->u.sint = r;
	return 1;
}

/* Division by 0 gives INT64_MAX, as HAProxy documents. */
static int c_div(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	int64_t b;

	if (!operand(a, ctx, &b))
		return 0;
	if (!b || (b == -1 && smp->u.sint == INT64_MIN))
		smp->u.sint = INT64_MAX;
	else
		smp->u.sint /= b;
	return 1;
}

/* The remainder by 0 is 0. */
static int c_mod(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	int64_t b;

	if (!operand(a, ctx, &b))
		return 0;
	smp->u.sint = (!b || b == -1) ? 0 : smp->u.sint % b;
	return 1;
}

static int c_and(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	int64_t b;

	if (!operand(a, ctx, &b))
		return 0;
	smp->u.sint &= b;
	return 1;
}

static int c_or(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	int64_t b;

	if (!operand(a, ctx, &b))
		return 0;
	smp->u.sint |= b;
	return 1;
}

static int c_xor(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	int64_t b;

	if (!operand(a, ctx, &b))
		return 0;
	smp->u.sint ^= b;
	return 1;
}

static int c_neg(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	smp->u.sint = smp->u.sint == INT64_MIN ? INT64_MAX : -smp->u.sint;
	return 1;
}

static int c_cpl(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	smp->u.sint = ~smp->u.sint;
	return 1;
}

static int c_bool(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	px_conv_set_sint(smp, PX_SMP_BOOL, smp->u.sint != 0);
	return 1;
}

static int c_not(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	px_conv_set_sint(smp, PX_SMP_BOOL, smp->u.sint == 0);
	return 1;
}

static int c_odd(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	px_conv_set_sint(smp, PX_SMP_BOOL, smp->u.sint & 1);
	return 1;
}

static int c_even(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	px_conv_set_sint(smp, PX_SMP_BOOL, !(smp->u.sint & 1));
	return 1;
}

static int c_iif(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const struct px_arg *r = smp->u.sint ? &a[0] : &a[1];

	px_conv_set_str(smp, PX_SMP_STR, r->u.str.p, r->u.str.len);
	smp->flags = PX_SMPF_CONST;
	return 1;
}

/* --- variables -------------------------------------------------------------- */

/* concat([START],[VAR],[END]) and add_item(DELIM,[VAR][,SUFFIX]): the
 * variable's scope goes to the fourth argument.
 */
static int chk_concat(struct px_arg *a, int n, struct px_cfg_ctx *ctx, char **err)
{
	if (n > 1 && a[1].u.str.len)
		return arg_to_var(&a[1], &a[3], err);
	a[1].type = PX_ARG_NONE;
	return 0;
}

static int chk_add_item(struct px_arg *a, int n, struct px_cfg_ctx *ctx, char **err)
{
	if (n < 3 && (n < 2 || !a[1].u.str.len)) {
		px_strfmt(err, "a variable or a suffix must follow the delimiter");
		return -1;
	}
	return chk_concat(a, n, ctx, err);
}

/* Appends <len> bytes to <out>. */
static int put(char *out, uint32_t *o, uint32_t sz, const char *p, uint32_t len)
{
	if (len > sz - *o)
		return 0;
	memcpy(out + *o, p, len);
	*o += len;
	return 1;
}

/* The text of variable <a[1]> (scope in a[3]): 1 with <v> set, or 0. */
static int var_text(const struct px_arg *a, struct px_smp_ctx *ctx, struct px_smp *v)
{
	return a[1].type == PX_ARG_STR && var_read(&a[1], &a[3], ctx, v) &&
	       px_smp_cast(v, PX_SMP_STR);
}

static int c_concat(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	uint32_t sz, o = 0;
	char *out = px_trash(&sz);
	struct px_smp v;

	if (!put(out, &o, sz, smp->u.str.p, smp->u.str.len) ||
	    (a[0].type == PX_ARG_STR && !put(out, &o, sz, a[0].u.str.p, a[0].u.str.len)) ||
	    (var_text(a, ctx, &v) && !put(out, &o, sz, v.u.str.p, v.u.str.len)) ||
	    (a[2].type == PX_ARG_STR && !put(out, &o, sz, a[2].u.str.p, a[2].u.str.len)))
		return 0;
	px_conv_set_str(smp, PX_SMP_STR, out, o);
	return 1;
}

/* The delimiter goes in only between a non-empty input and something to
 * add.
 */
static int c_add_item(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	uint32_t sz, o = 0;
	char *out = px_trash(&sz);
	struct px_smp v;
	int has_var = var_text(a, ctx, &v);
	uint32_t vlen = has_var ? v.u.str.len : 0;
	uint32_t slen = a[2].type == PX_ARG_STR ? a[2].u.str.len : 0;

	if (!put(out, &o, sz, smp->u.str.p, smp->u.str.len) ||
	    (smp->u.str.len && (vlen || slen) &&
	     !put(out, &o, sz, a[0].u.str.p, a[0].u.str.len)) ||
	    (vlen && !put(out, &o, sz, v.u.str.p, vlen)) ||
	    (slen && !put(out, &o, sz, a[2].u.str.p, slen)))
		return 0;
	px_conv_set_str(smp, PX_SMP_STR, out, o);
	return 1;
}

static int chk_var1(struct px_arg *a, int n, struct px_cfg_ctx *ctx, char **err)
{
	return arg_to_var(&a[0], &a[1], err);
}

/* strcmp(VAR): as HAProxy, the difference of the first differing bytes,
 * else -1 or 1 when one string is a prefix of the other, else 0; a
 * missing variable is no value.
 */
static int c_strcmp(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	struct px_smp v;
	uint32_t n, i;
	int r;

	if (!var_read(&a[0], &a[1], ctx, &v) || !px_smp_cast(&v, PX_SMP_STR))
		return 0;
	n = smp->u.str.len < v.u.str.len ? smp->u.str.len : v.u.str.len;
	for (i = 0; i < n && smp->u.str.p[i] == v.u.str.p[i]; i++)
		;
	if (i < n)
		r = (unsigned char)smp->u.str.p[i] - (unsigned char)v.u.str.p[i];
	else
		r = smp->u.str.len < v.u.str.len ? -1 : smp->u.str.len > v.u.str.len;
	px_conv_set_sint(smp, PX_SMP_SINT, r);
	return 1;
}

/* secure_memcmp(VAR): equal lengths are compared in constant time. */
static int c_secure_memcmp(const struct px_arg *a, struct px_smp *smp,
                           struct px_smp_ctx *ctx)
{
	struct px_smp v;
	unsigned char diff = 0;
	uint32_t i;

	if (!var_read(&a[0], &a[1], ctx, &v) || !px_smp_cast(&v, PX_SMP_BIN))
		return 0;
	if (v.u.str.len != smp->u.str.len) {
		px_conv_set_sint(smp, PX_SMP_BOOL, 0);
		return 1;
	}
	for (i = 0; i < v.u.str.len; i++)
		diff |= (unsigned char)(smp->u.str.p[i] ^ v.u.str.p[i]);
	px_conv_set_sint(smp, PX_SMP_BOOL, diff == 0);
	return 1;
}

/* set-var(VAR) and unset-var(VAR) pass their input through. */
static int c_set_var(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	struct px_var **list = px_var_list((int)a[1].u.sint, ctx);

	if (list)
		px_var_set(list, a[0].u.str.p, smp);
	return 1;
}

static int c_unset_var(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	struct px_var **list = px_var_list((int)a[1].u.sint, ctx);

	if (list)
		px_var_unset(list, a[0].u.str.p);
	return 1;
}

/* --- addresses -------------------------------------------------------------- */

/* ipmask(MASK4[,MASK6]): MASK4 is a prefix length or a dotted mask, kept
 * as an integer in host order; MASK6 a prefix length or an IPv6 mask,
 * kept as 16 bytes.
 */
static int chk_ipmask(struct px_arg *a, int n, struct px_cfg_ctx *ctx, char **err)
{
	struct in_addr m4;
	int64_t bits;
	uint8_t *m6;
	int i;

	if (px_conv_parse_sint(a[0].u.str.p, &bits) && bits >= 0 && bits <= 32) {
		a[0].u.sint = bits ? (int64_t)(0xffffffffu << (32 - bits)) : 0;
	} else if (inet_pton(AF_INET, a[0].u.str.p, &m4) == 1) {
		a[0].u.sint = ntohl(m4.s_addr);
	} else {
		px_strfmt(err, "invalid IPv4 mask '%s' (0 to 32, or a dotted mask)",
		          a[0].u.str.p);
		return -1;
	}
	a[0].type = PX_ARG_SINT;
	if (n < 2)
		return 0;
	m6 = px_gen_alloc(ctx->gen, 16);
	if (!m6) {
		px_strfmt(err, "out of memory");
		return -1;
	}
	if (px_conv_parse_sint(a[1].u.str.p, &bits) && bits >= 0 && bits <= 128) {
		for (i = 0; i < 16; i++, bits -= 8)
			m6[i] = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
	} else if (inet_pton(AF_INET6, a[1].u.str.p, m6) != 1) {
		px_strfmt(err, "invalid IPv6 mask '%s' (0 to 128, or an IPv6 mask)",
		          a[1].u.str.p);
		return -1;
	}
	a[1].type = PX_ARG_PTR;
	a[1].u.ptr = m6;
	return 0;
}

int px_conv_smp_addr(const struct px_smp *smp, uint8_t *addr)
{
	char buf[INET6_ADDRSTRLEN];
	uint32_t v4;

	switch (smp->type) {
	case PX_SMP_IPV4:
		memcpy(addr, &smp->u.v4, 4);
		return AF_INET;
	case PX_SMP_IPV6:
		memcpy(addr, &smp->u.v6, 16);
		return AF_INET6;
	case PX_SMP_SINT:
		v4 = htonl((uint32_t)smp->u.sint);
		memcpy(addr, &v4, 4);
		return AF_INET;
	case PX_SMP_STR:
	case PX_SMP_BIN:
		if (smp->u.str.len >= sizeof(buf))
			return 0;
		memcpy(buf, smp->u.str.p, smp->u.str.len);
		buf[smp->u.str.len] = 0;
		if (inet_pton(AF_INET, buf, addr) == 1)
			return AF_INET;
		if (inet_pton(AF_INET6, buf, addr) == 1)
			return AF_INET6;
		return 0;
	}
	return 0;
}

/* An IPv6 address without MASK6 is no value, as in HAProxy. */
static int c_ipmask(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	uint8_t addr[16];
	int fam = px_conv_smp_addr(smp, addr), i;

	if (fam == AF_INET) {
		uint32_t v;

		memcpy(&v, addr, 4);
		v &= htonl((uint32_t)a[0].u.sint);
		smp->type = PX_SMP_IPV4;
		memcpy(&smp->u.v4, &v, 4);
	} else if (fam == AF_INET6 && a[1].type == PX_ARG_PTR) {
		const uint8_t *m6 = a[1].u.ptr;

		for (i = 0; i < 16; i++)
			addr[i] &= m6[i];
		smp->type = PX_SMP_IPV6;
		memcpy(&smp->u.v6, addr, 16);
	} else {
		return 0;
	}
	smp->flags = 0;
	return 1;
}

/* --- hashes ------------------------------------------------------------------ */

/* The hashes give the values HAProxy's do, so that keys and logs agree
 * between the two. With an argument of 1, the 32-bit result goes through
 * a full avalanche: Robert Jenkins' integer hash, then a multiplication by
 * a large prime, as HAProxy's.
 */
static uint32_t avalanche(uint32_t h)
{
	h = (h + 0x7ed55d16u) + (h << 12);
	h = (h ^ 0xc761c23cu) ^ (h >> 19);
	h = (h + 0x165667b1u) + (h << 5);
	h = (h + 0xd3a2646cu) ^ (h << 9);
	h = (h + 0xfd7046c5u) + (h << 3);
	h = (h ^ 0xb55a4f09u) ^ (h >> 16);
	return h * 3221225473u;
}

static int hash_result(const struct px_arg *a, struct px_smp *smp, uint32_t h)
{
	if (a[0].type == PX_ARG_SINT && a[0].u.sint)
		h = avalanche(h);
	px_conv_set_sint(smp, PX_SMP_SINT, h);
	return 1;
}

static int c_djb2(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const unsigned char *p = (const unsigned char *)smp->u.str.p;
	uint32_t h = 5381, i;

	for (i = 0; i < smp->u.str.len; i++)
		h = h * 33 + p[i];
	return hash_result(a, smp, h);
}

static int c_sdbm(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const unsigned char *p = (const unsigned char *)smp->u.str.p;
	uint32_t h = 0, i;

	for (i = 0; i < smp->u.str.len; i++)
		h = p[i] + (h << 6) + (h << 16) - h;
	return hash_result(a, smp, h);
}

static inline uint32_t rotl32(uint32_t v, unsigned r)
{
	return (v << r) | (v >> ((32 - r) & 31));
}

/* WT6: two 32-bit lanes mixed by rotations whose amounts depend on the
 * data seen so far.
 */
static int c_wt6(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	const unsigned char *p = (const unsigned char *)smp->u.str.p;
	uint32_t h0 = 0xa53c965au, h1 = 0x5ca6953au, i, t;
	unsigned r0 = 6, r1 = 18;

	for (i = 0; i < smp->u.str.len; i++) {
		h0 = ~(h0 ^ p[i]);
		h1 = ~(h1 + p[i]);
		t = rotl32(h1, r0);
		h1 = rotl32(h0, r1);
		h0 = t;
		t = ((h0 >> 16) ^ h1) & 0xffff;
		r0 = t & 31;
		r1 = t >> 11;
	}
	return hash_result(a, smp, h0 ^ h1);
}

/* Reflected CRC-32 tables: IEEE (Ethernet, gzip) and Castagnoli. */
static uint32_t crc_ieee[256], crc_castagnoli[256];

static void crc_table(uint32_t *t, uint32_t poly)
{
	uint32_t i, j, c;

	for (i = 0; i < 256; i++) {
		for (c = i, j = 0; j < 8; j++)
			c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
		t[i] = c;
	}
}

static uint32_t crc(const uint32_t *t, const struct px_smp *smp)
{
	const unsigned char *p = (const unsigned char *)smp->u.str.p;
	uint32_t c = 0xffffffffu, i;

	for (i = 0; i < smp->u.str.len; i++)
		c = t[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return ~c;
}

static int c_crc32(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return hash_result(a, smp, crc(crc_ieee, smp));
}

static int c_crc32c(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return hash_result(a, smp, crc(crc_castagnoli, smp));
}

/* htonl: the low 32 bits of an integer as 4 bytes in network order. */
static int c_htonl(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	uint32_t sz, v = htonl((uint32_t)smp->u.sint);
	char *out = px_trash(&sz);

	if (sz < 4)
		return 0;
	memcpy(out, &v, 4);
	px_conv_set_str(smp, PX_SMP_BIN, out, 4);
	return 1;
}

/* --- dates ------------------------------------------------------------------- */

/* utime(FORMAT[,OFFSET]) and ltime(): strftime(3) in UTC or local time. */
static int fmt_time(const struct px_arg *a, struct px_smp *smp, int local)
{
	int64_t v;
	time_t t;
	struct tm tm;
	uint32_t sz;
	char *out = px_trash(&sz);
	size_t n;

	if (__builtin_add_overflow(smp->u.sint, a[1].type == PX_ARG_SINT ? a[1].u.sint : 0, &v))
		return 0;
	t = (time_t)v;
	if (!(local ? localtime_r(&t, &tm) : gmtime_r(&t, &tm)))
		return 0;
	n = strftime(out, sz, a[0].u.str.p, &tm);
	px_conv_set_str(smp, PX_SMP_STR, out, (uint32_t)n);
	return 1;
}

static int c_utime(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return fmt_time(a, smp, 0);
}

static int c_ltime(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	return fmt_time(a, smp, 1);
}

/* http_date([OFFSET[,UNIT]]): UNIT s, ms or us is kept as 0, 3 or 6, the
 * number of decimals printed after the seconds.
 */
static int chk_http_date(struct px_arg *a, int n, struct px_cfg_ctx *ctx, char **err)
{
	int decimals = 0;

	if (n > 1) {
		if (!strcmp(a[1].u.str.p, "ms")) {
			decimals = 3;
		} else if (!strcmp(a[1].u.str.p, "us")) {
			decimals = 6;
		} else if (strcmp(a[1].u.str.p, "s")) {
			px_strfmt(err, "unknown unit '%s' (s, ms or us)", a[1].u.str.p);
			return -1;
		}
	}
	a[1].type = PX_ARG_SINT;
	a[1].u.sint = decimals;
	return 0;
}

static int c_http_date(const struct px_arg *a, struct px_smp *smp, struct px_smp_ctx *ctx)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int decimals = (int)a[1].u.sint;
	int64_t scale = decimals == 6 ? 1000000 : decimals == 3 ? 1000 : 1;
	int64_t v, frac;
	time_t t;
	struct tm tm;
	uint32_t sz;
	char *out = px_trash(&sz);
	int n;

	if (__builtin_add_overflow(smp->u.sint, a[0].type == PX_ARG_SINT ? a[0].u.sint : 0, &v))
		return 0;
	/* Floor division: -1500 ms is 58.500 s into the minute before. */
	t = (time_t)(v / scale);
	frac = v % scale;
	if (frac < 0) {
		frac += scale;
		t--;
	}
	if (!gmtime_r(&t, &tm))
		return 0;
	n = snprintf(out, sz, "%s, %02d %s %04d %02d:%02d:%02d", days[tm.tm_wday],
	             tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
	             tm.tm_min, tm.tm_sec);
	if (n > 0 && decimals && (uint32_t)n < sz)
		n += snprintf(out + n, sz - (uint32_t)n, ".%0*lld", decimals, (long long)frac);
	if (n > 0 && (uint32_t)n < sz)
		n += snprintf(out + n, sz - (uint32_t)n, " GMT");
	if (n < 0 || (uint32_t)n >= sz)
		return 0;
	px_conv_set_str(smp, PX_SMP_STR, out, (uint32_t)n);
	return 1;
}

/* --- keyword table ------------------------------------------------------------ */

#define KW(n, f, a, c, i, o) \
	{ .name = (n), .fn = (f), .args = (a), .check = (c), .in = (i), .out = (o) }

#define S PX_SMP_STR
#define B PX_SMP_BIN
#define I PX_SMP_SINT
#define BOOL PX_SMP_BOOL
#define ANY PX_SMP_ANY

static const struct px_conv_kw conv_num_kws[] = {
	KW("add",       c_add,       "s",     chk_operand,   I, I),
	KW("sub",       c_sub,       "s",     chk_operand,   I, I),
	KW("mul",       c_mul,       "s",     chk_operand,   I, I),
	KW("div",       c_div,       "s",     chk_operand,   I, I),
	KW("mod",       c_mod,       "s",     chk_operand,   I, I),
	KW("and",       c_and,       "s",     chk_operand,   I, I),
	KW("or",        c_or,        "s",     chk_operand,   I, I),
	KW("xor",       c_xor,       "s",     chk_operand,   I, I),
	KW("neg",       c_neg,       "",      NULL,          I, I),
	KW("cpl",       c_cpl,       "",      NULL,          I, I),
	KW("bool",      c_bool,      "",      NULL,          I, BOOL),
	KW("not",       c_not,       "",      NULL,          I, BOOL),
	KW("odd",       c_odd,       "",      NULL,          I, BOOL),
	KW("even",      c_even,      "",      NULL,          I, BOOL),
	KW("iif",       c_iif,       "ss",    NULL,          BOOL, S),
	KW("concat",    c_concat,    "?sss",  chk_concat,    S, S),
	KW("add_item",  c_add_item,  "s?ss",  chk_add_item,  S, S),
	KW("strcmp",    c_strcmp,    "s",     chk_var1,      S, I),
	KW("secure_memcmp", c_secure_memcmp, "s", chk_var1,  B, BOOL),
	KW("set-var",   c_set_var,   "s",     chk_var1,      ANY, ANY),
	KW("unset-var", c_unset_var, "s",     chk_var1,      ANY, ANY),
	KW("ipmask",    c_ipmask,    "s?s",   chk_ipmask,    ANY, ANY),
	KW("djb2",      c_djb2,      "?i",    NULL,          B, I),
	KW("sdbm",      c_sdbm,      "?i",    NULL,          B, I),
	KW("wt6",       c_wt6,       "?i",    NULL,          B, I),
	KW("crc32",     c_crc32,     "?i",    NULL,          B, I),
	KW("crc32c",    c_crc32c,    "?i",    NULL,          B, I),
	KW("htonl",     c_htonl,     "",      NULL,          I, B),
	KW("utime",     c_utime,     "s?i",   NULL,          I, S),
	KW("ltime",     c_ltime,     "s?i",   NULL,          I, S),
	KW("http_date", c_http_date, "?is",   chk_http_date, I, S),
	{ 0 }
};

static struct px_conv_kw_list conv_num_list = { .kws = conv_num_kws };

__attribute__((constructor)) static void conv_num_register(void)
{
	crc_table(crc_ieee, 0xedb88320u);
	crc_table(crc_castagnoli, 0x82f63b78u);
	px_smp_register_convs(&conv_num_list);
}
