#!/usr/bin/env python3
"""A scripted OpenAI Responses API server for bbox's tests.

It answers POST /v1/responses from a script: the n-th request that offers
tools (an agent turn: a "tools" list, or an "additional_tools" input item as
Codex sends) gets the script's n-th turn, either one tool call or a
final assistant message, streamed as the server-sent events the Responses API
documents (response.created, response.in_progress,
response.output_item.added, the item's deltas, response.output_item.done,
response.completed). Requests without tools (side requests an agent may make)
get a short message and do not use up a turn. GET /v1/models gets an empty
list; any other path or method gets a 404 error object.

Every request is recorded, in order, into the --record file (rewritten
atomically after each request) so that a test can check exactly what the
agent sent. The server listens on 127.0.0.1 only, and exits by itself after
--lifetime seconds.

Script file (JSON): {"turns": [
  {"function_call": {"name": "shell", "arguments": {...}}},
  {"custom_tool_call": {"name": "apply_patch", "input": "*** Begin Patch ..."}},
  {"text": "Done."}
]}
"""

import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = "gpt-scripted-test"


class Script:
    def __init__(self, turns, record_path):
        self.turns = turns
        self.record_path = record_path
        self.lock = threading.Lock()
        self.records = []
        self.turn = 0
        self.write()

    def write(self):
        tmp = self.record_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"requests": self.records, "turns_used": self.turn}, f, indent=1)
        os.replace(tmp, self.record_path)

    def record(self, entry, takes_turn):
        """Records a request; returns the turn it gets (or None)."""
        with self.lock:
            turn = None
            if takes_turn:
                turn = self.turn
                self.turn += 1
                entry["turn"] = turn
            self.records.append(entry)
            self.write()
            return turn


