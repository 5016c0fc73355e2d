"""qutip_mmi.spectrum against the full 2^N Liouvillian built here from single-site
operators, its restriction to permutation-invariant operators, and a dense
diagonalization of the reduced operator."""

import itertools
import json

import numpy as np
import pytest
import qutip
import scipy.sparse as sp
from hypothesis import given, settings, strategies as st

import qutip_mmi as qm
from qutip_mmi import exact
from qutip_mmi.steadystate.liouvillian import QLayout, assemble

TOL = 1e-9


# ----------------------------------------------------------- references
def full_liouvillian(model):
    """The 2^N Liouvillian of ``model`` from single-site operators (qutip.tensor)."""
    N = model.N
    eye = qutip.qeye(2)

    def site(op, i):
        return qutip.tensor([op if k == i else eye for k in range(N)])

    sp_, sm, sz = qutip.sigmap(), qutip.sigmam(), qutip.sigmaz()
    J = {"x": sum(site(qutip.sigmax() / 2, i) for i in range(N)),
         "y": sum(site(qutip.sigmay() / 2, i) for i in range(N)),
         "z": sum(site(sz / 2, i) for i in range(N))}
    Jp = sum(site(sp_, i) for i in range(N))
    Jm = sum(site(sm, i) for i in range(N))
    H = 0 * J["z"]
    for key, c in model.hamiltonian.items():
        term = J[key[0]]
        for a in key[1:]:
            term = term * J[a]
        H = H + c * float(N) ** (1 - len(key)) * term
    c_ops = []
    for jump in model.collective:
        c_ops.append(np.sqrt(jump.rate / N) * (jump.plus * Jp + jump.minus * Jm
                                               + jump.z * J["z"]))
    for i in range(N):
        if model.emission:
            c_ops.append(np.sqrt(model.emission) * site(sm, i))
        if model.pumping:
            c_ops.append(np.sqrt(model.pumping) * site(sp_, i))
        if model.dephasing:
            c_ops.append(np.sqrt(model.dephasing) * site(sz / 2, i))
        for jump in model.local:  # rate D[plus s+ + minus s- + z sz/2 + identity]
            op = jump.plus * sp_ + jump.minus * sm + jump.z * sz / 2 + jump.identity * eye
            c_ops.append(np.sqrt(jump.rate) * site(op, i))
    return qutip.liouvillian(H, c_ops).to("csr").data.as_scipy().tocsr()


def symmetric_basis(N):
    """Orthonormal basis (columns) of the permutation-invariant operators, as
    column-stacked vectors of the 2^N space: symmetrized E_{a1 b1} x ... x E_{aN bN},
    one per multiset of single-site types (a, b)."""
    D = 2 ** N
    classes = {}
    rows, cols = [], []
    for r, c in itertools.product(range(D), repeat=2):
        types = [2 * ((r >> s) & 1) + ((c >> s) & 1) for s in range(N)]
        key = tuple(np.bincount(types, minlength=4))
        cols.append(classes.setdefault(key, len(classes)))
        rows.append(r + c * D)
    cols = np.array(cols)
    size = np.bincount(cols)
    V = sp.csr_matrix((1 / np.sqrt(size[cols]), (rows, cols)), shape=(D * D, len(classes)))
    return V


def symmetric_spectrum(model):
    """Eigenvalues of the full Liouvillian on the permutation-invariant operators
    (an invariant subspace: checked), and the full Liouvillian itself."""
    L = full_liouvillian(model)
    V = symmetric_basis(model.N).toarray()
    LV = L @ V
    M = V.conj().T @ LV
    assert np.abs(LV - V @ M).max() < 1e-12 * max(abs(L).max(), 1)
    return np.linalg.eigvals(M), L


def dense_reduced(model):
    N = model.N
    return np.linalg.eigvals(assemble(model, QLayout(N, range(-N, N + 1))).toarray())


def assert_subset(vals, reference, tol=TOL):
    for z in vals:
        assert np.min(np.abs(reference - z)) < tol, (z, reference)


def assert_nearest(res, reference, target=0.0, zeros=1):
    """res.eigenvalues are the nearest ``target`` among ``reference`` (minus zeros)."""
    ref = np.asarray(reference)
    ref = ref[np.argsort(np.abs(ref))][zeros:]  # zeros are reported apart
    assert_subset(res.eigenvalues, ref)
    far = np.abs(res.eigenvalues - target).max()
    nearer = ref[np.abs(ref - target) < far - 1e-7]
    assert_subset(nearer, res.eigenvalues)
    assert len(res.eigenvalues) >= min(len(ref), 1)


