/*
 * notifyd: tells the user what happened.  It listens for human_detected and
 * call_ended on the bus and POSTs each as a JSON webhook ([notify]
 * webhook_url) with libcurl's multi interface, driven from the daemon loop
 * so a slow receiver never blocks the bus.
 */
#ifndef NOTIFYD_H
#define NOTIFYD_H

#include <json-c/json.h>
#include <stdint.h>

#include "daemon.h"

#define WEBHOOK_MAX_TRIES 3

struct webhook;

/* webhook.c */
/*
 * Creates the sender.  Returns 0 or a negative errno.
 */
int webhook_new(struct webhook **out, struct daemon *d);
void webhook_free(struct webhook *w);
/*
 * Queues one POST of body (a JSON envelope, copied) to url; event names
 * it in logs and in the X-HoldSlayer-Event header.
 */
int webhook_post(struct webhook *w, const char *url, const char *event,
		 const char *call_id, const char *body, long timeout_ms);
/* Transfers still queued or in flight. */
int webhook_pending(const struct webhook *w);
/*
 * Builds the body sent for an event: the bus envelope itself, so receivers
 * see exactly what ZeroMQ subscribers see.  Caller frees.
 */
char *webhook_body(const char *type, const char *call_id, const char *ts,
		   const char *src, uint64_t seq, json_object *data);

#endif
