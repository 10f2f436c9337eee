/* acceptcount: an LD_PRELOAD shim that counts the connections a process
 * accepts, so bench/run.sh can tell how many server connections a proxy
 * opened to the origin. It wraps accept() and accept4() and adds one to a
 * 64-bit counter kept in the file named by $BENCH_ACCEPT_COUNTER (mapped
 * shared, so the count can be read with od while the process runs).
 *
 * It is loaded into the origin (fakesrv) only, never into a measured proxy.
 * Without the variable, or if the file cannot be mapped, it counts nothing.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

typedef int (*accept4_fn)(int, struct sockaddr *, socklen_t *, int);
typedef int (*accept_fn)(int, struct sockaddr *, socklen_t *);

static uint64_t *counter;
static accept4_fn real_accept4;
static accept_fn real_accept;

__attribute__((constructor)) static void acceptcount_init(void)
{
	const char *path = getenv("BENCH_ACCEPT_COUNTER");
	void *map;
	int fd;

	real_accept4 = (accept4_fn)dlsym(RTLD_NEXT, "accept4");
	real_accept = (accept_fn)dlsym(RTLD_NEXT, "accept");
	if (!path)
		return;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (ftruncate(fd, sizeof(*counter)) == 0) {
		map = mmap(NULL, sizeof(*counter), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map != MAP_FAILED)
			counter = map;
	}
	close(fd);
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	int ret = real_accept4(fd, addr, len, flags);

	if (ret >= 0 && counter)
		__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
	return ret;
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	int ret = real_accept(fd, addr, len);

	if (ret >= 0 && counter)
		__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
	return ret;
}
