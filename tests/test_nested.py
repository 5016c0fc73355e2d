"""The nested-dissection solver of the rate equations against SuperLU."""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spl

import qutip_mmi as qm
from hypothesis import given, settings, strategies as st
from qutip_mmi.steadystate._nested import grid_solve


def _grid_system(rng, shape, reach, odd_steps=False):
    """A random diagonally dominant non-symmetric matrix on a triangle of a grid.

    ``odd_steps``: couplings change the second coordinate by an odd amount only
    (the structure of rate equations without dephasing)."""
    a, b = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing="ij")
    inside = b <= a + shape[1] // 2                     # an irregular domain
    a, b = a[inside], b[inside]
    n = a.size
    index = -np.ones(shape, int)
    index[a, b] = np.arange(n)
    rows, cols = [], []
    for da in range(-reach[0], reach[0] + 1):
        for db in range(-reach[1], reach[1] + 1):
            if odd_steps and db % 2 == 0 and (da, db) != (0, 0):
                continue
            aa, bb = a + da, b + db
            ok = (aa >= 0) & (aa < shape[0]) & (bb >= 0) & (bb < shape[1])
            ok[ok] &= index[aa[ok], bb[ok]] >= 0
            rows.append(np.flatnonzero(ok))
            cols.append(index[aa[ok], bb[ok]])
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    vals = -rng.uniform(0, 1, rows.size)
    A = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    A.setdiag(0)
    A = A - sp.diags(np.asarray(A.sum(axis=0)).ravel() - rng.uniform(0.01, 0.1, n))
    return A.tocsr(), (a, b)


@pytest.mark.parametrize("shape,reach,leaf,odd", [((30, 41), (1, 1), 16, False),
                                                  ((25, 33), (2, 1), 8, False),
                                                  ((12, 7), (1, 1), 500, False),
                                                  ((30, 41), (1, 1), 16, True),
                                                  ((21, 40), (2, 3), 10, True)])
def test_grid_solve_matches_sparse_lu(rng, shape, reach, leaf, odd):
    A, coords = _grid_system(rng, shape, reach, odd)
    b = rng.normal(size=A.shape[0])
    x, stored = grid_solve(A, b, coords, leaf=leaf)
    np.testing.assert_allclose(x, spl.spsolve(A.tocsc(), b), rtol=1e-10, atol=1e-12)
    assert stored > 0


@pytest.mark.parametrize("model", [qm.LMG(60, field=0.0, Gamma=1.7),
                                   qm.LMG(61, field=0.0, Gamma=0.4),
                                   qm.SuperradiantLaser(50, Gamma=2.0, gamma=0.7,
                                                        dephasing=0.3)],
                         ids=["LMG-even", "LMG-odd", "laser-dephasing"])
def test_rates_nested_equals_superlu(model):
    a = qm.steady_state(model, "rates", options={"linear_solver": "superlu"})
    b = qm.steady_state(model, "rates", options={"linear_solver": "nested"})
    assert a.info.extra["linear_solver"] == "superlu"
    assert b.info.extra["linear_solver"] == "nested"
    assert b.info.residual < 1e-13
    pa = np.concatenate(a.blocks)
    pb = np.concatenate(b.blocks)
    np.testing.assert_allclose(pb, pa, rtol=1e-9, atol=1e-14)
    assert qm.mutual_information(b) == pytest.approx(qm.mutual_information(a), abs=1e-12)


def test_rates_linear_solver_is_checked():
    with pytest.raises(ValueError, match="linear_solver"):
        qm.steady_state(qm.LMG(10), "rates", options={"linear_solver": "magic"})
    with pytest.raises(ValueError, match="truncate"):
        qm.steady_state(qm.LMG(10), "rates", options={"truncate": "yes"})


def test_rates_nested_reports_progress(capsys):
    quiet = qm.steady_state(qm.LMG(40), "rates", options={"linear_solver": "nested"})
    assert capsys.readouterr().out == ""
    loud = qm.steady_state(qm.LMG(40), "rates",
                           options={"linear_solver": "nested", "progress_bar": "text"})
    assert "Total run time" in capsys.readouterr().out
    assert qm.mutual_information(loud) == qm.mutual_information(quiet)


@pytest.mark.parametrize("kind", ["emission", "pumping"])
def test_rates_nested_with_a_pure_absorbing_steady_state(kind):
    # Only local decay (or pumping) plus collective emission: every state but
    # one is transient; the fronts must still be regular and the answer pure.
    model = qm.PIModel(30, collective=[qm.CollectiveJump(1.0, minus=1)], **{kind: 0.7})
    rho = qm.steady_state(model, "rates", options={"linear_solver": "nested"})
    ref = qm.steady_state(model, "rates", options={"linear_solver": "superlu"})
    np.testing.assert_allclose(np.concatenate(rho.blocks), np.concatenate(ref.blocks),
                               atol=1e-12)
    assert qm.entropy(rho) == pytest.approx(qm.entropy(ref), abs=1e-10)


# ------------------------------------------------- truncated rate equations
# Above TRUNCATE_MIN unknowns the rate route solves only where the weights
# matter (predicted from N/2). The thresholds are lowered here so that N ~ 400
# takes that path; the reference is the whole grid by SuperLU.
@pytest.fixture
def small_truncation(monkeypatch):
    from qutip_mmi.steadystate import rates
    monkeypatch.setattr(rates, "TRUNCATE_MIN", 5_000)
    monkeypatch.setattr(rates, "COARSE_MIN", 1_500)
    return rates


