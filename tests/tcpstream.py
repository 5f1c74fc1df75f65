#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A bulk TCP stream that outlives a flaky link, for chaos tests.

Usage: tcpstream.py listen ADDR PORT
       tcpstream.py send ADDR PORT [--mss BYTES]

listen: accepts any number of connections on ADDR:PORT, reads and
discards what they carry, until killed.
send: connects to ADDR:PORT and writes as fast as it can, 64 KiB per
send() so that TSO/GSO builds large segments. When the connection
breaks, stalls (5 s without a byte sent) or cannot be made, it tries
again 0.5 s later, until killed. --mss clamps its segment size
(TCP_MAXSEG, before connect): every frame it sends is at most
BYTES + 54 bytes (IPv4 + TCP headers with timestamps + Ethernet), or a
GSO super-frame, whatever MTUs the link's ends take later, including on
a reconnection.
"""

import argparse
import errno
import selectors
import socket
import time


def listen(addr, port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(16)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ)
    buf = bytearray(1 << 18)
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if s is srv:
                c, _ = srv.accept()
                sel.register(c, selectors.EVENT_READ)
                continue
            try:
                n = s.recv_into(buf)
            except OSError:
                n = 0
            if not n:
                sel.unregister(s)
                s.close()


def send(addr, port, mss):
    data = b"x" * (64 << 10)
    while True:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if mss:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
        s.settimeout(5)
        try:
            s.connect((addr, port))
            while True:
                s.sendall(data)
        except (OSError, socket.timeout) as e:
            if isinstance(e, OSError) and e.errno not in (
                    None, errno.ECONNRESET, errno.EPIPE, errno.ETIMEDOUT,
                    errno.ECONNREFUSED, errno.ENETUNREACH,
                    errno.EHOSTUNREACH, errno.ENETDOWN, errno.ECONNABORTED):
                raise
        s.close()
        time.sleep(0.5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["listen", "send"])
    ap.add_argument("addr")
    ap.add_argument("port", type=int)
    ap.add_argument("--mss", type=int, default=0)
    opt = ap.parse_args()
    if opt.mode == "listen":
        listen(opt.addr, opt.port)
    else:
        send(opt.addr, opt.port, opt.mss)


if __name__ == "__main__":
    main()
