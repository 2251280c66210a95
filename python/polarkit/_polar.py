"""polar(), msign(), polar_batched() and estimate_condition() over numpy arrays, torch tensors
and anything else that exports DLPack, without copying the caller's matrices."""
import numpy as np

from . import _polarkit as _core
from ._errors import InvalidArgumentError
from ._info import ConditionEstimate, PolarInfo

# The PolarOptions fields a keyword may set (the C ABI's text keys; docs/api.md).
_OPTIONS = ("tol", "max_iter", "steps", "scaling", "backward_error", "precision", "refine",
            "batch_group", "two_norm_each_iterate", "measure_result")


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _options(method, compute_h, options):
    text = {"method": str(method), "compute_h": _text(bool(compute_h))}
    for key, value in options.items():
        if key not in _OPTIONS:
            raise TypeError(f"unexpected keyword argument '{key}' (options: {', '.join(_OPTIONS)})")
        if value is not None:
            text[key] = _text(value)
    return text


def _is_torch(x):
    return type(x).__module__.startswith("torch")


def _as_matrices(a, what):
    """a as something polarkit reads in place: numpy arrays and DLPack exporters as they are,
    other array-likes (lists) converted by numpy (a copy, as numpy.asarray makes). A read-only
    numpy array is copied too: DLPack cannot export it."""
    if isinstance(a, np.ndarray):
        return a if a.flags.writeable else a.copy(order="K")
    if hasattr(a, "__dlpack__"):
        return a
    try:
        return np.asarray(a)
    except Exception as e:  # pragma: no cover - numpy's own message is the useful one
        raise InvalidArgumentError(f"{what}: not an array: {e}") from e


def _dtype_name(a):
    return str(a.dtype).replace("torch.", "")


def _check_dtype(a, what):
    if _dtype_name(a) not in ("float32", "float64"):
        raise InvalidArgumentError(f"{what}: dtype must be float32 or float64, got {_dtype_name(a)}")


def _empty_like_kind(a, shape):
    """An uninitialised array of a's kind (numpy or torch, same dtype and device), in a's memory
    order where that is Fortran order (numpy), else C order."""
    if _is_torch(a):
        import torch
        return torch.empty(shape, dtype=a.dtype, device=a.device)
    if isinstance(a, np.ndarray) and a.ndim == 2 and a.flags.f_contiguous and not a.flags.c_contiguous:
        return np.empty(shape, dtype=a.dtype, order="F")
    return np.empty(shape, dtype=np.dtype(_dtype_name(a)))


def _swap(x):
    """The transposed view of a matrix or of each matrix of a stack (no copy)."""
    if _is_torch(x):
        return x.transpose(-1, -2)
    return np.swapaxes(x, -1, -2)


def _solve(a, side, method, compute_h, out, options, batched):
    if side not in ("right", "left"):
        raise InvalidArgumentError(f"side must be 'right' or 'left', got {side!r}")
    items = None
    if batched and isinstance(a, (list, tuple)):
        if len(a) == 0:
            return [], [], []
        items = [_as_matrices(x, "a") for x in a]
        first = items[0]
    else:
        a = _as_matrices(a, "a")
        first = a
    _check_dtype(first, "a")
    ndim = first.ndim if items is None else 3
    if items is None and ndim != (3 if batched else 2):
        want = "a 3-D stack (batch, m, n) or a list of matrices" if batched else "a 2-D matrix"
        raise InvalidArgumentError(f"a: expected {want}, got {first.ndim} dimensions")
    m, n = first.shape[-2], first.shape[-1]
    # side='left': a = h·u with h = (a·aᵀ)^½, i.e. the right polar decomposition of aᵀ.
    left = side == "left"
    k = m if left else n
    want_h = compute_h
    u_out, h_out = (out if isinstance(out, tuple) else (out, None)) if out is not None else (None, None)

    def alloc(shape):
        if items is not None:
            return [_empty_like_kind(first, shape) for _ in items]
        lead = (a.shape[0],) if batched else ()
        return _empty_like_kind(a, lead + shape)

    u = u_out if u_out is not None else alloc((m, n))
    h = None
    if want_h:
        h = h_out if h_out is not None else alloc((k, k))
    elif h_out is not None:
        raise InvalidArgumentError("out: an H array was given with compute_h=False")
    src = items if items is not None else a
    if left:
        src = [_swap(x) for x in src] if items is not None else _swap(src)
        u_core = [_swap(x) for x in u] if isinstance(u, list) else _swap(u)
    else:
        u_core = u
    reports = _core.polar(src, u_core, h, _options(method, want_h, options))
    infos = [PolarInfo._from_report(r) for r in reports]
    return u, h, infos


def polar(a, side="right", method="auto", *, compute_h=True, out=None, **options):
    """The polar decomposition of a matrix, in scipy.linalg.polar's order: returns (u, h, info).

    side='right': a = u @ h with h = (aᵀa)^½ (n × n); side='left': a = h @ u with h = (a aᵀ)^½
    (m × m). u has orthonormal columns (m ≥ n) or rows (m < n). a: a 2-D float32/float64 numpy
    array, torch tensor or DLPack exporter; u and h come back of the same kind, dtype and device,
    computed by polarkit without copying a (any strides with unit stride in one dimension).
    out=(u, h) or out=u: arrays written in place. Keywords: tol, max_iter, steps, scaling,
    backward_error, precision, refine, batch_group, two_norm_each_iterate, measure_result (the
    PolarOptions fields; docs/api.md). info: a PolarInfo."""
    u, h, infos = _solve(a, side, method, compute_h, out, options, batched=False)
    return u, h, infos[0]


def msign(a, method="polar-express-adaptive", *, out=None, **options):
    """The matrix sign function of a rectangular matrix, msign(a) = u of a = u·h: returns
    (u, info). Muon's update is msign(a, method='muon')."""
    u, _, infos = _solve(a, "right", method, False, out, options, batched=False)
    return u, infos[0]


def polar_batched(a, side="right", method="auto", *, compute_h=True, out=None, **options):
    """polar() of every matrix of a 3-D stack (batch, m, n) or of a list of same-shape matrices,
    in one library call (the Newton–Schulz methods iterate the batch together). Returns
    (u, h, infos) with u and h stacks (or lists) of a's kind and infos a list of PolarInfo."""
    return _solve(a, side, method, compute_h, out, options, batched=True)


def estimate_condition(a):
    """A cheap over-estimate of κ₂(a) (one QR and a Lanczos run): ConditionEstimate(kappa,
    sigma_max, sigma_min_bound)."""
    a = _as_matrices(a, "a")
    _check_dtype(a, "a")
    return ConditionEstimate(*_core.estimate_condition(a))


def _copies():
    """Matrices copied so far because of their strides (for the zero-copy tests)."""
    return _core.copies()
