#!/usr/bin/env python3
"""Run bench_polar one (dtype, n) group per process, retrying a group while other work on the
machine disturbed it, and merge the groups into one Google Benchmark JSON file.

A group is the GEMM case and the six polar cases of one dtype and size, so its gemm_ratio and
vs_svd still compare cases timed in the same process, minutes apart at most. A group is kept
when every row has cpu_util (and gemm_ref_util) >= --min-util, i.e. the BLAS threads had the
cores to themselves; before each attempt the script waits (up to --max-wait seconds) for the
CPUs to be --min-idle idle over 10 s. Groups that never get a clean run keep their best attempt
(the one with the highest minimum cpu_util) and are listed on stderr.

    python3 bench/run_quiet.py ./build/release/bench/bench_polar build/run.json
    python3 bench/summarize.py build/run.json
"""
import argparse
import json
import subprocess
import sys
import time

SIZES = (256, 1024, 2048)
DTYPES = ("f64", "f32")


def cpu_idle(seconds):
    def sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        return v[3] + v[4], sum(v)

    i0, t0 = sample()
    time.sleep(seconds)
    i1, t1 = sample()
    return (i1 - i0) / max(t1 - t0, 1)


def min_util(benchmarks):
    # BM_MatVec rows are left out: OpenBLAS runs small ?gemv_ calls on one thread, so their
    # cpu_util is about 1/threads even on an idle machine.
    rows = [b for b in benchmarks if not b["name"].startswith("BM_MatVec")]
    utils = [b.get("cpu_util", 0.0) for b in rows]
    utils += [b["gemm_ref_util"] for b in rows if "gemm_ref_util" in b]
    return min(utils) if utils else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("out")
    ap.add_argument("--attempts", type=int, default=4)
    ap.add_argument("--min-util", type=float, default=0.9)
    ap.add_argument("--min-idle", type=float, default=0.9)
    ap.add_argument("--max-wait", type=float, default=180.0)
    ap.add_argument("--groups", nargs="*", metavar="DTYPE:N",
                    help="only these groups, e.g. f64:256 f32:2048 (default: all six)")
    args = ap.parse_args()
    groups = [(d, n) for d in DTYPES for n in SIZES]
    if args.groups:
        groups = [(g.split(":")[0], int(g.split(":")[1])) for g in args.groups]

    merged = None
    disturbed = []
    dates = []
    for dtype, n in groups:
        best = None
        for attempt in range(1, args.attempts + 1):
            deadline = time.time() + args.max_wait
            while cpu_idle(10) < args.min_idle and time.time() < deadline:
                pass
            tmp = f"{args.out}.{dtype}.{n}.json"
            subprocess.run([args.binary, f"--benchmark_filter=/dtype:{dtype}/n:{n}/",
                            f"--benchmark_out={tmp}", "--benchmark_out_format=json"],
                           check=True, stdout=subprocess.DEVNULL)
            with open(tmp) as f:
                run = json.load(f)
            u = min_util(run["benchmarks"])
            print(f"{dtype} n={n} attempt {attempt}: min cpu_util {u:.2f}", file=sys.stderr)
            if best is None or u > best[0]:
                best = (u, run)
            if u >= args.min_util:
                break
        if best[0] < args.min_util:
            disturbed.append(f"{dtype}/n:{n} (min cpu_util {best[0]:.2f})")
        if merged is None:
            merged = dict(best[1], benchmarks=[])
        merged["benchmarks"] += best[1]["benchmarks"]
        dates.append(f"{dtype}/n:{n} {best[1]['context']['date']} (min cpu_util {best[0]:.2f})")
    merged["context"] = dict(merged["context"], polarkit_groups="; ".join(dates))
    with open(args.out, "w") as f:
        json.dump(merged, f, indent=1)
    if disturbed:
        print("groups without a clean run: " + ", ".join(disturbed), file=sys.stderr)


if __name__ == "__main__":
    main()
