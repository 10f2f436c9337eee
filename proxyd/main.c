/* proxyd: command line, start-up (configuration, resource limits,
 * listeners, daemon mode, privileges), signals (stop, soft stop, reload)
 * and the main loop. Everything else is in the modules.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include "admin/cli.h"
#include "admin/inherit.h"
#include "admin/runtime.h"
#include "backend/check.h"
#include "backend/srvconn.h"
#include "cfg/cfg.h"
#include "cfg/text.h"
#include "core/buf.h"
#include "core/ev.h"
#include "core/log.h"
#include "core/util.h"
#include "core/version.h"
#include "core/pool.h"
#include "ssl/sslsock.h"
#include "proto/http.h"
#include "proto/listener.h"
#include "proto/sess.h"
#include "proto/stream.h"
#include "script/hlua.h"
#include "core/netns.h"


static struct px_loop loop;
static struct px_io sig_io;
static struct px_timer housekeeping;
static char **cfg_args;       /* -f arguments as given */
static int ncfg_args;
static int opt_debug;

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: proxyd -f FILE [-f FILE...] [-c] [-d] [-D] [-p PIDFILE] [-q] [-v] [-vv]\n"
	        "  -f FILE     configuration file, or directory of *.cfg files (repeatable)\n"
	        "  -c          check the configuration and exit (0: valid, 1: errors)\n"
	        "  -d          stay in the foreground, diagnostics on stderr\n"
	        "  -D          run as a daemon\n"
	        "  -p PIDFILE  write the process id to PIDFILE\n"
	        "  -q          quiet: only errors on stderr\n"
	        "  -v, -vv     version, and build details\n"
	        "Signals: TERM/INT stop, USR1 soft stop (finish exchanges), USR2 reload.\n");
}

static void print_version(int verbose)
{
	printf("proxyd version %s\n", PROXYD_VERSION);
	if (!verbose)
		return;
	printf("Build: %s, C standard %ld, %s\n", __VERSION__, (long)__STDC_VERSION__,
#ifdef __SANITIZE_ADDRESS__
	       "address sanitizer"
#else
	       "release"
#endif
	       );
	printf("Event loop: epoll (edge-triggered), one thread\n");
	printf("Protocols: HTTP/1.0, HTTP/1.1, TCP\n");
	printf("Lua: %s (one state for the event loop)\n", px_lua_version());
	printf("Defaults: tune.bufsize 16384, tune.maxrewrite 1024, tune.http.maxhdr 101\n");
}

static void report(void *arg, int is_warning, const char *msg)
{
	(void)arg;
	if (is_warning && px_quiet)
		return;
	fprintf(stderr, "%s\n", msg);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Expands the -f arguments: a directory stands for its *.cfg files in
 * lexical order. Returns the number of files, or -1 on error.
 */
static int expand_files(char ***out)
{
	char **files = NULL;
	int n = 0, i;

	for (i = 0; i < ncfg_args; i++) {
		struct stat st;

		if (stat(cfg_args[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			DIR *d = opendir(cfg_args[i]);
			struct dirent *de;
			int first = n;

			if (!d) {
				fprintf(stderr, "%s: cannot read directory: %s\n", cfg_args[i],
				        strerror(errno));
				goto fail;
			}
			while ((de = readdir(d))) {
				size_t len = strlen(de->d_name);
				char **nf;

				/* As HAProxy: *.cfg files, hidden ones skipped. */
				if (len < 5 || de->d_name[0] == '.' ||
				    strcmp(de->d_name + len - 4, ".cfg"))
					continue;
				nf = realloc(files, sizeof(*files) * (n + 1));
				if (!nf) {
					closedir(d);
					goto fail;
				}
				files = nf;
				if (asprintf(&files[n], "%s/%s", cfg_args[i], de->d_name) < 0) {
					closedir(d);
					goto fail;
				}
				n++;
			}
			closedir(d);
			qsort(files + first, n - first, sizeof(*files), cmp_str);
			continue;
		}
		{
			char **nf = realloc(files, sizeof(*files) * (n + 1));

			if (!nf)
				goto fail;
			files = nf;
			files[n] = strdup(cfg_args[i]);
			if (!files[n])
				goto fail;
			n++;
		}
	}
	*out = files;
	return n;
 fail:
	while (n--)
		free(files[n]);
	free(files);
	return -1;
}

static void free_files(char **files, int n)
{
	while (n-- > 0)
		free(files[n]);
	free(files);
}

static struct px_gen *load(int check_only)
{
	char **files;
	int n = expand_files(&files);
	struct px_gen *gen;

	if (n < 0)
		return NULL;
	gen = px_cfg_load(files, n, check_only, report, NULL);
	free_files(files, n);
	return gen;
}

/* Applies the process-wide settings that may change on reload. */
static void apply_global(struct px_gen *gen)
{
	px_global_maxconn = gen->global.maxconn;
	px_log_set_tag(gen->global.log_tag ? gen->global.log_tag : "proxyd");
	px_log_set_hostname(gen->global.log_host ? gen->global.log_host : "");
}

static void raise_fd_limit(uint32_t maxconn)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)maxconn * 2 + 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur >= want)
		return;
	if (rl.rlim_max < want) {
		struct rlimit more = { want, want };

		if (setrlimit(RLIMIT_NOFILE, &more) == 0)
			return;
	}
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < want)
		px_warning("file descriptor limit %lu is low for maxconn %u; raise it "
		           "(ulimit -n) or lower maxconn", (unsigned long)rl.rlim_cur, maxconn);
}

