#!/usr/bin/env python3
"""Per-patch checks of make submit (scripts/submit.sh) that need no build,
and the patchwork-like report.

Our own equivalents of netdev's patch CI (NIPA tests/patch/*): each check
compares the patch against the tree before it, as NIPA does, and yields
success, warning or fail with the first lines of the reason.

  submit_checks.py patch WT PARENT COMMIT INDEX      static checks of one commit
  submit_checks.py cc WT INDEX MAIL [get_maintainer options...]
  submit_checks.py report RESULTS PATCHES [--json] [--accept LIST] [--notes FILE]

Results are TSV lines "index<TAB>check<TAB>status<TAB>reason", index 0 for
the series, reason lines joined by \\x1f (submit.sh writes the same format).
"""
import email
import email.utils
import json
import os
import re
import subprocess
import sys
import tempfile
import time

# Column order of the report; short names keep the table within 80 columns.
CHECKS = [
    ("format", "fmt", "mail headers, subject prefix"),
    ("signedoff", "sob", "Signed-off-by of the author"),
    ("fixes", "fix", "Fixes: form and target"),
    ("checkpatch", "cpt", "checkpatch.pl --strict, 80 columns"),
    ("build_gcc", "gcc", "gcc x86_64 W=1 C=1 (sparse), bisect"),
    ("build_32bit", "i386", "gcc ARCH=i386 W=1"),
    ("build_clang", "clng", "clang-19 LLVM=-19 W=1"),
    ("kdoc", "kdoc", "kernel-doc -none -Wall, new warnings"),
    ("source_inline", "sinl", "inline in .c files"),
    ("header_inline", "hinl", "non-inline functions in headers"),
    ("module_param", "mpar", "new module parameters"),
    ("deprecated_api", "depr", "deprecated kernel APIs"),
    ("cc_maintainers", "cc", "get_maintainer.pl addresses in To/Cc"),
    ("shellcheck", "shck", "shellcheck of added shell scripts"),
    ("check_selftest", "self", "new tests wired into Makefile/Kconfig"),
]
SERIES_CHECKS = ["size", "apply", "cover"]
SEP = "\x1f"
RANK = {"success": 0, "warning": 1, "fail": 2}


def emit(index, check, status, reason):
    if isinstance(reason, str):
        reason = [reason]
    text = SEP.join(l.replace("\t", " ").rstrip() for l in reason if l.strip())
    print(f"{index}\t{check}\t{status}\t{text}")


def git(wt, *args, check=True):
    return subprocess.run(["git", "-C", wt, *args], capture_output=True, text=True,
                          check=check).stdout


# ---- the diff of one commit, per file ---------------------------------------
class FileDiff:
    def __init__(self, path, status):
        self.path, self.status = path, status
        self.added, self.removed = [], []


def commit_diff(wt, parent, commit):
    status = {}
    for line in git(wt, "diff", "--name-status", "--no-renames", parent, commit).splitlines():
        st, path = line.split("\t", 1)
        status[path] = st[0]
    files = {p: FileDiff(p, s) for p, s in status.items()}
    cur = None
    for line in git(wt, "diff", "--no-renames", "-U0", parent, commit).splitlines():
        if line.startswith("diff --git "):
            m = re.match(r"diff --git a/(\S+) b/(\S+)", line)
            cur = files.get(m.group(2)) if m else None
        elif cur is None or line.startswith(("+++ ", "--- ")):
            continue
        elif line.startswith("+"):
            cur.added.append(line[1:])
        elif line.startswith("-"):
            cur.removed.append(line[1:])
    return files


def strip_comments(lines):
    """C lines without comments and string literals (a line-wise approximation
    that tracks /* */ across lines), so that a keyword in a comment or a
    message does not count."""
    out, in_comment = [], False
    for l in lines:
        s, i, res = l, 0, ""
        while i < len(s):
            if in_comment:
                j = s.find("*/", i)
                if j < 0:
                    i = len(s)
                else:
                    in_comment, i = False, j + 2
            elif s.startswith("/*", i):
                in_comment, i = True, i + 2
            elif s.startswith("//", i):
                break
            elif s[i] == '"':
                j = i + 1
                while j < len(s) and s[j] != '"':
                    j += 2 if s[j] == "\\" else 1
                res, i = res + '""', j + 1
            else:
                res, i = res + s[i], i + 1
        out.append(res)
    return out


# ---- source_inline ----------------------------------------------------------
INLINE = re.compile(r"\binline\b")


