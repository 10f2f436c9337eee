/* Network placement of sockets: network namespaces (by name, as "ip netns"
 * makes them under /var/run/netns), and the socket options the "bind"
 * line sets: interface, transparent, v4v6/v6only, defer-accept, mss, tfo.
 * Errors name what is missing (a capability, kernel support) so that the
 * configuration line can say it; nothing falls back silently.
 */
#ifndef PX_CORE_NETNS_H
#define PX_CORE_NETNS_H

#include "core/netns-t.h"

/* A socket of <family> and <type> in namespace <ns> (NULL: proxyd's own).
 * Returns the descriptor, or -1 with <err> set.
 */
int px_netns_socket(const char *ns, int family, int type, char **err);

/* The value of the integer sysctl <name> ("net.ipv4.tcp_fastopen") as
 * namespace <ns> (NULL: proxyd's own) sees it, or -1 when unreadable.
 */
long px_netns_sysctl(const char *ns, const char *name);

/* Applies <o> to the listening socket <fd> of <family> before bind().
 * Returns 0, or -1 with <err> saying which option failed and why.
 */
int px_sockopts_apply(int fd, int family, const struct px_sockopts *o, char **err);

/* Changes the options of the listening socket <fd> from <from> to <to>,
 * in place (the socket keeps its address and its accept queue). Not for
 * the namespace or v6only/v4v6, which a socket keeps for life. Returns 0,
 * or -1 with <err> (what was already changed stays so).
 */
int px_sockopts_change(int fd, int family, const struct px_sockopts *from,
                       const struct px_sockopts *to, char **err);

/* What the kernel said, as advice: "needs CAP_NET_ADMIN"... */
const char *px_netns_why(int err, const char *what);

/* "source ADDR[:PORT] [usesrc clientip|client|ADDR[:PORT]] [interface
 * NAME]" from args[0] ("source"); <*used> tells how many words it took.
 * <dup> copies strings into the configuration's memory. Returns 0, or -1
 * with <err> set.
 */
int px_source_parse(struct px_source *src, char **args, int nargs, int *used,
                    char *(*dup)(void *, const char *), void *arg, char **err);

/* Binds the server socket <fd> as <src> says, for the connection of the
 * client at <client>. Returns 0, or -1 with <err> set.
 */
struct sockaddr;
int px_source_bind(int fd, const struct px_source *src, const struct sockaddr *client,
                   char **err);

/* Closes the namespace descriptors kept open. */
void px_netns_close_all(void);

#endif
