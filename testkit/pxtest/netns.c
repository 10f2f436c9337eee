/* netns.c: network namespaces for scenarios.
 *
 * Owns: the steps that build a small network out of Linux network
 * namespaces ("netns", "link", "exec-in" is in run.c with "exec") and the
 * probe "skip-unless-netns"; the system name of a scenario's namespace
 * ("px<pid>-NAME", pid being the scenario process, so parallel jobs and
 * concurrent pxtest runs never collide), which {{ns:NAME}} stands for;
 * entering a namespace (setns) for a child process, a socket or a /proc
 * file; and deleting namespaces: a scenario's own at its cleanup, a dead
 * scenario's from the parent (killed jobs, interrupted runs), and those
 * left by a run that crashed, at start.
 *
 * Namespaces are made with ip(8) ("ip netns add", which also prepares
 * /var/run/netns the way every other tool expects) and deleted directly
 * (unmount and unlink, exactly what "ip netns del" does), so deletion
 * needs no helper program and cannot hang. It does not own what runs in
 * a namespace: run.c starts processes there, http.c and expect.c open
 * sockets there through px_netns_socket().
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pxtest.h"
#include "tkstr.h"

#define NETNS_NAME_MAX 24            /* NAME in "netns NAME" */
#define IP_CMD_LIMIT   5000000LL     /* one ip(8) command, at most (us) */

/* ---- names --------------------------------------------------------- */

/* Writes the system name of the scenario namespace NAME made by the
 * scenario process owner. Returns 0, or -1 when it does not fit.
 */
