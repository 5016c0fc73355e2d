"""Every preset through every route: exact 2^N vs piqs vs the fast engine."""

import numpy as np
import pytest

import qutip_mmi as qm
from qutip_mmi import exact

PRESETS = {
    "lmg": lambda N: qm.LMG(N, field=0.3, Gamma=1.7),
    "btc_dephasing": lambda N: qm.BoundaryTimeCrystal(N, omega=1.2, kappa=1.0, dephasing=0.3),
    "btc_emission": lambda N: qm.BoundaryTimeCrystal(N, omega=0.8, kappa=1.5, emission=0.2),
    "laser": lambda N: qm.SuperradiantLaser(N, Gamma=2.0, gamma=1.0, dephasing=0.1),
}


def measures(rho):
    return np.array([qm.mutual_information(rho), qm.entropy(rho), *qm.magnetization(rho)])


@pytest.mark.parametrize("name", sorted(PRESETS))
@pytest.mark.parametrize("N", [2, 3, 4, 5, 6, 7])
def test_preset_routes_agree(name, N):
    model = PRESETS[name](N)
    ref = measures(exact.steady_state(model))
    fast = qm.steady_state(model)
    assert np.allclose(measures(fast), ref, atol=1e-10, rtol=0)
    piqs = measures(qm.steady_state(model, "piqs"))
    assert np.allclose(piqs, ref, atol=1e-7 * max(1, N / 4), rtol=1e-7)


def test_u1_presets_use_rates_and_agree_with_blocks():
    model = qm.SuperradiantLaser(25, Gamma=2.0, gamma=1.0, dephasing=0.2)
    a = qm.steady_state(model)
    assert a.info.method == "rates"
    b = qm.steady_state(model, "blocks")
    assert np.allclose(measures(a), measures(b), atol=1e-10, rtol=0)


def test_collective_only_model_is_refused():
    with pytest.raises(qm.SteadyStateError, match="not unique"):
        qm.steady_state(qm.BoundaryTimeCrystal(6))


@pytest.mark.parametrize("field", [0.05, 0.1, 0.3])
def test_lmg_cycle_survives_a_small_field(field):
    # Appendix C: the LMG cycle is hyperbolic, so a field only deforms it ...
    res = qm.meanfield.mmi_limit(qm.LMG(10, field=field, Gamma=2.0))
    assert res.attractor == "limit cycle" and res.hyperbolic and res.attracting
    h0 = float(qm.meanfield.lmg_h0_limit(2.0))
    assert 0 < res.mmi_per_unit and abs(res.mmi_per_unit - h0) < 0.1


@pytest.mark.parametrize("perturbation", [{"dephasing": 0.01}, {"emission": 0.01}])
def test_btc_oscillation_destroyed_by_small_local_noise(perturbation):
    # ... while the non-hyperbolic BTC orbits collapse to a fixed point.
    res = qm.meanfield.mmi_limit(qm.BoundaryTimeCrystal(10, omega=1.0, kappa=1.0,
                                                       **perturbation))
    assert res.attractor == "fixed point" and res.mmi_per_unit == 0.0


@pytest.mark.parametrize("kw", [{"dephasing": 0.05}, {"emission": 0.05}])
def test_btc_weak_noise_engine_matches_piqs(kw):
    # The q-block Gauss-Seidel preconditioner is weak here (strong omega Jx, small
    # gap): the engine must still return the right state (direct fallback).
    import warnings
    model = qm.BoundaryTimeCrystal(20, omega=2.0, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", qm.ConvergenceWarning)
        fast = qm.steady_state(model)
    assert fast.info.residual < 1e-13
    ref = qm.steady_state(model, "piqs")
    assert abs(qm.mutual_information(fast) - qm.mutual_information(ref)) < 1e-7
    assert np.allclose(qm.magnetization(fast), qm.magnetization(ref), atol=1e-7)


LOCAL_PRESETS = {
    "lmg_bitflip": lambda N: qm.LMG(N, field=0.3, Gamma=1.7, bitflip=0.2),
    "btc_thermal_bitflip": lambda N: qm.BoundaryTimeCrystal(
        N, omega=1.2, kappa=1.0, emission=0.2, pumping=0.1, bitflip=0.05),
}


@pytest.mark.parametrize("name", sorted(LOCAL_PRESETS))
@pytest.mark.parametrize("N", [2, 3, 6])
def test_local_noise_presets_match_exact(name, N):
    model = LOCAL_PRESETS[name](N)
    ref = measures(exact.steady_state(model))
    assert np.allclose(measures(qm.steady_state(model)), ref, atol=1e-10, rtol=0)
    with pytest.raises(ValueError, match="cannot express"):
        qm.steady_state(model, "piqs")


@pytest.mark.parametrize("N", [3, 6])
def test_btc_thermal_bath_all_routes(N):
    model = qm.BoundaryTimeCrystal(N, omega=1.0, emission=0.2, pumping=0.1)
    ref = measures(exact.steady_state(model))
    assert np.allclose(measures(qm.steady_state(model)), ref, atol=1e-10, rtol=0)
    assert np.allclose(measures(qm.steady_state(model, "piqs")), ref, atol=1e-7, rtol=1e-7)


def test_new_preset_parameters_default_to_zero():
    assert qm.LMG(5).parameters["bitflip"] == 0.0
    assert qm.LMG(5).local == () and qm.BoundaryTimeCrystal(5).local == ()
    p = qm.BoundaryTimeCrystal(5).parameters
    assert p["pumping"] == 0.0 and p["bitflip"] == 0.0
    noisy = qm.LMG(5, field=0.0).replace(bitflip=0.1)
    assert noisy.local == (qm.LocalJump(0.1, plus=1, minus=1),)
    assert qm.LMG(5, field=0.0).conserves_excitations()
    assert not noisy.conserves_excitations()
