/*
 * ivrsim: options, the SIP socket and the single poll() loop.  A 20 ms
 * timerfd paces every call's media and timers; the SIP socket is read when
 * it is readable.  Finished calls linger a few seconds to absorb
 * retransmissions, then are freed.  With -n the program exits once that
 * many calls have ended.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "ivrsim.h"
#include "log.h"

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void __attribute__((noreturn))
usage(int rc)
{
	fprintf(rc == 0 ? stdout : stderr,
		"usage: ivrsim [-hv] -s scenario -l addr:port [-r reportdir] "
		"[-m rtp_port_min] [-c corpusdir] [-n maxcalls]\n");
	exit(rc);
}

double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
now_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char b[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ldZ", b, ts.tv_nsec / 1000000);
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		fatal("strdup");
	return p;
}

/* 16 random hex digits, malloc'd. */
char *
random_token(void)
{
	unsigned char r[8];
	char *t = malloc(17);

	if (t == NULL)
		fatal("malloc");
	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)random();
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(t + 2 * i, 3, "%02x", r[i]);
	return t;
}

static int
parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
sip_open(struct ivrsim *ivr, const char *listen)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	long port;
	socklen_t sl = sizeof(ivr->local);
	int fd;

	if (colon == NULL || (size_t)(colon - listen) >= sizeof(host) ||
	    parse_int(colon + 1, 0, 65535, &port) < 0) {
		log_warnx("error: -l %s: expected ADDR:PORT", listen);
		return -1;
	}
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	memset(&ivr->local, 0, sizeof(ivr->local));
	ivr->local.sin_family = AF_INET;
	ivr->local.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &ivr->local.sin_addr) != 1 ||
	    ivr->local.sin_addr.s_addr == htonl(INADDR_ANY)) {
		log_warnx("error: -l %s: '%s' is not a usable IPv4 address",
			  listen, host);
		return -1;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ivr->local,
			   sizeof(ivr->local)) < 0) {
		log_warn("error: sip: bind %s", listen);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	getsockname(fd, (struct sockaddr *)&ivr->local, &sl);
	ivr->sipfd = fd;
	snprintf(ivr->local_ip, sizeof(ivr->local_ip), "%s", host);
	ivr->local_port = ntohs(ivr->local.sin_port);
	return 0;
}

static void
tick_all(struct ivrsim *ivr, double now)
{
	for (struct call *c = ivr->calls; c != NULL; c = c->next) {
		if (c->state == CS_DONE)
			continue;
		sip_tick(ivr, c, now);
		if (c->state != CS_DONE)
			media_tick(c, now);
	}
}

/* Frees finished calls after their linger time; media goes at once. */
static void
reap(struct ivrsim *ivr, double now, bool all)
{
	struct call **pp = &ivr->calls;

	while (*pp != NULL) {
		struct call *c = *pp;

		if (c->state == CS_DONE)
			media_close(c);
		if (c->state == CS_DONE && (all || now - c->t_done > IVR_LINGER)) {
			*pp = c->next;
			call_free(c);
		} else
			pp = &c->next;
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	struct ivrsim ivr = {0};
	const char *scenario = NULL, *listen = NULL, *corpus = NULL;
	char corpusbuf[PATH_MAX], err[1024];
	struct itimerspec its = {{0, 20000000}, {0, 20000000}};
	struct sigaction sa;
	struct pollfd pfd[2];
	struct stat st;
	int ch, verbose = 0, tfd;
	long v;

	log_init("ivrsim", LOG_LVL_INFO);
	ivr.reportdir = ".";
	while ((ch = getopt_long(argc, argv, "hvs:l:r:m:c:n:", longopts,
				 NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(0);
		case 'v':
			verbose++;
			break;
		case 's':
			scenario = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 'r':
			ivr.reportdir = optarg;
			break;
		case 'm':
			if (parse_int(optarg, 1024, 65000, &v) < 0) {
				log_warnx("error: -m %s: expected a port "
					  "1024..65000",
					  optarg);
				usage(2);
			}
			ivr.rtp_port_min = (int)v;
			break;
		case 'c':
			corpus = optarg;
			break;
		case 'n':
			if (parse_int(optarg, 1, 1000000, &v) < 0) {
				log_warnx("error: -n %s: expected a positive "
					  "number",
					  optarg);
				usage(2);
			}
			ivr.maxcalls = (int)v;
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc || scenario == NULL || listen == NULL)
		usage(2);
	if (verbose > 0)
		log_set_level(LOG_LVL_DEBUG);
	if (corpus == NULL)
		corpus = getenv("HS_CORPUS");
	if (corpus == NULL && getenv("HS_TOP") != NULL) {
		snprintf(corpusbuf, sizeof(corpusbuf), "%s/../shared/corpus",
			 getenv("HS_TOP"));
		corpus = corpusbuf;
	}
	if (corpus == NULL)
		corpus = HS_DATAROOT "/corpus";
	if (stat(ivr.reportdir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		log_warnx("error: -r %s: not a directory", ivr.reportdir);
		return 2;
	}
	parser_init();
	if (scenario_load(&ivr.sc, scenario, corpus, err, sizeof(err)) < 0) {
		log_warnx("error: scenario %s", err);
		return 2;
	}
	if (sip_open(&ivr, listen) < 0)
		return 1;
	ivr.rtp_port_next = ivr.rtp_port_min;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0)
		fatal("timerfd");
	log_info("scenario '%s' (%d nodes), SIP on %s:%d", ivr.sc->name,
		 ivr.sc->nnodes, ivr.local_ip, ivr.local_port);
	printf("ivrsim: listening sip:%s:%d\n", ivr.local_ip, ivr.local_port);
	fflush(stdout);

	pfd[0].fd = ivr.sipfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = tfd;
	pfd[1].events = POLLIN;
	while (!quit) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[0].revents & POLLIN)
			sip_input(&ivr);
		if (pfd[1].revents & POLLIN) {
			uint64_t exp = 0;

			if (read(tfd, &exp, sizeof(exp)) == sizeof(exp)) {
				double now = now_mono();

				if (exp > 5)
					exp = 5; /* after a stall, do not burst */
				while (exp-- > 0)
					tick_all(&ivr, now);
			}
		}
		reap(&ivr, now_mono(), false);
		if (ivr.maxcalls > 0 && ivr.nended >= ivr.maxcalls)
			break;
	}
	for (struct call *c = ivr.calls; c != NULL; c = c->next)
		if (c->state != CS_DONE) {
			sip_hangup(c);
			call_end(c, "ivrsim");
		}
	reap(&ivr, now_mono(), true);
	scenario_free(ivr.sc);
	close(tfd);
	close(ivr.sipfd);
	return 0;
}
