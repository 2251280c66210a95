#!/usr/bin/env python3
"""A model of compute and communication per rank for polarkit's two distributed paths, checked
against measured runs and projected to 64–1024 ranks (docs/distributed.md prints its tables).

    python3 bench/distributed_model.py                      # the projection tables
    python3 bench/distributed_model.py --validate m.json    # model vs measured runs

Many matrices (polarkit::mpi): each rank solves the matrices the longest-first assignment gives it,
then one all-gather moves every result to every rank:
    T(P) = max over ranks of Σ t_i (its matrices)  +  α·⌈log₂P⌉ + (P−1)/P · B/β
with t_i = f_i/γ (f_i the flops of matrix i, γ one rank's rate) and B the bytes of all results.

One matrix (polarkit::scalapack, QDWH on a Pr × Pc grid, block nb): per iteration, the flops
split evenly, and the messages and words of ScaLAPACK's routines as the literature models them
(PDGEQRF: Demmel, Grigori, Hoemmen & Langou, SIAM J. Sci. Comput. 34 (2012), Table 1;
PDGEMM: SUMMA; PDPOTRF: one panel broadcast per block column):
    T = flops/(P·γ) + messages·α + words·8/β.

The constants: γ is measured (one rank's GFLOP/s on this machine, from the benchmarks), α and β
of the projection are an assumed cluster interconnect (--alpha, --beta; defaults: 2 µs and
10 GB/s per link, an InfiniBand HDR-class network), while the validation uses the shared-memory
values measured here.
"""
import argparse
import json
import math

# ---- flop counts (the library's convention: GEMM 2mnk, SYRK mnk, QR 2mn² − 2n³/3) ------------


def quintic_step_flops(m, n):
    """One Newton–Schulz quintic step on an m × n matrix (the Gram side min(m, n)): the Gram
    matrix G = XᵀX (SYRK, mn²), G² (SYRK, n³) and X·(bG + cG²) (GEMM, 2mn²)."""
    m, n = max(m, n), min(m, n)
    return 3 * m * n * n + n ** 3


def muon_flops(m, n, steps=5):
    return steps * quintic_step_flops(m, n)


def qdwh_step_flops(n, kind):
    """QDWH on the n × n iterate (after the reduction of a tall A): a QR step factors
    [√c·X; I] (2n × n: geqrf and orgqr, 10n³/3 each) and multiplies Q₁Q₂ᵀ (2n³); a Cholesky
    step forms Z = I + c·XᵀX from the iterate's Gram matrix, factors it (n³/3) and solves
    twice (2n³)."""
    if kind == "Q":
        return 26 * n ** 3 / 3
    return 7 * n ** 3 / 3


def qdwh_flops(n, steps):
    """A whole square QDWH solve as polarkit::scalapack::polar counts it: the reduction
    (geqrf 4n³/3, trtri n³/3), the Gram matrix of every iterate (n³ each, X₀ included), the
    steps, and H = UᵀA (2n³). For QQCCC: 34n³ (the benchmark reports 34.1n³)."""
    return 5 * n ** 3 / 3 + (len(steps) + 1) * n ** 3 + sum(
        qdwh_step_flops(n, k) for k in steps) + 2 * n ** 3


# ---- the many-matrix path ------------------------------------------------------------------------


def gpt_list(layers=12, d=768):
    """The GPT-like list: per layer four d × d (attention), d × 4d and 4d × d (MLP)."""
    return [(d, d)] * 4 * layers + [(d, 4 * d)] * layers + [(4 * d, d)] * layers


def assign(costs, ranks):
    """Longest-first onto the least-loaded rank (ties: lowest rank), as polarkit::mpi assigns."""
    order = sorted(range(len(costs)), key=lambda i: (-costs[i], i))
    load = [0.0] * ranks
    for i in order:
        r = min(range(ranks), key=lambda k: (load[k], k))
        load[r] += costs[i]
    return load


def allgather_seconds(ranks, total_bytes, alpha, beta):
    if ranks == 1:
        return 0.0
    return alpha * math.ceil(math.log2(ranks)) + (ranks - 1) / ranks * total_bytes / beta


def many_matrix_time(shapes, ranks, gamma, alpha, beta, element=4, arrays=2):
    """arrays: the matrices gathered per parameter (W and M with a replicated state, W alone
    sharded)."""
    costs = [muon_flops(m, n) / gamma for m, n in shapes]
    compute = max(assign(costs, ranks))
    total_bytes = arrays * sum(m * n for m, n in shapes) * element
    return compute, allgather_seconds(ranks, total_bytes, alpha, beta)


# ---- the ScaLAPACK QDWH path ---------------------------------------------------------------------


def grid(ranks):
    """The squarest Pr × Pc grid with Pr ≤ Pc."""
    pr = int(math.isqrt(ranks))
    while ranks % pr:
        pr -= 1
    return pr, ranks // pr


def qdwh_comm(n, pr, pc, nb, kind):
    """Messages and words (per process, along the critical path) of one QDWH step on the n × n
    iterate, Gram matrix included."""
    lg = lambda p: math.log2(p) if p > 1 else 0.0
    rows = 2 * n
    # PDGEQRF on the 2n × n stack (Demmel et al., Table 1), and PDORGQR costs the same again.
    qr_msgs = 3 * n * lg(pr) + 2 * n / nb * lg(pc)
    qr_words = (n * n / pc + n * (rows - n / 2) / pr) * lg(pr) + (n * n / 2) / pc * lg(pc)
    # SUMMA (PDGEMM, PDSYRK): a row and a column panel broadcast per block of the inner size.
    gemm_msgs = n / nb * (lg(pr) + lg(pc))
    gemm_words = (n * n / pr + n * n / pc) * 0.5 * (lg(pr) + lg(pc))
    # PDPOTRF and two PDTRSM: a panel broadcast per block column each.
    chol_msgs = 3 * n / nb * (lg(pr) + lg(pc))
    chol_words = 3 * (n * n / pr + n * n / pc) * 0.5 * (lg(pr) + lg(pc))
    if kind == "Q":
        return 2 * qr_msgs + 2 * gemm_msgs, 2 * qr_words + 2 * gemm_words
    return gemm_msgs + chol_msgs, gemm_words + chol_words


