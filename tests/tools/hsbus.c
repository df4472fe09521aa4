/*
 * hsbus: a small command-line client of the Hold Slayer bus, for tests and
 * for looking at a running system.
 *
 *   hsbus [-f conf] [-n count] [-w seconds] [-c call_id] sub daemon [topic ...]
 *       print each event of daemon as one JSON line (audio frames, when the
 *       topic "audio" is given, as a one-line summary); stop after count
 *       events or seconds (exit 1 if none matched by then).
 *   hsbus [-f conf] [-w seconds] req daemon json
 *       send a control request, print the reply; exit 0 ok, 1 ok:false,
 *       2 unreachable.
 *   hsbus [-f conf] [-n count] pub daemon type call_id json
 *       bind daemon's PUB endpoint and publish the event (count times; for
 *       tests of subscribers while that daemon is not running).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "audio.h"
#include "bus.h"
#include "conf.h"
#include "log.h"
#include "msg.h"

static void
usage_to(FILE *fp)
{
	fprintf(fp,
		"usage: hsbus [-f conf] [-n count] [-w seconds] [-c call_id] "
		"sub daemon [topic ...]\n"
		"       hsbus [-f conf] [-w seconds] req daemon json\n"
		"       hsbus [-f conf] [-n count] pub daemon type call_id json\n"
		"       hsbus -h | --help | --version\n");
}

static void
usage(void)
{
	usage_to(stderr);
}

static json_object *
parse_json(const char *s)
{
	json_tokener *tok = json_tokener_new();
	json_object *o = json_tokener_parse_ex(tok, s, (int)strlen(s));

	if (o != NULL && json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static int
cmd_sub(const struct conf *c, long count, double secs, const char *call,
	int argc, char **argv)
{
	void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_SUB);
	const char *ep = conf_endpoint(c, argv[0], "pub");
	int64_t deadline = secs > 0 ? msg_mono_ms() + (int64_t)(secs * 1000) : 0;
	long seen = 0;
	int zero = 0;

	if (ep == NULL) {
		fprintf(stderr, "hsbus: unknown daemon '%s'\n", argv[0]);
		return 2;
	}
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
	if (zmq_connect(s, ep) < 0) {
		fprintf(stderr, "hsbus: connect %s: %s\n", ep,
			zmq_strerror(errno));
		return 2;
	}
	if (argc == 1) {
		for (int t = 0; t < MSG_TYPE_COUNT; t++)
			zmq_setsockopt(s, ZMQ_SUBSCRIBE, msg_type_name(t),
				       strlen(msg_type_name(t)));
	}
	for (int i = 1; i < argc; i++)
		zmq_setsockopt(s, ZMQ_SUBSCRIBE, argv[i], strlen(argv[i]));
	for (;;) {
		zmq_pollitem_t pi = {s, 0, ZMQ_POLLIN, 0};
		long timeout = -1;
		char topic[64];
		zmq_msg_t m;
		int n;

		if (deadline) {
			timeout = (long)(deadline - msg_mono_ms());
			if (timeout <= 0)
				break;
		}
		if (zmq_poll(&pi, 1, timeout) <= 0)
			continue;
		n = zmq_recv(s, topic, sizeof(topic) - 1, 0);
		if (n < 0)
			continue;
		topic[n < (int)sizeof(topic) - 1 ? n : (int)sizeof(topic) - 1] =
		    '\0';
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, s, 0) < 0) {
			zmq_msg_close(&m);
			continue;
		}
		if (strcmp(topic, "audio") == 0) {
			struct msg_audio_hdr h;
			const uint8_t *p;
			int16_t pcm[MSG_AUDIO_MAX_SAMPLES];

			if (msg_audio_decode(zmq_msg_data(&m), zmq_msg_size(&m),
					     &h, &p) == 0 &&
			    (call == NULL || strcmp(call, h.call_id) == 0)) {
				memcpy(pcm, p, 2u * h.samples);
				printf("{\"audio\":true,\"call_id\":\"%s\","
				       "\"leg\":\"%s\",\"seq\":%u,\"samples\":%u,"
				       "\"rms_dbfs\":%.1f}\n",
				       h.call_id, msg_leg_name(h.leg), h.seq,
				       h.samples, audio_rms_dbfs(pcm, h.samples));
				seen++;
			}
		} else {
			struct msg_event ev;
			char err[256];
			if (msg_event_decode(&ev, zmq_msg_data(&m),
					     zmq_msg_size(&m), err,
					     sizeof(err)) < 0) {
				fprintf(stderr, "hsbus: bad message on '%s': %s\n",
					topic, err);
			} else {
				if (call == NULL ||
				    strcmp(call, ev.call_id) == 0) {
					printf("%.*s\n", (int)zmq_msg_size(&m),
					       (const char *)zmq_msg_data(&m));
					seen++;
				}
				msg_event_clear(&ev);
			}
		}
		fflush(stdout);
		zmq_msg_close(&m);
		if (count > 0 && seen >= count)
			break;
	}
	zmq_close(s);
	zmq_ctx_term(ctx);
	return (count > 0 && seen < count) ? 1 : 0;
}

static int
cmd_req(const struct conf *c, double secs, char **argv)
{
	json_object *req = parse_json(argv[1]), *reply = NULL;
	void *ctx;
	char err[512];
	int r;

	if (req == NULL || !json_object_is_type(req, json_type_object)) {
		fprintf(stderr, "hsbus: request is not a JSON object: %s\n",
			argv[1]);
		return 2;
	}
	ctx = zmq_ctx_new();
	r = bus_call(ctx, c, argv[0], req, secs > 0 ? (int)(secs * 1000) : 0,
		     &reply, err, sizeof(err));
	if (reply != NULL)
		printf("%s\n", json_object_to_json_string_ext(
				   reply, JSON_C_TO_STRING_PLAIN));
	if (r < 0 && r != -EREMOTEIO)
		fprintf(stderr, "hsbus: %s\n", err);
	json_object_put(req);
	json_object_put(reply);
	zmq_ctx_term(ctx);
	return r == 0 ? 0 : r == -EREMOTEIO ? 1 : 2;
}

static int
cmd_pub(const struct conf *c, long count, char **argv)
{
	struct bus *b;
	enum msg_type t;
	json_object *data = parse_json(argv[3]);
	char err[512];

	if (msg_type_from_name(argv[1], &t) < 0) {
		fprintf(stderr, "hsbus: unknown event type '%s'\n", argv[1]);
		return 2;
	}
	if (data == NULL || !json_object_is_type(data, json_type_object)) {
		fprintf(stderr, "hsbus: data is not a JSON object\n");
		return 2;
	}
	if (bus_new(&b, c, argv[0], err, sizeof(err)) < 0) {
		fprintf(stderr, "hsbus: %s\n", err);
		return 2;
	}
	/* Let subscribers (re)connect before the one message goes out. */
	usleep(500 * 1000);
	for (long i = 1; i < (count > 1 ? count : 1); i++)
		bus_publish(b, t, argv[2], json_object_get(data));
	bus_publish(b, t, argv[2], data);
	usleep(200 * 1000);
	bus_free(b);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *path = NULL, *call = NULL;
	struct conf *c;
	char err[512];
	long count = 0;
	double secs = 0;
	int ch, r;

	log_init("hsbus", LOG_LVL_WARNING);
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0}};

	while ((ch = getopt_long(argc, argv, "c:f:hn:w:", longopts, NULL)) !=
	       -1) {
		switch (ch) {
		case 'c':
			call = optarg;
			break;
		case 'f':
			path = optarg;
			break;
		case 'n':
			count = strtol(optarg, NULL, 10);
			break;
		case 'w':
			secs = strtod(optarg, NULL);
			break;
		case 'h':
			usage_to(stdout);
			printf("\nA command-line client of the Hold Slayer bus: "
			       "sub prints a daemon's events,\nreq sends it a "
			       "control request, pub publishes an event as the "
			       "daemon.\nSee hsbus(1).\n");
			return 0;
		case 'V':
			printf("hsbus %s\n", HS_VERSION);
			return 0;
		default:
			usage();
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2) {
		usage();
		return 2;
	}
	if (path == NULL && access(conf_default_path(), F_OK) == 0)
		path = conf_default_path();
	if (conf_load(&c, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "hsbus: config: %s\n", err);
		return 2;
	}
	if (strcmp(argv[0], "sub") == 0)
		r = cmd_sub(c, count, secs, call, argc - 1, argv + 1);
	else if (strcmp(argv[0], "req") == 0 && argc == 3)
		r = cmd_req(c, secs, argv + 1);
	else if (strcmp(argv[0], "pub") == 0 && argc == 5)
		r = cmd_pub(c, count, argv + 1);
	else {
		usage();
		r = 2;
	}
	conf_free(c);
	return r;
}
