/* tkh1.c: the testkit's HTTP/1.x reader.
 *
 * Owns: parsing a request or response head into pointers into the caller's
 * buffer (no copy, no allocation), deciding how the body is delimited, and
 * an incremental body reader that understands Content-Length, chunked
 * coding with extensions and trailers, and close-delimited bodies. It is
 * deliberately more lenient than a proxy should be (bare LF line ends are
 * accepted) because its users are a fake server and a test client that must
 * describe what they received rather than refuse it. It does no I/O.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include "tkh1.h"

static int is_tchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !strchr("\"(),/:;<=>?@[\\]{}", c);
}

/* Splits off the next line of buf[*pos..len): sets *line and *line_len without
 * the line end and advances *pos past it. Returns 0, or -2 when no complete
 * line is there yet.
 */
static int next_line(const char *buf, size_t len, size_t *pos,
		     const char **line, size_t *line_len)
{
	const char *lf = len > *pos ? memchr(buf + *pos, '\n', len - *pos) : NULL;
	size_t n;

	if (!lf)
		return -2;
	*line = buf + *pos;
	n = (size_t)(lf - *line);
	if (n && (*line)[n - 1] == '\r')
		n--;
	*line_len = n;
	*pos = (size_t)(lf - buf) + 1;
	return 0;
}

/* Parses the header lines after the start line. Returns the head length,
 * -2 when incomplete, -1 when malformed.
 */
static int parse_fields(const char *buf, size_t len, size_t pos,
			struct tk_h1_msg *m)
{
	const char *line;
	size_t n;

	m->nhdrs = 0;
	for (;;) {
		struct tk_h1_hdr *h;
		size_t i, v, e;

		if (next_line(buf, len, &pos, &line, &n) < 0)
			return -2;
		if (n == 0)
			break;
		if (m->nhdrs == TK_H1_MAX_HDRS)
			return -1;
		for (i = 0; i < n && is_tchar((unsigned char)line[i]); i++)
			;
		if (i == 0 || i == n || line[i] != ':')
			return -1;   /* no name, obs-fold, or blank before colon */
		for (v = i + 1; v < n && (line[v] == ' ' || line[v] == '\t'); v++)
			;
		for (e = n; e > v && (line[e - 1] == ' ' || line[e - 1] == '\t'); e--)
			;
		h = &m->hdrs[m->nhdrs++];
		h->name = line;
		h->name_len = i;
		h->value = line + v;
		h->value_len = e - v;
	}
	if (pos > 0x7fffffff)
		return -1;
	m->head_len = pos;
	return (int)pos;
}

/* Reads "HTTP/1.x" at p (8 bytes) into m->minor. */
static int parse_version(const char *p, size_t n, struct tk_h1_msg *m)
{
	if (n != 8 || memcmp(p, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)p[7]))
		return -1;
	m->minor = p[7] - '0';
	return 0;
}

/* Parses a request head at buf[0..len). Returns the head length (the body
 * starts there), -2 when the head is not complete yet, -1 when malformed.
 */
int tk_h1_parse_req(const char *buf, size_t len, struct tk_h1_msg *m)
{
	const char *line, *sp1, *sp2;
	size_t pos = 0, n;

	if (next_line(buf, len, &pos, &line, &n) < 0)
		return memchr(buf, '\n', len) ? -1 : -2;
	sp1 = memchr(line, ' ', n);
	if (!sp1 || sp1 == line)
		return -1;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(line + n - sp1 - 1));
	if (!sp2 || sp2 == sp1 + 1)
		return -1;
	m->a = line;
	m->a_len = (size_t)(sp1 - line);
	m->b = sp1 + 1;
	m->b_len = (size_t)(sp2 - sp1 - 1);
	m->c = sp2 + 1;
	m->c_len = (size_t)(line + n - sp2 - 1);
	m->status = 0;
	if (parse_version(m->c, m->c_len, m) < 0)
		return -1;
	return parse_fields(buf, len, pos, m);
}

/* Parses a response head, same contract as tk_h1_parse_req(). */
int tk_h1_parse_resp(const char *buf, size_t len, struct tk_h1_msg *m)
{
	const char *line;
	size_t pos = 0, n;

	if (next_line(buf, len, &pos, &line, &n) < 0)
		return (len >= 8 && memcmp(buf, "HTTP/1.", 7) != 0) ? -1 : -2;
	if (n < 12 || parse_version(line, 8, m) < 0 || line[8] != ' ' ||
	    !isdigit((unsigned char)line[9]) || !isdigit((unsigned char)line[10]) ||
	    !isdigit((unsigned char)line[11]) || (n > 12 && line[12] != ' '))
		return -1;
	m->a = line;
	m->a_len = 8;
	m->b = line + 9;
	m->b_len = 3;
	m->c = n > 12 ? line + 13 : line + 12;
	m->c_len = n > 12 ? n - 13 : 0;
	m->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
	return parse_fields(buf, len, pos, m);
}

