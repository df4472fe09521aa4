#!/bin/sh
# Installs the Debian packages Hold Slayer builds and tests with.  As root it
# runs apt-get; otherwise it prints the exact command to run.
set -eu
PKGS="build-essential pkg-config libosip2-dev libortp-dev libbctoolbox-dev
libzmq3-dev libspandsp-dev libsndfile1-dev libjson-c-dev libsqlite3-dev
libcurl4-openssl-dev libfftw3-dev libpocketsphinx-dev libsphinxbase-dev
pocketsphinx-en-us pocketsphinx sphinxtrain libespeak-ng-dev espeak-ng libsoxr-dev libsystemd-dev
libcivetweb-dev libcmocka-dev libinih-dev libssl-dev libflite1 flite1-dev
wordnet-dev wordnet-base
sip-tester baresip dnsmasq-base kamailio libc-ares-dev mandoc sox jq curl sqlite3
python3 iproute2 procps python3-aiosmtpd dbus dunst xvfb openssl chromium nodejs
stunnel4"
# Debian's npm (test_mcp.sh installs the MCP SDK with it, the dashboard's
# browser test puppeteer-core); a nodejs from elsewhere that brings its own
# npm conflicts with it.
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "deps: all Debian packages present"
	exit 0
fi
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages; run as root:"
	echo "  apt-get update && $cmd"
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
