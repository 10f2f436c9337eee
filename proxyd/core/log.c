/* Log targets: parsing "log" lines, opening their sockets, putting the
 * syslog header of the chosen format in front of a message and sending it
 * without ever blocking (a message that cannot be sent at once is dropped
 * and counted). Also the process's own diagnostics on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "core/log.h"
#include "core/net.h"
#include "core/util.h"

int px_quiet;
static char log_tag[64] = "proxyd";
static char log_host[128] = "";

static const char *const facilities[24] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "auth2", "ftp", "ntp", "audit", "alert", "cron2",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
};

static const char *const levels[8] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

static const char *const formats[] = {
	[PX_LOGF_LOCAL] = "local", [PX_LOGF_RFC3164] = "rfc3164",
	[PX_LOGF_RFC5424] = "rfc5424", [PX_LOGF_PRIORITY] = "priority",
	[PX_LOGF_SHORT] = "short", [PX_LOGF_TIMED] = "timed",
	[PX_LOGF_ISO] = "iso", [PX_LOGF_RAW] = "raw",
};

void px_log_set_tag(const char *tag)
{
	snprintf(log_tag, sizeof(log_tag), "%s", tag);
}

void px_log_set_hostname(const char *name)
{
	snprintf(log_host, sizeof(log_host), "%s", name);
}

static int find_word(const char *w, const char *const *list, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (list[i] && !strcmp(w, list[i]))
			return i;
	return -1;
}

/* Parses the arguments of a "log" line after the keyword:
 *   TARGET [len N] [format F] FACILITY [MAXLEVEL [MINLEVEL]]
 * and, unless <check_only>, opens what the target needs. Returns a new
 * logger, or NULL with a message in <err>.
 */
struct px_logger *px_logger_parse(char **args, int nargs, int check_only, char **err)
{
	struct px_logger *lg;
	const char *target;
	int i = 1;

	if (nargs < 2) {
		px_strfmt(err, "expects a target (stdout, stderr, ADDR[:PORT], "
		          "/path or fd@N) and a facility");
		return NULL;
	}
	lg = calloc(1, sizeof(*lg));
	if (!lg) {
		px_strfmt(err, "out of memory");
		return NULL;
	}
	lg->fd = -1;
	lg->maxlevel = PX_LOG_DEBUG;
	lg->minlevel = PX_LOG_EMERG;
	lg->maxlen = 1024;
	target = args[0];
	lg->target = strdup(target);

	while (i < nargs && (!strcmp(args[i], "len") || !strcmp(args[i], "format"))) {
		if (i + 1 >= nargs) {
			px_strfmt(err, "'%s' expects a value", args[i]);
			goto fail;
		}
		if (!strcmp(args[i], "len")) {
			uint64_t v;

			if (px_parse_uint(args[i + 1], 65535, &v) < 0 || v < 80) {
				px_strfmt(err, "invalid log length '%s' (80 to 65535)", args[i + 1]);
				goto fail;
			}
			lg->maxlen = (int)v;
		} else {
			int f = find_word(args[i + 1], formats, PX_ARRAY_SIZE(formats));

			if (f < 0) {
				px_strfmt(err, "unknown log format '%s' (local, rfc3164, rfc5424, "
				          "priority, short, timed, iso or raw)", args[i + 1]);
				goto fail;
			}
			lg->format = f;
		}
		i += 2;
	}
	if (i >= nargs) {
		px_strfmt(err, "missing facility after log target '%s'", target);
		goto fail;
	}
	lg->facility = find_word(args[i], facilities, 24);
	if (lg->facility < 0) {
		const char *near = px_closest(args[i], facilities, 24);

		px_strfmt(err, "unknown log facility '%s'%s%s%s", args[i],
		          near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
		goto fail;
	}
	i++;
	if (i < nargs) {
		lg->maxlevel = find_word(args[i], levels, 8);
		if (lg->maxlevel < 0) {
			px_strfmt(err, "unknown log level '%s'", args[i]);
			goto fail;
		}
		i++;
	}
	if (i < nargs) {
		lg->minlevel = find_word(args[i], levels, 8);
		if (lg->minlevel < 0) {
			px_strfmt(err, "unknown log level '%s'", args[i]);
			goto fail;
		}
		i++;
	}
	if (i < nargs) {
		px_strfmt(err, "unexpected argument '%s'", args[i]);
		goto fail;
	}

	if (!strcmp(target, "stdout") || !strcmp(target, "stderr") ||
	    !strncmp(target, "fd@", 3)) {
		uint64_t fd = !strcmp(target, "stdout") ? 1 : 2;

		if (target[0] == 'f' && px_parse_uint(target + 3, 65535, &fd) < 0) {
			px_strfmt(err, "invalid file descriptor in '%s'", target);
			goto fail;
		}
		lg->dest = PX_LOGD_FD;
		lg->fd = (int)fd;
		if (!check_only) {
			/* A pipe or socket reader that stalls must not stall the
			 * event loop: writes to those are made non-blocking (a
			 * message that does not fit is dropped and counted).
			 * Terminals and regular files are left as they are.
			 */
			struct stat st;

			if (!fstat(lg->fd, &st) && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
				int fl = fcntl(lg->fd, F_GETFL);

				if (fl >= 0)
					fcntl(lg->fd, F_SETFL, fl | O_NONBLOCK);
			}
		}
		return lg;
	}

	lg->dest = PX_LOGD_DGRAM;
	if (!strncmp(target, "udp@", 4))
		target += 4;
	if (px_addr_parse(target, &lg->addr, &lg->addrlen, PX_ADDR_PORT_OPTIONAL,
	                  514, err) < 0)
		goto fail;
	if (check_only)
		return lg;   /* proxyd -c opens nothing */
	lg->fd = socket(lg->addr.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lg->fd < 0) {
		px_strfmt(err, "cannot create a socket for log target '%s': %s",
		          lg->target, strerror(errno));
		goto fail;
	}
	lg->owns_fd = 1;
	return lg;
 fail:
	px_logger_free(lg);
	return NULL;
}

void px_logger_free(struct px_logger *lg)
{
	if (!lg)
		return;
	if (lg->owns_fd && lg->fd >= 0)
		close(lg->fd);
	free(lg->target);
	free(lg);
}

/* Builds the header of <lg>'s format for a message of <level> at <tv> into
 * <out> (at least 256 bytes). Returns its length.
 */
static size_t build_header(const struct px_logger *lg, int level,
                           const struct timeval *tv, char *out)
{
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
	};
	int pri = lg->facility * 8 + level;
	struct tm tm;
	size_t n = 0;
	char iso[64];

