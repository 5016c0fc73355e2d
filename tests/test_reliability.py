"""Bad and edge inputs end in clear errors (or correct numbers), never garbage."""

import json
import subprocess
import sys

import numpy as np
import pytest
import qutip
from qutip import piqs

import qutip_mmi as qm
from qutip_mmi import exact
from qutip_mmi.cli import main
from qutip_mmi.steadystate import BlockSolver, SteadyStateError


# ------------------------------------------------------ information inputs
@pytest.mark.parametrize("fn", [qm.entropy, qm.mutual_information, qm.local_state,
                                qm.magnetization, qm.local_entropy])
@pytest.mark.parametrize("bad, match", [
    (lambda: 2 * qutip.rand_dm([2, 2, 2]), "trace"),
    (lambda: 3 * piqs.dicke(4, 2, 0), "trace"),
    (lambda: 0 * piqs.dicke(4, 2, 0), "trace"),
    (lambda: qutip.Qobj(np.triu(np.ones((8, 8))) / 8, dims=[[2] * 3, [2] * 3]),
     "Hermitian"),
    (lambda: qutip.Qobj(np.full((8, 8), np.nan), dims=[[2] * 3, [2] * 3]), "NaN"),
])
def test_information_refuses_non_density_matrices(fn, bad, match):
    with pytest.raises(ValueError, match=match):
        fn(bad())


def test_information_checks_N_and_per_unit():
    rho = piqs.dicke(4, 2, 0)
    with pytest.raises(ValueError, match="N=5"):
        qm.entropy(rho, N=5)
    with pytest.raises(ValueError, match="contradicts"):
        qm.entropy(qm.PIState.from_qobj(rho), N=6)
    with pytest.raises(ValueError, match="contradicts"):
        qm.entropy(qutip.rand_dm([2, 2, 2]), N=4)
    with pytest.raises(TypeError, match="per_unit"):
        qm.mutual_information(rho, per_unit=1)
    # a valid state passes: the symmetric Dicke state |J=2, m=0> is pure (S = 0)
    # with maximally mixed single spins (m = 0): I_M = 4 ln 2
    assert qm.mutual_information(rho) == pytest.approx(4 * np.log(2), abs=1e-12)


# ------------------------------------------------------- non-unique states
def test_exact_route_refuses_non_unique_steady_state():
    # no local process: one steady state per J block
    model = qm.PIModel(4, {"x": 0.7, "zz": 1.0}, [qm.CollectiveJump(1.0, minus=1)])
    for call in (lambda: exact.steady_state(model), lambda: exact.solve(model),
                 lambda: qm.steady_state(model, "blocks"),
                 lambda: qm.steady_state(model, "piqs")):
        with pytest.raises(SteadyStateError, match="not unique"):
            call()


@pytest.mark.parametrize("method", ["blocks", "rates", "exact", "piqs", "auto"])
def test_N1_without_dissipation_is_refused(method):
    model = qm.PIModel(1, {"x": 1.0})
    with pytest.raises(SteadyStateError, match="no dissipator"):
        qm.steady_state(model, method)


def test_N1_with_collective_decay_is_a_single_qubit():
    # (Gamma/N) D[J-] with N = 1 is D[sigma_-] at rate Gamma: the ground state
    state = qm.steady_state(qm.PIModel(1, collective=[qm.CollectiveJump(2.0, minus=1)]))
    assert np.allclose(qm.magnetization(state), [0, 0, -1], atol=1e-12)


# ------------------------------------------------ warm-start re-pin crash
def test_block_solver_repins_from_a_badly_placed_initial_guess():
    model = qm.LMG(10, field=0.2, Gamma=0.3)
    x0 = qm.PIState.from_qobj(piqs.dicke(10, 5, -5))  # all spins down
    cold = qm.steady_state(model, "blocks")
    for extra in ({}, {"refactor_iterations": 0}):
        solver = BlockSolver({"x0": x0, **extra})
        warm = solver.solve(model)
        assert qm.mutual_information(warm) == pytest.approx(
            qm.mutual_information(cold), abs=1e-9)
        nxt = solver.solve(qm.LMG(10, field=0.25, Gamma=0.3))  # reuses the pin
        ref = qm.steady_state(qm.LMG(10, field=0.25, Gamma=0.3), "blocks")
        assert qm.mutual_information(nxt) == pytest.approx(
            qm.mutual_information(ref), abs=1e-9)


