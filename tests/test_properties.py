"""Property-based cross-validation: random permutation-invariant models through
every steady-state route against a full 2^N reference built here from
single-site operators (no code of the package involved in the reference).
"""

import numpy as np
import pytest
import qutip
import scipy.sparse.linalg as spl
from threadpoolctl import threadpool_limits
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

import qutip_mmi as qm
from qutip_mmi.steadystate import BlockSolver

# no shrinking (a failing example is reported as drawn: shrinking these models
# took minutes) and no example database in the checkout
PROPERTY = settings(max_examples=12, deadline=None, database=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------- the reference
def _site(op, i, N):
    return qutip.tensor([op if k == i else qutip.qeye(2) for k in range(N)])


def reference(model):
    """(I_M/N, S(rho_T), (mx, my, mz)) of the 2^N steady state of ``model``.

    H and the jumps are written from sigma_a^(i) with the conventions of
    PIModel (degree-d monomial c * N^(1-d) J_a1...J_ad, (rate/N) D[L] collective,
    piqs local rates); entropies from partial traces.
    """
    N = model.N
    paulis = {"x": qutip.sigmax(), "y": qutip.sigmay(), "z": qutip.sigmaz()}
    J = {a: 0.5 * sum(_site(p, i, N) for i in range(N)) for a, p in paulis.items()}
    H = 0 * J["z"]
    for key, c in model.hamiltonian.items():
        term = J[key[0]]
        for a in key[1:]:
            term = term * J[a]
        H += c * N ** (1 - len(key)) * term
    c_ops = []
    for jump in model.collective:
        L = (jump.plus * (J["x"] + 1j * J["y"]) + jump.minus * (J["x"] - 1j * J["y"])
             + jump.z * J["z"])
        c_ops.append(np.sqrt(jump.rate / N) * L)
    local = [(model.emission, qutip.sigmam()), (model.pumping, qutip.sigmap()),
             (model.dephasing, 0.5 * qutip.sigmaz())]
    for rate, op in local:
        if rate > 0:
            c_ops += [np.sqrt(rate) * _site(op, i, N) for i in range(N)]
    rho = _kernel(qutip.liouvillian(H, c_ops), 2 ** N)
    rho = qutip.Qobj(0.5 * (rho + rho.conj().T), dims=[[2] * N, [2] * N])
    rho = rho / rho.tr()
    singles = [rho.ptrace(i) for i in range(N)]
    s_total = qutip.entropy_vn(rho)
    mmi = sum(qutip.entropy_vn(r) for r in singles) - s_total
    m = [np.mean([qutip.expect(p, r) for r in singles]) for p in paulis.values()]
    return mmi / N, s_total, np.array(m)


def _kernel(L, d):
    """The trace-one solution of L rho = 0: the first equation replaced by the
    trace (a sparse row), then a sparse LU (one BLAS thread: far faster here)."""
    A = L.data_as("csr_matrix").tolil()
    A[0, :] = 0
    A[0, np.arange(d) * (d + 1)] = 1.0  # column-stacked: element (i, i) at i(d+1)
    b = np.zeros(d * d, complex)
    b[0] = 1.0
    with threadpool_limits(1):
        x = spl.splu(A.tocsc(), permc_spec="MMD_AT_PLUS_A").solve(b)
    return x.reshape(d, d, order="F")


# ------------------------------------------------------------ random models
_MONOMIALS = ["x", "y", "z", "xx", "yy", "zz", "xz", "xy", "yz", "xxx", "zzz", "xyz",
              "xzz", "zxx"]


@st.composite
def models(draw, N=st.integers(2, 5), conserving=False):
    """A random Hermitian PIModel with collective and local dissipation.

    ``conserving`` restricts to U(1)-symmetric terms (only z monomials and
    collective jumps along a single one of J+, J-, Jz).
    """
    n = draw(N)
    coeff = st.floats(-2.0, 2.0, allow_nan=False).filter(lambda c: abs(c) > 1e-3)
    H = {}
    names = ["z", "zz", "zzz"] if conserving else _MONOMIALS
    for key in draw(st.lists(st.sampled_from(names), min_size=0, max_size=3,
                             unique=True)):
        c = draw(coeff)
        H[key] = H.get(key, 0.0) + c
        if key[::-1] != key:  # the reversed product is its adjoint: Hermitian sum
            H[key[::-1]] = H.get(key[::-1], 0.0) + c
    cplx = st.builds(complex, st.floats(-1.5, 1.5), st.floats(-1.5, 1.5)).filter(
        lambda z: abs(z) > 1e-2)
    jumps = []
    for _ in range(draw(st.integers(0, 2))):
        rate = 10 ** draw(st.floats(-1.0, 1.0))
        if conserving:
            which = draw(st.sampled_from(["plus", "minus", "z"]))
            jumps.append(qm.CollectiveJump(rate, **{which: draw(cplx)}))
        else:
            plus, minus, z = (draw(st.one_of(st.just(0j), cplx)) for _ in range(3))
            if plus == minus == z == 0:
                minus = 1.0
            jumps.append(qm.CollectiveJump(rate, plus=plus, minus=minus, z=z))
    decade = st.floats(-2.0, 1.0)
    # emission or pumping present: the steady state is then unique
    emission = 10 ** draw(decade)
    pumping = draw(st.one_of(st.just(0.0), decade.map(lambda e: 10 ** e)))
    dephasing = draw(st.one_of(st.just(0.0), decade.map(lambda e: 10 ** e)))
    if draw(st.booleans()):
        emission, pumping = pumping, emission
    if emission == pumping == 0.0:
        emission = 1.0
    return qm.PIModel(n, H, jumps, emission=emission, pumping=pumping,
                      dephasing=dephasing)


def _assert_matches(state, ref, tol=1e-10):
    mmi_n, s_total, m = ref
    assert qm.mutual_information(state, per_unit=True) == pytest.approx(mmi_n, abs=tol)
    assert qm.entropy(state) == pytest.approx(s_total, abs=tol * max(1, s_total))
    assert np.allclose(qm.magnetization(state), m, atol=tol, rtol=0)


@PROPERTY
@given(models())
def test_random_models_blocks_auto_exact(model):
    ref = reference(model)
    for method in ("blocks", "auto", "exact"):
        _assert_matches(qm.steady_state(model, method), ref)


def test_one_random_model_at_N6():
    # N = 6 is outside the drawn sizes: its 4096^2 reference LU takes ~20 s
    model = qm.PIModel(
        6, {"x": 0.5, "xz": 0.3, "zx": 0.3, "yyy": -0.4},
        [qm.CollectiveJump(2.27, z=-0.46 - 1.5j), qm.CollectiveJump(1.0, minus=1, plus=0.3j)],
        emission=0.08, pumping=1.0, dephasing=0.02)
    ref = reference(model)
    for method in ("blocks", "auto", "exact"):
        _assert_matches(qm.steady_state(model, method), ref)


@PROPERTY
@given(models(conserving=True))
def test_random_u1_models_rates(model):
    assert model.conserves_excitations()
    ref = reference(model)
    state = qm.steady_state(model)  # auto -> rates
    assert state.info.method == "rates"
    _assert_matches(state, ref)
    _assert_matches(qm.steady_state(model, "blocks"), ref)


@PROPERTY
@given(st.integers(6, 14),
       st.lists(st.tuples(st.floats(-1.0, 1.0), st.floats(0.2, 4.0)), min_size=2,
                max_size=5),
       st.sampled_from([0, 80]))
def test_random_warm_start_sequences_equal_cold_solves(N, points, refactor):
    """One BlockSolver along a random path (warm starts, stale factors, re-pins)
    gives the cold solve at every point."""
    solver = BlockSolver({"refactor_iterations": refactor})
    for field, Gamma in points:
        model = qm.LMG(N, field=field, Gamma=Gamma)
        warm = solver.solve(model)
        cold = qm.steady_state(model, "blocks")
        assert qm.mutual_information(warm) == pytest.approx(
            qm.mutual_information(cold), abs=1e-9)
        assert np.allclose(qm.magnetization(warm), qm.magnetization(cold), atol=1e-10)
