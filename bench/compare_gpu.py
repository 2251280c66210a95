#!/usr/bin/env python3
"""The polar factor U of A = U H on one GPU: the implementations people use today beside
polarkit's, on the same inputs, in one table of time and accuracy per size.

For each n in --sizes a Gaussian n x n float32 matrix G is drawn once on the GPU (torch.randn,
seed 0) and the same G is handed to every implementation, which casts it as it needs:

  torch muon-ns5 bf16       the Newton-Schulz quintic of KellerJordan/Muon and torch.optim.Muon:
                            X = G/||G||_F in bfloat16, 5 steps X <- aX + (bA + cA^2)X, A = XX^T,
                            (a, b, c) = (3.4445, -4.7750, 2.0315)
  torch polar-express bf16  the Polar Express reference (Amsel, Persson, Musco & Gower 2025): the
                            same step with the published table for l = 1e-3 (safety factor 1.01
                            on all but the last polynomial), X = G/(1.01||G||_F), --pe-steps steps
  torch svd polar f32       U, S, Vh = torch.linalg.svd(G); U @ Vh
  jax polar qdwh f32        jax.scipy.linalg.polar(a, side='right', method='qdwh'), jit-compiled
  jax polar svd f32         jax.scipy.linalg.polar(a, side='right', method='svd'), jit-compiled
  polarkit ...              polarkit_polar_s through the C ABI (ctypes on --polarkit-lib, device
                            pointers, compute_h off), one row per set of options (see --help)

Measured for each: the median wall time of --repeats calls, after 2 warm-up calls (which also
compile the JAX functions), each call bracketed by torch.cuda.synchronize() (and, for JAX,
block_until_ready()); then, in float64 on the GPU, the orthogonality ||U^T U - I||_F / sqrt(n)
of the result and its distance ||U - U_ref||_F / ||U_ref||_F from the polar factor U_ref of G
(torch.linalg.svd of G in float64, once per n). Not timed: moving G to JAX (dlpack, else via
numpy), allocating polarkit's output and making its options, converting a result to a torch
float32 tensor. The torch iterations run eagerly (no torch.compile).

Reading the table:
  * Muon's Newton-Schulz does not converge to U, by design: its quintic is tuned for speed, and
    the result is U S' V^T with S'_ii spread around 1 (Muon's docstring: "~ Uniform(0.5, 1.5)"),
    which works as an optimizer update. Its distance from U_ref is how far from the polar factor
    it is, not a bug. The bfloat16 rows cannot get below bfloat16's precision (~4e-3) either.
  * jax.scipy.linalg.polar passes no max_iterations to QDWH, which then stops after at most 10
    iterations (jax.lax.linalg.qdwh's default); it runs its matmuls in full float32. The
    iterations and converged columns of that row come from one extra, untimed call of
    jax.lax.linalg.qdwh on the same matrix.
  * iters and conv of the polarkit rows are polarkit_info.iterations and .converged of the last
    timed call.

Command line (on the GPU machine, from the repository root):

    python3 bench/compare_gpu.py --polarkit-lib build/gpu-shared/libpolarkit.so \\
        --sizes 1024 4096 --repeats 5 --json compare_gpu.json

Every implementation runs inside try/except: one that fails (out of memory, an option the
library rejects, JAX not installed) says why in its row and the others go on. The exit status is
0 when every requested row ran and 1 otherwise; the polarkit rows are not requested when
--polarkit-lib is not given, and --skip leaves out rows on purpose.
"""
import argparse
import ctypes
import datetime
import json
import math
import os
import statistics
import sys
import time

WARMUP_CALLS = 2

# Muon's quintic (KellerJordan/Muon, torch.optim.Muon's default ns_coefficients).
MUON_COEFFICIENTS = (3.4445, -4.7750, 2.0315)
MUON_STEPS = 5

# Polar Express, the published polynomials for l = 1e-3, as printed (no safety factor).
POLAR_EXPRESS_TABLE = (
    (8.28721201814563, -23.595886519098837, 17.300387312530933),
    (4.107059111542203, -2.9478499167379106, 0.5448431082926601),
    (3.9486908534822946, -2.908902115962949, 0.5518191394370137),
    (3.3184196573706015, -2.488488024314874, 0.51004894012372),
    (2.300652019954817, -1.6689039845747493, 0.4188073119525673),
    (1.891301407787398, -1.2679958271945868, 0.37680408948524835),
    (1.8750014808534479, -1.2500016453999487, 0.3750001645474248),
    (1.875, -1.25, 0.375),
)
POLAR_EXPRESS_SAFETY = 1.01

