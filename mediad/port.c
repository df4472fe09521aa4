/*
 * port: which RTP port to try next.  Legs get an even port p in [media]
 * rtp_port_min..rtp_port_max with RTCP on p + 1, both inside the range.  A
 * cursor walks the range round-robin so that a port just released is not
 * handed out again at once (a late packet of the old call would land in the
 * new one), and a busy port is skipped by probing it with plain sockets
 * bound without SO_REUSEADDR.
 */
#include "mediad.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static long
port_first(long min)
{
	return (min + 1) & ~1L;
}

long
port_count(long min, long max)
{
	long first = port_first(min);

	if (min < 0 || max > 65535 || first + 1 > max)
		return 0;
	return (max - 1 - first) / 2 + 1;
}

int
port_next(long min, long max, long prev)
{
	long first = port_first(min), p;

	if (port_count(min, max) == 0)
		return -ERANGE;
	if (prev < first)
		return (int)first;
	p = ((prev + 1) & ~1L);
	if (p == prev)
		p += 2;
	if (p + 1 > max)
		p = first;
	return (int)p;
}

static int
port_bind(const char *addr, int p)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, r = 0;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		len = sizeof(*sin6);
	} else
		return -EAFNOSUPPORT;
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		r = -errno;
	close(fd);
	return r;
}

int
port_probe(const char *addr, int p)
{
	int r;

	if ((r = port_bind(addr, p)) < 0)
		return r;
	return port_bind(addr, p + 1);
}
