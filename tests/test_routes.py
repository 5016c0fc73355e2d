"""Cross-validation of the steady-state routes: exact 2^N, piqs, fast engine."""

import numpy as np
import pytest

import qutip_mmi as qm
from qutip_mmi import exact
from conftest import PAPER_N10, PAPER_N80, general_model


def measures(rho):
    return (qm.mutual_information(rho), qm.entropy(rho), qm.magnetization(rho))


def assert_close(a, b, tol):
    # I_M and S(rho_T) are extensive: compared relative to max(1, value);
    # magnetizations absolutely.
    for k in (0, 1):
        assert abs(a[k] - b[k]) <= tol * max(1.0, abs(b[k])), (k, a[k], b[k])
    assert np.allclose(a[2], b[2], atol=tol, rtol=0)


GRID = [(N, h, G) for N in range(2, 9) for h in (0.0, 0.5) for G in (0.5, 1.0, 2.0, 4.0)]


@pytest.mark.parametrize("N,field,Gamma", [g for g in GRID if g[0] <= 7])
def test_exact_vs_piqs_vs_engine(N, field, Gamma):
    model = qm.LMG(N, exchange=3.0, field=field, Gamma=Gamma, gamma=1.0)
    ref = measures(exact.steady_state(model))
    assert_close(measures(qm.steady_state(model, "piqs")), ref, 1e-7)
    fast = qm.steady_state(model)  # rates at field 0, blocks otherwise
    assert fast.info.method == ("rates" if field == 0 else "blocks")
    assert_close(measures(fast), ref, 1e-10)


@pytest.mark.slow
@pytest.mark.parametrize("N,field,Gamma", [g for g in GRID if g[0] == 8])
def test_exact_vs_piqs_vs_engine_N8(N, field, Gamma):
    test_exact_vs_piqs_vs_engine(N, field, Gamma)


def test_exact_N8_one_point():
    model = qm.LMG(8, field=0.5, Gamma=2.0)
    ref = measures(exact.steady_state(model))
    assert_close(measures(qm.steady_state(model, "piqs")), ref, 1e-7)
    assert_close(measures(qm.steady_state(model)), ref, 1e-10)


@pytest.mark.parametrize("N", [2, 3, 4, 5, 6])
def test_general_model_all_routes(N):
    model = general_model(N)
    ref = measures(exact.steady_state(model))
    assert_close(measures(qm.steady_state(model, "piqs")), ref, 1e-7)
    assert_close(measures(qm.steady_state(model, "blocks")), ref, 1e-10)


def test_paper_regression_point_N10():
    p = PAPER_N10
    model = qm.LMG(p["N"], exchange=p["exchange"], field=p["field"], Gamma=p["Gamma"],
                   gamma=p["gamma"])
    for method in ("piqs", "blocks"):
        assert np.allclose(qm.magnetization(qm.steady_state(model, method)), p["m"], atol=1e-6)


def test_paper_regression_point_N80():
    p = PAPER_N80
    model = qm.LMG(p["N"], exchange=p["exchange"], field=p["field"], Gamma=p["Gamma"],
                   gamma=p["gamma"])
    st = qm.steady_state(model)
    assert np.allclose(qm.magnetization(st), p["m"], atol=1e-6)
    assert qm.mutual_information(st, per_unit=True) == pytest.approx(p["mmi_per_unit"], abs=1e-6)
    assert st.info.residual < 1e-13


@pytest.mark.parametrize("N", [7, 20, 40])
def test_engine_vs_piqs(N):
    model = qm.LMG(N, field=0.5, Gamma=2.0)
    a, b = measures(qm.steady_state(model, "piqs")), measures(qm.steady_state(model))
    # piqs's single-precision rates: measured ~7e-8 relative in S and I_M,
    # up to ~5e-8 in m (see the piqs route's docstring)
    assert abs(a[0] - b[0]) < 2e-7 * b[0] and abs(a[1] - b[1]) < 2e-7 * b[1]
    assert np.allclose(a[2], b[2], atol=1e-7, rtol=0)


@pytest.mark.parametrize("N,Gamma", [(9, 2.0), (30, 0.7), (31, 3.0)])
def test_rates_equal_blocks_at_zero_field(N, Gamma):
    model = qm.LMG(N, field=0.0, Gamma=Gamma)
    a = qm.steady_state(model, "rates")
    b = qm.steady_state(model, "blocks")
    assert a.is_diagonal
    assert_close(measures(a), measures(b), 1e-10)


def test_rates_refuses_models_without_u1():
    with pytest.raises(ValueError, match="blocks"):
        qm.steady_state(qm.LMG(6, field=0.5), "rates")


def test_steady_state_diagnostics():
    st = qm.steady_state(qm.LMG(12, field=0.3, Gamma=1.5))
    info = st.info
    # the engine iterates until the residual is 1e-2 * tol (tol = 1e-10)
    assert info.residual < 1e-12 and abs(info.trace - 1) < 1e-13
    assert info.hermiticity < 1e-13 and info.min_eigenvalue > -1e-12
    assert info.seconds > 0 and info.iterations >= 1
    assert "residual" in repr(info)


