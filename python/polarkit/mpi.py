"""polarkit over the ranks of an MPI communicator (mpi4py): many matrices shared out, every result
on every rank — the distributed-Muon pattern (docs/distributed.md).

    from mpi4py import MPI
    import polarkit.mpi
    u, h, infos = polarkit.mpi.polar_batched(MPI.COMM_WORLD, grads, method="muon",
                                             compute_h=False)
    polarkit.mpi.step_batched(MPI.COMM_WORLD, w, g, m, kind="muon", lr=0.02)

Collective: every rank calls with the same list (shapes, dtypes, options); an error on any rank
is raised on every rank. Results are bit for bit those of polarkit.polar / one process, for any
number of ranks. Needs the package built with polarkit_mpi (MPI found at build time) and mpi4py.
"""
from mpi4py import MPI  # noqa: F401  (initialises MPI before the library's first call)

from . import _optim
from ._errors import InvalidArgumentError, NotCompiledError
from ._info import PolarInfo
from ._polar import _as_matrices, _check_dtype, _empty_like_kind, _options

try:
    from . import _polarkit_mpi as _core
except ImportError as e:  # pragma: no cover - a build without MPI
    raise NotCompiledError(f"polarkit.mpi: this build has no polarkit_mpi ({e})") from e


def _handle(comm):
    """The communicator's Fortran handle: what the library's C-level entry points take."""
    if hasattr(comm, "py2f"):
        return comm.py2f()
    raise InvalidArgumentError(f"comm: an mpi4py communicator expected, got {type(comm).__name__}")


def _matrices(a, what):
    items = [_as_matrices(x, what) for x in a]
    for x in items:
        _check_dtype(x, what)
        if x.ndim != 2:
            raise InvalidArgumentError(f"{what}: every entry must be a 2-D matrix")
    return items


def polar_batched(comm, a, method="auto", *, compute_h=True, **options):
    """polar() of every matrix of the list a (shapes may differ), shared out over comm's ranks.
    Returns (u, h, infos): lists of a's kind on every rank (h None unless compute_h), infos a
    list of PolarInfo in list order. Keywords as polarkit.polar's."""
    items = _matrices(a, "a")
    u = [_empty_like_kind(x, x.shape) for x in items]
    h = [_empty_like_kind(x, (x.shape[1], x.shape[1])) for x in items] if compute_h else None
    reports = _core.polar(_handle(comm), items, u, h, _options(method, compute_h, options))
    return u, h, [PolarInfo._from_report(r) for r in reports]


def _hyper(hyper):
    text = {}
    for key, value in hyper.items():
        text[key] = _optim.flag(value) if isinstance(value, bool) else (
            _optim.number(value) if isinstance(value, float) else str(value))
    return text


def step_batched(comm, w, g, m=None, *, kind="muon", shard_state=False, **hyper):
    """One optimizer step of the parameters w (a list, shapes may differ) with gradients g and
    momentum states m (a list, or None with momentum=0), in place, shared out over comm's ranks:
    every rank ends with every w updated (and every m, unless shard_state: then only the states
    this rank owns — see owners() — are read and updated, the others may be None). kind and the
    keywords are the library's optimizer kinds and hyper-parameters (docs/optimizers.md), e.g.
    lr=0.02, momentum=0.95. Returns one dict per parameter (nu, scale, update_norm)."""
    return _core.optimizer_step(_handle(comm), kind, _hyper(hyper), list(w), list(g),
                                None if m is None else list(m), bool(shard_state))


def owners(ranks, shapes, *, kind="muon", **hyper):
    """The rank that steps (and, sharded, keeps the state of) each parameter of these shapes on
    `ranks` ranks: the cost-balanced, longest-first assignment step_batched makes."""
    return _core.owners(int(ranks), kind, _hyper(hyper), [tuple(s) for s in shapes])
