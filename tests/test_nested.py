"""The nested-dissection solver of the rate equations against SuperLU."""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spl

import qutip_mmi as qm
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