def assert_pairs(vals):
    vals = np.asarray(vals)
    assert_subset(np.conj(vals), vals, 1e-10)


def assert_sorted(vals):
    assert np.all(np.diff(vals.real) <= 1e-12)


# ------------------------------------------------------------------ models
@st.composite
def models(draw, n_min=2, n_max=6):
    N = draw(st.integers(n_min, n_max))
    f = st.floats(-1.5, 1.5, allow_nan=False).filter(lambda x: abs(x) > 0.05)
    r = st.floats(0.1, 1.5)
    xz = draw(f)
    H = {"x": draw(f), "z": draw(f), "zz": draw(f), "xz": xz, "zx": xz, "yy": draw(f)}
    jumps = [qm.CollectiveJump(draw(r), minus=draw(f), z=draw(f)),
             qm.CollectiveJump(draw(r), plus=complex(draw(f), draw(f)))]
    local = [qm.LocalJump(draw(r), plus=complex(draw(f), draw(f)), minus=draw(f),
                          z=draw(f), identity=complex(draw(f), draw(f)))]
    return qm.PIModel(N, H, jumps, emission=draw(r), pumping=draw(r),
                      dephasing=draw(r), local=local)


@settings(max_examples=10, deadline=None)
@given(models(), st.integers(1, 8), st.booleans())
def test_random_models_match_full_liouvillian(model, k, arnoldi):
    """Every returned eigenvalue is one of the full 2^N Liouvillian (the ones of
    non-symmetric sectors are expected to be absent), and they are the k nearest
    zero of the reduced operator's dense spectrum."""
    k = min(k, qm.num_dicke_states(model.N) - 1)
    opts = {"dense_max": 0} if arnoldi else {"dense_max": 10 ** 6}
    res = qm.spectrum(model, k=k, options=opts)
    sym, _ = symmetric_spectrum(model)
    assert_subset(res.eigenvalues, sym)
    dense = dense_reduced(model)
    # the reduced operator has exactly the symmetric spectrum
    assert_subset(dense, sym, 1e-8)
    assert_subset(sym, dense, 1e-8)
    assert_nearest(res, dense)
    assert len(res.eigenvalues) in (k, k + 1)
    assert abs(res.zero_eigenvalue) < 1e-12 and res.num_zero == 1
    assert_pairs(res.eigenvalues)
    assert_sorted(res.eigenvalues)
    assert res.residuals.max() < 1e-9
    assert res.sectors is None
    assert res.gap == pytest.approx(-res.eigenvalues.real.max())


def test_full_space_has_more_eigenvalues():
    """The full 2^N spectrum contains the returned ones and, in its
    non-permutation-invariant sectors, others that the reduced space lacks."""
    model = qm.LMG(3, field=0.5, Gamma=2.0)
    sym, L = symmetric_spectrum(model)
    full = np.linalg.eigvals(L.toarray())
    res = qm.spectrum(model, k=19)  # all 20 but the zero
    assert_subset(res.eigenvalues, full)
    assert len(sym) == 20 and len(full) == 64
    missing = [z for z in full if np.min(np.abs(sym - z)) > 1e-6]
    assert missing  # eigenvalues of non-symmetric sectors: expected absent


@pytest.mark.parametrize("N", [5, 6])
def test_lmg_arnoldi_and_dense_against_full(N):
    model = qm.LMG(N, field=0.5, Gamma=2.0)
    sym, _ = symmetric_spectrum(model)
    for opts in ({"dense_max": 0}, {}):
        res = qm.spectrum(model, k=6, options=opts)
        assert_subset(res.eigenvalues, sym)
        assert_nearest(res, sym)
        assert abs(res.zero_eigenvalue) < 1e-12


def test_medium_size_against_dense_reduced():
    model = qm.LMG(12, field=0.5, Gamma=2.0)
    dense = dense_reduced(model)
    for solver in ("direct", "gmres"):
        res = qm.spectrum(model, k=6, options={"solver": solver})
        assert_nearest(res, dense)
        assert_pairs(res.eigenvalues)
        assert res.residuals.max() < TOL
        assert abs(res.zero_eigenvalue) < 1e-12


@pytest.mark.parametrize("sigma", [-1.0, -0.8 + 1.1j])
@pytest.mark.parametrize("solver", ["direct", "gmres"])
def test_shift(sigma, solver):
    model = qm.LMG(8, field=0.5, Gamma=2.0)
    dense = dense_reduced(model)
    res = qm.spectrum(model, k=4, sigma=sigma, options={"solver": solver, "dense_max": 0})
    assert_nearest(res, dense, target=sigma)
    if np.imag(sigma) == 0:
        assert_pairs(res.eigenvalues)


