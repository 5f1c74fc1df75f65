#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Raw Ethernet frames for the lab tests: send some, or capture and count.

Usage:
  rawsock.py send IFNAME DSTMAC COUNT [--ip-src A] [--ip-dst A] [--size N]
      Send COUNT IPv4/UDP frames (to port 9, the discard port, UDP checksum
      0) from IFNAME's MAC address to DSTMAC through an AF_PACKET socket.
      The IPv4 destination defaults to what DSTMAC implies: 255.255.255.255
      for broadcast, 239.x.y.z for a 01:00:5e:xx:y:z group, else 10.0.0.2.
      --size pads each frame to N bytes (default 60, the Ethernet minimum
      without FCS; the frames are 62 bytes unpadded). Prints the number of
      frames sent.

  rawsock.py serve IFNAME [--ip-src A]
      The same, for many batches without a Python start each: reads lines
      "DSTMAC COUNT [IPDST]" on stdin, sends, answers each with the number
      of frames sent (flushed), until end of input.

  rawsock.py capture IFNAME [--promisc] [--ready FILE] [--timeout SEC]
      Count the frames IFNAME receives (never the ones it sends) until
      SIGTERM/SIGINT or SEC seconds (default 60), then print one JSON line
      (SIGUSR1 prints one too, for the frames since the last one, and goes
      on):
        {"frames": N, "max_len": L, "min_len": L, "drops": D,
         "ethertypes": {"0x0800": N, ...}, "dst": {"aa:bb:..": N, ...}}
      Lengths are whole frames from the Ethernet header on, as the stack
      saw them (a GSO or GRO-merged skb is one frame of its full length);
      only the first 64 bytes are copied to user space (a socket filter
      truncates, PACKET_AUXDATA gives the original length), so a slow
      reader does not fill its receive buffer. "drops" is what the socket
      lost anyway (PACKET_STATISTICS). --promisc holds a PACKET_MR_PROMISC
      membership (the device's promiscuity +1) while the capture runs.
      --ready FILE is created once the socket is bound and filtering, so a
      test can start its traffic after `wait_for ... test -e FILE`.

Only the Python standard library is used.
"""
import ctypes
import errno
import json
import os
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_PROMISC = 1
PACKET_STATISTICS = 6
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
SO_ATTACH_FILTER = 26
SO_RCVBUFFORCE = 33
SNAP = 64


def usage():
    sys.exit(__doc__)


def mac_bytes(text):
    parts = text.split(":")
    if len(parts) != 6:
        raise ValueError("bad MAC address %r" % text)
    return bytes(int(p, 16) for p in parts)


def mac_text(raw):
    return ":".join("%02x" % b for b in raw)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def default_ip_dst(dst):
    if dst == b"\xff" * 6:
        return "255.255.255.255"
    if dst[:3] == b"\x01\x00\x5e":
        return "239.%d.%d.%d" % (dst[3] & 0x7F, dst[4], dst[5])
    return "10.0.0.2"


def frame(dst, src, ip_src, ip_dst, size, seq):
    payload = b"mynetdrv-lab %6d " % seq
    udp = struct.pack("!HHHH", 40000, 9, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), seq & 0xFFFF,
                     0x4000, 64, 17, 0, socket.inet_aton(ip_src),
                     socket.inet_aton(ip_dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    f = dst + src + b"\x08\x00" + ip + udp
    return f + b"\0" * max(0, size - len(f))


def opt(args, name, default):
    if name in args:
        i = args.index(name)
        if i + 1 >= len(args):
            usage()
        val = args[i + 1]
        del args[i:i + 2]
        return val
    return default


def send_frames(s, dst, count, ip_src, ip_dst, size):
    src = s.getsockname()[4]
    sent = 0
    for i in range(count):
        f = frame(dst, src, ip_src, ip_dst or default_ip_dst(dst), size, i)
        if s.send(f) != len(f):
            sys.exit("rawsock.py: short send")
        sent += 1
    return sent


def send(args):
    ip_src = opt(args, "--ip-src", "10.0.0.1")
    ip_dst = opt(args, "--ip-dst", None)
    size = int(opt(args, "--size", "60"))
    if len(args) != 3:
        usage()
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((args[0], 0))
    print(send_frames(s, mac_bytes(args[1]), int(args[2]), ip_src, ip_dst,
                      size))


def serve(args):
    ip_src = opt(args, "--ip-src", "10.0.0.1")
    if len(args) != 1:
        usage()
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((args[0], 0))
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        ip_dst = words[2] if len(words) > 2 else None
        print(send_frames(s, mac_bytes(words[0]), int(words[1]), ip_src,
                          ip_dst, 60), flush=True)


def attach_filter(s):
    # Classic BPF: drop what the device sends (pkttype OUTGOING), keep
    # the first SNAP bytes of everything else.
    ins = [
        (0x20, 0, 0, 0xFFFFF004),   # ld [SKF_AD_OFF + SKF_AD_PKTTYPE]
        (0x15, 1, 0, PACKET_OUTGOING),  # jeq OUTGOING -> drop
        (0x06, 0, 0, SNAP),         # ret SNAP
        (0x06, 0, 0, 0),            # drop: ret 0
    ]
    prog = b"".join(struct.pack("HBBI", *i) for i in ins)
    buf = ctypes.create_string_buffer(prog)
    fprog = struct.pack("HL", len(ins), ctypes.addressof(buf))
    s.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    return buf


stop = False
report = False


def on_signal(sig, _frame):
    global stop, report
    if sig == signal.SIGUSR1:
        report = True
    else:
        stop = True


def capture(args):
    global report
    promisc = "--promisc" in args
    if promisc:
        args.remove("--promisc")
    ready = opt(args, "--ready", None)
    timeout = float(opt(args, "--timeout", "60"))
    if len(args) != 1:
        usage()
    ifname = args[0]
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGUSR1, on_signal)

    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    keep = attach_filter(s)
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
    except OSError:
        pass
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.bind((ifname, ETH_P_ALL))
    if promisc:
        mreq = struct.pack("iHH8s", socket.if_nametoindex(ifname),
                           PACKET_MR_PROMISC, 0, b"")
        s.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq)
    # Whatever the stats say from before now does not count.
    s.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)
    if ready:
        with open(ready, "w") as f:
            f.write("%d\n" % os.getpid())

    def fresh():
        return {"frames": 0, "max_len": 0, "min_len": 0, "drops": 0,
                "ethertypes": {}, "dst": {}}
    res = fresh()

    def take():
        try:
            data, anc, _flags, addr = s.recvmsg(SNAP, socket.CMSG_SPACE(20))
        except OSError as e:
            # Reported once, when bound to a device that is down (or
            # goes down); the socket receives again once it is up.
            if e.errno != errno.ENETDOWN:
                raise
            return
        if addr[2] == PACKET_OUTGOING:
            return
        length = len(data)
        for level, kind, cdata in anc:
            if level == SOL_PACKET and kind == PACKET_AUXDATA:
                length = struct.unpack_from("III", cdata)[1]
        res["frames"] += 1
        res["max_len"] = max(res["max_len"], length)
        res["min_len"] = min(res["min_len"] or length, length)
        if len(data) >= 14:
            et = "0x%04x" % struct.unpack_from("!H", data, 12)[0]
            res["ethertypes"][et] = res["ethertypes"].get(et, 0) + 1
            d = mac_text(data[:6])
            res["dst"][d] = res["dst"].get(d, 0) + 1

    def emit():
        # Take what is already queued, then report.
        s.setblocking(False)
        while True:
            try:
                take()
            except BlockingIOError:
                break
        s.setblocking(True)
        res["drops"] = struct.unpack("II", s.getsockopt(
            SOL_PACKET, PACKET_STATISTICS, 8))[1]
        print(json.dumps(res, sort_keys=True), flush=True)

    poller = select.poll()
    poller.register(s, select.POLLIN)
    end = time.monotonic() + timeout
    while not stop and time.monotonic() < end:
        if poller.poll(100):
            take()
        if report:
            report = False
            emit()
            res = fresh()
    emit()
    del keep


def main():
    if len(sys.argv) < 2:
        usage()
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "send":
        send(args)
    elif cmd == "serve":
        serve(args)
    elif cmd == "capture":
        capture(args)
    else:
        usage()


if __name__ == "__main__":
    main()
