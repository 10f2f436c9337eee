/* clispam: drives proxyd's command socket for the command-socket scenarios
 * of bench/cli.sh.
 *
 *   clispam -s SOCK -c CMD -t SECONDS
 *       runs CMD again and again (a new connection each time, as socat
 *       does) for SECONDS; prints how many times, the bytes read and the
 *       mean time per command.
 *
 *   clispam -s SOCK -n N -i MS -v 127.0.0.1:PORT -f FORMAT
 *       N times, every MS milliseconds: sends the command FORMAT with %d
 *       replaced by the iteration (1..N), expects "Committed: generation"
 *       in the answer, then sends one HTTP request to 127.0.0.1:PORT and
 *       checks that the response carries "X-Rule: <iteration>" (the rule
 *       the command just committed). Prints the commits done, those that
 *       failed, the requests that did not see their commit, and the mean
 *       and worst commit times.
 *
 * Exit status: 0 when every command (and check) succeeded, 1 otherwise,
 * 2 on a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sends <cmd> and a newline on a new connection to <path>; reads the whole
 * answer into <out> (at most <size> - 1 bytes kept, all counted). Returns
 * the bytes read, or -1.
 */
static long run_cmd(const char *path, const char *cmd, char *out, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t kept = 0;
	long total = 0;
	char buf[65536];
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    dprintf(fd, "%s\n", cmd) < 0) {
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += n;
		if (out && kept + 1 < size) {
			size_t take = (size_t)n < size - 1 - kept ? (size_t)n : size - 1 - kept;

			memcpy(out + kept, buf, take);
			kept += take;
		}
	}
	if (out)
		out[kept] = '\0';
	close(fd);
	return total;
}

/* One GET on a new connection; returns whether the head has <want>. */
static int http_check(const struct sockaddr_in *sa, const char *want)
{
	char buf[8192];
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	if (fd < 0)
		return 0;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ||
	    dprintf(fd, "GET /check HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n") < 0) {
		close(fd);
		return 0;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(buf) - 1)
			break;
	}
	buf[got] = '\0';
	close(fd);
	ok = strstr(buf, want) != NULL;
	return ok;
}

static void usage(void)
{
	fprintf(stderr, "usage: clispam -s SOCK -c CMD -t SECONDS\n"
	        "       clispam -s SOCK -n N -i MS -v 127.0.0.1:PORT -f FORMAT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *sock = NULL, *cmd = NULL, *fmt = NULL, *verify = NULL;
	double secs = 0, worst = 0, sum = 0;
	long n = 0, interval_ms = 100;
	int opt;

	while ((opt = getopt(argc, argv, "s:c:t:n:i:v:f:")) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'c': cmd = optarg; break;
		case 't': secs = atof(optarg); break;
		case 'n': n = atol(optarg); break;
		case 'i': interval_ms = atol(optarg); break;
		case 'v': verify = optarg; break;
		case 'f': fmt = optarg; break;
		default: usage();
		}
	}
	if (!sock)
		usage();
	if (cmd && secs > 0) {
		double start = now_s(), end = start + secs;
		long count = 0, bytes = 0, failed = 0;

		while (now_s() < end) {
			long r = run_cmd(sock, cmd, NULL, 0);

			if (r <= 0)
				failed++;
			else
				bytes += r;
			count++;
		}
		printf("commands %ld failed %ld bytes %ld mean_ms %.3f\n", count, failed, bytes,
		       count ? (now_s() - start) * 1000.0 / (double)count : 0.0);
		return failed ? 1 : 0;
	}
	if (fmt && n > 0 && verify) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		const char *colon = strrchr(verify, ':');
		long i, failed = 0, unseen = 0;
		char line[4096], answer[4096], want[64];

		if (!colon || inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr) != 1)
			usage();
		sa.sin_port = htons((uint16_t)atoi(colon + 1));
		for (i = 1; i <= n; i++) {
			double t0 = now_s(), dt;

			snprintf(line, sizeof(line), fmt, (int)i);
			if (run_cmd(sock, line, answer, sizeof(answer)) <= 0 ||
			    !strstr(answer, "Committed: generation")) {
				failed++;
				fprintf(stderr, "commit %ld failed: %s\n", i, answer);
			}
			dt = now_s() - t0;
			sum += dt;
			if (dt > worst)
				worst = dt;
			snprintf(want, sizeof(want), "X-Rule: %ld\r\n", i);
			if (!http_check(&sa, want))
				unseen++;
			usleep((useconds_t)interval_ms * 1000);
		}
		printf("commits %ld failed %ld unseen %ld mean_ms %.3f worst_ms %.3f\n", n, failed,
		       unseen, sum * 1000.0 / (double)n, worst * 1000.0);
		return failed || unseen ? 1 : 0;
	}
	usage();
	return 2;
}
