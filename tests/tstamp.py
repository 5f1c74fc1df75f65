#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Software timestamps of UDP datagrams (SO_TIMESTAMPING), as JSON.

Usage:
  tstamp.py recv ADDR PORT COUNT [--ready FILE] [--timeout SEC]
      Bind a UDP socket to ADDR:PORT with SOF_TIMESTAMPING_RX_SOFTWARE |
      SOF_TIMESTAMPING_SOFTWARE, receive COUNT datagrams (or give up after
      SEC seconds without one, default 10) and print
        {"rx": {"SEQ": NS or null, ...}, "start": NS, "end": NS}
      where NS is the software receive timestamp (SCM_TIMESTAMPING ts[0],
      CLOCK_REALTIME ns) of the datagram "seq SEQ", null if it came
      without one, and start/end are CLOCK_REALTIME around the receiving.
      --ready FILE is created once the socket is bound.

  tstamp.py send SRC DST PORT COUNT [--timeout SEC]
      From a UDP socket bound to SRC with SOF_TIMESTAMPING_TX_SOFTWARE |
      SOF_TIMESTAMPING_SOFTWARE | OPT_ID | OPT_TSONLY, send COUNT datagrams
      "seq 0", "seq 1", ... to DST:PORT, one at a time, each time waiting
      (up to SEC s, default 5; 0.2 s once one never came) for its
      timestamp on the error queue
      (MSG_ERRQUEUE: SCM_TIMESTAMPING + IP_RECVERR with ee_origin
      SO_EE_ORIGIN_TIMESTAMPING, ee_info SCM_TSTAMP_SND, ee_data = OPT_ID).
      Prints {"tx": {"SEQ": {"before": NS, "tx": NS or null, "id": ID,
      "after": NS}}}: CLOCK_REALTIME before the sendmsg and after the
      timestamp arrived.

  tstamp.py check TX.json RX.json [--slack-us N]
      Check the two outputs: every datagram has exactly one TX and one RX
      timestamp, nonzero; OPT_ID == SEQ; before <= tx <= after; tx <= rx
      + slack (default 1000 us); rx <= the receiver's end; all within 60 s
      of now. Prints one line per check; exit 1 if any fails.