# The polarkit rows: options set on top of device=cuda and compute_h=false.
POLARKIT_COMMON = {"device": "cuda", "compute_h": "false"}


def polarkit_rows(pe_steps):
    """(name, options) of every polarkit row; "precision" and "refine" are recent keys. The
    "2-norm at ends" rows estimate ||X^T X - I||_2 (Lanczos) only at X0 and U, as the torch
    rows (which measure nothing) and the optimizers' Muon oracle do."""
    ends = {"two_norm_each_iterate": "false"}
    return [
        ("polarkit muon bf16", {"method": "muon", "precision": "bf16"}),
        ("polarkit muon bf16, 2-norm at ends", {"method": "muon", "precision": "bf16", **ends}),
        ("polarkit polar-express bf16",
         {"method": "polar-express", "precision": "bf16", "steps": str(pe_steps)}),
        ("polarkit polar-express bf16, 2-norm at ends",
         {"method": "polar-express", "precision": "bf16", "steps": str(pe_steps), **ends}),
        ("polarkit pe-adaptive bf16+refine",
         {"method": "polar-express-adaptive", "precision": "bf16", "refine": "true"}),
        ("polarkit qdwh f32", {"method": "qdwh"}),
        ("polarkit svd f32", {"method": "svd"}),
        ("polarkit pe-adaptive tf32", {"method": "polar-express-adaptive", "precision": "tf32"}),
    ]


class Unavailable(Exception):
    """An implementation that cannot run here at all (its message is the row's note)."""


def no_details():
    return {}


# --- torch -----------------------------------------------------------------------------------

def quintic_iteration(G, safety, coefficients):
    """X <- aX + (bA + cA^2)X, A = XX^T, from X = G/(safety*||G||_F + 1e-7), in bfloat16 and on
    the wide orientation of G (as Muon and the Polar Express reference do)."""
    X = G.bfloat16()
    tall = G.size(-2) > G.size(-1)
    if tall:
        X = X.mT
    X = X / (X.norm() * safety + 1e-7)
    for a, b, c in coefficients:
        A = X @ X.mT
        B = b * A + c * A @ A
        X = a * X + B @ X
    return X.mT if tall else X


def muon_ns5(G):
    return quintic_iteration(G, 1.0, [MUON_COEFFICIENTS] * MUON_STEPS)


def polar_express_schedule(steps):
    """The reference's schedule: the table with the safety factor on all but its last
    polynomial, (a/s, b/s^3, c/s^5); steps beyond the table repeat the last one."""
    s = POLAR_EXPRESS_SAFETY
    safe = [(a / s, b / s**3, c / s**5) for a, b, c in POLAR_EXPRESS_TABLE[:-1]]
    safe.append(POLAR_EXPRESS_TABLE[-1])
    return safe[:steps] + [safe[-1]] * max(0, steps - len(safe))


def svd_polar(G):
    import torch  # lazy: --help works without torch

    U, _, Vh = torch.linalg.svd(G, full_matrices=False)
    return U @ Vh


def torch_prepare(fn):
    def prepare(G):
        return (lambda: fn(G)), no_details
    return prepare


# --- jax -------------------------------------------------------------------------------------

def import_jax():
    """jax with its GPU modules, or None when it is not installed."""
    # JAX would otherwise take 75% of the GPU's memory at start-up, away from torch.
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    try:
        import jax
        import jax.dlpack
        import jax.scipy.linalg
    except ImportError:
        return None
    return jax


def torch_to_jax(jax, G):
    """G as a JAX array on the same GPU, through dlpack (no copy) or else through numpy."""
    try:
        return jax.dlpack.from_dlpack(G), ""
    except Exception as e:  # any dlpack incompatibility: take the slow, safe way
        return jax.device_put(G.cpu().numpy(), jax.devices()[0]), f"input via numpy ({e})"


