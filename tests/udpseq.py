#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Receive and check the numbered datagrams of udpflood.py --seq.

Usage: udpseq.py recv ADDR PORT FILE
       udpseq.py check FILE

recv: bind ADDR:PORT (a 32 MiB receive buffer, so the socket drops
nothing the test does not expect), print "ready" once bound, then append
"FLOW SEQ" per datagram to FILE until SIGTERM.
check: print "N datagrams, F flows, R out of order, D duplicates, first
K seqs of flow 0: ..." for FILE; exit 1 if any datagram arrived out of
order (a lower sequence number after a higher one of the same flow) or
twice. Gaps are allowed: the frames the test dropped on purpose.
"""
import signal
import socket
import struct
import sys

SO_RCVBUFFORCE = 33


def recv(addr, port, path):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 32 << 20)
    s.bind((addr, int(port)))
    out = open(path, "a", buffering=1)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    while True:
        data = s.recv(65536)
        flow, seq = struct.unpack("!HQ", data[:10])
        out.write(f"{flow} {seq}\n")


def check(path):
    last, seen = {}, set()
    n = ooo = dup = 0
    first = []
    with open(path) as f:
        for line in f:
            flow, seq = map(int, line.split())
            n += 1
            if (flow, seq) in seen:
                dup += 1
            seen.add((flow, seq))
            if flow in last and seq < last[flow]:
                ooo += 1
            last[flow] = max(seq, last.get(flow, seq))
            if flow == 0 and len(first) < 8:
                first.append(seq)
    print(f"{n} datagrams, {len(last)} flows, {ooo} out of order, "
          f"{dup} duplicates, first seqs of flow 0: {first}")
    return 1 if ooo or dup else 0


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "recv":
        recv(*sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
