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
import socket
import struct
import sys

from nl import (CTRL_ATTR_FAMILY_ID, CTRL_ATTR_OPS, CTRL_ATTR_OP_ID,
                NETLINK_GENERIC, NLM_F_DUMP, Netlink, attr, attr_dict,
                genl_family, uint)

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


def request(nl, family, cmd, payload, flags):
    """attr_dict of each reply to one request of the family."""
    body = struct.pack("BBH", cmd, 1, 0) + payload
    return [attr_dict(msg[4:]) for msg in nl.request(family, flags, body)]


def family_id(nl):
    try:
        reply = genl_family(nl, "netdev")
    except OSError as e:
        # As str() of a plain OSError: what this said before nl.py.
        raise NoQstats("no netdev netlink family: [Errno %d] %s" %
                       (e.errno, e.strerror)) from e
    ops = attr_dict(reply.get(CTRL_ATTR_OPS, b""))
    if not any(uint(attr_dict(op).get(CTRL_ATTR_OP_ID, b"\0")) ==
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
    nl = Netlink(NETLINK_GENERIC)
    try:
        fam = family_id(nl)
    except NoQstats as e:
        print("qstats.py: %s" % e, file=sys.stderr)
        sys.exit(2)
    ifattr = attr(A_IFINDEX, struct.pack("I", ifindex))
    result = {"device": {}, "rx": {}, "tx": {}}
    for msg in request(nl, fam, NETDEV_CMD_QSTATS_GET, ifattr,
                       NLM_F_DUMP):
        if uint(msg.get(A_IFINDEX, b"\0")) == ifindex:
            result["device"] = counters(msg)
    scope = attr(A_SCOPE, struct.pack("I", SCOPE_QUEUE))
    for msg in request(nl, fam, NETDEV_CMD_QSTATS_GET, ifattr + scope,
                       NLM_F_DUMP):
        if uint(msg.get(A_IFINDEX, b"\0")) != ifindex:
            continue
        kind = QUEUE_TYPES[uint(msg[A_QUEUE_TYPE])]
        result[kind][str(uint(msg[A_QUEUE_ID]))] = counters(msg)
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
