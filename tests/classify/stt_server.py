#!/usr/bin/env python3
"""A local stand-in for the OpenAI and Deepgram transcription APIs.

Speaks each service's real request and response format on 127.0.0.1 and
checks every request: path and query, the Authorization header, the
multipart fields (openai) or the Content-Type (deepgram), and that the
uploaded WAV parses as 8 kHz mono 16-bit PCM.  A request that fails a check
gets HTTP 400 and is written to the log.  Modes: ok, 500, slow (answers
after 5 s).  Usage: stt_server.py PORTFILE LOGFILE MODE KEY
"""
import email.parser
import io
import json
import sys
import time
import urllib.parse
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

portfile, logfile, mode, key = sys.argv[1:5]
TEXT = "your estimated wait time is twelve minutes"


def log(msg):
    with open(logfile, "a") as f:
        f.write(msg + "\n")


def check_wav(data):
    with wave.open(io.BytesIO(data)) as w:
        if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (8000, 1, 2):
            return "wav is %d Hz %d ch %d bytes" % (
                w.getframerate(), w.getnchannels(), w.getsampwidth())
        if w.getnframes() < 800:
            return "wav has only %d frames" % w.getnframes()
        return None


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        auth = self.headers.get("Authorization", "")
        ctype = self.headers.get("Content-Type", "")
        err = None
        if u.path == "/v1/audio/transcriptions":
            kind = "openai"
            if auth != "Bearer " + key:
                err = "openai: bad Authorization"
            elif not ctype.startswith("multipart/form-data"):
                err = "openai: Content-Type " + ctype
            else:
                msg = email.parser.BytesParser().parsebytes(
                    b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
                fields = {}
                for part in msg.get_payload():
                    fields[part.get_param("name", header="content-disposition")] = part
                if "file" not in fields or "model" not in fields:
                    err = "openai: fields %s" % sorted(fields)
                elif fields["model"].get_payload(decode=True) != b"whisper-test":
                    err = "openai: model %r" % fields["model"].get_payload(decode=True)
                elif not (fields["file"].get_filename() or "").endswith(".wav"):
                    err = "openai: file name %r" % fields["file"].get_filename()
                else:
                    err = check_wav(fields["file"].get_payload(decode=True))
            answer = {"text": TEXT}
        elif u.path == "/v1/listen":
            kind = "deepgram"
            if auth != "Token " + key:
                err = "deepgram: bad Authorization"
            elif ctype != "audio/wav":
                err = "deepgram: Content-Type " + ctype
            elif q.get("model") != ["nova-test"]:
                err = "deepgram: query %s" % u.query
            else:
                err = check_wav(body)
            answer = {"metadata": {"request_id": "t"}, "results": {"channels": [
                {"alternatives": [{"transcript": TEXT, "confidence": 0.99}]}]}}
        else:
            kind = "?"
            err = "unknown path " + u.path
        if err:
            log("BAD " + err)
            self.reply(400, {"error": err})
            return
        log("OK %s %s" % (kind, mode))
        if mode == "500":
            self.reply(500, {"error": "internal"})
            return
        if mode == "slow":
            time.sleep(5)
        self.reply(200, answer)


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