def qdwh_time(n, ranks, steps, gamma, alpha, beta, nb=64):
    pr, pc = grid(ranks)
    compute = qdwh_flops(n, steps) / (ranks * gamma)
    msgs = words = 0.0
    for k in steps:
        a, w = qdwh_comm(n, pr, pc, nb, k)
        msgs += a
        words += w
    return compute, msgs * alpha + words * 8 / beta


# ---- output --------------------------------------------------------------------------------------


def table(header, rows):
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()


def project(args):
    for layers, d in ((12, 768), (48, 1600)):
        shapes = gpt_list(layers, d)
        total = sum(muon_flops(m, n) for m, n in shapes)
        print(f"Many matrices: {layers} layers × {{{d}² ×4, {d}×{4 * d}, {4 * d}×{d}}} "
              f"({len(shapes)} matrices, {total / 1e9:.0f} GFLOP per Muon step, "
              f"{2 * sum(m * n for m, n in shapes) * 4 / 1e6:.0f} MB of W and M in float), "
              f"γ = {args.gamma_f32:g} GFLOP/s per rank, α = {args.alpha * 1e6:g} µs, "
              f"β = {args.beta / 1e9:g} GB/s\n")
        one = sum(many_matrix_time(shapes, 1, args.gamma_f32 * 1e9, args.alpha, args.beta))
        rows = []
        for p in (1, 2, 4, 16, 64, 256, 1024):
            c, g = many_matrix_time(shapes, p, args.gamma_f32 * 1e9, args.alpha, args.beta)
            rows.append([str(p), f"{c * 1e3:.0f}", f"{g * 1e3:.1f}", f"{one / (c + g):.1f}",
                         f"{one / (c + g) / p:.2f}"])
        table(["ranks", "compute (ms)", "all-gather (ms)", "speed-up", "efficiency"], rows)

    steps = args.qdwh_steps
    print(f"One matrix: ScaLAPACK QDWH, steps {steps}, γ = {args.gamma_f64:g} GFLOP/s per rank "
          f"(f64), block 64, same network\n")
    rows = []
    for n in (10_000, 40_000, 100_000):
        base = None
        for p in (64, 256, 1024) + ((9216,) if n == 100_000 else ()):
            c, w = qdwh_time(n, p, steps, args.gamma_f64 * 1e9, args.alpha, args.beta)
            base = base or (c + w) * p
            pr, pc = grid(p)
            rows.append([f"{n:,}", f"{pr}×{pc}", f"{c:.1f}", f"{w:.1f}", f"{c + w:.1f}",
                         f"{base / ((c + w) * p):.2f}"])
    table(["n", "grid", "compute (s)", "communication (s)", "total (s)", "efficiency vs 64"],
          rows)


def validate(args):
    """Model against measured runs: a JSON list of {"path": "many" (the GPT-like list's Muon
    step; "arrays": 2 replicated, 1 sharded) or "qdwh" ("n", "steps"), "ranks", "seconds"},
    with the shared-memory α and β measured on the machine that ran them (--alpha, --beta)."""
    with open(args.validate) as f:
        runs = json.load(f)
    rows = []
    for r in runs:
        if r["path"] == "many":
            c, g = many_matrix_time(gpt_list(), r["ranks"], args.gamma_f32 * 1e9, args.alpha,
                                    args.beta, arrays=r.get("arrays", 2))
            what = f"GPT list, {'replicated' if r.get('arrays', 2) == 2 else 'sharded'}"
        else:
            c, g = qdwh_time(r["n"], r["ranks"], r["steps"], args.gamma_f64 * 1e9, args.alpha,
                             args.beta)
            what = f"QDWH n = {r['n']} {r['steps']}"
        rows.append([what, str(r["ranks"]), f"{r['seconds']:.2f}", f"{c:.2f}", f"{g:.3f}",
                     f"{(c + g) / r['seconds']:.2f}"])
    table(["run", "ranks", "measured (s)", "model compute (s)", "model comm (s)",
           "model / measured"], rows)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # Defaults: one core of the 2-core AMD EPYC of docs/distributed.md's runs (one BLAS thread):
    # the GPT-like list's Muon step at 79 GFLOP/s in float, ScaLAPACK QDWH at 27 in double.
    p.add_argument("--gamma-f32", type=float, default=79.0, help="GFLOP/s of one rank in float")
    p.add_argument("--gamma-f64", type=float, default=27.0, help="GFLOP/s of one rank in double")
    p.add_argument("--alpha", type=float, default=2e-6, help="message latency (s)")
    p.add_argument("--beta", type=float, default=10e9, help="bandwidth per rank (bytes/s)")
    p.add_argument("--qdwh-steps", default="QQCCC",
                   help="QDWH's step kinds (Q = QR, C = Cholesky); κ = 1e12 takes QQCCC")
    p.add_argument("--validate", help="JSON file of measured runs")
    args = p.parse_args()
    if args.validate:
        validate(args)
    else:
        project(args)


if __name__ == "__main__":
    main()
