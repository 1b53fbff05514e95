#!/usr/bin/env python3
"""ear_proxy.py: TEST ONLY. A man in the middle between the gate (remote
mode) and a real `hostgate-verify serve`, for t_gate_remote.sh. It holds a
server certificate of the verifier's CA and a host's client certificate, so
it can do what a compromised path or a confused service could: hand the
gate a genuine, validly signed EAR that is not the one the gate asked for.

    ear_proxy.py --cert C --key K --upstream URL --ca CA \\
        --client-cert HC --client-key HK --port-file F --log L \\
        [--scope KIND:NAME]... [--delay S]

Every request is forwarded to URL (TLS verified against CA, with HC/HK as
the client certificate) and the answer returned as it came, except:
  --scope W    POST /v1/attest is forwarded with its workload= parameters
               replaced by these (the service then judges, and its EAR
               vouches for, another domain's files)
  --delay S    the answer to POST /v1/attest is held S seconds (an EAR
               that expires on the way)
  --replay     the first answer to POST /v1/attest is kept, and every
               later POST /v1/attest (still forwarded) is answered with it:
               a genuine EAR replayed to a later start
--log gets one line per request: "METHOD PATH STATUS".
"""
import argparse
import http.client
import http.server
import os
import socketserver
import ssl
import sys
import time
import urllib.parse

REPLAY = {}


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def forward(self):
        a = self.server.args
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        path = self.path
        u = urllib.parse.urlsplit(path)
        attest = self.command == "POST" and u.path == "/v1/attest"
        if attest and a.scope:
            q = [(k, v) for k, v in urllib.parse.parse_qsl(u.query) if k != "workload"]
            q += [("workload", w) for w in a.scope]
            path = u.path + "?" + urllib.parse.urlencode(q)
        up = urllib.parse.urlsplit(a.upstream)
        ctx = ssl.create_default_context(cafile=a.ca)
        ctx.load_cert_chain(a.client_cert, a.client_key)
        c = http.client.HTTPSConnection(up.hostname, up.port, context=ctx, timeout=30)
        hdr = {}
        if self.headers.get("Content-Type"):
            hdr["Content-Type"] = self.headers["Content-Type"]
        c.request(self.command, path, body=body, headers=hdr)
        r = c.getresponse()
        data = r.read()
        status = r.status
        ctype = r.getheader("Content-Type") or "application/json"
        c.close()
        if attest and a.replay:
            if "first" in REPLAY:
                status, ctype, data = REPLAY["first"]
            else:
                REPLAY["first"] = (status, ctype, data)
        if attest and a.delay:
            time.sleep(a.delay)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with open(a.log, "a") as f:
            f.write("%s %s %d\n" % (self.command, path, status))

    do_GET = forward
    do_POST = forward


def main():
    ap = argparse.ArgumentParser()
    for o in ("--cert", "--key", "--upstream", "--ca", "--client-cert",
              "--client-key", "--port-file", "--log"):
        ap.add_argument(o, required=True)
    ap.add_argument("--scope", action="append", default=[])
    ap.add_argument("--delay", type=float, default=0)
    ap.add_argument("--replay", action="store_true")
    args = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.cert, args.key)
    srv = Server(("127.0.0.1", 0), Handler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.args = args
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
