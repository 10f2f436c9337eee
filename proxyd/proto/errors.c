/* Responses proxyd sends on its own: the default HTML page of each status
 * (in the form the seed shows for 408: HTTP/1.0, no-cache, close, text/html)
 * and the "errorfile" keyword that replaces one with a file sent verbatim.
 * An empty file (/dev/null) means "close without sending a byte".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cfg/cfg.h"
#include "core/util.h"
#include "proto/errors.h"
#include "proto/h1.h"

static const struct {
	int status;
	const char *reason;
	const char *text;
} pages[PX_ERR_NB] = {
	[PX_ERR_200] = { 200, "OK", "Service ready." },
	[PX_ERR_400] = { 400, "Bad request", "Your browser sent an invalid request." },
	[PX_ERR_401] = { 401, "Unauthorized",
	                 "You need a valid user and password to access this content." },
	[PX_ERR_403] = { 403, "Forbidden", "Request forbidden by administrative rules." },
	[PX_ERR_404] = { 404, "Not Found", "The resource could not be found." },
	[PX_ERR_405] = { 405, "Method Not Allowed",
	                 "A request was made of a resource using a request method not "
	                 "supported by that resource" },
	[PX_ERR_407] = { 407, "Unauthorized",
	                 "You need a valid user and password to access this content." },
	[PX_ERR_408] = { 408, "Request Time-out",
	                 "Your browser didn't send a complete request in time." },
	[PX_ERR_410] = { 410, "Gone", "The resource is no longer available and will "
	                 "not be available again." },
	[PX_ERR_413] = { 413, "Payload Too Large",
	                 "The request entity exceeds the maximum allowed." },
	[PX_ERR_414] = { 414, "URI Too Long",
	                 "The request line is longer than this server accepts." },
	[PX_ERR_425] = { 425, "Too Early", "Your browser sent early data." },
	[PX_ERR_429] = { 429, "Too Many Requests",
	                 "You sent too many requests in a given amount of time." },
	[PX_ERR_431] = { 431, "Request Header Fields Too Large",
	                 "Your browser sent a request header larger than this server "
	                 "accepts." },
	[PX_ERR_500] = { 500, "Internal Server Error", "An internal server error occurred." },
	[PX_ERR_501] = { 501, "Not Implemented", "The server does not support the "
	                 "functionality required to fulfill the request." },
	[PX_ERR_502] = { 502, "Bad Gateway",
	                 "The server returned an invalid or incomplete response." },
	[PX_ERR_503] = { 503, "Service Unavailable",
	                 "No server is available to handle this request." },
	[PX_ERR_504] = { 504, "Gateway Time-out", "The server didn't respond in time." },
	[PX_ERR_505] = { 505, "HTTP Version Not Supported",
	                 "Your browser used an HTTP version this server does not support." },
};

static struct px_errmsg defaults[PX_ERR_NB];

/* Index of <status> in the error tables, or -1 when proxyd has no page
 * for it.
 */
int px_err_index(int status)
{
	int i;

	for (i = 0; i < PX_ERR_NB; i++)
		if (pages[i].status == status)
			return i;
	return -1;
}

/* The standard reason phrase of any status (RFC 9110), for responses
 * rules make or change.
 */
