/*
 * wsclient: a tiny WebSocket client for the apid tests, on civetweb's
 * client API.  It connects to ws://HOST:PORT/PATH, says "connected" on
 * stderr, prints each text message it receives on its own line on stdout,
 * and exits 0 after COUNT messages (-n), or when the server closes, or
 * after SECONDS (-t; exit 1 then if -n was given and not reached).
 * Exit 3: cannot connect.  Test tooling; never installed.
 *
 * Threads: civetweb delivers messages on its own client thread; the main
 * thread waits on a condition variable.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <civetweb.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long received, want = -1;
static int closed;

static int
on_data(struct mg_connection *conn, int flags, char *data, size_t len,
	void *ud)
{
	int op = flags & 0x0f;

	(void)conn, (void)ud;
	if (op == MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE)
		return 0;
	if (op != MG_WEBSOCKET_OPCODE_TEXT)
		return 1;
	pthread_mutex_lock(&mu);
	fwrite(data, 1, len, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	received++;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	return 1;
}

static void
on_close(const struct mg_connection *conn, void *ud)
{
	(void)conn, (void)ud;
	pthread_mutex_lock(&mu);
	closed = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

static void
usage(void)
{
	fprintf(stderr, "usage: wsclient [-n count] [-t seconds] [-o origin] host port "
			"path\n");
}

int
main(int argc, char **argv)
{
	struct mg_connection *conn;
	char err[256] = "", path[4096];
	const char *origin = NULL, *tok = getenv("HS_API_TOKEN");
	double secs = 10;
	struct timespec until;
	int c, rc;

	while ((c = getopt(argc, argv, "hn:o:t:")) != -1) {
		switch (c) {
		case 'n':
			want = atol(optarg);
			break;
		case 'o':
			origin = optarg;
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	if (argc - optind != 3) {
		usage();
		return 2;
	}
	/* $HS_API_TOKEN: civetweb's client sends no extra headers, so the
	 * token goes in the query as a browser's would. */
	if (tok != NULL && tok[0] != '\0')
		snprintf(path, sizeof(path), "%s%stoken=%s", argv[optind + 2],
			 strchr(argv[optind + 2], '?') ? "&" : "?", tok);
	else
		snprintf(path, sizeof(path), "%s", argv[optind + 2]);
	mg_init_library(0);
	conn = mg_connect_websocket_client(argv[optind], atoi(argv[optind + 1]),
					   0, err, sizeof(err), path, origin,
					   on_data, on_close, NULL);
	if (conn == NULL) {
		fprintf(stderr, "wsclient: cannot connect: %s\n",
			err[0] ? err : "refused");
		return 3;
	}
	fprintf(stderr, "connected\n");
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)secs;
	until.tv_nsec += (long)((secs - (double)(time_t)secs) * 1e9);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&mu);
	while (!closed && (want < 0 || received < want))
		if (pthread_cond_timedwait(&cv, &mu, &until) != 0)
			break;
	rc = (want >= 0 && received < want) ? 1 : 0;
	pthread_mutex_unlock(&mu);
	mg_close_connection(conn);
	mg_exit_library();
	return rc;
}
