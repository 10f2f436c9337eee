/* Types of the HTTP/1.x parser (see h1.h). */
#ifndef PX_PROTO_H1_T_H
#define PX_PROTO_H1_T_H

#include <stdint.h>

/* One header line, as offsets from the start of the message. The value is
 * trimmed of surrounding whitespace.
 */
struct px_h1_hdr {
	uint32_t n;    /* name offset */
	uint32_t nl;   /* name length */
	uint32_t v;    /* value offset */
	uint32_t vl;   /* value length */
};

/* Parser states. The start line states differ for requests and responses;
 * header states are shared.
 */
enum px_h1_state {
	PX_H1_RQ_BEFORE = 0,  /* before the request line (empty lines skipped) */
	PX_H1_RQ_METHOD,      /* in the method */
	PX_H1_RQ_URI,         /* in the request target */
	PX_H1_RQ_VER,         /* in the version, up to the line end */
	PX_H1_RS_VER,         /* in the response version */
	PX_H1_RS_CODE,        /* in the status code */
	PX_H1_RS_REASON,      /* in the reason phrase */
	PX_H1_SL_LF,          /* CR seen at the end of the start line */
	PX_H1_HDR_START,      /* at the start of a header line */
	PX_H1_HDR_NAME,       /* in a header name */
	PX_H1_HDR_OWS,        /* whitespace after the colon */
	PX_H1_HDR_VALUE,      /* in a header value */
	PX_H1_HDR_LF,         /* CR seen at the end of a header line */
	PX_H1_END_LF,         /* CR seen on the empty line ending the headers */
	PX_H1_DONE,           /* header section complete */
	PX_H1_ERROR,          /* invalid input; see err_code / err_pos */
};

/* Incremental parser state for one message head. It survives partial
 * reads: each call continues at <pos>. Offsets are relative to the first
 * byte of the message, which must not move between calls (or the caller
 * moves everything with it).
 */
struct px_h1_msg {
	uint8_t state;        /* enum px_h1_state */
	uint8_t is_req;       /* parsing a request (else a response) */
	uint8_t vmaj, vmin;   /* version digits */
	uint16_t status;      /* response status code */
	uint16_t err_code;    /* HTTP status to answer when state is ERROR */
	uint32_t pos;         /* next byte to look at */
	uint32_t sol;         /* start of the start line (after empty lines) */
	uint32_t tok;         /* start of the token being parsed */
	uint32_t vend;        /* end of the value so far, trailing OWS excluded */
	uint32_t meth, meth_len;   /* request: method */
	uint32_t uri, uri_len;     /* request: target */
	uint32_t reason, reason_len; /* response: reason phrase */
	uint32_t ver;         /* offset of "HTTP/x.y" */
	uint32_t sl_len;      /* start line length without its line end */
	uint32_t hdr_len;     /* whole head length, final empty line included */
	uint32_t err_pos;     /* offset of the offending byte */
	uint16_t nhdr;        /* header lines stored in hdr[] */
	uint16_t maxhdr;      /* capacity of hdr[] */
	struct px_h1_hdr *hdr;
	const char *err_msg;  /* what was wrong, for logs and "show errors" */
};

/* Chunked body parser states. */
enum px_h1_chunk_state {
	PX_CH_SIZE = 0,       /* chunk size digits */
	PX_CH_EXT,            /* chunk extensions up to CR */
	PX_CH_SIZE_LF,        /* CR seen after the size line */
	PX_CH_DATA,           /* chunk data, <left> bytes to go */
	PX_CH_DATA_CR,        /* CR expected after data */
	PX_CH_DATA_LF,        /* LF expected after data */
	PX_CH_TRAILER_START,  /* start of a trailer line or of the final empty line */
	PX_CH_TRAILER,        /* inside a trailer line */
	PX_CH_TRAILER_LF,     /* CR seen at the end of a trailer line */
	PX_CH_END_LF,         /* CR seen on the final empty line */
	PX_CH_DONE,           /* message complete */
	PX_CH_ERROR,          /* invalid framing */
};

struct px_h1_chunk {
	uint8_t state;        /* enum px_h1_chunk_state */
	uint8_t ndigits;      /* digits read in the size */
	uint8_t last;         /* the size was 0: trailers follow */
	uint8_t semi;         /* a ';' was seen in the current size line */
	uint64_t size;        /* size being read */
	uint64_t left;        /* data bytes left in the current chunk */
	uint32_t trailer_len; /* bytes of trailer section so far */
	const char *err_msg;
};

/* What the Transfer-Encoding lines of a message said, accumulated over
 * every such line in order.
 */
struct px_h1_te {
	uint8_t invalid;      /* an empty or malformed list element */
	uint8_t last_chunked; /* the last coding seen was "chunked" */
	uint32_t nchunked;    /* "chunked" codings seen (a head cannot hold 2^32) */
	uint32_t nother;      /* other codings seen */
};

/* Message body framing decided from the headers. */
enum px_h1_body {
	PX_BODY_NONE = 0,     /* no body */
	PX_BODY_CLEN,         /* Content-Length bytes */
	PX_BODY_CHUNKED,      /* chunked transfer coding */
	PX_BODY_CLOSE,        /* until the connection closes (responses only) */
};

#endif
