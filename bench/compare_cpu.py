#!/usr/bin/env python3
"""polarkit against what a CPU user would call instead, timed side by side in one process.

Peers: SciPy's scipy.linalg.polar (LAPACK gesdd, then U = W·Vᵀ and H = V·Σ·Vᵀ) and PyTorch's
eager Newton–Schulz (Muon's quintic, 5 steps, three plain GEMMs per step). Roofline: the GEMM
rate of the same BLAS, measured in the same process (SciPy's ?gemm wrapper over the OpenBLAS
polarkit links). polarkit is called through its C ABI (ctypes) on the same arrays.

    python3 bench/compare_cpu.py --lib build/shared/libpolarkit.so            # the goal table
    python3 bench/compare_cpu.py --lib ... --sweep --csv t.csv --plot t.svg   # time vs n and κ
    python3 bench/compare_cpu.py --lib ... --gpt       # a Muon step over a GPT-like list
    python3 bench/compare_cpu.py --lib ... --auto      # auto against the methods it picks from

Prints one row per case: best-of-`--repeat` times and the ratios (> 1: polarkit faster), with
the accuracy of each answer (‖UᵀU − I‖_F/√n and ‖A − UH‖_F/‖A‖_F in units of u) so a speed-up
that lost accuracy shows. Needs numpy and scipy (Debian: python3-numpy python3-scipy); torch
(python3-torch) is optional. Not a test: machines are noisy, so read the ratios, and rerun.
"""
import argparse
import ctypes
import math
import os
import sys
import time

import numpy as np
import scipy.linalg
import scipy.linalg.blas as blas

try:
    import torch
except ImportError:  # torch is optional
    torch = None


class Info(ctypes.Structure):
    _fields_ = [("iterations", ctypes.c_int32), ("converged", ctypes.c_int32),
                ("ortho_error", ctypes.c_double), ("backward_error", ctypes.c_double),
                ("nuclear_norm", ctypes.c_double), ("scale", ctypes.c_double),
                ("lower_bound", ctypes.c_double)]


class Polarkit:
    """The C ABI through ctypes: polar(a, method, want_h, **options) -> (u, h, info)."""

    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        L = self.lib
        L.polarkit_options_new.restype = ctypes.c_void_p
        L.polarkit_options_free.argtypes = [ctypes.c_void_p]
        L.polarkit_options_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
        L.polarkit_last_error.restype = ctypes.c_char_p
        ptr = ctypes.c_void_p
        i64 = ctypes.c_int64
        for name in ("polarkit_polar_d", "polarkit_polar_s"):
            getattr(L, name).argtypes = [i64, i64, ptr, i64, ptr, i64, ptr, i64, ptr,
                                         ctypes.POINTER(Info)]
        for name in ("polarkit_polar_batched_d", "polarkit_polar_batched_s"):
            getattr(L, name).argtypes = [i64, i64, i64, ptr, i64, ptr, i64, ptr, i64, ptr, ptr]

    def polar(self, a, method, want_h=True, **options):
        L = self.lib
        m, n = a.shape
        u = np.empty((m, n), dtype=a.dtype, order="F")
        h = np.empty((n, n), dtype=a.dtype, order="F") if want_h else None
        o = L.polarkit_options_new()
        try:
            for k, v in dict(method=method, compute_h=str(want_h).lower(), **options).items():
                if L.polarkit_options_set(o, k.encode(), str(v).encode()) != 0:
                    raise RuntimeError(L.polarkit_last_error().decode())
            info = Info()
            f = L.polarkit_polar_d if a.dtype == np.float64 else L.polarkit_polar_s
            rc = f(m, n, a.ctypes.data, m, u.ctypes.data, m,
                   h.ctypes.data if want_h else None, n, o, ctypes.byref(info))
            if rc != 0:
                raise RuntimeError(L.polarkit_last_error().decode())
        finally:
            L.polarkit_options_free(o)
        return u, h, info


    def options(self, **options):
        """A polarkit_options handle (the caller frees it with options_free)."""
        o = self.lib.polarkit_options_new()
        for k, v in options.items():
            if self.lib.polarkit_options_set(o, k.encode(), str(v).encode()) != 0:
                self.lib.polarkit_options_free(o)
                raise RuntimeError(self.lib.polarkit_last_error().decode())
        return o

    def polar_batched(self, arrays, outputs, opts):
        """U of each same-shape array into outputs (no H, no reports), one batched call."""
        m, n = arrays[0].shape
        f = self.lib.polarkit_polar_batched_s if arrays[0].dtype == np.float32 else \
            self.lib.polarkit_polar_batched_d
        pa = (ctypes.c_void_p * len(arrays))(*[a.ctypes.data for a in arrays])
        pu = (ctypes.c_void_p * len(arrays))(*[u.ctypes.data for u in outputs])
        if f(len(arrays), m, n, pa, m, pu, m, None, n, opts, None) != 0:
            raise RuntimeError(self.lib.polarkit_last_error().decode())

    def polar_into(self, a, out, opts):
        """U of one array into out (no H, no report), as a loop of single calls would."""
        m, n = a.shape
        f = self.lib.polarkit_polar_s if a.dtype == np.float32 else self.lib.polarkit_polar_d
        if f(m, n, a.ctypes.data, m, out.ctypes.data, m, None, n, opts, None) != 0:
            raise RuntimeError(self.lib.polarkit_last_error().decode())


