import numpy as np
import pytest
import qutip
from qutip import piqs

import qutip_mmi as qm
from qutip_mmi import exact
from conftest import random_pi_state

LN2 = np.log(2)


def full_product(N, theta, phi):
    psi = np.cos(theta / 2) * qutip.basis(2, 0) + np.exp(1j * phi) * np.sin(theta / 2) * qutip.basis(2, 1)
    rho1 = 0.7 * psi.proj() + 0.3 * qutip.qeye(2) / 2
    return qutip.tensor([rho1] * N), rho1


@pytest.mark.parametrize("N", [1, 2, 3, 5])
def test_product_state_has_zero_mmi(N):
    rho, rho1 = full_product(N, 0.7, 1.1)
    assert abs(qm.mutual_information(rho)) < 1e-12
    s1 = qutip.entropy_vn(rho1)
    assert qm.entropy(rho) == pytest.approx(N * s1, abs=1e-12)
    # the same state in J blocks (embedded back) gives the same numbers
    m = qm.magnetization(rho)
    assert np.allclose(m, [(rho1 * s).tr().real for s in
                           (qutip.sigmax(), qutip.sigmay(), qutip.sigmaz())], atol=1e-12)


@pytest.mark.parametrize("N,M", [(4, 0), (5, 0.5), (6, -1), (7, 2.5)])
def test_dicke_state(N, M):
    rho = piqs.dicke(N, N / 2, M)
    # pure, symmetric: S(rho_T) = 0, m = (0, 0, 2M/N), I_M = N b(2M/N)
    assert qm.entropy(rho) == pytest.approx(0, abs=1e-12)
    assert np.allclose(qm.magnetization(rho), [0, 0, 2 * M / N])
    assert qm.mutual_information(rho) == pytest.approx(N * qm.binary_entropy(2 * M / N), abs=1e-12)
    full = exact.embed(qm.PIState.from_qobj(rho))
    assert qm.mutual_information(full) == pytest.approx(qm.mutual_information(rho), abs=1e-10)


@pytest.mark.parametrize("N", [2, 3, 4, 6])
def test_ghz_pure_and_classical_mixture(N):
    up = qutip.tensor([qutip.basis(2, 0)] * N)
    down = qutip.tensor([qutip.basis(2, 1)] * N)
    ghz = ((up + down) / np.sqrt(2)).proj()
    assert qm.mutual_information(ghz) == pytest.approx(N * LN2, abs=1e-12)
    mix = 0.5 * (up.proj() + down.proj())
    assert qm.mutual_information(mix) == pytest.approx((N - 1) * LN2, abs=1e-12)
    # the same states in the Dicke basis (J = N/2 block only)
    d = N + 1
    blk = np.zeros((d, d), complex)
    blk[0, 0] = blk[-1, -1] = blk[0, -1] = blk[-1, 0] = 0.5
    zero = [np.zeros((int(round(2 * j)) + 1,) * 2) for j in qm.j_values(N)[1:]]
    st = qm.PIState(N, [blk] + zero)
    assert qm.mutual_information(st) == pytest.approx(N * LN2, abs=1e-12)
    blk[0, -1] = blk[-1, 0] = 0
    st = qm.PIState(N, [blk] + zero)
    assert qm.mutual_information(st) == pytest.approx((N - 1) * LN2, abs=1e-12)


@pytest.mark.parametrize("N", [2, 3, 4, 5, 6])
def test_random_pi_states_against_full_embedding(N, rng):
    for diagonal in (False, True):
        st = random_pi_state(N, rng, diagonal=diagonal)
        full = exact.embed(st)
        assert full.tr() == pytest.approx(1, abs=1e-12)
        assert qm.entropy(full) == pytest.approx(qm.entropy(st), abs=1e-10)
        assert np.allclose(qm.magnetization(full), qm.magnetization(st), atol=1e-12)
        assert qm.mutual_information(full) == pytest.approx(qm.mutual_information(st), abs=1e-10)
        assert (qm.local_state(full) - qm.local_state(st)).norm() < 1e-12
        # piqs Qobj input gives the same as the PIState
        q = st.to_qobj()
        assert qm.entropy(q) == pytest.approx(qm.entropy(st), abs=1e-12)


def test_log_dim_j_matches_exact_counts_and_does_not_overflow():
    from math import comb
    for N in (1, 2, 7, 30):
        for j, ld in zip(qm.j_values(N), qm.log_dim_j(N)):
            k = int(round(N / 2 - j))
            dim = comb(N, k) - (comb(N, k - 1) if k >= 1 else 0)
            assert ld == pytest.approx(np.log(dim), rel=1e-13, abs=1e-13)
        # sum_J dim_J (2J+1) = 2^N
        assert np.exp(qm.log_dim_j(N)) @ (2 * qm.j_values(N) + 1) == pytest.approx(2.0 ** N, rel=1e-12)
    big = qm.log_dim_j(5000)
    assert np.all(np.isfinite(big))


def test_product_state_at_N2000():
    # a product state, diagonal in the Dicke basis: p_{J,m} = dim_J-weighted binomial
    N = 2000
    p_up = 0.8
    blocks = []
    logdim = qm.log_dim_j(N)
    for j, ld in zip(qm.j_values(N), logdim):
        m = j - np.arange(int(round(2 * j)) + 1)
        nup = N / 2 + m
        logp = ld + nup * np.log(p_up) + (N - nup) * np.log(1 - p_up)
        blocks.append(np.exp(logp))
    st = qm.PIState(N, blocks)
    assert st.populations.sum() == pytest.approx(1, abs=1e-10)
    s1 = qm.binary_entropy(2 * p_up - 1)
    assert qm.entropy(st) == pytest.approx(N * s1, rel=1e-10)
    assert abs(qm.mutual_information(st)) < 1e-8 * N
    assert qm.magnetization(st)[2] == pytest.approx(2 * p_up - 1, abs=1e-12)


def test_zero_blocks_and_clipping():
    st = qm.PIState(2, [np.diag([1.0, 0, -1e-13]), np.zeros((1, 1))])
    assert qm.entropy(st) == pytest.approx(0, abs=1e-11)
    bad = qm.PIState(2, [np.diag([1.1, 0, -0.1]), np.zeros((1, 1))])
    with pytest.raises(ValueError, match="negative"):
        qm.entropy(bad)


def test_bad_inputs():
    with pytest.raises(ValueError, match="Dicke"):
        qm.entropy(qutip.Qobj(np.eye(5) / 5))
    with pytest.raises(TypeError):
        qm.entropy(np.eye(4))
    with pytest.raises(ValueError, match="between different J"):
        qm.PIState.from_qobj(qutip.Qobj(np.ones((4, 4)) / 4))
    with pytest.raises(ValueError, match="block"):
        qm.PIState(3, [np.eye(3)])
    with pytest.raises(ValueError, match="NaN"):
        qm.PIState(1, [np.full((2, 2), np.nan)])


def test_state_roundtrip_through_piqs_qobj(rng):
    st = random_pi_state(5, rng)
    back = qm.PIState.from_qobj(st.to_qobj())
    assert all(np.allclose(a, b) for a, b in zip(st.blocks, back.blocks))
    v = st.to_vector()
    again = qm.PIState.from_vector(5, v)
    assert np.allclose(again.to_vector(), v)