# ----------------------------------------------------------------- sectors
def test_u1_sectors():
    model = qm.LMG(6, field=0.0, Gamma=2.0)
    assert model.conserves_excitations()
    sym, _ = symmetric_spectrum(model)
    res = qm.spectrum(model, k=8, options={"eigenvectors": True, "dense_max": 0})
    assert_subset(res.eigenvalues, sym)
    assert_nearest(res, dense_reduced(model))
    assert_pairs(res.eigenvalues)
    assert res.sectors is not None and len(res.sectors) == len(res.eigenvalues)
    L = assemble(model, QLayout(6, range(-6, 7)))
    layout = QLayout(6, range(-6, 7))
    from qutip_mmi._spectrum_build import vector_of
    for z, q, vec in zip(res.eigenvalues, res.sectors, res.eigenvectors):
        x = vector_of(layout, vec)
        assert np.abs(x[layout.m - layout.mp != q]).max() == 0   # lives in sector q
        assert np.linalg.norm(L @ x - z * x) < 1e-10 * np.linalg.norm(x)
    # one sector on its own: its dense spectrum
    for q in (1, -2):
        one = qm.spectrum(model, k=3, sector=q)
        block = np.linalg.eigvals(assemble(model, QLayout(6, [q])).toarray())
        assert np.all(one.sectors == q)
        assert_nearest(one, block, zeros=0)
        assert one.num_zero == 0
    zero = qm.spectrum(model, k=3, options={"sector": 0})
    assert zero.num_zero == 1 and abs(zero.zero_eigenvalue) < 1e-12


def test_no_local_process_reports_zeros():
    model = qm.LMG(6, field=0.5, Gamma=2.0, gamma=0.0)
    dense = dense_reduced(model)
    expected = int(np.sum(np.abs(dense) < 1e-9))
    assert expected == len(qm.j_values(6))  # one stationary state per J block
    for opts in ({"dense_max": 0}, {}):
        res = qm.spectrum(model, k=4, options=opts)
        assert res.num_zero == expected
        assert_nearest(res, dense, zeros=expected)
        slow = qm.spectrum(model, k=4, which="slowest", options=opts)
        assert slow.num_zero == expected
        assert_slowest(slow, dense, zeros=expected)


def test_eigenvectors_in_full_space():
    """Right eigenvectors, embedded in the 2^N space, solve the full problem."""
    model = qm.BoundaryTimeCrystal(4, omega=1.0, kappa=1.0, dephasing=0.3)
    res = qm.spectrum(model, k=4, options={"eigenvectors": True, "dense_max": 0})
    L = full_liouvillian(model)
    for z, vec in zip(res.eigenvalues, res.eigenvectors):
        assert isinstance(vec, qm.PIState)
        X = exact.embed(vec).full().ravel(order="F")
        assert np.linalg.norm(L @ X - z * X) < 1e-9 * np.linalg.norm(X)


# -------------------------------------------------------- results and input
def test_result_object():
    res = qm.spectrum(qm.LMG(6, field=0.5, Gamma=2.0), k=3)
    d = json.loads(json.dumps(res.as_dict()))
    assert len(d["eigenvalues"]) == len(res.eigenvalues)
    assert d["eigenvalues"][0] == [res.eigenvalues[0].real, res.eigenvalues[0].imag]
    assert d["frequencies"] == list(res.frequencies)
    assert "SpectrumResult(N=6" in repr(res) and "gap=" in repr(res)
    assert res.seconds > 0 and res.method


