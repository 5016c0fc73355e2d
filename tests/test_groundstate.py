"""Ground-state I_M of the ferromagnetic LMG model (Appendix B, Fig. 2)."""

import math

import numpy as np
import pytest
import qutip

from qutip_mmi.groundstate import GroundStateResult, ground_state_mmi
from qutip_mmi.information import binary_entropy, mutual_information

LN2 = math.log(2)


def test_h0_even_N_is_dicke_m0_with_ln2():
    for N in (2, 10, 100, 1000):
        r = ground_state_mmi(N, -1.0, 0.0)
        assert isinstance(r, GroundStateResult)
        assert abs(r.mmi_per_unit - LN2) < 1e-14
        assert np.allclose(r.magnetization, 0.0, atol=1e-15)
        assert abs(r.mmi - N * LN2) < 1e-10 * N


def test_h0_odd_N_approaches_ln2_monotonically():
    Ns = [3, 5, 11, 51, 101, 1001]
    vals = [ground_state_mmi(N, -1.0, 0.0).mmi_per_unit for N in Ns]
    assert all(a < b for a, b in zip(vals, vals[1:]))
    for N, v in zip(Ns, vals):
        # m = +1/2 Dicke state: mz = 1/N, ln2 - b(1/N) ~ 1/(2 N^2)
        assert 0 < LN2 - v <= 1.0 / N**2
        assert v == pytest.approx(binary_entropy(1.0 / N), abs=1e-14)


@pytest.mark.parametrize("h", [0.05, 0.5, -0.5])
def test_fixed_field_decreases_with_N(h):
    Ns = [10, 20, 40, 80, 160, 1000]
    vals = [ground_state_mmi(N, -1.0, h).mmi_per_unit for N in Ns]
    assert all(a > b for a, b in zip(vals, vals[1:]))
    r = ground_state_mmi(1000, -1.0, h)
    assert np.sign(r.mx) == -np.sign(h)  # m -> (-sgn h, 0, 0)


def test_large_N_against_dense_diagonalization():
    # a pure symmetric state: S(rho_T) = 0, so I_M/N = b(|m|) with m = 2<J>/N
    # taken here from an independent dense diagonalization of the J = N/2 block
    N, h = 600, 0.3
    r = ground_state_mmi(N, -1.0, h)
    w, v, ops = _dense(N, -1.0, h)
    g = v[:, 0]
    m = np.array([2 * (g.conj() @ op @ g).real / N for op in ops])
    assert r.energy == pytest.approx(w[0], rel=1e-12)
    assert np.allclose([r.mx, r.my, r.mz], m, atol=1e-9)
    assert r.mmi_per_unit == pytest.approx(binary_entropy(np.linalg.norm(m)), abs=1e-9)
    assert abs(np.linalg.norm(r.vector) - 1) < 1e-12


def _dense(N, exchange, h):
    jx, jy, jz = (qutip.jmat(N / 2, a).full() for a in "xyz")
    H = exchange * (jx @ jx + jy @ jy) / N + h * jx
    w, v = np.linalg.eigh(H)
    return w, v, (jx, jy, jz)


@pytest.mark.parametrize("N", [1, 2, 3, 4, 5, 6, 9])
@pytest.mark.parametrize("exchange,h", [(-1.0, 0.3), (-2.5, -0.8), (-1.0, 0.0),
                                        (-0.7, 1e-3)])
def test_against_dense_jmat(N, exchange, h):
    r = ground_state_mmi(N, exchange, h)
    w, v, (jx, jy, jz) = _dense(N, exchange, h)
    assert r.energy == pytest.approx(w[0], abs=1e-10)
    if h == 0 and N % 2 == 1:
        return  # degenerate: only the energy is defined
    g = v[:, 0]
    m = np.array([2 * (g.conj() @ op @ g).real / N for op in (jx, jy, jz)])
    assert np.allclose(r.magnetization, m, atol=1e-10)
    assert r.mmi_per_unit == pytest.approx(binary_entropy(np.linalg.norm(m)), abs=1e-10)


def _collective(N):
    ops = []
    for s in (qutip.sigmax(), qutip.sigmay(), qutip.sigmaz()):
        total = 0
        for i in range(N):
            f = [qutip.qeye(2)] * N
            f[i] = s / 2
            total = total + qutip.tensor(f)
        ops.append(total)
    return ops


@pytest.mark.parametrize("N", [2, 3, 4, 5])
@pytest.mark.parametrize("h", [0.4, -1.3])
def test_against_full_2N_hamiltonian(N, h):
    """Ground state of the full 2^N Hamiltonian (tensor products) and I_M from
    the full-state route of mutual_information."""
    jx, jy, _ = _collective(N)
    H = -1.0 * (jx * jx + jy * jy) / N + h * jx
    evals, states = H.eigenstates()
    assert evals[1] - evals[0] > 1e-8  # unique ground state in the full space
    r = ground_state_mmi(N, -1.0, h)
    assert r.energy == pytest.approx(evals[0], abs=1e-10)
    full = mutual_information(states[0].proj())
    assert r.mmi == pytest.approx(full, abs=1e-10)


@pytest.mark.parametrize("N", [2, 4, 6])
def test_h0_dicke_embedding_full_route(N):
    """Embed the J = N/2 vector in 2^N via J_-^k |up...up> and use the full route."""
    jx, jy, jz = _collective(N)
    jm = jx - 1j * jy
    r = ground_state_mmi(N, -1.0, 0.0)
    state = qutip.tensor([qutip.basis(2, 0)] * N)
    psi = 0
    for k, c in enumerate(r.vector):
        if k:
            state = (jm * state).unit()
        psi = psi + c * state
    full = mutual_information(psi.proj())
    assert r.mmi == pytest.approx(full, abs=1e-10)


@pytest.mark.parametrize("kwargs,exc,name", [
    ({"N": 0}, ValueError, "N"), ({"N": -3}, ValueError, "N"),
    ({"N": 2.5}, ValueError, "N"), ({"N": "4"}, TypeError, "N"),
    ({"N": float("nan")}, ValueError, "N"),
    ({"N": 4, "field": float("nan")}, ValueError, "field"),
    ({"N": 4, "exchange": "a"}, TypeError, "exchange"),
    ({"N": 4, "exchange": float("inf")}, ValueError, "exchange"),
])
def test_bad_input(kwargs, exc, name):
    with pytest.raises(exc, match=name):
        ground_state_mmi(**kwargs)


def test_repr_and_dict():
    r = ground_state_mmi(10, -1.0, 0.2)
    d = r.as_dict()
    assert d["N"] == 10 and d["mmi_per_unit"] == r.mmi_per_unit
    assert "GroundStateResult" in repr(r)