/* Returns the first header named name (case-insensitive) after the one
 * "after" points to (NULL: from the start), or NULL.
 */
const struct tk_h1_hdr *tk_h1_find(const struct tk_h1_msg *m, const char *name,
				   const struct tk_h1_hdr *after)
{
	size_t nl = strlen(name);
	int i = after ? (int)(after - m->hdrs) + 1 : 0;

	for (; i < m->nhdrs; i++)
		if (m->hdrs[i].name_len == nl &&
		    strncasecmp(m->hdrs[i].name, name, nl) == 0)
			return &m->hdrs[i];
	return NULL;
}

int tk_h1_count(const struct tk_h1_msg *m, const char *name)
{
	const struct tk_h1_hdr *h = NULL;
	int n = 0;

	while ((h = tk_h1_find(m, name, h)))
		n++;
	return n;
}

/* Walks the comma-separated tokens of every header called name; returns 1
 * if one equals token (case-insensitive), else 0.
 */
int tk_h1_has_token(const struct tk_h1_msg *m, const char *name,
		    const char *token)
{
	const struct tk_h1_hdr *h = NULL;
	size_t tl = strlen(token);

	while ((h = tk_h1_find(m, name, h))) {
		const char *p = h->value, *end = h->value + h->value_len;

		while (p < end) {
			const char *comma = memchr(p, ',', (size_t)(end - p));
			const char *e = comma ? comma : end;
			const char *s = p;

			while (s < e && (*s == ' ' || *s == '\t'))
				s++;
			while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if ((size_t)(e - s) == tl && strncasecmp(s, token, tl) == 0)
				return 1;
			p = comma ? comma + 1 : end;
		}
	}
	return 0;
}

/* Returns 1 when the last transfer coding named is "chunked", 0 when there
 * is no Transfer-Encoding, -1 when there is one that ends otherwise.
 */
static int te_chunked(const struct tk_h1_msg *m)
{
	const struct tk_h1_hdr *h = NULL, *last = NULL;
	const char *e, *s;

	while ((h = tk_h1_find(m, "transfer-encoding", h)))
		last = h;
	if (!last)
		return 0;
	e = last->value + last->value_len;
	s = e;
	while (s > last->value && s[-1] != ',')
		s--;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	return ((size_t)(e - s) == 7 && strncasecmp(s, "chunked", 7) == 0) ? 1 : -1;
}

/* Reads Content-Length: all copies must agree. Returns 1 and sets *len,
 * 0 when absent, -1 when invalid or conflicting.
 */
static int content_length(const struct tk_h1_msg *m, uint64_t *len)
{
	const struct tk_h1_hdr *h = NULL;
	int found = 0;

	while ((h = tk_h1_find(m, "content-length", h))) {
		uint64_t v = 0;
		size_t i;

		if (h->value_len == 0 || h->value_len > 19)
			return -1;
		for (i = 0; i < h->value_len; i++) {
			if (!isdigit((unsigned char)h->value[i]))
				return -1;
			v = v * 10 + (uint64_t)(h->value[i] - '0');
		}
		if (found && v != *len)
			return -1;
		*len = v;
		found = 1;
	}
	return found;
}

static void body_init(struct tk_h1_body *b, enum tk_body_mode mode, uint64_t len)
{
	memset(b, 0, sizeof(*b));
	b->mode = mode;
	b->left = len;
	b->chk = TK_CHK_SIZE;
	b->done = mode == TK_BODY_NONE || (mode == TK_BODY_LEN && len == 0);
}

/* Sets up b for the body of request m. Returns 0, or -1 when the body
 * cannot be delimited (unknown transfer coding, bad Content-Length).
 */
int tk_h1_req_body(const struct tk_h1_msg *m, struct tk_h1_body *b)
{
	int te = te_chunked(m);
	uint64_t len = 0;
	int cl;

	if (te < 0)
		return -1;
	if (te > 0) {
		body_init(b, TK_BODY_CHUNKED, 0);
		return 0;
	}
	cl = content_length(m, &len);
	if (cl < 0)
		return -1;
	body_init(b, cl ? TK_BODY_LEN : TK_BODY_NONE, len);
	return 0;
}

/* Sets up b for the body of response m; head_req says the request was
 * HEAD (so no body whatever the headers say). Returns 0 or -1.
 */
