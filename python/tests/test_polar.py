"""polarkit's Python package against scipy.linalg.polar, and its zero-copy and error rules."""
import numpy as np
import pytest
import scipy.linalg

import polarkit

EPS = {np.float32: np.finfo(np.float32).eps, np.float64: np.finfo(np.float64).eps}


def matrix(m, n, kappa, dtype, seed):
    """A = P·diag(σ)·Qᵀ with Haar P, Q and geometric σ from 1 to 1/κ."""
    rng = np.random.default_rng(seed)
    k = min(m, n)
    p, _ = np.linalg.qr(rng.standard_normal((m, k)))
    q, _ = np.linalg.qr(rng.standard_normal((n, k)))
    return ((p * np.geomspace(1.0, 1.0 / kappa, k)) @ q.T).astype(dtype)


def ortho(u):
    """‖UᵀU − I‖_F/√k (UUᵀ for a wide U), in double."""
    u = u.astype(np.float64)
    g = u.T @ u if u.shape[0] >= u.shape[1] else u @ u.T
    return np.linalg.norm(g - np.eye(g.shape[0])) / np.sqrt(g.shape[0])


SHAPES = [(30, 30), (40, 25), (25, 40)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("order", ["C", "F"])
def test_polar_agrees_with_scipy(dtype, shape, side, order):
    a = np.asarray(matrix(*shape, 100.0, dtype, 1), order=order)
    u, h, info = polarkit.polar(a, side=side)
    u_ref, h_ref = scipy.linalg.polar(a.astype(np.float64), side=side)
    eps = EPS[dtype]
    k = min(shape)
    assert info.converged
    assert info.rank == k
    assert u.dtype == dtype and h.dtype == dtype
    assert u.shape == a.shape and h.shape == h_ref.shape
    # The accuracy bars of the C++ tests: 13ε per √k for U, and A = UH (or HU) to rounding.
    assert ortho(u) <= 13 * eps
    recon = u.astype(np.float64) @ h if side == "right" else h.astype(np.float64) @ u
    assert np.linalg.norm(a - recon) <= 13 * np.sqrt(k) * eps * np.linalg.norm(a)
    # The same factors as SciPy's (unique for a full-rank A): U moves by at most κ = 100 times
    # the two backward errors, ours ≤ 13√k·ε above and SciPy's gesdd ≤ 100·k·ε (measured 30–70u
    # at n = 1024–2048), in float against SciPy's double.
    assert np.linalg.norm(u - u_ref) <= 100 * (13 * np.sqrt(k) + 100 * k) * eps
    assert np.linalg.norm(h - h_ref) <= 100 * k * eps * np.linalg.norm(h_ref)
    assert np.allclose(h, h.T, atol=10 * eps * np.abs(h).max())


def test_methods_and_options_reach_the_library():
    a = matrix(50, 40, 10.0, np.float64, 2)
    for method in ["svd", "qdwh", "zolo", "newton", "polar-express-adaptive", "auto"]:
        u, h, info = polarkit.polar(a, method=method, backward_error=True)
        assert info.method == method
        assert info.backward_error <= 13 * np.sqrt(40) * EPS[np.float64]
    u, info = polarkit.msign(a, method="muon")
    assert info.iterations == 5 and info.rank == -1 and not info.converged
    _, _, info = polarkit.polar(a, method="polar-express", steps=3)
    assert info.iterations == 3
    _, _, info = polarkit.polar(a, method="qdwh", max_iter=1)
    assert info.iterations == 1 and not info.converged
    assert "PolarInfo(method=qdwh" in repr(info)
    with pytest.raises(dataclasses_frozen_error()):
        info.iterations = 7


def dataclasses_frozen_error():
    import dataclasses
    return dataclasses.FrozenInstanceError


def test_zero_copy_for_c_and_f_order_and_out_written_in_place():
    a = matrix(40, 30, 10.0, np.float64, 3)
    before = polarkit._polar._copies()
    for arr in [np.ascontiguousarray(a), np.asfortranarray(a), np.asfortranarray(a.T).T,
                a[::1, :]]:
        polarkit.polar(arr)
    # A view with a leading dimension (every other row of a bigger C-ordered array is not one,
    # a block of columns is).
    big = np.asfortranarray(matrix(50, 40, 10.0, np.float64, 4))
    polarkit.polar(big[5:45, 3:33])
    assert polarkit._polar._copies() == before
    u = np.empty((40, 30), order="F")
    h = np.empty((30, 30))
    u2, h2, _ = polarkit.polar(a, out=(u, h))
    assert u2 is u and h2 is h
    u_ref, h_ref, _ = polarkit.polar(a)
    assert np.array_equal(u, u_ref) and np.array_equal(h, h_ref)
    # Other strides are copied once each way, and counted.
    polarkit.polar(big[::2, ::2])
    assert polarkit._polar._copies() == before + 1


def test_optional_outputs_and_states_must_match_their_argument():
    # An H output, or an optimizer's momentum, of another dtype or count is refused before
    # anything is written.
    a = matrix(10, 8, 10.0, np.float64, 5)
    u = np.full((10, 8), 7.0)
    h = np.full((8, 8), 7.0, dtype=np.float32)
    with pytest.raises(polarkit.InvalidArgumentError, match=r"out \(H\): dtype differs from a's"):
        polarkit.polar(a, out=(u, h))
    assert np.all(u == 7.0) and np.all(h == 7.0)
    from polarkit import _optim
    hyper = {k: v for k, v in _optim.check("muon", {}).items() if k != "kind"}
    w = np.zeros((6, 4), np.float32)
    g = np.ones((6, 4), np.float32)
    with pytest.raises(polarkit.InvalidArgumentError, match="m: dtype differs from w's"):
        _optim.step_group("muon", hyper, [w], [g], [np.zeros((6, 4), np.float64)])
    with pytest.raises(polarkit.InvalidArgumentError, match="m: 2 matrices, w has 1"):
        _optim.step_group("muon", hyper, [w], [g], [np.zeros((6, 4), np.float32)] * 2)
    assert np.all(w == 0.0)


def test_polar_batched_equals_a_loop():
    stack = np.stack([matrix(20, 15, k, np.float64, 5 + i) for i, k in enumerate([1.0, 10.0, 1e3])])
    for method in ["polar-express-adaptive", "qdwh"]:
        u, h, infos = polarkit.polar_batched(stack, method=method)
        assert u.shape == stack.shape and h.shape == (3, 15, 15) and len(infos) == 3
        for i in range(3):
            ui, hi, info = polarkit.polar(stack[i], method=method)
            assert np.array_equal(u[i], ui) and np.array_equal(h[i], hi)
            assert info.iterations == infos[i].iterations
        ul, hl, _ = polarkit.polar_batched(list(stack), method=method)
        assert all(np.array_equal(ul[i], u[i]) for i in range(3))


def test_errors_are_documented_exceptions_and_nothing_is_written():
    a = matrix(10, 8, 10.0, np.float64, 6)
    with pytest.raises(polarkit.InvalidArgumentError):
        polarkit.polar(a.astype(np.int64))
    with pytest.raises(ValueError):  # InvalidArgumentError is a ValueError too
        polarkit.polar(np.zeros(5))
    bad = a.copy()
    bad[2, 3] = np.nan
    with pytest.raises(polarkit.NonFiniteInputError) as e:
        polarkit.polar(bad)
    assert "NaN" in str(e.value)
    u = np.full((9, 8), 7.0)
    with pytest.raises(polarkit.InvalidArgumentError):
        polarkit.polar(a, out=u)
    assert np.all(u == 7.0)
    u = np.full((10, 8), 7.0, dtype=np.float32)
    with pytest.raises(polarkit.InvalidArgumentError):
        polarkit.polar(a, out=u)
    assert np.all(u == 7.0)
    with pytest.raises(polarkit.InvalidArgumentError):
        polarkit.polar(a, method="nope")
    with pytest.raises(TypeError):
        polarkit.polar(a, nonsense=1)
    assert issubclass(polarkit.OutOfMemoryError, MemoryError)
    assert issubclass(polarkit.InvalidArgumentError, polarkit.Error)


def test_rank_deficient_and_condition():
    a = np.ones((4, 3))
    u, h, info = polarkit.polar(a, method="qdwh")
    assert info.rank == 1 and info.converged and ortho(u) <= 13 * EPS[np.float64]
    c = polarkit.estimate_condition(matrix(30, 30, 1e3, np.float64, 7))
    assert 1e3 * 0.9 <= c.kappa <= 1e3 * 30


def test_torch_tensors_in_torch_tensors_out():
    torch = pytest.importorskip("torch")
    a = matrix(30, 20, 10.0, np.float32, 8)
    t = torch.from_numpy(a.copy())
    u, h, info = polarkit.polar(t)
    assert isinstance(u, torch.Tensor) and u.dtype == torch.float32 and u.shape == (30, 20)
    un, hn, _ = polarkit.polar(a)
    assert np.array_equal(u.numpy(), un) and np.array_equal(h.numpy(), hn)
    # A transposed tensor (column-major memory) is read in place too.
    before = polarkit._polar._copies()
    polarkit.polar(torch.from_numpy(np.ascontiguousarray(a.T)).T)
    assert polarkit._polar._copies() == before
    g, _ = polarkit.msign(t, method="muon")
    assert isinstance(g, torch.Tensor)


def _cuda_torch():
    """torch, where it sees a CUDA device; the test skips otherwise (no GPU on CI)."""
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    return torch


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cuda_tensors_are_solved_on_their_device(dtype):
    torch = _cuda_torch()
    a = matrix(300, 200, 100.0, np.dtype(dtype).type, 9)
    t = torch.from_numpy(a).to("cuda")
    try:
        u, h, info = polarkit.polar(t)
    except polarkit.NotCompiledError:
        pytest.skip("this build has no CUDA backend")
    assert u.device == t.device and h.device == t.device
    assert str(u.dtype) == f"torch.{dtype}"
    eps = EPS[np.dtype(dtype).type]
    u_host = u.cpu().numpy()
    assert ortho(u_host) <= 13 * eps
    recon = u_host.astype(np.float64) @ h.cpu().numpy()
    assert np.linalg.norm(a - recon) <= 13 * np.sqrt(200) * eps * np.linalg.norm(a)
    # Muon's direction of a C-ordered weight on the device, in place of out=.
    out = torch.empty_like(t)
    g, _ = polarkit.msign(t, method="muon", out=out)
    assert g.data_ptr() == out.data_ptr()
    g_host, _ = polarkit.msign(a, method="muon")
    assert np.abs(g.cpu().numpy() - g_host).max() <= 100 * 200 * eps
