#!/usr/bin/env python3
"""agent_stub.py: a TEST-ONLY stand-in for `hostgate-attest agent`, for
t_serve_pull.sh when that agent is not in this tree: an HTTPS server with
mutual TLS (Python's ssl module; clients must present a certificate from
--client-ca) that answers POST /v1/evidence {"nonce": "HEX"} with the
evidence bundle `hostgate-attest quote --nonce HEX` makes on this host's
swtpm: real quotes, real TLS. Never part of the product.

Usage: agent_stub.py --listen 127.0.0.1:0 --cert C --key K --client-ca CA
                     --attest BIN --portfile F [-- QUOTE-ARGS...]
Writes the bound port to --portfile once it listens. Stops on SIGTERM.
"""
import argparse
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import tempfile
from http.server import BaseHTTPRequestHandler, HTTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--client-ca", required=True)
    ap.add_argument("--attest", required=True)
    ap.add_argument("--portfile", required=True)
    ap.add_argument("quote_args", nargs="*")
    a = ap.parse_args()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def reply(self, status, ctype, body):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            if self.path != "/v1/evidence":
                return self.reply(404, "application/json", b'{"error":"no such resource"}')
            n = int(self.headers.get("Content-Length", "0"))
            if n > 4096:
                return self.reply(413, "application/json", b'{"error":"too large"}')
            try:
                nonce = json.loads(self.rfile.read(n))["nonce"]
                assert re.fullmatch(r"[0-9a-f]{16,128}", nonce)
            except Exception:
                return self.reply(400, "application/json", b'{"error":"bad request"}')
            with tempfile.NamedTemporaryFile(suffix=".cbor") as f:
                r = subprocess.run([a.attest, "quote", "--nonce", nonce, "-o", f.name]
                                   + a.quote_args, capture_output=True)
                if r.returncode != 0:
                    return self.reply(500, "application/json", b'{"error":"quote failed"}')
                body = open(f.name, "rb").read()
            self.reply(200, "application/cbor", body)

    host, port = a.listen.rsplit(":", 1)
    srv = HTTPServer((host, int(port)), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(a.cert, a.key)
    ctx.load_verify_locations(a.client_ca)
    ctx.verify_mode = ssl.CERT_REQUIRED
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    tmp = a.portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, a.portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
