#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Receives journal native-protocol datagrams on a unix socket (as /run/systemd/journal/socket)
and writes each entry as one JSON object per line to --out, for tests/integration/status.sh and
journal.sh.
Stops after --seconds."""
import argparse
import json
import os
import socket
import struct
import sys
import time


def parse(data):
    entry = {}
    i = 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            i = nl + 1
        else:  # KEY\n<le64 length><value>\n
            k = line
            (n,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            v = data[nl + 9:nl + 9 + n]
            i = nl + 9 + n + 1
        entry[k.decode()] = v.decode("utf-8", "replace")
    return entry


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--socket", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--ready", required=True)
    p.add_argument("--seconds", type=float, default=30)
    a = p.parse_args()

    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if os.path.exists(a.socket):
        os.unlink(a.socket)
    s.bind(a.socket)
    open(a.ready, "w").write(str(os.getpid()))
    end = time.monotonic() + a.seconds
    with open(a.out, "a") as out:
        while time.monotonic() < end:
            s.settimeout(max(0.05, end - time.monotonic()))
            try:
                data = s.recv(1 << 20)
            except socket.timeout:
                break
            out.write(json.dumps(parse(data)) + "\n")
            out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