def _whole_grid(model):
    return qm.steady_state(model, "rates", options={"truncate": False,
                                                    "linear_solver": "superlu"})


def _assert_same_state(a, b):
    pa, pb = np.concatenate(a.blocks), np.concatenate(b.blocks)
    # every weight to 1e-12 of the largest, the information to 1e-10 relative
    # or 1e-11 absolute: whole-grid solves pinned at different states differ
    # by up to ~2e-13 of the largest weight, and they leave rounding weights of
    # ~1e-16 on hundreds of states whose true weight is far smaller (the
    # truncated solve has zeros there), worth ~1e-12 of entropy
    np.testing.assert_allclose(pa, pb, rtol=0, atol=1e-12 * pb.max())
    assert qm.mutual_information(a) == pytest.approx(qm.mutual_information(b),
                                                     rel=1e-10, abs=1e-11)


@pytest.mark.parametrize("model", [
    qm.LMG(401, field=0.0, Gamma=0.5),
    qm.PIModel(400, {"z": 0.3, "zz": 1.0},
               [qm.CollectiveJump(1.0, minus=1), qm.CollectiveJump(0.3, plus=1)],
               emission=0.2, pumping=0.9, dephasing=0.1)], ids=["LMG-odd", "general"])
def test_truncated_rates_match_whole_grid(small_truncation, model):
    a, b = qm.steady_state(model, "rates"), _whole_grid(model)
    extra = a.info.extra
    assert extra["kept"] < 0.6 * extra["unknowns"]          # truncated indeed
    assert extra["edge_weight"] <= 1e-30
    assert a.info.residual < 1e-13
    _assert_same_state(a, b)


def test_truncated_rates_grow_or_fall_back(small_truncation, monkeypatch):
    # a first region far too small: its edge carries weight, so it grows (and
    # the whole grid is solved if that is still not enough)
    monkeypatch.setattr(small_truncation, "KEEP_DECADES", 3.0)
    model = qm.LMG(401, field=0.0, Gamma=0.5)
    a = qm.steady_state(model, "rates")
    assert a.info.extra.get("edge_weight", 0.0) <= 1e-30
    _assert_same_state(a, _whole_grid(model))
    # a region of most of the grid is not worth truncating: the whole grid
    monkeypatch.setattr(small_truncation, "MAX_KEPT_FRACTION", 0.0)
    c = qm.steady_state(model, "rates")
    assert c.info.extra["kept"] == c.info.extra["unknowns"]
    _assert_same_state(c, _whole_grid(model))


@st.composite
def _u1_models(draw):
    r = st.floats(0.05, 2.0)
    f = st.floats(-1.5, 1.5)
    N = draw(st.integers(300, 420))
    return qm.PIModel(N, {"z": draw(f), "zz": draw(f)},
                      [qm.CollectiveJump(draw(r), minus=1),
                       qm.CollectiveJump(draw(st.floats(0.0, 0.5)), plus=1)],
                      emission=draw(st.floats(0.0, 1.0)), pumping=draw(r),
                      dephasing=draw(st.floats(0.0, 0.5)))


@settings(max_examples=10, deadline=None)
@given(model=_u1_models())
def test_truncated_rates_random_models(model):
    from qutip_mmi.steadystate import rates
    saved = rates.TRUNCATE_MIN, rates.COARSE_MIN
    rates.TRUNCATE_MIN, rates.COARSE_MIN = 5_000, 1_500
    try:
        a = qm.steady_state(model, "rates")
    finally:
        rates.TRUNCATE_MIN, rates.COARSE_MIN = saved
    assert a.info.residual < 1e-12
    _assert_same_state(a, _whole_grid(model))


def test_truncated_rates_memory_is_refused_before_allocating():
    from qutip_mmi.steadystate import rates
    assert rates.rates_memory(12800) < 10 * 2 ** 30       # fits on a 24 GB machine
    with pytest.raises(MemoryError, match="GiB"):
        qm.steady_state(qm.LMG(200_000), "rates")


def test_truncated_rates_without_a_prediction_solve_the_whole_grid(small_truncation,
                                                                   monkeypatch):
    # the model at N/2 has no unique steady state (here: made so): no prediction,
    # the whole grid is solved
    model = qm.LMG(401, field=0.0, Gamma=0.5)
    ref = _whole_grid(model)
    monkeypatch.setattr(qm.LMG, "replace", lambda self, **kw: qm.PIModel(
        kw["N"], collective=[qm.CollectiveJump(1.0, minus=1)]))
    a = qm.steady_state(model, "rates")
    assert a.info.extra["kept"] == a.info.extra["unknowns"]
    _assert_same_state(a, ref)


@pytest.mark.parametrize("model", [qm.LMG(9, field=0.0, Gamma=1.3),
                                   qm.LMG(7, field=0.5, Gamma=2.0),
                                   qm.SuperradiantLaser(8, Gamma=2.0, gamma=0.7,
                                                        dephasing=0.3)])
def test_assemble_an_array_of_rows_is_those_rows(rng, model):
    from qutip_mmi.steadystate.liouvillian import QLayout, assemble
    qs = [0] if model.conserves_excitations() else range(-model.N, model.N + 1)
    layout = QLayout(model.N, qs)
    full = assemble(model, layout).toarray()
    rows = np.sort(rng.choice(layout.size, size=layout.size // 3, replace=False))
    part = assemble(model, layout, rows=rows)
    assert part.shape == (rows.size, layout.size)
    np.testing.assert_array_equal(part.toarray(), full[rows])
