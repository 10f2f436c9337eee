/* Building message heads (see hhead.h). A head is rebuilt into a
 * per-thread scratch area from the editable view the rules worked on, then
 * copied back in front of the body bytes, using the buffer's reserve.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/buf.h"
#include "core/util.h"
#include "proto/h1.h"
#include "proto/hmsg.h"
#include "proto/hhead.h"
#include "proto/http.h"
#include "proto/stream.h"
#include "rules/rules.h"
#include "rules/sample.h"

/* Header blocks are rebuilt here before being put back in the buffer. */
static __thread char *scratch;
static __thread uint32_t scratch_size;

struct hh_buf hh_init(void)
{
	struct hh_buf w = { .p = scratch, .size = scratch_size };

	return w;
}

int px_http_setup(uint32_t bufsize, uint32_t maxhdr)
{
	char *p = realloc(scratch, bufsize);

	if (!p)
		return -1;
	if (px_hmsg_setup(maxhdr, bufsize) < 0 || px_trash_setup(bufsize) < 0)
		return -1;
	scratch = p;
	scratch_size = bufsize;
	return 0;
}





/* Compares the <n> bytes of a header name (token characters, as the
 * parser checked) with <lc>, made of lower-case letters and '-' only.
 * Setting bit 0x20 lower-cases a letter and leaves '-' unchanged; no other
 * token character can become one of those, so the comparison is exact.
 */
static inline int name_is(const char *a, const char *lc, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((a[i] | 0x20) != lc[i])
			return 0;
	return 1;
}

/* Classifies a header name with one comparison at most (by length
 * first), instead of comparing it with every name of interest.
 */
enum hh_kind hh_kind(const char *n, uint32_t nl)
{
	switch (nl) {
	case 4:
		return name_is(n, "host", 4) ? HK_HOST : HK_OTHER;
	case 7:
		return name_is(n, "upgrade", 7) ? HK_UPGRADE : HK_OTHER;
	case 10:
		if ((n[0] | 0x20) == 'c')
			return name_is(n, "connection", 10) ? HK_CONNECTION : HK_OTHER;
		return name_is(n, "keep-alive", 10) ? HK_KEEP_ALIVE : HK_OTHER;
	case 14:
		return name_is(n, "content-length", 14) ? HK_CONTENT_LENGTH : HK_OTHER;
	case 16:
		return name_is(n, "proxy-connection", 16) ? HK_PROXY_CONNECTION : HK_OTHER;
	case 17:
		return name_is(n, "transfer-encoding", 17) ? HK_TRANSFER_ENCODING : HK_OTHER;
	}
	return HK_OTHER;
}


/* Replaces the <old_len> bytes at the head of <b> with <new_len> bytes
 * from <src>, using the free space in front of the data first. Returns 0,
 * or -1 when the buffer cannot hold the result.
 */
int hh_replace(struct px_buf *b, uint32_t old_len, const char *src, uint32_t new_len)
{
	uint32_t delta;

	if (new_len <= b->head + old_len) {
		uint32_t start = b->head + old_len - new_len;

		memcpy(b->area + start, src, new_len);
		b->len = b->len - old_len + new_len;
		b->head = start;
		return 0;
	}
	delta = new_len - (b->head + old_len);
	if (px_buf_room(b) < delta)
		return -1;
	memmove(b->area + new_len, b->area + b->head + old_len, b->len - old_len);
	memcpy(b->area, src, new_len);
	b->len = b->len - old_len + new_len;
	b->head = 0;
	return 0;
}

/* Tells whether field <f> of head <hm> must not be forwarded: a
 * hop-by-hop header, or one that a Connection header line names (all
 * Connection lines together form one list). <has_conn> says whether <hm>
 * has any Connection line.
 */
int hh_hop_by_hop(const struct px_hmsg *hm, const struct px_hfield *f,
                  enum hh_kind kind, int has_conn, int keep_upgrade)
{
	char name[64];
	uint32_t i;

