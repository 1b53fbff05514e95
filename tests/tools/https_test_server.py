#!/usr/bin/env python3
"""https_test_server.py: a test-only HTTPS server for t_poller.sh.

It stands in for an agent (the poller's peer) and for a webhook receiver.
Never used outside the tests.

    https_test_server.py --cert C --key K [--ca CA] --port-file F --log L MODE...

--ca CA      require a client certificate chaining to CA (mutual TLS)
--port-file  it binds 127.0.0.1:0 and writes the port there when ready
--log        one line per event: "conn" per accepted TLS connection,
             "req METHOD PATH STATUS" per answered request, and for the
             webhook mode "event ok BODY" / "event bad-signature" /
             "event stale"

Modes:
  --mode ok          200, body "ok PATH LEN" (LEN: request body bytes)
  --mode hang        read the request, never answer
  --mode big N       200 with N bytes; --chunked: without Content-Length
  --mode webhook     check X-Hostgate-Timestamp / X-Hostgate-Signature
                     (HMAC-SHA256 with --secret-file's bytes over
                     "TIMESTAMP.BODY", docs/api.md); 204 if valid and
                     within 300 s of now, else 401
  --fail N           the first N requests are answered 503 (any mode)
"""
import argparse
import hashlib
import hmac
import http.server
import os
import socketserver
import ssl
import sys
import threading
import time

LOCK = threading.Lock()
STATE = {"n": 0}


def log(args, line):
    with LOCK:
        with open(args.log, "a") as f:
            f.write(line + "\n")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def finish_request(self, request, client_address):
        # The TLS handshake runs here, in the connection's own thread, so
        # a hung or refused client cannot stall the accept loop.
        try:
            tls = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            log(self.args, "handshake-refused %s" % type(e).__name__)
            return
        log(self.args, "conn")
        self.RequestHandlerClass(tls, client_address, self)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"    # keep-alive

    def log_message(self, fmt, *a):
        pass

    def answer(self, status, body=b"", chunked=False):
        args = self.server.args
        self.send_response(status)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if chunked:
            step = 16384
            for i in range(0, len(body), step):
                part = body[i:i + step]
                self.wfile.write(b"%x\r\n" % len(part) + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(body)
        log(args, "req %s %s %d" % (self.command, self.path, status))

    def handle_any(self):
        args = self.server.args
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        with LOCK:
            STATE["n"] += 1
            k = STATE["n"]
        if args.mode == "hang":
            log(args, "req %s %s hang" % (self.command, self.path))
            time.sleep(3600)
            return
        if k <= args.fail:
            self.answer(503, b"failing on purpose\n")
            return
        if args.mode == "big":
            self.answer(200, b"x" * args.size, args.chunked)
            return
        if args.mode == "webhook":
            ts = self.headers.get("X-Hostgate-Timestamp", "")
            sig = self.headers.get("X-Hostgate-Signature", "")
            want = "sha256=" + hmac.new(args.secret, ts.encode() + b"." + body,
                                        hashlib.sha256).hexdigest()
            if not hmac.compare_digest(sig, want):
                log(args, "event bad-signature")
                self.answer(401, b"bad signature\n")
                return
            try:
                fresh = abs(time.time() - int(ts)) <= 300
            except ValueError:
                fresh = False
            if not fresh:
                log(args, "event stale")
                self.answer(401, b"stale timestamp\n")
                return
            log(args, "event ok " + body.decode("utf-8", "replace"))
            self.answer(204)
            return
        self.answer(200, b"ok %s %d\n" % (self.path.encode(), len(body)))

    do_GET = handle_any
    do_POST = handle_any


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--ca")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--mode", default="ok", choices=["ok", "hang", "big", "webhook"])
    ap.add_argument("--size", type=int, default=0)
    ap.add_argument("--chunked", action="store_true")
    ap.add_argument("--secret-file")
    ap.add_argument("--fail", type=int, default=0)
    args = ap.parse_args()
    args.secret = open(args.secret_file, "rb").read() if args.secret_file else b""

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.cert, args.key)
    if args.ca:
        ctx.load_verify_locations(args.ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    srv = Server(("127.0.0.1", 0), Handler)
    srv.ctx = ctx
    srv.args = args
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