/* A report function that also hands the messages to a command socket
 * client asking for the reload.
 */
struct report_fwd {
	void (*fn)(void *, int, const char *);
	void *arg;
};

static void report_both(void *arg, int is_warning, const char *msg)
{
	struct report_fwd *f = arg;

	report(NULL, is_warning, msg);
	if (f && f->fn)
		f->fn(f->arg, is_warning, msg);
}

static int main_prepare(struct px_gen *gen, char **err)
{
	struct px_gen *old = px_gen_cur;

	if (old) {
		if (gen->global.bufsize != old->global.bufsize ||
		    gen->global.maxrewrite != old->global.maxrewrite ||
		    gen->global.maxhdr != old->global.maxhdr ||
		    gen->global.logurilen != old->global.logurilen)
			px_warning("tune.bufsize, tune.maxrewrite, tune.http.maxhdr and "
			           "tune.http.logurilen changes take effect at the next restart");
		gen->global.bufsize = old->global.bufsize;
		gen->global.maxrewrite = old->global.maxrewrite;
		gen->global.maxhdr = old->global.maxhdr;
		gen->global.logurilen = old->global.logurilen;
	}
	if (px_listeners_open(gen, err) < 0) {
		px_gen_unref(gen);
		return -1;
	}
	if (px_cli_open(gen, err) < 0) {
		px_listeners_rollback();
		px_gen_unref(gen);
		return -1;
	}
	px_gen_inherit(gen, old);
	return 0;
}

static void main_cancel(struct px_gen *gen)
{
	px_listeners_rollback();
	px_cli_unlink_all();
	px_gen_unref(gen);
}

static void main_finish(struct px_gen *gen)
{
	raise_fd_limit(gen->global.maxconn);
	px_listeners_commit(&loop, gen);
	px_cli_commit(&loop, gen);
	apply_global(gen);
	px_check_start(&loop, gen);
	px_gen_take_idle(gen, px_gen_cur);
	px_gen_publish(gen);
	px_lua_gen_publish(gen, &loop);
	/* Frontends stopped from the command socket stay stopped. */
	px_proxies_apply_admin(&loop, gen);
}

static int main_install(struct px_gen *gen, char **err)
{
	if (main_prepare(gen, err) < 0)
		return -1;
	main_finish(gen);
	return 0;
}

