/* The body of the h1_req and h1_res targets: px_h1_parse() on arbitrary
 * bytes as a request (IS_REQ 1) or a response (IS_REQ 0).
 *
 * Input: byte 0 seeds the split points, byte 1 chooses maxhdr (0..63),
 * the rest is the message. The message is fed three ways: whole, byte by
 * byte (growing the length by one at each call, as a caller receiving one
 * byte per read does), and in random pieces (sometimes calling again with
 * no new byte). The three outcomes (return value and every field of the
 * px_h1_msg and of hdr[]) must be identical. The parser only ever sees a
 * window of exactly the length it was given: the rest of the buffer is
 * poisoned, so a read past it is an ASAN report.
 *
 * On success the recorded offsets must describe a well-formed head: every
 * offset+length within the head, nhdr <= maxhdr, header names non-empty
 * tokens followed by ':', values trimmed and free of CR, LF, NUL and other
 * control bytes, start line fields as the grammar says. On error, err_pos
 * lies inside the bytes given and err_code is one the caller can answer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "proto/h1.h"
#include "fuzz.h"

#define HDR_CAP 64

struct outcome {
	int ret;
	struct px_h1_msg m;
	struct px_h1_hdr hdr[HDR_CAP];
};

/* One call with a window of <len> bytes over <buf> (<size> bytes). */
static int feed(struct px_h1_msg *m, const char *buf, uint32_t len, uint32_t size)
{
	int r;

	fz_window_close(buf, len, size);
	r = px_h1_parse(m, buf, len);
	fz_window_open(buf, len, size);
	CHECK(r == -2 || r == -1 || (r > 0 && (uint32_t)r <= len),
	      "return %d with %u bytes", r, len);
	CHECK(m->nhdr <= m->maxhdr, "nhdr %u > maxhdr %u", m->nhdr, m->maxhdr);
	if (r == -2)
		CHECK(m->pos <= len && m->state < PX_H1_DONE,
		      "-2 with pos %u of %u, state %u", m->pos, len, m->state);
	return r;
}

static void begin(struct outcome *o, struct px_h1_msg *m, uint16_t maxhdr)
{
	memset(o, 0, sizeof(*o));
	px_h1_msg_init(m, IS_REQ, o->hdr, maxhdr);
}

static void finish(struct outcome *o, int ret, const struct px_h1_msg *m)
{
	o->ret = ret;
	o->m = *m;
}

/* Every field that a caller may read, compared one by one (padding and
 * the hdr pointer excluded).
 */
static void same(const struct outcome *a, const struct outcome *b, const char *how)
{
#define SAME(f) CHECK(a->f == b->f, "%s: " #f " is %llu whole, %llu %s", how, \
                      (unsigned long long)a->f, (unsigned long long)b->f, how)
	uint32_t i;

	SAME(ret);
	SAME(m.state);
	SAME(m.is_req);
	SAME(m.vmaj);
	SAME(m.vmin);
	SAME(m.status);
	SAME(m.err_code);
	SAME(m.pos);
	SAME(m.sol);
	SAME(m.tok);
	SAME(m.vend);
	SAME(m.meth);
	SAME(m.meth_len);
	SAME(m.uri);
	SAME(m.uri_len);
	SAME(m.reason);
	SAME(m.reason_len);
	SAME(m.ver);
	SAME(m.sl_len);
	SAME(m.hdr_len);
	SAME(m.err_pos);
	SAME(m.nhdr);
	SAME(m.maxhdr);
	CHECK(a->m.err_msg == b->m.err_msg, "%s: err_msg '%s' whole, '%s' %s", how,
	      a->m.err_msg ? a->m.err_msg : "(null)",
	      b->m.err_msg ? b->m.err_msg : "(null)", how);
	/* The entries stored, and the one being filled when input ran out. */
	for (i = 0; i <= a->m.nhdr && i < a->m.maxhdr; i++) {
		SAME(hdr[i].n);
		SAME(hdr[i].nl);
		SAME(hdr[i].v);
		SAME(hdr[i].vl);
	}
#undef SAME
}

static int is_tchar(uint8_t c)
{
	return px_h1_tchar[c] != 0;
}