def check_source_inline(files):
    new, old, where = 0, 0, []
    for f in files.values():
        if not f.path.endswith(".c"):
            continue
        for raw, code in zip(f.added, strip_comments(f.added)):
            if INLINE.search(code):
                new += 1
                where.append(f"{f.path}: {raw.strip()}")
        old += sum(1 for code in strip_comments(f.removed) if INLINE.search(code))
    if not new:
        return "success", f"no inline added in .c files (removed {old})"
    head = f"{new} inline keyword(s) added in .c files, {old} removed"
    if new > old:
        return "fail", [head + ": let the compiler decide (netdev: no inline in .c files)"] + where
    return "warning", [head + " (moved, not new)"] + where


# ---- header_inline ----------------------------------------------------------
# A function signature that starts at column 0 in a header: optional
# storage class, type words, the name, an opening parenthesis.
SIGNATURE = re.compile(r"^(?P<static>static\s+)?(?!(typedef|struct|union|enum|return|extern)\b)"
                       r"[A-Za-z_][\w\s\*]*?\b(?P<name>[A-Za-z_]\w*)\s*\(")


def check_header_inline(files):
    bad = []
    for f in files.values():
        if not f.path.endswith(".h"):
            continue
        code = strip_comments(f.added)
        i = 0
        while i < len(code):
            m = SIGNATURE.match(code[i])
            if not m or code[i].rstrip().endswith("\\") or m.group("name").isupper() \
                    or "=" in code[i][:m.end()]:
                i += 1
                continue
            # Join the signature up to ';' (declaration) or '{' (definition).
            j, text = i, code[i]
            while ";" not in text and "{" not in text and j + 1 < len(code) and j - i < 8:
                j += 1
                text += " " + code[j].strip()
            inline = re.search(r"\b(inline|__always_inline)\b", text[:text.find("(")])
            definition = "{" in text and (";" not in text or text.find("{") < text.find(";"))
            static = m.group("static") is not None
            if not inline and (definition or static):
                kind = "static function" if static else "function definition"
                bad.append(f"{f.path}: {kind} {m.group('name')}() without inline: "
                           f"{f.added[i].strip()}")
            i = j + 1
    if bad:
        return "fail", [f"{len(bad)} non-inline function(s) added to headers "
                        "(every includer gets a copy or a redefinition)"] + bad
    return "success", "no non-inline functions added to headers"


# ---- module_param -----------------------------------------------------------
PARAM = re.compile(r"\bmodule_param(?:_named|_cb|_array|_string|_unsafe|_hw\w*)?\s*\(\s*(\w+)")


def check_module_param(files):
    added, removed = [], set()
    for f in files.values():
        if not f.path.endswith((".c", ".h")):
            continue
        for raw, code in zip(f.added, strip_comments(f.added)):
            m = PARAM.search(code)
            if m:
                added.append((m.group(1), f.path, raw.strip()))
        removed.update(m.group(1) for m in map(PARAM.search, strip_comments(f.removed)) if m)
    new = [a for a in added if a[0] not in removed]
    if not new:
        return "success", "no new module parameters"
    return "warning", [f"{len(new)} new module parameter(s): "
                       + ", ".join(n for n, _, _ in new)
                       + " (netdev asks for a per-device interface: netlink, ethtool, "
                       "sysfs of the device, not a global knob)"] + \
        [f"{p}: {raw}" for _, p, raw in new]


# ---- deprecated_api ---------------------------------------------------------
# (pattern, replacement, only under this path prefix)
DEPRECATED = [
    (r"\bdev_hold\s*\(", "netdev_hold() with a tracker", ""),
    (r"\bdev_put\s*\(", "netdev_put() with a tracker", ""),
    (r"\bget_net\s*\(", "get_net_track()", ""),
    (r"\bput_net\s*\(", "put_net_track()", ""),
    (r"\binit_dummy_netdev\s*\(", "alloc_netdev_dummy()", ""),
    (r"\b__free\s*\(", "explicit cleanup (netdev avoids scope-based cleanup)", "drivers/net/"),
    (r"\bstrcpy\s*\(", "strscpy()", ""),
    (r"\bstrncpy\s*\(", "strscpy() or strscpy_pad()", ""),
    (r"\bstrlcpy\s*\(", "strscpy()", ""),
    (r"\bsimple_strtou?ll?\s*\(", "kstrtoul() and friends", ""),
]


