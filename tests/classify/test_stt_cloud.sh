#!/bin/sh
# The cloud transcription engines against a local server that speaks each
# service's real format (stt_server.py checks path, auth header, multipart
# fields or content type, and that the WAV parses): the returned text must
# become the transcript; an HTTP 500, a bad key and a timeout must fall back
# to pocketsphinx for that segment, saying why; the key must never be
# printed; a cloud engine without a key must not start.
. "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null || skip "python3 not installed"
command -v sox >/dev/null || skip "sox not installed"
[ -x "$HS_BUILD/classifyd" ] || fail "$HS_BUILD/classifyd is not built"

KEY="sk-test-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
TEXT="your estimated wait time is twelve minutes"
sox -n -r 8000 -c 1 -b 16 "$T/a.wav" synth 1.5 sine 300-900 vol 0.3 ||
	fail "sox cannot make the test clip"
printf 'file\tlabel\tseconds\tsource\tlicense\tnotes\n' >"$T/m.tsv"
printf 'a.wav\tspeech_recorded_announcement\t1.5\tsox\tnone\tsynthetic IVR prompt: %s\n' \
	"$TEXT" >>"$T/m.tsv"
printf '%s\n' "$KEY" >"$T/key"
chmod 600 "$T/key"

# server MODE: starts stt_server.py, sets PORT
server() {
	rm -f "$T/port"
	start "srv_$1" python3 "$HS_TOP/tests/classify/stt_server.py" \
		"$T/port" "$T/req.log" "$1" "$KEY"
	wait_for 10 test -s "$T/port" || fail "stt_server.py did not start"
	PORT=$(cat "$T/port")
}

# run ENGINE KEYFILE TIMEOUT: classifyd --wer with that engine
run() {
	write_conf <<CONF
[classify]
stt_engine = $1
stt_base_url = http://127.0.0.1:$PORT/
stt_model = $4
stt_api_key_file = $2
stt_timeout_ms = $3
CONF
	: >"$T/req.log"
	"$HS_BUILD/classifyd" -f "$T/hs.conf" --wer "$T/m.tsv" >"$T/out" 2>"$T/err"
	RC=$?
	if grep -q -- "$KEY" "$T/out" "$T/err"; then
		fail "$1: the API key was printed"
	fi
}

expect_cloud() { # engine
	[ $RC -eq 0 ] || { cat "$T/out" "$T/err"; fail "$1: exit $RC"; }
	grep -q "^OK $1" "$T/req.log" || { cat "$T/req.log" "$T/err"; fail "$1: request not as the service expects"; }
	grep -q "^a.wav wer=0.000 .* engine=$1 hyp=\"$TEXT\"$" "$T/out" ||
		{ cat "$T/out" "$T/err"; fail "$1: the service's text is not the transcript"; }
}

expect_fallback() { # what why
	[ $RC -eq 0 ] || { cat "$T/out" "$T/err"; fail "$1: exit $RC"; }
	grep -q "^a.wav .* engine=pocketsphinx " "$T/out" ||
		{ cat "$T/out" "$T/err"; fail "$1: no fall-back to pocketsphinx"; }
	grep -q "$2" "$T/err" ||
		{ cat "$T/err"; fail "$1: the log does not say '$2'"; }
	grep -q "using pocketsphinx for this segment" "$T/err" ||
		{ cat "$T/err"; fail "$1: fall-back not logged"; }
}

server ok
run openai "$T/key" 5000 whisper-test
expect_cloud openai
ok "openai: multipart WAV + model + Bearer key, {\"text\"} is the transcript"

HOLDSLAYER_STT_API_KEY=$KEY
export HOLDSLAYER_STT_API_KEY
run deepgram "" 5000 nova-test
expect_cloud deepgram
ok "deepgram: audio/wav body + Token key from the environment, transcript taken"
unset HOLDSLAYER_STT_API_KEY

printf 'sk-wrong\n' >"$T/badkey"
run openai "$T/badkey" 5000 whisper-test
grep -q "^BAD openai: bad Authorization" "$T/req.log" || fail "server did not see the wrong key"
expect_fallback "wrong key" "HTTP 400"
ok "a rejected key falls back to pocketsphinx"

server 500
run openai "$T/key" 5000 whisper-test
expect_fallback "HTTP 500" "openai failed (http://127.0.0.1:$PORT/v1/audio/transcriptions: HTTP 500)"
ok "HTTP 500 falls back to pocketsphinx"

server slow
t0=$(date +%s)
run deepgram "$T/key" 1000 nova-test
t1=$(date +%s)
expect_fallback "timeout" "no answer within 1000 ms"
[ $((t1 - t0)) -lt 5 ] || fail "the timeout did not cut the request short ($((t1 - t0)) s)"
ok "a slow service times out after stt_timeout_ms and falls back"

run openai "" 1000 whisper-test
[ $RC -ne 0 ] || fail "openai without a key started"
grep -q "needs a key: stt_api_key_file or \$HOLDSLAYER_STT_API_KEY" "$T/err" ||
	{ cat "$T/err"; fail "missing key not explained"; }
run openai "$T/nokey" 1000 whisper-test
grep -q "stt_api_key_file $T/nokey: No such file" "$T/err" ||
	{ cat "$T/err"; fail "missing key file not named"; }
run whisper "" 1000 x
grep -q "stt_engine 'whisper': not one of" "$T/err" ||
	{ cat "$T/err"; fail "unknown engine not named"; }
ok "missing key, missing key file and unknown engine are clear errors"
