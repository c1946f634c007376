#!/usr/bin/python3
"""evil_aggregator.py - a scriptable lying aggregator for the client tests.

    evil_aggregator.py SCRIPT PORT_FILE

SCRIPT is a JSON file, re-read on every request; when its text changed, the
answer counters restart:
    {"upstream": "http://127.0.0.1:N/aggregator",
     "routes": {"/aggregator/certificate/<hash>": ["genuine.json", "forged.json"]}}
The n-th GET of a scripted path gets the n-th file of its list (the last one
repeats; "-" forwards that request to the upstream; "redirect:URL" answers
302 to URL), so answers can change
between two requests of the same URL. Every other GET is forwarded to the
upstream; POSTs (usage statistics) get 201. Like the aggregator, it answers
CORS (any origin), so a page of another origin (the explorer) reads it. Forged files are made by the test
(cert-forge re-hashes certificates, the test re-hashes artifacts)."""
import http.server
import json
import os
import sys
import threading
import urllib.error
import urllib.request

SCRIPT, PORT_FILE = sys.argv[1], sys.argv[2]
state = {"text": None, "script": {}, "count": {}}
lock = threading.Lock()


def answer_for(path):
    """The file to serve for path (None: forward), and the upstream."""
    with lock:
        with open(SCRIPT) as f:
            text = f.read()
        if text != state["text"]:
            state["script"], state["text"], state["count"] = json.loads(text), text, {}
        script = state["script"]
        answers = script.get("routes", {}).get(path)
        n = state["count"].get(path, 0)
        state["count"][path] = n + 1
    pick = answers[min(n, len(answers) - 1)] if answers else "-"
    return (None if pick == "-" else pick), script.get("upstream", "")


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write("evil: " + fmt % args + "\n")

    def send(self, status, body, ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin") or "*")
        self.end_headers()
        self.wfile.write(body)

    def do_OPTIONS(self):
        self.send_response(200)
        self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin") or "*")
        self.send_header("Access-Control-Allow-Headers", self.headers.get("Access-Control-Request-Headers") or "*")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send(201, b"")

    def do_GET(self):
        path = self.path.split("?")[0]
        pick, upstream = answer_for(path)
        if pick is not None and pick.startswith("redirect:"):
            self.send_response(302)
            self.send_header("Location", pick[len("redirect:"):])
            self.send_header("Content-Length", "0")
            return self.end_headers()
        if pick is not None:
            with open(pick, "rb") as f:
                return self.send(200, f.read())
        base = upstream.rsplit("/aggregator", 1)[0]
        try:
            with urllib.request.urlopen(base + self.path, timeout=60) as r:
                return self.send(r.status, r.read(), r.headers.get("Content-Type", "application/json"))
        except urllib.error.HTTPError as e:
            return self.send(e.code, e.read())


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
tmp = PORT_FILE + ".tmp"
with open(tmp, "w") as f:
    f.write("%d\n" % server.server_address[1])
os.rename(tmp, PORT_FILE)
server.serve_forever()
