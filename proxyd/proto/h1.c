/* HTTP/1.x message head parser (requests and responses), chunked body
 * framing parser, and the list-value helpers framing decisions need.
 *
 * The parser is strict (see shared HTTP-STRICTNESS.md): bare CR, obs-fold,
 * whitespace before a colon, control bytes in values, malformed versions
 * are errors. Line ends may be CRLF or a bare LF in the head (the head is
 * re-serialized with CRLF before it is forwarded, so this tolerance cannot
 * desynchronize a server); the chunked framing requires CRLF. It records
 * offsets only and never copies or allocates.
 */
#include <string.h>
#include "core/util.h"
#include "proto/h1.h"

/* RFC 9110 tchar: ALPHA DIGIT and !#$%&'*+-.^_`|~ */
const uint8_t px_h1_tchar[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
	['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
	['`'] = 1, ['|'] = 1, ['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

/* Prepares <m> to parse a new message head. <hdr> receives up to <maxhdr>
 * header lines; one more is an error (431 for a request).
 */
void px_h1_msg_init(struct px_h1_msg *m, int is_req, struct px_h1_hdr *hdr,
                    uint16_t maxhdr)
{
	memset(m, 0, sizeof(*m));
	m->state = is_req ? PX_H1_RQ_BEFORE : PX_H1_RS_VER;
	m->is_req = is_req;
	m->hdr = hdr;
	m->maxhdr = maxhdr;
}

static int fail(struct px_h1_msg *m, int req_code, uint32_t pos, const char *msg)
{
	m->state = PX_H1_ERROR;
	m->err_code = m->is_req ? req_code : 502;
	m->err_pos = pos;
	m->err_msg = msg;
	m->pos = pos;
	return -1;
}

static inline int is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* Checks the request version "HTTP/d.d" at <v> (<len> bytes). Returns 0,
 * or the status to answer: 400 when malformed, 505 for HTTP/2 and above or
 * below 1.0.
 */
static int check_req_version(struct px_h1_msg *m, const char *v, uint32_t len)
{
	if (len != 8 || memcmp(v, "HTTP/", 5) || !is_digit(v[5]) || v[6] != '.' ||
	    !is_digit(v[7]))
		return 400;
	m->vmaj = v[5] - '0';
	m->vmin = v[7] - '0';
	if (m->vmaj != 1)
		return 505;
	return 0;
}

/* Parses the head of a message in <buf> (<len> bytes from the message
 * start), continuing where the previous call on <m> stopped. Returns the
 * head length (> 0) once the empty line ending it was read, -2 when more
 * bytes are needed, or -1 on invalid input (m->err_code, err_pos, err_msg).
 */
int px_h1_parse(struct px_h1_msg *m, const char *buf, uint32_t len)
{
	uint32_t p = m->pos;
	const uint8_t *s = (const uint8_t *)buf;

	if (m->state == PX_H1_DONE)
		return m->hdr_len;
	if (m->state == PX_H1_ERROR)
		return -1;
	while (p < len) {
		uint8_t c = s[p];

		switch (m->state) {
		case PX_H1_RQ_BEFORE:
			/* RFC 9112 2.2: ignore empty lines before a request. */
			if (c == '\n') {
				p++;
				continue;
			}
			if (c == '\r') {
				if (p + 1 >= len)
					goto more;
				if (s[p + 1] != '\n')
					return fail(m, 400, p, "bare CR before the request line");
				p += 2;
				continue;
			}
			m->sol = m->meth = p;
			m->state = PX_H1_RQ_METHOD;
			/* fall through */
		case PX_H1_RQ_METHOD:
			while (p < len && px_h1_tchar[s[p]])
				p++;
			if (p >= len)
				goto more;
			if (s[p] != ' ' || p == m->meth)
				return fail(m, 400, p, "invalid character in method");
			m->meth_len = p - m->meth;
			m->uri = ++p;
			m->state = PX_H1_RQ_URI;
			continue;

		case PX_H1_RQ_URI:
			while (p < len && s[p] > 0x20 && s[p] < 0x7f)
				p++;
			if (p >= len)
				goto more;
			c = s[p];
			if (c == ' ' && p > m->uri) {
				m->uri_len = p - m->uri;
				m->ver = ++p;
				m->state = PX_H1_RQ_VER;
				continue;
			}
			if ((c == '\r' || c == '\n') && p > m->uri)
				return fail(m, 400, p, "request line without a version (HTTP/0.9)");
			return fail(m, 400, p, "invalid character in request target");

		case PX_H1_RQ_VER:
			/* The version is short: scan it in one go. */
			while (p < len && p - m->ver < 8 && s[p] > 0x20 && s[p] < 0x7f)
				p++;
			if (p >= len)
				goto more;
			c = s[p];
			if (c == '\r' || c == '\n') {
				int code = check_req_version(m, buf + m->ver, p - m->ver);

				if (code)
					return fail(m, code, m->ver, code == 505 ?
					            "unsupported HTTP version" : "invalid HTTP version");
				m->sl_len = p - m->sol;
				m->state = c == '\r' ? PX_H1_SL_LF : PX_H1_HDR_START;
				p++;
				continue;
			}
			if (p - m->ver >= 8 || c < 0x21 || c > 0x7e)
				return fail(m, 400, p, "invalid HTTP version");
			p++;
			continue;

		case PX_H1_RS_VER: {
			static const char tmpl[] = "HTTP/x.y ";
			uint32_t i = p - m->sol;

			/* The whole "HTTP/d.d " at once when it is here. */
			if (i == 0 && len - p >= 9 && !memcmp(s + p, "HTTP/", 5) &&
			    is_digit(s[p + 5]) && s[p + 6] == '.' && is_digit(s[p + 7]) &&
			    s[p + 8] == ' ') {
				m->vmaj = s[p + 5] - '0';
				m->vmin = s[p + 7] - '0';
				p += 9;
				m->tok = p;
				m->state = PX_H1_RS_CODE;
				continue;
			}
			if (i < 9) {
				if ((tmpl[i] == 'x' || tmpl[i] == 'y') ? !is_digit(c) : c != (uint8_t)tmpl[i])
					return fail(m, 502, p, "invalid status line");
				if (i == 5)
					m->vmaj = c - '0';
				else if (i == 7)
					m->vmin = c - '0';
				p++;
				if (i == 8) {
					m->tok = p;
					m->state = PX_H1_RS_CODE;
				}
				continue;
			}
			return fail(m, 502, p, "invalid status line");
		}

		case PX_H1_RS_CODE:
			while (p < len && p - m->tok < 3) {
				if (!is_digit(s[p]))
					return fail(m, 502, p, "invalid status code");
				m->status = m->status * 10 + (s[p] - '0');
				p++;
			}
			if (p >= len)
				goto more;
			c = s[p];
			if (m->status < 100 || m->status > 599)
				return fail(m, 502, m->tok, "status code out of range");
			if (c == ' ') {
				m->reason = ++p;
				m->state = PX_H1_RS_REASON;
				continue;
			}
			if (c == '\r' || c == '\n') {
				m->reason = p;
				m->state = PX_H1_RS_REASON;
				continue;
			}
			return fail(m, 502, p, "invalid status code");

		case PX_H1_RS_REASON:
			while (p < len && (s[p] >= 0x20 || s[p] == '\t') && s[p] != 0x7f)
				p++;
			if (p >= len)
				goto more;
			c = s[p];
			if (c != '\r' && c != '\n')
				return fail(m, 502, p, "control character in reason phrase");
			m->reason_len = p - m->reason;
			m->sl_len = p - m->sol;
			m->state = c == '\r' ? PX_H1_SL_LF : PX_H1_HDR_START;
			p++;
			continue;

		case PX_H1_SL_LF:
		case PX_H1_HDR_LF:
			if (c != '\n')
				return fail(m, 400, p, "bare CR in the header section");
			m->state = PX_H1_HDR_START;
			p++;
			if (p >= len)
				goto more;
			c = s[p];
			/* fall through */

		case PX_H1_HDR_START:
			if (c == '\r') {
				m->state = PX_H1_END_LF;
				p++;
				continue;
			}
			if (c == '\n')
				goto done;
			if (c == ' ' || c == '\t')
				return fail(m, 400, p, m->nhdr ? "obsolete line folding in header" :
				            "whitespace before the first header line");
			if (!px_h1_tchar[c])
				return fail(m, 400, p, c == ':' ? "empty header name" :
				            "invalid character in header name");
			if (m->nhdr >= m->maxhdr)
				return fail(m, 431, p, "too many header lines");
			m->hdr[m->nhdr].n = p;
			m->state = PX_H1_HDR_NAME;
			p++;
			continue;

		case PX_H1_HDR_NAME:
			while (p < len && px_h1_tchar[s[p]])
				p++;
			if (p >= len)
				goto more;
			c = s[p];
			if (c == ':') {
				m->hdr[m->nhdr].nl = p - m->hdr[m->nhdr].n;
				m->state = PX_H1_HDR_OWS;
				p++;
				continue;
			}
			if (c == ' ' || c == '\t')
				return fail(m, 400, p, "whitespace between header name and colon");
			if (c == '\r' || c == '\n')
				return fail(m, 400, p, "header line without a colon");
			return fail(m, 400, p, "invalid character in header name");

		case PX_H1_HDR_OWS:
			while (p < len && (s[p] == ' ' || s[p] == '\t'))
				p++;
			if (p >= len)
				goto more;
			m->hdr[m->nhdr].v = p;
			m->vend = p;
			m->state = PX_H1_HDR_VALUE;
			/* fall through */
		case PX_H1_HDR_VALUE: {
			/* A local end: m->vend through the pointer would be
			 * stored at every byte (m may alias the input).
			 */
			uint32_t vend = m->vend;

			for (;;) {
				uint32_t start = p;

				while (p < len && s[p] > 0x20 && s[p] != 0x7f)
					p++;
				if (p > start)
					vend = p;
				if (p >= len) {
					m->vend = vend;
					goto more;
				}
				c = s[p];
				if (c != ' ' && c != '\t')
					break;
				p++;
			}
			m->vend = vend;
		}
			if (c == '\r' || c == '\n') {
				m->hdr[m->nhdr].vl = m->vend - m->hdr[m->nhdr].v;
				m->nhdr++;
				m->state = c == '\r' ? PX_H1_HDR_LF : PX_H1_HDR_START;
				p++;
				continue;
			}
			return fail(m, 400, p, c ? "control character in header value" :
			            "NUL character in header value");

		case PX_H1_END_LF:
			if (c != '\n')
				return fail(m, 400, p, "bare CR in the header section");
			goto done;

		case PX_H1_DONE:
			return m->hdr_len;

		default:
			return -1;
		}
	}
 more:
	m->pos = p;
	return -2;
 done:
	m->state = PX_H1_DONE;
	m->pos = m->hdr_len = p + 1;
	return m->hdr_len;
}

static inline int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Parses a Content-Length value: one decimal number, or a comma-separated
 * list of identical numbers (a repeated field merged by an intermediary).
 * Returns 0 with the number in <out>, -1 when malformed (sign, hex, empty,
 * larger than 2^63-1), or -2 when the list holds different numbers.
 */
int px_h1_parse_clen(const char *v, size_t len, uint64_t *out)
{
	size_t i = 0;
	int seen = 0;
	uint64_t first = 0;

	for (;;) {
		uint64_t n = 0;
		size_t start;

		while (i < len && is_ows(v[i]))
			i++;
		start = i;
		while (i < len && is_digit(v[i])) {
			if (n > (UINT64_C(0x7fffffffffffffff) - (v[i] - '0')) / 10)
				return -1;
			n = n * 10 + (v[i] - '0');
			i++;
		}
		if (i == start)
			return -1;
		while (i < len && is_ows(v[i]))
			i++;
		if (seen && n != first)
			return -2;
		first = n;
		seen = 1;
		if (i == len)
			break;
		if (v[i] != ',')
			return -1;
		i++;
	}
	*out = first;
	return 0;
}

/* Adds the codings listed in one Transfer-Encoding value to <te>. Returns
 * 0, or -1 when the list is malformed (te->invalid is then set too).
 */
int px_h1_parse_te(const char *v, size_t len, struct px_h1_te *te)
{
	size_t i = 0;

	for (;;) {
		size_t start, end;

		while (i < len && is_ows(v[i]))
			i++;
		start = i;
		while (i < len && px_h1_tchar[(uint8_t)v[i]])
			i++;
		end = i;
		while (i < len && is_ows(v[i]))
			i++;
		/* Transfer coding parameters (";name=value") are skipped;
		 * anything else after the coding name is malformed.
		 */
		if (i < len && v[i] == ';') {
			while (i < len && v[i] != ',' && v[i] != '"')
				i++;
			if (i < len && v[i] == '"') {
				te->invalid = 1;   /* quoted parameters: refuse */
				return -1;
			}
		}
		if (end == start || (i < len && v[i] != ',')) {
			te->invalid = 1;
			return -1;
		}
		if (px_strncaseeq(v + start, end - start, "chunked")) {
			te->nchunked++;
			te->last_chunked = 1;
		} else {
			te->nother++;
			te->last_chunked = 0;
		}
		if (i == len)
			return 0;
		i++;   /* the comma */
		if (i == len) {
			te->invalid = 1;   /* trailing empty element */
			return -1;
		}
	}
}

/* Lower-case ASCII letters, every other byte unchanged. */
static const uint8_t lower[256] = {
#define L4(x) (x), (x) + 1, (x) + 2, (x) + 3
#define L16(x) L4(x), L4((x) + 4), L4((x) + 8), L4((x) + 12)
	L16(0x00), L16(0x10), L16(0x20), L16(0x30),
	0x40, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0x5b, 0x5c, 0x5d, 0x5e, 0x5f,
	L16(0x60), L16(0x70), L16(0x80), L16(0x90), L16(0xa0), L16(0xb0),
	L16(0xc0), L16(0xd0), L16(0xe0), L16(0xf0),
#undef L16
#undef L4
};

/* Case-insensitive (ASCII letters only) comparison of <a> (<alen> bytes)
 * with NUL-terminated <b>.
 */
int px_strncaseeq(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen; i++)
		if (!b[i] || lower[(uint8_t)a[i]] != lower[(uint8_t)b[i]])
			return 0;
	return b[alen] == 0;
}

/* Tells whether the comma-separated <list> contains <tok> (any case). */
int px_h1_token_in_list(const char *list, size_t len, const char *tok)
{
	size_t i = 0;

	while (i < len) {
		size_t start, end;

		while (i < len && (is_ows(list[i]) || list[i] == ','))
			i++;
		start = i;
		while (i < len && list[i] != ',')
			i++;
		end = i;
		while (end > start && is_ows(list[end - 1]))
			end--;
		if (end > start && px_strncaseeq(list + start, end - start, tok))
			return 1;
	}
	return 0;
}

void px_h1_chunk_init(struct px_h1_chunk *c)
{
	memset(c, 0, sizeof(*c));
}

static int chunk_fail(struct px_h1_chunk *c, const char *msg)
{
	c->state = PX_CH_ERROR;
	c->err_msg = msg;
	return -1;
}

/* Walks chunked framing over <len> bytes at <p>. Returns how many bytes
 * belong to the message (all of them unless the message ends inside), or
 * -1 on invalid framing. The message is complete when c->state is
 * PX_CH_DONE. Chunk data is skipped in one step, not byte by byte.
 */
int px_h1_chunk_parse(struct px_h1_chunk *c, const char *p, uint32_t len)
{
	const uint8_t *s = (const uint8_t *)p;
	uint32_t i = 0;

	while (i < len) {
		uint8_t ch = s[i];

		switch (c->state) {
		case PX_CH_SIZE: {
			int h = px_hexval(ch);

			if (h >= 0) {
				if (++c->ndigits > 16)
					return chunk_fail(c, "chunk size with more than 16 digits");
				if (c->size > (UINT64_C(0x7fffffffffffffff) >> 4))
					return chunk_fail(c, "chunk size overflow");
				c->size = (c->size << 4) | h;
				i++;
				continue;
			}
			if (!c->ndigits)
				return chunk_fail(c, "invalid chunk size");
			if (ch == '\r') {
				c->state = PX_CH_SIZE_LF;
				i++;
				continue;
			}
			if (ch == ';' || ch == ' ' || ch == '\t') {
				c->state = PX_CH_EXT;
				c->semi = ch == ';';
				i++;
				continue;
			}
			return chunk_fail(c, ch == '\n' ? "bare LF after chunk size" :
			                  "invalid character after chunk size");
		}

		case PX_CH_EXT:
			/* Before the first ';' only whitespace may appear. */
			if (ch == '\r') {
				c->state = PX_CH_SIZE_LF;
				i++;
				continue;
			}
			if (ch == '\n')
				return chunk_fail(c, "bare LF in chunk extension");
			if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				return chunk_fail(c, "control character in chunk extension");
			if (!c->semi && ch != ' ' && ch != '\t') {
				if (ch != ';')
					return chunk_fail(c, "invalid character after chunk size");
				c->semi = 1;
			}
			i++;
			continue;

		case PX_CH_SIZE_LF:
			if (ch != '\n')
				return chunk_fail(c, "bare CR after chunk size");
			i++;
			c->last = c->size == 0;
			c->left = c->size;
			c->size = 0;
			c->ndigits = 0;
			c->semi = 0;
			c->state = c->last ? PX_CH_TRAILER_START : PX_CH_DATA;
			continue;

		case PX_CH_DATA: {
			uint64_t n = len - i;

			if (n > c->left)
				n = c->left;
			i += n;
			c->left -= n;
			if (!c->left)
				c->state = PX_CH_DATA_CR;
			continue;
		}

		case PX_CH_DATA_CR:
			if (ch != '\r')
				return chunk_fail(c, ch == '\n' ? "bare LF after chunk data" :
				                  "chunk data longer than its size");
			c->state = PX_CH_DATA_LF;
			i++;
			continue;

		case PX_CH_DATA_LF:
			if (ch != '\n')
				return chunk_fail(c, "bare CR after chunk data");
			c->state = PX_CH_SIZE;
			i++;
			continue;

		case PX_CH_TRAILER_START:
			if (ch == '\r') {
				c->state = PX_CH_END_LF;
				i++;
				continue;
			}
			if (ch == '\n')
				return chunk_fail(c, "bare LF ending the chunked body");
			c->state = PX_CH_TRAILER;
			/* fall through */
		case PX_CH_TRAILER:
			if (ch == '\r') {
				c->state = PX_CH_TRAILER_LF;
			} else if (ch == '\n') {
				return chunk_fail(c, "bare LF in trailer");
			} else if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
				return chunk_fail(c, "control character in trailer");
			}
			if (++c->trailer_len > 16384)
				return chunk_fail(c, "trailer section too large");
			i++;
			continue;

		case PX_CH_TRAILER_LF:
			if (ch != '\n')
				return chunk_fail(c, "bare CR in trailer");
			c->state = PX_CH_TRAILER_START;
			i++;
			continue;

		case PX_CH_END_LF:
			if (ch != '\n')
				return chunk_fail(c, "bare CR ending the chunked body");
			c->state = PX_CH_DONE;
			return i + 1;

		case PX_CH_DONE:
			return i;

		default:
			return -1;
		}
	}
	return i;
}
