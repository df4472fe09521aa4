/*
 * sms: the text-message channel, through an HTTP SMS API chosen by
 * [notify] sms_provider:
 *
 *   twilio  Twilio's Messages API: a form-encoded POST of To, From and Body
 *           to {sms_url}/2010-04-01/Accounts/{sms_account_sid}/Messages.json
 *           with HTTP basic auth (the account SID and the auth token from
 *           sms_token_file).  An error reply is Twilio's JSON
 *           {"code":21211,"message":"...","more_info":"...","status":400},
 *           whose code and message become the failure reason.
 *   json    a POST of {"to","from","text","id"} to sms_url, with the token
 *           (if any) as a Bearer credential, for gateways of one's own.
 */
#include "notifyd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define SMS_TWILIO_URL "https://api.twilio.com"

/* Appends "&name=escaped(value)" (no '&' first) to the form in *fp. */
static int
sms_form_add(FILE *fp, CURL *easy, const char *name, const char *value,
	     int first)
{
	char *v = curl_easy_escape(easy, value, 0);

	if (v == NULL)
		return -ENOMEM;
	fprintf(fp, "%s%s=%s", first ? "" : "&", name, v);
	curl_free(v);
	return 0;
}

static int
sms_twilio(struct notify_job *j, const struct conf *c)
{
	const char *base =
	    c->notify_sms_url[0] != '\0' ? c->notify_sms_url : SMS_TWILIO_URL;
	char url[1024], *form = NULL;
	size_t len = 0;
	FILE *fp;
	int r;

	snprintf(url, sizeof(url), "%s%s2010-04-01/Accounts/%s/Messages.json",
		 base, base[strlen(base) - 1] == '/' ? "" : "/",
		 c->notify_sms_account_sid);
	if ((r = xfer_easy(j, url)) < 0)
		return r;
	fp = open_memstream(&form, &len);
	if (fp == NULL)
		return -ENOMEM;
	r = sms_form_add(fp, j->easy, "To", c->notify_sms_to, 1);
	if (r == 0)
		r = sms_form_add(fp, j->easy, "From", c->notify_sms_from, 0);
	if (r == 0)
		r = sms_form_add(fp, j->easy, "Body", notify_env_str(j, "text"),
				 0);
	if (fclose(fp) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0) {
		free(form);
		return r;
	}
	j->upload = form;
	j->upload_len = len;
	j->hdrs = curl_slist_append(
	    j->hdrs, "Content-Type: application/x-www-form-urlencoded");
	curl_easy_setopt(j->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(j->easy, CURLOPT_USERNAME, c->notify_sms_account_sid);
	curl_easy_setopt(j->easy, CURLOPT_PASSWORD,
			 j->n->sec.sms ? j->n->sec.sms : "");
	curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, j->upload);
	curl_easy_setopt(j->easy, CURLOPT_POSTFIELDSIZE, (long)len);
	return xfer_go(j);
}

static int
sms_json(struct notify_job *j, const struct conf *c)
{
	json_object *o = json_object_new_object();
	char hdr[1100];
	int r;

	if ((r = xfer_easy(j, c->notify_sms_url)) < 0) {
		json_object_put(o);
		return r;
	}
	json_object_object_add(o, "to", json_object_new_string(c->notify_sms_to));
	json_object_object_add(o, "from",
			       json_object_new_string(c->notify_sms_from));
	json_object_object_add(
	    o, "text", json_object_new_string(notify_env_str(j, "text")));
	json_object_object_add(o, "id", json_object_new_string(j->key));
	j->upload = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	if (j->upload == NULL)
		return -ENOMEM;
	j->upload_len = strlen(j->upload);
	j->hdrs = curl_slist_append(j->hdrs, "Content-Type: application/json");
	if (j->n->sec.sms != NULL) {
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s",
			 j->n->sec.sms);
		j->hdrs = curl_slist_append(j->hdrs, hdr);
		explicit_bzero(hdr, sizeof(hdr));
	}
	curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, j->upload);
	return xfer_go(j);
}

int
sms_start(struct notify_job *j)
{
	const struct conf *c = daemon_conf(j->n->d);

	if (strcmp(c->notify_sms_provider, "twilio") == 0)
		return sms_twilio(j, c);
	return sms_json(j, c);
}

void
sms_result(struct notify_job *j, CURLcode res, struct notify_result *r)
{
	json_object *o, *v;
	const char *msg = NULL;
	long code = 0;

	xfer_http_result(j, res, r);
	if (r->ok || res != CURLE_OK || j->resp_len == 0)
		return;
	/* Twilio's error body names the fault better than the status. */
	o = json_tokener_parse(j->resp);
	if (o == NULL)
		return;
	if (json_object_object_get_ex(o, "message", &v) &&
	    json_object_is_type(v, json_type_string))
		msg = json_object_get_string(v);
	if (json_object_object_get_ex(o, "code", &v) &&
	    json_object_is_type(v, json_type_int))
		code = (long)json_object_get_int64(v);
	if (msg != NULL)
		snprintf(r->why, sizeof(r->why), "HTTP status %ld, error %ld: %s",
			 r->status, code, msg);
	json_object_put(o);
}
