/*
 * auth: who may use apid.  Every route but GET /api/health, and the
 * WebSocket, needs the bearer token apid keeps in [api] token_file
 * (generated on first start, 0600, read by holdctl); [api]
 * loopback_trusted lets clients on 127.0.0.1 / ::1 skip it.  A browser
 * page is another matter: it sends an Origin header, and only the origins
 * in [api] allowed_origins (by default apid's own address) get an answer,
 * a CORS preflight included; every other Origin is a 403, so a page the
 * user visits can neither place calls nor read them, token or not.
 * State-changing requests must say Content-Type: application/json, which a
 * cross-site form cannot.
 *
 * Threads: the token is read once at start-up, before civetweb runs; the
 * checks here only read it and the workers' private configuration.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <civetweb.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "apid.h"
#include "log.h"

#define AUTH_TOKEN_BYTES 32 /* 256 random bits, 64 hex digits */
#define AUTH_TOKEN_MIN 16   /* a token file holding less is refused */

/* Creates the directories above path (mode 0700) that are missing. */
static int
auth_mkdirs(const char *path, char *err, size_t errlen)
{
	char buf[4096];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		snprintf(err, errlen, "token: path too long");
		return -ENAMETOOLONG;
	}
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "token: cannot create %s: %s", buf,
				 strerror(errno));
			return -errno;
		}
		*p = '/';
	}
	return 0;
}

/* Reads an existing token file into a->token; makes it 0600 if it was not. */
static int
auth_token_read(struct apid *a, int fd, const char *path, char *err,
		size_t errlen)
{
	struct stat st;
	char buf[256];
	ssize_t n;
	size_t len;

	if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) {
		log_warnx("token: %s was readable by others; now 0600", path);
		if (fchmod(fd, 0600) < 0)
			log_warn("token: chmod %s", path);
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		snprintf(err, errlen, "token: cannot read %s: %s", path,
			 strerror(errno));
		return -errno;
	}
	buf[n] = '\0';
	len = strcspn(buf, " \t\r\n");
	buf[len] = '\0';
	if (len < AUTH_TOKEN_MIN || len >= sizeof(a->token)) {
		snprintf(err, errlen,
			 "token: %s holds no token of %d to %zu characters "
			 "(delete it to have a new one made)",
			 path, AUTH_TOKEN_MIN, sizeof(a->token) - 1);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++)
		if (!isgraph((unsigned char)buf[i])) {
			snprintf(err, errlen,
				 "token: %s holds a character that cannot go "
				 "in an HTTP header",
				 path);
			return -EINVAL;
		}
	memcpy(a->token, buf, len + 1);
	return 0;
}

int
apid_token_load(struct apid *a, const char *path, char *err, size_t errlen)
{
	unsigned char raw[AUTH_TOKEN_BYTES];
	char hex[2 * AUTH_TOKEN_BYTES + 2];
	int fd, r;

	if ((r = auth_mkdirs(path, err, errlen)) < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		r = auth_token_read(a, fd, path, err, errlen);
		close(fd);
		return r;
	}
	if (errno != ENOENT) {
		snprintf(err, errlen, "token: cannot open %s: %s", path,
			 strerror(errno));
		return -errno;
	}
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		snprintf(err, errlen, "token: no random bytes from OpenSSL");
		return -EIO;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	OPENSSL_cleanse(raw, sizeof(raw));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0) {
		snprintf(err, errlen, "token: cannot create %s: %s", path,
			 strerror(errno));
		return -errno;
	}
	memcpy(a->token, hex, 2 * AUTH_TOKEN_BYTES + 1);
	hex[2 * AUTH_TOKEN_BYTES] = '\n';
	if (write(fd, hex, 2 * AUTH_TOKEN_BYTES + 1) !=
		2 * AUTH_TOKEN_BYTES + 1 ||
	    fsync(fd) < 0) {
		snprintf(err, errlen, "token: cannot write %s: %s", path,
			 strerror(errno));
		close(fd);
		unlink(path);
		return -EIO;
	}
	close(fd);
	log_info("token: a new API token is in %s (holdctl token shows it)",
		 path);
	return 0;
}

/* The remote address is 127.0.0.0/8 or ::1 (or ::ffff:127.x.y.z). */
static bool
auth_loopback(const struct mg_request_info *ri)
{
	const char *ip = ri->remote_addr;

	if (strncmp(ip, "::ffff:", 7) == 0)
		ip += 7;
	return strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0;
}

/*
 * The default origins when [api] allowed_origins is empty: apid's own
 * address, http://HOST:PORT, and http://localhost:PORT when it listens on
 * loopback (the pages apid itself may serve).
 */
static bool
auth_own_origin(const struct conf *c, const char *origin)
{
	const char *colon = strrchr(c->api_listen, ':');
	char want[320];

	if (colon == NULL)
		return false;
	snprintf(want, sizeof(want), "http://%s", c->api_listen);
	if (strcasecmp(origin, want) == 0)
		return true;
	if (strncmp(c->api_listen, "127.", 4) != 0 &&
	    strncmp(c->api_listen, "[::1]", 5) != 0)
		return false;
	snprintf(want, sizeof(want), "http://localhost%s", colon);
	return strcasecmp(origin, want) == 0;
}

bool
apid_origin_allowed(const struct conf *c, const char *origin)
{
	if (origin == NULL)
		return true; /* not a browser: the token decides */
	if (c->api_allowed_origins[0] == '\0')
		return auth_own_origin(c, origin);
	return apid_list_has(c->api_allowed_origins, origin);
}

int
apid_auth_check(struct apid *a, const struct mg_connection *conn,
		bool need_token, char *detail, size_t len)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	const char *origin = mg_get_header(conn, "Origin");
	const char *h = mg_get_header(conn, "Authorization");
	const char *qs = ri->query_string;
	char qtok[256];
	size_t tlen = strlen(a->token);

	if (!apid_origin_allowed(a->wconf, origin)) {
		snprintf(detail, len,
			 "origin '%.200s' is not allowed ([api] "
			 "allowed_origins)",
			 origin);
		return 403;
	}
	if (!need_token || (a->wconf->api_loopback_trusted && auth_loopback(ri)))
		return 0;
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
		h += 7;
		while (*h == ' ')
			h++;
		if (strlen(h) == tlen && CRYPTO_memcmp(h, a->token, tlen) == 0)
			return 0;
		snprintf(detail, len, "the bearer token is wrong");
		return 401;
	}
	/* A browser's WebSocket cannot set headers: ?token= stands in. */
	if (h == NULL && qs != NULL &&
	    mg_get_var(qs, strlen(qs), "token", qtok, sizeof(qtok)) > 0) {
		bool same = strlen(qtok) == tlen &&
			    CRYPTO_memcmp(qtok, a->token, tlen) == 0;
		OPENSSL_cleanse(qtok, sizeof(qtok));
		if (same)
			return 0;
		snprintf(detail, len, "the token is wrong");
		return 401;
	}
	snprintf(detail, len,
		 "authentication required: Authorization: Bearer TOKEN "
		 "(holdctl token shows it)");
	return 401;
}

void
apid_cors_headers(const struct mg_connection *conn, const struct conf *c)
{
	const char *origin = mg_get_header(conn, "Origin");

	if (origin == NULL || !apid_origin_allowed(c, origin))
		return;
	mg_response_header_add((struct mg_connection *)conn,
			       "Access-Control-Allow-Origin", origin, -1);
	mg_response_header_add((struct mg_connection *)conn, "Vary", "Origin",
			       -1);
}
