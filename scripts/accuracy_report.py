#!/usr/bin/env python3
"""Runs the sweeps behind docs/accuracy.md and refreshes its tables.

    scripts/accuracy_report.py --run            # the sweeps (release build), then the tables
    scripts/accuracy_report.py                  # the tables only, from the CSVs of the last run

The sweeps are the commands listed in docs/accuracy.md ("Reproducing"). The first repetition
writes docs/img/accuracy_f64.{csv,svg} and docs/img/accuracy_f32.{csv,svg}; every repetition
writes its CSVs under --work (default build/accuracy). Accuracy and iteration counts do not change
between repetitions; times are the minimum over the repetitions (the least disturbed run).

Each table in docs/accuracy.md sits between <!-- begin NAME --> and <!-- end NAME --> and is
replaced in place; the prose around the tables quotes numbers by hand and must be re-read after a
run that changes them. Standard library only.
"""
import argparse
import csv
import glob
import math
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METHODS = ["svd", "newton-schulz", "quintic", "polar-express", "polar-express-adaptive",
           "newton", "qdwh", "zolo", "auto"]
SPECTRA = ["geometric", "linear", "one-small"]
K64 = "1,1e2,1e4,1e8,1e12,1e16"
K32 = "1,1e2,1e4,1e6"
KAUTO = "1,2,5,10,20,50,100,200,500,1e3,1e4,1e5,1e6"
SIZES = [50, 100, 200, 400]


def sweeps(img, work):
    """The argument lists of the sweeps, after `polarkit sweep`."""
    common = ["--spectrum", ",".join(SPECTRA)]
    return [
        (["--n", "200", "--kappa", K64] + common +
         ["--csv", f"{img}/accuracy_f64.csv", "--plot", f"{img}/accuracy_f64.svg"]),
        (["--dtype", "f32", "--n", "200", "--kappa", K32] + common +
         ["--csv", f"{img}/accuracy_f32.csv", "--plot", f"{img}/accuracy_f32.svg"]),
        ["--methods", "muon", "--n", "200", "--kappa", K64] + common + ["--csv", f"{work}/muon_f64.csv"],
        (["--methods", "muon", "--dtype", "f32", "--n", "200", "--kappa", K32] + common +
         ["--csv", f"{work}/muon_f32.csv"]),
        (["--methods", "polar-express-adaptive,qdwh,auto", "--n", "200", "--kappa", KAUTO + ",1e8"] +
         common + ["--csv", f"{work}/auto_f64.csv"]),
        (["--methods", "polar-express-adaptive,qdwh,auto", "--dtype", "f32", "--n", "200", "--kappa",
          KAUTO] + common + ["--csv", f"{work}/auto_f32.csv"]),
    ]


def size_sweeps(work):
    """Accuracy against n (deterministic: run once)."""
    return [["--methods", "svd,newton,qdwh,zolo,polar-express,polar-express-adaptive", "--n", str(n),
             "--kappa", "1e2,1e8", "--spectrum", "geometric", "--csv", f"{work}/size{n}.csv"]
            for n in SIZES]


def run_all(program, work_root, repeat):
    shutil.rmtree(work_root, ignore_errors=True)  # no stale repetitions
    for i in range(1, repeat + 1):
        work = os.path.join(work_root, f"rep{i}")
        img = os.path.join(ROOT, "docs", "img") if i == 1 else os.path.join(work, "img")
        os.makedirs(work, exist_ok=True)
        os.makedirs(img, exist_ok=True)
        for args in sweeps(img, work) + (size_sweeps(work) if i == 1 else []):
            subprocess.run([program, "sweep"] + args, check=True, stdout=subprocess.DEVNULL)
        print(f"repetition {i} done", file=sys.stderr)