def test_matrix(n, kappa, dtype, seed=0):
    """A = P·diag(σ)·Qᵀ, Haar P and Q, σ geometric from 1 down to 1/κ (column-major)."""
    rng = np.random.default_rng(seed)
    p, r = np.linalg.qr(rng.standard_normal((n, n)))
    p *= np.sign(np.diag(r))
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    q *= np.sign(np.diag(r))
    s = np.geomspace(1.0, 1.0 / kappa, n)
    return np.asfortranarray((p * s) @ q.T, dtype=dtype)


def best(f, repeat):
    """Best-of-`repeat` time of f and its last output."""
    return best_alternating([f], repeat)[0]


def best_alternating(fs, repeat):
    """Best-of-`repeat` times of several callables run in turns (a, b, a, b, …), so that each
    sees the same machine state: measured here, polarkit ran ~8% slower right after SciPy's
    polar than right after itself. Returns [(time, last output)] in the order of fs."""
    out = [(math.inf, None)] * len(fs)
    for _ in range(repeat):
        for k, f in enumerate(fs):
            t0 = time.perf_counter()
            r = f()
            out[k] = (min(out[k][0], time.perf_counter() - t0), r)
    return out


def gemm_rate(n, dtype, repeat):
    """FLOP/s of an n × n × n GEMM of this BLAS (2n³ flops)."""
    a = np.asfortranarray(np.random.default_rng(1).standard_normal((n, n)), dtype=dtype)
    gemm = blas.dgemm if dtype == np.float64 else blas.sgemm
    gemm(1.0, a, a)  # warm up the threads
    t, _ = best(lambda: gemm(1.0, a, a), max(repeat, 3))
    return 2.0 * n ** 3 / t


def accuracy(a, u, h):
    """(‖UᵀU − I‖_F/√n, ‖A − UH‖_F/‖A‖_F) in units of the roundoff u, computed in double."""
    a64, u64 = a.astype(np.float64), u.astype(np.float64)
    n = a.shape[1]
    uu = np.finfo(a.dtype).eps / 2
    ortho = np.linalg.norm(u64.T @ u64 - np.eye(n)) / math.sqrt(n) / uu
    back = math.nan
    if h is not None:
        back = np.linalg.norm(a64 - u64 @ h.astype(np.float64)) / np.linalg.norm(a64) / uu
    return ortho, back


def torch_newton_schulz(g, steps=5):
    """PyTorch's Muon Newton–Schulz (eager, as torch.optim.Muon and Keller Jordan's code)."""
    a, b, c = 3.4445, -4.7750, 2.0315
    x = g / (g.norm() + 1e-7)
    for _ in range(steps):
        s = x @ x.T
        t = b * s + c * s @ s
        x = a * x + t @ x
    return x


def scipy_polar(a):
    return scipy.linalg.polar(a)


