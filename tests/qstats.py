#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Per-queue statistics of a network device over netlink, as JSON.

Usage: qstats.py IFNAME

Asks the "netdev" generic netlink family (NETDEV_CMD_QSTATS_GET, Linux
6.9+) for the device totals and for each queue, the way `ynl --spec
netdev.yaml --dump qstats-get` would, and prints
  {"device": {"rx-packets": N, ...}, "rx": {"0": {...}}, "tx": {"0": {...}}}
Exit status 2 when the kernel has no qstats (the family or the command is
missing), 1 on any other error. Only the Python standard library is used.
"""
import json
import os
import socket
import struct
import sys

NETLINK_GENERIC = 16
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_OPS = 1, 2, 6
CTRL_ATTR_OP_ID = 1

# include/uapi/linux/netdev.h
NETDEV_CMD_QSTATS_GET = 12
A_IFINDEX, A_QUEUE_TYPE, A_QUEUE_ID, A_SCOPE = 1, 2, 3, 4
SCOPE_QUEUE = 1
QUEUE_TYPES = {0: "rx", 1: "tx"}
COUNTERS = [
    "rx-packets", "rx-bytes", "tx-packets", "tx-bytes", "rx-alloc-fail",
    "rx-hw-drops", "rx-hw-drop-overruns", "rx-csum-complete",
    "rx-csum-unnecessary", "rx-csum-none", "rx-csum-bad",
    "rx-hw-gro-packets", "rx-hw-gro-bytes", "rx-hw-gro-wire-packets",
    "rx-hw-gro-wire-bytes", "rx-hw-drop-ratelimits", "tx-hw-drops",
    "tx-hw-drop-errors", "tx-csum-none", "tx-needs-csum",
    "tx-hw-gso-packets", "tx-hw-gso-bytes", "tx-hw-gso-wire-packets",
    "tx-hw-gso-wire-bytes", "tx-hw-drop-ratelimits", "tx-stop", "tx-wake",
]
FIRST_COUNTER = 8


class NoQstats(Exception):
    pass


def attr(kind, payload):
    hdr = struct.pack("HH", 4 + len(payload), kind)
    pad = b"\0" * (-len(payload) % 4)
    return hdr + payload + pad


def attrs(buf):
    out, off = {}, 0
    while off + 4 <= len(buf):
        length, kind = struct.unpack_from("HH", buf, off)
        if length < 4:
            break
        out[kind & 0x3FFF] = buf[off + 4:off + length]
        off += (length + 3) & ~3
    return out


def uint(payload):
    return int.from_bytes(payload, sys.byteorder)


def request(sock, family, cmd, payload, flags):
    seq = request.seq = getattr(request, "seq", 0) + 1
    body = struct.pack("BBH", cmd, 1, 0) + payload
    sock.send(struct.pack("IHHII", 16 + len(body), family,
                          NLM_F_REQUEST | flags, seq, 0) + body)
    replies = []
    while True:
        data = sock.recv(1 << 16)
        off = 0
        while off < len(data):
            length, kind, _, rseq, _ = struct.unpack_from("IHHII", data, off)
            msg = data[off + 16:off + length]
            off += (length + 3) & ~3
            if rseq != seq:
                continue
            if kind == NLMSG_DONE:
                return replies
            if kind == NLMSG_ERROR:
                err = -struct.unpack_from("i", msg)[0]
                if err == 0:
                    return replies
                raise OSError(err, os.strerror(err))
            replies.append(attrs(msg[4:]))
            if not flags & NLM_F_DUMP:
                return replies


def family_id(sock):
    try:
        reply = request(sock, GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                        attr(CTRL_ATTR_FAMILY_NAME, b"netdev\0"), 0)[0]
    except OSError as e:
        raise NoQstats("no netdev netlink family: %s" % e) from e
    ops = attrs(reply.get(CTRL_ATTR_OPS, b""))
    if not any(uint(attrs(op).get(CTRL_ATTR_OP_ID, b"\0")) ==
               NETDEV_CMD_QSTATS_GET for op in ops.values()):
        raise NoQstats("the netdev family has no qstats-get")
    return uint(reply[CTRL_ATTR_FAMILY_ID])


def counters(msg):
    return {name: uint(msg[FIRST_COUNTER + i])
            for i, name in enumerate(COUNTERS) if FIRST_COUNTER + i in msg}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    ifindex = socket.if_nametoindex(sys.argv[1])
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    try:
        fam = family_id(sock)
    except NoQstats as e:
        print("qstats.py: %s" % e, file=sys.stderr)
        sys.exit(2)
    ifattr = attr(A_IFINDEX, struct.pack("I", ifindex))
    result = {"device": {}, "rx": {}, "tx": {}}
    for msg in request(sock, fam, NETDEV_CMD_QSTATS_GET, ifattr,
                       NLM_F_DUMP):
        if uint(msg.get(A_IFINDEX, b"\0")) == ifindex:
            result["device"] = counters(msg)
    scope = attr(A_SCOPE, struct.pack("I", SCOPE_QUEUE))
    for msg in request(sock, fam, NETDEV_CMD_QSTATS_GET, ifattr + scope,
                       NLM_F_DUMP):
        if uint(msg.get(A_IFINDEX, b"\0")) != ifindex:
            continue
        kind = QUEUE_TYPES[uint(msg[A_QUEUE_TYPE])]
        result[kind][str(uint(msg[A_QUEUE_ID]))] = counters(msg)
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