static unsigned main_reload(void (*fn)(void *arg, int is_warning, const char *msg),
                           void *arg, char **err)
{
	struct report_fwd fwd = { fn, arg };
	struct px_gen *gen, *old = px_gen_cur;
	struct px_cfg_text *text;
	char *rerr = NULL;
	char **files;
	int n = expand_files(&files);

	px_notice("reloading the configuration");
	if (n < 0) {
		px_strfmt(err, "cannot list the configuration files");
		return 0;
	}
	text = px_cfg_text_read(files, n, &rerr);
	free_files(files, n);
	if (!text) {
		report_both(&fwd, 0, rerr ? rerr : "out of memory");
		free(rerr);
		gen = NULL;
	} else {
		/* Unchanged lines keep their ids (and rules their counters). */
		if (old)
			px_cfg_text_adopt_ids(text, old->text);
		gen = px_cfg_load_text(text, 0, report_both, &fwd);
	}
	if (!gen) {
		px_alert("reload failed: the configuration has errors; the running "
		         "configuration (generation %u) stays", old->id);
		px_strfmt(err, "the configuration has errors; the running configuration "
		          "(generation %u) stays", old->id);
		return 0;
	}
	if (main_install(gen, err) < 0) {
		px_alert("reload failed: %s; the running configuration (generation %u) stays",
		         *err, old->id);
		return 0;
	}
	px_notice("configuration reloaded (generation %u)", px_gen_cur->id);
	return px_gen_cur->id;
}

static const struct px_runtime_ops runtime_ops = {
	.prepare = main_prepare,
	.finish = main_finish,
	.cancel = main_cancel,
	.reload = main_reload,
};

static void reload(void)
{
	char *err = NULL;

	main_reload(NULL, NULL, &err);
	free(err);
}

static void stop(void)
{
	px_listeners_close_all(&loop);
	px_cli_close_all();
	px_sess_close_all();
	px_loop_stop(&loop);
}

static void soft_stop(void)
{
	px_notice("soft stop: finishing %u session(s)", px_sess_count());
	px_listeners_close_all(&loop);
	px_cli_close_all();
	px_sess_soft_stop();
	if (!px_sess_count())
		px_loop_stop(&loop);
}

static void signal_io(struct px_io *io, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	while (read(io->fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGINT:
		case SIGTERM:
			stop();
			return;
		case SIGUSR1:
			soft_stop();
			break;
		case SIGUSR2:
			reload();
			break;
		case SIGHUP:
			px_notice("SIGHUP ignored (SIGUSR2 reloads the configuration)");
			break;
		}
	}
}

static void housekeeping_fn(struct px_timer *t)
{
	px_pool_trim(64);
	px_ssl_housekeeping(px_gen_cur, loop.now_ms);
	if (px_stopping && !px_sess_count())
		px_loop_stop(&loop);
	px_timer_set(&loop, t, loop.now_ms + 1000);
}

static int setup_signals(void)
{
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -1;
	sig_io.fd = fd;
	sig_io.fn = signal_io;
	return px_io_add(&loop, &sig_io, EPOLLIN);
}

static int write_pidfile(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	if (write(fd, buf, n) != n) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* Forks into the background. The parent writes the child's pid to
 * <pidfd> (when >= 0) and exits 0; everything that can fail was done
 * before, so its exit status is the truth. The working directory stays, so
 * relative paths mean the same at a reload.
 */
static int daemonize(int pidfd)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -1;
	if (pid > 0) {
		if (pidfd >= 0) {
			char buf[32];
			int n = snprintf(buf, sizeof(buf), "%d\n", (int)pid);

			if (write(pidfd, buf, n) != n)
				_exit(1);
			close(pidfd);
		}
		_exit(0);
	}
	if (pidfd >= 0)
		close(pidfd);
	setsid();
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		if (!opt_debug)
			dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return 0;
}

