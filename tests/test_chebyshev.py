"""The Chebyshev propagator (qutip_mmi._chebyshev) against dense scipy.linalg.expm
of the same reduced generators, over random models whose dissipation ranges from
weak (spectrum along the imaginary axis: imaginary foci) to dominant (real foci)."""

import numpy as np
import pytest
import scipy.linalg as sla
from hypothesis import given, settings, strategies as st

from qutip_mmi import LMG, BoundaryTimeCrystal, CollectiveJump, PIModel
from qutip_mmi._chebyshev import ChebyshevPropagator, fit_ellipse, ritz_values
from qutip_mmi.evolve import _System, coherent_state, evolve


def _exact(A, v, times):
    A = A.toarray()
    return [sla.expm((t - times[0]) * A) @ v for t in times[1:]]


def _propagate(A, v, times, **kwargs):
    P = ChebyshevPropagator(A, 1e-12, 1e-12, **kwargs)
    out = {}
    P.run(v, times, lambda k, y: out.__setitem__(k, y.copy()))
    return P, [out[k] for k in range(1, len(times))]


_coef = st.floats(-1.0, 1.0, allow_nan=False)


@st.composite
def _systems(draw):
    N = draw(st.integers(2, 7))
    h = {k: draw(_coef) for k in ("x", "y", "z", "xx", "zz")}
    damping = 10.0 ** draw(st.floats(-3.0, 1.0))  # weak ... dominant dissipation
    rates = [damping * draw(st.floats(0.0, 1.0)) for _ in range(3)]
    jumps = [CollectiveJump(damping * draw(st.floats(0.0, 1.0)),
                            plus=complex(draw(_coef), draw(_coef)), minus=draw(_coef),
                            z=draw(_coef) or 0.5)]
    model = PIModel(N, hamiltonian=h, collective=jumps, emission=rates[0],
                    pumping=rates[1], dephasing=rates[2])
    theta = draw(st.floats(0.0, np.pi))
    return model, theta


@settings(max_examples=25, deadline=None)
@given(_systems())
def test_random_generators_match_dense_expm(case):
    model, theta = case
    system = _System(model, [], False)
    v = system.vector(coherent_state(model.N, theta, 0.3))
    times = np.array([0.0, 0.05, 0.4, 1.0, 3.0, 3.5])
    P, got = _propagate(system.A0, v, times)
    for y, ref in zip(got, _exact(system.A0, v, times)):
        np.testing.assert_allclose(y, ref, atol=1e-10, rtol=0)


def test_both_orientations_occur():
    weak = _System(BoundaryTimeCrystal(20, omega=1.0, kappa=0.02), [], False).A0
    strong = _System(LMG(20, Gamma=2.0), [], True).A0
    assert fit_ellipse(ritz_values(weak)).imaginary
    assert not fit_ellipse(ritz_values(strong)).imaginary


def test_too_small_ellipse_is_widened_and_stays_exact():
    system = _System(LMG(12, field=0.5, Gamma=2.0), [], False)
    v = system.vector(coherent_state(12, np.pi))
    times = np.linspace(0, 4, 9)
    P, got = _propagate(system.A0, v, times, margin=0.2)  # misses most of the spectrum
    assert P.redone > 0
    for y, ref in zip(got, _exact(system.A0, v, times)):
        np.testing.assert_allclose(y, ref, atol=1e-10, rtol=0)


def test_long_intervals_and_many_outputs_per_window():
    system = _System(LMG(30, Gamma=2.0), [], True)  # rate equations
    A = system.A0
    v = system.vector(coherent_state(30, np.pi))
    P = ChebyshevPropagator(A, 1e-12, 1e-12)
    # one interval spanning many windows, then a dense burst of outputs
    times = np.concatenate([[0.0, 30 * P.max_window], 30 * P.max_window
                            + np.linspace(0, 0.5 * P.max_window, 41)[1:]])
    _, got = _propagate(A, v, times)
    ref = _exact(A, v, times)
    for y, r in zip(got, ref):
        np.testing.assert_allclose(y, r, atol=1e-10, rtol=0)
        assert abs(y.sum() - 1) < 1e-10  # probability conserved


def test_evolve_chebyshev_is_the_default_and_agrees_with_dop853():
    model = LMG(16, field=0.5, Gamma=2.0)
    tlist = np.linspace(0, 5, 26)
    tight = {"atol": 1e-12, "rtol": 1e-12}
    auto = evolve(model, coherent_state(16, np.pi), tlist, options=tight)
    dop = evolve(model, coherent_state(16, np.pi), tlist, options=dict(tight, method="dop853"))
    assert auto.method == "chebyshev" and auto.steps >= 1
    np.testing.assert_allclose(auto.mmi, dop.mmi, atol=1e-9)
    np.testing.assert_allclose(auto.magnetization, dop.magnetization, atol=1e-10)
    # with a time-dependent term "auto" is dop853; "chebyshev" is refused
    res = evolve(model, coherent_state(16, np.pi), tlist[:3], H_t={"x": np.cos})
    assert res.method == "dop853"
    with pytest.raises(ValueError, match="constant generator"):
        evolve(model, coherent_state(16, np.pi), tlist, H_t={"x": np.cos},
               options={"method": "chebyshev"})


def test_threads_give_the_same_series(monkeypatch):
    import qutip_mmi._chebyshev as cheb
    monkeypatch.setattr(cheb, "MIN_ROWS_PER_THREAD", 100)
    system = _System(LMG(14, field=0.5, Gamma=2.0), [], False)
    v = system.vector(coherent_state(14, np.pi))
    times = np.linspace(0, 3, 13)
    runs = []
    for threads in (1, 3):
        P, got = _propagate(system.A0, v, times, threads=threads)
        assert P.threads == threads and (P._pool is None) == (threads == 1)
        P.close()
        runs.append(got)
    for a, b, ref in zip(*runs, _exact(system.A0, v, times)):
        np.testing.assert_allclose(a, b, atol=1e-14, rtol=0)
        np.testing.assert_allclose(b, ref, atol=1e-10, rtol=0)
    with pytest.raises(ValueError, match="threads"):
        evolve(LMG(4, field=0.5), coherent_state(4, 1.0), [0, 1], options={"threads": 0})