def test_block_solver_warm_start_reuses_factors():
    solver = qm.BlockSolver()
    first = solver.solve(qm.LMG(16, field=0.5, Gamma=2.0))
    second = solver.solve(qm.LMG(16, field=0.5, Gamma=2.05))
    assert first.info.extra["refactorized"]
    assert not second.info.extra["refactorized"]
    cold = qm.steady_state(qm.LMG(16, field=0.5, Gamma=2.05))
    assert qm.mutual_information(second) == pytest.approx(qm.mutual_information(cold), abs=1e-11)


@pytest.mark.parametrize("N", [4, 5])
def test_hermitian_reduction_is_the_full_liouvillian(N, rng):
    # The engine solves for q >= 0 in real unknowns; R y must be the q >= 0 part
    # of L x for the Hermitian x that y describes (Re and Im split), for a model
    # with q-changing jumps by 2 (J+ and J- in one jump) and every local term.
    from qutip_mmi.steadystate._hermitian import HermitianReduction
    from qutip_mmi.steadystate.liouvillian import QLayout, assemble
    model = qm.PIModel(N, {"x": 0.7, "zz": 0.3, "y": -0.4},
                       [qm.CollectiveJump(1.3, plus=0.5, minus=1, z=0.4j)],
                       emission=0.3, pumping=0.8, dephasing=0.6)
    layout = QLayout(N, range(-N, N + 1))
    red = HermitianReduction(layout, model)
    y = rng.normal(size=red.size)
    x = red.to_full(y)
    q = layout.m - layout.mp
    partner = layout.index(layout.j, layout.mp, layout.m)
    np.testing.assert_array_equal(x[partner], np.conj(x))      # x is Hermitian
    np.testing.assert_array_equal(red.from_full(x), y)
    Lx = assemble(model, layout) @ x
    np.testing.assert_allclose(Lx[partner], np.conj(Lx), atol=1e-12)
    np.testing.assert_allclose(red.R @ y, red.from_full(Lx), atol=1e-12)
    assert np.abs(Lx[q == 0].imag).max() < 1e-12


def test_hermitian_reduction_pins_in_place_and_restores():
    from qutip_mmi.steadystate._hermitian import HermitianReduction
    from qutip_mmi.steadystate.liouvillian import QLayout
    model = qm.LMG(6, field=0.5, Gamma=1.0)
    layout = QLayout(6, range(-6, 7))
    red = HermitianReduction(layout, model)
    R0 = red.R.toarray()
    k1, k2 = 3, 5                                    # two q = 0 populations
    red.pinned(k1)
    A = red.pinned(k2).toarray()
    expected = R0.copy()
    expected[k2] = 0.0
    expected[k2, k2] = 1.0
    np.testing.assert_array_equal(A, expected)      # row k1 restored, k2 pinned


def test_block_solver_follows_a_moving_steady_state():
    # From Gamma = 0 (populations at the top) to Gamma = 3: the pinned element
    # and the factors must follow; every state equals a cold solve.
    solver = qm.BlockSolver()
    for G in (0.0, 1.5, 3.0, 1.0):
        warm = solver.solve(qm.LMG(14, field=0.5, Gamma=G))
        cold = qm.steady_state(qm.LMG(14, field=0.5, Gamma=G), "blocks")
        assert warm.info.residual < 1e-12
        assert qm.mutual_information(warm) == pytest.approx(
            qm.mutual_information(cold), abs=1e-10)
        np.testing.assert_allclose(qm.magnetization(warm), qm.magnetization(cold),
                                   atol=1e-10)


def test_bad_method_and_model():
    with pytest.raises(ValueError, match="method"):
        qm.steady_state(qm.LMG(4), "magic")
    with pytest.raises(TypeError, match="model"):
        qm.steady_state("LMG")


def test_exact_route_refuses_large_N():
    with pytest.raises(ValueError, match="N <="):
        exact.steady_state(qm.LMG(exact.MAX_N + 1))


def test_memory_estimate_refuses_before_allocating():
    with pytest.raises(MemoryError, match="GiB"):
        qm.steady_state(qm.LMG(4000, field=0.5))


