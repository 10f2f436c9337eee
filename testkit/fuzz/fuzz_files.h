/* Files that configurations under fuzz may name: ACL pattern lists, map
 * files, a return body and an errorfile, written once per process into
 * FZ_FILES_DIR (/tmp/pxfuzz-files) so that "-f FILE", "map(FILE)",
 * "return ... file FILE" and "errorfile CODE FILE" reach their success
 * paths. Every process writes the same bytes (each file through a
 * temporary name and rename(), so that two processes never see a half
 * file). Header only, used by cfg_load and the rules targets.
 */
#ifndef PX_FUZZ_FILES_H
#define PX_FUZZ_FILES_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FZ_FILES_DIR "/tmp/pxfuzz-files"

static const struct {
	const char *name;
	const char *text;
} fz_files[] = {
	/* ACL pattern lists (testkit/scenarios/rules/acl-flags.pxt) */
	{ "words.lst", "# words to match\nalpha\n\n   beta\n  # an indented comment\ngamma\n" },
	{ "nets.lst", "# internal networks\n10.0.0.0/8\nfd00::/8\n127.0.0.1\n" },
	{ "prefixes.lst", "/static/\n/img/\n" },
	{ "regs.lst", "^/api/v[0-9]+/\n(?i)\\.php$\n" },
	{ "ints.lst", "1\n10:20\n100:\n" },
	/* maps: key value */
	{ "hosts.map", "# host -> backend\nwww.example.com be_web\napi.example.com be_api\n"
	               "example.com be_legacy\n.example.org be_static\n" },
	{ "paths.map", "/api/ be_api\n/static/ be_static\n/img be_static\n/ be_web\n" },
	{ "nets.map", "10.0.0.0/8 internal\n127.0.0.0/8 local\n192.168.0.0/16 lan\n"
	              "::1 local6\n2001:db8::/32 doc6\n" },
	{ "re.map", "^/u/([a-z]+)/(.*)$ user-\\1\n(?i)^/admin admin\n\\.(png|jpg)$ image\n" },
	{ "int.map", "200 ok\n404 missing\n1 one\n" },
	{ "num.map", "a 1\nb 2\nc -3\n" },
	{ "empty.map", "" },
	/* bodies */
	{ "body.txt", "a body from a file\n" },
	{ "lf.txt", "path=%[path] host=%[req.hdr(host)] q=%{+Q}[query]\n" },
	{ "503.http", "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
	              "Content-Length: 5\r\nX-Err: file\r\n\r\nsorry" },
	{ "403.http", "HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\n\r\nno\n" },
};

static void fz_files_write(void)
{
	static int done;
	char tmp[256], dst[256];
	size_t i;

	if (done++)
		return;
	if (mkdir(FZ_FILES_DIR, 0755) < 0 && errno != EEXIST)
		return;
	for (i = 0; i < sizeof(fz_files) / sizeof(fz_files[0]); i++) {
		size_t len = strlen(fz_files[i].text);
		int fd;

		snprintf(tmp, sizeof(tmp), "%s/.%s.%d", FZ_FILES_DIR, fz_files[i].name,
		         (int)getpid());
		snprintf(dst, sizeof(dst), "%s/%s", FZ_FILES_DIR, fz_files[i].name);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			continue;
		if (write(fd, fz_files[i].text, len) != (ssize_t)len) {
			close(fd);
			unlink(tmp);
			continue;
		}
		close(fd);
		if (rename(tmp, dst) < 0)
			unlink(tmp);
	}
}

#endif
