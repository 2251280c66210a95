"""The reports polarkit returns: immutable, with every field of the C++ PolarInfo."""
from dataclasses import dataclass
from typing import NamedTuple, Tuple


class Phase(NamedTuple):
    """Where the time of a solve went: one phase, its wall-clock seconds, flops and calls."""

    name: str
    seconds: float
    flops: float
    calls: int


@dataclass(frozen=True)
class PolarInfo:
    """What a polar solve did and how good its result is (NaN: not computed).

    See docs/api.md ("The report") for each field; `rank` is -1 where the solve does not
    determine it (fixed budgets)."""

    method: str
    method_used: str
    iterations: int
    converged: bool
    zero_input: bool
    steps: str
    ortho_error_history: Tuple[float, ...]
    ortho_error_2_history: Tuple[float, ...]
    ortho_error: float
    ortho_error_fro: float
    scale: float
    lower_bound: float
    cond_estimate: float
    rank: int
    backward_error: float
    nuclear_norm: float
    flops: float
    products: int
    phases: Tuple[Phase, ...]

    @classmethod
    def _from_report(cls, d):
        d = dict(d)
        d["ortho_error_history"] = tuple(d["ortho_error_history"])
        d["ortho_error_2_history"] = tuple(d["ortho_error_2_history"])
        d["phases"] = tuple(Phase(*p) for p in d["phases"])
        return cls(**d)

    def __repr__(self):
        used = self.method if self.method_used == self.method else (
            f"{self.method} (ran {self.method_used})")
        return (f"PolarInfo(method={used}, iterations={self.iterations}, "
                f"converged={self.converged}, steps='{self.steps}', "
                f"ortho_error={self.ortho_error:.3e}, backward_error={self.backward_error:.3e}, "
                f"cond_estimate={self.cond_estimate:.3e}, rank={self.rank}, "
                f"flops={self.flops:.3e})")


class ConditionEstimate(NamedTuple):
    """estimate_condition(): kappa = sigma_max / sigma_min_bound, an over-estimate of κ₂(A)."""

    kappa: float
    sigma_max: float
    sigma_min_bound: float
