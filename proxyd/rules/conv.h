/* Small helpers shared by the converter files (conv.c: text, encodings
 * and maps; conv-num.c: numbers, variables, addresses, hashes and dates).
 * Private to them: nothing else should need it.
 */
#ifndef PX_RULES_CONV_H
#define PX_RULES_CONV_H

#include <stdint.h>
#include "rules/sample-t.h"

static inline void px_conv_set_str(struct px_smp *smp, int type, char *p, uint32_t len)
{
	smp->type = (uint8_t)type;
	smp->flags = 0;
	smp->u.str.p = p;
	smp->u.str.len = len;
}

static inline void px_conv_set_sint(struct px_smp *smp, int type, int64_t v)
{
	smp->type = (uint8_t)type;
	smp->flags = 0;
	smp->u.sint = v;
}

/* Parses all of the NUL-terminated <s> as a signed decimal integer.
 * Returns 1 with <out> set, or 0.
 */
static inline int px_conv_parse_sint(const char *s, int64_t *out)
{
	uint64_t v = 0, lim;
	int neg = 0;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!*s)
		return 0;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (lim - (uint64_t)(*s - '0')) / 10)
			return 0;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 1;
}

/* Reads an address from <smp>: an address sample, an integer (IPv4 in host
 * order) or a string, into <addr> (4 or 16 bytes in network order).
 * Returns AF_INET, AF_INET6, or 0 when it is none.
 */
int px_conv_smp_addr(const struct px_smp *smp, uint8_t *addr);

#endif
