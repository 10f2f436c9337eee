/* main.c: pxtest's command line and scheduler.
 *
 * Owns: finding scenario files, running each in its own forked process
 * (N at a time, each with a private temp dir and its own slice of the port
 * range), collecting what they report over a pipe, printing one line per
 * scenario and the summary, and the backstop: a scenario process that
 * outlives its time limit plus a grace period is killed together with
 * everything it started, and its network namespaces are deleted (as are
 * those of a scenario that ended without cleaning up, of every scenario
 * when pxtest is interrupted, and at start those of runs that died).
 * Running one scenario is run.c's job. Before the
 * first scenario that uses {{certs}}, it runs certs/gen.sh once to make
 * sure the test PKI is there.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pxtest.h"
#include "tkstr.h"

#define PORT_RANGE_LO 10000
#define PORT_RANGE_HI 30000
#define MAX_JOBS      64
#define GRACE_US      (10 * 1000000LL)   /* cleanup time past the limit */

/* One scenario being run. */
struct job {
	pid_t pid;                   /* 0: slot free */
	int fd;                      /* report pipe */
	int idx;                     /* index in the scenario list */
	int64_t start, backstop;
	char tmp[PATH_MAX];
	struct tk_buf partial;       /* an incomplete report line */
	struct tk_buf msg, excerpt;  /* M and X lines */
	char *name;                  /* from an N line */
	char result[8];              /* from the R line */
	int killed;                  /* the backstop fired */
};

static struct {
	int jobs, verbose, keep;
	const char *proxyd, *fakesrv, *certs;
	char **files;
	char **labels;               /* display names */
	int nfiles;
	int passed, failed, skipped;
	int port_cursor[MAX_JOBS];
	char root[PATH_MAX];
} g = { .jobs = 4 };

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	interrupted = 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_file(const char *path, const char *label)
{
	g.files = realloc(g.files, sizeof(*g.files) * (size_t)(g.nfiles + 1));
	g.labels = realloc(g.labels, sizeof(*g.labels) * (size_t)(g.nfiles + 1));
	g.files[g.nfiles] = strdup(path);
	g.labels[g.nfiles] = strdup(label);
	g.nfiles++;
}

/* Adds every *.pxt under dir, labelled by their path below base. */
static void walk(const char *dir, size_t base_len)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;
		size_t nl = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk(path, base_len);
		} else if (nl > 4 && !strcmp(e->d_name + nl - 4, ".pxt")) {
			char label[PATH_MAX];

			snprintf(label, sizeof(label), "%.*s", (int)(strlen(path) - base_len - 4),
				 path + base_len);
			add_file(path, label);
		}
	}
	closedir(d);
}

/* Resolves a tool path to an absolute one (it may not exist yet). */
static const char *abs_tool(const char *p)
{
	char *r = realpath(p, NULL);

	if (r)
		return r;
	if (p[0] == '/' || asprintf(&r, "%s/%s", g.root, p) < 0)
		return p;
	return r;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

/* Kills what a scenario process started, then the process itself. Called
 * before it is reaped, so its PID is still its own. What it started is
 * found in /proc: its children (orphans reparented to it too, as it is a
 * child subreaper) and members of its process group; a child leading its
 * own group (an exec step's shell) has its group killed with it.
 */
static void job_kill(struct job *j)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char stat_path[300], line[512];
		long pid = strtol(e->d_name, NULL, 10), ppid = 0, pgrp = 0;
		FILE *sf;

		if (pid <= 0 || pid == j->pid)
			continue;
		snprintf(stat_path, sizeof(stat_path), "/proc/%ld/stat", pid);
		sf = fopen(stat_path, "r");
		if (!sf)
			continue;
		if (fgets(line, sizeof(line), sf)) {
			char *rp = strrchr(line, ')');

			if (rp)
				sscanf(rp + 2, "%*c %ld %ld", &ppid, &pgrp);
		}
		fclose(sf);
		if (ppid != j->pid && pgrp != j->pid)
			continue;
		if (pgrp == pid)
			kill((pid_t)-pid, SIGKILL);
		kill((pid_t)pid, SIGKILL);
	}
	if (d)
		closedir(d);
	kill(-j->pid, SIGKILL);
	kill(j->pid, SIGKILL);
}

static void print_indented(const struct tk_buf *b)
{
	size_t i = 0;

	while (i < b->len) {
		const char *nl = memchr(b->data + i, '\n', b->len - i);
		size_t e = nl ? (size_t)(nl - b->data) : b->len;

		printf("    %.*s\n", (int)(e - i), b->data + i);
		i = e + 1;
	}
}

