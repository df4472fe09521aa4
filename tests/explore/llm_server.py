#!/usr/bin/env python3
"""A language model server for tests: speaks the OpenAI chat completions
and the Anthropic messages wire formats with tool calls, logs every
request (path, headers, body) as a JSON line, and answers from a small
script: the first menu gets the key FIRST, a menu heard after an earlier
tool call gets the key THEN, anything else a wait.  MODE error answers
500, MODE slow answers the first request after SLOW seconds, then 500.
MODE sayhang says a phrase to the first prompt, then hangs up.

usage: llm_server.py PORTFILE LOG MODE FIRST THEN
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

portfile, log, mode, first, then = sys.argv[1:6]
count = 0


def user_text(body):
    msgs = body.get("messages", [])
    for m in reversed(msgs):
        if m.get("role") != "user":
            continue
        c = m.get("content")
        if isinstance(c, str):
            return c
        for part in c or []:
            if part.get("type") == "text":
                return part.get("text", "")
    return ""


def had_tool_turn(body):
    for m in body.get("messages", []):
        if m.get("role") == "tool":
            return True
        c = m.get("content")
        if isinstance(c, list) and any(
                p.get("type") == "tool_result" for p in c):
            return True
    return False


def decide(body):
    text = user_text(body).lower()
    if mode == "sayhang":
        if not had_tool_turn(body):
            return "say", {"text": "I want to file a claim for a damaged parcel",
                           "reason": "the menu asks for words"}
        return "hang_up", {"reason": "no option fits a damaged parcel claim"}
    if not had_tool_turn(body):
        return "press_digits", {"digits": first, "reason": "first menu"}
    if "press" in text or "option" in text:
        return "press_digits", {"digits": then, "reason": "menu again"}
    return "wait", {"seconds": 2, "reason": "not a menu"}


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        global count
        n = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(n)
        count += 1
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        with open(log, "a") as f:
            f.write(json.dumps({"path": self.path,
                                "headers": {k.lower(): v for k, v in
                                            self.headers.items()},
                                "body": body}) + "\n")
        if mode == "slow" and count == 1:
            time.sleep(float(then))
        if mode in ("error", "slow") or body is None:
            self.reply(500, {"error": {"message": "server error"}})
            return
        name, args = decide(body)
        if self.path.endswith("/chat/completions"):
            self.reply(200, {
                "id": "chatcmpl-%d" % count, "object": "chat.completion",
                "created": int(time.time()), "model": body.get("model"),
                "choices": [{"index": 0, "finish_reason": "tool_calls",
                             "message": {"role": "assistant", "content": None,
                                         "tool_calls": [{
                                             "id": "call_%d" % count,
                                             "type": "function",
                                             "function": {
                                                 "name": name,
                                                 "arguments": json.dumps(args)}}]}}],
                "usage": {"prompt_tokens": 100, "completion_tokens": 10,
                          "total_tokens": 110}})
        elif self.path.endswith("/v1/messages"):
            self.reply(200, {
                "id": "msg_%d" % count, "type": "message",
                "role": "assistant", "model": body.get("model"),
                "content": [{"type": "text", "text": "Choosing."},
                            {"type": "tool_use", "id": "toolu_%d" % count,
                             "name": name, "input": args}],
                "stop_reason": "tool_use", "stop_sequence": None,
                "usage": {"input_tokens": 100, "output_tokens": 10}})
        else:
            self.reply(404, {"error": {"message": "no such path"}})

    def reply(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


srv = HTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
