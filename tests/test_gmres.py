"""The right-preconditioned GMRES of qutip_mmi._gmres against direct solves."""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spl
from hypothesis import given, settings, strategies as st

from qutip_mmi._gmres import gmres


def _system(n, seed, complex_):
    """A with positive definite Hermitian part (GMRES(m) converges for any m)."""
    rng = np.random.default_rng(seed)
    density = min(1.0, 4.0 / n)
    A = sp.random(n, n, density=density, random_state=rng) * 3.0
    if complex_:
        A = A + 1j * sp.random(n, n, density=density, random_state=rng)
    dominance = abs(A).sum(axis=0).A1 + abs(A).sum(axis=1).A1
    A = (A + sp.diags(dominance * rng.uniform(0.8, 1.2) + 0.1)).tocsr()
    b = rng.standard_normal(n) + (1j * rng.standard_normal(n) if complex_ else 0)
    return A, b


def _relative(A, x, b):
    return np.abs(A @ x - b).max() / max(np.abs(b).max(),
                                         abs(A).sum(axis=1).max() * np.abs(x).max())


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 300), seed=st.integers(0, 10_000), complex_=st.booleans(),
       restart=st.integers(5, 40), precondition=st.booleans())
def test_matches_direct_solve(n, seed, complex_, restart, precondition):
    A, b = _system(n, seed, complex_)
    M = spl.spilu(A.tocsc(), drop_tol=1e-2).solve if precondition else None
    x, info = gmres(A, b, M, tol=1e-12, restart=restart, maxiter=400)
    assert info.converged
    # the reported residual is the true one, and it meets the bound
    assert info.residual == pytest.approx(_relative(A, x, b), rel=1e-6, abs=1e-18)
    assert info.residual <= 1e-12
    exact = spl.spsolve(A.tocsc(), b)
    cond = np.linalg.cond(A.toarray())
    assert np.abs(x - exact).max() <= 1e-9 * cond * np.abs(exact).max()


def test_preconditioner_cuts_iterations_and_x0_is_used():
    A, b = _system(400, 3, False)
    lu = spl.splu(A.tocsc())
    x, info = gmres(A, b, lu.solve, tol=1e-13)
    assert info.iterations <= 2
    x2, info2 = gmres(A, b, None, x0=x, tol=1e-10)
    assert info2.iterations == 0 and info2.cycles == 0
    np.testing.assert_array_equal(x2, x)


def test_reports_failure_with_its_residual():
    A, b = _system(300, 5, True)
    x, info = gmres(A, b, None, tol=1e-14, restart=2, maxiter=3)
    assert not info.converged
    assert info.cycles == 3 and info.iterations <= 6
    assert info.residual == pytest.approx(_relative(A, x, b), rel=1e-6)
    assert info.residual > 1e-14


def test_zero_right_hand_side():
    A, _ = _system(50, 1, False)
    x, info = gmres(A, np.zeros(50), None, tol=1e-12)
    assert info.converged and not x.any()


@settings(max_examples=15, deadline=None)
@given(n=st.integers(50, 400), seed=st.integers(0, 10_000), complex_=st.booleans())
def test_single_precision_basis_reaches_the_same_bound(n, seed, complex_):
    A, b = _system(n, seed, complex_)
    M = spl.spilu(A.tocsc(), drop_tol=1e-2).solve
    x, info = gmres(A, b, M, tol=1e-13, restart=30, maxiter=50, single_basis=True)
    assert info.converged and info.residual <= 1e-13
    assert info.residual == pytest.approx(_relative(A, x, b), rel=1e-6, abs=1e-18)
    exact = spl.spsolve(A.tocsc(), b)
    cond = np.linalg.cond(A.toarray())
    assert np.abs(x - exact).max() <= 1e-9 * cond * np.abs(exact).max()


def test_refine_takes_a_single_precision_preconditioner_to_the_aim():
    A, b = _system(400, 7, False)
    lu32 = spl.splu(A.astype(np.float32).tocsc())

    def M(v):
        return lu32.solve(v.astype(np.float32)).astype(float)

    x, info = gmres(A, b, M, tol=1e-10, aim=1e-15, refine=True)
    assert info.converged and info.residual <= 1e-14
    assert info.residual == pytest.approx(_relative(A, x, b), rel=1e-6, abs=1e-18)
    _, plain = gmres(A, b, M, tol=1e-10, aim=1e-15)
    assert plain.converged and plain.cycles <= info.cycles
