# SPDX-License-Identifier: GPL-2.0
"""The netlink plumbing of the lab's Python clients, in one place:
qstats.py, ethstate.py and failnth.py import it (from their own
directory, which python puts first on sys.path).  Constants, attribute
packing and parsing, a socket that sends a request and collects its
replies, and the generic netlink family lookup.  Only the Python standard
library is used.

Sending and receiving are two steps, send() and wait(), for failnth.py:
inside its fault window it tells a failed send (the request's skb) from a
failed receive (the ACK's), and may make no system call but these two
(Netlink() makes the socket, beforehand).  request() does both.  wait()
reads the replies of the last request only, up to NLMSG_DONE (a dump),
its ACK (NLM_F_ACK), or else the first reply; an error ACK raises
NetlinkError, with the kernel's extack message when there is one (the
socket asks for them).
"""
import os
import socket
import struct
import sys

NETLINK_ROUTE, NETLINK_GENERIC = 0, 16
SOL_NETLINK, NETLINK_CAP_ACK, NETLINK_EXT_ACK = 270, 10, 11
NLM_F_REQUEST, NLM_F_ACK = 0x1, 0x4
NLM_F_DUMP, NLM_F_EXCL, NLM_F_CREATE = 0x300, 0x200, 0x400
NLM_F_ACK_TLVS = 0x200                  # in an NLMSG_ERROR's own flags
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLMSGERR_ATTR_MSG = 1
NLA_F_NESTED = 0x8000
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_OPS = 1, 2, 6
CTRL_ATTR_OP_ID = 1


def attr(kind, payload):
    """One attribute, padded to 4 bytes."""
    pad = b"\0" * (-len(payload) % 4)
    return struct.pack("HH", 4 + len(payload), kind) + payload + pad


def nest(kind, payload):
    """A nested attribute: payload is its attributes, packed."""
    return attr(kind | NLA_F_NESTED, payload)


def attrs(buf):
    """[(type, payload)] of the attributes in buf, in order; type with
    its flag bits (NLA_F_NESTED tells a nest from a value)."""
    out, off = [], 0
    while off + 4 <= len(buf):
        length, kind = struct.unpack_from("HH", buf, off)
        if length < 4:
            break
        out.append((kind, buf[off + 4:off + length]))
        off += (length + 3) & ~3
    return out


def attr_dict(buf):
    """{type without flag bits: payload} of the attributes in buf (the
    last one wins if a type repeats)."""
    return {kind & 0x3FFF: payload for kind, payload in attrs(buf)}


def uint(payload):
    """An unsigned attribute of any size, native byte order."""
    return int.from_bytes(payload, sys.byteorder)


class NetlinkError(OSError):
    """An error ACK: errno, and msg, the kernel's extack text or None.
    Its strerror (and str()) is "MSG: STRERROR", or STRERROR alone."""

    def __init__(self, err, msg=None):
        text = os.strerror(err)
        if msg is not None:
            text = "%s: %s" % (msg, text)
        super().__init__(err, text)
        self.msg = msg

    def __str__(self):
        return self.strerror


class Netlink:
    """A netlink socket of protocol proto (NETLINK_ROUTE, ...), with
    extended ACKs (extack messages) and capped ACKs (the request's header
    only: the TLVs follow it).  bufsize: what one recv() takes (a dump's
    replies come several to a datagram)."""

    def __init__(self, proto, bufsize=1 << 16):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, proto)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.bufsize = bufsize
        self.seq = 0

    def send(self, kind, flags, body):
        """Send one request (NLM_F_REQUEST | flags) with payload body;
        return its sequence number.  One send(2): a failure raises its
        OSError."""
        self.seq += 1
        self.sock.send(struct.pack("IHHII", 16 + len(body), kind,
                                   NLM_F_REQUEST | flags, self.seq, 0) + body)
        return self.seq

    def wait(self, flags):
        """The payloads of the replies to the last request, sent with
        flags: all of a dump's, up to NLMSG_DONE; those before the ACK if
        it asked for one; else the first one.  NetlinkError on an error
        ACK; a failed recv(2) raises its OSError.  Messages of other
        requests (a late reply, an ACK nobody waited for) are skipped."""
        replies = []
        while True:
            data = self.sock.recv(self.bufsize)
            off = 0
            while off < len(data):
                length, mtype, mflags, seq, _ = struct.unpack_from(
                    "IHHII", data, off)
                msg = data[off + 16:off + length]
                off += (length + 3) & ~3
                if seq != self.seq:
                    continue
                if mtype == NLMSG_DONE:
                    return replies
                if mtype == NLMSG_ERROR:
                    err = -struct.unpack_from("i", msg)[0]
                    if err == 0:
                        return replies
                    text = None
                    if mflags & NLM_F_ACK_TLVS:
                        # The error code, the request's header (capped),
                        # then the TLVs.
                        tlv = attr_dict(msg[4 + 16:]).get(NLMSGERR_ATTR_MSG)
                        if tlv:
                            text = tlv.rstrip(b"\0").decode()
                    raise NetlinkError(err, text)
                replies.append(msg)
                # NLM_F_DUMP is two bits, one of them NLM_F_EXCL's.
                if (flags & NLM_F_DUMP) != NLM_F_DUMP and \
                        not flags & NLM_F_ACK:
                    return replies

    def request(self, kind, flags, body):
        """send() then wait(): the payloads of the request's replies."""
        self.send(kind, flags, body)
        return self.wait(flags)


def genl_family(nl, name):
    """attr_dict of the CTRL_CMD_GETFAMILY reply for the generic netlink
    family name (CTRL_ATTR_FAMILY_ID, CTRL_ATTR_OPS, ...); NetlinkError
    (ENOENT) if the kernel has no such family."""
    body = struct.pack("BBH", CTRL_CMD_GETFAMILY, 1, 0)
    body += attr(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0")
    return attr_dict(nl.request(GENL_ID_CTRL, 0, body)[0][4:])