int tk_h1_resp_body(const struct tk_h1_msg *m, int head_req, struct tk_h1_body *b)
{
	uint64_t len = 0;
	int te, cl;

	if (head_req || m->status / 100 == 1 || m->status == 204 || m->status == 304) {
		body_init(b, TK_BODY_NONE, 0);
		return 0;
	}
	te = te_chunked(m);
	if (te != 0) {
		body_init(b, te > 0 ? TK_BODY_CHUNKED : TK_BODY_CLOSE, 0);
		return 0;
	}
	cl = content_length(m, &len);
	if (cl < 0)
		return -1;
	body_init(b, cl ? TK_BODY_LEN : TK_BODY_CLOSE, len);
	return 0;
}

/* Returns 1 when the message asks for the connection to close after it. */
int tk_h1_wants_close(const struct tk_h1_msg *m)
{
	if (tk_h1_has_token(m, "connection", "close"))
		return 1;
	if (m->minor == 0)
		return !tk_h1_has_token(m, "connection", "keep-alive");
	return 0;
}

/* Advances the chunked decoder over one framing byte. Returns 0, or -1 on
 * a framing error.
 */
static int chunk_byte(struct tk_h1_body *b, unsigned char c)
{
	switch (b->chk) {
	case TK_CHK_SIZE:
		if (isxdigit(c)) {
			if (b->left >> 60)
				return -1;
			b->left = b->left * 16 + (uint64_t)(isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
			b->ndigits++;
			return 0;
		}
		if (!b->ndigits)
			return -1;
		if (c == ';' || c == ' ' || c == '\t')
			b->chk = TK_CHK_EXT;
		else if (c == '\r')
			b->chk = TK_CHK_SIZE_LF;
		else if (c == '\n')
			goto size_done;
		else
			return -1;
		return 0;
	case TK_CHK_EXT:
		if (c == '\n')
			goto size_done;
		return 0;
	case TK_CHK_SIZE_LF:
		if (c != '\n')
			return -1;
		goto size_done;
	case TK_CHK_DATA_CR:
		if (c == '\n') {
			b->chk = TK_CHK_SIZE;
			return 0;
		}
		if (c != '\r')
			return -1;
		b->chk = TK_CHK_DATA_LF;
		return 0;
	case TK_CHK_DATA_LF:
		if (c != '\n')
			return -1;
		b->chk = TK_CHK_SIZE;
		return 0;
	case TK_CHK_TRL_START:
		if (c == '\n')
			b->chk = TK_CHK_DONE;
		else if (c == '\r')
			b->chk = TK_CHK_TRL_LF;
		else
			b->chk = TK_CHK_TRL_LINE;
		return 0;
	case TK_CHK_TRL_LINE:
		if (c == '\n')
			b->chk = TK_CHK_TRL_START;
		return 0;
	case TK_CHK_TRL_LF:
		if (c != '\n')
			return -1;
		b->chk = TK_CHK_DONE;
		return 0;
	case TK_CHK_DATA:
	case TK_CHK_DONE:
		return -1;
	}
	return -1;
size_done:
	b->ndigits = 0;
	b->chk = b->left ? TK_CHK_DATA : TK_CHK_TRL_START;
	return 0;
}

/* Consumes body bytes from p[0..n), passing decoded payload to sink (may be
 * NULL). Returns the bytes consumed (fewer than n once the body is done:
 * the rest belongs to the next message), or -1 on a framing error. b->done
 * becomes 1 when the body is complete; a close-delimited body is never done
 * here, its reader ends it at EOF.
 */
ssize_t tk_h1_body_feed(struct tk_h1_body *b, const char *p, size_t n,
			tk_body_sink sink, void *ctx)
{
	size_t i = 0;

	if (b->done)
		return 0;
	if (b->mode == TK_BODY_LEN || b->mode == TK_BODY_CLOSE) {
		size_t take = n;

		if (b->mode == TK_BODY_LEN && take > b->left)
			take = (size_t)b->left;
		if (sink && take)
			sink(ctx, p, take);
		if (b->mode == TK_BODY_LEN) {
			b->left -= take;
			b->done = b->left == 0;
		}
		b->wire += take;
		b->data += take;
		return (ssize_t)take;
	}
	while (i < n && b->chk != TK_CHK_DONE) {
		if (b->chk == TK_CHK_DATA) {
			size_t take = n - i;

			if (take > b->left)
				take = (size_t)b->left;
			if (sink)
				sink(ctx, p + i, take);
			b->left -= take;
			b->data += take;
			i += take;
			if (!b->left)
				b->chk = TK_CHK_DATA_CR;
			continue;
		}
		if (chunk_byte(b, (unsigned char)p[i]) < 0)
			return -1;
		i++;
	}
	b->wire += i;
	b->done = b->chk == TK_CHK_DONE;
	return (ssize_t)i;
}
