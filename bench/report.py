#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench/report.py - turn the raw runs of bench/run.sh into the results.

Usage: bench/report.py RAWDIR OUTDIR [--doc DOC]

RAWDIR holds raw.csv and conditions.txt (bench/run.sh, in the VM) and
optionally conditions-host.txt (scripts/bench.sh, on the host).  Writes
to OUTDIR:
  results.md  the table (median and min-max of each figure, mynetdrv,
              veth, the ratio of the medians), the limit (pktgen into
              dummy), the driver cost per packet derived from it, the
              mynetdrv instruments per figure and the conditions
  raw.csv     every run, as measured
  chart.png   the medians with their min-max, one panel per unit
              (gnuplot)

With --doc, the same tables, in reStructuredText, also replace what is
between the ".. bench-results:begin" and ".. bench-results:end" lines of
DOC (Documentation/bench.rst).

Checks that the harness worked, never how fast it was: exits 1 if a
figure of a group that ran lacks a driver's runs, or a traffic figure is
not > 0, or gnuplot fails.
"""

import csv
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap

DRIVERS = ("mynetdrv", "veth")

# id, group, label, unit of the table, factor from the raw unit,
# chart panel, short label on the chart.  {q} and {n} are filled in.
FIGURES = [
    ("pps_64_1q", "pps", "pktgen packet rate, 64 B frames, 1 queue",
     "kpps", 1, "packet rate (kpps)", "64B 1q"),
    ("pps_1500_1q", "pps", "pktgen packet rate, 1500 B frames, 1 queue",
     "kpps", 1, "packet rate (kpps)", "1500B 1q"),
    ("pps_64_mq", "pps", "pktgen packet rate, 64 B frames, {q} queues",
     "kpps", 1, "packet rate (kpps)", "64B {q}q"),
    ("pps_1500_mq", "pps", "pktgen packet rate, 1500 B frames, {q} queues",
     "kpps", 1, "packet rate (kpps)", "1500B {q}q"),
    ("cost_64_1q", "pps", "driver cost per packet, 64 B, 1 queue",
     "ns", 1, "driver cost per packet (ns)", "64B 1q"),
    ("cost_1500_1q", "pps", "driver cost per packet, 1500 B, 1 queue",
     "ns", 1, "driver cost per packet (ns)", "1500B 1q"),
    ("cost_64_mq", "pps", "driver cost per packet, 64 B, {q} queues",
     "ns", 1, "driver cost per packet (ns)", "64B {q}q"),
    ("cost_1500_mq", "pps", "driver cost per packet, 1500 B, {q} queues",
     "ns", 1, "driver cost per packet (ns)", "1500B {q}q"),
    ("tcp_1s_gro", "tcp", "TCP throughput (iperf3), 1 stream, GRO on",
     "Mbit/s", 1, "TCP throughput (Mbit/s)", "1 GRO"),
    ("tcp_1s_nogro", "tcp", "TCP throughput (iperf3), 1 stream, GRO off",
     "Mbit/s", 1, "TCP throughput (Mbit/s)", "1 noGRO"),
    ("tcp_4s_gro", "tcp",
     "TCP throughput (iperf3), 4 streams, {q} queues, GRO on",
     "Mbit/s", 1, "TCP throughput (Mbit/s)", "4 GRO"),
    ("tcp_4s_nogro", "tcp",
     "TCP throughput (iperf3), 4 streams, {q} queues, GRO off",
     "Mbit/s", 1, "TCP throughput (Mbit/s)", "4 noGRO"),
    ("rr_p50", "rr", "UDP round trip (sockperf ping-pong), median",
     "us", 1, "UDP round trip (us)", "median"),
    ("rr_p99", "rr", "UDP round trip (sockperf ping-pong), 99th percentile",
     "us", 1, "UDP round trip (us)", "p99"),
    ("churn_create", "churn", "create {n} pairs (ip -batch)",
     "s", 1, "churn (s)", "create {n}"),
    ("churn_delete", "churn", "delete {n} pairs (ip -batch)",
     "s", 1, "churn (s)", "delete {n}"),
    ("mem_slab", "churn", "kernel memory per pair (Slab)",
     "KiB", 1 / 1024, "memory per pair (KiB)", "Slab"),
]
# raw.csv also has mem_percpu, the growth of /proc/meminfo's Percpu per
# pair: it moves by whole chunks (a run after the first reuses the chunks
# the previous one freed and often shows 0), so it is no figure.
# Figures whose every run must be > 0 (they count traffic or time).
POSITIVE = ("pps_", "tcp_", "rr_", "churn_")
PPS = ("pps_64_1q", "pps_1500_1q", "pps_64_mq", "pps_1500_mq")

problems = []


def problem(msg):
    problems.append(msg)
    print("report: FAIL: " + msg, file=sys.stderr)


def read_kv(path):
    kv = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                k, sep, v = line.rstrip("\n").partition("=")
                if sep:
                    kv[k] = v
    return kv


def fmt(x):
    """A number with 3 significant digits or more, no exponent."""
    if x is None:
        return "-"
    a = abs(x)
    if a >= 100:
        return "%.0f" % x
    if a >= 10:
        return "%.1f" % x
    if a >= 1:
        return "%.2f" % x
    return "%.3f" % x


def fmt_count(x):
    """A median of counts: an integer, or a half."""
    return "%d" % x if x == int(x) else "%.1f" % x


def spread(vals):
    """(median, min, max) or None."""
    if not vals:
        return None
    return (statistics.median(vals), min(vals), max(vals))


def cell(s):
    if s is None:
        return "-"
    med, lo, hi = s
    if lo == hi:
        return fmt(med)
    return "%s (%s-%s)" % (fmt(med), fmt(lo), fmt(hi))


def main():
    args = sys.argv[1:]
    doc = None
    if len(args) == 4 and args[2] == "--doc":
        doc = args[3]
        args = args[:2]
    if len(args) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    rawdir, outdir = args
    cond = read_kv(os.path.join(rawdir, "conditions.txt"))
    host = read_kv(os.path.join(rawdir, "conditions-host.txt"))
    q = cond.get("queues_mq", "?")
    n = cond.get("pairs", "?")
    groups = cond.get("figures", "pps tcp rr churn").split()

    rows = []
    with open(os.path.join(rawdir, "raw.csv"), encoding="utf-8") as f:
        for r in csv.DictReader(f):
            rows.append(r)

    # runs[figure][driver] = {run: row}
    runs = {}
    for r in rows:
        try:
            r["v"] = float(r["value"])
        except ValueError:
            problem("%s %s run %s: value '%s' is not a number" %
                    (r["figure"], r["driver"], r["run"], r["value"]))
            continue
        runs.setdefault(r["figure"], {}).setdefault(r["driver"], {})[
            int(r["run"])] = r
        if r["figure"].startswith(POSITIVE) and r["v"] <= 0:
            problem("%s %s run %s: %s %s, not > 0" %
                    (r["figure"], r["driver"], r["run"], r["value"],
                     r["unit"]))

    # The driver cost per packet: 1/rate - 1/limit, run by run (the
    # dummy run is the one right after the driver's), in ns.
    for pf in PPS:
        cf = "cost" + pf[3:]
        dummy = runs.get(pf, {}).get("dummy", {})
        for drv in DRIVERS:
            for k, r in runs.get(pf, {}).get(drv, {}).items():
                if k in dummy and r["v"] > 0 and dummy[k]["v"] > 0:
                    c = 1e6 / r["v"] - 1e6 / dummy[k]["v"]  # kpps -> ns
                    runs.setdefault(cf, {}).setdefault(drv, {})[k] = {
                        "v": c}

    stats = {}
    for fid, grp, label, unit, factor, _panel, _short in FIGURES:
        if grp not in groups:
            continue
        for drv in DRIVERS:
            vals = [r["v"] * factor
                    for r in runs.get(fid, {}).get(drv, {}).values()]
            if not vals:
                problem("figure %s: no run of %s" % (fid, drv))
            stats[(fid, drv)] = spread(vals)
        if fid in PPS:
            dummy = runs.get(fid, {}).get("dummy", {})
            vals = [r["v"] for r in dummy.values()]
            if not vals:
                problem("figure %s: no run into dummy (the limit)" % fid)
            stats[(fid, "dummy")] = spread(vals)

    os.makedirs(outdir, exist_ok=True)
    shutil.copyfile(os.path.join(rawdir, "raw.csv"),
                    os.path.join(outdir, "raw.csv"))
    nruns = cond.get("runs", "?")

    md = []
    md.append("Each cell: median (min-max) of %s run(s); ratio: mynetdrv's "
              "median / veth's." % nruns)
    md.append("")
    md.append("| figure | unit | mynetdrv | veth | mynetdrv/veth |")
    md.append("|---|---|---|---|---|")
    for fid, grp, label, unit, _f, _p, _s in FIGURES:
        if grp not in groups:
            continue
        m, v = stats.get((fid, "mynetdrv")), stats.get((fid, "veth"))
        ratio = "-"
        if m and v and v[0]:
            ratio = "%.2f" % (m[0] / v[0])
        md.append("| %s | %s | %s | %s | %s |" %
                  (label.format(q=q, n=n), unit, cell(m), cell(v), ratio))
    md.append("")
    if "pps" in groups:
        md.append("The limit: the same pktgen runs into a dummy device "
                  "(it only frees the skb). Driver cost per packet = "
                  "1/rate - 1/limit, with the dummy run that followed "
                  "the driver's; it includes the receiving stack's work "
                  "(the same for both drivers).")
        md.append("")
        md.append("| pktgen into dummy | unit | median (min-max) |")
        md.append("|---|---|---|")
        for fid in PPS:
            label = [x[2] for x in FIGURES if x[0] == fid][0]
            md.append("| %s | kpps | %s |" %
                      (label.replace("pktgen packet rate, ", "")
                       .format(q=q), cell(stats.get((fid, "dummy")))))
        md.append("")

    # Instruments: medians over the runs of per-run ratios.
    md.append("mynetdrv's instruments (`ethtool -S` and stats64 growth "
              "over each run, sending end's tx, receiving end's rx; "
              "medians over the runs), and the drops of both drivers "
              "(veth counts a frame its peer's backlog refused on both "
              "ends):")
    md.append("")
    md.append("| figure | packets/poll | frames/kick | xmit_more % "
              "| queue stops | mynetdrv drops tx/rx | veth drops tx/rx |")
    md.append("|---|---|---|---|---|---|---|")

    def num(r, k):
        try:
            return float(r.get(k) or "")
        except ValueError:
            return None

    for fid, grp, label, _u, _f, _p, _s in FIGURES:
        if grp not in groups or not fid.startswith(("pps_", "tcp_", "rr_p50")):
            continue
        mr = list(runs.get(fid, {}).get("mynetdrv", {}).values())
        vr = list(runs.get(fid, {}).get("veth", {}).values())
        ppp, fpk, more, stops = [], [], [], []
        mtxd, mrxd, vtxd, vrxd = [], [], [], []
        for r in mr:
            rxp, polls = num(r, "rx_packets"), num(r, "rx_polls")
            txp, kicks = num(r, "tx_packets"), num(r, "tx_kicks")
            xm = num(r, "tx_xmit_more")
            if rxp is not None and polls:
                ppp.append(rxp / polls)
            if txp is not None and kicks:
                fpk.append(txp / kicks)
            if xm is not None and txp:
                more.append(100 * xm / txp)
            for lst, k in ((stops, "tx_queue_stops"), (mtxd, "tx_dropped"),
                           (mrxd, "rx_dropped")):
                if num(r, k) is not None:
                    lst.append(num(r, k))
        # veth counts a frame its peer's backlog refused twice: in the
        # sender's tx_dropped and the receiver's rx_dropped.
        for r in vr:
            for lst, k in ((vtxd, "tx_dropped"), (vrxd, "rx_dropped")):
                if num(r, k) is not None:
                    lst.append(num(r, k))

        def med(x):
            return statistics.median(x) if x else None

        def pair(a, b):
            if not a or not b:
                return "-"
            return "%s/%s" % (fmt_count(med(a)), fmt_count(med(b)))

        md.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            label.format(q=q, n=n), fmt(med(ppp)), fmt(med(fpk)),
            "-" if not more else "%.1f" % med(more),
            "-" if not stops else fmt_count(med(stops)),
            pair(mtxd, mrxd), pair(vtxd, vrxd)))
    md.append("")

    md.append("Conditions:")
    md.append("")
    keys = [("host", host.get("host_cpu")),
            ("host CPUs", host.get("host_cpus")),
            ("host load (1/5/15 min) before", host.get("load_before")),
            ("host load after", host.get("load_after")),
            ("QEMU", host.get("qemu")),
            ("accelerator", host.get("accel")),
            ("guest", "%s, %s vCPUs (%s), %s MB" % (
                cond.get("guest_kernel", "?"), cond.get("guest_cpus", "?"),
                cond.get("guest_cpu_model", "?"),
                cond.get("guest_mem_mb", "?"))),
            ("mynetdrv", "%s (srcversion %s)" % (
                host.get("commit", "?"), cond.get("module_srcversion", "?"))),
            ("runs", "%s per driver and figure, alternating; %s s each "
             "(pktgen after %s s of warm-up); churn: %s pairs" % (
                 nruns, cond.get("secs", "?"), cond.get("warmup", "?"), n)),
            ("qdisc", "mynetdrv %s, veth %s" % (
                cond.get("qdisc_mynetdrv", "?"), cond.get("qdisc_veth", "?"))),
            ("mynetdrv settings", ", ".join(
                "%s %s" % (k, cond[c]) for k, c in
                (("ethtool -C", "mynet_coalesce"),
                 ("threaded", "mynet_threaded")) if cond.get(c))),
            ("tools", "iperf3 %s, sockperf %s" % (
                cond.get("iperf3", "?").replace("iperf ", ""),
                cond.get("sockperf", "?"))),
            ("when", "%s to %s" % (cond.get("started", "?"),
                                   cond.get("ended", "?"))),
            ("mode", "quick (smoke: not a measurement)"
             if cond.get("quick") == "1" else None)]
    for k, v in keys:
        if v:
            md.append("- %s: %s" % (k, v))
    md.append("")

    with open(os.path.join(outdir, "results.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(md))

    chart(stats, groups, q, n, outdir)
    if doc:
        update_doc(doc, md_to_rst(md))

    if problems:
        print("report: %d problem(s); results written to %s anyway" %
              (len(problems), outdir), file=sys.stderr)
        return 1
    print("report: %s/results.md, raw.csv, chart.png" % outdir)
    return 0


def rst_inline(text):
    """Markdown inline text as reStructuredText: `code` becomes ``code``;
    a cell that is only "-" (no value) is escaped, or it would be a list."""
    if text == "-":
        return "\\-"
    return re.sub(r"`([^`]+)`", r"``\1``", text)


def md_to_rst(md):
    """The lines of results.md (paragraphs, "- " lists and pipe tables,
    nothing else) as reStructuredText: each table a list-table."""
    out, i = [], 0
    while i < len(md):
        line = md[i]
        if not line.startswith("|"):
            if line.startswith("- "):
                out += textwrap.wrap(rst_inline(line[2:]), 76,
                                     initial_indent="- ",
                                     subsequent_indent="  ",
                                     break_on_hyphens=False)
            else:
                out += textwrap.wrap(rst_inline(line), 76,
                                     break_on_hyphens=False) or [""]
            i += 1
            continue
        rows = []
        while i < len(md) and md[i].startswith("|"):
            if not re.fullmatch(r"\|(?:-+\|)+", md[i]):
                rows.append([c.strip() for c in md[i].strip("|").split("|")])
            i += 1
        out.append(".. list-table::")
        out.append("   :header-rows: 1")
        out.append("")
        for row in rows:
            for j, c in enumerate(row):
                out.append("   %s %s" % ("* -" if j == 0 else "  -",
                                          rst_inline(c)))
    return "\n".join(out)


def update_doc(doc, body):
    begin, end = ".. bench-results:begin", ".. bench-results:end"
    with open(doc, encoding="utf-8") as f:
        text = f.read()
    if begin not in text or end not in text:
        problem("%s has no bench-results markers" % doc)
        return
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    with open(doc, "w", encoding="utf-8") as f:
        f.write(head + begin + "\n\n" + body.strip() + "\n\n" + end + tail)
    print("report: the table is in %s" % doc)


def chart(stats, groups, q, n, outdir):
    """One panel per unit: clustered bars (medians) with min-max bars."""
    panels = []
    for fid, grp, _l, _u, _f, panel, short in FIGURES:
        if grp not in groups:
            continue
        m, v = stats.get((fid, "mynetdrv")), stats.get((fid, "veth"))
        if not m or not v:
            continue
        if not panels or panels[-1][0] != panel:
            panels.append((panel, []))
        panels[-1][1].append((short.format(q=q, n=n), m, v))
    if not panels:
        problem("nothing to chart")
        return
    tmp = tempfile.mkdtemp(prefix="bench-chart-")
    try:
        dat = os.path.join(tmp, "chart.dat")
        with open(dat, "w", encoding="utf-8") as f:
            for _panel, items in panels:
                for short, m, v in items:
                    f.write('"%s" %g %g %g %g %g %g\n' % ((short,) + m + v))
                f.write("\n\n")
        cols = 2 if len(panels) > 1 else 1
        nrows = (len(panels) + cols - 1) // cols
        gp = [
            "set terminal pngcairo size %d,%d font ',10'" % (
                560 * cols, 330 * nrows),
            "set output '%s'" % os.path.join(outdir, "chart.png"),
            "set multiplot layout %d,%d title 'mynetdrv vs veth: median, "
            "min-max'" % (nrows, cols),
            "set style data histogram",
            "set style histogram errorbars gap 1 lw 1",
            "set style fill solid 0.7 border -1",
            "set key below horizontal",
            "set grid ytics",
        ]
        for i, (panel, items) in enumerate(panels):
            gp.append("set title '%s'" % panel)
            # Bars start at 0, unless a value (a cost within the noise)
            # is negative; a maximum far above the medians (a latency
            # outlier) is cut at 2.5 times the highest median, so that
            # the bars stay readable.
            low = min(min(m[1], v[1]) for _s, m, v in items)
            top = max(max(m[0], v[0]) for _s, m, v in items)
            high = max(max(m[2], v[2]) for _s, m, v in items)
            gp.append("set yrange [%s:%s]" % (
                "*" if low < 0 else "0",
                "%g" % (2.5 * top) if top > 0 and high > 2.5 * top else "*"))
            gp.append("plot '%s' index %d using 2:3:4:xtic(1) title "
                      "'mynetdrv' lc rgb '#1f77b4', '' index %d using 5:6:7 "
                      "title 'veth' lc rgb '#ff7f0e'" % (dat, i, i))
        gp.append("unset multiplot")
        res = subprocess.run(["gnuplot"], input="\n".join(gp) + "\n",
                             text=True, capture_output=True, check=False)
        if res.returncode != 0:
            problem("gnuplot failed: " + res.stderr.strip())
    except OSError as e:
        problem("gnuplot: %s" % e)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
