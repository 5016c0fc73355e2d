"""Tests of qutip_mmi.meanfield: the N -> infinity limit of I_M / N."""

import json
import math

import numpy as np
import pytest
import qutip
from scipy.integrate import solve_ivp
from scipy.optimize import fsolve, minimize_scalar

import qutip_mmi as qm
from qutip_mmi import LMG, BoundaryTimeCrystal, CollectiveJump, PIModel
from qutip_mmi.meanfield import (
    BlochBallWarning, FloquetResult, MeanFieldResult, MultipleAttractorsWarning,
    drift, floquet, gell_mann, jacobian, lmg_h0_limit, mmi_limit, mmi_limit_drift,
    qudit_entropy, trajectory,
)


def lmg_eq16(m, exchange, h, Gamma, gamma):
    """The paper's hand-written LMG mean-field equations (16)."""
    mx, my, mz = np.moveaxis(np.asarray(m, float), -1, 0)
    return np.stack([
        exchange * my * mz + Gamma * mx * mz / 2 - gamma * mx / 2,
        -exchange * mx * mz - h * mz + Gamma * my * mz / 2 - gamma * my / 2,
        h * my - Gamma * (mx ** 2 + my ** 2) / 2 + gamma * (1 - mz),
    ], axis=-1)


def btc_drift(m, omega, kappa, dephasing):
    """Cooperative resonance fluorescence by hand: H = omega Jx, (kappa/N) D[J-],
    local dephasing D[sigma_z/2]."""
    mx, my, mz = np.moveaxis(np.asarray(m, float), -1, 0)
    return np.stack([kappa * mx * mz / 2 - dephasing * mx / 2,
                     -omega * mz + kappa * my * mz / 2 - dephasing * my / 2,
                     omega * my - kappa * (mx ** 2 + my ** 2) / 2], axis=-1)


def fd_jacobian(f, m, h=1e-6):
    """Central finite differences of a hand-written drift."""
    m = np.asarray(m, float)
    return np.stack([(f(m + e) - f(m - e)) / (2 * h) for e in h * np.eye(3)], axis=1)


def eq16_orbit(m0, T, exchange, h, Gamma, gamma, n=4000):
    """An independent integration of eq. (16) (RK45) sampled at n equal steps of
    [0, T); the last row is m(T)."""
    sol = solve_ivp(lambda t, m: lmg_eq16(m, exchange, h, Gamma, gamma), (0, T), m0,
                    method="RK45", rtol=1e-12, atol=1e-13,
                    t_eval=np.linspace(0, T, n + 1))
    return sol.y.T


def b(r):
    """Binary entropy written out (independent of qutip_mmi.binary_entropy)."""
    r = np.asarray(r, float)
    p, q = (1 + r) / 2, np.clip((1 - r) / 2, 1e-300, None)
    return -p * np.log(p) - q * np.log(q)


