/* libFuzzer target: px_cfg_load() (proxyd/cfg/cfg.c and every keyword
 * parser it dispatches to) on an arbitrary configuration file, in check
 * mode as "proxyd -c" runs it.
 *
 * The input is written to one temporary file per process and loaded; the
 * generation, when there is one, is freed at once. LeakSanitizer (on by
 * default) reports anything the load or the free left behind.
 *
 * Checks: a generation is returned exactly when no error was reported;
 * every report is a non-empty, NUL-terminated message shorter than the
 * 2048 bytes vreport() formats into; check mode leaves no descriptor open
 * once the generation is freed; and it leaves the flags of the process's
 * standard descriptors as they were (see README.md: "log fd@N" sets
 * O_NONBLOCK on descriptor N even in check mode, which is restored here
 * so that the fuzzer's own output keeps working, and counted).
 *
 * The pattern lists, maps, bodies and errorfiles of fuzz_files.h are
 * written to /tmp/pxfuzz-files/ first, so that inputs naming them (the
 * dictionary and the seeds do) load them.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cfg/cfg.h"
#include "fuzz.h"
#include "fuzz_files.h"

struct reports {
	int nerr;
	int nwarn;
};

static void report(void *arg, int is_warning, const char *msg)
{
	struct reports *r = arg;
	size_t len;

	CHECK(msg != NULL, "NULL message");
	len = strnlen(msg, 2048);
	CHECK(len > 0 && len < 2048, "message of %zu bytes", len);
	if (is_warning)
		r->nwarn++;
	else
		r->nerr++;
	if (getenv("CFG_LOAD_VERBOSE"))
		fprintf(stderr, "%s%s\n", is_warning ? "[warn] " : "[err] ", msg);
}

/* Open descriptors, as a count. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static char path[64];
static int path_fd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reports r = { 0 };
	struct px_gen *gen;
	char *files[1];
	int fl[3], i, fds_before;

	if (path_fd < 0) {
		fz_files_write();
		snprintf(path, sizeof(path), "/tmp/px-fuzz-cfg-%d.cfg", (int)getpid());
		path_fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		CHECK(path_fd >= 0, "cannot create %s", path);
	}
	CHECK(ftruncate(path_fd, 0) == 0, "ftruncate");
	CHECK(pwrite(path_fd, data, size, 0) == (ssize_t)size, "pwrite");
	for (i = 0; i < 3; i++)
		fl[i] = fcntl(i, F_GETFL);
	fds_before = count_fds();

	files[0] = path;
	gen = px_cfg_load(files, 1, 1, report, &r);
	CHECK((gen != NULL) == (r.nerr == 0), "generation %p with %d errors reported",
	      (void *)gen, r.nerr);
	px_gen_unref(gen);

	CHECK(count_fds() == fds_before, "%d descriptors open before the load, %d after "
	      "freeing it", fds_before, count_fds());
	for (i = 0; i < 3; i++) {
		int now = fcntl(i, F_GETFL);

		if (now != fl[i]) {
			static int told;

			if (!told++)
				fprintf(stderr, "cfg_load: descriptor %d flags changed from %#x to "
				        "%#x by a check-mode load (restored)\n", i, fl[i], now);
			fcntl(i, F_SETFL, fl[i]);
		}
	}
	return 0;
}
