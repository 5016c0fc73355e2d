"""Tests of qutip_mmi.meanfield: the N -> infinity limit of I_M / N."""

import json
import math

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

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
    assert tr.states[-1, 2] > 0.9
    assert "TrajectoryResult" in repr(tr)
    with pytest.raises(ValueError, match="Bloch ball"):
        trajectory(LMG(1), [0, 0, 1.5], 1.0)
    # an unphysical drift (negative local rate is impossible, so fake one) is flagged
    bad = lambda xi: np.array([0.0, 0.0, 1.0])  # noqa: E731
    with pytest.warns(BlochBallWarning):
        with pytest.warns(MultipleAttractorsWarning):
            mmi_limit_drift(bad, 2, options={"max_time": 10.0, "average_time": 5.0})
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
    assert "limit cycle" in repr(res)


def test_h0_fixed_point_side():
    for Gamma in (0.0, 0.5, 0.9):
        res = mmi_limit(LMG(10, field=0.0, Gamma=Gamma))
        assert res.attractor == "fixed point"
        assert res.mmi_per_unit == 0.0
        assert res.period is None
        assert res.floquet_multipliers.size == 0
        np.testing.assert_allclose(res.point, [0, 0, 1], atol=1e-9)
    assert lmg_h0_limit(0.9) == 0.0
    np.testing.assert_array_equal(lmg_h0_limit([0.0, 1.0]), [0.0, 0.0])


def test_h0_maximum():
    opt = minimize_scalar(lambda G: -mmi_limit(LMG(1, Gamma=G)).mmi_per_unit,
                          bounds=(1.5, 1.9), method="bounded",
                          options={"xatol": 1e-4})
    assert abs(opt.x - 1.678) < 0.002
    assert round(-opt.fun, 3) == 0.327
    grid = np.linspace(1.01, 5, 400)
    assert abs(grid[np.argmax(lmg_h0_limit(grid))] - 1.678) < 0.01


def test_floquet_h0():
    fl = floquet(LMG(1, exchange=3.0, field=0.0, Gamma=2.0))
    assert isinstance(fl, FloquetResult)
    mu = fl.multipliers
    assert np.min(np.abs(mu - 1)) < 1e-6
    others = np.delete(mu, np.argmin(np.abs(mu - 1)))
    assert np.all(np.abs(others) < 1)
    assert fl.hyperbolic and fl.attracting
    # the same from a point on the orbit and its period
    fl2 = floquet(LMG(1, Gamma=2.0), m0=fl.point, period=fl.period)
    np.testing.assert_allclose(np.sort_complex(fl2.multipliers),
                               np.sort_complex(mu), atol=1e-8)
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


def test_near_hopf_point():
    # slow relaxation: the cycle is found by Newton shooting, not by waiting
    res = mmi_limit(LMG(1, field=0.5, Gamma=1.035))
    assert res.attractor == "limit cycle"
    assert 0 < res.mmi_per_unit < 0.05
    assert 0.98 < abs(res.floquet_multipliers[1]) < 1
    assert mmi_limit(LMG(1, field=0.5, Gamma=1.02)).attractor == "fixed point"


# ----------------------------------------------------- boundary time crystal
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
    with pytest.raises(ValueError, match="unknown"):
        mmi_limit(LMG(1), options={"tolerance": 1})
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
