"""An optax-style Muon: muon(learning_rate, ...) returns a GradientTransformation, a
(init, update) pair of pure functions over pytrees (dicts, lists, tuples; None leaves are left
alone) of 2-D arrays, computed by polarkit on the host.

    import polarkit.optax
    tx = polarkit.optax.muon(learning_rate=0.02)
    state = tx.init(params)
    updates, state = tx.update(grads, state, params)
    params = {k: params[k] + updates[k] for k in params}     # optax.apply_updates

Leaves are read with numpy.asarray (numpy arrays, JAX arrays on the CPU, anything with the
array protocol); updates and momentum buffers come back as numpy arrays. Neither JAX nor optax
is imported: the transformation runs eagerly, outside jax.jit, and has been tested on numpy
arrays only (JAX is not installed where the tests run)."""
from typing import Any, Callable, NamedTuple

import numpy as np

from . import _optim
from ._errors import InvalidArgumentError

__all__ = ["GradientTransformation", "MuonState", "muon"]


class GradientTransformation(NamedTuple):
    """optax.GradientTransformation's shape: init(params) -> state,
    update(updates, state, params=None) -> (updates, state)."""

    init: Callable
    update: Callable


class MuonState(NamedTuple):
    count: Any  # int32 scalar array: the steps taken, the argument of a schedule
    mu: Any     # the momentum buffers, a pytree of the parameters' structure


def _map(fn, tree, *others):
    """fn over the leaves of tree and the matching leaves of the trees in others (of tree's
    structure, or wider: a None leaf of tree is left alone), dict keys in sorted order as JAX
    flattens them, so that every traversal visits the leaves in one order."""
    if tree is None:
        return None
    if isinstance(tree, dict):
        return {k: _map(fn, tree[k], *(o[k] for o in others)) for k in sorted(tree)}
    if isinstance(tree, (list, tuple)):
        items = [_map(fn, t, *(o[i] for o in others)) for i, t in enumerate(tree)]
        if isinstance(tree, list):
            return items
        return type(tree)(*items) if hasattr(tree, "_fields") else type(tree)(items)
    return fn(tree, *others)


def _matrix(leaf, who):
    """A leaf as a 2-D float32/float64 numpy array the library can read through DLPack."""
    a = np.asarray(leaf)
    _optim.require_2d(a.shape, who)
    _optim.require_float(a.dtype.name, who)
    # DLPack cannot export a read-only array (a JAX array seen by numpy is one): read a copy.
    return a if a.flags.writeable else a.copy()


def muon(learning_rate, ns_coeffs=_optim.NS_COEFFICIENTS, ns_steps=5, beta=0.95, eps=1e-8,
         weight_decay=0.0, *, nesterov=True, adjust_lr_fn=None, layout="in_out"):
    """Muon as an optax-style transformation, with torch.optim.Muon's update (the one
    polarkit.torch.Muon computes): per 2-D leaf, with G the gradient and M the momentum buffer,

        M ← βM + (1−β)G;  D = βM + (1−β)G (nesterov) or M
        O = NS_k(D / max(‖D‖_F, eps)), coefficients ns_coeffs, k = ns_steps
        update = −lr·(s·O + weight_decay·param)

    with s = √max(1, d_out/d_in) (adjust_lr_fn None or "original") or 0.2·√max(d_out, d_in)
    ("match_rms_adamw"). learning_rate: a number or a schedule count -> number (optax's).
    layout: "in_out" for leaves stored (d_in, d_out) as flax/optax kernels (y = x @ W), "out_in"
    for (d_out, d_in) as torch weights (y = W x); it decides d_out and d_in for s only.

    Differences from optax.contrib.muon: every leaf must be 2-D (route the others to another
    transformation, e.g. optax.multi_transform), no Adam branch, eps is a floor on ‖D‖_F (torch's)
    rather than added to it, Nesterov is torch's βM + (1−β)G, and weight decay is built in
    (params are then required by update). Leaves of one shape and dtype are stepped by one
    batched library call."""
    steps_text = _optim.ns_steps(ns_steps)
    coeffs_text = _optim.coefficients(ns_coeffs, "ns_coeffs")
    scale = _optim.adjust_lr_scale(adjust_lr_fn)
    if layout not in ("in_out", "out_in"):
        raise ValueError(f"layout must be 'in_out' or 'out_in', got {layout!r}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")

    def hyper(lr):
        # Weight decay is applied here, not by the library: the library's W is a zero matrix
        # that receives −lr·s·O exactly (0 + Δ), so the update is not the difference of two
        # rounded parameter values.
        h = {"lr": _optim.number(lr), "momentum": _optim.number(beta),
             "nesterov": _optim.flag(nesterov), "weight_decay": "0.0",
             "eps": _optim.number(eps), "ns_coefficients": coeffs_text, "steps": steps_text,
             "scale": scale}
        _optim.check("muon", h)
        return h

    hyper(learning_rate(0) if callable(learning_rate) else learning_rate)  # refuse bad values now

    def oriented(a):
        return a.T if layout == "in_out" else a

    def init(params):
        def zeros(p):
            a = np.asarray(p)
            _optim.require_2d(a.shape, "muon")
            _optim.require_float(a.dtype.name, "muon")
            return np.zeros(a.shape, dtype=a.dtype)
        return MuonState(count=np.zeros((), dtype=np.int32), mu=_map(zeros, params))

    def update(updates, state, params=None):
        if weight_decay != 0 and params is None:
            raise ValueError("muon: weight_decay needs the current parameters: pass params to "
                             "update")
        lr = learning_rate(state.count) if callable(learning_rate) else learning_rate
        h = hyper(lr)
        pairs = []
        _map(lambda g, m: pairs.append((g, m)), updates, state.mu)
        grads = [_matrix(g, "muon") for g, _ in pairs]
        # A new state: the caller's old one stays valid (optax's transformations are pure).
        mus = [np.array(m, copy=True) for _, m in pairs]
        outs = [np.zeros(g.shape, dtype=g.dtype) for g in grads]
        groups = {}
        for i, g in enumerate(grads):
            if mus[i].shape != g.shape or mus[i].dtype != g.dtype:
                raise InvalidArgumentError(
                    f"muon: a gradient of {g.dtype} {g.shape} for a state of {mus[i].dtype} "
                    f"{mus[i].shape}")
            groups.setdefault((g.shape, g.dtype.str), []).append(i)
        for idx in groups.values():
            _optim.step_group("muon", h, [oriented(outs[i]) for i in idx],
                              [oriented(grads[i]) for i in idx], [oriented(mus[i]) for i in idx])
        it_out, it_mu = iter(outs), iter(mus)
        new_updates = _map(lambda _: next(it_out), updates)
        new_mu = _map(lambda _: next(it_mu), updates)
        if weight_decay != 0:
            def decay(out, p):
                out -= (lr * weight_decay) * np.asarray(p, dtype=out.dtype)
            _map(decay, new_updates, params)
        return new_updates, MuonState(count=np.asarray(state.count + 1, dtype=np.int32), mu=new_mu)

    return GradientTransformation(init, update)
