/* tkh1-t.h: types of the testkit HTTP/1.x message reader (see tkh1.h). */
#ifndef TK_TKH1_T_H
#define TK_TKH1_T_H

#include <stddef.h>
#include <stdint.h>

#define TK_H1_MAX_HDRS 256

/* One header field; pointers into the caller's buffer, never NUL-ended. */
struct tk_h1_hdr {
	const char *name;
	size_t name_len;
	const char *value;     /* without surrounding blanks */
	size_t value_len;
};

/* A parsed message head. For a request, a/b/c are method, target and
 * version; for a response they are version, status code and reason.
 */
struct tk_h1_msg {
	const char *a, *b, *c;
	size_t a_len, b_len, c_len;
	int status;            /* responses: numeric status code */
	int minor;             /* HTTP/1.x minor version */
	struct tk_h1_hdr hdrs[TK_H1_MAX_HDRS];
	int nhdrs;
	size_t head_len;       /* bytes of the head, final blank line included */
};

/* How a message body is delimited. */
enum tk_body_mode {
	TK_BODY_NONE = 0,      /* no body at all */
	TK_BODY_LEN,           /* Content-Length bytes */
	TK_BODY_CHUNKED,       /* chunked transfer coding, with trailers */
	TK_BODY_CLOSE,         /* until the connection closes (responses only) */
};

/* States of the chunked decoder; see tk_h1_body_feed(). */
enum tk_chunk_state {
	TK_CHK_SIZE = 0,       /* reading hex digits of a chunk size */
	TK_CHK_EXT,            /* skipping a chunk extension up to LF */
	TK_CHK_SIZE_LF,        /* saw CR after the size line, want LF */
	TK_CHK_DATA,           /* inside chunk data */
	TK_CHK_DATA_CR,        /* after chunk data, want CR (or bare LF) */
	TK_CHK_DATA_LF,        /* after chunk data CR, want LF */
	TK_CHK_TRL_START,      /* at the start of a trailer line */
	TK_CHK_TRL_LINE,       /* inside a trailer line */
	TK_CHK_TRL_LF,         /* saw CR of the final empty line, want LF */
	TK_CHK_DONE,           /* the body ended */
};

/* Incremental body reader state, for either framing. */
struct tk_h1_body {
	enum tk_body_mode mode;
	uint64_t left;         /* LEN: bytes still due; CHUNKED: of this chunk */
	enum tk_chunk_state chk;
	int ndigits;           /* hex digits seen in the current size line */
	uint64_t wire;         /* body bytes consumed from the wire so far */
	uint64_t data;         /* decoded payload bytes so far */
	int done;              /* 1 once the body is complete */
};

/* Receives decoded body bytes from tk_h1_body_feed(). */
typedef void (*tk_body_sink)(void *ctx, const char *p, size_t n);

#endif
