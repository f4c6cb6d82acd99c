#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A loopback stand-in for the EC2 instance metadata service, for tests/integration/status.sh.

Implements the IMDSv2 session flow as EC2 does: PUT /latest/api/token with
X-aws-ec2-metadata-token-ttl-seconds hands out a token (400 without the header, 403 with
X-Forwarded-For); GET under /latest/meta-data/ answers with a valid token, and without one only
when --v1 on (401 otherwise). Every request is appended to --log as "METHOD PATH token|-".
"""
import argparse
import http.server
import os
import secrets
import socket
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bind", default="169.254.169.254")
    p.add_argument("--port", type=int, default=80)
    p.add_argument("--v1", choices=("on", "off"), default="off")
    p.add_argument("--no-v2", action="store_true", help="answer the token PUT with 405, as a v1-only service")
    p.add_argument("--role", default="ecsInstanceRole", help="'' for an instance without a role")
    p.add_argument("--instance-id", default="i-0123456789abcdef0")
    p.add_argument("--ready", required=True, help="file created once listening")
    p.add_argument("--log", default=None)
    a = p.parse_args()

    tokens = set()
    meta = {
        "/latest/meta-data/": "ami-id\ninstance-id\niam/\n",
        "/latest/meta-data/instance-id": a.instance_id,
    }
    if a.role:
        meta["/latest/meta-data/iam/security-credentials/"] = a.role
        meta["/latest/meta-data/iam/"] = "info\nsecurity-credentials/\n"

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def record(self, token):
            if a.log:
                with open(a.log, "a") as f:
                    f.write("%s %s %s\n" % (self.command, self.path, "token" if token else "-"))

        def reply(self, code, body=""):
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_PUT(self):
            self.record(False)
            n = int(self.headers.get("Content-Length") or 0)
            if n:
                self.rfile.read(n)
            if self.path != "/latest/api/token":
                return self.reply(404)
            if a.no_v2:
                return self.reply(405)
            if self.headers.get("X-Forwarded-For"):
                return self.reply(403)
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            if not ttl or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                return self.reply(400)
            t = secrets.token_urlsafe(32)
            tokens.add(t)
            self.reply(200, t)

        def do_GET(self):
            t = self.headers.get("X-aws-ec2-metadata-token")
            self.record(t is not None)
            if t is not None and t not in tokens:
                return self.reply(401)
            if t is None and a.v1 == "off":
                return self.reply(401)
            if self.path not in meta:
                return self.reply(404)
            self.reply(200, meta[self.path])

    family = socket.AF_INET6 if ":" in a.bind else socket.AF_INET

    class Server(http.server.HTTPServer):
        address_family = family

    srv = Server((a.bind, a.port), Handler)
    with open(a.ready, "w") as f:
        f.write(str(os.getpid()))
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
