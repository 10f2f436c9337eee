/* The connection to the command socket, and what an answer means.
 *
 * pxsh keeps one connection in the socket's interactive mode ("prompt"):
 * each command is one line, and its answer is everything up to the prompt
 * "\n> " that follows it. So several commands (and a begin...commit
 * transaction) share a connection, and each answer is known on its own.
 * A connection the socket closed while idle (its cli timeout) is reopened
 * before the next command. This file does not print anything.
 */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "pxsh-t.h"
#include "pxsh.h"

volatile sig_atomic_t px_sh_interrupted;

/* Opens a stream socket to <target>: "ipv4@ADDR:PORT", "ipv6@[ADDR]:PORT"
 * or "ADDR:PORT" style TCP, "unix@PATH" or a plain path. Returns the fd, or
 * -1 with a message naming the target and errno's text in <err>.
 */
static int open_socket(const char *target, struct sh_buf *err)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sslen;
	const char *spec = target;
	int fd, family;

	if (!strncmp(spec, "ipv4@", 5) || !strncmp(spec, "ipv6@", 5) || !strncmp(spec, "tcp@", 4)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		char host[256];
		const char *colon, *addr = strchr(spec, '@') + 1;
		size_t hlen;
		long port;
		char *end;

		colon = strrchr(addr, ':');
		if (!colon || colon == addr) {
			px_sh_buf_printf(err, "pxsh: %s: expected ipv4@ADDR:PORT", target);
			return -1;
		}
		port = strtol(colon + 1, &end, 10);
		hlen = (size_t)(colon - addr);
		if (*addr == '[' && hlen >= 2 && addr[hlen - 1] == ']') {
			addr++;
			hlen -= 2;
		}
		if (*end || port <= 0 || port > 65535 || hlen >= sizeof(host)) {
			px_sh_buf_printf(err, "pxsh: %s: bad address or port", target);
			return -1;
		}
		memcpy(host, addr, hlen);
		host[hlen] = 0;
		if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			sin->sin_port = htons((unsigned short)port);
			sslen = sizeof(*sin);
		} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons((unsigned short)port);
			sslen = sizeof(*sin6);
		} else {
			px_sh_buf_printf(err, "pxsh: %s: '%s' is not an IP address", target, host);
			return -1;
		}
		family = ss.ss_family;
	} else {
		struct sockaddr_un *sun = (struct sockaddr_un *)&ss;

		if (!strncmp(spec, "unix@", 5))
			spec += 5;
		if (strlen(spec) >= sizeof(sun->sun_path)) {
			px_sh_buf_printf(err, "pxsh: %s: path too long for a Unix socket", target);
			return -1;
		}
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, spec);
		sslen = sizeof(*sun);
		family = AF_UNIX;
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sslen) < 0) {
		px_sh_buf_printf(err, "pxsh: cannot connect to the command socket %s: %s",
				 target, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR && !px_sh_interrupted)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads into <out> until it ends with the prompt "\n> " (removed), or
 * the peer closes. Returns 0 at the prompt, 1 on close after some bytes,
 * -1 on close before any byte or an error, -2 when interrupted (Ctrl-C).
 */
static int read_answer(int fd, struct sh_buf *out)
{
	size_t start = out->len;
	char chunk[16384];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR) {
			if (px_sh_interrupted)
				return -2;
			continue;
		}
		if (n < 0)
			return -1;
		if (n == 0)
			return out->len > start ? 1 : -1;
		px_sh_buf_add(out, chunk, (size_t)n);
		if (out->len - start >= 3 && !memcmp(out->data + out->len - 3, "\n> ", 3)) {
			out->len -= 3;
			out->data[out->len] = 0;
			return 0;
		}
	}
}

