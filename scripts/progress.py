#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Condense the console of a `make check` guest to one line per test.

Usage: scripts/vm.sh ... -- tests/run.sh | scripts/progress.py LOG

Reads the guest's console (tests/run.sh's KTAP stream) on stdin and
prints, per test, once it is over:

  [ 7/35] 07-backpressure                ok       63 s   total 6:12

and for a test that failed, the lines that say why (FAIL, TIMEOUT, its
exit status, the kernel log's bad lines, kmemleak, cleanup), at most 15,
then where the whole output is (LOG). A skipped test shows its reason.
What is not a test's output passes through unchanged: vm.sh's lines, the
run's header comments, kernel console messages outside a test (those
during one are the test's doing, and the run's log check reports the bad
ones), the totals. On a
terminal a status line under them shows the test running and for how
long; elsewhere (CI) there is none.

The test output itself is in LOG (the console, saved by vm.sh) and the
results in the KTAP file next to it; `make check LAB_VERBOSE=1` streams
everything instead of this summary. Only the Python standard library is
used.
"""

import os
import re
import select
import sys
import time

PLAN = re.compile(r"^1\.\.(\d+)$")
START = re.compile(r"^# start (\d+)/(\d+) (\S+)$")
RESULT = re.compile(r"^(ok|not ok) (\d+) (\S+)(?: # (SKIP)\s*(.*))?$")
TOOK = re.compile(r"^# (\S+) took (\d+) ms$")
# Lines of a test's output that say why it failed; KLOG starts the kernel
# log's bad lines, each then "#   LINE".
WHY = re.compile(r"^# (FAIL|TIMEOUT|cleanup:|kmemleak:)"
                 r"|^# \S+ exited with status")
KLOG = re.compile(r"^# kernel log (during|after) ")
# A kernel message on the console (printk at the console's loglevel): a
# test's own (bad input refused, netconsole's lines) while one runs; the
# run's log check reports those that matter.
KMSG = re.compile(r"^\[\s*\d+\.\d+\] ")
MAX_WHY = 15


def mmss(secs):
    secs = int(secs)
    return "%d:%02d" % (secs // 60, secs % 60)


class Progress:
    def __init__(self, log):
        self.log = log
        self.tty = sys.stdout.isatty()
        self.t0 = time.monotonic()
        self.total = 0
        self.cur = None         # (index, name, start time) of the test running
        self.why = []
        self.in_klog = False
        self.took = {}
        self.status_shown = False
        self.width = 1

    def out(self, text):
        self.clear_status()
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    def clear_status(self):
        if self.status_shown:
            sys.stdout.write("\r\033[K")
            self.status_shown = False

    def status(self):
        if not self.tty or not self.cur:
            return
        i, name, t = self.cur
        now = time.monotonic()
        sys.stdout.write("\r\033[K[%*d/%d] %s running %s, total %s" % (
            self.width, i, self.total, name, mmss(now - t),
            mmss(now - self.t0)))
        sys.stdout.flush()
        self.status_shown = True

    def line(self, text):
        m = PLAN.match(text)
        if m and not self.total:
            self.total = int(m.group(1))
            self.width = len(m.group(1))
            self.out("# %d tests; their output: %s" % (self.total, self.log))
            return
        m = START.match(text)
        if m:
            self.cur = (int(m.group(1)), m.group(3), time.monotonic())
            self.total = self.total or int(m.group(2))
            self.why = []
            self.status()
            return
        m = TOOK.match(text)
        if m and self.cur:
            self.took[m.group(1)] = int(m.group(2))
        m = RESULT.match(text)
        if m:
            self.result(m)
            return
        if self.cur and KMSG.match(text):
            return
        if self.cur and text.startswith("#"):
            if KLOG.match(text):
                self.in_klog = True
            elif not (self.in_klog and text.startswith("#   ")):
                self.in_klog = False
                if not WHY.match(text):
                    return
            if len(self.why) < MAX_WHY:
                self.why.append(text)
            return
        self.out(text)

    def result(self, m):
        verdict, idx, name, skip, reason = m.groups()
        if self.cur and self.cur[1] == name:
            secs = time.monotonic() - self.cur[2]
        else:
            secs = 0
        secs = self.took.get(name, secs * 1000) / 1000
        word = "skip" if skip else ("ok" if verdict == "ok" else "FAILED")
        line = "[%*d/%d] %-30s %-7s %5d s   total %s" % (
            self.width, int(idx), self.total or int(idx), name, word, secs,
            mmss(time.monotonic() - self.t0))
        if skip:
            line += "   (%s)" % reason
        self.out(line)
        if verdict != "ok":
            for w in self.why:
                self.out("    " + w)
            self.out("    (whole output: %s)" % self.log)
        self.cur = None
        self.why = []


def main():
    prog = Progress(sys.argv[1] if len(sys.argv) > 1 else "the console")
    fd = sys.stdin.fileno()
    buf = b""
    while True:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            prog.status()
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            raw, buf = buf.split(b"\n", 1)
            prog.line(raw.decode("utf-8", "replace").rstrip("\r"))
        prog.status()
    if buf:
        prog.line(buf.decode("utf-8", "replace"))
    prog.clear_status()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