def check_deprecated_api(files):
    found = []
    for pat, repl, prefix in DEPRECATED:
        rx = re.compile(pat)
        new = old = 0
        where = []
        for f in files.values():
            if not f.path.endswith((".c", ".h")) or not f.path.startswith(prefix):
                continue
            for raw, code in zip(f.added, strip_comments(f.added)):
                if rx.search(code):
                    new += 1
                    where.append(f"{f.path}: {raw.strip()}")
            old += sum(1 for code in strip_comments(f.removed) if rx.search(code))
        if new > old:
            name = pat.replace(r"\b", "").replace(r"\s*\(", "()")
            found.append((f"{name} was {old} now {new}: use {repl}", where))
    if not found:
        return "success", "none added"
    return "warning", [m for m, _ in found] + [w for _, ws in found for w in ws]


# ---- kdoc -------------------------------------------------------------------
KDOC_LINE = [
    re.compile(r"^(?P<file>[^\s:]+):(?P<line>\d+):\s*(?P<kind>warning|error):\s*(?P<text>.*)$"),
    re.compile(r"^(?P<kind>warning|error):\s*(?P<file>[^\s:]+):(?P<line>\d+)\s*(?P<text>.*)$"),
]


def kdoc_warnings(wt, rev, paths, tmp):
    """kernel-doc -none -Wall on the given files as they are at rev: a set of
    (file, text), line numbers dropped (a patch moves lines)."""
    if not paths:
        return set(), []
    root = os.path.join(tmp, rev)
    for p in paths:
        os.makedirs(os.path.dirname(os.path.join(root, p)), exist_ok=True)
        with open(os.path.join(root, p), "w") as fh:
            fh.write(git(wt, "show", f"{rev}:{p}"))
    res = subprocess.run(["perl", os.path.join(wt, "scripts/kernel-doc"), "-none", "-Wall", *paths],
                         cwd=root, capture_output=True, text=True)
    warns, raw = set(), []
    for line in res.stderr.splitlines():
        for rx in KDOC_LINE:
            m = rx.match(line.strip())
            if m:
                warns.add((m.group("file"), m.group("kind") + ": " + m.group("text")))
                raw.append(line.strip())
                break
    return warns, raw


def check_kdoc(wt, parent, commit, files):
    before = [f.path for f in files.values() if f.status in "MD" and f.path.endswith((".c", ".h"))]
    after = [f.path for f in files.values() if f.status in "AM" and f.path.endswith((".c", ".h"))]
    if not before and not after:
        return "success", "no C sources or headers touched"
    with tempfile.TemporaryDirectory() as tmp:
        old, _ = kdoc_warnings(wt, parent, before, tmp)
        new, raw = kdoc_warnings(wt, commit, after, tmp)
    added = sorted(new - old)
    desc = f"warnings before: {len(old)} after: {len(new)}"
    if added:
        return "fail", [f"{desc}, {len(added)} new"] + [f"{f}: {t}" for f, t in added]
    return "success", desc


# ---- shellcheck -------------------------------------------------------------
SC_SEVERITY = re.compile(r"^In \S+ line \d+:|\bSC\d+ \((error|warning|info|style)\):")


def is_shell(wt, commit, f):
    if f.path.endswith(".sh"):
        return True
    if f.status == "D":
        return False
    first = git(wt, "show", f"{commit}:{f.path}", check=False).split("\n", 1)[0]
    return bool(re.match(r"#!\s*(/usr)?/bin/(env\s+)?(ba|da|k)?sh\b", first))


def shellcheck(wt, rev, path, tmp):
    """Findings of shellcheck -x on path as it is at rev, run in a copy of
    its directory (so sourced helpers are followed): [(severity, text)]."""
    root = os.path.join(tmp, rev)
    d = os.path.dirname(path) or "."
    if not os.path.isdir(os.path.join(root, d)):
        os.makedirs(root, exist_ok=True)
        arch = subprocess.run(["git", "-C", wt, "archive", rev, "--", d], capture_output=True)
        subprocess.run(["tar", "-x", "-C", root], input=arch.stdout, check=False)
    # SC2317: unreachable code, confused by test functions called indirectly.
    res = subprocess.run(["shellcheck", "-x", "-f", "gcc", "-e", "SC2317", os.path.basename(path)],
                         cwd=os.path.join(root, d), capture_output=True, text=True)
    out = []
    for line in res.stdout.splitlines():
        m = re.match(r"^[^:]+:\d+:\d+: (error|warning|note|info|style): (.*)$", line)
        if m:
            sev = "info" if m.group(1) == "note" else m.group(1)
            out.append((sev, f"{path}: {sev}: {m.group(2)}"))
    return out


