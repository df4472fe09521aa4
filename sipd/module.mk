# sipd: the SIP user agent (libosip2 over UDP, TCP and TLS).
PROGS += sipd
DAEMONS += sipd
sipd_SRC := $(wildcard sipd/*.c)
sipd_PKGS := libosip2 libcares libssl
sipd_LIBS :=

# Unit tests of the pure parts.
test_sipd_sdp_OBJS := sipd/sdp.c
test_sipd_sdp_PKGS := libosip2
test_sipd_uri_OBJS := sipd/uri.c
test_sipd_uri_PKGS := libosip2
test_sipd_check_OBJS := sipd/check.c sipd/message.c
test_sipd_check_PKGS := libosip2
test_sipd_auth_OBJS := sipd/auth.c sipd/message.c
test_sipd_auth_PKGS := libosip2
test_sipd_auth_LIBS := -Wl,--wrap=sipd_trunk_match,--wrap=sipd_trunk_cred,--wrap=sipd_leg_send
