/*
 * www: the dashboard's static files, from [api] www_dir.
 *
 *   GET /            index.html
 *   GET /static/P    the file P under www_dir (app.js, vendor/...)
 *
 * The files hold no data: they are served without the token, and the page
 * fetches everything through the authenticated API (the token comes in
 * the URL's fragment, which the browser never sends; see apid(8)).  Every
 * answer forbids framing and limits the page to apid's own origin.
 *
 * Threads: runs on civetweb's worker threads and reads wconf only.
 */
#include <stdio.h>
#include <string.h>

#include <civetweb.h>

#include "apid.h"
#include "log.h"

#define WWW_HEADERS                                                        \
	"Content-Security-Policy: default-src 'self'; connect-src 'self' "  \
	"ws: wss:; img-src 'self' data:; style-src 'self'; "                \
	"script-src 'self'; object-src 'none'; base-uri 'none'; "           \
	"form-action 'none'; frame-ancestors 'none'\r\n"                    \
	"X-Frame-Options: DENY\r\n"                                         \
	"X-Content-Type-Options: nosniff\r\n"                               \
	"Referrer-Policy: no-referrer"

/* The file types the dashboard ships; anything else is not served. */
static const struct {
	const char *ext;
	const char *mime;
} www_types[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".txt", "text/plain; charset=utf-8"},
	{"LICENSE", "text/plain; charset=utf-8"},
};

/*
 * The MIME type of rel, a path under www_dir, or NULL when rel is not a
 * file we serve: only [A-Za-z0-9._-/], no empty, hidden or ".." segment.
 */
static const char *
www_type(const char *rel)
{
	size_t len = strlen(rel), i;
	const char *seg = rel;

	if (len == 0 || len > 200)
		return NULL;
	for (const char *p = rel;; p++) {
		if (*p == '/' || *p == '\0') {
			if (p == seg || *seg == '.')
				return NULL;
			if (*p == '\0')
				break;
			seg = p + 1;
		} else if (!((*p >= 'a' && *p <= 'z') ||
			     (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || *p == '.' ||
			     *p == '_' || *p == '-'))
			return NULL;
	}
	for (i = 0; i < sizeof(www_types) / sizeof(www_types[0]); i++) {
		size_t el = strlen(www_types[i].ext);
		if (len >= el && strcmp(rel + len - el, www_types[i].ext) == 0)
			return www_types[i].mime;
	}
	return NULL;
}

static int
www_on_request(struct mg_connection *conn, void *cbdata)
{
	struct apid *a = cbdata;
	const struct mg_request_info *ri = mg_get_request_info(conn);
	const char *uri = ri->local_uri, *rel, *mime;
	char path[1024];

	if (strcmp(ri->request_method, "GET") != 0 &&
	    strcmp(ri->request_method, "HEAD") != 0) {
		mg_send_http_error(conn, 405, "%s", "only GET here\n");
		return 405;
	}
	if (strcmp(uri, "/") == 0)
		rel = "index.html";
	else if (strncmp(uri, "/static/", 8) == 0)
		rel = uri + 8;
	else
		rel = "";
	if ((mime = www_type(rel)) == NULL ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s",
			     a->wconf->api_www_dir, rel) >= sizeof(path)) {
		mg_send_http_error(conn, 404, "%s", "not found\n");
		return 404;
	}
	mg_send_mime_file2(conn, path, mime, WWW_HEADERS);
	return 200;
}

void
apid_www_register(struct apid *a)
{
	mg_set_request_handler(a->http, "/", www_on_request, a);
	mg_set_request_handler(a->http, "/static", www_on_request, a);
}
