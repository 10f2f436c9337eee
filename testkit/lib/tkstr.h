/* tkstr.h: byte buffers, C escapes, durations, sizes, the generated body
 * pattern and the body hash, shared by fakesrv and pxtest.
 */
#ifndef TK_TKSTR_H
#define TK_TKSTR_H

#include <stdarg.h>
#include <stdint.h>
#include "tkstr-t.h"

int tk_buf_add(struct tk_buf *b, const void *p, size_t n);
int tk_buf_addc(struct tk_buf *b, char c);
int tk_buf_adds(struct tk_buf *b, const char *s);
int tk_buf_printf(struct tk_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int tk_buf_reserve(struct tk_buf *b, size_t room);
void tk_buf_consume(struct tk_buf *b, size_t n);
const char *tk_buf_str(struct tk_buf *b);
void tk_buf_free(struct tk_buf *b);

static inline void tk_buf_reset(struct tk_buf *b)
{
	b->len = 0;
}

int tk_unescape(const char *s, size_t n, struct tk_buf *out, const char **err);
int tk_escape(struct tk_buf *out, const void *p, size_t n, size_t max);
int tk_is_binary(const void *p, size_t n);

int tk_parse_duration(const char *s, int64_t *usec);
int tk_parse_window(const char *s, int64_t *min_us, int64_t *max_us);
int tk_parse_size(const char *s, uint64_t *out);
int tk_fmt_duration(char *dst, size_t size, int64_t usec);

int64_t tk_now_us(void);

void tk_gen_fill(char *dst, uint64_t off, size_t n);
uint64_t tk_hash(uint64_t h, const void *p, size_t n);
uint64_t tk_gen_hash(uint64_t size);

#endif