def goal_rows(pk, args):
    """The cases of the CPU speed goals: f64 auto (U and H) and f32 Polar Express (5 steps)."""
    rows = []
    for dtype, n, kappa, method, opts in args.cases:
        a = test_matrix(n, kappa, dtype)
        rate = gemm_rate(n, dtype, args.repeat)
        want_h = method != "polar-express"
        (t_sp, (u_sp, h_sp)), (t_pk, (u_pk, h_pk, info)) = best_alternating(
            [lambda: scipy_polar(a), lambda: pk.polar(a, method, want_h, **opts)], args.repeat)
        row = dict(dtype=np.dtype(dtype).name, n=n, kappa=kappa, method=method,
                   scipy_s=t_sp, polarkit_s=t_pk, iterations=info.iterations,
                   vs_scipy=t_sp / t_pk, gemm_gflops=rate / 1e9)
        if method == "polar-express":
            # The same 5 steps with H, against SciPy (which always forms H).
            t_h, _ = best(lambda: pk.polar(a, method, True, **opts), args.repeat)
            row["polarkit_h_s"] = t_h
            row["vs_scipy"] = t_sp / t_h
            row["roofline"] = (20.0 * n ** 3 / rate) / t_pk  # 5 × (n³ + n³ + 2n³) at GEMM rate
            if torch is not None:
                g = torch.from_numpy(np.ascontiguousarray(a))
                t_t, _ = best(lambda: torch_newton_schulz(g), args.repeat)
                row["torch_s"] = t_t
                row["vs_torch"] = t_t / t_pk
        row["ortho_u"], row["backward_u"] = accuracy(a, u_pk, h_pk)
        row["scipy_ortho_u"], row["scipy_backward_u"] = accuracy(a, u_sp, h_sp)
        rows.append(row)
        print_row(row)
    return rows


def print_row(r):
    extra = ""
    if "roofline" in r:
        extra = f"  U+H {r['polarkit_h_s']:.3f}s  roofline {r['roofline']:.2f}"
        if "vs_torch" in r:
            extra += f"  torch {r['torch_s']:.3f}s  vs_torch {r['vs_torch']:.2f}"
    print(f"{r['dtype']:7} n={r['n']:5} κ={r['kappa']:8.0e} {r['method']:14} "
          f"scipy {r['scipy_s']:.3f}s  polarkit {r['polarkit_s']:.3f}s ({r['iterations']} it)  "
          f"vs_scipy {r['vs_scipy']:.2f}{extra}  "
          f"ortho {r['ortho_u']:.1f}u/{r['scipy_ortho_u']:.1f}u  "
          f"backward {r['backward_u']:.1f}u/{r['scipy_backward_u']:.1f}u", flush=True)


# The accuracy bar the test suite holds `auto` to: 13ε = 26u for ‖UᵀU − I‖_F/√n and for
# ‖A − UH‖_F/‖A‖_F.
BAR_U = 26.0


# The timed variants by label: a method name of the C ABI and its options. svd-refined (the SVD
# and Newton–Schulz steps) is auto's way on the CPU where QDWH would take Householder QR steps.
VARIANTS = {"svd-refined": ("svd", {"refine": "true"})}


def run_variant(pk, a, label):
    """polar() of a with U and H for a method name or a VARIANTS label."""
    method, options = VARIANTS.get(label, (label, {}))
    return pk.polar(a, method, True, **options)


def sweep_rows(pk, args):
    """Time vs n (κ = 1e3) and vs κ (n = args.sweep_n) of each method and SciPy's polar, U and
    H, in args.dtype; per case, the fastest method that meets the accuracy bar and auto's time
    against it (the cost-aware goal: auto at most 10% slower)."""
    dtype = np.float32 if args.dtype == "f32" else np.float64
    methods = ["auto", "qdwh", "zolo", "newton", "polar-express-adaptive", "svd", "svd-refined"]
    cases = [(n, 1e3) for n in args.sweep_sizes] + [(args.sweep_n, k) for k in args.sweep_kappas]
    rows = []
    for n, kappa in cases:
        a = test_matrix(n, kappa, dtype)
        t_sp, _ = best(lambda: scipy_polar(a), args.repeat)
        pk.polar(a, "qdwh", True)  # untimed: the first call after SciPy's ran 10-30% slower
        rows.append(dict(dtype=args.dtype, n=n, kappa=kappa, method="scipy-svd-polar",
                         seconds=t_sp))
        case = []
        for m in methods:
            t, (u, h, info) = best(lambda: run_variant(pk, a, m), args.repeat)
            o, b = accuracy(a, u, h)
            case.append(dict(dtype=args.dtype, n=n, kappa=kappa, method=m, seconds=t, ortho_u=o,
                             backward_u=b, meets_bar=bool(o <= BAR_U and b <= BAR_U)))
        rows += case
        meeting = [r for r in case if r["method"] != "auto" and r["meets_bar"]]
        fastest = min(meeting, key=lambda r: r["seconds"]) if meeting else None
        auto = case[0]
        verdict = (f"fastest meeting the bar: {fastest['method']} {fastest['seconds']:.3f}s, "
                   f"auto/fastest {auto['seconds'] / fastest['seconds']:.2f}"
                   if fastest else "no method meets the bar")
        print(f"{args.dtype} n={n} κ={kappa:.0e}: scipy-svd-polar={t_sp:.3f}s " +
              " ".join(f"{r['method']}={r['seconds']:.3f}s{'' if r['meets_bar'] else '*'}"
                       for r in case) + f"  ({verdict}; * misses the bar)", flush=True)
    return rows


