/* tkh1.h: the testkit's HTTP/1.x head parser and body framing reader. */
#ifndef TK_TKH1_H
#define TK_TKH1_H

#include <sys/types.h>
#include "tkh1-t.h"

int tk_h1_parse_req(const char *buf, size_t len, struct tk_h1_msg *m);
int tk_h1_parse_resp(const char *buf, size_t len, struct tk_h1_msg *m);
const struct tk_h1_hdr *tk_h1_find(const struct tk_h1_msg *m, const char *name,
				   const struct tk_h1_hdr *after);
int tk_h1_count(const struct tk_h1_msg *m, const char *name);
int tk_h1_has_token(const struct tk_h1_msg *m, const char *name,
		    const char *token);
int tk_h1_req_body(const struct tk_h1_msg *m, struct tk_h1_body *b);
int tk_h1_resp_body(const struct tk_h1_msg *m, int head_req,
		    struct tk_h1_body *b);
int tk_h1_wants_close(const struct tk_h1_msg *m);
ssize_t tk_h1_body_feed(struct tk_h1_body *b, const char *p, size_t n,
			tk_body_sink sink, void *ctx);

#endif
