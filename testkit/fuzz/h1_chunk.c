/* libFuzzer target: px_h1_chunk_parse() (proxyd/proto/h1.c), the chunked
 * body framing parser, on arbitrary bytes.
 *
 * Input: byte 0 seeds the split points, the rest is the body. It is fed
 * as a caller does (each call gets the bytes not consumed yet; feeding
 * stops when the message is complete or invalid) three ways: whole, byte
 * by byte, and in random pieces (sometimes an empty piece). Each piece is
 * a heap block of exactly its length, so a read past it is an ASAN report.
 *
 * Checks: a call never consumes more than it was given; it consumes less
 * only when the message ended (PX_CH_DONE); a call after the end consumes
 * nothing; the total consumed and the final state (every field) are the
 * same however the body was split; the error message is the same too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "proto/h1.h"
#include "fuzz.h"

struct outcome {
	int failed;             /* a call returned -1 */
	uint64_t consumed;      /* bytes of the message */
	struct px_h1_chunk c;
};

/* One call on a copy of <len> bytes in a block of exactly that size. */
static int feed(struct px_h1_chunk *c, const uint8_t *p, uint32_t len)
{
	char *copy = malloc(len);
	uint8_t before = c->state;
	int r;

	memcpy(copy, p, len);
	r = px_h1_chunk_parse(c, copy, len);
	free(copy);
	CHECK(r == -1 || (r >= 0 && (uint32_t)r <= len), "consumed %d of %u", r, len);
	if (r == -1)
		CHECK(c->state == PX_CH_ERROR && c->err_msg, "-1 in state %u", c->state);
	else
		CHECK(c->state != PX_CH_ERROR, "error state without -1");
	if (r >= 0 && (uint32_t)r < len)
		CHECK(c->state == PX_CH_DONE, "%d of %u consumed in state %u", r, len, c->state);
	if (before == PX_CH_DONE)
		CHECK(r == 0, "%d bytes consumed after the end", r);
	if (c->state != PX_CH_ERROR)
		CHECK(c->ndigits <= 16, "%u size digits", c->ndigits);
	CHECK(c->size <= UINT64_C(0x7fffffffffffffff) && c->left <= UINT64_C(0x7fffffffffffffff),
	      "size %llu left %llu", (unsigned long long)c->size, (unsigned long long)c->left);
	CHECK(c->trailer_len <= 16384, "trailer_len %u", c->trailer_len);
	return r;
}

/* Feeds <data> (<n> bytes) as http.c does: consumed bytes are dropped, the
 * rest is offered again with what arrived since. <mode> 0 offers all at
 * once, 1 one more byte per call, 2 random amounts (sometimes none).
 */
static void run(struct outcome *o, const uint8_t *data, uint32_t n, struct fz_rng *rng,
                int mode)
{
	uint32_t off = 0, avail = 0;

	memset(o, 0, sizeof(*o));
	px_h1_chunk_init(&o->c);
	for (;;) {
		int r;

		switch (mode) {
		case 0:
			avail = n - off;
			break;
		case 1:
			if (avail < n - off)
				avail++;
			break;
		default:
			if (fz_rng_next(rng) % 8)
				avail += fz_rng_range(rng, 1, fz_rng_next(rng) % 2 ? 4 : 200);
			if (avail > n - off)
				avail = n - off;
			break;
		}
		r = feed(&o->c, data + off, avail);
		if (r < 0) {
			o->failed = 1;
			break;
		}
		off += (uint32_t)r;
		avail -= (uint32_t)r;
		o->consumed += (uint32_t)r;
		if (o->c.state == PX_CH_DONE) {
			/* Nothing more belongs to this message. */
			CHECK(feed(&o->c, data + off, n - off) == 0, "bytes consumed after DONE");
			break;
		}
		if (off == n)
			break;   /* everything given was consumed */
	}
}

static void same(const struct outcome *a, const struct outcome *b, const char *how)
{
#define SAME(f) CHECK(a->f == b->f, "%s: " #f " is %llu whole, %llu %s", how, \
                      (unsigned long long)a->f, (unsigned long long)b->f, how)
	SAME(failed);
	SAME(c.state);
	SAME(c.last);
	SAME(c.trailer_len);
	CHECK(a->c.err_msg == b->c.err_msg, "%s: err_msg '%s' whole, '%s' %s", how,
	      a->c.err_msg ? a->c.err_msg : "(null)", b->c.err_msg ? b->c.err_msg : "(null)",
	      how);
	if (!a->failed) {
		/* After an error the bytes accepted before it depend on the
		 * pieces; otherwise everything must agree.
		 */
		SAME(consumed);
		SAME(c.ndigits);
		SAME(c.semi);
		SAME(c.size);
		SAME(c.left);
	}
#undef SAME
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct outcome whole, bytes, pieces;
	struct fz_rng rng;
	uint32_t n;

	if (size < 1 || size > 65536)
		return 0;
	n = (uint32_t)(size - 1);
	fz_rng_seed(&rng, data[0] | (uint64_t)n << 8);
	run(&whole, data + 1, n, &rng, 0);
	run(&bytes, data + 1, n, &rng, 1);
	run(&pieces, data + 1, n, &rng, 2);
	same(&whole, &bytes, "byte by byte");
	same(&whole, &pieces, "in pieces");
	if (!whole.failed && whole.c.state != PX_CH_DONE)
		CHECK(whole.consumed == n, "incomplete message but %llu of %u consumed",
		      (unsigned long long)whole.consumed, n);
	return 0;
}
