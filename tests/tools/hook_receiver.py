#!/usr/bin/env python3
"""hook_receiver.py: TEST ONLY. A webhook receiver for t_serve_pull.sh:
an HTTPS server (Python's ssl module) that appends every POST it gets to
--out as one JSON line {"timestamp", "signature", "body"} (the raw body,
as received) and answers 200. It checks nothing: the test recomputes the
HMAC itself with openssl. Writes its port to --portfile; stops on SIGTERM.
One thread per connection: several verifier instances keep their
connections alive at once (t_serve_fleet.sh), and a server serving one
connection at a time would hold the others' POSTs until they time out.
"""
import argparse
import json
import os
import signal
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--portfile", required=True)
    a = ap.parse_args()

    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(min(n, 1 << 20)).decode("utf-8", "replace")
            with lock, open(a.out, "a") as f:
                f.write(json.dumps({
                    "timestamp": self.headers.get("X-Hostgate-Timestamp"),
                    "signature": self.headers.get("X-Hostgate-Signature"),
                    "body": body}) + "\n")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(a.portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(a.portfile + ".tmp", a.portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