def load(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def kappa_text(k):
    k = float(k)
    if k < 1000:
        return "%g" % k
    e = math.log10(k)
    return "1e%d" % round(e) if abs(e - round(e)) < 1e-9 else "%g" % k


def num(x, digits=2):
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if abs(x) >= 1e4:
        return "%.1e" % x
    if abs(x) >= 100:
        return "%.0f" % x
    return "%.*g" % (digits, x)


def kappas(rows, spectrum):
    out = []
    for r in rows:
        if r["spectrum"] == spectrum and r["kappa"] not in out:
            out.append(r["kappa"])
    return out


def find(rows, spectrum, kappa, method):
    for r in rows:
        if r["spectrum"] == spectrum and r["kappa"] == kappa and r["method"] == method:
            return r
    return None


def table(rows, spectrum, methods, cell):
    ks = kappas(rows, spectrum)
    out = ["| method | " + " | ".join("κ = " + kappa_text(k) for k in ks) + " |",
           "|---|" + "---:|" * len(ks)]
    for m in methods:
        out.append("| " + m + " | " +
                   " | ".join(cell(find(rows, spectrum, k, m)) or "" for k in ks) + " |")
    return "\n".join(out)


def accuracy_cell(r):
    if r is None:
        return ""
    c = "%s / %s" % (num(r["ortho_eps"]), num(r["backward_eps"]))
    if r["method"] != "svd":
        c += " / %s" % r["iterations"]
    if r["converged"] != "true":
        c = "**" + c + " (not converged)**"
    return c


def steps_cell(r):
    if r is None:
        return ""
    s = r["steps"]
    if r["method"] == "auto" and r["method_used"] != "qdwh":
        name = "PES" if r["method_used"] == "polar-express-adaptive" else r["method_used"]
        return "%s → %s" % (name, s)
    return s


def fastest(runs, spectrum, kappa, method):
    return 1e3 * min(float(find(t, spectrum, kappa, method)["seconds"]) for t in runs)


def tables(work_root):
    reps = sorted(glob.glob(os.path.join(work_root, "rep*")))
    img = os.path.join(ROOT, "docs", "img")
    rep1 = os.path.join(work_root, "rep1")
    t = {}
    for dt in ["f64", "f32"]:
        rows = load(os.path.join(img, f"accuracy_{dt}.csv"))
        runs = [rows] + [load(p) for p in sorted(glob.glob(os.path.join(work_root, "rep*", "img",
                                                                        f"accuracy_{dt}.csv")))]
        for s in SPECTRA:
            t[f"acc_{dt}_{s}"] = table(rows, s, METHODS, accuracy_cell)
            t[f"steps_{dt}_{s}"] = table(rows, s, ["newton", "qdwh", "zolo", "auto"], steps_cell)
        t[f"time_{dt}"] = table(rows, "geometric", METHODS,
                                lambda r: "%.1f" % fastest(runs, r["spectrum"], r["kappa"], r["method"]))
        muon = load(os.path.join(rep1, f"muon_{dt}.csv"))
        ks = kappas(muon, "geometric")
        lines = ["| spectrum | " + " | ".join("κ = " + kappa_text(k) for k in ks) + " |",
                 "|---|" + "---:|" * len(ks)]
        for s in SPECTRA:
            lines.append("| " + s + " | " + " | ".join(
                "%s / %s / %s" % (num(find(muon, s, k, "muon")["ortho_eps"]),
                                  num(find(muon, s, k, "muon")["backward_eps"]),
                                  find(muon, s, k, "muon")["iterations"]) for k in ks) + " |")
        t[f"muon_{dt}"] = "\n".join(lines)

        auto_runs = [load(os.path.join(r, f"auto_{dt}.csv")) for r in reps]
        rows = auto_runs[0]
        lines = ["| κ | spectrum | auto's κ estimate | ÷ κ | auto ran | PES ortho / backward / iters | "
                 "QDWH ortho / backward / iters | PES ms | QDWH ms | auto ms |",
                 "|---:|---|---:|---:|---|---:|---:|---:|---:|---:|"]
        for k in kappas(rows, "geometric"):
            for s in SPECTRA:
                p = find(rows, s, k, "polar-express-adaptive")
                q = find(rows, s, k, "qdwh")
                a = find(rows, s, k, "auto")
                ran = "PES" if a["method_used"] == "polar-express-adaptive" else a["method_used"]
                lines.append("| %s | %s | %s | %.2f | %s | %s | %s | %.1f | %.1f | %.1f |" % (
                    kappa_text(k), s, num(a["cond_estimate"], 3),
                    float(a["cond_estimate"]) / float(k), ran, accuracy_cell(p), accuracy_cell(q),
                    fastest(auto_runs, s, k, "polar-express-adaptive"),
                    fastest(auto_runs, s, k, "qdwh"), fastest(auto_runs, s, k, "auto")))
        t[f"auto_{dt}"] = "\n".join(lines)

    lines = ["| n | method | κ = 1e2 | κ = 1e8 |", "|---:|---|---:|---:|"]
    for n in SIZES:
        rows = load(os.path.join(rep1, f"size{n}.csv"))
        for m in ["svd", "newton", "qdwh", "zolo", "polar-express", "polar-express-adaptive"]:
            cells = []
            for k in ["100", "100000000"]:
                r = find(rows, "geometric", k, m)
                cells.append("%.1f / %.1f" % (float(r["ortho_eps"]), float(r["backward_eps"])))
            lines.append("| %d | %s | %s | %s |" % (n, m, cells[0], cells[1]))
    t["size"] = "\n".join(lines)
    return t


def refresh(doc, t):
    with open(doc) as f:
        text = f.read()
    missing = []

    def replace(m):
        name = m.group(1)
        if name not in t:
            missing.append(name)
            return m.group(0)
        return "<!-- begin %s -->\n%s\n<!-- end %s -->" % (name, t[name], name)

    text = re.sub(r"<!-- begin (\S+) -->.*?<!-- end \1 -->", replace, text, flags=re.S)
    with open(doc, "w") as f:
        f.write(text)
    if missing:
        sys.exit("no table named " + ", ".join(missing))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", action="store_true", help="run the sweeps first")
    parser.add_argument("--repeat", type=int, default=6, help="repetitions of the sweeps (times: minimum)")
    parser.add_argument("--program", default=os.path.join(ROOT, "build", "release", "tools", "polarkit"))
    parser.add_argument("--work", default=os.path.join(ROOT, "build", "accuracy"))
    parser.add_argument("--doc", default=os.path.join(ROOT, "docs", "accuracy.md"))
    args = parser.parse_args()
    if args.run:
        if not os.access(args.program, os.X_OK):
            parser.error(f"{args.program} is not built: run `cmake --preset release && "
                         "cmake --build --preset release` first, or name it with --program")
        run_all(args.program, args.work, args.repeat)
    elif not os.path.isdir(os.path.join(args.work, "rep1")):
        # Without --run the tables come from the CSVs of an earlier run: say so instead of a
        # traceback when there is none.
        parser.error(f"no sweep results in {args.work}: run `scripts/accuracy_report.py --run` "
                     "first (it runs the sweeps with the release build, then writes the tables)")
    refresh(args.doc, tables(args.work))


if __name__ == "__main__":
    main()