def qdwh_details(jax, a):
    """Iterations and convergence of jax's QDWH on a (the call polar() makes), untimed."""
    note = "qdwh max_iterations=10 (jax default)"
    try:
        _, _, iterations, converged = jax.lax.linalg.qdwh(a)
    except Exception as e:
        return {"note": f"{note}; iterations unavailable: {e}"}
    return {"iterations": int(iterations), "converged": bool(converged), "note": note}


def jax_prepare(jax, method):
    def prepare(G):
        if jax is None:
            raise Unavailable("jax not installed")
        platform = jax.devices()[0].platform
        if platform not in ("gpu", "cuda"):
            raise Unavailable(f"jax has no CUDA backend (platform {platform})")
        a, input_note = torch_to_jax(jax, G)
        polar = jax.jit(lambda x: jax.scipy.linalg.polar(x, side="right", method=method)[0])

        def details():
            out = qdwh_details(jax, a) if method == "qdwh" else {}
            notes = [n for n in (out.get("note", ""), input_note) if n]
            return {**out, "note": "; ".join(notes)}

        return (lambda: polar(a).block_until_ready()), details
    return prepare


# --- polarkit through its C ABI --------------------------------------------------------------

class PolarkitInfo(ctypes.Structure):
    """polarkit_info of include/polarkit/polarkit.h."""
    _fields_ = [
        ("iterations", ctypes.c_int32),
        ("converged", ctypes.c_int32),
        ("ortho_error", ctypes.c_double),
        ("backward_error", ctypes.c_double),
        ("nuclear_norm", ctypes.c_double),
        ("scale", ctypes.c_double),
        ("lower_bound", ctypes.c_double),
    ]


class PolarkitError(RuntimeError):
    pass


def bind_polarkit(lib):
    """Declares the signatures of the entry points used here (int64_t sizes, opaque handles)."""
    i64, ptr = ctypes.c_int64, ctypes.c_void_p
    lib.polarkit_last_error.argtypes = []
    lib.polarkit_last_error.restype = ctypes.c_char_p
    lib.polarkit_options_new.argtypes = []
    lib.polarkit_options_new.restype = ptr
    lib.polarkit_options_free.argtypes = [ptr]
    lib.polarkit_options_free.restype = None
    lib.polarkit_options_set.argtypes = [ptr, ctypes.c_char_p, ctypes.c_char_p]
    lib.polarkit_options_set.restype = ctypes.c_int
    lib.polarkit_polar_s.argtypes = [i64, i64, ptr, i64, ptr, i64, ptr, i64, ptr,
                                     ctypes.POINTER(PolarkitInfo)]
    lib.polarkit_polar_s.restype = ctypes.c_int
    return lib


class Polarkit:
    """libpolarkit.so, loaded on first use (a failure to load is then each row's error)."""

    def __init__(self, path):
        self.path = path
        self._lib = None
        self._options = []

    @property
    def lib(self):
        if self._lib is None:
            self._lib = bind_polarkit(ctypes.CDLL(self.path))
        return self._lib

    def last_error(self):
        return self.lib.polarkit_last_error().decode(errors="replace")

    def options(self, settings):
        """A new options handle with settings applied (freed by close())."""
        opts = self.lib.polarkit_options_new()
        if not opts:
            raise PolarkitError(f"polarkit_options_new: {self.last_error()}")
        self._options.append(opts)
        for key, value in settings.items():
            if self.lib.polarkit_options_set(opts, key.encode(), value.encode()) != 0:
                raise PolarkitError(f"{key}={value}: {self.last_error()}")
        return opts

    def polar(self, G, U, opts, info):
        """U <- the polar factor of G, both row-major float32 CUDA tensors of one shape.

        The C ABI is column-major: the row-major storage of G (rows x cols) is the column-major
        cols x rows matrix G^T, with leading dimension cols. If G = W S V^T then G^T = V S W^T,
        whose polar factor V W^T = (W V^T)^T is the transpose of G's; written column-major into
        U's storage it reads back row-major as W V^T, the polar factor of G itself."""
        if not (G.is_cuda and G.is_contiguous() and U.is_contiguous() and U.shape == G.shape):
            raise ValueError("polarkit_polar_s here needs contiguous CUDA tensors of one shape")
        rows, cols = G.shape
        status = self.lib.polarkit_polar_s(cols, rows, G.data_ptr(), cols, U.data_ptr(), cols,
                                           None, rows, opts, ctypes.byref(info))
        if status != 0:
            raise PolarkitError(f"polarkit_polar_s returned {status}: {self.last_error()}")

    def close(self):
        """Frees the options handles made so far (none unless the library was loaded)."""
        for opts in self._options:
            self.lib.polarkit_options_free(opts)
        self._options.clear()


