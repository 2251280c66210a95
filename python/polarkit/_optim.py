"""What polarkit.torch and polarkit.optax share: hyper-parameters as the library's text keys
(docs/optimizers.md) and the one library call per group of same-shape parameters."""
import math

from . import _polarkit as _core
from ._errors import InvalidArgumentError

# torch.optim.Muon's adjust_lr_fn as the library's Scale: "original" is √max(1, d_out/d_in)
# (Keller Jordan's muon.py), "match_rms_adamw" is 0.2·√max(d_out, d_in) (Moonlight).
ADJUST_LR_SCALES = {None: "original", "original": "original", "match_rms_adamw": "moonlight"}

# Jordan's quintic, torch.optim.Muon's and optax.contrib.muon's default ns_coefficients.
NS_COEFFICIENTS = (3.4445, -4.775, 2.0315)


def number(x):
    """A float as text that parses back to the same double (repr is the shortest round trip)."""
    return repr(float(x))


def flag(x):
    return "true" if x else "false"


def coefficients(abc, name):
    """One quintic (a, b, c) as the library's "a,b,c"; a ValueError for anything else."""
    try:
        values = [float(v) for v in abc]
    except (TypeError, ValueError):
        values = []
    if len(values) != 3 or not all(math.isfinite(v) for v in values):
        raise ValueError(f"{name} must be a tuple of 3 finite floats, got {abc!r}")
    return ",".join(number(v) for v in values)


def ns_steps(steps, name="ns_steps"):
    """The Newton–Schulz step count as text: an integer in [1, 100). torch.optim.Muon refuses
    100 and more; 0 would mean "to tolerance" to the library, not torch's "no step", so it is
    refused too."""
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps < 100:
        raise ValueError(f"{name} must be an integer in [1, 100), got {steps!r}")
    return str(steps)


def adjust_lr_scale(adjust_lr_fn):
    try:
        return ADJUST_LR_SCALES[adjust_lr_fn]
    except (KeyError, TypeError):
        raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported") from None


def check(kind, hyper):
    """The library's reading of a group's hyper-parameters (every key, canonical text); raises
    InvalidArgumentError (a ValueError) naming the key and the accepted values."""
    return _core.optimizer_config(kind, hyper)


def step_group(kind, hyper, w, g, m):
    """One step of the same-shape parameters w (lists of DLPack exporters, g the gradients, m
    the momentum states or None), in place: one batched library call. Returns the reports."""
    return _core.optimizer_step(kind, hyper, w, g, m)


def require_2d(size, who):
    """torch.optim.Muon's check, with its message (size printed as given: torch.Size, a tuple)."""
    if len(size) != 2:
        raise ValueError(f"{who} only supports 2D parameters whereas we found a parameter with "
                         f"size: {size}")


def require_float(dtype_name, who):
    if dtype_name not in ("float32", "float64"):
        raise InvalidArgumentError(
            f"{who}: polarkit computes in float32 or float64; a parameter is {dtype_name} "
            "(convert it, or leave it to another optimizer)")
