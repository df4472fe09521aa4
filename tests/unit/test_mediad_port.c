/*
 * Unit tests for mediad's RTP port choice (mediad/port.c): even ports with
 * room for RTCP, round-robin with wrap-around, and busy ports detected with
 * real sockets.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../mediad/mediad.h"

static void
test_range(void **state)
{
	(void)state;
	assert_int_equal(port_count(16384, 16393), 5);
	assert_int_equal(port_count(16385, 16393), 4); /* 16386..16392 */
	assert_int_equal(port_count(16384, 16385), 1);
	assert_int_equal(port_count(16384, 16384), 0); /* no room for RTCP */
	assert_int_equal(port_count(16385, 16386), 0);
	assert_int_equal(port_count(20000, 10000), 0);
}

static void
test_next(void **state)
{
	(void)state;
	assert_int_equal(port_next(16384, 16389, 16383), 16384);
	assert_int_equal(port_next(16384, 16389, 16384), 16386);
	assert_int_equal(port_next(16384, 16389, 16386), 16388);
	assert_int_equal(port_next(16384, 16389, 16388), 16384); /* wraps */
	assert_int_equal(port_next(16385, 16389, 0), 16386);	 /* odd min */
	assert_int_equal(port_next(16384, 16388, 16386), 16384); /* 16388+1 out */
	assert_int_equal(port_next(16384, 16389, 16387), 16388); /* odd prev */
	assert_int_equal(port_next(16384, 16389, 40000), 16384);
	assert_int_equal(port_next(16384, 16384, 0), -ERANGE);
}

static int
bind_any(int *port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return -1;
	getsockname(fd, (struct sockaddr *)&sin, &len);
	*port = ntohs(sin.sin_port);
	return fd;
}

static void
test_probe(void **state)
{
	int p = 0, fd;

	(void)state;
	fd = bind_any(&p);
	assert_true(fd >= 0);
	/* busy as RTP port and as RTCP port */
	assert_int_equal(port_probe("127.0.0.1", p), -EADDRINUSE);
	assert_int_equal(port_probe("127.0.0.1", p - 1), -EADDRINUSE);
	close(fd);
	assert_int_equal(port_probe("not-an-ip", 20000), -EAFNOSUPPORT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_range),
	    cmocka_unit_test(test_next),
	    cmocka_unit_test(test_probe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