def polarkit_prepare(pk, settings):
    def prepare(G):
        import torch

        opts = pk.options({**POLARKIT_COMMON, **settings})
        U = torch.empty_like(G)
        info = PolarkitInfo()

        def run():
            pk.polar(G, U, opts, info)
            return U

        def details():
            return {"iterations": info.iterations, "converged": bool(info.converged)}

        return run, details
    return prepare


# --- the measurement -------------------------------------------------------------------------

def implementations(pe_steps, jax, pk):
    """(name, prepare) of every row; prepare(G) -> (run, details), run() -> U (timed),
    details() -> extra row fields (untimed, after the timed calls)."""
    schedule = polar_express_schedule(pe_steps)
    rows = [
        ("torch muon-ns5 bf16", torch_prepare(muon_ns5)),
        ("torch polar-express bf16",
         torch_prepare(lambda G: quintic_iteration(G, POLAR_EXPRESS_SAFETY, schedule))),
        ("torch svd polar f32", torch_prepare(svd_polar)),
        ("jax polar qdwh f32", jax_prepare(jax, "qdwh")),
        ("jax polar svd f32", jax_prepare(jax, "svd")),
    ]
    rows += [(name, polarkit_prepare(pk, settings)) for name, settings in polarkit_rows(pe_steps)]
    return rows


def gaussian(n):
    import torch

    generator = torch.Generator(device="cuda").manual_seed(0)
    return torch.randn(n, n, generator=generator, device="cuda", dtype=torch.float32)


def time_calls(run, repeats):
    """(median milliseconds of repeats calls after the warm-up, the last result)."""
    import torch

    for _ in range(WARMUP_CALLS):
        run()
    seconds = []
    for _ in range(repeats):
        torch.cuda.synchronize()
        start = time.perf_counter()
        out = run()
        torch.cuda.synchronize()
        seconds.append(time.perf_counter() - start)
    return 1e3 * statistics.median(seconds), out


def as_torch_f32(out):
    """A result (torch tensor of any dtype, or JAX array) as a float32 torch tensor on the GPU."""
    import torch

    if isinstance(out, torch.Tensor):
        return out.float()
    try:
        return torch.from_dlpack(out).float()
    except Exception:  # any dlpack incompatibility: copy through the host
        import numpy as np

        return torch.from_numpy(np.asarray(out)).to("cuda").float()


def orthogonality(U):
    """||U^T U - I||_F / sqrt(n) in float64 (U U^T for a wide U)."""
    import torch

    X = U.double()
    gram = X.mT @ X if X.shape[0] >= X.shape[1] else X @ X.mT
    k = gram.shape[0]
    eye = torch.eye(k, dtype=gram.dtype, device=gram.device)
    return (torch.linalg.matrix_norm(gram - eye) / math.sqrt(k)).item()


def distance(U, U_ref):
    """||U - U_ref||_F / ||U_ref||_F in float64."""
    import torch

    norm = torch.linalg.matrix_norm
    return (norm(U.double() - U_ref) / norm(U_ref)).item()


def measure(name, prepare, G, U_ref, repeats):
    """One row; ms stays None when the implementation failed (the note says why)."""
    import torch

    row = {"impl": name, "n": G.shape[0], "ms": None, "ortho": None, "dist": None,
           "iterations": None, "converged": None, "note": ""}
    try:
        run, details = prepare(G)
        ms, out = time_calls(run, repeats)
        U = as_torch_f32(out)
        row.update(ortho=orthogonality(U), dist=distance(U, U_ref), **details())
        row["ms"] = ms
    except Unavailable as e:
        row["note"] = str(e)
    except Exception as e:  # one failure (out of memory, a rejected option) ends this row only
        row["note"] = f"error: {type(e).__name__}: {e}"
        torch.cuda.empty_cache()
    return row


def run_size(n, impls, repeats):
    G = gaussian(n)
    U_ref = svd_polar(G.double())
    return [measure(name, prepare, G, U_ref, repeats) for name, prepare in impls]


# --- output ----------------------------------------------------------------------------------