const char *px_http_reason(int status)
{
	static const struct {
		int code;
		const char *reason;
	} std[] = {
		{ 100, "Continue" }, { 101, "Switching Protocols" }, { 102, "Processing" },
		{ 103, "Early Hints" }, { 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
		{ 203, "Non-Authoritative Information" }, { 204, "No Content" },
		{ 205, "Reset Content" }, { 206, "Partial Content" }, { 207, "Multi-Status" },
		{ 300, "Multiple Choices" }, { 301, "Moved Permanently" }, { 302, "Moved Temporarily" },
		{ 303, "See Other" }, { 304, "Not Modified" }, { 305, "Use Proxy" },
		{ 307, "Temporary Redirect" }, { 308, "Permanent Redirect" },
		{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 402, "Payment Required" },
		{ 403, "Forbidden" }, { 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 406, "Not Acceptable" }, { 407, "Proxy Authentication Required" },
		{ 408, "Request Timeout" }, { 409, "Conflict" }, { 410, "Gone" },
		{ 411, "Length Required" }, { 412, "Precondition Failed" },
		{ 413, "Payload Too Large" }, { 414, "URI Too Long" },
		{ 415, "Unsupported Media Type" }, { 416, "Range Not Satisfiable" },
		{ 417, "Expectation Failed" }, { 418, "I'm a teapot" }, { 421, "Misdirected Request" },
		{ 422, "Unprocessable Content" }, { 425, "Too Early" },
		{ 426, "Upgrade Required" }, { 428, "Precondition Required" },
		{ 429, "Too Many Requests" }, { 431, "Request Header Fields Too Large" },
		{ 451, "Unavailable For Legal Reasons" }, { 500, "Internal Server Error" },
		{ 501, "Not Implemented" }, { 502, "Bad Gateway" },
		{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
		{ 505, "HTTP Version Not Supported" },
	};
	size_t i;

	for (i = 0; i < sizeof(std) / sizeof(std[0]); i++)
		if (std[i].code == status)
			return std[i].reason;
	return status < 200 ? "Informational" : status < 300 ? "Success" :
	       status < 400 ? "Redirection" : status < 500 ? "Client Error" : "Server Error";
}

const char *px_err_reason(int status)
{
	int i = px_err_index(status);

	return i >= 0 ? pages[i].reason : "Unknown";
}

__attribute__((constructor)) static void build_default_pages(void)
{
	int i;

	for (i = 0; i < PX_ERR_NB; i++) {
		char *s = NULL;
		int n = asprintf(&s, "HTTP/1.0 %d %s\r\n"
		                 "Cache-Control: no-cache\r\n"
		                 "Connection: close\r\n"
		                 "Content-Type: text/html\r\n"
		                 "\r\n"
		                 "<html><body><h1>%d %s</h1>\n%s\n</body></html>\n",
		                 pages[i].status, pages[i].reason, pages[i].status,
		                 pages[i].reason, pages[i].text);

		if (n < 0)
			abort();
		defaults[i].data = s;
		defaults[i].len = (uint32_t)n;
	}
}

/* The response to send for <status> from proxy <px> (its errorfile, or the
 * default page). Never NULL for a status px_err_index() knows.
 */
const struct px_errmsg *px_errmsg_get(const struct px_proxy *px, int status)
{
	int i = px_err_index(status);

	if (i < 0)
		i = PX_ERR_500;
	if (px && px->errmsg[i])
		return px->errmsg[i];
	return &defaults[i];
}

/* errorfile CODE FILE */
static int kw_errorfile(char **args, int nargs, struct px_cfg_ctx *ctx, char **err)
{
	struct px_errmsg *msg;
	struct px_h1_hdr hdrs[128];
	struct px_h1_msg m;
	struct stat st;
	char *data;
	int idx, fd;
	ssize_t n;

	if (nargs != 3) {
		px_strfmt(err, "expects a status code and a file name");
		return -1;
	}
	idx = px_err_index(atoi(args[1]));
	if (idx < 0 || strspn(args[1], "0123456789") != strlen(args[1])) {
		px_strfmt(err, "status code '%s' cannot be customized (200, 400, 401, 403, "
		          "404, 405, 407, 408, 410, 413, 414, 425, 429, 431, 500, 501, "
		          "502, 503, 504 or 505)", args[1]);
		return -1;
	}
	/* Non-blocking: a FIFO must not stall the load (it is refused below). */
	fd = open(args[2], O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		px_strfmt(err, "cannot open '%s': %s", args[2], strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))) {
		px_strfmt(err, "'%s' is not a regular file", args[2]);
		close(fd);
		return -1;
	}
	if (st.st_size > 65536) {
		px_strfmt(err, "'%s' is too large (%lld bytes, at most 65536)", args[2],
		          (long long)st.st_size);
		close(fd);
		return -1;
	}
	msg = px_gen_alloc(ctx->gen, sizeof(*msg));
	data = px_gen_alloc(ctx->gen, (size_t)st.st_size + 1);
	if (!msg || !data) {
		close(fd);
		px_strfmt(err, "out of memory");
		return -1;
	}
	n = S_ISREG(st.st_mode) ? read(fd, data, (size_t)st.st_size) : 0;
	close(fd);
	if (n < 0 || n != (S_ISREG(st.st_mode) ? st.st_size : 0)) {
		px_strfmt(err, "cannot read '%s'", args[2]);
		return -1;
	}
	if (n > 0) {
		px_h1_msg_init(&m, 0, hdrs, PX_ARRAY_SIZE(hdrs));
		if (px_h1_parse(&m, data, (uint32_t)n) <= 0) {
			px_strfmt(err, "'%s' is not a complete HTTP response%s%s", args[2],
			          m.err_msg ? ": " : "", m.err_msg ? m.err_msg : " (no end of headers)");
			return -1;
		}
	}
	msg->data = data;
	msg->len = (uint32_t)n;
	ctx->px->errmsg[idx] = msg;
	return 0;
}

static const struct px_cfg_kw errors_kws[] = {
	{ .name = "errorfile", .sections = PX_SEC_PROXIES, .parse = kw_errorfile },
	{ 0 }
};

static struct px_cfg_kw_list errors_kw_list = { .kws = errors_kws };

__attribute__((constructor)) static void errors_register(void)
{
	px_cfg_register(&errors_kw_list);
}