def auto_rows(pk, args):
    """auto against the three methods it chooses between (U and H, best of --repeat, run in
    turns), f32 and f64, n in --auto-sizes, κ in --auto-kappas: the fastest of those meeting the
    accuracy bar and auto's time against it (the cost-aware goal: at most 10% slower)."""
    methods = ["auto", "polar-express-adaptive", "qdwh", "svd-refined"]
    rows = []
    for dtype in (np.float32, np.float64):
        for n in args.auto_sizes:
            for kappa in args.auto_kappas:
                a = test_matrix(n, kappa, dtype)
                res = best_alternating([lambda m=m: run_variant(pk, a, m) for m in methods],
                                       args.repeat)
                case = []
                for m, (t, (u, h, info)) in zip(methods, res):
                    o, b = accuracy(a, u, h)
                    case.append(dict(dtype=np.dtype(dtype).name, n=n, kappa=kappa, method=m,
                                     seconds=t, ortho_u=o, backward_u=b,
                                     meets_bar=bool(o <= BAR_U and b <= BAR_U)))
                meeting = [r for r in case[1:] if r["meets_bar"]]
                fastest = min(meeting, key=lambda r: r["seconds"])
                case[0]["vs_fastest"] = case[0]["seconds"] / fastest["seconds"]
                rows += case
                print(f"{np.dtype(dtype).name:7} n={n:5} κ={kappa:6.0e}  " +
                      "  ".join(f"{r['method']} {r['seconds'] * 1e3:8.1f} ms"
                                f"{'' if r['meets_bar'] else '*'}" for r in case) +
                      f"  auto/fastest {case[0]['vs_fastest']:.2f}"
                      f"{'' if case[0]['meets_bar'] else '  auto MISSES THE BAR'}", flush=True)
    return rows


def gpt_shapes(layers):
    """The matrices of a GPT-2-small-like model: per layer Q, K, V, O (768 × 768), the MLP's
    768 × 3072 and 3072 × 768."""
    return [(768, 768)] * (4 * layers) + [(768, 3072)] * layers + [(3072, 768)] * layers


def gpt_rows(pk, args):
    """One Muon orthogonalisation of every matrix of the GPT-like list (f32, Polar Express, 5
    steps, U alone): batched by shape, against a loop of single calls and against the time the
    matrix products alone take at the GEMM rate measured here."""
    rng = np.random.default_rng(3)
    shapes = gpt_shapes(args.layers)
    mats = [np.asfortranarray(rng.standard_normal(s), dtype=np.float32) for s in shapes]
    outs = [np.empty_like(a, order="F") for a in mats]
    groups = {}
    for i, s in enumerate(shapes):
        groups.setdefault(s, []).append(i)
    opts = pk.options(method="polar-express", steps=5, compute_h="false",
                      two_norm_each_iterate="false", measure_result="false")
    try:
        def batched():
            for idx in groups.values():
                pk.polar_batched([mats[i] for i in idx], [outs[i] for i in idx], opts)

        def loop():
            for a, u in zip(mats, outs):
                pk.polar_into(a, u, opts)

        (t_loop, _), (t_batch, _) = best_alternating([loop, batched], args.repeat)
    finally:
        pk.lib.polarkit_options_free(opts)
    # The products of 5 quintic steps on a tall m × n X (a wide one is transposed): XᵀX and G²
    # by SYRK (m·n² and n³ flops), X·P by GEMM (2m·n²); at the SGEMM rate of that shape.
    t_products = 0.0
    rates = {}
    for (r, c) in shapes:
        m, n = max(r, c), min(r, c)
        if (m, n) not in rates:
            x = np.asfortranarray(rng.standard_normal((m, n)), dtype=np.float32)
            p = np.asfortranarray(rng.standard_normal((n, n)), dtype=np.float32)
            blas.sgemm(1.0, x, p)
            t, _ = best(lambda: blas.sgemm(1.0, x, p), max(args.repeat, 5))
            rates[(m, n)] = 2.0 * m * n * n / t
        t_products += 5 * (3.0 * m * n * n + n ** 3) / rates[(m, n)]
    row = dict(matrices=len(shapes), loop_s=t_loop, batched_s=t_batch, products_s=t_products,
               vs_loop=t_loop / t_batch, vs_products=t_batch / t_products)
    print(f"GPT-like list ({args.layers} layers, {len(shapes)} matrices, f32 Polar Express × 5, "
          f"U alone): loop {t_loop:.3f}s  batched {t_batch:.3f}s  products at GEMM rate "
          f"{t_products:.3f}s  loop/batched {row['vs_loop']:.2f}  batched/products "
          f"{row['vs_products']:.2f}  (rates GFLOP/s: "
          + ", ".join(f"{m}x{n} {r / 1e9:.0f}" for (m, n), r in rates.items()) + ")", flush=True)
    return [row]