/* The head in buf[0, hdr_len) as the recorded offsets describe it. */
static void check_success(const struct outcome *o, const uint8_t *buf, uint32_t n)
{
	const struct px_h1_msg *m = &o->m;
	uint32_t end = m->hdr_len, i, k;

	CHECK(o->ret > 0 && (uint32_t)o->ret == end && end <= n, "ret %d hdr_len %u n %u",
	      o->ret, end, n);
	CHECK(m->state == PX_H1_DONE, "state %u on success", m->state);
	CHECK(buf[end - 1] == '\n', "head does not end with LF");
	CHECK(m->nhdr <= m->maxhdr, "nhdr %u maxhdr %u", m->nhdr, m->maxhdr);
	CHECK(m->sol + m->sl_len < end, "start line %u+%u beyond head %u", m->sol,
	      m->sl_len, end);
	CHECK(buf[m->sol + m->sl_len] == '\r' || buf[m->sol + m->sl_len] == '\n',
	      "start line not followed by a line end");
	for (k = 0; k < m->sol; k++)
		CHECK(buf[k] == '\r' || buf[k] == '\n', "byte %u before the start line", k);
#if IS_REQ
	CHECK(m->meth == m->sol && m->meth_len > 0 && m->meth + m->meth_len < end,
	      "method %u+%u", m->meth, m->meth_len);
	for (k = 0; k < m->meth_len; k++)
		CHECK(is_tchar(buf[m->meth + k]), "method byte 0x%02x", buf[m->meth + k]);
	CHECK(buf[m->meth + m->meth_len] == ' ', "method not followed by SP");
	CHECK(m->uri == m->meth + m->meth_len + 1 && m->uri_len > 0 &&
	      m->uri + m->uri_len < end, "uri %u+%u", m->uri, m->uri_len);
	for (k = 0; k < m->uri_len; k++)
		CHECK(buf[m->uri + k] > 0x20 && buf[m->uri + k] < 0x7f, "uri byte 0x%02x",
		      buf[m->uri + k]);
	CHECK(m->ver == m->uri + m->uri_len + 1 && m->ver + 8 == m->sol + m->sl_len,
	      "version at %u, start line %u+%u", m->ver, m->sol, m->sl_len);
	CHECK(!memcmp(buf + m->ver, "HTTP/", 5) && buf[m->ver + 6] == '.' &&
	      m->vmaj == 1 && buf[m->ver + 5] == '1' && buf[m->ver + 7] == '0' + m->vmin,
	      "version %.8s read as %u.%u", buf + m->ver, m->vmaj, m->vmin);
#else
	CHECK(m->sol == 0 && m->sl_len >= 12, "status line %u+%u", m->sol, m->sl_len);
	CHECK(!memcmp(buf, "HTTP/", 5) && buf[5] == '0' + m->vmaj && buf[6] == '.' &&
	      buf[7] == '0' + m->vmin && buf[8] == ' ', "version %.9s read as %u.%u",
	      buf, m->vmaj, m->vmin);
	CHECK(m->status >= 100 && m->status <= 599, "status %u", m->status);
	CHECK((buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0') == m->status,
	      "status %u from '%.3s'", m->status, buf + 9);
	CHECK(m->reason >= 12 && m->reason + m->reason_len == m->sl_len,
	      "reason %u+%u, start line %u", m->reason, m->reason_len, m->sl_len);
	for (k = 0; k < m->reason_len; k++) {
		uint8_t c = buf[m->reason + k];

		CHECK((c >= 0x20 || c == '\t') && c != 0x7f, "reason byte 0x%02x", c);
	}
#endif
	for (i = 0; i < m->nhdr; i++) {
		const struct px_h1_hdr *h = &o->hdr[i];

		CHECK(h->nl > 0 && h->n + h->nl < end, "header %u name %u+%u", i, h->n, h->nl);
		CHECK(h->n > m->sol + m->sl_len, "header %u name inside the start line", i);
		CHECK(i == 0 || h->n > o->hdr[i - 1].v + o->hdr[i - 1].vl,
		      "header %u overlaps the previous one", i);
		for (k = 0; k < h->nl; k++)
			CHECK(is_tchar(buf[h->n + k]), "header %u name byte 0x%02x", i,
			      buf[h->n + k]);
		CHECK(buf[h->n + h->nl] == ':', "header %u name not followed by ':'", i);
		CHECK(h->v > h->n + h->nl && h->v + h->vl < end, "header %u value %u+%u", i,
		      h->v, h->vl);
		for (k = 0; k < h->vl; k++) {
			uint8_t c = buf[h->v + k];

			CHECK(c != '\r' && c != '\n' && c != 0, "header %u value byte 0x%02x",
			      i, c);
			CHECK((c >= 0x20 || c == '\t') && c != 0x7f,
			      "header %u value control byte 0x%02x", i, c);
		}
		if (h->vl)
			CHECK(buf[h->v] != ' ' && buf[h->v] != '\t' &&
			      buf[h->v + h->vl - 1] != ' ' && buf[h->v + h->vl - 1] != '\t',
			      "header %u value not trimmed", i);
		/* Only blanks between the value and its line end. */
		for (k = h->v + h->vl; buf[k] != '\r' && buf[k] != '\n'; k++)
			CHECK(buf[k] == ' ' || buf[k] == '\t', "header %u: byte 0x%02x after "
			      "its value", i, buf[k]);
	}
}

static void check_error(const struct outcome *o, uint32_t n)
{
	const struct px_h1_msg *m = &o->m;

	CHECK(m->state == PX_H1_ERROR, "state %u on error", m->state);
	CHECK(m->err_msg != NULL, "no err_msg");
	CHECK(m->err_pos < n, "err_pos %u beyond the %u bytes given", m->err_pos, n);
#if IS_REQ
	CHECK(m->err_code == 400 || m->err_code == 431 || m->err_code == 505,
	      "request err_code %u", m->err_code);
#else
	CHECK(m->err_code == 502, "response err_code %u", m->err_code);
#endif
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct outcome whole, bytes, pieces;
	struct px_h1_msg m;
	struct fz_rng rng;
	uint16_t maxhdr;
	uint32_t n, k;
	char *buf;
	int r, first = -2;
	uint32_t first_at = 0;

	if (size < 2 || size > 65536)
		return 0;
	maxhdr = data[1] & 0x3f;
	n = (uint32_t)(size - 2);
	buf = malloc(n);   /* malloc(0) is a block of no readable byte under ASAN */
	memcpy(buf, data + 2, n);

	/* Whole. */
	begin(&whole, &m, maxhdr);
	r = feed(&m, buf, n, n);
	finish(&whole, r, &m);
	if (r > 0)
		check_success(&whole, (const uint8_t *)buf, n);
	else if (r == -1)
		check_error(&whole, n);

	/* Byte by byte, from an empty window: the first answer other than
	 * -2 must come exactly when the deciding byte arrives.
	 */
	begin(&bytes, &m, maxhdr);
	for (k = 0; k <= n; k++) {
		r = feed(&m, buf, k, n);
		if (first == -2 && r != -2) {
			first = r;
			first_at = k;
		}
		if (first != -2)
			CHECK(r == first, "byte by byte: %d at %u after %d at %u", r, k, first,
			      first_at);
	}
	finish(&bytes, r, &m);
	same(&whole, &bytes, "byte by byte");
	if (first > 0)
		CHECK((uint32_t)first == first_at, "head of %d bytes reported after %u bytes",
		      first, first_at);
	if (first == -1)
		CHECK(m.err_pos < first_at, "error at %u reported with %u bytes", m.err_pos,
		      first_at);

	/* Random pieces. */
	fz_rng_seed(&rng, data[0] | (uint64_t)n << 8);
	begin(&pieces, &m, maxhdr);
	k = 0;
	for (;;) {
		r = feed(&m, buf, k, n);
		if (k == n)
			break;
		switch (fz_rng_next(&rng) % 8) {
		case 0:
			break;   /* again with nothing new */
		case 1: case 2: case 3:
			k += fz_rng_range(&rng, 1, 3);
			break;
		default:
			k += fz_rng_range(&rng, 1, 64);
			break;
		}
		if (k > n)
			k = n;
	}
	finish(&pieces, r, &m);
	same(&whole, &pieces, "in pieces");

	free(buf);
	return 0;
}