int px_netns_real(pid_t owner, const char *name, char *dst, size_t size)
{
	int n = snprintf(dst, size, "px%d-%s", (int)owner, name);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Returns 1 when name may name a scenario namespace. */
static int name_ok(const char *name)
{
	size_t n = strlen(name), i;

	if (!n || n > NETNS_NAME_MAX || name[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_-.", name[i]))
			return 0;
	return 1;
}

/* Finds a namespace the scenario made, by the name it gave; NULL when
 * there is none (yet).
 */
const struct px_netns *px_netns_find(struct px_ctx *ctx, const char *name)
{
	int i;

	for (i = 0; i < ctx->nnetns; i++)
		if (!strcmp(ctx->netns[i].name, name))
			return &ctx->netns[i];
	return NULL;
}

/* Looks name up as px_netns_find() does, failing the step when the
 * scenario made no such namespace.
 */
static const struct px_netns *netns_get(struct px_ctx *ctx, const char *name)
{
	const struct px_netns *ns = px_netns_find(ctx, name);

	if (!ns)
		px_fail(ctx, "no network namespace '%s' (make it first with 'netns %s')", name,
			name);
	return ns;
}

/* Finds program name in $PATH and writes its path to full. Returns 0, or
 * -1 when it is not there.
 */
int px_which(const char *name, char *full, size_t size)
{
	const char *path = getenv("PATH");

	if (strchr(name, '/')) {
		snprintf(full, size, "%s", name);
		return access(full, X_OK);
	}
	while (path && *path) {
		size_t n = strcspn(path, ":");

		if (n && n + strlen(name) + 2 < size) {
			memcpy(full, path, n);
			full[n] = '/';
			strcpy(full + n + 1, name);
			if (access(full, X_OK) == 0)
				return 0;
		}
		path += n + (path[n] == ':');
	}
	return -1;
}

/* ---- entering a namespace ------------------------------------------ */

/* Moves the calling thread into the network namespace whose file is at
 * path. Returns 0, or -1 with errno set. Meant for a child between fork()
 * and exec(); the scenario process itself stays in its namespace and uses
 * px_netns_socket() and px_netns_fopen().
 */
int px_netns_enter(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc, e;

	if (fd < 0)
		return -1;
	rc = setns(fd, CLONE_NEWNET);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* The namespace the scenario process runs in, to come back to. */
static int home_fd = -1;

/* Enters the namespace at path (NULL: stay). Returns 0, or -1 with errno
 * set and nothing changed.
 */
static int visit(const char *path)
{
	if (!path)
		return 0;
	if (home_fd < 0) {
		home_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (home_fd < 0)
			return -1;
	}
	return px_netns_enter(path);
}

/* Comes back from visit(path). Not coming back would leave every later
 * step in the wrong namespace: abort rather than go on.
 */
static void visit_end(const char *path)
{
	if (path && setns(home_fd, CLONE_NEWNET) < 0) {
		dprintf(2, "pxtest: cannot return to the scenario's network namespace: %s\n",
			strerror(errno));
		abort();
	}
}

/* socket(2) in the namespace at path (NULL: here). The socket stays in
 * that namespace for its whole life, wherever it is used from. Returns
 * the descriptor, or -1 with errno set.
 */
int px_netns_socket(const char *path, int domain, int type, int protocol)
{
	int fd, e;

	if (visit(path) < 0)
		return -1;
	fd = socket(domain, type, protocol);
	e = errno;
	visit_end(path);
	errno = e;
	return fd;
}

/* Opens a /proc/net file (/proc/thread-self/net/tcp...) as seen from the
 * namespace at path (NULL: here). Returns the stream, or NULL.
 */
FILE *px_netns_fopen(const char *path, const char *file)
{
	FILE *f;
	int e;

	if (visit(path) < 0)
		return NULL;
	f = fopen(file, "re");
	e = errno;
	visit_end(path);
	errno = e;
	return f;
}

/* ---- running ip(8) ------------------------------------------------- */

/* Runs argv (argv[0] found in $PATH) with its output in out, until the
 * monotonic time until at most. Returns its exit status (128+N for a
 * signal, 127 when it cannot run), or -1 when it had to be killed.
 */
static int run_cmd(char *const argv[], struct tk_buf *out, int64_t until)
{
	char full[4096];
	int pfd[2], status = 0, open_out = 1;
	pid_t pid, parent = getpid();

	if (px_which(argv[0], full, sizeof(full)) < 0) {
		tk_buf_printf(out, "%s: not found in PATH", argv[0]);
		return 127;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		tk_buf_printf(out, "pipe: %s", strerror(errno));
		return 127;
	}
	pid = fork();
	if (pid < 0) {
		tk_buf_printf(out, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return 127;
	}
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		dup2(in, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execv(full, argv);
		dprintf(2, "cannot execute %s: %s", full, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	while (open_out) {
		struct pollfd pf = { .fd = pfd[0], .events = POLLIN };
		int64_t left = until - tk_now_us();
		char block[4096];
		ssize_t r;

		if (left <= 0)
			break;
		if (poll(&pf, 1, (int)((left + 999) / 1000)) <= 0)
			continue;
		r = read(pfd[0], block, sizeof(block));
		if (r > 0 && out->len < 65536)
			tk_buf_add(out, block, (size_t)r);
		else if (r == 0 || (r < 0 && errno != EINTR))
			open_out = 0;
	}
	close(pfd[0]);
	if (open_out) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Runs an ip(8) command line; fails the step with its output when it
 * does not exit 0. Returns 0 or -1.
 */
static int run_ip(struct px_ctx *ctx, char *const argv[])
{
	struct tk_buf out = { 0 }, line = { 0 };
	int rc, i;

	for (i = 0; argv[i]; i++)
		tk_buf_printf(&line, "%s%s", i ? " " : "", argv[i]);
	px_trace(ctx, "%s", tk_buf_str(&line));
	rc = run_cmd(argv, &out, px_limit(ctx, tk_now_us() + IP_CMD_LIMIT));
	while (out.len && (out.data[out.len - 1] == '\n' || out.data[out.len - 1] == ' '))
		out.len--;
	if (rc < 0)
		px_fail(ctx, "'%s' did not finish within %s", tk_buf_str(&line),
			px_when(ctx, 0, IP_CMD_LIMIT));
	else if (rc)
		px_fail(ctx, "'%s' failed (exit status %d): %s", tk_buf_str(&line), rc,
			out.len ? tk_buf_str(&out) : "no message");
	tk_buf_free(&out);
	tk_buf_free(&line);
	return rc ? -1 : 0;
}

/* ---- deleting namespaces ------------------------------------------- */

/* Deletes the named namespace as "ip netns del" does: the mount that
 * keeps it is detached, then its file removed. The kernel frees the
 * namespace (and the veth ends inside it) once nothing uses it. Returns 0,
 * or -1 with errno set; a namespace that is not there is no error.
 */
static int netns_delete(const char *path)
{
	umount2(path, MNT_DETACH);
	if (unlink(path) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

/* Deletes the namespaces of scenario process owner ("px<owner>-*"), or
 * with owner 0 those of any scenario process that no longer runs (a run
 * that crashed or was killed). only_dead keeps those of a process that
 * still runs. Called by pxtest's parent process, never by a scenario.
 * Returns how many were deleted.
 */
int px_netns_remove_owned(pid_t owner, int only_dead)
{
	DIR *d = opendir(PX_NETNS_DIR);
	struct dirent *e;
	int removed = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[512], *end;
		long pid;

		if (strncmp(e->d_name, "px", 2) || !isdigit((unsigned char)e->d_name[2]))
			continue;
		pid = strtol(e->d_name + 2, &end, 10);
		if (*end != '-' || pid <= 0 || (owner && pid != owner))
			continue;
		if (only_dead && (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		snprintf(path, sizeof(path), "%s/%s", PX_NETNS_DIR, e->d_name);
		if (netns_delete(path) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

/* At the end of a scenario, once its processes are stopped: deletes the
 * veth ends it made in the root namespace, then its namespaces, newest
 * first. A failure to delete fails the scenario.
 */
void px_netns_cleanup(struct px_ctx *ctx)
{
	int i;

	for (i = ctx->nroot_links - 1; i >= 0; i--) {
		char *argv[] = { "ip", "link", "del", ctx->root_links[i], NULL };
		struct tk_buf out = { 0 };

		/* Gone already when its peer's namespace was deleted: fine.
		 * Cleanup may run past the scenario's limit: a limit of its own.
		 */
		run_cmd(argv, &out, tk_now_us() + IP_CMD_LIMIT);
		tk_buf_free(&out);
		free(ctx->root_links[i]);
	}
	free(ctx->root_links);
	ctx->root_links = NULL;
	ctx->nroot_links = 0;
	for (i = ctx->nnetns - 1; i >= 0; i--) {
		struct px_netns *ns = &ctx->netns[i];

		if (netns_delete(ns->path) < 0)
			px_fail(ctx, "cannot delete network namespace %s: %s", ns->real,
				strerror(errno));
		else
			px_trace(ctx, "deleted network namespace %s", ns->real);
		free(ns->name);
		free(ns->real);
		free(ns->path);
	}
	free(ctx->netns);
	ctx->netns = NULL;
	ctx->nnetns = 0;
}

/* ---- steps --------------------------------------------------------- */

/* netns NAME...: makes a namespace per NAME, with its loopback up. */
static int step_netns(struct px_ctx *ctx, const struct px_step *st)
{
	int i;

	for (i = 1; i < st->argc; i++) {
		const char *name = st->argv[i].s;
		char real[128], path[256];
		struct px_netns *ns;

		if (!name_ok(name))
			return px_fail(ctx, "bad namespace name '%s' (1 to %d letters, digits, '_', "
				       "'-' or '.', not starting with '-')", name, NETNS_NAME_MAX);
		if (px_netns_find(ctx, name))
			return px_fail(ctx, "network namespace '%s' is already made", name);
		px_netns_real(getpid(), name, real, sizeof(real));
		snprintf(path, sizeof(path), "%s/%s", PX_NETNS_DIR, real);
		ns = realloc(ctx->netns, sizeof(*ns) * (size_t)(ctx->nnetns + 1));
		if (!ns)
			return px_fail(ctx, "out of memory");
		ctx->netns = ns;
		/* Known before it exists, so an interrupted "ip netns add"
		 * is cleaned up too.
		 */
		ns = &ctx->netns[ctx->nnetns++];
		ns->name = strdup(name);
		ns->real = strdup(real);
		ns->path = strdup(path);
		{
			char *add[] = { "ip", "netns", "add", real, NULL };
			char *lo[] = { "ip", "-n", real, "link", "set", "lo", "up", NULL };

			if (run_ip(ctx, add) < 0 || run_ip(ctx, lo) < 0)
				return -1;
		}
	}
	return 0;
}

/* One end of a link: "NS:IF" or "NS:IF=ADDR/LEN"; NS "-" is the root
 * namespace. Points into a copy of the argument.
 */
struct link_end {
	const struct px_netns *ns;   /* NULL: the root namespace */
	char *ifname;
	char *addr;                  /* NULL: no address */
};

static int link_end_parse(struct px_ctx *ctx, const char *arg, char *copy,
			  struct link_end *e)
{
	char *colon = strchr(copy, ':'), *eq;

	if (!colon || colon == copy || !colon[1])
		return px_fail(ctx, "bad link end '%s' (expected NS:IF or NS:IF=ADDR/LEN, NS '-' "
			       "for the root namespace)", arg);
	*colon = '\0';
	e->ifname = colon + 1;
	eq = strchr(e->ifname, '=');
	e->addr = NULL;
	if (eq) {
		*eq = '\0';
		e->addr = eq + 1;
		if (!strchr(e->addr, '/'))
			return px_fail(ctx, "link end '%s': the address needs its prefix length "
				       "(10.0.1.1/24)", arg);
	}
	if (!*e->ifname || strlen(e->ifname) > 15)
		return px_fail(ctx, "link end '%s': interface names are 1 to 15 characters", arg);
	e->ns = NULL;
	if (strcmp(copy, "-") && !(e->ns = netns_get(ctx, copy)))
		return -1;
	return 0;
}

/* link NS1:IF1[=ADDR/LEN] NS2:IF2[=ADDR/LEN]: a veth pair, each end made
 * directly in its namespace (so the same interface names in several
 * scenarios never collide), both ends up, with their addresses.
 */
static int step_link(struct px_ctx *ctx, const struct px_step *st)
{
	char *copy[2] = { strdup(st->argv[1].s), strdup(st->argv[2].s) };
	struct link_end end[2];
	char *argv[16];
	int i, n = 0, rc = -1;

	if (!copy[0] || !copy[1]) {
		px_fail(ctx, "out of memory");
		goto out;
	}
	for (i = 0; i < 2; i++)
		if (link_end_parse(ctx, st->argv[1 + i].s, copy[i], &end[i]) < 0)
			goto out;
	argv[n++] = "ip";
	argv[n++] = "link";
	argv[n++] = "add";
	argv[n++] = end[0].ifname;
	if (end[0].ns) {
		argv[n++] = "netns";
		argv[n++] = end[0].ns->real;
	}
	argv[n++] = "type";
	argv[n++] = "veth";
	argv[n++] = "peer";
	argv[n++] = "name";
	argv[n++] = end[1].ifname;
	if (end[1].ns) {
		argv[n++] = "netns";
		argv[n++] = end[1].ns->real;
	}
	argv[n] = NULL;
	if (run_ip(ctx, argv) < 0)
		goto out;
	for (i = 0; i < 2; i++)
		if (!end[i].ns) {
			char **rl = realloc(ctx->root_links,
					    sizeof(*rl) * (size_t)(ctx->nroot_links + 1));

			if (!rl) {
				px_fail(ctx, "out of memory");
				goto out;
			}
			ctx->root_links = rl;
			rl[ctx->nroot_links++] = strdup(end[i].ifname);
		}
	for (i = 0; i < 2; i++) {
		char *ns = end[i].ns ? end[i].ns->real : NULL;
		char *up[] = { "ip", "-n", ns, "link", "set", end[i].ifname, "up", NULL };
		char *addr[] = { "ip", "-n", ns, "addr", "add", end[i].addr, "dev",
				 end[i].ifname, NULL };

		/* Without a namespace, "-n NS" is left out. */
		if (run_ip(ctx, ns ? up : up + 2) < 0)
			goto out;
		if (end[i].addr && run_ip(ctx, ns ? addr : addr + 2) < 0)
			goto out;
	}
	rc = 0;
out:
	free(copy[0]);
	free(copy[1]);
	return rc;
}

/* skip-unless-netns [REASON]: skips the scenario unless this process may
 * make network namespaces: root (CAP_SYS_ADMIN), ip(8) installed, a
 * kernel that has them. Tried for real: a namespace is made and deleted.
 */
static int step_skip_unless_netns(struct px_ctx *ctx, const struct px_step *st)
{
	char real[128], path[256], full[4096];
	struct tk_buf out = { 0 };
	const char *why = NULL;
	int rc;

	px_netns_real(getpid(), "probe", real, sizeof(real));
	snprintf(path, sizeof(path), "%s/%s", PX_NETNS_DIR, real);
	if (geteuid() != 0) {
		why = "not root";
	} else if (px_which("ip", full, sizeof(full)) < 0) {
		why = "no ip command (iproute2)";
	} else {
		char *add[] = { "ip", "netns", "add", real, NULL };

		rc = run_cmd(add, &out, px_limit(ctx, tk_now_us() + IP_CMD_LIMIT));
		netns_delete(path);
		while (out.len && out.data[out.len - 1] == '\n')
			out.len--;
		if (rc)
			why = tk_buf_str(&out);
	}
	if (!why) {
		tk_buf_free(&out);
		return 0;
	}
	ctx->skipped = 1;
	tk_buf_printf(&ctx->skip_reason, "%s (%s)",
		      st->rest[0] ? st->rest : "needs network namespaces",
		      why[0] ? why : "ip netns add failed");
	tk_buf_free(&out);
	return -1;
}

const struct px_cmd px_cmds_netns[] = {
	{ .name = "netns", .min_args = 1, .max_args = -1, .run = step_netns },
	{ .name = "link", .min_args = 2, .max_args = 2, .run = step_link },
	{ .name = "skip-unless-netns", .raw_rest = 1, .max_args = 0,
	  .run = step_skip_unless_netns },
	{ .name = NULL },
};