	localtime_r(&tv->tv_sec, &tm);
	if (lg->format == PX_LOGF_RFC5424 || lg->format == PX_LOGF_TIMED ||
	    lg->format == PX_LOGF_ISO) {
		char tz[8];
		size_t k;

		k = strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S", &tm);
		strftime(tz, sizeof(tz), "%z", &tm);
		snprintf(iso + k, sizeof(iso) - k, ".%06ld%.3s:%s",
		         (long)tv->tv_usec, tz, tz + 3);
	}

	switch (lg->format) {
	case PX_LOGF_LOCAL:
	case PX_LOGF_RFC3164:
		n = snprintf(out, 256, "<%d>%s %2d %02d:%02d:%02d %s%s%s[%d]: ",
		             pri, months[tm.tm_mon], tm.tm_mday, tm.tm_hour,
		             tm.tm_min, tm.tm_sec,
		             lg->format == PX_LOGF_RFC3164 ? log_host : "",
		             lg->format == PX_LOGF_RFC3164 && log_host[0] ? " " : "",
		             log_tag, (int)getpid());
		break;
	case PX_LOGF_RFC5424:
		n = snprintf(out, 256, "<%d>1 %s %s %s %d - - ", pri, iso,
		             log_host[0] ? log_host : "-", log_tag, (int)getpid());
		break;
	case PX_LOGF_PRIORITY:
		n = snprintf(out, 256, "<%d>", pri);
		break;
	case PX_LOGF_SHORT:
		n = snprintf(out, 256, "<%d>", level);
		break;
	case PX_LOGF_TIMED:
		n = snprintf(out, 256, "<%d>%s ", level, iso);
		break;
	case PX_LOGF_ISO:
		n = snprintf(out, 256, "%s ", iso);
		break;
	case PX_LOGF_RAW:
		break;
	}
	return n < 256 ? n : 255;
}

/* Sends <msg> (no trailing newline) at <level> to each of the <nloggers>,
 * each with its own header, truncation and level filter. Never blocks.
 */
void (*px_log_tap)(const char *msg, size_t len);

void px_log_send(struct px_logger *const *loggers, int nloggers, int level,
                 const struct timeval *tv, const char *msg, size_t len)
{
	int i;

	for (i = 0; i < nloggers; i++) {
		struct px_logger *lg = loggers[i];
		char hdr[256];
		struct iovec iov[3];
		size_t hlen, mlen;
		int lvl = level;
		ssize_t ret;

		if (lvl > lg->maxlevel)
			continue;
		if (lvl < lg->minlevel)
			lvl = lg->minlevel;
		hlen = build_header(lg, lvl, tv, hdr);
		mlen = len;
		if (hlen + mlen + 1 > (size_t)lg->maxlen)
			mlen = (size_t)lg->maxlen > hlen + 1 ? lg->maxlen - hlen - 1 : 0;
		iov[0].iov_base = hdr;
		iov[0].iov_len = hlen;
		iov[1].iov_base = (void *)msg;
		iov[1].iov_len = mlen;
		iov[2].iov_base = "\n";
		iov[2].iov_len = 1;
		if (lg->dest == PX_LOGD_FD) {
			ret = writev(lg->fd, iov, 3);
		} else {
			struct msghdr mh = {
				.msg_name = &lg->addr, .msg_namelen = lg->addrlen,
				.msg_iov = iov, .msg_iovlen = 3,
			};

			ret = sendmsg(lg->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		}
		if (ret < 0)
			lg->dropped++;
	}
}

static void diag(const char *level, const char *fmt, va_list ap)
{
	char buf[2048];
	int n;

	if (px_quiet && strcmp(level, "ALERT"))
		return;
	n = snprintf(buf, sizeof(buf), "[%s] (%d) : ", level, (int)getpid());
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	if (px_log_tap)
		px_log_tap(buf, (size_t)n);
	buf[n++] = '\n';
	if (write(2, buf, n) < 0)
		return;
}

void px_alert(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag("ALERT", fmt, ap);
	va_end(ap);
}

void px_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag("WARNING", fmt, ap);
	va_end(ap);
}

void px_notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag("NOTICE", fmt, ap);
	va_end(ap);
}