def test_block_engine_shortens_gmres_restart_when_memory_is_tight(monkeypatch):
    from qutip_mmi.steadystate import blocks
    N = 12

    def whole(restart, krylov):  # the estimate with every Krylov vector touched
        return blocks.blocks_memory(N, restart, "mixed", restart + 1, krylov)

    ladder = [(60, "double"), (60, "single"), (30, "single"), (20, "single")]
    for longer, (restart, krylov) in zip(ladder, ladder[1:]):
        tight = 0.5 * (whole(*longer) + whole(restart, krylov)) / 0.9
        monkeypatch.setattr(blocks, "available_memory", lambda: tight)
        st = qm.steady_state(qm.LMG(N, field=0.5, Gamma=2.0), "blocks")
        assert (st.info.extra["restart"], st.info.extra["krylov_precision"]) == (restart, krylov)
        assert st.info.residual < 1e-12
    monkeypatch.setattr(blocks, "available_memory", lambda: 1e15)
    st = qm.steady_state(qm.LMG(N, field=0.5, Gamma=2.0), "blocks")
    assert (st.info.extra["restart"], st.info.extra["krylov_precision"]) == (60, "double")
    with pytest.raises(ValueError, match="krylov_precision"):
        qm.steady_state(qm.LMG(N, field=0.5), "blocks", options={"krylov_precision": "half"})


def test_progress_bar_option_reports(capsys):
    quiet = qm.steady_state(qm.LMG(10, field=0.5, Gamma=2.0))
    assert capsys.readouterr().out == ""
    loud = qm.steady_state(qm.LMG(10, field=0.5, Gamma=2.0), options={"progress_bar": "text"})
    assert "Total run time" in capsys.readouterr().out
    assert qm.mutual_information(loud) == pytest.approx(qm.mutual_information(quiet), abs=1e-12)
    with pytest.raises(ValueError, match="progress_bar"):
        qm.steady_state(qm.LMG(10, field=0.5), options={"progress_bar": "fancy"})


def test_mixed_precision_factors_match_double(monkeypatch):
    from qutip_mmi.steadystate import blocks
    monkeypatch.setattr(blocks, "MIXED_MIN_N", 0)  # mixed at this small N too
    model = qm.PIModel(20, {"x": 0.7, "zz": 0.3}, [qm.CollectiveJump(1.3, minus=1, z=0.4j)],
                       emission=0.3, pumping=0.8, dephasing=0.6)
    mixed = blocks.BlockSolver()
    st_mixed = mixed.solve(model)
    dtypes = {q: dtype for q, (lu, dtype) in mixed._factors.items()}
    assert dtypes[7] == np.complex128 and dtypes[8] == np.complex64 and dtypes[20] == np.complex64
    st_double = blocks.BlockSolver({"factor_precision": "double"}).solve(model)
    # the single-precision preconditioner changes how GMRES gets there, not where
    assert st_mixed.info.residual < 1e-13
    for a, b in zip(st_mixed.blocks, st_double.blocks):
        np.testing.assert_allclose(a, b, atol=1e-12)
    with pytest.raises(ValueError, match="factor_precision"):
        blocks.BlockSolver({"factor_precision": "half"}).solve(model)


def test_mixed_precision_failure_refactorizes_in_double(monkeypatch):
    from qutip_mmi.steadystate import blocks
    monkeypatch.setattr(blocks, "MIXED_MIN_N", 0)
    real_gmres = blocks.gmres
    calls = []

    def first_call_fails(*args, **kwargs):
        x, info = real_gmres(*args, **kwargs)
        calls.append(info)
        if len(calls) == 1:
            info = type(info)(info.iterations, info.cycles, 1.0, False)
        return x, info

    monkeypatch.setattr(blocks, "gmres", first_call_fails)
    solver = blocks.BlockSolver({"direct_max": 0})  # no direct fallback
    st = solver.solve(qm.LMG(24, field=0.5, Gamma=1.5))
    assert len(calls) == 2 and st.info.extra["refactorized"]
    assert solver._single_from == 25  # every factor in double now
    assert all(dtype != np.complex64 for lu, dtype in solver._factors.values())
    reference = blocks.BlockSolver().solve(qm.LMG(24, field=0.5, Gamma=1.5))
    assert qm.mutual_information(st) == pytest.approx(qm.mutual_information(reference), rel=1e-11)


def test_block_solver_extrapolates_along_an_even_grid(monkeypatch):
    from qutip_mmi.steadystate import blocks
    picked = []
    real = blocks.BlockSolver._extrapolated

    def spy(red, y0, line):
        out = real(red, y0, line)
        picked.append(out is line)
        return out

    monkeypatch.setattr(blocks.BlockSolver, "_extrapolated", staticmethod(spy))
    solver = blocks.BlockSolver()
    Gammas = [1.8, 1.9, 2.0, 2.1]
    warm = [solver.solve(qm.LMG(16, field=0.5, Gamma=G)) for G in Gammas]
    # from the third point on, the line through the last two is the better start
    assert picked == [True, True]
    for G, st in zip(Gammas, warm):
        cold = qm.steady_state(qm.LMG(16, field=0.5, Gamma=G), "blocks")
        for a, b in zip(st.blocks, cold.blocks):
            np.testing.assert_allclose(a, b, atol=1e-12)
    # an explicit x0 is used as given
    solver.solve(qm.LMG(16, field=0.5, Gamma=2.2), options={"x0": warm[0]})
    assert len(picked) == 2
