"""polarkit's optimizers for PyTorch: Muon (torch.optim.Muon's constructor and update, PyTorch
2.9) and PolarGrad, computed by the polarkit library on the parameters' own memory.

    from polarkit.torch import Muon
    opt = Muon([p for p in model.parameters() if p.ndim == 2], lr=0.02)

Each step groups the parameters of a param group by (shape, dtype, device) and makes one
batched library call per group (optim::step_batched). Contiguous parameters, gradients and
momentum buffers are read and written in place through DLPack; tensors with other strides are
copied into column-major memory and written back (counted by polarkit._polar._copies())."""
import torch

from . import _optim
from . import _polarkit as _core
from ._errors import InvalidArgumentError, NonFiniteInputError, NotCompiledError

__all__ = ["Muon", "PolarGrad"]

# torch ≥ 2.1 tells autograd that a tensor was written behind its back (DLPack writes do not
# bump the version counter that catches a saved tensor modified in place); older torch cannot.
_increment_version = getattr(getattr(torch.autograd, "graph", None), "increment_version", None)


def _require_device(device):
    """CPU tensors always; CUDA tensors only where this build has the CUDA backend."""
    if device.type == "cpu":
        return
    if device.type == "cuda":
        if _core.cuda_device_count() == 0:
            raise NotCompiledError(
                f"a parameter is on {device}, but this polarkit build cannot run on CUDA devices "
                "(built without the CUDA backend, POLARKIT_CUDA=OFF); build polarkit with CUDA "
                "or keep these parameters on the CPU")
        return
    raise InvalidArgumentError(f"polarkit runs on CPU and CUDA tensors, not on {device}")


def _check_parameter(p, who):
    _optim.require_2d(p.size(), who)
    if p.is_complex():
        raise RuntimeError(f"{who} does not support complex parameters")
    _optim.require_float(str(p.dtype).replace("torch.", ""), who)



def _check_hyper(lr, momentum, weight_decay):
    """torch.optim's checks and messages for the hyper-parameters both optimizers share."""
    if not 0.0 <= lr:
        raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
    if not 0.0 <= momentum < 1.0:
        raise ValueError(f"momentum should be in [0, 1) but is: {momentum}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")