Only the Python standard library is used.
"""
import errno
import json
import os
import select
import socket
import struct
import sys
import time

SO_TIMESTAMPING = 37            # SO_TIMESTAMPING_OLD (= SCM_TIMESTAMPING)
SOF_TX_SOFTWARE = 1 << 1
SOF_RX_SOFTWARE = 1 << 3
SOF_SOFTWARE = 1 << 4
SOF_OPT_ID = 1 << 7
SOF_OPT_TSONLY = 1 << 11
IP_RECVERR = 11
SO_EE_ORIGIN_TIMESTAMPING = 4
SCM_TSTAMP_SND = 0
CMSG_SPACE = 512


def usage():
    sys.exit(__doc__)


def opt(args, name, default):
    if name in args:
        i = args.index(name)
        if i + 1 >= len(args):
            usage()
        val = args[i + 1]
        del args[i:i + 2]
        return val
    return default


def sw_stamp(anc):
    """ts[0] of an SCM_TIMESTAMPING cmsg in ns, None if absent or zero."""
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPING:
            sec, nsec = struct.unpack_from("qq", data, 0)
            return sec * 1000000000 + nsec or None
    return None


def recv(args):
    ready = opt(args, "--ready", None)
    timeout = float(opt(args, "--timeout", "10"))
    if len(args) != 3:
        usage()
    addr, port, count = args[0], int(args[1]), int(args[2])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING,
                 SOF_RX_SOFTWARE | SOF_SOFTWARE)
    s.bind((addr, port))
    if ready:
        with open(ready, "w") as f:
            f.write("%d\n" % os.getpid())
    s.settimeout(timeout)
    out = {"rx": {}, "start": time.time_ns()}
    while len(out["rx"]) < count:
        try:
            data, anc, _, _ = s.recvmsg(64, CMSG_SPACE)
        except socket.timeout:
            break
        if data.startswith(b"seq "):
            out["rx"][data[4:].decode()] = sw_stamp(anc)
    out["end"] = time.time_ns()
    print(json.dumps(out, sort_keys=True))


def send(args):
    timeout = float(opt(args, "--timeout", "5"))
    if len(args) != 4:
        usage()
    src, dst, port, count = args[0], args[1], int(args[2]), int(args[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING,
                 SOF_TX_SOFTWARE | SOF_SOFTWARE | SOF_OPT_ID | SOF_OPT_TSONLY)
    poller = select.poll()
    poller.register(s, select.POLLERR)
    out = {"tx": {}}
    for seq in range(count):
        rec = {"before": time.time_ns(), "tx": None, "id": None}
        s.sendto(b"seq %d" % seq, (dst, port))
        deadline = time.monotonic() + timeout
        if any(r["tx"] is None for r in out["tx"].values()):
            deadline = time.monotonic() + 0.2
        while rec["tx"] is None and time.monotonic() < deadline:
            if not poller.poll(100):
                continue
            try:
                _, anc, _, _ = s.recvmsg(0, CMSG_SPACE, socket.MSG_ERRQUEUE)
            except OSError as e:
                if e.errno == errno.EAGAIN:
                    continue
                raise
            ee = None
            for level, kind, data in anc:
                if level == socket.SOL_IP and kind == IP_RECVERR:
                    ee = struct.unpack_from("IBBBBII", data)
            if not ee or ee[1] != SO_EE_ORIGIN_TIMESTAMPING or \
                    ee[5] != SCM_TSTAMP_SND:
                print("tstamp.py: unexpected error queue message %r" % (ee,),
                      file=sys.stderr)
                continue
            rec["tx"], rec["id"] = sw_stamp(anc), ee[6]
        rec["after"] = time.time_ns()
        out["tx"][str(seq)] = rec
    print(json.dumps(out, sort_keys=True))


def check(args):
    slack = int(opt(args, "--slack-us", "1000")) * 1000
    if len(args) != 2:
        usage()
    with open(args[0]) as f:
        tx = json.load(f)["tx"]
    with open(args[1]) as f:
        rxo = json.load(f)
    rx = rxo["rx"]
    now = time.time_ns()
    bad = []

    def ok(cond, what):
        print("%s: %s" % ("ok" if cond else "FAIL", what))
        if not cond:
            bad.append(what)

    ok(len(tx) > 0 and set(tx) == set(rx),
       "%d datagrams sent, %d received, same sequence numbers" %
       (len(tx), len(rx)))
    missing_tx = sorted((k for k, v in tx.items() if not v["tx"]), key=int)
    missing_rx = sorted((k for k, v in rx.items() if not v), key=int)
    ok(not missing_tx, "every datagram has a TX software timestamp%s" %
       (" (missing: %s)" % " ".join(missing_tx) if missing_tx else ""))
    ok(not missing_rx, "every datagram has an RX software timestamp%s" %
       (" (missing: %s)" % " ".join(missing_rx) if missing_rx else ""))
    wrong_id = [k for k, v in tx.items() if v["tx"] and v["id"] != int(k)]
    ok(not wrong_id, "OPT_ID of each TX timestamp == its datagram's number")
    lat, order = [], []
    for k, v in sorted(tx.items(), key=lambda kv: int(kv[0])):
        t, r = v["tx"], rx.get(k)
        if not t:
            continue
        if not v["before"] <= t <= v["after"]:
            order.append("seq %s: tx %d not in [sendmsg %d, errqueue %d]" %
                         (k, t, v["before"], v["after"]))
        if r:
            lat.append(r - t)
            if r < t - slack:
                order.append("seq %s: rx %d < tx %d - %d ns" %
                             (k, r, t, slack))
            if not rxo["start"] - slack <= r <= rxo["end"]:
                order.append("seq %s: rx %d outside the receiver's run "
                             "[%d, %d]" % (k, r, rxo["start"], rxo["end"]))
        for x in (t, r):
            if x and abs(now - x) > 60 * 10**9:
                order.append("seq %s: timestamp %d not within 60 s of now "
                             "%d" % (k, x, now))
    for o in order:
        print("  " + o)
    ok(not order, "sendmsg <= tx <= errqueue, tx <= rx + %d us <= the "
       "receiver's end, all within 60 s of CLOCK_REALTIME now" %
       (slack // 1000))
    if lat:
        lat.sort()
        print("rx - tx: min %d us, median %d us, max %d us" %
              (lat[0] // 1000, lat[len(lat) // 2] // 1000, lat[-1] // 1000))
    sys.exit(1 if bad else 0)


def main():
    if len(sys.argv) < 2:
        usage()
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "recv":
        recv(args)
    elif cmd == "send":
        send(args)
    elif cmd == "check":
        check(args)
    else:
        usage()


if __name__ == "__main__":
    main()