def print_header(torch, jax, args):
    print(f"device    {torch.cuda.get_device_name()} (torch CUDA {torch.version.cuda})")
    print(f"torch     {torch.__version__} (float32 matmul precision "
          f"{torch.get_float32_matmul_precision()})")
    print(f"jax       {jax.__version__ if jax is not None else 'not installed'}")
    print(f"polarkit  {args.polarkit_lib or 'no --polarkit-lib given: its rows are skipped'}")
    print(f"date      {datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}")
    print(f"timing    median of {args.repeats} calls after {WARMUP_CALLS} warm-up calls")
    if args.skip:
        print(f"skipping  names containing any of: {', '.join(args.skip)}")


def cell(value, spec):
    if value is None:
        return "-"
    return format(value, spec) if spec else str(value)


def print_table(n, rows):
    header = ("implementation", "ms", "ortho |U^T U-I|_F/sqrt(n)", "|U-U_ref|_F/|U_ref|_F",
              "iters", "conv", "note")
    lines = [(r["impl"], cell(r["ms"], ".3f"), cell(r["ortho"], ".2e"), cell(r["dist"], ".2e"),
              cell(r["iterations"], ""), cell(r["converged"], ""),
              r["note"].splitlines()[0][:200] if r["note"] else "")
             for r in rows]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header) - 1)]
    print(f"\nn = {n}")
    for line in [header, *lines]:
        left = line[0].ljust(widths[0])
        numbers = "  ".join(v.rjust(w) for v, w in zip(line[1:-1], widths[1:]))
        print(f"{left}  {numbers}  {line[-1]}".rstrip())
    sys.stdout.flush()  # each size's table as soon as it is done, also into a pipe


# --- command line ----------------------------------------------------------------------------

def parse_args(argv):
    names = "\n".join(f"  {name}" for name, _ in implementations(8, None, None))
    settings = "\n".join(f"  {name}: {', '.join(f'{k}={v}' for k, v in s.items())}"
                         for name, s in polarkit_rows(8))
    parser = argparse.ArgumentParser(
        description="Time GPU polar-factor implementations (torch, jax, polarkit) on the same "
                    "Gaussian matrices and print their orthogonality and distance from U.",
        epilog=f"implementations:\n{names}\n\npolarkit options (besides device=cuda, "
               f"compute_h=false):\n{settings}",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 4096], metavar="N",
                        help="square sizes n (default: 1024 4096)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed calls per implementation; the median is reported (default 5)")
    parser.add_argument("--pe-steps", type=int, default=len(POLAR_EXPRESS_TABLE),
                        help="Polar Express steps, torch and polarkit rows (default 8: the table)")
    parser.add_argument("--polarkit-lib", metavar="PATH",
                        help="libpolarkit.so built with -DBUILD_SHARED_LIBS=ON -DPOLARKIT_CUDA=ON "
                             "(without it the polarkit rows are skipped)")
    parser.add_argument("--json", metavar="PATH", help="also write every row to PATH as JSON")
    parser.add_argument("--skip", nargs="+", default=[], metavar="NAME",
                        help="leave out implementations whose name contains any NAME "
                             "(case-insensitive; e.g. --skip jax 'polarkit svd')")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.pe_steps < 1 or min(args.sizes) < 1:
        parser.error("--repeats, --pe-steps and --sizes must be positive")
    return args


def selected(name, args):
    if name.startswith("polarkit") and not args.polarkit_lib:
        return False
    return not any(s.lower() in name.lower() for s in args.skip)


def main(argv=None):
    args = parse_args(argv)
    try:
        import torch
    except ImportError:
        print("error: torch is not installed", file=sys.stderr)
        return 1
    if not torch.cuda.is_available():
        print("error: torch sees no CUDA device", file=sys.stderr)
        return 1
    jax = import_jax()
    pk = Polarkit(args.polarkit_lib) if args.polarkit_lib else None
    impls = [(name, prepare) for name, prepare in implementations(args.pe_steps, jax, pk)
             if selected(name, args)]
    print_header(torch, jax, args)
    rows = []
    try:
        for n in args.sizes:
            size_rows = run_size(n, impls, args.repeats)
            print_table(n, size_rows)
            rows += size_rows
    finally:
        if pk is not None:
            pk.close()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 1 if any(r["ms"] is None for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
