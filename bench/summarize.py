#!/usr/bin/env python3
"""Markdown tables (one per dtype) from bench_polar's JSON output.

    ./build/release/bench/bench_polar --benchmark_out=build/run.json --benchmark_out_format=json
    python3 bench/summarize.py build/run.json
"""
import json
import sys


def fields(name):
    """'BM_Polar/method:svd/dtype:f64/n:256/min_time:0.500/real_time' -> (family, {key: value})."""
    parts = name.split("/")
    return parts[0], dict(p.split(":", 1) for p in parts[1:] if ":" in p)


def label(family, kv):
    """The row's method with what else tells its benchmark apart: 'muon (two_norm ends)',
    'muon (batched, group 8, count 64)', so that no two rows of a table read the same."""
    if family == "BM_Gemm":
        return "GEMM (reference)"
    extra = [f"{k} {v}" for k, v in kv.items() if k not in ("method", "dtype", "n", "min_time")]
    if family == "BM_PolarBatched":
        extra.insert(0, "batched")
    return kv["method"] + (f" ({', '.join(extra)})" if extra else "")


def main(path):
    with open(path) as f:
        run = json.load(f)
    ctx = run["context"]
    print(f"date {ctx['date']}, {ctx['num_cpus']} CPUs, load average {ctx.get('load_avg')}, "
          f"openblas_threads {ctx.get('openblas_threads')}")
    print(f"openblas_config: {ctx.get('openblas_config')}")
    if "polarkit_groups" in ctx:
        print(f"groups: {ctx['polarkit_groups']}")
    print()
    rows = {}
    matvec = {}
    for b in run["benchmarks"]:
        if b.get("run_type") != "iteration" or b.get("error_occurred"):
            continue
        family, kv = fields(b["name"])
        if family == "BM_MatVec":
            matvec.setdefault((kv["dtype"], int(kv["n"])), {})[kv["impl"]] = b
            continue
        method = label(family, kv)
        rows.setdefault(kv["dtype"], []).append((int(kv["n"]), method, b))
    for dtype in ("f64", "f32"):
        if dtype not in rows:
            continue
        print(f"### {dtype}\n")
        print("| n | method | time (ms) | iters | products | GFLOP/s | ratio to GEMM | vs svd "
              "| ‖UᵀU−I‖_F | converged | cpu_util |")
        print("|---:|---|---:|---:|---:|---:|---:|---:|---:|:---:|---:|")
        for n, method, b in rows[dtype]:
            if method.startswith("GEMM"):
                print(f"| {n} | {method} | {b['real_time']:.3g} | | 1 | {b['gflops']:.1f} "
                      f"| {b['gemm_ratio']:.2f} | | | | {b['cpu_util']:.2f} "
                      f"(reference {b['gemm_ref_util']:.2f}, {b['gemm_gflops']:.1f} GFLOP/s) |")
                continue
            conv = "yes" if b["converged"] else "no"
            print(f"| {n} | {method} | {b['real_time']:.4g} | {int(b['iters'])} "
                  f"| {int(b['products'])} | {b['gflops']:.1f} | {b['gemm_ratio']:.2f} "
                  f"| {b['vs_svd']:.2f} | {b['ortho_err']:.1e} | {conv} | {b['cpu_util']:.2f} |")
        print()
    if matvec:
        print("### Matrix-vector product y = A·x (the Lanczos operation)\n")
        print("| dtype | n | ?gemm_ with 1 column (µs) | ?gemv_ (µs) | 40 products via gemm (ms) "
              "| 40 via gemv (ms) | cpu_util |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for (dtype, n), d in matvec.items():
            g, v = d.get("gemm"), d.get("gemv")
            if g is None or v is None:
                continue
            print(f"| {dtype} | {n} | {g['real_time']:.1f} | {v['real_time']:.1f} "
                  f"| {g['ms_per_40']:.2f} | {v['ms_per_40']:.2f} "
                  f"| {min(g['cpu_util'], v['cpu_util']):.2f} |")
        print()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/dev/stdin")
