#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Numbered UDP datagrams for the XDP tests (tests/35-xdp.sh), and their
receiver, both checking every payload byte for byte.

Usage:
  xdpudp.py send DST COUNT [--port P] [--src ADDR] [--sport P]
                 [--size N] [--wrap] [--echo SEC] [--until FILE [--gap MS]]
      Send COUNT datagrams to DST:P (default port 7035, the one the
      programs of tests/bpf/xdp_lab.h act on) from a socket bound to
      ADDR:SPORT (default 10.0.0.1:40035). Each payload is a "body" of N
      bytes (default 64, at least 10): b"xdplab", the datagram's number
      (32 bits, big-endian), then filler that depends on the position.
      --wrap: each body between the 8 bytes "XDP-HEAD" and a 16-byte
      trailer, what tests/bpf/xdp_adjust.c's program cuts off.
      --echo SEC: then count what comes back to the socket (a program
      that turns the datagrams around: XDP_TX, XDP_REDIRECT), until COUNT
      came or SEC seconds passed, and 0.5 s more for any extra.
      Prints one JSON line: {"sent": N, "echoed": K, "echo_bodies": B,
      "echo_distinct": D}: K datagrams came back, B of them intact
      bodies, of D different numbers.
      --until FILE: COUNT is a maximum; stop sending once FILE exists
      (looked for every 16 datagrams), "sent" says how many went.
      --gap MS: a pause of MS milliseconds after every 16 datagrams, so
      that a long flood leaves the CPUs to the rest of the test.

  xdpudp.py recv ADDR PORT [--ready FILE]
      Bind ADDR:PORT (a 16 MiB receive buffer) and count what arrives.
      SIGUSR1 prints a report of what came since the last one and goes
      on; SIGTERM prints one and exits. --ready FILE is created once
      bound. A report is one JSON line: {"datagrams": N, "bodies": B,
      "distinct": D, "bytes": L, "lens": {"64": N, ...}}: B of the N
      were intact bodies (of any length), of D different numbers; L
      payload bytes in all.

Only the Python standard library is used.
"""
import json
import os
import select
import signal
import socket
import struct
import sys
import time

SO_RCVBUFFORCE = 33
MAGIC = b"xdplab"
HEAD = b"XDP-HEAD"
TAIL = b"XDP-TAIL/XDP-END"


def body(seq, size):
    filler = bytes((seq + i) & 0xFF for i in range(size - 10))
    return MAGIC + struct.pack("!I", seq) + filler


def body_seq(data):
    """The number of an intact body, else None."""
    if len(data) < 10 or not data.startswith(MAGIC):
        return None
    seq = struct.unpack_from("!I", data, 6)[0]
    return seq if data == body(seq, len(data)) else None


def opt(args, name, default):
    if name in args:
        i = args.index(name)
        if i + 1 >= len(args):
            sys.exit(__doc__)
        val = args[i + 1]
        del args[i:i + 2]
        return val
    return default


def flag(args, name):
    if name in args:
        args.remove(name)
        return True
    return False


def s_new(src, sport):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
    s.bind((src, sport))
    return s


def send_until(s, dst, port, size, wrap, count, until, gap):
    for seq in range(count):
        if seq % 16 == 0:
            if os.path.exists(until):
                return seq
            if gap and seq:
                time.sleep(gap)
        data = body(seq, size)
        if wrap:
            data = HEAD + data + TAIL
        s.sendto(data, (dst, port))
    return count


def send(args):
    port = int(opt(args, "--port", "7035"))
    src = opt(args, "--src", "10.0.0.1")
    sport = int(opt(args, "--sport", "40035"))
    size = int(opt(args, "--size", "64"))
    echo = opt(args, "--echo", None)
    until = opt(args, "--until", None)
    gap = float(opt(args, "--gap", "0")) / 1000
    wrap = flag(args, "--wrap")
    if len(args) != 2 or size < 10:
        sys.exit(__doc__)
    dst, count = args[0], int(args[1])
    if until is not None:
        count = send_until(s_new(src, sport), dst, port, size, wrap, count,
                           until, gap)
        print(json.dumps({"sent": count}), flush=True)
        return
    s = s_new(src, sport)
    for seq in range(count):
        data = body(seq, size)
        if wrap:
            data = HEAD + data + TAIL
        # A short or failed send raises: the test's count would be off.
        s.sendto(data, (dst, port))
    res = {"sent": count}
    if echo is not None:
        got, seqs, good = 0, set(), 0
        end = time.monotonic() + float(echo)
        s.setblocking(False)
        while True:
            now = time.monotonic()
            if now >= end:
                break
            if not select.select([s], [], [], end - now)[0]:
                continue
            data = s.recv(65536)
            got += 1
            seq = body_seq(data)
            if seq is not None:
                good += 1
                seqs.add(seq)
            if got == count:
                # Anything more than COUNT is an error: give it a
                # moment to show up.
                end = min(end, time.monotonic() + 0.5)
        res.update(echoed=got, echo_bodies=good, echo_distinct=len(seqs))
    print(json.dumps(res, sort_keys=True), flush=True)


stop = False
report = False


def on_signal(sig, _frame):
    global stop, report
    if sig == signal.SIGUSR1:
        report = True
    else:
        stop = True


def recv(args):
    global report
    ready = opt(args, "--ready", None)
    if len(args) != 2:
        sys.exit(__doc__)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGUSR1, on_signal)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
    s.bind((args[0], int(args[1])))
    s.setblocking(False)
    if ready:
        with open(ready, "w") as f:
            f.write("ready\n")

    def fresh():
        return {"datagrams": 0, "bodies": 0, "bytes": 0, "lens": {}}
    res, seqs = fresh(), set()

    def drain():
        while True:
            try:
                data = s.recv(65536)
            except BlockingIOError:
                return
            res["datagrams"] += 1
            res["bytes"] += len(data)
            k = str(len(data))
            res["lens"][k] = res["lens"].get(k, 0) + 1
            seq = body_seq(data)
            if seq is not None:
                res["bodies"] += 1
                seqs.add(seq)

    def emit():
        drain()
        res["distinct"] = len(seqs)
        print(json.dumps(res, sort_keys=True), flush=True)

    while not stop:
        try:
            select.select([s], [], [], 0.2)
        except InterruptedError:
            pass
        drain()
        if report:
            report = False
            emit()
            res, seqs = fresh(), set()
    emit()


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    cmd = args.pop(0)
    if cmd == "send":
        send(args)
    elif cmd == "recv":
        recv(args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
