/* idleconn: opens many client connections to a proxy and holds them open,
 * for the idle-connection memory scenarios of bench/run.sh.
 *
 * It opens N non-blocking TCP connections (at most P connecting at once),
 * optionally sends one keep-alive GET on each and reads the whole response,
 * then prints one "ready" line on stdout and holds every connection open
 * until stdin reaches EOF, SIGINT/SIGTERM arrives, or the time limit
 * passes. While holding, it notices connections the peer closes. It ends
 * with one "done" line of counters and exits 0 only if every connection was
 * opened (and answered with a 2xx, with -r) and none was closed by the peer.
 *
 * It owns only client sockets; it does not measure anything itself: the
 * caller reads the proxy's memory while the connections are held.
 *
 *   idleconn -a 127.0.0.1:8500 -n 10000 [-r] [-p 256] [-t 120]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RESP_MAX 65536 /* largest response head + body read per connection */

enum conn_state {
	CS_UNUSED = 0,   /* not opened yet */
	CS_CONNECTING,   /* connect() in progress */
	CS_READING,      /* request sent, waiting for the whole response */
	CS_HELD,         /* established (and answered, with -r): held open */
	CS_FAILED,       /* connect, send or response failed; fd closed */
	CS_CLOSED,       /* the peer closed it while held; fd closed */
};

struct conn {
	int fd;
	enum conn_state state;
	char *resp;          /* response bytes so far (with -r only) */
	size_t resp_len;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: idleconn -a ADDR:PORT -n N [-r] [-p PARALLEL] [-t SECONDS]\n"
	        "  -a  IPv4 address and port to connect to\n"
	        "  -n  number of connections to open and hold\n"
	        "  -r  send one keep-alive \"GET / HTTP/1.1\" on each and read the response\n"
	        "  -p  at most this many connections in progress at once (default 256)\n"
	        "  -t  give up and exit after this many seconds in all (default 120)\n"
	        "Prints \"ready ...\" once all are open, holds them until stdin EOF,\n"
	        "SIGINT/SIGTERM or the time limit, then prints \"done ...\".\n");
	exit(2);
}

/* Raises the soft file-descriptor limit to the hard one; returns the
 * resulting soft limit. */
static long raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_NOFILE, &rl);
	return (long)rl.rlim_cur;
}

/* Returns 1 when buf holds a complete response (head, then Content-Length
 * bytes of body, or no body for 204/304), 0 when more is needed, -1 when it
 * cannot be delimited (chunked or close-delimited bodies are not needed by
 * the benchmark and are refused). Sets *status. */
