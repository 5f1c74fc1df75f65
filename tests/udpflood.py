#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""UDP datagrams to the pair's far end, as fast as sendto() goes.

Usage: udpflood.py [--size BYTES] [--flows N] [--sndbuf] COUNT|-SECONDS

Sends COUNT datagrams per flow (or for SECONDS seconds) of BYTES payload
(default 56) to 10.0.0.2:9 and prints how many sendto() calls were made,
ENOBUFS ones included (the qdisc dropped those and counted them).
--flows N: N sockets bound to 10.0.0.1 source ports 20000 + i, used round
robin, so the core's TX hash spreads them over the queues; without it,
one unbound socket. --sndbuf: an 8 MiB send buffer (SO_SNDBUFFORCE), so
the sender outruns the ring rather than block first (frames in the ring
still count against its socket).
"""

import argparse
import errno
import socket
import time

SO_SNDBUFFORCE = 32


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=56)
    ap.add_argument("--flows", type=int, default=0)
    ap.add_argument("--sndbuf", action="store_true")
    ap.add_argument("arg", type=int)
    opt = ap.parse_args()

    socks = []
    for i in range(max(opt.flows, 1)):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if opt.flows:
            s.bind(("10.0.0.1", 20000 + i))
        if opt.sndbuf:
            s.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, 8 << 20)
        socks.append(s)
    nf = len(socks)
    data = b"x" * opt.size
    arg = opt.arg
    n = 0
    end = time.time() - arg if arg < 0 else None
    while (n < arg * nf) if end is None else (time.time() < end):
        try:
            socks[n % nf].sendto(data, ("10.0.0.2", 9))
        except OSError as e:
            if e.errno != errno.ENOBUFS:
                raise
        n += 1
    print(n)


if __name__ == "__main__":
    main()
