#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Replays a recorded Docker Engine API answer on a unix socket, for tests/integration/status.sh.

GET /containers/json (with or without a /vX.Y prefix) answers with the file given by --answer
and the status given by --status; anything else is 404 with Docker's {"message": ...} body.
"""
import argparse
import http.server
import os
import re
import socketserver
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--socket", required=True)
    p.add_argument("--answer", required=True)
    p.add_argument("--status", type=int, default=200)
    p.add_argument("--ready", required=True)
    a = p.parse_args()

    with open(a.answer, "rb") as f:
        answer = f.read()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def address_string(self):
            return "unix"

        def reply(self, code, body, ctype="application/json"):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Api-Version", "1.41")
            self.send_header("Server", "Docker/20.10.25 (linux)")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            path = re.sub(r"^/v[0-9.]+", "", self.path.split("?")[0])
            if path == "/containers/json":
                return self.reply(a.status, answer)
            self.reply(404, b'{"message":"page not found"}\n')

    class Server(socketserver.UnixStreamServer):
        pass

    if os.path.exists(a.socket):
        os.unlink(a.socket)
    srv = Server(a.socket, Handler)
    with open(a.ready, "w") as f:
        f.write(str(os.getpid()))
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