def check_shellcheck(wt, parent, commit, files):
    scripts = [f for f in files.values() if f.status in "AM" and is_shell(wt, commit, f)]
    if not scripts:
        return "success", "no shell scripts touched"
    try:
        subprocess.run(["shellcheck", "--version"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "fail", "shellcheck is not installed (scripts/setup.sh submit)"
    status, lines = "success", []
    with tempfile.TemporaryDirectory() as tmp:
        for f in scripts:
            new = shellcheck(wt, commit, f.path, tmp)
            if f.status == "A":
                # A new script starts clean: every finding counts.
                if new:
                    status = "fail"
                    lines += [f"{f.path}: new script with {len(new)} finding(s)"] + [t for _, t in new]
                continue
            old = shellcheck(wt, parent, f.path, tmp)
            for sev, rank in (("error", "fail"), ("warning", "warning")):
                o = sum(1 for s, _ in old if s == sev)
                n = sum(1 for s, _ in new if s == sev)
                if n > o:
                    if RANK[rank] > RANK[status]:
                        status = rank
                    lines += [f"{f.path}: {sev}s {o} -> {n}"] + \
                        [t for s, t in new if s == sev and t not in {x for _, x in old}]
    if status == "success":
        return status, f"{len(scripts)} script(s) clean"
    return status, lines


# ---- check_selftest ---------------------------------------------------------
def file_at(wt, rev, path):
    return git(wt, "show", f"{rev}:{path}", check=False)


def config_sorted(text):
    keys = [l.split("=")[0].strip().replace("_", "") for l in text.splitlines()
            if l.strip() and not l.strip().startswith("#") and "=" in l]
    return [f"'{b}' after '{a}'" for a, b in zip(keys, keys[1:]) if b < a]


def check_selftest(wt, commit, files):
    problems, checked = [], 0
    for f in files.values():
        p = f.path
        d, base = os.path.dirname(p), os.path.basename(p)
        if p.startswith("tools/testing/selftests/"):
            if f.status == "A" and p.endswith((".sh", ".py", ".c")) and not p.endswith(".bpf.c"):
                checked += 1
                needle = base if not p.endswith(".c") else base[:-2]
                mk = file_at(wt, commit, f"{d}/Makefile")
                if not re.search(r"(^|[\s/=])" + re.escape(needle) + r"(\s|$|\\)", mk, re.M):
                    problems.append(f"{p}: not in {d}/Makefile (TEST_PROGS / TEST_GEN_PROGS)")
                if p.endswith(".c") and needle not in file_at(wt, commit, f"{d}/.gitignore").split():
                    problems.append(f"{p}: binary {needle} not in {d}/.gitignore")
            if f.status in "AM" and base == "config":
                checked += 1
                problems += [f"{p}: not sorted: {e}" for e in config_sorted(file_at(wt, commit, p))]
        elif f.status == "A" and p.endswith(".c") and "kunit_test_suite" in "\n".join(f.added):
            # A new KUnit suite: built by its Makefile under an option that
            # depends on KUNIT and defaults to KUNIT_ALL_TESTS.
            checked += 1
            mk = file_at(wt, commit, f"{d}/Makefile")
            m = re.search(r"^obj-\$\((CONFIG_\w+)\)\s*\+=.*\b" + re.escape(base[:-2]) + r"\.o\b", mk, re.M)
            if not m:
                problems.append(f"{p}: KUnit suite not built by {d}/Makefile (obj-$(CONFIG_...) += {base[:-2]}.o)")
                continue
            sym = m.group(1)[len("CONFIG_"):]
            kc = git(wt, "grep", "-h", "-A8", "-E", rf"^config {sym}$", commit, "--", "*Kconfig*",
                     check=False)
            if not kc:
                problems.append(f"{p}: CONFIG_{sym} is defined in no Kconfig")
            else:
                if not re.search(r"depends on .*\bKUNIT\b", kc):
                    problems.append(f"{p}: CONFIG_{sym} does not depend on KUNIT")
                if "default KUNIT_ALL_TESTS" not in kc:
                    problems.append(f"{p}: CONFIG_{sym} lacks 'default KUNIT_ALL_TESTS'")
    if problems:
        return "fail", problems
    return "success", f"{checked} new test file(s) wired in" if checked else "no new tests"


def cmd_patch(wt, parent, commit, index):
    files = commit_diff(wt, parent, commit)
    runs = [
        ("source_inline", lambda: check_source_inline(files)),
        ("header_inline", lambda: check_header_inline(files)),
        ("module_param", lambda: check_module_param(files)),
        ("deprecated_api", lambda: check_deprecated_api(files)),
        ("kdoc", lambda: check_kdoc(wt, parent, commit, files)),
        ("shellcheck", lambda: check_shellcheck(wt, parent, commit, files)),
        ("check_selftest", lambda: check_selftest(wt, commit, files)),
    ]
    times = os.environ.get("SUBMIT_TIMES")
    for name, run in runs:
        t0 = time.monotonic()
        emit(index, name, *run())
        if times:
            with open(times, "a") as fh:
                fh.write(f"{name} {int((time.monotonic() - t0) * 1000)}\n")


# ---- cc_maintainers ---------------------------------------------------------
# Nobody expects LKML on every patch (NIPA ignores it too).
CC_IGNORE = {"linux-kernel@vger.kernel.org"}


def cmd_cc(tree, index, mail, gm_opts):
    with open(mail, errors="replace") as fh:
        msg = email.message_from_file(fh)
    hdrs = msg.get_all("to", []) + msg.get_all("cc", []) + msg.get_all("from", [])
    included = {a.lower() for _, a in email.utils.getaddresses(hdrs) if a}
    res = subprocess.run(["perl", "scripts/get_maintainer.pl", *gm_opts, mail], cwd=tree,
                         capture_output=True, text=True)
    expected, roles = set(), {}
    for line in res.stdout.splitlines():
        m = re.search(r"([^ <\"]+@[^ >\"]+)", line)
        if m and m.group(1).lower() not in CC_IGNORE:
            a = m.group(1).lower()
            expected.add(a)
            roles[a] = line.strip()
    if res.returncode != 0 and not expected:
        emit(index, "cc_maintainers", "fail", f"get_maintainer.pl failed: {res.stderr.strip()[:200]}")
        return
    missing = sorted(expected - included)
    found = expected & included
    if not missing:
        emit(index, "cc_maintainers", "success", f"CCed {len(found)} of {len(expected)} addresses")
        return
    # As netdev's CI: a missing address is a warning when others of the
    # list were reached, a failure when at most one was.
    status = "warning" if len(found) > 1 else "fail"
    emit(index, "cc_maintainers", status, [f"{len(missing)} of {len(expected)} get_maintainer.pl "
                                           f"address(es) not in To/Cc: {' '.join(missing)}"]
         + [roles[a] for a in missing])


# ---- report -----------------------------------------------------------------
def load(results, patches):
    pl = []
    with open(patches) as fh:
        for line in fh:
            i, name, subj = line.rstrip("\n").split("\t", 2)
            pl.append({"index": int(i), "file": name, "subject": subj, "results": {}})
    series = {}
    with open(results) as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t", 3)
            if len(parts) < 3:
                continue
            i, check, status = int(parts[0]), parts[1], parts[2]
            reason = [r for r in (parts[3] if len(parts) > 3 else "").split(SEP) if r]
            slot = series if i == 0 else (pl[i - 1]["results"] if 0 < i <= len(pl) else None)
            if slot is None:
                continue
            cur = slot.get(check)
            if cur is None:
                slot[check] = {"status": status, "reason": reason}
            elif RANK[status] > RANK[cur["status"]]:
                slot[check] = {"status": status, "reason": reason + cur["reason"]}
            elif RANK[status] == RANK[cur["status"]] and status != "success":
                cur["reason"] += reason
    return pl, series


def cmd_report(args):
    results, patches = args[0], args[1]
    as_json, accept, notes, per_patch = False, set(), None, set()
    rest = args[2:]
    while rest:
        a = rest.pop(0)
        if a == "--json":
            as_json = True
        elif a == "--accept":
            accept = {x for x in rest.pop(0).split(",") if x}
        elif a == "--notes":
            notes = rest.pop(0)
        elif a == "--accept-file":
            try:
                with open(rest.pop(0)) as fh:
                    per_patch = {(int(i), c) for i, c in (l.split() for l in fh if l.strip())}
            except OSError:
                pass
    pl, series = load(results, patches)
    fails, unaccepted, accepted = [], [], []

    def is_accepted(scope, check):
        return check in accept or (scope is not None and (scope["index"], check) in per_patch)

    for scope, res in [(None, series)] + [(p, p["results"]) for p in pl]:
        for check, r in res.items():
            item = (scope, check, r)
            if r["status"] == "fail":
                fails.append(item)
            elif r["status"] == "warning":
                (accepted if is_accepted(scope, check) else unaccepted).append(item)
    blocked = bool(fails or unaccepted)
    n = len(pl)

    def where(scope):
        return "series" if scope is None else f"patch {scope['index']}/{n}"

    if notes:
        with open(notes, "w") as fh:
            for scope, check, r in accepted:
                fh.write(f"{where(scope)} {check}: {r['reason'][0] if r['reason'] else 'warning'}\n")
    if as_json:
        doc = {
            "checks": [c for c, _, _ in CHECKS],
            "series": series,
            "patches": pl,
            "accepted": sorted(accept),
            "accepted_per_patch": [{"patch": i, "check": c} for i, c in sorted(per_patch)],
            "blocked": blocked,
            "fail": len(fails),
            "warning_unaccepted": len(unaccepted),
        }
        json.dump(doc, sys.stdout, indent=1)
        print()
        return 1 if blocked else 0
    cell = {"success": "ok", "warning": "warn", "fail": "FAIL"}
    print("patch " + "".join(f"{s:>5}" for _, s, _ in CHECKS))
    for p in pl:
        row = "".join(f"{cell.get(p['results'].get(c, {}).get('status'), '-'):>5}" for c, _, _ in CHECKS)
        print(f"{p['index']:>2}/{n:<2} {row}")
    for k in range(0, len(CHECKS), 5):
        print("  " + "  ".join(f"{s}: {c}" for c, s, _ in CHECKS[k:k + 5]))
    print("series: " + "  ".join(f"{c} {cell[series[c]['status']]}" for c in SERIES_CHECKS if c in series))
    for p in pl:
        print(f"  {p['index']}/{n} {p['subject'][:70]}")
    for scope, check, r in fails + unaccepted + accepted:
        tag = {"fail": "fail", "warning": "warning"}[r["status"]]
        if r["status"] == "warning":
            tag += " (accepted)" if is_accepted(scope, check) else f" (not accepted: ACCEPT={check})"
        print(f"{where(scope)} {check}: {tag}")
        for line in r["reason"][:4]:
            print(f"    {line[:160]}")
        if len(r["reason"]) > 4:
            print(f"    ... {len(r['reason']) - 4} more line(s)")
    return 1 if blocked else 0


# ---- build logs -------------------------------------------------------------
DIAG = re.compile(r"^(?P<path>[^\s:]+):\d+:(?:\d+:)? (?P<kind>warning|error|note): (?P<text>.*)$")
IN_FUNC = re.compile(r"^(?P<path>[^\s:]+): In (?:function|member function) ")


def cmd_warnings(log, touched):
    """Distinct warnings of a kbuild log that belong to the touched files."""
    def owner(path):
        for f in touched:
            if path == f or path.endswith("/" + f):
                return f
        return None

    def flush(w):
        if not w:
            return
        path, text, ctx, notes = w
        f = owner(path)
        if f:
            found.add(f"{f}: {text}")
            return
        for n in notes + [ctx]:
            f = owner(n or "")
            if f:
                m = re.search(r"(?:^|/)((?:include|arch|drivers|lib|net|kernel|mm|fs)/.*)$", path)
                found.add(f"{f}: {text} (in {m.group(1) if m else path})")
                return

    found, cur, ctx = set(), None, None
    with open(log, errors="replace") as fh:
        for line in fh:
            line = line.rstrip("\n").replace("\u2018", "'").replace("\u2019", "'")
            m = IN_FUNC.match(line)
            if m:
                flush(cur)
                cur, ctx = None, m.group("path")
                continue
            m = DIAG.match(line)
            if not m:
                continue
            if m.group("kind") == "note":
                if cur:
                    cur[3].append(m.group("path"))
                continue
            flush(cur)
            cur = None
            if m.group("kind") == "warning":
                cur = (m.group("path"), m.group("text"), ctx, [])
    flush(cur)
    for w in sorted(found):
        print(w)


def main(argv):
    if len(argv) >= 2 and argv[0] == "warnings":
        cmd_warnings(argv[1], argv[2:])
        return 0
    if len(argv) >= 5 and argv[0] == "patch":
        cmd_patch(argv[1], argv[2], argv[3], int(argv[4]))
        return 0
    if len(argv) >= 4 and argv[0] == "cc":
        cmd_cc(argv[1], int(argv[2]), argv[3], argv[4:])
        return 0
    if len(argv) >= 3 and argv[0] == "report":
        return cmd_report(argv[1:])
    if len(argv) == 1 and argv[0] == "names":
        print(" ".join(c for c, _, _ in CHECKS))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