# ------------------------------------------------------------ memory
def test_ground_state_refuses_before_allocating():
    with pytest.raises(MemoryError, match="force_memory"):
        qm.ground_state_mmi(10 ** 12)
    with pytest.raises(KeyError, match="force_memory"):
        qm.ground_state_mmi(10, options={"force": True})


# ------------------------------------------- scale-free exact tolerances
@pytest.mark.parametrize("scale", [1e-8, 1e4])
@pytest.mark.parametrize("base", [qm.LMG(5, field=0.5, Gamma=2.0),
                                  qm.BoundaryTimeCrystal(4, dephasing=0.3),
                                  qm.SuperradiantLaser(5, dephasing=0.2)])
def test_exact_route_is_scale_free(base, scale):
    # multiplying every rate and coupling by s rescales time only
    scaled = qm.PIModel(
        base.N, {k: v * scale for k, v in base.hamiltonian.items()},
        [qm.CollectiveJump(j.rate * scale, j.plus, j.minus, j.z) for j in base.collective],
        emission=base.emission * scale, pumping=base.pumping * scale,
        dephasing=base.dephasing * scale)
    ref = qm.steady_state(base)  # the engine at scale 1
    got = exact.steady_state(scaled)
    assert qm.mutual_information(got) == pytest.approx(qm.mutual_information(ref),
                                                       abs=1e-10)
    assert got.info["residual"] < 1e-12


# -------------------------------------------------------------- options
@pytest.mark.parametrize("method", ["rates", "blocks", "piqs", "exact"])
def test_unknown_options_raise_key_error_naming_valid_ones(method):
    model = qm.SuperradiantLaser(4, dephasing=0.1)
    with pytest.raises(KeyError, match="tolerance.*valid options"):
        qm.steady_state(model, method, options={"tolerance": 1e-3})


# ----------------------------------------------------------- command line
def _cli(*argv):
    return subprocess.run([sys.executable, "-m", "qutip_mmi", *argv],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("argv, match", [
    (["steady", "--N", "10", "--Gamma", "0", "--gamma", "0"], "not unique"),
    (["steady", "--N", "4", "--model", "btc", "--field", "1"], "--field is not a parameter"),
    (["steady", "--N", "4", "--model-file", "/nonexistent.json"], "--model-file"),
    (["steady", "--N", "20", "--method", "exact"], "N <= 10"),
    (["groundstate", "--N", "1000000000000"], "--force-memory"),
    (["meanfield", "--Gamma", "-1"], "Gamma"),
    (["figure", "2", "--Gamma-range", "0", "1", "3"], "--Gamma-range: not used by figure 2"),
    (["figure", "1a", "--field", "0.3"], "--field: not used by figure 1a"),
    (["figure", "1a", "--out", "/proc/nope"], "--out /proc/nope"),
])
def test_cli_errors_are_one_line(argv, match):
    r = _cli(*argv)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"qutip-mmi {argv[0]}: error: ")
    assert match in lines[0]


def test_cli_figure_help_says_what_each_figure_plots():
    out = " ".join(_cli("figure", "--help").stdout.split())
    for text in ("1a I_M/N of the LMG steady state at h = 0", "N = 20, 40, 80, 160",
                 "2 I_M/N of the ferromagnetic LMG ground state", "--paper"):
        assert text in out


def test_cli_help_shows_defaults():
    out = " ".join(_cli("steady", "--help").stdout.split())
    assert "(default: auto)" in out and "(default: 3.0)" in out