/* Handles one report line from a scenario process. */
static void job_line(struct job *j, const char *line, size_t n)
{
	const char *text = n > 2 ? line + 2 : "";
	size_t tl = n > 2 ? n - 2 : 0;

	switch (line[0]) {
	case 'T': {
		long long us = atoll(text);

		if (us > 0)
			j->backstop = j->start + us + GRACE_US;
		break;
	}
	case 'N':
		free(j->name);
		j->name = strndup(text, tl);
		break;
	case 'V':
		printf("[%s] %.*s\n", j->name ? j->name : g.labels[j->idx], (int)tl, text);
		fflush(stdout);
		break;
	case 'R':
		snprintf(j->result, sizeof(j->result), "%.*s", (int)(tl < 7 ? tl : 7), text);
		break;
	case 'M':
		if (j->msg.len)
			tk_buf_addc(&j->msg, '\n');
		tk_buf_add(&j->msg, text, tl);
		break;
	case 'X':
		tk_buf_add(&j->excerpt, text, tl);
		tk_buf_addc(&j->excerpt, '\n');
		break;
	default:
		break;
	}
}

/* Reads what a scenario process sent. Returns 0 at EOF. */
static int job_read(struct job *j)
{
	char block[8192];
	ssize_t r = read(j->fd, block, sizeof(block));
	size_t i = 0;

	if (r < 0)
		return errno == EINTR || errno == EAGAIN;
	if (r == 0)
		return 0;
	tk_buf_add(&j->partial, block, (size_t)r);
	while (i < j->partial.len) {
		const char *nl = memchr(j->partial.data + i, '\n', j->partial.len - i);

		if (!nl)
			break;
		job_line(j, j->partial.data + i, (size_t)(nl - j->partial.data) - i);
		i = (size_t)(nl - j->partial.data) + 1;
	}
	tk_buf_consume(&j->partial, i);
	return 1;
}

/* Prints the outcome of a finished job and frees its slot. */
static void job_finish(struct job *j, int status)
{
	const char *name = j->name ? j->name : g.labels[j->idx];
	double secs = (tk_now_us() - j->start) / 1e6;
	char how[128];

	if (j->killed) {
		printf("FAIL %s: %s: timed out: the scenario process was killed %.1fs after it "
		       "started\n", name, g.files[j->idx], secs);
		if (j->msg.len || j->excerpt.len) {
			print_indented(&j->msg);
			print_indented(&j->excerpt);
		}
		g.failed++;
	} else if (!strcmp(j->result, "ok")) {
		printf("ok   %s (%.2fs)\n", name, secs);
		g.passed++;
	} else if (!strcmp(j->result, "skip")) {
		printf("skip %s: %s\n", name, tk_buf_str(&j->msg));
		g.skipped++;
	} else if (!strcmp(j->result, "fail")) {
		printf("FAIL %s: %s\n", name, tk_buf_str(&j->msg));
		print_indented(&j->excerpt);
		g.failed++;
	} else {
		px_status_str(status, how, sizeof(how));
		printf("FAIL %s: %s: the scenario process died without a report (%s)\n", name,
		       g.files[j->idx], how);
		g.failed++;
	}
	if (g.keep)
		printf("    kept: %s\n", j->tmp);
	else
		nftw(j->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	fflush(stdout);
	close(j->fd);
	tk_buf_free(&j->partial);
	tk_buf_free(&j->msg);
	tk_buf_free(&j->excerpt);
	free(j->name);
	memset(j, 0, sizeof(*j));
}

/* Starts scenario idx in job slot s. Returns 0 or -1. */
static int job_start(struct job *j, int s, int idx)
{
	const char *tmpdir = getenv("TMPDIR");
	struct px_env env = { 0 };
	int pfd[2], span = (PORT_RANGE_HI - PORT_RANGE_LO) / g.jobs;
	pid_t pid;

	memset(j, 0, sizeof(*j));
	snprintf(j->tmp, sizeof(j->tmp), "%s/pxtest-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(j->tmp) || pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	env.proxyd = g.proxyd;
	env.fakesrv = g.fakesrv;
	env.root = g.root;
	env.tmp = j->tmp;
	env.certs = g.certs;
	env.verbose = g.verbose;
	env.port_lo = PORT_RANGE_LO + s * span;
	env.port_hi = env.port_lo + span;
	env.port_cursor = env.port_lo + g.port_cursor[s] % span;
	g.port_cursor[s] += 40;   /* the next scenario here starts further on */
	env.report_fd = pfd[1];
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		close(pfd[0]);
		_exit(px_run_scenario(g.files[idx], &env));
	}
	setpgid(pid, pid);
	close(pfd[1]);
	j->pid = pid;
	j->fd = pfd[0];
	j->idx = idx;
	j->start = tk_now_us();
	j->backstop = j->start + PX_DEFAULT_TIMEOUT + GRACE_US;
	return 0;
}

/* Returns 1 when the file at path mentions {{certs}}. */
static int uses_certs(const char *path)
{
	struct tk_buf text = { 0 };
	char block[65536];
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC), found;

	if (fd < 0)
		return 0;
	while ((r = read(fd, block, sizeof(block))) > 0)
		tk_buf_add(&text, block, (size_t)r);
	close(fd);
	found = text.len && memmem(text.data, text.len, "{{certs}}", 9) != NULL;
	tk_buf_free(&text);
	return found;
}