	if (kind == HK_CONNECTION || kind == HK_KEEP_ALIVE || kind == HK_PROXY_CONNECTION)
		return 1;
	if (kind == HK_UPGRADE)
		return !keep_upgrade;
	/* The Connection header may list hop-by-hop fields to drop, but never
	 * the ones the framing or the routing rests on: dropping
	 * Content-Length or Transfer-Encoding after framing the body with it
	 * would let the body pass as the next request (smuggling).
	 */
	if (kind != HK_OTHER || !has_conn || f->nl >= sizeof(name))
		return 0;
	memcpy(name, f->n, f->nl);
	name[f->nl] = 0;
	if (!strcasecmp(name, "te"))
		return 0;
	for (i = 0; i < hm->nhdr; i++) {
		const struct px_hfield *c = &hm->hdr[i];

		if (c->nl && hh_kind(c->n, c->nl) == HK_CONNECTION &&
		    px_h1_token_in_list(c->v, c->vl, name))
			return 1;
	}
	return 0;
}

/* Writes the start line of <hm>: as received unless a rule changed it. */
void hh_start_line(struct hh_buf *w, const struct px_hmsg *hm)
{
	if (!(hm->flags & PX_HM_SL_CHANGED)) {
		hh_put(w, hm->line, hm->line_len);
	} else {
		hh_put(w, hm->sl[0], hm->sll[0]);
		hh_put(w, " ", 1);
		hh_put(w, hm->sl[1], hm->sll[1]);
		if (hm->is_req || hm->sll[2]) {
			hh_put(w, " ", 1);
			hh_put(w, hm->sl[2], hm->sll[2]);
		}
	}
	hh_put(w, "\r\n", 2);
}


/* The authority of an absolute-form target ("http://host:port/path"), or
 * sets *len to 0 when <uri> is not absolute-form. Returns -1 when it is
 * absolute-form with a scheme other than http or https.
 */
int hh_uri_authority(const char *uri, uint32_t ulen, const char **auth, uint32_t *len)
{
	uint32_t i, start;

	*len = 0;
	for (i = 0; i < ulen && uri[i] != ':' && uri[i] != '/'; i++)
		;
	if (i == 0 || i + 2 >= ulen || uri[i] != ':' || uri[i + 1] != '/' || uri[i + 2] != '/')
		return 0;
	if (!px_strncaseeq(uri, i, "http") && !px_strncaseeq(uri, i, "https"))
		return -1;
	start = i + 3;
	for (i = start; i < ulen && uri[i] != '/' && uri[i] != '?' && uri[i] != '#'; i++)
		;
	*auth = uri + start;
	*len = i - start;
	return 0;
}

/* Runs the http-after-response rules on a response proxyd made (<len>
 * bytes at <msg>, <room> bytes available there) and rewrites it in place.
 * Returns the new length; the response is left as it was when it cannot
 * be parsed or the result does not fit.
 */
uint32_t px_http_after_local(struct px_stream *s, char *msg, uint32_t len, uint32_t room)
{
	static __thread struct px_h1_hdr *hdrs;
	struct px_h1_msg m;
	struct px_hmsg *hm = px_hmsg_res();
	struct hh_buf w = hh_init();
	uint32_t i, body;
	int r;

	if (!hdrs && !(hdrs = malloc(px_stream_maxhdr * sizeof(*hdrs))))
		return len;
	px_h1_msg_init(&m, 0, hdrs, px_stream_maxhdr);
	r = px_h1_parse(&m, msg, len);
	if (r <= 0)
		return len;
	px_hmsg_load(hm, msg, &m);
	px_rules_after(s, hm);
	if (hm->status != m.status)
		s->status = hm->status;
	/* The connection header proxyd wrote stays the last one. */
	hh_start_line(&w, hm);
	for (i = 0; i < hm->nhdr; i++)
		if (hm->hdr[i].nl && hh_kind(hm->hdr[i].n, hm->hdr[i].nl) != HK_CONNECTION)
			hh_field(&w, &hm->hdr[i]);
	for (i = 0; i < hm->nhdr; i++)
		if (hm->hdr[i].nl && hh_kind(hm->hdr[i].n, hm->hdr[i].nl) == HK_CONNECTION)
			hh_field(&w, &hm->hdr[i]);
	hh_put(&w, "\r\n", 2);
	body = len - m.hdr_len;
	if (w.overflow || w.len + body > room)
		return len;
	memmove(msg + w.len, msg + m.hdr_len, body);
	memcpy(msg, w.p, w.len);
	return w.len + body;
}
