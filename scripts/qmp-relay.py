#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""QMP for the tests in the VM, relayed from the host (scripts/vm.sh runs it).

QEMU's monitor is a Unix socket on the host; the guest cannot reach it (it
has no network, and 9p carries files, not sockets).  So the guest writes
each command into the results folder both sides share, and this relay
passes it on and writes QEMU's answer back:
    guest:  DIR/N.req     one QMP command, JSON (written as N.tmp, then renamed)
    host:   DIR/N.reply   QEMU's answer: the line with "return" or "error"
tests/common.sh's qmp() is the guest's side.
    scripts/qmp-relay.py SOCKET DIR
It ends when QEMU has gone (its socket refuses) after having been there.
"""
import json
import os
import socket
import sys
import time


def call(path, cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    f = s.makefile("rwb")
    f.readline()                                    # the greeting
    for c in ({"execute": "qmp_capabilities"}, cmd):
        f.write(json.dumps(c).encode() + b"\n")
        f.flush()
        while True:
            line = f.readline()
            if not line:
                raise ConnectionError("QEMU closed the monitor")
            r = json.loads(line)
            if "return" in r or "error" in r:      # events are skipped
                break
    s.close()
    return r


def main(sock, folder):
    os.makedirs(folder, exist_ok=True)
    seen_qemu = False
    while True:
        if not os.path.exists(sock):
            if seen_qemu:
                return 0
            time.sleep(0.2)
            continue
        seen_qemu = True
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".req"):
                continue
            req = os.path.join(folder, name)
            try:
                with open(req) as f:
                    cmd = json.load(f)
                r = call(sock, cmd)
            except (OSError, ValueError) as e:
                if isinstance(e, ConnectionRefusedError):
                    return 0                        # QEMU has gone
                r = {"error": {"class": "RelayError", "desc": str(e)}}
            tmp = req[:-4] + ".rtmp"
            with open(tmp, "w") as f:
                f.write(json.dumps(r) + "\n")
            os.rename(tmp, req[:-4] + ".reply")
            os.unlink(req)
        time.sleep(0.1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