class _LibraryOptimizer(torch.optim.Optimizer):
    """A torch optimizer whose step is the library's: subclasses name the kind and turn a param
    group into the library's text hyper-parameters."""

    _kind = ""
    _name = ""

    def _hyper(self, group):
        raise NotImplementedError

    def _has_momentum(self, group):
        return True

    def add_param_group(self, param_group):
        # Checked before the group joins, so that a refused group leaves the optimizer as it was.
        params = param_group["params"]
        params = [params] if isinstance(params, torch.Tensor) else list(params)
        for p in params:
            if isinstance(p, torch.Tensor):
                _check_parameter(p, self._name)
        super().add_param_group(param_group)
        try:
            _optim.check(self._kind, self._hyper(self.param_groups[-1]))
        except Exception:
            self.param_groups.pop()
            raise

    def _plan(self):
        """Every group's hyper-parameters and its parameters with a gradient, bucketed by
        (shape, dtype, device); everything checked before the first parameter is written."""
        plan = []
        for group in self.param_groups:
            hyper = self._hyper(group)
            _optim.check(self._kind, hyper)
            buckets = {}
            for p in group["params"]:
                if p.grad is None:
                    continue
                _check_parameter(p, self._name)
                if p.grad.is_sparse:
                    raise RuntimeError(f"{self._name} does not support sparse gradients")
                if p.grad.dtype != p.dtype or p.grad.shape != p.shape:
                    raise InvalidArgumentError(
                        f"{self._name}: a gradient of {p.grad.dtype} {tuple(p.grad.shape)} for a "
                        f"parameter of {p.dtype} {tuple(p.shape)}")
                _require_device(p.device)
                buckets.setdefault((tuple(p.shape), p.dtype, p.device), []).append(p)
            plan.append((group, hyper, list(buckets.values())))
        return plan

    @torch.no_grad()
    def step(self, closure=None):
        """One step of every parameter with a gradient; returns closure()'s loss (closure is
        evaluated with gradients enabled first, as torch's optimizers do).

        Raises NonFiniteInputError for NaN or Inf in a gradient and InvalidArgumentError (a
        ValueError) for hyper-parameters the library refuses, before any parameter or state is
        written."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        plan = self._plan()
        buckets = [b for _, _, bs in plan for b in bs]
        if len(buckets) > 1:
            # The library checks each call's gradients before its first update; with several
            # calls, a NaN in a later bucket must not leave the earlier ones stepped.
            for params in buckets:
                for p in params:
                    if not bool(torch.isfinite(p.grad).all()):
                        raise NonFiniteInputError(
                            f"{self._name}: the gradient of a {tuple(p.shape)} parameter "
                            "contains NaN or Inf")
        for group, hyper, bs in plan:
            momentum = self._has_momentum(group)
            for params in bs:
                states = None
                if momentum:
                    states = []
                    for p in params:
                        state = self.state[p]
                        if "momentum_buffer" not in state:
                            state["momentum_buffer"] = torch.zeros_like(
                                p.grad, memory_format=torch.preserve_format)
                        states.append(state["momentum_buffer"])
                # detach(): the same memory, without requires_grad (which DLPack cannot export).
                _optim.step_group(self._kind, hyper, [p.detach() for p in params],
                                  [p.grad.detach() for p in params], states)
                if _increment_version is not None:
                    for p in params:
                        _increment_version(p)
        return loss


class Muon(_LibraryOptimizer):
    """torch.optim.Muon (PyTorch 2.9): the same constructor, param-group keys, state
    ("momentum_buffer") and update, computed by polarkit. Per (d_out, d_in) parameter:

        buf ← buf.lerp(grad, 1 − momentum);  D = grad.lerp(buf, momentum) (nesterov) or buf
        O = NS_k(D / max(‖D‖_F, eps)) with ns_coefficients (a, b, c) and k = ns_steps
        param ← param·(1 − lr·weight_decay) − adjusted_lr·O

    with adjusted_lr = lr·√max(1, d_out/d_in) (adjust_lr_fn None or "original") or
    lr·0.2·√max(d_out, d_in) ("match_rms_adamw"). Differences from torch: the Newton–Schulz
    iteration runs in the parameter's precision (torch: bfloat16), parameters must be float32 or
    float64 (InvalidArgumentError otherwise), momentum must be < 1 and ns_steps ≥ 1, and a NaN
    or Inf gradient raises NonFiniteInputError with nothing written (torch propagates it)."""

    _kind = "muon"
    _name = "Muon"

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=_optim.NS_COEFFICIENTS, eps=1e-7, ns_steps=5,
                 adjust_lr_fn=None):
        if isinstance(lr, torch.Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _check_hyper(lr, momentum, weight_decay)
        if not 0.0 <= eps:
            raise ValueError(f"eps should be >= 0 but is: {eps}")
        _optim.ns_steps(ns_steps)
        _optim.coefficients(ns_coefficients, "ns_coefficients")
        _optim.adjust_lr_scale(adjust_lr_fn)
        defaults = {"lr": lr, "weight_decay": weight_decay, "momentum": momentum,
                    "nesterov": nesterov, "ns_coefficients": ns_coefficients, "eps": eps,
                    "ns_steps": ns_steps, "adjust_lr_fn": adjust_lr_fn}
        super().__init__(params, defaults)

    def _hyper(self, group):
        return {
            "lr": _optim.number(group["lr"]),
            "momentum": _optim.number(group["momentum"]),
            "nesterov": _optim.flag(group["nesterov"]),
            "weight_decay": _optim.number(group["weight_decay"]),
            "eps": _optim.number(group["eps"]),
            "ns_coefficients": _optim.coefficients(group["ns_coefficients"], "ns_coefficients"),
            "steps": _optim.ns_steps(group["ns_steps"]),
            "scale": _optim.adjust_lr_scale(group["adjust_lr_fn"]),
        }


# The polar oracle's options a PolarGrad group may carry besides method (docs/optimizers.md).
_ORACLE_OPTIONS = ("steps", "tol", "precision", "batch_group", "two_norm_each_iterate",
                   "ns_coefficients")


class PolarGrad(_LibraryOptimizer):
    """PolarGrad (Lau, Long & Su 2025) on 2-D parameters: UH = polar(D) by the oracle `method`
    (QDWH to working precision by default), ν = ⟨U, D⟩_F (nu="inner") or ‖D‖_* = tr(H)
    (nu="nuclear"), and

        momentum-first: buf ← β·buf + (1−β)·grad;  D = buf (or β·buf + (1−β)·grad, nesterov);
                        param ← param·(1 − lr·weight_decay) − lr·ν·U
        polar-first:    D = grad;  buf ← β·buf + (1−β)·ν·U;  param ← param·(1 − lr·wd) − lr·buf

    With momentum = 0 there is no state and D = grad. Oracle keywords: steps, tol, precision,
    batch_group, two_norm_each_iterate, ns_coefficients (method="muon" only)."""

    _kind = "polargrad"
    _name = "PolarGrad"

    def __init__(self, params, lr=0.02, momentum=0.95, weight_decay=0.0, nesterov=False,
                 nu="inner", momentum_order="momentum-first", method="qdwh", **oracle):
        for key in oracle:
            if key not in _ORACLE_OPTIONS:
                raise TypeError(f"unexpected keyword argument '{key}' (oracle options: "
                                f"{', '.join(_ORACLE_OPTIONS)})")
        _check_hyper(lr, momentum, weight_decay)
        defaults = {"lr": lr, "momentum": momentum, "weight_decay": weight_decay,
                    "nesterov": nesterov, "nu": nu, "momentum_order": momentum_order,
                    "method": method, **oracle}
        super().__init__(params, defaults)

    def _has_momentum(self, group):
        return group["momentum"] != 0

    def _hyper(self, group):
        hyper = {
            "lr": _optim.number(group["lr"]),
            "momentum": _optim.number(group["momentum"]),
            "nesterov": _optim.flag(group["nesterov"]),
            "weight_decay": _optim.number(group["weight_decay"]),
            "nu": str(group["nu"]),
            "momentum_order": str(group["momentum_order"]),
            "method": str(group["method"]),
        }
        for key in _ORACLE_OPTIONS:
            value = group.get(key)
            if value is None:
                continue
            if key == "ns_coefficients":
                hyper[key] = _optim.coefficients(value, key)
            elif isinstance(value, bool):
                hyper[key] = _optim.flag(value)
            elif isinstance(value, float):
                hyper[key] = _optim.number(value)
            else:
                hyper[key] = str(value)
        return hyper
