/*
 * push: the ntfy-style channel, a plain HTTP POST of the sentence to a
 * topic URL ([notify] push_url) with Title, Priority and Tags headers, so
 * a phone app subscribed to the topic buzzes without SMS costs.  A token
 * (push_token_file) is sent as a Bearer credential.
 */
#include "notifyd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

int
push_start(struct notify_job *j)
{
	const struct conf *c = daemon_conf(j->n->d);
	const char *prio = "default";
	char hdr[1100];
	int r;

	if ((r = xfer_easy(j, c->notify_push_url)) < 0)
		return r;
	if (strcmp(j->event, "human_detected") == 0 ||
	    strcmp(j->event, "transfer_retry") == 0)
		prio = "urgent";
	else if (strcmp(j->event, "human_suspected") == 0 ||
		 strcmp(j->event, "info_missing") == 0)
		prio = "high";
	snprintf(hdr, sizeof(hdr), "Title: Hold Slayer: %s",
		 notify_env_str(j, "subject"));
	j->hdrs = curl_slist_append(j->hdrs, hdr);
	snprintf(hdr, sizeof(hdr), "Priority: %s", prio);
	j->hdrs = curl_slist_append(j->hdrs, hdr);
	j->hdrs = curl_slist_append(j->hdrs, "Tags: telephone_receiver");
	j->hdrs = curl_slist_append(j->hdrs,
				    "Content-Type: text/plain; charset=utf-8");
	if (j->n->sec.push != NULL) {
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s",
			 j->n->sec.push);
		j->hdrs = curl_slist_append(j->hdrs, hdr);
		explicit_bzero(hdr, sizeof(hdr));
	}
	if (j->hdrs == NULL)
		return -ENOMEM;
	curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, notify_env_str(j, "text"));
	return xfer_go(j);
}
