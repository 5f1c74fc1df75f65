#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""UDP datagrams to the pair's far end, as fast as sendto() goes.

Usage: udpflood.py [--size BYTES] [--flows N] [--burst N] [--sndbuf]
                   [--src ADDR] [--dst ADDR] [--port P] [--seq]
                   [--keep-going] COUNT|-SECONDS

Sends COUNT datagrams per flow (or for SECONDS seconds) of BYTES payload
(default 56) to 10.0.0.2:9 (--dst: to ADDR, --port: to port P) and prints how many
sendto() calls were made, ENOBUFS ones included (the qdisc dropped those
and counted them).
--flows N: N sockets bound to 10.0.0.1 (--src: ADDR) source ports
20000 + i, used round robin, so the core's TX hash spreads them over the
queues; without it, one unbound socket. --burst N: N datagrams on a flow
before the next one (default 1; the receiver's GRO merges runs of one
flow, not datagrams of flows taking turns). --sndbuf: an 8 MiB send
buffer (SO_SNDBUFFORCE), so the sender outruns the ring rather than
block first (frames in the ring still count against its socket).
--keep-going: also count and go on past ENETUNREACH, EHOSTUNREACH and
ENETDOWN (the device or its route went away for a while, as a chaos
test does on purpose).
--seq: each payload starts with its flow's index (16 bits) and the
flow's count of sendto() calls before it (64 bits), big-endian, for
tests/udpseq.py to check order and identity on the receiving side.
"""

import argparse
import errno
import socket
import struct
import time

SO_SNDBUFFORCE = 32


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=56)
    ap.add_argument("--flows", type=int, default=0)
    ap.add_argument("--burst", type=int, default=1)
    ap.add_argument("--sndbuf", action="store_true")
    ap.add_argument("--src", default="10.0.0.1")
    ap.add_argument("--dst", default="10.0.0.2")
    ap.add_argument("--port", type=int, default=9)
    ap.add_argument("--seq", action="store_true")
    ap.add_argument("--keep-going", action="store_true")
    ap.add_argument("arg", type=int)
    opt = ap.parse_args()

    socks = []
    for i in range(max(opt.flows, 1)):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if opt.flows:
            s.bind((opt.src, 20000 + i))
        if opt.sndbuf:
            s.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, 8 << 20)
        socks.append(s)
    nf = len(socks)
    ok_errs = {errno.ENOBUFS}
    if opt.keep_going:
        ok_errs |= {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN}
    dst = (opt.dst, opt.port)
    data = b"x" * opt.size
    if opt.seq and opt.size < 10:
        ap.error("--seq needs --size 10 or more")
    seq = [0] * nf
    arg = opt.arg
    n = 0
    end = time.time() - arg if arg < 0 else None
    while (n < arg * nf) if end is None else (time.time() < end):
        f = n // opt.burst % nf
        if opt.seq:
            data = struct.pack("!HQ", f, seq[f]) + b"x" * (opt.size - 10)
            seq[f] += 1
        try:
            socks[f].sendto(data, dst)
        except OSError as e:
            if e.errno not in ok_errs:
                raise
        n += 1
    print(n)


if __name__ == "__main__":
    main()
