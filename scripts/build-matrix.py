#!/usr/bin/env python3
"""Build the configurations of tests/build-matrix.toml on the staged tree of
$BASE (pristine + the series) and on the pristine tree, and count errors and
new warnings (a warning is new when the pristine build of the same
configuration does not have it: same file and text, line numbers aside).

Usage: BASE=mainline scripts/build-matrix.py [--guard] [--only NAME,...]
  --guard   only the rows marked guard (make check): series tree only.
Prints a line per step and the table; writes out/build-matrix.txt.
Each build is skipped when its inputs (fragments, options, tree, toolchain,
targets) are those of its last run: the stored result is reused.
"""
import collections
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
ARGS = sys.argv[1:]
GUARD = "--guard" in ARGS
ONLY = None
if "--only" in ARGS:
    ONLY = set(ARGS[ARGS.index("--only") + 1].split(","))


def log(msg):
    print(time.strftime("[%H:%M:%S] ") + msg, flush=True)


def die(msg):
    print("ERROR: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


def lib(*cmds):
    """Run shell functions of scripts/lib.sh; one output line each."""
    out = subprocess.run(["bash", "-c", ". scripts/lib.sh; " + "; ".join(cmds)],
                         cwd=TOP, check=True, capture_output=True, text=True).stdout
    return out.strip().split("\n")


BASE = os.environ.get("BASE", "mainline")
KTREE, KOUT, CACHE = lib('echo "$KTREE"', 'echo "$KOUT"', 'echo "$CACHE"')
MVARS = dict(v.split("=", 1) for v in lib("kmake_vars")[0].split())
PATH = lib('echo "$PATH"')[0]
ENV = dict(os.environ, PATH=PATH)
MATRIX = tomllib.loads((TOP / "tests/build-matrix.toml").read_text())
MOUT = Path(KOUT) / "matrix"


def make_vars(row):
    v = dict(MVARS)
    v["ARCH"] = row["arch"]
    if row["cc"] == "gcc":
        del v["LLVM"]
        v["CROSS_COMPILE"] = "riscv64-linux-gnu-"
    return [f"{k}={x}" for k, x in v.items()]


def tree_id(tree):
    """The committed tree and any local change to it (contents, not names)."""
    head = subprocess.run(["git", "-C", tree, "rev-parse", "HEAD^{tree}"], check=True,
                          capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", tree, "diff", "HEAD"], check=True, capture_output=True).stdout
    return head + hashlib.sha256(dirty).hexdigest()[:8]


def version(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
    return (p.stdout + p.stderr).strip().split("\n")[0]


def toolchain(row):
    cc = "riscv64-linux-gnu-gcc" if row["cc"] == "gcc" else "clang"
    tools = [version([cc, "--version"]), version(["/usr/bin/rustc", "--version"]),
             version([MVARS["BINDGEN"], "--version"]),
             hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]]
    if row.get("lint"):
        # sid's sparse built by make setup says 0.6.4 like bookworm's: the binary.
        sparse = shutil.which("sparse", path=PATH)
        tools.append(hashlib.sha256(Path(sparse).read_bytes()).hexdigest()[:12] if sparse else None)
    return tools


def frag_paths(row):
    return [TOP / "arch/riscv/configs" / f"{f}.config" for f in row.get("fragments", [])]


def read_config(path):
    cfg = {}
    for line in Path(path).read_text().split("\n"):
        m = re.match(r"^CONFIG_([A-Za-z0-9_]+)=(.*)$", line)
        if m:
            cfg[m.group(1)] = m.group(2)
        m = re.match(r"^# CONFIG_([A-Za-z0-9_]+) is not set$", line)
        if m:
            cfg[m.group(1)] = "n"
    return cfg


def sym(cfg, name):
    return cfg.get(name, "n")


def run_logged(cmd, logf, cwd=None):
    """Run cmd with its output in logf; print progress every 30 s."""
    t0 = time.time()
    with open(logf, "w") as f:
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=cwd, env=ENV)
        done = threading.Event()

        def progress():
            while not done.wait(30):
                try:
                    lines = Path(logf).read_text(errors="replace").split("\n")
                except OSError:
                    continue
                n = sum(1 for x in lines if re.match(r"^  (CC|RUSTC|AS|LD|AR|BINDGEN)", x))
                last = next((x for x in reversed(lines) if x.strip()), "")
                print(f"    ... {int(time.time() - t0)} s, {n} objects, last: {last.strip()[:70]}", flush=True)

        th = threading.Thread(target=progress, daemon=True)
        th.start()
        rc = p.wait()
        done.set()
    return rc, time.time() - t0


def norm_warnings(text, trees, errors=False):
    """Warning lines as a Counter, without what moves between the trees:
    tree and build-folder prefixes, line and column numbers, code offsets.
    errors=True: error lines too (sparse prints its errors in a build
    that succeeds)."""
    out = collections.Counter()
    lines = text.split("\n")
    what = r"\b(warning|error)\b:" if errors else r"\bwarning\b:"
    for i, line in enumerate(lines):
        if not re.search(what, line, re.I):
            continue
        # rustc's count of what it printed above is not a warning itself.
        if re.match(r"^warning: .*\d+ warnings? emitted", line):
            continue
        w = line
        # rustc names the place on a following "-->" line.
        if re.match(r"^warning:", w):
            for nxt in lines[i + 1:i + 3]:
                m = re.match(r"^\s*--> (\S+)", nxt)
                if m:
                    w += " @ " + m.group(1)
                    break
        for t in sorted(trees, key=len, reverse=True):
            w = w.replace(t + "/", "")
        w = re.sub(r":\d+(?::\d+)?(?=[:\s,)]|$)", "", w)
        w = re.sub(r"\+0x[0-9a-f]+", "+OFF", w)
        out[w.strip()] += 1
    return out


def error_lines(text):
    """The distinct diagnostics of a failed build (not make's echoes)."""
    seen = []
    for x in text.split("\n"):
        if re.search(r"(: error:|^error(\[E\d+\])?:|ld(\.lld)?: error:|: fatal error:)", x) and x not in seen:
            seen.append(x)
    return seen


def configure(row, tree, odir):
    """tinyconfig (or the row's defconfig) + fragments + `set`, olddefconfig.
    Returns the resolved configuration and Kconfig's own warnings."""
    vars_ = make_vars(row)
    kmake = ["make", "-s", "-C", tree] + vars_ + [f"O={odir}"]
    odir.mkdir(parents=True, exist_ok=True)
    kout = ""

    def run(cmd, **kw):
        nonlocal kout
        p = subprocess.run(cmd, env=ENV, capture_output=True, text=True, **kw)
        kout += p.stdout + p.stderr
        if p.returncode:
            print(p.stdout[-2000:] + p.stderr[-2000:])
            die(f"{row['name']}: {' '.join(cmd[-1:])} failed in {odir}")

    run(kmake + [row.get("defconfig", "tinyconfig")])
    extra = odir / "matrix.config"
    extra.write_text("".join(f"CONFIG_{k}={v}\n" if v != "n" else f"# CONFIG_{k} is not set\n"
                             for k, v in row.get("set", {}).items()))
    frags = [str(p) for p in frag_paths(row)] + [str(extra)]
    p = subprocess.run([f"{tree}/scripts/kconfig/merge_config.sh", "-m", "-O", str(odir),
                        str(odir / ".config")] + frags, cwd=odir, env=ENV, capture_output=True, text=True)
    if p.returncode:
        print(p.stdout[-2000:] + p.stderr[-2000:])
        die(f"{row['name']}: merge_config.sh failed in {odir}")
    run(kmake + ["olddefconfig"])
    # Kconfig's own complaints (unmet dependencies of a select, recursion).
    kwarn = [x for x in kout.split("\n") if re.search(r"WARNING: unmet|recursive dependency|warning:", x)]
    return read_config(odir / ".config"), kwarn


def kconfig_problems(row, cfg):
    bad = []
    expect = row.get("expect", {})
    for k, v in row.get("set", {}).items():
        if sym(cfg, k) != v and expect.get(k) != sym(cfg, k):
            bad.append(f"{k}={v} asked, Kconfig gave {sym(cfg, k)}")
    for k, v in expect.items():
        if sym(cfg, k) != v:
            bad.append(f"{k}={v} expected, got {sym(cfg, k)}")
    return bad


def touched_files():
    out = subprocess.run(["git", "-C", KTREE, "diff", "--name-only", "pristine", "HEAD"],
                         check=True, capture_output=True, text=True).stdout.split()
    return sorted(out)


def lint_objects(row, tree, odir, files, objs=None, strict=True):
    """W=1 and sparse (C=2) on the objects of the touched files this
    configuration builds (a rust/helpers/ file is part of helpers.o), or on
    `objs` (the series' list, on a pristine tree not built whole: those of
    them whose source it has). strict=False: None when that build fails
    (the caller then builds the tree whole). Returns the objects, the
    warnings and whether sparse ran: kbuild skips it, with a make warning
    only, when scripts/checker-valid.sh refuses it (7.2 needs
    __typeof_unqual__, which Debian 12's sparse 0.6.4 lacks)."""
    if not shutil.which("sparse", path=PATH):
        die("sparse is not installed (make setup installs it)")
    if objs is not None:
        objs = sorted(o for o in objs
                      if any((Path(tree) / (o[:-2] + ext)).exists() for ext in (".c", ".S", ".rs")))
    else:
        objs = set()
        for f in files:
            if f.startswith("rust/helpers/") and f.endswith(".c"):
                f = "rust/helpers/helpers.c"
            if f.endswith((".c", ".rs", ".S")) and (odir / (f.rsplit(".", 1)[0] + ".o")).exists():
                objs.add(f.rsplit(".", 1)[0] + ".o")
        objs = sorted(objs)
    if not objs:
        return objs, collections.Counter(), True
    logf = odir / "lint.log"
    cmd = ["make", "-C", tree] + make_vars(row) + [f"O={odir}", "W=1", "C=2", "-j3"] + objs
    rc, _ = run_logged(cmd, logf)
    text = logf.read_text(errors="replace")
    if rc and not strict:
        log("    W=1/sparse of the touched objects on a tree only configured failed: building it whole")
        return None
    if rc:
        print("\n".join(error_lines(text)[:10]))
        die(f"{row['name']}: W=1/sparse build of the touched objects failed ({logf})")
    w = norm_warnings(text, [tree, str(odir)], errors=True)
    sparse_ran = "is not available or not up to date" not in text
    # Only what is said about the touched files themselves (headers included).
    return objs, collections.Counter({k: n for k, n in w.items()
                                      if any(k.startswith(f) for f in files)}), sparse_ran


def build_one(row, which, tree, build=True, lint_objs=None):
    """Configure and build row on tree; return the result dict (cached).
    build=False (a pristine tree whose series build printed no warning, so
    none can be new): configure only, and lint `lint_objs` when given."""
    odir = MOUT / row["name"] / which
    targets = row.get("targets", [])
    key_src = json.dumps([row, [p.read_text() for p in frag_paths(row)], tree_id(tree),
                          make_vars(row), toolchain(row), build, lint_objs,
                          touched_files() if row.get("lint") else None], sort_keys=True)
    key = hashlib.sha256(key_src.encode()).hexdigest()[:16]
    mode = "guard" if GUARD else "full"
    res_file = odir / "result.json"
    if res_file.exists():
        res = json.loads(res_file.read_text())
        # A guard result has no warnings to compare: a full run builds again.
        if res.get("key") == key and (res.get("mode") == "full" or mode == "guard"):
            log(f"{row['name']} ({which}): up to date ({key}), {res['result']}")
            return res
    if mode == "full" and odir.exists():
        # Warnings come from a whole build: an incremental one would print
        # only those of the objects it rebuilt (also after a build that was
        # stopped, which left objects and no result).
        shutil.rmtree(odir)
    log(f"==> {row['name']} ({which}): configure")
    cfg, kwarn = configure(row, tree, odir)
    res = {"key": key, "mode": mode, "config": dict(cfg)}
    problems = kconfig_problems(row, cfg) if which == "series" else []
    res["kconfig"] = problems
    if problems:
        for p in problems:
            print("    Kconfig: " + p)
    lint = None
    if not build and lint_objs:
        lint = lint_objects(row, tree, odir, touched_files(), lint_objs, strict=False)
        build = lint is None
    if row.get("kconfig_only") or (problems and which == "series"):
        res.update(result="kconfig " + ("FAIL" if problems else "ok"), time=0, errors=len(problems),
                   warnings=dict(collections.Counter(kwarn)))
    elif not build:
        res.update(result="configured", time=0, errors=0,
                   warnings=dict(norm_warnings("\n".join(kwarn), [tree, str(odir)])))
        if lint is not None:
            res["lint_objects"] = lint[0]
            res["lint"] = dict(lint[1])
            res["sparse"] = lint[2]
    else:
        log(f"    build {' '.join(targets)} ({row['arch']}, {row['cc']})")
        logf = odir / "build.log"
        cmd = ["make", "-C", tree] + make_vars(row) + [f"O={odir}", "-j3"] + targets
        rc, secs = run_logged(cmd, logf)
        text = logf.read_text(errors="replace")
        errors = error_lines(text)
        if rc != 0:
            print("\n".join("    " + e for e in errors[:15]) or text[-2000:])
        res.update(result="ok" if rc == 0 else "FAIL", time=round(secs), errors=0 if rc == 0 else max(1, len(errors)),
                   warnings=dict(norm_warnings("\n".join(kwarn) + "\n" + text, [tree, str(odir)])))
        if rc == 0 and row.get("lint") and not GUARD:
            objs, w, res["sparse"] = lint_objects(row, tree, odir, touched_files())
            res["lint_objects"] = objs
            res["lint"] = dict(w)
    if res["result"] in ("ok", "kconfig ok", "configured"):
        # A failure is not kept: it may be the machine's (out of memory).
        res_file.write_text(json.dumps(res, indent=1))
    else:
        res_file.unlink(missing_ok=True)
    log(f"<== {row['name']} ({which}): {res['result']}, {res['time']} s, {sum(res['warnings'].values())} warnings")
    return res


def kernel_doc(pristine):
    """scripts/kernel-doc -none on the touched C files and headers."""
    files = [f for f in touched_files() if f.endswith((".c", ".h"))]
    out = {}
    for which, tree in (("series", KTREE), ("pristine", pristine)):
        present = [f for f in files if (Path(tree) / f).exists()]
        p = subprocess.run(["scripts/kernel-doc", "-none"] + present, cwd=tree, capture_output=True,
                           text=True, env=ENV)
        out[which] = norm_warnings(p.stdout + p.stderr, [tree])
    new = out["series"] - out["pristine"]
    return files, new, out["pristine"]


OPT_LETTERS = {"RISCV_KEXEC_RUST": "R", "KEXEC": "K", "KEXEC_FILE": "F", "CRASH_DUMP": "D", "SMP": "S",
               "HOTPLUG_CPU": "H", "RISCV_ISA_V": "V", "CFI": "C", "KUNIT": "U", "RELOCATABLE": "L",
               "EFI": "E", "ACPI": "A", "STRIP_ASM_SYMS": "Y"}


def opts_str(cfg):
    s = "".join(l if cfg.get(o) == "y" else "." for o, l in OPT_LETTERS.items())
    return s + (" rust" if cfg.get("RUST") == "y" else "")


def pairwise_report(results):
    opts = MATRIX["pairwise"]["options"]
    impossible = [dict(x.split("=") for x in p.split()) for p in MATRIX["pairwise"]["impossible"]]
    rows = [r["config"] for name, r in results if r["result"] == "ok"]
    missing = []
    for i, a in enumerate(opts):
        for b in opts[i + 1:]:
            for va in "yn":
                for vb in "yn":
                    if any(sym(c, a) == va and sym(c, b) == vb for c in rows):
                        continue
                    if {a: va, b: vb} in impossible:
                        continue
                    missing.append(f"{a}={va} {b}={vb}")
    return len(rows), missing


def main():
    rows = [r for r in MATRIX["config"] if BASE in r.get("bases", ["mainline"])]
    if GUARD:
        rows = [r for r in rows if r.get("guard")]
    if ONLY:
        rows = [r for r in rows if r["name"] in ONLY]
    if not rows:
        log(f"build matrix: no row for {BASE}")
        return
    pristine = lib("pristine_worktree")[0] if not GUARD else None
    t0 = time.time()
    table = []
    for row in rows:
        series = build_one(row, "series", KTREE)
        old = None
        if pristine and not row.get("kconfig_only") and not series["result"].startswith("kconfig"):
            # The pristine build only tells new warnings from old ones: a
            # series build without any has none new, and pristine is only
            # configured (its resolved options are compared) and, when
            # the series' W=1/sparse said something, linted on the same
            # objects.
            whole = series["result"] != "ok" or sum(series["warnings"].values()) > 0
            lint = series.get("lint_objects") if series.get("lint") else None
            old = build_one(row, "pristine", pristine, build=whole, lint_objs=None if whole else lint)
        table.append((row, series, old))
    lines = []
    hdr = f"{'config':24} {'arch':7} {'cc':5} {'options (RKFDSHVCUL EAY)':24} {'targets':13} {'result':13} {'time s':>9} {'err':>3} {'warn new/old':>12}"
    lines.append(hdr)
    failed = 0
    for row, s, o in table:
        new = collections.Counter(s["warnings"]) - collections.Counter(o["warnings"] if o else {})
        nold = sum(o["warnings"].values()) if o else 0
        if GUARD:
            new = collections.Counter()
        lint_new = collections.Counter(s.get("lint", {})) - collections.Counter(o.get("lint", {}) if o else {})
        ok = (s["result"] in ("ok", "kconfig ok")) and not new and not lint_new
        if o and o["result"] not in ("ok", "configured"):
            lines_extra = [f"    pristine build: {o['result']} (the same configuration without the series)"]
        else:
            lines_extra = []
        # Where the series resolves an option differently from pristine (the
        # switch itself aside): a select or dependency it added.
        if o:
            for k in MATRIX["pairwise"]["options"] + ["KEXEC_CORE"]:
                if k != "RISCV_KEXEC_RUST" and sym(s["config"], k) != sym(o["config"], k):
                    lines_extra.append(f"    config differs from pristine: {k}={sym(s['config'], k)} (pristine {sym(o['config'], k)})")
        failed += not ok
        # Pristine only configured: no build time, its build's warnings not counted.
        configured = o is not None and o["result"] == "configured"
        tm = f"{s['time']}/{'-' if configured else o['time']}" if o else f"{s['time']}"
        warn = "-" if GUARD else f"{sum(new.values())}/{'-' if configured else nold}"
        lines.append(f"{row['name']:24} {row['arch']:7} {row['cc']:5} {opts_str(s['config']):24} "
                     f"{' '.join(row.get('targets', ['-'])):13} {s['result']:13} {tm:>9} {s['errors']:>3} {warn:>12}")
        lines.extend(lines_extra)
        for w in list(new)[:10]:
            lines.append(f"    new warning: {w}")
        if "lint" in s:
            pl = (o or {}).get("lint")
            checker = "W=1 + sparse" if s.get("sparse") else "W=1 (sparse refused by checker-valid.sh: too old)"
            lines.append(f"    {checker} on {len(s['lint_objects'])} touched objects: {sum(lint_new.values())} new, "
                         + (f"{sum(pl.values())} on pristine" if pl is not None
                            else "pristine not linted (nothing said on the series)"))
            for w in list(lint_new)[:10]:
                lines.append(f"    new lint warning: {w}")
        for p in s.get("kconfig", []):
            lines.append(f"    Kconfig: {p}")
    all_pw = [r for r in MATRIX["config"] if r.get("pairwise") and BASE in r.get("bases", ["mainline"])]
    if not GUARD and all_pw and {r["name"] for r in all_pw} <= {r["name"] for r, _, _ in table}:
        n, missing = pairwise_report([(r["name"], s) for r, s, o in table if r.get("pairwise")])
        lines.append(f"pairwise: {n} rows; {len(missing)} value pairs of "
                     f"{len(MATRIX['pairwise']['options'])} options not covered"
                     + (": " + ", ".join(missing) if missing else ""))
        failed += bool(missing)
    if not GUARD:
        files, kd_new, kd_old = kernel_doc(pristine)
        lines.append(f"kernel-doc -none on {len(files)} touched C files and headers: "
                     f"{sum(kd_new.values())} new warnings, {sum(kd_old.values())} on pristine")
        for w in kd_new:
            lines.append(f"    new kernel-doc warning: {w}")
        failed += bool(kd_new)
    lines.append(f"{len(table)} configurations, {failed} failed ({BASE}, {int(time.time() - t0)} s)")
    text = "\n".join(lines)
    print(text)
    if not GUARD:
        (TOP / "out").mkdir(exist_ok=True)
        (TOP / "out" / f"build-matrix{'' if BASE == 'mainline' else '-' + BASE}.txt").write_text(text + "\n")
    if failed:
        die(f"build matrix: {failed} failed")


main()
