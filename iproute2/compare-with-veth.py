#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check that link_mynetdrv.so builds the same RTM_NEWLINK message as veth.

For each case, runs
    ip link add <args with KIND=veth>      and
    ip link add <args with KIND=mynetdrv>  (IP_LIB_DIR=this directory)
under strace, with the sendmsg() that carries the request failing
(EOPNOTSUPP is injected by strace), so nothing is ever created and the
kernel is never asked.  The netlink bytes are taken from strace's hex dump,
decoded down to the nested peer (VETH_INFO_PEER / MYNETDRV_INFO_PEER, both 1),
and compared with the sequence number and the IFLA_INFO_KIND string blanked.

Usage: ./compare-with-veth.py [-v] ["ip link add args, with KIND" ...]
Needs strace; run as root (ip link add needs CAP_NET_ADMIN for netns etc.).
"""

import os
import re
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

DEFAULT_CASES = [
    "name a type KIND peer name b",
    "name a type KIND",
    "name a type KIND peer",
    "p0 type KIND peer p1",
    "m0 mtu 9000 address 02:00:00:00:00:01 txqueuelen 100 type KIND "
    "peer name m1 mtu 1400 address 02:00:00:00:00:02 numtxqueues 4 "
    "numrxqueues 4 netns 1",
    "name a index 7 up type KIND peer name b index 9 up",
    "name a type KIND peer name b alias hello group 3 arp off "
    "gso_max_size 32768 addrgenmode none",
]

IFLA_LINKINFO = 18
IFLA_INFO_KIND = 1
IFLA_INFO_DATA = 2
INFO_PEER = 1


def run(args, kind):
    argv = ["strace", "-qq", "-e", "trace=sendmsg", "-e", "write=3",
            "-e", "inject=sendmsg:error=EOPNOTSUPP",
            "ip", "link", "add"] + [kind if a == "KIND" else a for a in args]
    env = dict(os.environ, IP_LIB_DIR=HERE, LC_ALL="C")
    p = subprocess.run(argv, env=env, capture_output=True, text=True)
    data = bytearray()
    for line in p.stderr.splitlines():
        # " | 00010  xx xx xx xx xx xx xx xx  xx ... xx  ascii |"
        if re.match(r" \| [0-9a-f]{5}  ", line):
            data += bytes.fromhex("".join(line[10:10 + 49].split()))
    msgs = [l for l in p.stderr.splitlines()
            if not l.startswith((" |", " *", "sendmsg("))]
    return bytes(data), "\n".join(msgs)


def attrs(buf):
    out = []
    off = 0
    while off + 4 <= len(buf):
        nla_len, nla_type = struct.unpack_from("<HH", buf, off)
        if nla_len < 4:
            raise ValueError("bad nla_len %d at %d" % (nla_len, off))
        out.append((nla_type & 0x3fff, bytes(buf[off + 4:off + nla_len])))
        off += (nla_len + 3) & ~3
    if off != len(buf):
        raise ValueError("trailing %d bytes" % (len(buf) - off))
    return out


def ifinfomsg(b):
    fam, _pad, typ, idx, flags, change = struct.unpack_from("<BBHiII", b)
    return ("ifinfomsg", fam, typ, idx, hex(flags), hex(change))


def decode(buf):
    """Return a comparable tree; seq and kind string are normalized."""
    nlen, ntype, nflags, _seq, _pid = struct.unpack_from("<IHHII", buf)
    if nlen != len(buf):
        raise ValueError("nlmsg_len %d != %d bytes sent" % (nlen, len(buf)))
    tree = [("nlmsghdr", ntype, hex(nflags)), ifinfomsg(buf[16:32])]
    kind = None
    for t, v in attrs(buf[32:]):
        if t != IFLA_LINKINFO:
            tree.append((t, v))
            continue
        li = []
        for lt, lv in attrs(v):
            if lt == IFLA_INFO_KIND:
                kind = lv.rstrip(b"\0").decode()
                li.append(("INFO_KIND", "<kind>"))
            elif lt == IFLA_INFO_DATA:
                data = []
                for dt, dv in attrs(lv):
                    if dt == INFO_PEER:
                        data.append(("INFO_PEER", ifinfomsg(dv[:16]),
                                     attrs(dv[16:])))
                    else:
                        data.append((dt, dv))
                li.append(("INFO_DATA", data))
            else:
                li.append((lt, lv))
        tree.append(("LINKINFO", li))
    return kind, tree


def fmt(tree, ind="  "):
    lines = []
    for node in tree:
        if isinstance(node, tuple) and len(node) == 2 and isinstance(node[1], list):
            lines.append("%s%s" % (ind, node[0]))
            lines += fmt(node[1], ind + "  ")
        elif isinstance(node, tuple) and node and node[0] == "INFO_PEER":
            lines.append("%sINFO_PEER %s" % (ind, node[1]))
            lines += fmt(node[2], ind + "  ")
        elif isinstance(node, tuple) and len(node) == 2 and isinstance(node[1], bytes):
            lines.append("%sattr %s: %s" % (ind, node[0], node[1].hex()))
        else:
            lines.append("%s%s" % (ind, node))
    return lines


def main():
    verbose = "-v" in sys.argv[1:]
    cases = [a for a in sys.argv[1:] if a != "-v"] or DEFAULT_CASES
    bad = 0
    for case in cases:
        args = case.split()
        vb, vmsg = run(args, "veth")
        mb, mmsg = run(args, "mynetdrv")
        title = "ip link add " + case
        if not vb or not mb:
            print("FAIL  %s\n      no message sent (veth: %r, mynetdrv: %r)"
                  % (title, vmsg, mmsg))
            bad += 1
            continue
        vk, vt = decode(vb)
        mk, mt = decode(mb)
        ok = vt == mt and vk == "veth" and mk == "mynetdrv"
        print("%s  %s  (%d vs %d bytes)" % ("ok  " if ok else "FAIL", title,
                                             len(vb), len(mb)))
        if verbose or not ok:
            print("\n".join(fmt(mt, "      ")))
        if not ok:
            print("    veth:\n" + "\n".join(fmt(vt, "      ")))
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
