#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Check that Documentation/mynetdrv.rst lists what the driver defines.

Usage: scripts/check-doc.py [DOC]

Extracts from the C sources, and compares with the tables of the document
(parsed with docutils, found by their section's label):

  mynetdrv-params             module parameters (module_param*() calls)
  mynetdrv-ethtool-stats      ethtool -S device totals, in order
                              (stats.c: the tables that
                              mynet_ethtool_stats_strings() prints with "%s")
  mynetdrv-ethtool-queue-stats
                              ethtool -S per-queue names, in order, written
                              tx<Q>_packets (the "tx%u_%s" tables)
  mynetdrv-selftest           ethtool -t result names (mynet_test_names)
  mynetdrv-debugfs            debugfs files (debugfs_create_*() but dirs)
  mynetdrv-limits             "Value" column against the #define named in
                              the "Source" column (HZ counts as 1: seconds)

The first column of each table's body rows is the name. Prints what is
missing, extra or out of order, and exits 1 on any difference, 0 when
everything matches. Needs python3-docutils (Debian).
"""

import os
import re
import sys

try:
    from docutils import nodes
    from docutils.core import publish_doctree
except ImportError:
    sys.exit("check-doc: needs docutils (Debian: python3-docutils; "
             "run scripts/setup.sh)")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUEUE = "<Q>"   # how the document writes a queue number in a counter name


class Mismatch(Exception):
    pass


def read(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as f:
        return f.read()


def sources():
    return sorted(f for f in os.listdir(ROOT)
                  if f.endswith((".c", ".h")) and
                  os.path.isfile(os.path.join(ROOT, f)))


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def function_body(text, name):
    """The text between the braces of function @name's definition."""
    m = re.search(r"\b%s\([^;{]*\)\s*\{" % re.escape(name), text)
    if not m:
        raise Mismatch("no definition of %s()" % name)
    depth, i = 1, m.end()
    while depth:
        if i >= len(text):
            raise Mismatch("unbalanced braces in %s()" % name)
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    return text[m.end():i - 1]


# ------------------------------------------------------------ the sources

def driver_stats():
    """ethtool -S names: (totals, per queue), in the driver's order."""
    text = strip_comments(read("stats.c"))
    tables = {}
    for m in re.finditer(r"struct mynet_stat_desc\s+(\w+)\[\]\s*=\s*\{(.*?)\};",
                         text, re.S):
        tables[m.group(1)] = re.findall(r'MYNET_[RT]X_STAT\(\s*"([^"]+)"',
                                        m.group(2))
    if not tables:
        raise Mismatch("stats.c: no struct mynet_stat_desc tables found")
    body = function_body(text, "mynet_ethtool_stats_strings")
    # In order: ethtool_puts(&data, T[i].name) is a total's name as is,
    # ethtool_sprintf(&data, "FMT", [q,] T[i].name) a formatted one.
    calls = [(m.group(1) if m.group(1) is not None else "%s", m.group(2))
             for m in re.finditer(
                 r'ethtool_(?:puts\(\s*&data,|sprintf\(\s*&data,\s*'
                 r'"([^"]*)"\s*,(?:\s*\w+\s*,)?)\s*(\w+)\[i\]\.name\s*\)',
                 body)]
    if not calls:
        raise Mismatch("stats.c: no ethtool_puts() or ethtool_sprintf() of "
                       "a table's names in mynet_ethtool_stats_strings()")
    totals, queue = [], []
    for fmt, table in calls:
        if table not in tables:
            raise Mismatch("stats.c: unknown table %s" % table)
        if fmt == "%s":
            totals += tables[table]
            continue
        m = re.fullmatch(r"(\w*)%u_%s", fmt)
        if not m:
            raise Mismatch('stats.c: format "%s" not understood' % fmt)
        queue += ["%s%s_%s" % (m.group(1), QUEUE, n) for n in tables[table]]
    return totals, queue


def driver_params():
    names = []
    for f in sources():
        text = strip_comments(read(f))
        for m in re.finditer(r"\bmodule_param\w*\(\s*(\w+)", text):
            name = m.group(1)
            if not re.search(r"\bMODULE_PARM_DESC\(\s*%s\b" % name, text):
                raise Mismatch("%s: parameter %s has no MODULE_PARM_DESC"
                               % (f, name))
            names.append(name)
    return names


def driver_selftests():
    text = strip_comments(read("selftest.c"))
    m = re.search(r"mynet_test_names\[[^]]*\]\[[^]]*\]\s*=\s*\{(.*?)\};",
                  text, re.S)
    if not m:
        raise Mismatch("selftest.c: no mynet_test_names table found")
    return re.findall(r'"([^"]*)"', m.group(1))


def driver_debugfs():
    names = []
    for f in sources():
        text = strip_comments(read(f))
        names += re.findall(r'\bdebugfs_create_(?!dir\b)\w+\(\s*"([^"]+)"',
                            text)
    return names


def driver_defines():
    defs = {}
    for f in sources():
        for m in re.finditer(r"^#define\s+(MYNET_\w+)[ \t]+(.+?)[ \t]*$",
                             strip_comments(read(f)), re.M):
            defs[m.group(1)] = m.group(2)
    return defs


def define_value(defs, name, seen=()):
    """A #define as a number or a string; HZ is 1, so jiffies are seconds."""
    if name not in defs or name in seen:
        raise Mismatch("no usable #define %s in the sources" % name)
    expr = defs[name].strip()
    if re.fullmatch(r'"[^"]*"', expr):
        return expr[1:-1]
    expr = re.sub(r"\bHZ\b", "1", expr)
    expr = re.sub(r"\bMYNET_\w+\b",
                  lambda m: str(define_value(defs, m.group(0),
                                             seen + (name,))), expr)
    if not re.fullmatch(r"[\d\s()+*/-]+", expr):
        raise Mismatch("#define %s %s: not a plain number" % (name,
                                                              defs[name]))
    return int(eval(expr))  # digits and operators only, checked above


# ------------------------------------------------------------ the document

def doc_tables(doc, label):
    """Body rows (lists of cell texts) of the tables in section @label,
    not counting its subsections."""
    for sec in doc.findall(nodes.section):
        if label in sec["names"]:
            break
    else:
        raise Mismatch("no section labelled '.. _%s:'" % label)

    rows = []

    def walk(node):
        for child in node.children:
            if isinstance(child, nodes.section):
                continue
            if isinstance(child, nodes.table):
                for body in child.findall(nodes.tbody):
                    for row in body.findall(nodes.row):
                        rows.append([" ".join(e.astext().split())
                                     if i else e.astext().strip()
                                     for i, e in enumerate(
                                         row.findall(nodes.entry))])
            elif isinstance(child, nodes.Element):
                walk(child)
    walk(sec)
    if not rows:
        raise Mismatch("section '%s' has no table" % label)
    return rows


def compare(what, doc_names, src_names, ordered):
    """Differences between the document's list and the driver's."""
    errs = []
    missing = [n for n in src_names if n not in doc_names]
    extra = [n for n in doc_names if n not in src_names]
    dups = sorted({n for n in doc_names if doc_names.count(n) > 1})
    if missing:
        errs.append("%s: in the driver, not in the document: %s"
                    % (what, ", ".join(missing)))
    if extra:
        errs.append("%s: in the document, not in the driver: %s"
                    % (what, ", ".join(extra)))
    if dups:
        errs.append("%s: listed twice in the document: %s"
                    % (what, ", ".join(dups)))
    if ordered and not errs and doc_names != src_names:
        first = next(i for i, (a, b) in enumerate(zip(doc_names, src_names))
                     if a != b)
        errs.append("%s: order differs from the driver's at entry %d: "
                    "document has %s, driver has %s"
                    % (what, first + 1, doc_names[first], src_names[first]))
    return errs


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(ROOT, "Documentation", "mynetdrv.rst")
    if len(sys.argv) > 2 or path.startswith("-"):
        sys.exit(__doc__.strip().splitlines()[2])
    with open(path, encoding="utf-8") as f:
        # Parse only: make docs-check renders it with warnings as errors.
        doc = publish_doctree(f.read(), source_path=path,
                              settings_overrides={"report_level": 5,
                                                  "halt_level": 5})
    errs = []

    def first_column(label):
        return [r[0] for r in doc_tables(doc, label)]

    def check(what, label, src, ordered):
        try:
            names = first_column(label)
            errs.extend(compare(what, names, src(), ordered))
            return len(names)
        except Mismatch as e:
            errs.append("%s: %s" % (what, e))
            return 0

    def stats_totals():
        return driver_stats()[0]

    def stats_queue():
        return driver_stats()[1]

    counts = [
        check("module parameters", "mynetdrv-params", driver_params, False),
        check("ethtool -S totals", "mynetdrv-ethtool-stats", stats_totals,
              True),
        check("ethtool -S per queue", "mynetdrv-ethtool-queue-stats",
              stats_queue, True),
        check("ethtool -t results", "mynetdrv-selftest", driver_selftests,
              True),
        check("debugfs files", "mynetdrv-debugfs", driver_debugfs, False),
    ]

    limits = 0
    try:
        defs = driver_defines()
        for row in doc_tables(doc, "mynetdrv-limits"):
            if len(row) != 3:
                raise Mismatch("a row without 3 columns: %s" % row)
            want = define_value(defs, row[2])
            have = row[1].split()[0] if row[1].split() else ""
            if str(want) != have:
                errs.append("limits: %s is %s in the sources, the document "
                            "says %s" % (row[2], want, row[1]))
            limits += 1
    except Mismatch as e:
        errs.append("limits: %s" % e)

    rel = os.path.relpath(path)
    if rel.startswith(".."):
        rel = path
    for e in errs:
        print("check-doc: %s: %s" % (rel, e), file=sys.stderr)
    if errs:
        print("check-doc: %s does not match the sources (%d problems)"
              % (rel, len(errs)), file=sys.stderr)
        return 1
    print("check-doc: %s matches the sources: %d module parameter(s), "
          "%d ethtool -S totals, %d per-queue counters, %d self-test "
          "results, %d debugfs file(s), %d limits"
          % ((rel,) + tuple(counts) + (limits,)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