def write_csv(rows, path):
    keys = sorted({k for r in rows for k in r})
    with open(path, "w") as f:
        f.write(",".join(keys) + "\n")
        for r in rows:
            f.write(",".join(str(r.get(k, "")) for k in keys) + "\n")


def plot(rows, path, sizes_n):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for m in sorted({r["method"] for r in rows}):
        # (n = sizes_n[-1], κ = 1e3) is in both series, timed twice: the faster time stands.
        by_n, by_k = {}, {}
        for r in rows:
            if r["method"] != m:
                continue
            if r["kappa"] == 1e3 and r["n"] in sizes_n:
                by_n[r["n"]] = min(r["seconds"], by_n.get(r["n"], math.inf))
            if r["n"] == sizes_n[-1]:
                by_k[r["kappa"]] = min(r["seconds"], by_k.get(r["kappa"], math.inf))
        style = "k--" if m == "scipy-svd-polar" else "-o"
        if by_n:
            ax1.loglog(*zip(*sorted(by_n.items())), style, label=m, markersize=3)
        if by_k:
            ax2.semilogx(*zip(*sorted(by_k.items())), style, label=m, markersize=3)
    dtype = rows[0].get("dtype", "f64")
    ax1.set(xlabel="n", ylabel="seconds (U and H)", title=f"{dtype}, κ = 1e3")
    ax2.set(xlabel="κ", ylabel="seconds (U and H)", title=f"{dtype}, n = {sizes_n[-1]}")
    ax2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--lib", default=os.environ.get("POLARKIT_LIB", "build/shared/libpolarkit.so"))
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048])
    p.add_argument("--sweep", action="store_true", help="time vs n and κ of every method")
    p.add_argument("--sweep-sizes", type=int, nargs="+", default=[256, 512, 1024, 2048])
    p.add_argument("--sweep-n", type=int, default=1024)
    p.add_argument("--sweep-kappas", type=float, nargs="+", default=[1e1, 1e3, 1e6, 1e12])
    p.add_argument("--dtype", choices=["f32", "f64"], default="f64", help="of the sweep")
    p.add_argument("--auto", action="store_true",
                   help="auto against polar-express-adaptive, qdwh and the refined svd, f32 and f64")
    p.add_argument("--auto-sizes", type=int, nargs="+", default=[128, 256, 512, 1024, 2048])
    p.add_argument("--auto-kappas", type=float, nargs="+", default=[1.0, 10.0, 100.0, 1e3])
    p.add_argument("--gpt", action="store_true",
                   help="a Muon step over a GPT-like list of matrices, batched vs a loop")
    p.add_argument("--layers", type=int, default=12)
    p.add_argument("--csv")
    p.add_argument("--plot")
    args = p.parse_args()
    if torch is not None:
        torch.set_num_threads(int(os.environ.get("OPENBLAS_NUM_THREADS", os.cpu_count())))
    pk = Polarkit(args.lib)
    if args.auto:
        rows = auto_rows(pk, args)
    elif args.gpt:
        rows = gpt_rows(pk, args)
    elif args.sweep:
        rows = sweep_rows(pk, args)
        if args.plot:
            plot(rows, args.plot, args.sweep_sizes)
    else:
        args.cases = [(np.float64, n, k, "auto", {}) for n in args.sizes for k in (1e1, 1e3, 1e12)]
        # A fixed budget as optimizers run it: no 2-norm estimates, and U not measured (the
        # report's orthogonality is then NaN); the same U.
        lean = {"steps": 5, "two_norm_each_iterate": "false", "measure_result": "false"}
        args.cases += [(np.float32, n, 1e3, "polar-express", lean) for n in args.sizes]
        rows = goal_rows(pk, args)
    if args.csv:
        write_csv(rows, args.csv)


if __name__ == "__main__":
    sys.exit(main())
