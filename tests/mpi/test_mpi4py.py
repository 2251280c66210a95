"""polarkit.mpi under mpiexec with mpi4py: bit for bit the single-process results, on every rank,
for any rank count; errors raised on every rank. Run by ctest as
`mpiexec -n <k> python3 -m pytest -q tests/mpi/test_mpi4py.py` (each rank runs every test in the
same order, so the collectives meet)."""
import numpy as np
import pytest

from mpi4py import MPI

import polarkit
import polarkit.mpi

COMM = MPI.COMM_WORLD
SHAPES = [(40, 24), (24, 40), (40, 24), (16, 16), (33, 7)]


def matrices(dtype, seed=0):
    rng = np.random.default_rng(seed)  # the same on every rank
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("method", ["muon", "qdwh"])
def test_polar_batched_equals_one_process(dtype, method):
    a = matrices(dtype)
    compute_h = method != "muon"
    u, h, infos = polarkit.mpi.polar_batched(COMM, a, method=method, compute_h=compute_h)
    for i, x in enumerate(a):
        u1, h1, info1 = polarkit.polar(x, method=method, compute_h=compute_h)
        assert u[i].tobytes() == u1.tobytes(), i
        if compute_h:
            assert h[i].tobytes() == h1.tobytes(), i
        assert infos[i].iterations == info1.iterations
        assert infos[i].method_used == info1.method_used


def test_step_batched_sharded_equals_one_process():
    w = matrices(np.float32, 1)
    g = matrices(np.float32, 2)
    owners = polarkit.mpi.owners(COMM.Get_size(), SHAPES, kind="muon")
    m = [np.zeros(s, np.float32) if owners[i] == COMM.Get_rank() else None
         for i, s in enumerate(SHAPES)]
    w_ref = [x.copy() for x in w]
    m_ref = [np.zeros(s, np.float32) for s in SHAPES]
    polarkit.mpi.step_batched(COMM, w, g, m, kind="muon", lr=0.02, shard_state=True)
    import polarkit._optim as optim
    for i in range(len(SHAPES)):
        optim.step_group("muon", {"lr": "0.02"}, [w_ref[i]], [g[i]], [m_ref[i]])
        assert w[i].tobytes() == w_ref[i].tobytes(), i
        if m[i] is not None:
            assert m[i].tobytes() == m_ref[i].tobytes(), i


def test_mismatched_lists_raise_on_every_rank():
    a = matrices(np.float64)
    if COMM.Get_size() > 1 and COMM.Get_rank() == COMM.Get_size() - 1:
        a = a[:-1]
    if COMM.Get_size() == 1:
        pytest.skip("needs two ranks")
    with pytest.raises(polarkit.InvalidArgumentError, match="differ across ranks"):
        polarkit.mpi.polar_batched(COMM, a, method="muon", compute_h=False)


def test_nan_raises_on_every_rank():
    a = matrices(np.float64)
    a[3][0, 0] = np.nan
    with pytest.raises(polarkit.NonFiniteInputError):
        polarkit.mpi.polar_batched(COMM, a, method="qdwh")
