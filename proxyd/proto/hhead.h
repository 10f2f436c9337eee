/* Building message heads for the HTTP exchange (http.c): the buffer a
 * head is rebuilt into, the header names proxyd acts on, hop-by-hop
 * filtering, putting the rebuilt head back in front of the body, and the
 * http-after-response pass on responses proxyd makes.
 */
#ifndef PX_PROTO_HHEAD_H
#define PX_PROTO_HHEAD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "core/buf-t.h"
#include "proto/h1-t.h"
#include "proto/hmsg.h"

/* A head being written into the per-thread scratch area. */
struct hh_buf {
	char *p;
	uint32_t len;
	uint32_t size;
	int overflow;          /* the head did not fit */
};

/* Header names the proxy itself acts on. */
enum hh_kind {
	HK_OTHER = 0,          /* anything else: forwarded as is */
	HK_CONTENT_LENGTH,
	HK_TRANSFER_ENCODING,
	HK_HOST,
	HK_CONNECTION,
	HK_KEEP_ALIVE,
	HK_PROXY_CONNECTION,
	HK_UPGRADE,
};

struct hh_buf hh_init(void);
void hh_start_line(struct hh_buf *w, const struct px_hmsg *hm);

/* Appends bytes; a head that does not fit is flagged, never cut silently. */
static inline void hh_put(struct hh_buf *w, const char *s, size_t n)
{
	if (!n)
		return;   /* <s> may be NULL */
	if (w->len + n > w->size) {
		w->overflow = 1;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += (uint32_t)n;
}

static inline void hh_str(struct hh_buf *w, const char *s)
{
	hh_put(w, s, strlen(s));
}

static inline void hh_field(struct hh_buf *w, const struct px_hfield *f)
{
	hh_put(w, f->n, f->nl);
	hh_put(w, ": ", 2);
	hh_put(w, f->v, f->vl);
	hh_put(w, "\r\n", 2);
}
enum hh_kind hh_kind(const char *n, uint32_t nl);
int hh_replace(struct px_buf *b, uint32_t old_len, const char *src, uint32_t new_len);
int hh_hop_by_hop(const struct px_hmsg *hm, const struct px_hfield *f, enum hh_kind kind,
                  int has_conn, int keep_upgrade);
int hh_uri_authority(const char *uri, uint32_t ulen, const char **auth, uint32_t *len);

static inline enum hh_kind hdr_kind(const char *base, const struct px_h1_hdr *h)
{
	return hh_kind(base + h->n, h->nl);
}

#endif