def random_ball(rng, size):
    v = rng.normal(size=(size, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True) * rng.random((size, 1))


def general_model():
    return PIModel(7, {"x": 0.7, "zz": 0.3, "xz": 0.2, "zx": 0.2, "xyy": 0.4,
                       "yxy": 0.4, "yyx": 0.4, "zzzz": 0.1},
                   [CollectiveJump(1.3, minus=1, z=0.4j), CollectiveJump(0.5, plus=1)],
                   emission=0.3, pumping=0.8, dephasing=0.6)


# ------------------------------------------------------------------ drift
@pytest.mark.parametrize("h,Gamma,gamma,exchange", [(0.0, 2.0, 1.0, 3.0),
                                                    (0.5, 1.3, 0.7, -2.0)])
def test_drift_equals_hand_written_lmg(rng, h, Gamma, gamma, exchange):
    m = random_ball(rng, 50)
    model = LMG(17, exchange=exchange, field=h, Gamma=Gamma, gamma=gamma)
    np.testing.assert_allclose(drift(model, m), lmg_eq16(m, exchange, h, Gamma, gamma),
                               atol=1e-12, rtol=0)
    np.testing.assert_allclose(drift(model, m[3]),
                               lmg_eq16(m[3], exchange, h, Gamma, gamma), atol=1e-12)
    # N is irrelevant
    np.testing.assert_allclose(drift(model.replace(N=3), m), drift(model, m), atol=0)


def test_local_rates_and_collective_terms():
    m = np.array([0.3, -0.4, 0.5])
    for kw, expect in [
        (dict(pumping=0.7), [-0.35 * 0.3, 0.35 * 0.4, 0.7 * 0.5]),
        (dict(emission=0.7), [-0.35 * 0.3, 0.35 * 0.4, -0.7 * 1.5]),
        (dict(dephasing=0.7), [-0.35 * 0.3, 0.35 * 0.4, 0.0]),
    ]:
        np.testing.assert_allclose(drift(PIModel(2, **kw), m), expect, atol=1e-15)
    Gam = 1.7
    dec = PIModel(2, collective=[CollectiveJump(Gam, minus=1)])
    mx, my, mz = m
    np.testing.assert_allclose(
        drift(dec, m), [Gam * mx * mz / 2, Gam * my * mz / 2, -Gam * (mx**2 + my**2) / 2],
        atol=1e-15)


def test_jacobian_matches_finite_differences(rng):
    model = general_model()
    h = 1e-6
    for m in random_ball(rng, 5):
        J = jacobian(model, m)
        fd = np.empty((3, 3))
        for b in range(3):
            e = np.zeros(3)
            e[b] = h
            fd[:, b] = (drift(model, m + e) - drift(model, m - e)) / (2 * h)
        np.testing.assert_allclose(J, fd, atol=1e-8)
    assert jacobian(model, random_ball(rng, 4).reshape(2, 2, 3)).shape == (2, 2, 3, 3)


def test_hamiltonian_flow_conserves_length_and_energy(rng):
    # pure Hamiltonian: |m| and the classical energy are constants of motion
    model = PIModel(5, {"x": 0.7, "zz": 0.3, "xz": 0.2, "zx": 0.2})
    m = random_ball(rng, 20)
    f = drift(model, m)
    np.testing.assert_allclose(np.einsum("ka,ka->k", m, f), 0, atol=1e-14)
    energy_grad = np.stack([0.7 + 0.2 * m[:, 2], 0 * m[:, 0],
                            0.3 * m[:, 2] + 0.2 * m[:, 0]], axis=1)
    np.testing.assert_allclose(np.einsum("ka,ka->k", energy_grad, f), 0, atol=1e-14)


def test_drift_input_validation():
    with pytest.raises(ValueError):
        drift(LMG(2), [1.0, 2.0])
    with pytest.raises(TypeError):
        drift("LMG", [0, 0, 1])


# ------------------------------------------------------------ trajectories
def test_trajectory_and_bloch_ball():
    tr = trajectory(LMG(1, Gamma=0.5), [0, 0, -1], np.linspace(0, 20, 11))
    assert tr.states.shape == (11, 3)
    assert np.all(np.linalg.norm(tr.states, axis=1) <= 1 + 1e-9)
    # the same trajectory from eq. (16) written by hand, another integrator
    ref = solve_ivp(lambda t, m: lmg_eq16(m, 3.0, 0.0, 0.5, 1.0), (0, 20), [0, 0, -1],
                    method="RK45", rtol=1e-11, atol=1e-13, t_eval=tr.times)
    np.testing.assert_allclose(tr.states, ref.y.T, atol=1e-8)
    # below threshold it relaxes to the fixed point (0, 0, 1) of eq. (17)
    np.testing.assert_allclose(tr.states[-1], [0, 0, 1], atol=2e-3)
    assert "TrajectoryResult(11 times" in repr(tr)
    d = tr.as_dict()
    assert json.loads(json.dumps(d)) == d and len(d["states"]) == 11
    with pytest.raises(ValueError, match="Bloch ball"):
        trajectory(LMG(1), [0, 0, 1.5], 1.0)
    # an unphysical drift (negative local rate is impossible, so fake one) is flagged
    bad = lambda xi: np.array([0.0, 0.0, 1.0])  # noqa: E731
    with pytest.warns(BlochBallWarning):
        res = mmi_limit_drift(bad, 2, options={"max_time": 10.0, "average_time": 5.0})
    assert res.attractor == "other"  # a constant drift has no fixed point or cycle
    with pytest.raises(ValueError, match="state space"):
        mmi_limit_drift(bad, 2, options={"max_time": 10.0, "average_time": 5.0,
                                         "on_leave_ball": "raise"})


# ------------------------------------------------------------ h = 0 limits
@pytest.mark.parametrize("Gamma", [1.2, 1.68, 2.0, 3.0, 5.0])
def test_h0_limit_cycle_matches_eq18(Gamma):
    res = mmi_limit(LMG(10, field=0.0, Gamma=Gamma))
    assert isinstance(res, MeanFieldResult)
    assert res.attractor == "limit cycle"
    assert abs(res.mmi_per_unit - lmg_h0_limit(Gamma)) < 1e-8
    assert res.error < 1e-8
    assert res.period == pytest.approx(2 * math.pi * Gamma / 3.0, rel=1e-9)
    np.testing.assert_allclose(res.avg_magnetization, [0, 0, 1 / Gamma], atol=1e-9)
    assert not res.multiple_attractors
    assert "attractor='limit cycle'" in repr(res)
    d = res.as_dict()
    assert json.loads(json.dumps(d)) == d


def test_h0_fixed_point_side():
    for Gamma in (0.0, 0.5, 0.9):
        res = mmi_limit(LMG(10, field=0.0, Gamma=Gamma))
        assert res.attractor == "fixed point"
        assert res.mmi_per_unit == 0.0
        assert res.period is None
        assert res.floquet_multipliers.size == 0
        np.testing.assert_allclose(res.point, [0, 0, 1], atol=1e-9)
        # eq. (16) vanishes there and is linearly stable (eq. 17)
        assert np.abs(lmg_eq16(res.point, 3.0, 0.0, Gamma, 1.0)).max() < 1e-9
        eig = np.linalg.eigvals(fd_jacobian(
            lambda m: lmg_eq16(m, 3.0, 0.0, Gamma, 1.0), res.point))
        assert np.all(eig.real < 0)
        np.testing.assert_allclose(np.sort(res.eigenvalues.real), np.sort(eig.real),
                                   atol=1e-7)


def test_lmg_h0_limit_vectorized_across_threshold():
    # eq. (18) on an array straddling Gamma = gamma, against the numerics
    Gammas = np.array([0.5, 0.9, 1.5, 2.5])
    numeric = [mmi_limit(LMG(1, field=0.0, Gamma=G)).mmi_per_unit for G in Gammas]
    np.testing.assert_allclose(lmg_h0_limit(Gammas), numeric, atol=1e-8, rtol=0)
    # and written out from the cycle of eq. (17) with another gamma
    G, g = 3.0, 0.7
    mz, mxy = g / G, math.sqrt(2 * g * (G - g)) / G
    assert lmg_h0_limit(G, gamma=g) == pytest.approx(
        float(b(mz) - b(math.hypot(mz, mxy))), abs=1e-14)


def test_h0_maximum():
    opt = minimize_scalar(lambda G: -mmi_limit(LMG(1, Gamma=G)).mmi_per_unit,
                          bounds=(1.5, 1.9), method="bounded",
                          options={"xatol": 1e-4})
    assert abs(opt.x - 1.678) < 0.002
    assert round(-opt.fun, 3) == 0.327
    grid = np.linspace(1.01, 5, 400)
    assert abs(grid[np.argmax(lmg_h0_limit(grid))] - 1.678) < 0.01


def floquet_h0_closed_form(exchange, Gamma, gamma):
    """Multipliers of the h = 0 cycle: in cylindrical coordinates (rho, phi, z)
    eq. (16) is d rho = rho (Gamma z - gamma)/2, d phi = -exchange z,
    d z = -Gamma rho^2/2 + gamma (1 - z); the cycle is the fixed point of the
    (rho, z) system, so the multipliers are 1 and exp(lambda T) with
    lambda^2 + gamma lambda + gamma (Gamma - gamma) = 0, T = 2 pi Gamma/|exchange gamma|."""
    T = 2 * math.pi * Gamma / abs(exchange * gamma)
    lam = np.roots([1.0, gamma, gamma * (Gamma - gamma)]).astype(complex)
    return T, np.concatenate([[1.0], np.exp(lam * T)])


@pytest.mark.parametrize("exchange,Gamma,gamma", [(3.0, 2.0, 1.0), (2.0, 1.2, 1.0),
                                                  (-1.5, 3.0, 0.7)])
def test_floquet_h0_closed_form(exchange, Gamma, gamma):
    T, mu = floquet_h0_closed_form(exchange, Gamma, gamma)
    model = LMG(1, exchange=exchange, field=0.0, Gamma=Gamma, gamma=gamma)
    fl = floquet(model)
    assert isinstance(fl, FloquetResult)
    assert fl.period == pytest.approx(T, rel=1e-9)
    np.testing.assert_allclose(np.sort_complex(fl.multipliers), np.sort_complex(mu),
                               atol=1e-8)
    assert fl.hyperbolic and fl.attracting
    # from a point on the orbit and the closed-form period
    fl2 = floquet(model, m0=fl.point, period=T)
    np.testing.assert_allclose(np.sort_complex(fl2.multipliers), np.sort_complex(mu),
                               atol=1e-8)
    d = fl.as_dict()
    assert json.loads(json.dumps(d)) == d and len(d["multipliers"]) == 3


def test_floquet_of_a_fixed_point_raises():
    with pytest.raises(ValueError, match="fixed point"):
        floquet(LMG(1, Gamma=0.5))


# ---------------------------------------------------------------- h = 0.5
def test_h05_curve():
    Gammas = np.linspace(0, 5, 21)
    results = [mmi_limit(LMG(1, field=0.5, Gamma=G)) for G in Gammas]
    values = np.array([r.mmi_per_unit for r in results])
    kinds = [r.attractor for r in results]
    assert np.all(np.isfinite(values)) and np.all(values >= 0)
    fixed = np.array([k == "fixed point" for k in kinds])
    assert np.all(values[fixed] == 0.0)
    assert np.all(values[~fixed] > 0)
    # one transition, between 1.0 and 1.25 (Hopf point 1.0288)
    first_cycle = int(np.argmax(~fixed))
    assert np.all(fixed[:first_cycle]) and not np.any(fixed[first_cycle:])
    assert Gammas[first_cycle] == 1.25
    assert set(kinds[first_cycle:]) == {"limit cycle"}
    assert all(r.hyperbolic for r in results[first_cycle:])
    assert all(r.error < 1e-8 for r in results)
    # fixed points: eq. (16) vanishes there
    for G, r in zip(Gammas[fixed], np.array(results, dtype=object)[fixed]):
        assert np.abs(lmg_eq16(r.point, 3.0, 0.5, G, 1.0)).max() < 1e-9


@pytest.mark.parametrize("Gamma", [1.5, 3.0])
def test_h05_cycle_against_independent_orbit(Gamma):
    # no closed form at h != 0: integrate eq. (16) by hand over the reported
    # period and average with the periodic trapezoid rule (spectrally accurate)
    res = mmi_limit(LMG(1, field=0.5, Gamma=Gamma))
    assert res.attractor == "limit cycle"
    orbit = eq16_orbit(res.point, res.period, 3.0, 0.5, Gamma, 1.0)
    assert np.linalg.norm(orbit[-1] - orbit[0]) < 1e-8  # closes after one period
    assert np.linalg.norm(orbit[len(orbit) // 2] - orbit[0]) > 1e-2  # not shorter
    ring = orbit[:-1]
    avg = ring.mean(axis=0)
    np.testing.assert_allclose(res.avg_magnetization, avg, atol=1e-8)
    mmi = b(np.linalg.norm(avg)) - b(np.linalg.norm(ring, axis=1)).mean()
    assert abs(res.mmi_per_unit - mmi) < 1e-8
    # the trivial Floquet multiplier: the flow direction is mapped to itself
    mu = res.floquet_multipliers
    assert np.min(np.abs(mu - 1)) < 1e-6


def test_near_hopf_point():
    # slow relaxation: the cycle is found by Newton shooting, not by waiting
    res = mmi_limit(LMG(1, field=0.5, Gamma=1.035))
    assert res.attractor == "limit cycle"
    assert 0 < res.mmi_per_unit < 0.05
    assert 0.98 < abs(res.floquet_multipliers[1]) < 1
    below = mmi_limit(LMG(1, field=0.5, Gamma=1.02))
    assert below.attractor == "fixed point"

    # independently: the fixed point of eq. (16) (fsolve) is stable at 1.02 and
    # unstable at 1.035 (Hopf point in between), finite-difference Jacobian
    def stability(G, guess):
        f = lambda m: lmg_eq16(m, 3.0, 0.5, G, 1.0)  # noqa: E731
        m = fsolve(f, guess, xtol=1e-13)
        assert np.abs(f(m)).max() < 1e-10
        return m, np.linalg.eigvals(fd_jacobian(f, m)).real.max()

    m, growth = stability(1.02, below.point)
    np.testing.assert_allclose(below.point, m, atol=1e-9)
    assert growth < 0
    assert stability(1.035, m)[1] > 0


# ----------------------------------------------------- boundary time crystal
def test_boundary_time_crystal_drift_by_hand(rng):
    m = random_ball(rng, 30)
    for omega, kappa, deph in [(1.0, 1.0, 0.0), (2.0, 0.5, 0.3)]:
        model = BoundaryTimeCrystal(5, omega=omega, kappa=kappa, dephasing=deph)
        np.testing.assert_allclose(drift(model, m), btc_drift(m, omega, kappa, deph),
                                   atol=1e-14)


def test_boundary_time_crystal_not_hyperbolic():
    res = mmi_limit(BoundaryTimeCrystal(5, omega=1.0, kappa=1.0),
                    options={"initial_conditions": [[0, 0, -1]]})
    assert res.attractor == "limit cycle"
    assert res.hyperbolic is False
    assert np.all(np.abs(np.abs(res.floquet_multipliers) - 1) < 1e-5)
    fl = floquet(BoundaryTimeCrystal(5), m0=[0, 0, -1])
    assert not fl.hyperbolic and not fl.attracting
    # the orbits form a family: different initial conditions, different orbits
    with pytest.warns(MultipleAttractorsWarning):
        many = mmi_limit(BoundaryTimeCrystal(5))
    assert many.multiple_attractors and len(many.attractors) > 1
    # local dephasing destroys the oscillation
    deph = mmi_limit(BoundaryTimeCrystal(5, dephasing=0.1))
    assert deph.attractor == "fixed point" and deph.mmi_per_unit == 0.0
    assert np.abs(btc_drift(deph.point, 1.0, 1.0, 0.1)).max() < 1e-9


# ---------------------------------------------------------------- qudits
def test_gell_mann():
    for d in (2, 3, 4):
        v = gell_mann(d)
        assert v.shape == (d * d - 1, d, d)
        np.testing.assert_allclose(np.einsum("aij,bji->ab", v, v), 2 * np.eye(d * d - 1),
                                   atol=1e-14)
        np.testing.assert_allclose(np.trace(v, axis1=1, axis2=2), 0, atol=1e-14)
        np.testing.assert_allclose(v, np.conj(np.transpose(v, (0, 2, 1))), atol=0)
    np.testing.assert_allclose(gell_mann(2), [[[0, 1], [1, 0]], [[0, -1j], [1j, 0]],
                                              [[1, 0], [0, -1]]])
    assert qudit_entropy(np.zeros(8), 3) == pytest.approx(math.log(3))
    with pytest.raises(ValueError):
        gell_mann(1)


@pytest.mark.parametrize("d", [2, 3, 4])
def test_qudit_entropy_against_qutip(rng, d):
    # random mixed states built in the test, their Bloch vectors by traces
    v = gell_mann(d)
    xis, expect = [], []
    for _ in range(4):
        rho = qutip.rand_dm(d, seed=int(rng.integers(1 << 30)))
        xis.append([np.trace(rho.full() @ va).real * d / 2 for va in v])
        expect.append(qutip.entropy_vn(rho))
    np.testing.assert_allclose(qudit_entropy(np.array(xis), d), expect, atol=1e-12)
    assert qudit_entropy(xis[0], d) == pytest.approx(expect[0], abs=1e-12)
    # pure states have zero entropy
    psi = qutip.rand_ket(d, seed=7)
    xi = [np.trace((psi * psi.dag()).full() @ va).real * d / 2 for va in v]
    assert abs(qudit_entropy(xi, d)) < 1e-7


def test_qutrit_embedding_reproduces_eq18():
    Gamma, exchange, gamma = 2.0, 3.0, 1.0

    def f3(xi):
        out = np.zeros(8)
        out[:3] = 1.5 * lmg_eq16(xi[:3] / 1.5, exchange, 0.0, Gamma, gamma)
        return out

    # qubit state (1 + m.sigma)/2 in levels {0, 1}: xi = (3m/2, 0, 0, 0, 0, sqrt(3)/2)
    m0 = np.array([0.3, 0.2, 0.5])
    xi0 = np.concatenate([1.5 * m0, np.zeros(4), [math.sqrt(3) / 2]])
    assert qudit_entropy(xi0, 3) == pytest.approx(float(qm.binary_entropy(
        np.linalg.norm(m0))), abs=1e-12)
    res = mmi_limit_drift(f3, 3, x0=xi0)
    assert res.attractor == "limit cycle"
    assert abs(res.mmi_per_unit - lmg_h0_limit(Gamma)) < 1e-8


# ---------------------------------------------------------------- finite N
def test_finite_n_approaches_mean_field():
    limit = mmi_limit(LMG(1, field=0.0, Gamma=2.0)).mmi_per_unit
    diffs = []
    for N in (50, 100, 200):
        rho = qm.steady_state(LMG(N, field=0.0, Gamma=2.0))
        diffs.append(abs(qm.mutual_information(rho, per_unit=True) - limit))
    assert diffs[0] > diffs[1] > diffs[2]


# ---------------------------------------------------------------- options, CLI
def test_options_validation():
    for call in (lambda o: mmi_limit(LMG(1), options=o),
                 lambda o: floquet(LMG(1, Gamma=2.0), options=o),
                 lambda o: trajectory(LMG(1), [0, 0, 1], 1.0, options=o),
                 lambda o: mmi_limit_drift(lambda xi: -xi, 2, options=o)):
        with pytest.raises(KeyError, match="unknown option.*tolerance.*valid options"):
            call({"tolerance": 1})
    with pytest.raises(ValueError, match="on_leave_ball"):
        mmi_limit(LMG(1), options={"on_leave_ball": "ignore"})
    with pytest.raises(ValueError, match="initial_conditions"):
        mmi_limit(LMG(1), options={"initial_conditions": [[0, 0]]})
    with pytest.raises(ValueError):
        mmi_limit(LMG(1), options={"initial_conditions": [[0, 0, 2]]})


def test_cli_json(capsys):
    from qutip_mmi.cli import main
    assert main(["meanfield", "--exchange", "3", "--field", "0", "--Gamma", "2",
                 "--gamma", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("mmi_per_unit", "attractor", "period", "avg_magnetization",
                "floquet_multipliers", "hyperbolic"):
        assert key in out
    assert out["attractor"] == "limit cycle"
    assert abs(out["mmi_per_unit"] - lmg_h0_limit(2.0)) < 1e-8
    assert len(out["floquet_multipliers"]) == 3
    assert all(len(z) == 2 for z in out["floquet_multipliers"])
    assert out["hyperbolic"] is True
    assert main(["meanfield", "--Gamma", "0.5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["attractor"] == "fixed point" and out["floquet_multipliers"] == []
    assert out["mmi_per_unit"] == 0.0
    assert main(["meanfield", "--field", "0.5", "--Gamma", "2"]) == 0
    assert "lim I_M / N" in capsys.readouterr().out


def test_u1_ring_of_fixed_points_is_averaged():
    # SuperradiantLaser: no Hamiltonian, a ring of fixed points; its finite-N state
    # equals LMG's at h = 0, so the limit is eq. 18.
    import warnings
    import qutip_mmi as qm
    from qutip_mmi import meanfield
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = meanfield.mmi_limit(qm.SuperradiantLaser(10, Gamma=2.0, gamma=1.0))
    assert res.attractor == "fixed-point ring"
    assert abs(res.mmi_per_unit - float(meanfield.lmg_h0_limit(2.0))) < 1e-8
    assert abs(res.avg_magnetization[0]) + abs(res.avg_magnetization[1]) == 0
    below = meanfield.mmi_limit(qm.SuperradiantLaser(10, Gamma=0.5, gamma=1.0))
    assert below.attractor == "fixed point" and below.mmi_per_unit == 0.0
