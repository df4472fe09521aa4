# apid: REST + WebSocket front door and SQLite history; holdctl: its CLI.
PROGS += apid holdctl
DAEMONS += apid
CLIENTS += holdctl
apid_SRC := apid/apid.c apid/http.c apid/ws.c apid/db.c apid/status.c \
	apid/request.c apid/auth.c apid/seed.c apid/mcp.c apid/www.c
apid_PKGS := sqlite3
apid_LIBS := -lcivetweb -lpthread
holdctl_SRC := apid/holdctl.c
holdctl_PKGS := libcurl
holdctl_LIBS :=

# Test-only WebSocket client for tests/api (built, never installed).
PROGS += wsclient
wsclient_SRC := tests/api/wsclient.c
wsclient_LIBS := -lcivetweb -lpthread

test_apid_request_OBJS := apid/request.c
test_apid_status_OBJS := apid/status.c
test_apid_db_OBJS := apid/db.c apid/status.c
test_apid_db_PKGS := sqlite3
test_apid_db_LIBS := -lpthread

# The dashboard apid serves at / ([api] www_dir): static files, no build.
.PHONY: install-apid-www
install: install-apid-www
install-apid-www:
	install -d $(DESTDIR)$(DATAROOT)/holdslayer/www/vendor
	install -m 0644 apid/www/index.html apid/www/app.js apid/www/app.css \
		$(DESTDIR)$(DATAROOT)/holdslayer/www/
	install -m 0644 apid/www/vendor/* \
		$(DESTDIR)$(DATAROOT)/holdslayer/www/vendor/