def output_item(spec, turn):
    """The finished output item of one scripted turn."""
    if spec is not None and "function_call" in spec:
        fc = spec["function_call"]
        args = fc["arguments"]
        return {"type": "function_call", "id": "fc_scripted_%02d" % turn,
                "call_id": "call_scripted_%02d" % turn, "name": fc["name"],
                "arguments": args if isinstance(args, str) else json.dumps(args),
                "status": "completed"}
    if spec is not None and "custom_tool_call" in spec:
        ct = spec["custom_tool_call"]
        return {"type": "custom_tool_call", "id": "ctc_scripted_%02d" % turn,
                "call_id": "call_scripted_%02d" % turn, "name": ct["name"],
                "input": ct["input"], "status": "completed"}
    text = (spec or {}).get("text", "Nothing more to do.")
    return {"type": "message", "id": "msg_scripted_%02d" % turn, "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


class Events:
    """Builds one response's event stream, numbering the events."""

    def __init__(self):
        self.out = []
        self.seq = 0

    def add(self, kind, **fields):
        data = {"type": kind, "sequence_number": self.seq}
        data.update(fields)
        self.seq += 1
        self.out.append("event: %s\ndata: %s\n\n" % (kind, json.dumps(data,
                                                                    separators=(",", ":"))))

    def body(self):
        return "".join(self.out).encode()


def item_events(ev, item):
    """The events between output_item.added and output_item.done."""
    iid = item["id"]
    if item["type"] == "function_call":
        args = item["arguments"]
        half = len(args) // 2
        for part in (args[:half], args[half:]):
            ev.add("response.function_call_arguments.delta", item_id=iid, output_index=0,
                   delta=part)
        ev.add("response.function_call_arguments.done", item_id=iid, output_index=0,
               arguments=args)
    elif item["type"] == "custom_tool_call":
        ev.add("response.custom_tool_call_input.delta", item_id=iid, output_index=0,
               delta=item["input"])
        ev.add("response.custom_tool_call_input.done", item_id=iid, output_index=0,
               input=item["input"])
    else:
        text = item["content"][0]["text"]
        part = {"type": "output_text", "text": "", "annotations": []}
        ev.add("response.content_part.added", item_id=iid, output_index=0, content_index=0,
               part=part)
        ev.add("response.output_text.delta", item_id=iid, output_index=0, content_index=0,
               delta=text)
        ev.add("response.output_text.done", item_id=iid, output_index=0, content_index=0,
               text=text)
        ev.add("response.content_part.done", item_id=iid, output_index=0, content_index=0,
               part=item["content"][0])


def response_object(resp_id, status, output):
    r = {"id": resp_id, "object": "response", "created_at": int(time.time()),
         "status": status, "model": MODEL, "output": output}
    if status == "completed":
        r["usage"] = {"input_tokens": 25, "input_tokens_details": {"cached_tokens": 0},
                      "output_tokens": 12, "output_tokens_details": {"reasoning_tokens": 0},
                      "total_tokens": 37}
    return r


def stream_body(resp_id, item):
    ev = Events()
    ev.add("response.created", response=response_object(resp_id, "in_progress", []))
    ev.add("response.in_progress", response=response_object(resp_id, "in_progress", []))
    started = dict(item, status="in_progress")
    if item["type"] == "function_call":
        started["arguments"] = ""
    elif item["type"] == "custom_tool_call":
        started["input"] = ""
    else:
        started["content"] = []
    ev.add("response.output_item.added", output_index=0, item=started)
    item_events(ev, item)
    ev.add("response.output_item.done", output_index=0, item=item)
    ev.add("response.completed", response=response_object(resp_id, "completed", [item]))
    return ev.body()


def offers_tools(body):
    """True for an agent turn: tools offered in "tools", or (as Codex does)
    in an "additional_tools" item of the input."""
    if body.get("tools"):
        return True
    items = body.get("input")
    return isinstance(items, list) and any(
        isinstance(i, dict) and i.get("type") == "additional_tools" and i.get("tools")
        for i in items)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    script = None  # set by main()

    def log_message(self, fmt, *args):
        pass

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n > 0 else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return {"unparsed": raw.decode("utf-8", "replace")}

    def entry(self, body):
        keep = ("authorization", "content-type", "user-agent", "openai-beta", "originator",
                "accept")
        headers = {k.lower(): v for k, v in self.headers.items() if k.lower() in keep}
        return {"method": self.command, "path": self.path, "headers": headers, "body": body}

    def reply(self, status, content_type, payload):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-request-id", "req_scripted")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def not_scripted(self, path):
        return self.reply(404, "application/json", json.dumps({"error": {
            "type": "invalid_request_error", "code": "not_found",
            "message": "not scripted: " + path}}).encode())

    def do_POST(self):
        body = self.read_body()
        path = self.path.split("?", 1)[0]
        if path != "/v1/responses" or not isinstance(body, dict):
            self.script.record(self.entry(body), False)
            return self.not_scripted(path)
        turn = self.script.record(self.entry(body), offers_tools(body))
        if turn is None:
            item = output_item({"text": "ok"}, 99)
        else:
            turns = self.script.turns
            item = output_item(turns[turn] if turn < len(turns) else None, turn)
        resp_id = "resp_scripted_%d" % len(self.script.records)
        if body.get("stream"):
            return self.reply(200, "text/event-stream", stream_body(resp_id, item))
        return self.reply(200, "application/json",
                          json.dumps(response_object(resp_id, "completed", [item])).encode())

    def do_GET(self):
        self.script.record(self.entry(None), False)
        if self.path.split("?", 1)[0] == "/v1/models":
            return self.reply(200, "application/json", b'{"object": "list", "data": []}')
        return self.not_scripted(self.path)

    do_HEAD = do_GET


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--script", required=True)
    p.add_argument("--record", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", help="write the port here once listening")
    p.add_argument("--lifetime", type=float, default=900)
    a = p.parse_args()

    with open(a.script) as f:
        turns = json.load(f)["turns"]
    Handler.script = Script(turns, a.record)
    server = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    server.daemon_threads = True
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(server.server_address[1]))
        os.replace(tmp, a.port_file)
    timer = threading.Timer(a.lifetime, server.shutdown)
    timer.daemon = True
    timer.start()
    server.serve_forever()


if __name__ == "__main__":
    main()
