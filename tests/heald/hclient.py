#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A client of heald's control socket for the tests (JSON lines).

As a command:  hclient.py SOCKET CMD [KEY=VALUE ...]   one request, the reply
               hclient.py SOCKET --raw LINE            a raw line, the reply
As a module:   the scenarios of tests/heald/test_api_*.sh import it.
Exit code 0 with a reply printed, 1 when the connection ended without one.
"""
import json
import os
import socket
import sys
import time


class Client:
    def __init__(self, path, timeout=10.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""

    def send(self, line):
        if isinstance(line, dict):
            line = json.dumps(line)
        if isinstance(line, str):
            line = line.encode()
        try:
            self.s.sendall(line + b"\n")
        except (BrokenPipeError, ConnectionResetError):
            pass    # closed on us: what it said first is still to be read

    def readline(self):
        """The next line as bytes, or None at EOF / reset."""
        while b"\n" not in self.buf:
            try:
                d = self.s.recv(1 << 20)
            except (ConnectionResetError, BrokenPipeError):
                d = b""
            if not d:
                return None
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def reply(self):
        """The next line that is a reply (has "ok"), events skipped; None at EOF."""
        while True:
            line = self.readline()
            if line is None:
                return None
            o = json.loads(line)
            if "ok" in o:
                return o

    def request(self, obj):
        self.send(obj)
        return self.reply()

    def closed_by_peer(self, timeout):
        """True when heald closes the connection within @timeout seconds
        (what is still queued for us is read and thrown away)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.s.settimeout(max(0.01, end - time.monotonic()))
            try:
                d = self.s.recv(1 << 20)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            if not d:
                return True
        return False

    def close(self):
        self.s.close()


def main(argv):
    path = argv[1]
    if argv[2] == "--raw":
        line = argv[3]
    else:
        req = {"cmd": argv[2]}
        for kv in argv[3:]:
            k, v = kv.split("=", 1)
            try:
                req[k] = json.loads(v)
            except ValueError:
                req[k] = v
        line = json.dumps(req)
    c = Client(path, float(os.environ.get("HC_TIMEOUT", "10")))
    c.send(line)
    r = c.readline()
    if r is None:
        print("connection closed without a reply", file=sys.stderr)
        return 1
    sys.stdout.write(r.decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
