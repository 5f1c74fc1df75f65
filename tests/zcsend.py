#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""MSG_ZEROCOPY senders and checking receivers, for the lab tests.

Usage:
  zcsend.py tcp-recv ADDR PORT BYTES
  zcsend.py tcp-send ADDR PORT BYTES
  zcsend.py udp-recv ADDR PORT COUNT SIZE
  zcsend.py udp-send ADDR PORT COUNT SIZE

The senders send from a pool of 8 buffers with MSG_ZEROCOPY (SO_ZEROCOPY
set): the kernel may read a buffer until it reports the send complete on
the socket's error queue, and each buffer is refilled with the next data
only then, as the zero-copy contract allows. If anything read a buffer
after its completion, the receiver would see the next data instead.
tcp-send sends BYTES in 64 KiB sends; udp-send sends COUNT datagrams of
SIZE bytes, each numbered in its first 8 bytes. The data is a fixed
pseudo-random pattern, rotated per 64 KiB chunk (per datagram for UDP).

A sender prints one JSON line once every send has completed:
  {"sends": N, "completed": N, "copied": N, "duplicates": N}
"completed" counts the send IDs the error queue reported; "copied" those
reported with SO_EE_CODE_ZEROCOPY_COPIED (the kernel copied the data, so
the buffer was free before the frame left). Exit status 1 if a
completion is missing after 20 s or reported twice.

A receiver checks every byte against the pattern and prints
  {"bytes": N, "bad": OFFSET or -1}            (tcp-recv)
  {"datagrams": N, "bad": N, "missing": N}     (udp-recv, after 5 s idle)
and exits 1 on a mismatch, a short stream or a missing datagram.

Only the Python standard library is used.
"""
import json
import random
import select
import socket
import struct
import sys

SO_ZEROCOPY = 60
MSG_ZEROCOPY = 0x4000000
SO_EE_ORIGIN_ZEROCOPY = 5
SO_EE_CODE_ZEROCOPY_COPIED = 1
IP_RECVERR = 11
SO_RCVBUFFORCE = 33
CHUNK = 65536
POOL = 8

BASE = random.Random(34).randbytes(CHUNK)


def chunk(k, size=CHUNK):
    """The data of chunk (or datagram) k."""
    r = (k * 4099) % CHUNK
    if r + size <= CHUNK:
        return BASE[r:r + size]
    return BASE[r:] + BASE[:size - (CHUNK - r)]


class Completions:
    """Send IDs the error queue reported complete."""

    def __init__(self, sock):
        self.sock = sock
        self.done = set()
        self.copied = 0
        self.duplicates = 0
        self.poll = select.poll()
        self.poll.register(sock, 0)     # POLLERR is always reported

    def read(self, timeout_ms):
        """Wait up to timeout_ms for the error queue, then drain it."""
        if not self.poll.poll(timeout_ms):
            return
        while True:
            try:
                _, anc, _, _ = self.sock.recvmsg(
                    0, 1024, socket.MSG_ERRQUEUE | socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            for level, typ, data in anc:
                if level != socket.IPPROTO_IP or typ != IP_RECVERR:
                    continue
                _, origin, _, code, _, lo, hi = struct.unpack(
                    "=IBBBBII", data[:16])
                if origin != SO_EE_ORIGIN_ZEROCOPY:
                    continue
                for i in range(lo, hi + 1):
                    if i in self.done:
                        self.duplicates += 1
                    self.done.add(i)
                    if code & SO_EE_CODE_ZEROCOPY_COPIED:
                        self.copied += 1


def send(sock, items, dest=None):
    """Send each item (a function filling a bytearray) from the pool."""
    sock.setsockopt(socket.SOL_SOCKET, SO_ZEROCOPY, 1)
    comp = Completions(sock)
    bufs = [None] * POOL
    owner = {}                  # send ID -> pool slot
    busy = [set() for _ in range(POOL)]
    sends = 0
    for n, data in enumerate(items):
        slot = n % POOL
        waited = 0
        while busy[slot] - comp.done:
            if waited >= 20:
                break           # reported below as incomplete
            comp.read(1000)
            waited += 1
        if busy[slot] - comp.done:
            break
        busy[slot].clear()
        if bufs[slot] is None or len(bufs[slot]) != len(data):
            bufs[slot] = bytearray(data)
        else:
            bufs[slot][:] = data
        view = memoryview(bufs[slot])
        while len(view):
            if dest:
                sent = sock.sendmsg([view], [], MSG_ZEROCOPY, dest)
            else:
                sent = sock.sendmsg([view], [], MSG_ZEROCOPY)
            owner[sends] = slot
            busy[slot].add(sends)
            sends += 1
            view = view[sent:]
    waited = 0
    while len(comp.done) < sends and waited < 20:
        comp.read(1000)
        waited += 1
    out = {"sends": sends, "completed": len(comp.done & set(owner)),
           "copied": comp.copied, "duplicates": comp.duplicates}
    print(json.dumps(out), flush=True)
    return out["completed"] == sends and not comp.duplicates


def tcp_send(addr, port, nbytes):
    sock = socket.create_connection((addr, port))
    full, rest = divmod(nbytes, CHUNK)
    items = [chunk(k) for k in range(full)]
    if rest:
        items.append(chunk(full, rest))
    ok = send(sock, items)
    sock.close()
    return ok


def tcp_recv(addr, port, nbytes):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(1)
    conn, _ = srv.accept()
    got, bad, pending, k = 0, -1, bytearray(), 0
    while True:
        data = conn.recv(1 << 20)
        if not data:
            break
        got += len(data)
        pending += data
        while len(pending) >= CHUNK:
            if bad < 0 and pending[:CHUNK] != chunk(k):
                bad = k * CHUNK
            del pending[:CHUNK]
            k += 1
    if pending:
        want = chunk(k, len(pending))
        if bad < 0 and pending != want:
            bad = k * CHUNK
    print(json.dumps({"bytes": got, "bad": bad}), flush=True)
    return got == nbytes and bad < 0


def udp_items(count, size):
    for i in range(count):
        yield struct.pack("!Q", i) + chunk(i, size - 8)


def udp_send(addr, port, count, size):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    return send(sock, udp_items(count, size), (addr, port))


def udp_recv(addr, port, count, size):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 32 << 20)
    sock.bind((addr, port))
    seen, bad = set(), 0
    sock.settimeout(30)         # the first datagram
    try:
        while len(seen) < count:
            data = sock.recv(65536)
            sock.settimeout(5)
            i = struct.unpack("!Q", data[:8])[0]
            if len(data) != size or data[8:] != chunk(i, size - 8):
                bad += 1
            seen.add(i)
    except socket.timeout:
        pass
    missing = count - len(seen & set(range(count)))
    print(json.dumps({"datagrams": len(seen), "bad": bad,
                      "missing": missing}), flush=True)
    return not bad and not missing


def main():
    cmd, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    args = [int(a) for a in sys.argv[4:]]
    fn = {"tcp-send": tcp_send, "tcp-recv": tcp_recv,
          "udp-send": udp_send, "udp-recv": udp_recv}[cmd]
    sys.exit(0 if fn(addr, port, *args) else 1)


if __name__ == "__main__":
    main()
