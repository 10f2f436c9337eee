/* Small string and number helpers used across modules. */
#ifndef PX_CORE_UTIL_H
#define PX_CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PX_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void px_strfmt(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int px_parse_time(const char *s, uint64_t *ms, char **err);
int px_parse_uint(const char *s, uint64_t max, uint64_t *out);
int px_parse_size(const char *s, uint64_t *out);
const char *px_closest(const char *word, const char *const *list, int n);
size_t px_utoa(uint64_t v, char *out);
FILE *px_open_regular(const char *path, const char *what, char **err);

/* Value of hexadecimal digit <c>, or -1. */
static inline int px_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

#endif