@pytest.mark.parametrize("kwargs, match", [
    ({"k": 0}, "k must be >= 1"),
    ({"k": 2.5}, "k must be a positive integer"),
    ({"k": 1000}, "k=1000 is larger"),
    ({"sigma": float("nan")}, "sigma must be finite"),
    ({"sigma": complex(1, float("inf"))}, "sigma must be finite"),
    ({"sector": 1}, "does not conserve q"),
])
def test_bad_input(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        qm.spectrum(qm.LMG(4, field=0.5), **kwargs)


@pytest.mark.parametrize("sector, match", [(5, "does not exist"), (1.5, "integer"),
                                            (-7, "does not exist")])
def test_bad_sector(sector, match):
    with pytest.raises(ValueError, match=match):
        qm.spectrum(qm.LMG(4), sector=sector)


def test_bad_options():
    with pytest.raises(KeyError, match="unknown option"):
        qm.spectrum(qm.LMG(4), options={"eigenvector": True})
    with pytest.raises(TypeError, match="PIModel"):
        qm.spectrum("LMG")


def test_cli(capsys):
    from qutip_mmi.cli import main
    assert main(["spectrum", "--N", "6", "--field", "0.5", "--Gamma", "2", "--k", "4",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ref = qm.spectrum(qm.LMG(6, field=0.5, Gamma=2.0), k=4)
    assert np.allclose([complex(*z) for z in out["eigenvalues"]], ref.eigenvalues,
                       atol=1e-10)
    assert main(["spectrum", "--N", "6", "--k", "2"]) == 0
    assert "gap" in capsys.readouterr().out
    # the slowest: the largest real parts of the dense reduced spectrum (N = 20)
    assert main(["spectrum", "--N", "20", "--field", "0.5", "--Gamma", "2", "--k", "3",
                 "--which", "slowest", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["which"] == "slowest" and "exp(tau L)" in out["method"]
    ref = dense_reduced(qm.LMG(20, field=0.5, Gamma=2.0))
    ref = ref[np.argsort(-ref.real)][1:]  # the zero first
    got = np.array([complex(*z) for z in out["eigenvalues"]])
    assert len(got) >= 3
    assert_subset(got, ref)
    assert out["gap"] == pytest.approx(-ref.real.max(), abs=1e-9)


# ------------------------------------------------------- which="slowest"
def assert_slowest(res, reference, zeros=1):
    """res.eigenvalues are the largest-real-part ones of ``reference`` (zeros apart)."""
    ref = np.asarray(reference)
    ref = np.delete(ref, np.argsort(np.abs(ref))[:zeros])
    assert_subset(res.eigenvalues, ref)
    slowest_missing = ref[ref.real > res.eigenvalues.real.min() + 1e-7]
    assert_subset(slowest_missing, res.eigenvalues)
    assert res.gap == pytest.approx(-ref.real.max(), abs=1e-9)


@settings(max_examples=8, deadline=None)
@given(models(2, 5), st.integers(1, 6))
def test_slowest_match_full_liouvillian_through_the_propagator(model, k):
    sym, _ = symmetric_spectrum(model)
    # dense_max=0: the propagator (Arnoldi on exp(tau L)) even for tiny spaces
    res = qm.spectrum(model, k=k, which="slowest", options={"dense_max": 0})
    assert "exp(tau L)" in res.method or "dense" in res.method
    assert_slowest(res, sym)
    assert_pairs(res.eigenvalues)
    assert_sorted(res.eigenvalues)
    assert res.residuals.max() < 1e-8
    assert abs(res.zero_eigenvalue) < 1e-10


def test_slowest_lmg_against_dense_reduced_and_u1_sectors():
    model = qm.LMG(24, field=0.5, Gamma=2.0)  # 2925 unknowns: the propagator
    ref = dense_reduced(model)
    res = qm.spectrum(model, k=6, which="slowest")
    assert "exp(tau L)" in res.method and res.info["products"] > 0
    assert_slowest(res, ref)
    assert res.residuals.max() < 1e-8
    # nearest 0 holds a slower-decaying but less oscillating mode (-1.46 +- 0.50i)
    # than the sixth slowest (-0.89 +- 1.90i): the two questions differ here
    near = qm.spectrum(model, k=6)
    assert_nearest(near, ref)
    assert np.abs(near.eigenvalues.real).max() > np.abs(res.eigenvalues.real).max() + 0.1
    assert res.gap == pytest.approx(near.gap, abs=1e-9)
    # a q-conserving model: sector by sector, the slowest overall
    u1 = qm.LMG(16, Gamma=2.0)
    res = qm.spectrum(u1, k=5, which="slowest", options={"dense_max": 0})
    assert_slowest(res, dense_reduced(u1))
    assert res.sectors is not None and len(res.sectors) == len(res.eigenvalues)


@pytest.mark.parametrize("kwargs, match", [
    ({"which": "fastest"}, "which"),
    ({"which": "slowest", "sigma": -1.0}, "sigma"),
    ({"which": "slowest", "options": {"solver": "gmres"}}, "solver"),
    ({"options": {"solver": "propagator"}}, "solver"),
    ({"which": "slowest", "options": {"which": "nearest"}}, "which"),
])
def test_slowest_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        qm.spectrum(qm.LMG(6, field=0.5), **kwargs)
