#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Check the documentation against the sources, and against itself.

Usage: scripts/check-doc.py

Parses every Documentation/*.rst with docutils and checks (the rules are
explained in Documentation/lab.rst, "Documentation checks"):

Tables against the sources, each found by its section's label (in
whichever document holds it; a label belongs to one document only); the
first column of each body row is the name:

  mynetdrv-params             module parameters (module_param*() calls)
  mynetdrv-ethtool-stats      ethtool -S device totals, in order
                              (stats.c: the tables that
                              mynet_ethtool_stats_strings() prints as is)
  mynetdrv-ethtool-queue-stats
                              ethtool -S per-queue names, in order, written
                              tx<Q>_packets (the "tx%u_%s" tables)
  mynetdrv-selftest           ethtool -t result names (mynet_test_names)
  mynetdrv-debugfs            debugfs files (debugfs_create_*() but dirs)
  mynetdrv-limits             "Value" column against the #define named in
                              the "Source" column (HZ counts as 1: seconds)
  design-mutants              tests/mutants/*.patch, in order; the last
                              column starts with the tests of the patch's
                              "Tests:" header
  lab-tests                   tests/NN-*.sh, in order
  lab-kernels                 the aliases of scripts/kernels.sh, in order
  lab-lint                    the checks of scripts/lint.sh, in order

Facts stated in more than one place (FACTS below): each has a home in the
code; every other place in the code that restates it, and every
document's substitution of that name (".. |NAME| replace:: VALUE"), must
say the same. Substitutions of one name in two documents must agree,
whether the fact has a home in the code or not.

The user flow: the commands of README.md, "Use it on a real host" contain
those of test 01's header, in order.

Counter names: every tx_*, rx_*, txN_*, rxN_* word of README.md,
Documentation/*.rst and scripts/demo.sh is an ethtool -S name, a field of
struct rtnl_link_stats64, or an identifier of the driver's code.

Cross-references: every 'Documentation/<name>.rst, "<title>"' and
'README.md, "<title>"' in a file of the repository names a file and a
section title that exist; README.md's links lead to files that exist.

The benchmark: the tables between the bench-results markers of
Documentation/bench.rst are those of bench/results/results.md, as
bench/report.py writes them.

Prints every difference and exits 1 if there is one, else prints a
summary and exits 0. Needs python3-docutils (Debian).
"""

import glob
import importlib.util
import os
import re
import subprocess
import sys

try:
    from docutils import nodes
    from docutils.core import publish_doctree
except ImportError:
    sys.exit("check-doc: needs docutils (Debian: python3-docutils; "
             "run scripts/setup.sh)")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUEUE = "<Q>"   # how the documents write a queue number in a counter name
README = "README.md"

# Facts with a home in the code, restated elsewhere. Each place is
# (file, regular expression whose group 1 is the value); a value is
# compared as its list of words, commas and "or"/"and" left out. The
# expression is tried on the file as it is (re.M), then with comment
# lines joined ("# a\n# b" -> "# a b"), for a value a comment wraps.
FACTS = {
    "kernels": {
        "home": ("scripts/kernels.sh",
                 r"^aliases\(\) \{ printf '%s\\n' ([^;]+);"),
        "also": [
            ("Makefile", r"^MATRIX \?= (.+)$"),
            ("Makefile", r'make check-matrix \[MATRIX="([^"]+)"\]'),
            ("Makefile", r"scripts/kernels\.sh resolves \(([^:]+):"),
            ("Makefile", r"\(KVER: a release or ([^)]+)\)"),
            ("scripts/matrix.sh", r"\(default: ([^)]+)\)"),
            ("scripts/matrix.sh", r"^\[ \$# -gt 0 \] \|\| set -- (.+)$"),
            ("scripts/lint.sh", r"\(default: ([^)]+)\)"),
            ("scripts/lint.sh", r"^\[ \$# -gt 0 \] \|\| set -- (.+)$"),
            (".ci/run", r'CI_KERNELS \(default "([^"]+)"\)'),
            (".ci/run", r"^kernels=\$\{CI_KERNELS:-([^}]+)\}"),
            ("scripts/vm.sh", r"an alias\s+of scripts/kernels\.sh \(([^)]+)\)"),
        ],
    },
    "test-count": {"home": "tests"},
    "ci-debug-tests": {
        "home": (".ci/run", r"\$\{CI_DEBUG_TESTS-([^}]*)\}"),
        "also": [(".ci/run", r'CI_DEBUG_TESTS \(default "([^"]+)"')],
    },
    "kcsan-tests": {
        "home": ("Makefile", r"^KCSAN_TESTS \?= (.+)$"),
    },
}

# Words of the counter form that are no counter and no identifier of the
# driver's code, but are right where the documents use them.
OTHER_NAMES = {
    "tx_err": "ethtool's name of NETIF_MSG_TX_ERR (msglvl)",
    "tx_global_lock": "the net_device lock ndo_tx_timeout runs under",
}

# struct rtnl_link_stats64, when <linux/if_link.h> cannot be read.
STATS64 = """rx_packets tx_packets rx_bytes tx_bytes rx_errors tx_errors
rx_dropped tx_dropped multicast collisions rx_length_errors rx_over_errors
rx_crc_errors rx_frame_errors rx_fifo_errors rx_missed_errors
tx_aborted_errors tx_carrier_errors tx_fifo_errors tx_heartbeat_errors
tx_window_errors rx_compressed tx_compressed rx_nohandler
rx_otherhost_dropped""".split()


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


def repo_files():
    """The repository's files: tracked, and new ones git does not ignore;
    outside git, every file but build/ and .git/."""
    try:
        out = subprocess.run(
            ["git", "-C", ROOT, "ls-files", "--cached", "--others",
             "--exclude-standard"], capture_output=True, text=True,
            check=True).stdout.split("\n")
        return sorted({f for f in out
                       if f and os.path.isfile(os.path.join(ROOT, f))})
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d, dirs, names in os.walk(ROOT):
            dirs[:] = [x for x in dirs if x not in (".git", "build")]
            files += [os.path.relpath(os.path.join(d, n), ROOT)
                      for n in names]
        return sorted(files)


def words(value):
    """A fact's value as a list of words: "6.1, 6.12 or 7" -> 3 words."""
    return [w for w in re.split(r"[\s,]+", value.strip())
            if w and w not in ("or", "and", "#")]


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


def lab_tests():
    """The test names, tests/NN-name.sh as NN-name, in the order run.sh
    runs them."""
    return sorted(os.path.basename(p)[:-3] for p in
                  glob.glob(os.path.join(ROOT, "tests", "[0-9][0-9]-*.sh")))


def mutants():
    """{NN-name: [tests of its "Tests:" header]} of tests/mutants/."""
    out = {}
    for p in sorted(glob.glob(os.path.join(ROOT, "tests", "mutants",
                                           "*.patch"))):
        head = read(p).split("\n---\n", 1)[0]
        m = re.search(r"^Tests:\s*(.*)$", head, re.M)
        if not m:
            raise Mismatch("%s has no Tests: header" % os.path.relpath(p, ROOT))
        out[os.path.basename(p)[:-6]] = words(m.group(1))
    if not out:
        raise Mismatch("no tests/mutants/*.patch")
    return out


def kernel_aliases():
    return fact_home("kernels")


def lint_checks():
    """The checks of scripts/lint.sh, in order: the checks=(...) array,
    one "build K" for its per-kernel builds, and what is appended last."""
    text = read("scripts/lint.sh")
    m = re.search(r"^checks=\(([^)]*)\)$", text, re.M)
    if not m:
        raise Mismatch("scripts/lint.sh: no checks=(...) array")
    names = m.group(1).split()
    for m in re.finditer(r'^(?:\s*for k in "\$@"; do )?checks\+=\(([^)]*)\)',
                         text, re.M):
        item = m.group(1).strip('"')
        names.append("build K" if item == "build:$k" else item)
    return names


def stats64_fields():
    try:
        with open("/usr/include/linux/if_link.h", encoding="utf-8") as f:
            text = f.read()
        m = re.search(r"struct rtnl_link_stats64 \{(.*?)\};", text, re.S)
        if m:
            return re.findall(r"__u64\s+(\w+);",
                              strip_comments(m.group(1)))
    except OSError:
        pass
    return STATS64


def code_identifiers():
    """Identifiers of the driver's code, comments and strings left out."""
    ids = set()
    for f in sources():
        text = re.sub(r'"(?:\\.|[^"\\])*"', " ", strip_comments(read(f)))
        ids.update(re.findall(r"\b[A-Za-z_]\w*\b", text))
    return ids


# ------------------------------------------------------------ facts

def fact_search(name, where, rx):
    """Every value @rx finds in @where (group 1), as (FILE:LINE, list of
    words)."""
    text = read(where)
    found = [(text.count("\n", 0, m.start(1)) + 1, m.group(1))
             for m in re.finditer(rx, text, re.M)]
    if not found:
        # Join comment lines; first[i]: where joined line i starts.
        joined, first, prev = [], [], ""
        for i, line in enumerate(text.split("\n")):
            m = re.match(r"[ \t]*#[ \t]*", line)
            if m and joined and re.match(r"[ \t]*#", prev):
                joined[-1] += " " + line[m.end():]
            else:
                joined.append(line)
                first.append(i + 1)
            prev = line
        joined = "\n".join(joined)
        found = [(first[joined.count("\n", 0, m.start(1))], m.group(1))
                 for m in re.finditer(rx, joined, re.M)]
    if not found:
        raise Mismatch("fact %s: %s no longer matches /%s/: update FACTS in "
                       "scripts/check-doc.py" % (name, where, rx))
    return [("%s:%d" % (where, n), words(v)) for n, v in found]


def fact_home(name):
    home = FACTS[name]["home"]
    if home == "tests":
        return [str(len(lab_tests()))]
    values = [v for _, v in fact_search(name, *home)]
    if any(v != values[0] for v in values):
        raise Mismatch("fact %s: %s states it %d times, differently"
                       % (name, home[0], len(values)))
    return values[0]


def check_facts(docs):
    errs, checked = [], 0
    for name, fact in FACTS.items():
        try:
            want = fact_home(name)
        except Mismatch as e:
            errs.append(str(e))
            continue
        home = fact["home"]
        where = "tests/NN-*.sh" if home == "tests" else home[0]
        for f, rx in fact.get("also", []):
            try:
                for place, v in fact_search(name, f, rx):
                    checked += 1
                    if v != want:
                        errs.append("fact %s: %s says %s, its home %s says %s"
                                    % (name, place, " ".join(v), where,
                                       " ".join(want)))
            except Mismatch as e:
                errs.append(str(e))
        for doc, d in docs.items():
            if name in d["subst"]:
                checked += 1
                have = words(d["subst"][name])
                if have != want:
                    errs.append("fact %s: %s says %s, its home %s says %s"
                                % (name, doc, " ".join(have), where,
                                   " ".join(want)))
    # The same substitution in two documents, home or not.
    seen = {}
    for doc, d in docs.items():
        for name, value in d["subst"].items():
            seen.setdefault(name, []).append((doc, words(value)))
    for name, places in seen.items():
        if any(v != places[0][1] for _, v in places):
            errs.append("fact %s differs between documents: %s" % (
                name, "; ".join("%s says %s" % (doc, " ".join(v))
                                for doc, v in places)))
    return errs, checked


# ------------------------------------------------------------ the documents

def parse_docs():
    docs = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "Documentation",
                                              "*.rst"))):
        rel = os.path.relpath(path, ROOT)
        # Parse only: make docs-check renders them, warnings as errors.
        tree = publish_doctree(read(rel), source_path=path,
                               settings_overrides={"report_level": 5,
                                                   "halt_level": 5})
        docs[rel] = {
            "tree": tree,
            "titles": {" ".join(s[0].astext().split())
                       for s in tree.findall(nodes.section)},
            "labels": {n for s in tree.findall(nodes.section)
                       for n in s["names"]},
            "subst": {n["names"][0]: n.astext()
                      for n in tree.findall(nodes.substitution_definition)},
        }
    return docs


def doc_tables(docs, label):
    """The document holding section @label, and the body rows (lists of
    cell texts) of the tables in that section, not counting its
    subsections."""
    holders = [doc for doc, d in docs.items() if label in d["labels"]]
    if not holders:
        raise Mismatch("no section labelled '.. _%s:'" % label)
    if len(holders) > 1:
        raise Mismatch("label '%s' in %s" % (label, " and ".join(holders)))
    for sec in docs[holders[0]]["tree"].findall(nodes.section):
        if label in sec["names"]:
            break

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
                continue
            if isinstance(child, nodes.Element):
                walk(child)
    walk(sec)
    if not rows:
        raise Mismatch("section '%s' has no table" % label)
    return holders[0], rows


def compare(what, doc_names, src_names, ordered):
    """Differences between the document's list and the sources'."""
    errs = []
    missing = [n for n in src_names if n not in doc_names]
    extra = [n for n in doc_names if n not in src_names]
    dups = sorted({n for n in doc_names if doc_names.count(n) > 1})
    if missing:
        errs.append("%s: in the sources, not in the document: %s"
                    % (what, ", ".join(missing)))
    if extra:
        errs.append("%s: in the document, not in the sources: %s"
                    % (what, ", ".join(extra)))
    if dups:
        errs.append("%s: listed twice in the document: %s"
                    % (what, ", ".join(dups)))
    if ordered and not errs and doc_names != src_names:
        first = next(i for i, (a, b) in enumerate(zip(doc_names, src_names))
                     if a != b)
        errs.append("%s: order differs from the sources' at entry %d: "
                    "document has %s, sources have %s"
                    % (what, first + 1, doc_names[first], src_names[first]))
    return errs


def check_tables(docs):
    errs, counts = [], {}

    def check(what, label, src, ordered):
        try:
            doc, rows = doc_tables(docs, label)
            names = [r[0] for r in rows]
            errs.extend("%s: %s" % (doc, e) for e in
                        compare(what, names, src(), ordered))
            counts[what] = len(names)
            return rows
        except Mismatch as e:
            errs.append("%s: %s" % (what, e))
            return []

    check("module parameters", "mynetdrv-params", driver_params, False)
    check("ethtool -S totals", "mynetdrv-ethtool-stats",
          lambda: driver_stats()[0], True)
    check("ethtool -S per queue", "mynetdrv-ethtool-queue-stats",
          lambda: driver_stats()[1], True)
    check("ethtool -t results", "mynetdrv-selftest", driver_selftests, True)
    check("debugfs files", "mynetdrv-debugfs", driver_debugfs, False)
    check("tests", "lab-tests", lab_tests, True)
    check("kernels", "lab-kernels", kernel_aliases, True)
    check("lint checks", "lab-lint", lint_checks, True)

    try:
        killers = mutants()
        for row in check("mutants", "design-mutants", lambda: list(killers),
                         True):
            have = re.match(r"[\d\s,]*(?:(?:and|or)\s+\d+)?", row[-1])
            have = words(have.group(0)) if have else []
            want = killers.get(row[0])
            if want is not None and have != want:
                errs.append("mutants: %s: the document names test(s) %s, "
                            "its Tests: header %s"
                            % (row[0], " ".join(have) or "none",
                               " ".join(want)))
    except Mismatch as e:
        errs.append("mutants: %s" % e)

    limits = 0
    try:
        defs = driver_defines()
        doc, rows = doc_tables(docs, "mynetdrv-limits")
        for row in rows:
            if len(row) != 3:
                raise Mismatch("a row without 3 columns: %s" % row)
            want = define_value(defs, row[2])
            have = row[1].split()[0] if row[1].split() else ""
            if str(want) != have:
                errs.append("%s: limits: %s is %s in the sources, the "
                            "document says %s" % (doc, row[2], want, row[1]))
            limits += 1
    except Mismatch as e:
        errs.append("limits: %s" % e)
    counts["limits"] = limits
    return errs, counts


# ------------------------------------------------------------ README & co

def md_sections(text):
    return {" ".join(m.group(1).split())
            for m in re.finditer(r"^#+\s+(.+?)\s*#*$", text, re.M)}


def md_section(text, title):
    """The text of README's section @title, up to the next heading."""
    m = re.search(r"^#+\s+%s\s*$(.*?)(?=^#|\Z)" % re.escape(title), text,
                  re.M | re.S)
    if not m:
        raise Mismatch('%s has no section "%s"' % (README, title))
    return m.group(1)


def check_refs(docs):
    """Cross-references to a document's section, anywhere."""
    titles = {doc: d["titles"] for doc, d in docs.items()}
    if os.path.exists(os.path.join(ROOT, README)):
        titles[README] = md_sections(read(README))
    errs, n = [], 0
    ref = re.compile(r'((?:Documentation/[\w-]+\.rst|README\.md))'
                     r'(?:\]\([^)\s]*\))?,\s+"(?!<)([^"]{1,120})"'
                     r'|README(?:\.md)?\'s\s+"(?!<)([^"]{1,120})"')
    path = re.compile(r"\bDocumentation/([\w-]+)\.rst\b")
    for f in repo_files():
        try:
            text = read(f)
        except (UnicodeDecodeError, OSError):
            continue
        # A reference a comment or a paragraph wraps: join the lines.
        flat = re.sub(r"[ \t]*\n[ \t]*(?:#+|\*|//|;)?[ \t]*", " ", text)
        for m in ref.finditer(flat):
            target = m.group(1) or README
            title = " ".join((m.group(2) or m.group(3)).split())
            n += 1
            if target not in titles:
                errs.append('%s: refers to %s, "%s": no such document'
                            % (f, target, title))
            elif title not in titles[target]:
                errs.append('%s: refers to %s, "%s": no such section there'
                            % (f, target, title))
        for m in path.finditer(text):
            if not os.path.exists(os.path.join(ROOT, m.group(0))):
                errs.append("%s: names %s, which does not exist"
                            % (f, m.group(0)))
    if os.path.exists(os.path.join(ROOT, README)):
        for m in re.finditer(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", read(README)):
            link = m.group(1)
            if re.match(r"[a-z]+:", link):
                continue
            n += 1
            if not os.path.exists(os.path.join(ROOT, link)):
                errs.append("%s: links to %s, which does not exist"
                            % (README, link))
    return errs, n


def check_flow():
    """README's real-host commands contain test 01's, in order."""
    try:
        section = md_section(read(README), "Use it on a real host")
        block = re.search(r"^```[^\n]*\n(.*?)^```", section, re.M | re.S)
        if not block:
            raise Mismatch('%s, "Use it on a real host": no command block'
                           % README)
        readme = []
        for line in block.group(1).split("\n"):
            line = re.sub(r"\s+#.*$", "", line).strip()
            line = re.sub(r"^sudo\s+", "", line)
            if line:
                readme.append(" ".join(line.split()))
        head = read("tests/01-used-by-flow.sh").split("\n")
        flow, inside = [], False
        for line in head:
            if re.match(r"#\s+01-used-by-flow:.*verbatim", line):
                inside = True
                continue
            if inside:
                if not line.startswith("#   "):
                    break
                flow += [" ".join(c.split()) for c in line[1:].split(";")
                         if c.strip()]
        if not flow:
            raise Mismatch("tests/01-used-by-flow.sh: no flow in its header")
        i = 0
        for cmd in readme:
            if i < len(flow) and cmd == flow[i]:
                i += 1
        if i < len(flow):
            return ['%s, "Use it on a real host": test 01 runs "%s" next, '
                    "which the README's commands lack (in that order)"
                    % (README, flow[i])], len(flow)
        return [], len(flow)
    except Mismatch as e:
        return [str(e)], 0


def check_counter_names():
    totals, queue = driver_stats()
    known = set(totals) | set(queue) | set(stats64_fields()) | \
        set(OTHER_NAMES) | code_identifiers()
    word = re.compile(r"\b(?:tx|rx)(?:\d+|<Q>|\*Q\*)?_[a-z][a-z0-9_]*\b")
    files = [README, "scripts/demo.sh"] + sorted(
        os.path.relpath(p, ROOT) for p in
        glob.glob(os.path.join(ROOT, "Documentation", "*.rst")))
    errs, names = [], set()
    for f in files:
        if not os.path.exists(os.path.join(ROOT, f)):
            continue
        for m in word.finditer(read(f)):
            name = re.sub(r"^([tr]x)(?:\d+|\*Q\*)_", r"\1<Q>_", m.group(0))
            names.add(name)
            if name not in known:
                errs.append("%s: %s is no counter of the driver (ethtool "
                            "-S, stats64) nor an identifier of its code"
                            % (f, m.group(0)))
    return sorted(set(errs)), len(names)


def check_bench():
    doc = "Documentation/bench.rst"
    results = "bench/results/results.md"
    if not os.path.exists(os.path.join(ROOT, doc)):
        return [], 0
    text = read(doc)
    m = re.search(r"^\.\. bench-results:begin\n(.*?)^\.\. bench-results:end",
                  text, re.M | re.S)
    if not m:
        return ["%s: no bench-results markers" % doc], 0
    spec = importlib.util.spec_from_file_location(
        "bench_report", os.path.join(ROOT, "bench", "report.py"))
    report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(report)
    want = report.md_to_rst(read(results).split("\n")).strip()
    if m.group(1).strip() != want:
        return ["%s: the tables between the bench-results markers are not "
                "those of %s (bench/report.py --doc writes them)"
                % (doc, results)], 1
    return [], 1


def main():
    if len(sys.argv) > 1:
        sys.exit(__doc__.strip().splitlines()[2])
    docs = parse_docs()
    errs = []
    table_errs, counts = check_tables(docs)
    errs += table_errs
    fact_errs, facts = check_facts(docs)
    errs += fact_errs
    ref_errs, refs = check_refs(docs)
    errs += ref_errs
    flow_errs, flow = check_flow()
    errs += flow_errs
    try:
        name_errs, names = check_counter_names()
    except Mismatch as e:
        name_errs, names = ["counter names: %s" % e], 0
    errs += name_errs
    bench_errs, _ = check_bench()
    errs += bench_errs

    for e in errs:
        print("check-doc: %s" % e, file=sys.stderr)
    if errs:
        print("check-doc: the documentation does not match the sources "
              "(%d problems)" % len(errs), file=sys.stderr)
        return 1
    print("check-doc: %d documents match the sources: %s; %d restated "
          "facts agree with their homes; %d cross-references resolve; "
          "README's flow is test 01's (%d commands); %d counter names "
          "exist; the benchmark tables are the latest results"
          % (len(docs), ", ".join("%d %s" % (n, what)
                                  for what, n in counts.items()),
             facts, refs, flow, names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
