"""polarkit: the polar decomposition A = U·H and the matrix sign function, computed by the
polarkit C++ library (SVD, Newton–Schulz family, QDWH, Zolo-PD, scaled Newton, auto).

    import polarkit
    u, h, info = polarkit.polar(a)            # scipy.linalg.polar's order; a = u @ h
    u, info = polarkit.msign(g, method="muon")
"""
from ._errors import (BackendFailureError, Error, InvalidArgumentError, IoError,
                      NonFiniteInputError, NotCompiledError, OutOfMemoryError)
from ._info import ConditionEstimate, Phase, PolarInfo
from ._polar import estimate_condition, msign, polar, polar_batched

__all__ = [
    "polar", "msign", "polar_batched", "estimate_condition", "PolarInfo", "Phase",
    "ConditionEstimate", "Error", "InvalidArgumentError", "NonFiniteInputError",
    "BackendFailureError", "NotCompiledError", "IoError", "OutOfMemoryError",
]