static int response_complete(const char *buf, size_t len, int *status)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4);
	const char *line, *eol;
	size_t head_len;
	long clen = -1;

	if (!end)
		return len >= RESP_MAX ? -1 : 0;
	head_len = (size_t)(end - buf) + 4;
	if (len < 12 || memcmp(buf, "HTTP/1.", 7))
		return -1;
	*status = atoi(buf + 9);
	for (line = memchr(buf, '\n', head_len); line && line < end; line = eol) {
		line++;
		eol = memchr(line, '\n', (size_t)(end + 2 - line));
		if (!eol)
			break;
		if (!strncasecmp(line, "content-length:", 15))
			clen = atol(line + 15);
		else if (!strncasecmp(line, "transfer-encoding:", 18))
			return -1;
	}
	if (*status == 204 || *status == 304 || (*status >= 100 && *status < 200))
		clen = 0;
	if (clen < 0)
		return -1;
	return len >= head_len + (size_t)clen ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const char request[] =
		"GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: idleconn\r\n\r\n";
	struct sockaddr_in sin = { .sin_family = AF_INET };
	const char *addr_arg = NULL;
	int count = 0, parallel = 256, with_request = 0, limit_s = 120;
	int opt, epfd, i, next = 0, in_progress = 0, settled = 0;
	int n_held = 0, n_failed = 0, n_closed = 0, n_non2xx = 0;
	int first_errno = 0, stdin_open = 1;
	struct conn *conns;
	struct epoll_event evs[256];
	double start, ready_at = 0;
	char *colon;

	while ((opt = getopt(argc, argv, "a:n:rp:t:h")) != -1) {
		switch (opt) {
		case 'a': addr_arg = optarg; break;
		case 'n': count = atoi(optarg); break;
		case 'r': with_request = 1; break;
		case 'p': parallel = atoi(optarg); break;
		case 't': limit_s = atoi(optarg); break;
		default: usage();
		}
	}
	if (!addr_arg || count <= 0 || parallel <= 0 || limit_s <= 0)
		usage();
	colon = strrchr(addr_arg, ':');
	if (!colon || colon == addr_arg) {
		fprintf(stderr, "idleconn: -a wants ADDR:PORT, got '%s'\n", addr_arg);
		return 2;
	}
	*colon = '\0';
	if (inet_pton(AF_INET, addr_arg, &sin.sin_addr) != 1 || atoi(colon + 1) <= 0) {
		fprintf(stderr, "idleconn: bad IPv4 address or port in -a\n");
		return 2;
	}
	sin.sin_port = htons((uint16_t)atoi(colon + 1));
	if (raise_nofile() < count + 16) {
		fprintf(stderr, "idleconn: the file-descriptor limit (%ld) is too low "
		        "for %d connections; raise ulimit -n\n", raise_nofile(), count);
		return 2;
	}
	conns = calloc((size_t)count, sizeof(*conns));
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!conns || epfd < 0) {
		perror("idleconn");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	start = now_s();

	while (!stop_signal) {
		int n, timeout_ms = 200;

		/* Start connections until the in-progress window is full. */
		while (next < count && in_progress < parallel) {
			struct conn *c = &conns[next];
			struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = (uint32_t)next };

			next++;
			c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (c->fd < 0 ||
			    (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 &&
			     errno != EINPROGRESS) ||
			    epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
				if (!first_errno)
					first_errno = errno;
				if (c->fd >= 0)
					close(c->fd);
				c->state = CS_FAILED;
				n_failed++;
				settled++;
				continue;
			}
			c->state = CS_CONNECTING;
			in_progress++;
		}
		if (!ready_at && settled == count) {
			ready_at = now_s();
			printf("ready connections=%d failed=%d non2xx=%d seconds=%.2f\n",
			       n_held, n_failed, n_non2xx, ready_at - start);
			fflush(stdout);
		}
		if (now_s() - start > limit_s) {
			fprintf(stderr, "idleconn: time limit of %d s reached\n", limit_s);
			break;
		}
		if (ready_at && stdin_open) {
			struct pollfd pfd = { .fd = 0, .events = POLLIN };

			if (poll(&pfd, 1, 0) > 0) {
				char sink[256];
				ssize_t r = read(0, sink, sizeof(sink));

				if (r <= 0)
					break; /* stdin EOF: the caller is done measuring */
			}
		}
		n = epoll_wait(epfd, evs, 256, timeout_ms);
		for (i = 0; i < n; i++) {
			struct conn *c = &conns[evs[i].data.u32];
			int err = 0;
			socklen_t sl = sizeof(err);

			if (c->state == CS_CONNECTING) {
				struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP,
				                          .data.u32 = evs[i].data.u32 };

				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl);
				in_progress--;
				if (err || (with_request &&
				            send(c->fd, request, sizeof(request) - 1, 0) !=
				            (ssize_t)sizeof(request) - 1)) {
					if (!first_errno)
						first_errno = err ? err : errno;
					goto failed;
				}
				epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
				if (with_request) {
					c->state = CS_READING;
					c->resp = malloc(RESP_MAX);
					if (!c->resp)
						goto failed;
				} else {
					c->state = CS_HELD;
					n_held++;
					settled++;
				}
			} else if (c->state == CS_READING) {
				ssize_t r = read(c->fd, c->resp + c->resp_len, RESP_MAX - c->resp_len);
				int status = 0, done;

				if (r <= 0) {
					if (r < 0 && errno == EAGAIN)
						continue;
					if (!first_errno)
						first_errno = r < 0 ? errno : ECONNRESET;
					goto failed;
				}
				c->resp_len += (size_t)r;
				done = response_complete(c->resp, c->resp_len, &status);
				if (done == 0)
					continue;
				free(c->resp);
				c->resp = NULL;
				if (done < 0)
					goto failed;
				if (status < 200 || status > 299)
					n_non2xx++;
				c->state = CS_HELD;
				n_held++;
				settled++;
			} else if (c->state == CS_HELD) {
				char sink[512];
				ssize_t r = read(c->fd, sink, sizeof(sink));

				if (r < 0 && errno == EAGAIN)
					continue;
				if (r > 0)
					continue; /* unexpected bytes; keep holding */
				close(c->fd);
				c->state = CS_CLOSED;
				n_held--;
				n_closed++;
			}
			continue;
		failed:
			close(c->fd);
			free(c->resp);
			c->resp = NULL;
			c->state = CS_FAILED; /* in_progress was decremented on connect */
			n_failed++;
			settled++;
		}
	}
	if (stop_signal)
		fprintf(stderr, "idleconn: stopped by signal %d\n", (int)stop_signal);
	printf("done held=%d failed=%d closed_by_peer=%d non2xx=%d first_error=%s\n",
	       n_held, n_failed, n_closed, n_non2xx,
	       first_errno ? strerror(first_errno) : "none");
	fflush(stdout);
	for (i = 0; i < next; i++)
		if (conns[i].state == CS_HELD || conns[i].state == CS_CONNECTING ||
		    conns[i].state == CS_READING)
			close(conns[i].fd);
	return (ready_at && n_held == count && !n_non2xx) ? 0 : 1;
}