static int drop_privileges(const struct px_global *g)
{
	if (getuid() != 0)
		return 0;
	if (g->gid >= 0) {
		if (setgroups(0, NULL) < 0 || setgid(g->gid) < 0) {
			px_alert("cannot change to group %d: %s", g->gid, strerror(errno));
			return -1;
		}
	}
	if (g->uid >= 0 && setuid(g->uid) < 0) {
		px_alert("cannot change to user %d: %s", g->uid, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *pidfile = NULL;
	int check_only = 0, daemon_mode = 0, pidfd = -1, i;
	struct px_gen *gen;
	char *err = NULL;

	cfg_args = calloc(argc, sizeof(char *));
	if (!cfg_args)
		return 1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-f") && i + 1 < argc) {
			cfg_args[ncfg_args++] = argv[++i];
		} else if (!strcmp(a, "-c")) {
			check_only = 1;
		} else if (!strcmp(a, "-d") || !strcmp(a, "-db")) {
			opt_debug = 1;
		} else if (!strcmp(a, "-D")) {
			daemon_mode = 1;
		} else if (!strcmp(a, "-p") && i + 1 < argc) {
			pidfile = argv[++i];
		} else if (!strcmp(a, "-q")) {
			px_quiet = 1;
		} else if (!strcmp(a, "-v")) {
			print_version(0);
			return 0;
		} else if (!strcmp(a, "-vv")) {
			print_version(1);
			return 0;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "proxyd: unknown or incomplete option '%s'\n", a);
			usage(stderr);
			return 1;
		}
	}
	if (!ncfg_args) {
		fprintf(stderr, "proxyd: no configuration file (-f FILE)\n");
		usage(stderr);
		return 1;
	}

	gen = load(check_only);
	if (!gen)
		return 1;
	if (check_only) {
		if (!px_quiet)
			printf("Configuration file is valid\n");
		px_gen_unref(gen);
		return 0;
	}

	if (px_buf_setup(gen->global.bufsize, gen->global.maxrewrite) < 0 ||
	    px_stream_setup(gen->global.maxhdr - 1, gen->global.logurilen) < 0 ||
	    px_http_setup(gen->global.bufsize, gen->global.maxhdr) < 0) {
		px_alert("out of memory");
		return 1;
	}
	apply_global(gen);
	raise_fd_limit(gen->global.maxconn);
	if (px_loop_init(&loop) < 0 || px_sess_init(&loop) < 0) {
		px_alert("cannot create the event loop: %s", strerror(errno));
		return 1;
	}
	if (px_listeners_open(gen, &err) < 0 || px_cli_open(gen, &err) < 0) {
		fprintf(stderr, "%s\n", err);
		free(err);
		px_listeners_rollback();
		px_gen_unref(gen);
		px_netns_close_all();
		return 1;
	}
	if (!pidfile)
		pidfile = gen->global.pidfile;
	if (pidfile) {
		/* Opened before privileges are dropped, written once the pid
		 * is known.
		 */
		pidfd = open(pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (pidfd < 0)
			px_warning("cannot write pid file '%s': %s", pidfile, strerror(errno));
	}
	if (drop_privileges(&gen->global) < 0)
		return 1;
	if (daemon_mode || gen->global.daemon) {
		if (daemonize(pidfd) < 0) {
			px_alert("cannot become a daemon: %s", strerror(errno));
			return 1;
		}
	} else if (pidfd >= 0 && write_pidfile(pidfd) < 0) {
		px_warning("cannot write pid file '%s': %s", pidfile, strerror(errno));
	}
	/* After the fork: a signalfd watched by epoll is bound to the
	 * process that registered it.
	 */
	if (setup_signals() < 0) {
		px_alert("cannot set up signal handling: %s", strerror(errno));
		return 1;
	}
	px_listeners_commit(&loop, gen);
	px_cli_commit(&loop, gen);
	px_check_start(&loop, gen);
	px_gen_publish(gen);
	px_lua_gen_publish(gen, &loop);
	px_runtime = &runtime_ops;
	px_timer_init(&housekeeping, housekeeping_fn);
	px_timer_set(&loop, &housekeeping, loop.now_ms + 1000);
	if (opt_debug)
		px_notice("proxyd %s started (pid %d)", PROXYD_VERSION, (int)getpid());

	px_loop_run(&loop);

	px_listeners_close_all(&loop);
	px_cli_close_all();
	px_sess_close_all();
	px_gen_publish(NULL);
	px_lua_gen_publish(NULL, &loop);
	px_loop_run_pending(&loop);
	px_loop_free(&loop);
	px_netns_close_all();
	close(sig_io.fd);
	free(cfg_args);
	return 0;
}