void px_sh_conn_close(struct sh_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Connects and enters interactive mode. Returns 0, or -1 with a message in
 * <err>.
 */
int px_sh_conn_open(struct sh_conn *c, struct sh_buf *err)
{
	struct sh_buf answer = { 0 };
	int rc;

	px_sh_conn_close(c);
	c->fd = open_socket(c->target, err);
	if (c->fd < 0)
		return -1;
	if (send_all(c->fd, "prompt\n", 7) < 0) {
		px_sh_buf_printf(err, "pxsh: %s: %s", c->target, strerror(errno));
		goto fail;
	}
	rc = read_answer(c->fd, &answer);
	if (rc != 0) {
		px_sh_buf_printf(err, "pxsh: %s: the socket %s", c->target,
				 rc == -2 ? "did not answer (interrupted)" :
				 "closed the connection instead of entering interactive mode");
		goto fail;
	}
	/* proxyd can start its error lines with "Error: ", which tells them
	 * from answers for sure; it accepts this with an empty answer.
	 * HAProxy answers it with its help text, which changes nothing: its
	 * errors are then recognised by their wording (px_sh_is_error()).
	 */
	answer.len = 0;
	if (send_all(c->fd, "set cli errors marked\n", 22) < 0 ||
	    read_answer(c->fd, &answer) != 0) {
		px_sh_buf_printf(err, "pxsh: %s: the connection broke", c->target);
		goto fail;
	}
	c->errors_marked = px_sh_first_line_len(answer.data, answer.len) == 0 &&
			   !px_sh_is_error(answer.data, answer.len);
	px_sh_buf_free(&answer);
	return 0;
fail:
	px_sh_buf_free(&answer);
	px_sh_conn_close(c);
	return -1;
}

/* Whether the idle connection was closed by the peer (its cli timeout). */
static int conn_dead(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char byte;

	if (poll(&pfd, 1, 0) <= 0)
		return 0;
	return recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

/* Runs one command. <cmd> is one line, sent as is; <payload>, when not
 * NULL, is the text that follows a command ending in " <<" (lines; pxsh
 * adds the empty line that ends it). The answer, without the prompt and
 * the payload prompts ("+ "), goes to <out>. Returns 0 when an answer
 * came (whatever it says: see px_sh_is_error()), -1 when the socket could
 * not be reached or the connection broke (message in <out>), -2 when
 * interrupted by Ctrl-C (the connection is dropped).
 */
int px_sh_conn_cmd(struct sh_conn *c, const char *cmd, const char *payload, struct sh_buf *out)
{
	struct sh_buf req = { 0 };
	size_t start = out->len;
	int rc;

	if (c->fd >= 0 && conn_dead(c->fd))
		px_sh_conn_close(c);
	if (c->fd < 0 && px_sh_conn_open(c, out) < 0)
		return -1;
	px_sh_buf_str(&req, cmd);
	px_sh_buf_add(&req, "\n", 1);
	if (payload) {
		size_t plen = strlen(payload);

		px_sh_buf_add(&req, payload, plen);
		if (plen && payload[plen - 1] != '\n')
			px_sh_buf_add(&req, "\n", 1);
		px_sh_buf_add(&req, "\n", 1);
	}
	px_sh_interrupted = 0;
	if (send_all(c->fd, req.data, req.len) < 0) {
		px_sh_buf_printf(out, "pxsh: %s: sending failed: %s", c->target, strerror(errno));
		px_sh_buf_free(&req);
		px_sh_conn_close(c);
		return px_sh_interrupted ? -2 : -1;
	}
	px_sh_buf_free(&req);
	rc = read_answer(c->fd, out);
	if (rc == -2 || rc == -1) {
		px_sh_conn_close(c);
		if (rc == -1)
			px_sh_buf_printf(out, "pxsh: %s: the connection was closed before an answer",
					 c->target);
		return rc;
	}
	if (rc == 1)
		px_sh_conn_close(c);   /* e.g. "quit": answered, then closed */
	/* A payload's lines are each answered by a "+ " prompt first. */
	if (payload) {
		size_t skip = 0;

		while (out->len - start - skip >= 2 && !memcmp(out->data + start + skip, "+ ", 2))
			skip += 2;
		memmove(out->data + start, out->data + start + skip, out->len - start - skip + 1);
		out->len -= skip;
	}
	return 0;
}

static int starts(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(s, prefix, n);
}

static int contains(const char *s, size_t len, const char *needle)
{
	return memmem(s, len, needle, strlen(needle)) != NULL;
}

/* The rule that tells a failed command from a successful one, applied to
 * the answer's first line (blanks before it skipped). The command failed
 * when that line:
 *   - starts with "Unknown ", "Permission denied", "No such ",
 *     "Require ", "Error", "error", "Missing ", "Invalid ", "Can't ",
 *     "Cannot ", "Unable ", "Failed", "Not found" or "[error]" (HAProxy's
 *     error answers, and proxyd's single-line errors);
 *   - contains " not found" or "' expects " (HAProxy's "'set server <srv>
 *     state' expects 'ready', 'drain' and 'maint'.");
 *   - is JSON starting with {"error" (HAProxy's json error answer).
 * Anything else, the empty answer included, is a success. Returns 1 when
 * the answer is an error.
 */
int px_sh_is_error(const char *answer, size_t len)
{
	static const char *const prefixes[] = {
		"Unknown ", "Permission denied", "No such ", "Require ",
		"Error", "error", "Missing ", "Invalid ", "Can't ", "Cannot ",
		"Unable ", "Failed", "Not found", "[error]", "{\"error\"", NULL,
	};
	size_t line;
	int i;

	while (len && (*answer == ' ' || *answer == '\n' || *answer == '\r' || *answer == '\t')) {
		answer++;
		len--;
	}
	line = px_sh_first_line_len(answer, len);
	for (i = 0; prefixes[i]; i++)
		if (starts(answer, line, prefixes[i]))
			return 1;
	return contains(answer, line, " not found") || contains(answer, line, "' expects ");
}

/* Whether <answer>, received on <c>, says its command failed. When the
 * socket marks its errors (proxyd after "set cli errors marked"), an
 * error is exactly an answer whose first line starts with "Error: ", and
 * an answer that merely reads like one ("... not found" in a map value, a
 * configuration line) is not taken for an error; otherwise the wording
 * decides (px_sh_is_error()).
 */
int px_sh_conn_failed(const struct sh_conn *c, const char *answer, size_t len)
{
	if (!c->errors_marked)
		return px_sh_is_error(answer, len);
	return len >= 7 && !memcmp(answer, "Error: ", 7);
}
