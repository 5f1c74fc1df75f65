#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Fail every allocation of one operation in turn, with fail-nth.

Usage: failnth.py [--stride S] [--tail K --head-stride H] [--errnos E,E]
                  OP ARG...
  insmod MODULE [PARAM=VALUE...]   finit_module() of mynetdrv
  newlink NAME PEER QUEUES         RTM_NEWLINK of a pair (both ends with
                                   QUEUES TX and RX queues)
  up DEV                           RTM_NEWLINK setting IFF_UP (ndo_open)
  rings DEV SIZE                   ETHTOOL_MSG_RINGS_SET rx SIZE
  channels DEV PEER COUNT          ETHTOOL_MSG_CHANNELS_SET combined COUNT
                                   (checked on both ends of the pair)
  selftest DEV                     ETHTOOL_TEST (offline)

Needs a kernel with CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB and
CONFIG_FAIL_PAGE_ALLOC, their debugfs set so that sleeping allocations can
fail (tests/25-faultinject.sh does it), and /proc/thread-self/fail-nth.

First the operation runs once with a huge fail-nth to count its fault
points T (every slab or page allocation the task makes inside the one
syscall), and is undone.  Then for n = T, T-S, ..., 1 (every n with the
default stride 1): write n to fail-nth, make the one syscall, disarm, and
check (with --tail K, only the last K fault points are walked with stride
S, the earlier ones with stride H: for insmod, whose first hundreds of
points are the module loader's):
  * the state is all or nothing: failed -> nothing changed (no device, no
    module, ring size / channel count / IFF_UP as before); succeeded (the
    failure was tolerated, e.g. a kvmalloc fallback) -> the full change,
    which is then undone;
  * a failure returns an errno of --errnos (default ENOMEM,ENOBUFS);
  * a failure whose injected allocation has a mynetdrv frame on its stack
    (the kernel prints the stack of every injected fault) comes with a
    message: the netlink extack, or a kernel log line of the driver for
    the operations that have no extack (insmod, open, ethtool channels).
    Allocations under the rtnl_link_ops .alloc callback, when the core
    called it (no other driver frame below), are the exception: the core
    gives that callback no extack.
Prints how often each outcome (errno, message, driver function on the
stack) happened, a summary, a line "SITES f1 f2..." naming the driver
functions seen on failing stacks, and every violation; exits 1 on any.
"""

import argparse
import ctypes
import errno
import fcntl
import os
import re
import socket
import struct
import sys
import time

import nl
from nl import (CTRL_ATTR_FAMILY_ID, NETLINK_GENERIC, NETLINK_ROUTE,
                NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NetlinkError, attr, nest,
                uint)

SYS_FINIT_MODULE, SYS_DELETE_MODULE = 313, 176
RTM_NEWLINK, RTM_DELLINK = 16, 17
IFLA_IFNAME, IFLA_LINKINFO, IFLA_NUM_TX_QUEUES, IFLA_NUM_RX_QUEUES = 3, 18, 31, 32
IFLA_INFO_KIND, IFLA_INFO_DATA, MYNETDRV_INFO_PEER = 1, 2, 1
IFF_UP = 1
ETHTOOL_MSG_RINGS_SET, ETHTOOL_MSG_CHANNELS_SET = 16, 18
ETHTOOL_A_HEADER_DEV_NAME, ETHTOOL_A_RINGS_RX = 2, 6
ETHTOOL_A_CHANNELS_COMBINED_COUNT = 9
SIOCETHTOOL = 0x8946
ETHTOOL_GDRVINFO, ETHTOOL_GRINGPARAM, ETHTOOL_TEST = 0x03, 0x10, 0x1a
ETHTOOL_GCHANNELS, ETH_TEST_FL_OFFLINE, ETH_TEST_FL_FAILED = 0x3c, 1, 2
DRIVER_MARK = "[mynetdrv]"
NO_EXTACK_SITES = ("mynet_link_alloc",)
ACK_LOST = "(the netlink ACK could not be allocated)"
ALLOCATOR_FRAMES = (
    "dump_stack", "should_fail", "__should", "kasan", "slab_pre", "kmem",
    "__kmem", "__kmalloc", "kmalloc", "kzalloc", "kvmalloc", "__alloc",
    "alloc_pages", "__vmalloc", "vmalloc", "kmemleak", "kstrdup")
# Failures of the kernel's own code that break the rules: (errno, a frame
# of the failed allocation's stack) -> why.  Accepted and reported.
KNOWN_QUIRKS = {
    (errno.EINVAL, "dev_set_name"):
        "netdev_register_kobject() ignores dev_set_name()'s -ENOMEM, then "
        "device_add() refuses the nameless device with -EINVAL (Linux 6.1)",
}

libc = ctypes.CDLL(None, use_errno=True)


class OpError(Exception):
    """The syscall of an operation failed: errno and message (or None)."""

    def __init__(self, err, msg=None):
        super().__init__(err, msg)
        self.errno, self.msg = err, msg


# ------------------------------------------------------------ plumbing
class Netlink(nl.Netlink):
    def call(self, kind, flags, body):
        """Send one request, wait for its ACK; OpError on an error ACK.
        Inside the fault window: a send(2), then recv(2)s, nothing else
        that enters the kernel (the socket is made beforehand)."""
        flags |= NLM_F_ACK
        try:
            self.send(kind, flags, body)
        except OSError as e:
            # The request's own skb could not be allocated.
            raise OpError(e.errno) from e
        try:
            self.wait(flags)
        except NetlinkError as e:
            raise OpError(e.errno, e.msg) from e
        except OSError as e:
            # The ACK itself could not be allocated (ENOBUFS).
            raise OpError(e.errno, ACK_LOST) from e


def genl_family(name):
    """A generic netlink socket and the id of the family name."""
    gnl = Netlink(NETLINK_GENERIC)
    try:
        reply = nl.genl_family(gnl, name)
    except NetlinkError:
        sys.exit("failnth.py: no generic netlink family %s" % name)
    return gnl, uint(reply[CTRL_ATTR_FAMILY_ID])


IOCTL_SOCK = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)


def ethtool_ioctl(dev, buf):
    """SIOCETHTOOL on a socket made beforehand (making one allocates)."""
    addr = ctypes.create_string_buffer(bytes(buf), len(buf))
    ifreq = struct.pack("16sP", dev.encode(), ctypes.addressof(addr))
    fcntl.ioctl(IOCTL_SOCK.fileno(), SIOCETHTOOL, ifreq)
    return addr.raw


def ifindex(name):
    try:
        return socket.if_nametoindex(name)
    except OSError:
        return 0


def syscall(nr, *args):
    if libc.syscall(nr, *args) != 0:
        raise OpError(ctypes.get_errno())


# ------------------------------------------------------------ operations
# Each: prepare() (outside the fault window), run() (the one syscall),
# check(failed) -> problem string or None, undo() after a success.
class Insmod:
    def __init__(self, args):
        self.path = args[0]
        self.params = " ".join(args[1:]).encode()
        self.pairs = 1
        for p in args[1:]:
            if p.startswith("numpairs="):
                self.pairs = int(p.split("=", 1)[1])
        self.fd = os.open(self.path, os.O_RDONLY)
        self.names = ["mydev[0-9]+"]

    def prepare(self):
        pass

    def run(self):
        syscall(SYS_FINIT_MODULE, self.fd, ctypes.c_char_p(self.params), 0)

    @staticmethod
    def devices():
        return sorted(d for d in os.listdir("/sys/class/net")
                      if d.startswith("mydev"))

    def check(self, failed):
        loaded = os.path.isdir("/sys/module/mynetdrv")
        devs = self.devices()
        if failed and (loaded or devs):
            return "failed insmod left module=%s devices=%s" % (loaded, devs)
        if not failed and len(devs) != 2 * self.pairs:
            return "insmod made %d devices, not %d" % (len(devs),
                                                       2 * self.pairs)
        return None

    def undo(self):
        syscall(SYS_DELETE_MODULE, ctypes.c_char_p(b"mynetdrv"), os.O_NONBLOCK)


class Newlink:
    def __init__(self, args):
        self.name, self.peer, queues = args[0], args[1], int(args[2])
        self.names = [self.name, self.peer]
        self.nl = Netlink(NETLINK_ROUTE)
        q = attr(IFLA_NUM_TX_QUEUES, struct.pack("I", queues)) + \
            attr(IFLA_NUM_RX_QUEUES, struct.pack("I", queues))
        peer = struct.pack("BxHiII", socket.AF_UNSPEC, 0, 0, 0, 0) + \
            attr(IFLA_IFNAME, self.peer.encode() + b"\0") + q
        info = attr(IFLA_INFO_KIND, b"mynetdrv\0") + \
            nest(IFLA_INFO_DATA, nest(MYNETDRV_INFO_PEER, peer))
        self.body = struct.pack("BxHiII", socket.AF_UNSPEC, 0, 0, 0, 0) + \
            attr(IFLA_IFNAME, self.name.encode() + b"\0") + q + \
            nest(IFLA_LINKINFO, info)

    def prepare(self):
        pass

    def run(self):
        self.nl.call(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, self.body)

    def check(self, failed):
        have = [n for n in (self.name, self.peer) if ifindex(n)]
        if failed and have:
            return "failed newlink left %s" % have
        if not failed and len(have) != 2:
            return "newlink succeeded but only %s exist" % have
        return None

    def undo(self):
        body = struct.pack("BxHiII", socket.AF_UNSPEC, 0, 0, 0, 0) + \
            attr(IFLA_IFNAME, self.name.encode() + b"\0")
        self.nl.call(RTM_DELLINK, 0, body)


class Up:
    def __init__(self, args):
        self.dev = args[0]
        self.names = [self.dev]
        self.nl = Netlink(NETLINK_ROUTE)

    def flags(self):
        with open("/sys/class/net/%s/flags" % self.dev) as f:
            return int(f.read(), 16)

    def setlink(self, up):
        body = struct.pack("BxHiII", socket.AF_UNSPEC, 0, ifindex(self.dev),
                           IFF_UP if up else 0, IFF_UP)
        self.nl.call(RTM_NEWLINK, 0, body)

    def prepare(self):
        if self.flags() & IFF_UP:
            raise SystemExit("failnth.py: %s must be down" % self.dev)

    def run(self):
        self.setlink(True)

    def check(self, failed):
        up = bool(self.flags() & IFF_UP)
        if failed == up:
            return "open %s but %s is %s" % ("failed" if failed else "worked",
                                              self.dev,
                                              "up" if up else "down")
        return None

    def undo(self):
        self.setlink(False)


class EthtoolSet:
    """rings / channels: netlink set, ioctl get (both ends for channels)."""

    def __init__(self, what, args):
        self.what, self.dev = what, args[0]
        self.ends = self.names = args[:-1]
        self.value = int(args[-1])
        self.nl, self.fam = genl_family("ethtool")
        self.old = self.get()

    def get(self):
        """The value on each end, as a list."""
        if self.what == "rings":
            cmd, field = ETHTOOL_GRINGPARAM, 5          # rx_pending
        else:
            cmd, field = ETHTOOL_GCHANNELS, 8           # combined_count
        return [struct.unpack_from("9I", ethtool_ioctl(
            dev, struct.pack("9I", cmd, *[0] * 8)))[field]
            for dev in self.ends]

    def set(self, value):
        hdr = nest(1, attr(ETHTOOL_A_HEADER_DEV_NAME,
                           self.dev.encode() + b"\0"))
        if self.what == "rings":
            cmd, body = ETHTOOL_MSG_RINGS_SET, attr(ETHTOOL_A_RINGS_RX,
                                                    struct.pack("I", value))
        else:
            cmd, body = ETHTOOL_MSG_CHANNELS_SET, attr(
                ETHTOOL_A_CHANNELS_COMBINED_COUNT, struct.pack("I", value))
        self.nl.call(self.fam, 0, struct.pack("BBH", cmd, 1, 0) + hdr + body)

    def prepare(self):
        if self.value in self.old:
            raise SystemExit("failnth.py: %s already %d" % (self.what,
                                                            self.value))

    def run(self):
        self.set(self.value)

    def check(self, failed):
        want = self.old if failed else [self.value] * len(self.ends)
        got = self.get()
        if got != want:
            return "%s of %s is %s after %s, not %s" % (
                self.what, "/".join(self.ends), got,
                "a failure" if failed else "success", want)
        return None

    def undo(self):
        self.set(self.old[0])


class Selftest:
    def __init__(self, args):
        self.dev = args[0]
        self.names = [self.dev]
        raw = ethtool_ioctl(self.dev, struct.pack("I", ETHTOOL_GDRVINFO) +
                            bytes(192))
        self.len = struct.unpack_from("I", raw, 184)[0]     # testinfo_len
        self.failed_flag = False

    def prepare(self):
        pass

    def run(self):
        buf = struct.pack("IIII", ETHTOOL_TEST, ETH_TEST_FL_OFFLINE, 0,
                          self.len) + bytes(8 * self.len)
        try:
            raw = ethtool_ioctl(self.dev, buf)
        except OSError as e:
            raise OpError(e.errno) from e
        if struct.unpack_from("I", raw, 4)[0] & ETH_TEST_FL_FAILED:
            # The test ran and reported the failure: like an error
            # return, it must come with a message.
            raise OpError(errno.ENOMEM)

    def check(self, failed):
        return None

    def undo(self):
        pass


# ------------------------------------------------------------ the walk
class Kmsg:
    def __init__(self):
        self.fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(self.fd, 0, os.SEEK_END)

    def read(self):
        lines = []
        while True:
            try:
                rec = os.read(self.fd, 8192).decode(errors="replace")
            except BlockingIOError:
                return lines
            except OSError as e:
                if e.errno == errno.EPIPE:      # overwritten: go on
                    continue
                raise
            lines.append(rec.split(";", 1)[-1].split("\n", 1)[0])


def analyse(lines, names):
    """(driver frames of the injected fault's stack, innermost first;
    all its frames; the driver's log lines: pr_*() ones start with
    "mynetdrv: ", netdev_*() ones with a device name in names)."""
    own = re.compile(r"^(mynetdrv: |(%s)( \([a-z ]+\))?: )" %
                     "|".join(names))
    frames, trace, msgs, in_trace = [], [], [], False
    for line in lines:
        if line.startswith("FAULT_INJECTION: forcing a failure"):
            in_trace = True
            continue
        if in_trace and line.startswith(" </TASK>"):
            in_trace = False
        if in_trace and line.startswith(" ") and "+0x" in line and \
                not line.strip().startswith("?"):   # "?": unreliable
            trace.append(line.strip().split("+", 1)[0])
            if DRIVER_MARK in line:
                frames.append(trace[-1])
            continue
        if own.match(line):
            msgs.append(line.strip())
    return frames, trace, msgs


def callers(trace):
    """The frames of a fault's stack above the allocator."""
    return [f for f in trace if not f.startswith(ALLOCATOR_FRAMES)]


def known_quirk(err, trace):
    """Why a failure that breaks the rules is the core's, or None."""
    for (code, frame), why in KNOWN_QUIRKS.items():
        if err.errno == code and frame in trace:
            return why
    return None


def attempt(op, n, kmsg):
    """Run op with fail-nth n; return (injected, OpError or None, left)."""
    op.prepare()
    kmsg.read()
    err = None
    # /proc files of this kind do not seek: one fd to arm and disarm, one
    # to read the count back once.  Opened before arming: opening
    # allocates.
    wfd = os.open("/proc/thread-self/fail-nth", os.O_WRONLY)
    rfd = os.open("/proc/thread-self/fail-nth", os.O_RDONLY)
    try:
        os.write(wfd, b"%d" % n)
        try:
            op.run()
        except OpError as e:
            err = e
        finally:
            left = int(os.read(rfd, 32))
            os.write(wfd, b"0")
    finally:
        os.close(rfd)
        os.close(wfd)
    return left == 0, err, left


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stride", type=int, default=1)
    ap.add_argument("--tail", type=int, default=0)
    ap.add_argument("--head-stride", type=int, default=25)
    ap.add_argument("--only", type=int, default=0,
                    help="try fault point N only (to reproduce a problem)")
    ap.add_argument("--errnos", default="ENOMEM,ENOBUFS")
    ap.add_argument("op")
    ap.add_argument("args", nargs="*")
    opt = ap.parse_args()
    allowed = {getattr(errno, e) for e in opt.errnos.split(",")}
    ops = {
        "insmod": Insmod, "newlink": Newlink, "up": Up, "selftest": Selftest,
        "rings": lambda a: EthtoolSet("rings", a),
        "channels": lambda a: EthtoolSet("channels", a),
    }
    op = ops[opt.op](opt.args)
    kmsg = Kmsg()

    # Count the fault points: a dry run that cannot reach its fault.
    big = 1 << 30
    injected, err, left = attempt(op, big, kmsg)
    if injected or err:
        sys.exit("failnth.py: %s failed without injection: %s" %
                 (opt.op, err and (os.strerror(err.errno), err.msg)))
    total = big - left
    op.undo()
    print("# %s %s: %d fault points, stride %d%s" %
          (opt.op, " ".join(opt.args), total, opt.stride,
           ", last %d, then stride %d" % (opt.tail, opt.head_stride)
           if opt.tail else ""))

    problems, sites, outcomes = [], {}, {}
    tried = failed = tolerated = 0
    points = list(range(total, 0, -opt.stride))
    if opt.tail:
        points = [n for n in points if n > total - opt.tail] + \
            list(range(total - opt.tail, 0, -opt.head_stride))
    if opt.only:
        points = [opt.only]
    start = time.monotonic()
    for n in points:
        injected, err, _ = attempt(op, n, kmsg)
        frames, trace, msgs = analyse(kmsg.read(), op.names)
        nproblems = len(problems)
        site = frames[0] if frames else None
        tried += 1
        if err and err.msg == ACK_LOST and op.check(False) is None:
            err = None      # done, only its ACK was lost
        if not injected:
            # Fewer fault points this time (a cache was warm): fine.
            outcome = "not reached"
            if err:
                problems.append("n=%d: failed without injection: %s" %
                                (n, os.strerror(err.errno)))
        elif err:
            failed += 1
            msg = "; ".join(msgs) if err.msg in (None, ACK_LOST) else err.msg
            outcome = "%s (%s)" % (errno.errorcode.get(err.errno, err.errno),
                                   msg or "no message")
            quirk = known_quirk(err, trace)
            if quirk:
                outcome += " [the kernel's: %s]" % quirk
            elif err.errno not in allowed:
                problems.append("n=%d: %s: errno not in --errnos" %
                                (n, outcome))
            if site and not msg and not quirk and \
                    frames[-1] not in NO_EXTACK_SITES:
                problems.append("n=%d: %s at %s: a driver failure without "
                                "a message" % (n, outcome, site))
            if site:
                sites[site] = sites.get(site, 0) + 1
        else:
            tolerated += 1
            outcome = "tolerated"
        if site:
            outcome += " at " + site
        # (counts in messages vary: group them)
        outcome = re.sub(r"\b[0-9]+ of [0-9]+\b", "N of M", outcome)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        bad = op.check(bool(err))
        if bad:
            problems.append("n=%d: %s" % (n, bad))
        if len(problems) > nproblems and trace:
            problems.append("n=%d: the failed allocation: %s" %
                            (n, " < ".join(callers(trace)[:14])))
        if not err:
            op.undo()
    for outcome, count in sorted(outcomes.items(), key=lambda kv: -kv[1]):
        print("# %5d x %s" % (count, outcome))
    print("# %s: %d tried in %.0f s, %d failed, %d tolerated; driver "
          "sites: %s" % (opt.op, tried, time.monotonic() - start, failed,
                         tolerated,
           ", ".join("%s x%d" % kv for kv in sorted(sites.items())) or
           "none"))
    print("SITES " + " ".join(sorted(sites)))
    for p in problems:
        print("# PROBLEM: " + p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