/* When a scenario uses {{certs}} and the project root has certs/gen.sh,
 * runs it once on the certs directory (it does nothing, quickly, when the
 * PKI is already complete). Its messages go to stderr. Returns 0, or -1
 * after printing a FAIL line.
 */
static int certs_prepare(void)
{
	char gen[PATH_MAX + 32], how[128];
	int i, status = 0;
	pid_t pid;

	for (i = 0; i < g.nfiles && !uses_certs(g.files[i]); i++)
		;
	snprintf(gen, sizeof(gen), "%s/certs/gen.sh", g.root);
	if (i == g.nfiles || access(gen, R_OK) < 0)
		return 0;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("FAIL certs: cannot run %s: %s\n", gen, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		dup2(2, 1);
		execl("/bin/sh", "sh", gen, g.certs, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	px_status_str(status, how, sizeof(how));
	printf("FAIL certs: %s %s failed (%s): the scenarios using {{certs}} will fail\n",
	       gen, g.certs, how);
	return -1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: pxtest [-j N] [-v] [-k] [--proxyd PATH] [--fakesrv PATH] [--certs DIR] PATH...\n"
		"  PATH      .pxt files, or directories searched for *.pxt\n"
		"  -j N      run N scenarios at a time (default 4)\n"
		"  -v        trace every step\n"
		"  -k        keep each scenario's temp dir and print its path\n"
		"  --proxyd PATH, --fakesrv PATH   the binaries to test with\n"
		"  --certs DIR   the test PKI for {{certs}} (default $PXTEST_CERTS, else\n"
		"                certs/out), made there by certs/gen.sh when needed\n"
		"See docs/testkit.md for the scenario language.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct job jobs[MAX_JOBS];
	struct sigaction sa = { .sa_handler = on_interrupt };
	int i, next = 0, running = 0, bad_paths = 0;

	if (!getcwd(g.root, sizeof(g.root)))
		return 2;
	g.proxyd = getenv("PROXYD") ? getenv("PROXYD") : "proxyd/proxyd";
	g.fakesrv = getenv("FAKESRV") ? getenv("FAKESRV") : "testkit/fakesrv/fakesrv";
	g.certs = getenv("PXTEST_CERTS") && *getenv("PXTEST_CERTS") ? getenv("PXTEST_CERTS") :
		"certs/out";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-j") && i + 1 < argc) {
			g.jobs = atoi(argv[++i]);
		} else if (!strncmp(a, "-j", 2) && a[2]) {
			g.jobs = atoi(a + 2);
		} else if (!strcmp(a, "-v")) {
			g.verbose = 1;
		} else if (!strcmp(a, "-k")) {
			g.keep = 1;
		} else if (!strcmp(a, "--proxyd") && i + 1 < argc) {
			g.proxyd = argv[++i];
		} else if (!strcmp(a, "--fakesrv") && i + 1 < argc) {
			g.fakesrv = argv[++i];
		} else if (!strcmp(a, "--certs") && i + 1 < argc) {
			g.certs = argv[++i];
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help") || a[0] == '-') {
			usage();
		} else {
			struct stat st;
			size_t before = (size_t)g.nfiles;

			if (stat(a, &st) < 0) {
				printf("FAIL %s: no such file or directory\n", a);
				bad_paths++;
			} else if (S_ISDIR(st.st_mode)) {
				char *d = strdup(a);
				size_t bl = strlen(d);

				while (bl > 1 && d[bl - 1] == '/')
					d[--bl] = '\0';
				walk(d, bl + 1);
				free(d);
				qsort(g.files + before, (size_t)g.nfiles - before, sizeof(char *), cmp_str);
				/* labels follow their files: rebuild them in the same order */
				for (int k = (int)before; k < g.nfiles; k++) {
					const char *f = g.files[k];

					free(g.labels[k]);
					g.labels[k] = strndup(f + bl + 1, strlen(f) - bl - 5);
				}
			} else {
				const char *base = strrchr(a, '/') ? strrchr(a, '/') + 1 : a;
				size_t bl = strlen(base);

				add_file(a, "");
				free(g.labels[g.nfiles - 1]);
				g.labels[g.nfiles - 1] = strndup(base, bl > 4 &&
					!strcmp(base + bl - 4, ".pxt") ? bl - 4 : bl);
			}
		}
	}
	if (g.jobs < 1)
		g.jobs = 1;
	if (g.jobs > MAX_JOBS)
		g.jobs = MAX_JOBS;
	if (!g.nfiles && !bad_paths)
		usage();
	g.proxyd = abs_tool(g.proxyd);
	g.fakesrv = abs_tool(g.fakesrv);
	g.certs = abs_tool(g.certs);
	/* pxsh and ptydrv are only run by exec steps: they get them from the
	 * environment, as absolute paths ($PXSH, $PTYDRV, else the normal
	 * build's binaries).
	 */
	{
		static const char *pxsh, *ptydrv;   /* kept, as g's paths are */

		pxsh = abs_tool(getenv("PXSH") && *getenv("PXSH") ? getenv("PXSH") : "pxsh/pxsh");
		ptydrv = abs_tool(getenv("PTYDRV") && *getenv("PTYDRV") ? getenv("PTYDRV") :
				  "testkit/ptydrv/ptydrv");
		setenv("PXSH", pxsh, 1);
		setenv("PTYDRV", ptydrv, 1);
	}
	if (certs_prepare() < 0)
		g.failed++;
	/* Network namespaces left by a run that was killed outright. */
	px_netns_remove_owned(0, 1);
	for (i = 0; i < g.jobs; i++)
		g.port_cursor[i] = (int)((unsigned)getpid() * 7919u % 4000u);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	memset(jobs, 0, sizeof(jobs));

	while ((next < g.nfiles || running) && !interrupted) {
		struct pollfd pf[MAX_JOBS];
		int slot_of[MAX_JOBS], n = 0;
		int64_t now, soonest = 0;

		for (i = 0; i < g.jobs && next < g.nfiles; i++) {
			if (jobs[i].pid)
				continue;
			if (job_start(&jobs[i], i, next) < 0) {
				printf("FAIL %s: cannot start: %s\n", g.labels[next], strerror(errno));
				g.failed++;
			} else {
				running++;
			}
			next++;
		}
		for (i = 0; i < g.jobs; i++) {
			if (!jobs[i].pid)
				continue;
			pf[n] = (struct pollfd){ .fd = jobs[i].fd, .events = POLLIN };
			slot_of[n++] = i;
			if (!soonest || jobs[i].backstop < soonest)
				soonest = jobs[i].backstop;
		}
		if (!n)
			continue;
		now = tk_now_us();
		poll(pf, (nfds_t)n, soonest > now ? (int)((soonest - now + 999) / 1000) : 0);
		for (i = 0; i < n; i++) {
			struct job *j = &jobs[slot_of[i]];
			int status = 0;

			if ((pf[i].revents & (POLLIN | POLLHUP | POLLERR)) && job_read(j))
				continue;
			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) {
				if (tk_now_us() < j->backstop)
					continue;
				job_kill(j);
				j->killed = 1;
			}
			/* A scenario that finished cleaned up after itself; only a
			 * killed one (above, before it was reaped, so its PID is
			 * still its own) needed us to do it. Its network namespaces
			 * too: they are named after its PID, still its own while
			 * it is not reaped.
			 */
			px_netns_remove_owned(j->pid, 0);
			while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR)
				;
			job_finish(j, status);
			running--;
		}
	}
	if (interrupted) {
		for (i = 0; i < g.jobs; i++) {
			if (!jobs[i].pid)
				continue;
			job_kill(&jobs[i]);
			px_netns_remove_owned(jobs[i].pid, 0);
			waitpid(jobs[i].pid, NULL, 0);
			if (!g.keep)
				nftw(jobs[i].tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
			close(jobs[i].fd);
			tk_buf_free(&jobs[i].partial);
			tk_buf_free(&jobs[i].msg);
			tk_buf_free(&jobs[i].excerpt);
			free(jobs[i].name);
			g.failed++;
		}
		printf("interrupted\n");
	}
	g.failed += bad_paths;
	printf("%d passed, %d failed, %d skipped\n", g.passed, g.failed, g.skipped);
	return g.failed ? 1 : 0;
}
