"""qutip_mmi.evolve against qutip.mesolve on the full 2^N space (operators built
here from single-site matrices), against mesolve on the qutip.piqs Liouvillian,
and against the steady-state engine at long times."""

import json

import numpy as np
import pytest
import qutip
from hypothesis import given, settings, strategies as st
from qutip import piqs

from qutip_mmi import (LMG, BoundaryTimeCrystal, CollectiveJump, PIModel, PIState,
                       SuperradiantLaser, mutual_information, steady_state)
from qutip_mmi.evolve import EvolveResult, coherent_state, evolve
from qutip_mmi.steadystate import piqs_route

TIGHT = {"atol": 1e-12, "rtol": 1e-12}


# ------------------------------------------------------------ full 2^N reference
def _site(op, i, N):
    return qutip.tensor([op if k == i else qutip.qeye(2) for k in range(N)])


def _full_collective(N):
    return [0.5 * sum(_site(s, i, N) for i in range(N))
            for s in (qutip.sigmax(), qutip.sigmay(), qutip.sigmaz())]


def _full_hamiltonian(N, hamiltonian):
    J = dict(zip("xyz", _full_collective(N)))
    H = 0 * J["z"]
    for key, c in hamiltonian.items():
        term = J[key[0]]
        for a in key[1:]:
            term = term * J[a]
        H = H + c * float(N) ** (1 - len(key)) * term
    return H


def _full_c_ops(model):
    N = model.N
    jx, jy, jz = _full_collective(N)
    c_ops = []
    for rate, op in ((model.emission, qutip.sigmam()), (model.pumping, qutip.sigmap()),
                     (model.dephasing, 0.5 * qutip.sigmaz())):
        if rate > 0:
            c_ops += [np.sqrt(rate) * _site(op, i, N) for i in range(N)]
    for jump in model.collective:
        L = jump.plus * (jx + 1j * jy) + jump.minus * (jx - 1j * jy) + jump.z * jz
        c_ops.append(np.sqrt(jump.rate / N) * L)
    return c_ops


def _full_reference(model, rho0, tlist, td=None):
    """I_M/N and (mx, my, mz) along mesolve on the full 2^N space."""
    N = model.N
    H = _full_hamiltonian(N, model.hamiltonian)
    if td:
        H = [H] + [[_full_hamiltonian(N, {k: 1.0}), f] for k, f in td.items()]
    sig = [2.0 / N * J for J in _full_collective(N)]
    res = qutip.mesolve(H, rho0, tlist, _full_c_ops(model), e_ops=sig,
                        options={"atol": 1e-12, "rtol": 1e-12, "nsteps": 10 ** 6,
                                 "store_states": True})
    mmi = np.array([mutual_information(r, per_unit=True) for r in res.states])
    return mmi, np.stack([np.real(e) for e in res.expect], axis=1)


def _product_state(N, bloch):
    """(rho_1)^{(x)N} for a single-spin Bloch vector (permutation invariant)."""
    r1 = 0.5 * (qutip.qeye(2) + sum(b * s for b, s in
                                    zip(bloch, (qutip.sigmax(), qutip.sigmay(),
                                                qutip.sigmaz()))))
    return qutip.tensor([r1] * N)


_coef = st.floats(-1.0, 1.0, allow_nan=False)
_rate = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def _models(draw):
    N = draw(st.integers(2, 6))
    h = {k: draw(_coef) for k in ("x", "y", "z", "xx", "zz")}
    xz = draw(_coef)
    h.update({"xz": xz, "zx": xz})
    jumps = [CollectiveJump(draw(_rate), plus=complex(draw(_coef), draw(_coef)),
                            minus=complex(draw(_coef), draw(_coef)),
                            z=draw(_coef) or 0.5)]
    model = PIModel(N, hamiltonian=h, collective=jumps, emission=draw(_rate),
                    pumping=draw(_rate), dephasing=draw(_rate))
    bloch = np.array([draw(_coef), draw(_coef), draw(_coef)])
    bloch *= draw(st.floats(0.0, 1.0)) / max(np.linalg.norm(bloch), 1.0)
    return model, bloch


@settings(max_examples=20, deadline=None)
@given(_models())
def test_random_models_match_full_mesolve(case):
    model, bloch = case
    tlist = np.linspace(0.0, 1.5, 7)
    rho0 = _product_state(model.N, bloch)
    mmi, mag = _full_reference(model, rho0, tlist)
    res = evolve(model, rho0, tlist, options=TIGHT)  # the 2^N state is reduced
    np.testing.assert_allclose(res.mmi_per_unit, mmi, atol=1e-8, rtol=0)
    np.testing.assert_allclose(res.magnetization, mag, atol=1e-8, rtol=0)


@pytest.mark.parametrize("style", ["f(t)", "f(t, args)", "array"])
def test_time_dependent_field_matches_full_mesolve(style):
    model = LMG(5, field=0.2, Gamma=1.0, gamma=0.5)
    tlist = np.linspace(0.0, 3.0, 31)
    ramp = lambda t: 0.8 * np.sin(1.3 * t)  # noqa: E731
    rho0 = qutip.tensor([qutip.basis(2, 1)] * 5).proj()  # all spins down
    mmi, mag = _full_reference(model, rho0, tlist, td={"x": ramp})
    if style == "f(t)":
        H_t, args = {"x": ramp}, None
    elif style == "f(t, args)":
        H_t, args = {"x": lambda t, args: args["a"] * np.sin(args["w"] * t)}, \
            {"a": 0.8, "w": 1.3}
    else:
        fine = np.linspace(0.0, 3.0, 3001)  # the cubic spline of the samples
        res = evolve(model, piqs.ground(5), fine, options=TIGHT,
                     H_t={"x": ramp(fine)})
        np.testing.assert_allclose(res.mmi_per_unit[::100], mmi, atol=1e-8, rtol=0)
        np.testing.assert_allclose(res.magnetization[::100], mag, atol=1e-8, rtol=0)
        return
    res = evolve(model, piqs.ground(5), tlist, options=TIGHT, H_t=H_t, args=args)
    assert res.time_dependent == ["x"]
    np.testing.assert_allclose(res.mmi_per_unit, mmi, atol=1e-8, rtol=0)
    np.testing.assert_allclose(res.magnetization, mag, atol=1e-8, rtol=0)


def test_matches_mesolve_on_the_piqs_liouvillian():
    N = 20
    model = LMG(N, field=0.5, Gamma=2.0)
    tlist = np.linspace(0.0, 2.0, 11)
    rho0 = piqs.css(N, np.pi / 3, 0.4, coordinates="polar")
    L = piqs_route.liouvillian(model)
    ref = qutip.mesolve(L, rho0, tlist, options={"atol": 1e-12, "rtol": 1e-10,
                                                 "store_states": True})
    states = [PIState.from_qobj(r, N=N) for r in ref.states]
    res = evolve(model, rho0, tlist, options={"atol": 1e-12, "rtol": 1e-10})
    # piqs's rates are single precision (~1e-6 relative)
    for k, s in enumerate(states):
        tr = s.populations.sum()
        s = PIState(N, [b / tr for b in s.blocks])
        assert abs(res.mmi_per_unit[k] - mutual_information(s, per_unit=True, tol=1e-6)) \
            < 2e-6
        from qutip_mmi import magnetization
        np.testing.assert_allclose(res.magnetization[k], magnetization(s), atol=2e-6)


@pytest.mark.parametrize("model", [LMG(8, field=0.5, Gamma=2.0),
                                   BoundaryTimeCrystal(6, omega=0.5, dephasing=0.5)])
def test_long_time_limit_is_the_steady_state(model):
    ss = steady_state(model)
    res = evolve(model, piqs.excited(model.N), [0.0, 40.0, 80.0],
                 options={"atol": 1e-13, "rtol": 1e-11})
    from qutip_mmi import magnetization
    assert abs(res.mmi_per_unit[-1] - mutual_information(ss, per_unit=True)) < 1e-8
    np.testing.assert_allclose(res.magnetization[-1], magnetization(ss), atol=1e-8)


def test_trace_and_hermiticity_along_the_trajectory():
    model = LMG(12, field=0.7, Gamma=1.5, gamma=0.5)
    res = evolve(model, piqs.css(12, 1.0, 0.3, coordinates="polar"), np.linspace(0, 5, 26),
                 options={"store_states": True})
    assert len(res.states) == 26 and all(isinstance(s, PIState) for s in res.states)
    for s in res.states:
        check = s.check()
        assert abs(check.trace - 1) < 1e-10
        assert check.hermiticity < 1e-10
    assert res.trace_defect.max() < 1e-10


def test_u1_populations_equal_the_full_reduced_dynamics():
    model = SuperradiantLaser(14, Gamma=2.0, gamma=0.7, dephasing=0.4)
    tlist = np.linspace(0, 4, 21)
    zz = piqs.jspin(14, "z", basis="dicke") ** 2
    pops = evolve(model, piqs.excited(14), tlist, e_ops=[zz], options=TIGHT)
    full = evolve(model, piqs.excited(14), tlist, e_ops=[zz],
                  options={**TIGHT, "layout": "hermitian"})
    assert pops.layout == "populations" and full.layout == "hermitian"
    assert pops.unknowns < full.unknowns
    for name in ("mmi_per_unit", "entropy", "magnetization"):
        np.testing.assert_allclose(getattr(pops, name), getattr(full, name),
                                   atol=1e-10, rtol=0)
    np.testing.assert_allclose(pops.expect[0], full.expect[0], rtol=1e-10)


def test_methods_agree_and_e_ops():
    N = 10
    model = LMG(N, field=0.5, Gamma=2.0)
    tlist = np.linspace(0, 2, 9)
    jx, jy, jz = piqs.jspin(N, basis="dicke")
    jp = piqs.jspin(N, "+", basis="dicke")
    e_ops = {"jz": jz, "jp": jp, "m": lambda s: float(np.trace(s.block(0)).real)}
    runs = {m: evolve(model, piqs.css(N, 0.7, 0.0, coordinates="polar"), tlist, e_ops=e_ops,
                      options={"method": m, "atol": 1e-12, "rtol": 1e-11})
            for m in ("dop853", "chebyshev", "adams", "RK45", "DOP853", "BDF", "krylov")}
    ref = runs.pop("dop853")
    for res in runs.values():
        np.testing.assert_allclose(res.mmi, ref.mmi, atol=1e-7)
        np.testing.assert_allclose(res.magnetization, ref.magnetization, atol=1e-8)
    np.testing.assert_allclose(ref.expect["jz"], N / 2 * ref.magnetization[:, 2],
                               atol=1e-12)
    jpv = ref.expect["jp"]  # Tr(rho J+) = <Jx> + i <Jy> (complex: J+ not Hermitian)
    assert np.iscomplexobj(jpv)
    np.testing.assert_allclose(jpv, N / 2 * (ref.magnetization[:, 0]
                                             + 1j * ref.magnetization[:, 1]), atol=1e-12)
    assert ref.expect["m"].dtype == float
    d = ref.as_dict()
    json.dumps(d)
    assert d["expect"]["jp"][0] == [jpv[0].real, jpv[0].imag]
    assert "EvolveResult(N=10" in repr(ref)


def test_constant_coefficient_array_equals_a_static_term():
    tlist = np.linspace(0, 2, 11)
    a = evolve(LMG(6, field=0.5), piqs.ground(6), tlist, options=TIGHT)
    b = evolve(LMG(6, field=0.2), piqs.ground(6), tlist, options=TIGHT,
               H_t={"x": np.full(11, 0.3)})
    np.testing.assert_allclose(a.mmi, b.mmi, atol=1e-10)
    # a non-Hermitian monomial pair shares one coefficient: "xz+zx"
    static = PIModel(6, {"x": 0.5, "xz": 0.3, "zx": 0.3}, pumping=0.5)
    c = evolve(static, piqs.ground(6), tlist, options=TIGHT)
    d = evolve(PIModel(6, {"x": 0.5}, pumping=0.5), piqs.ground(6), tlist, options=TIGHT,
               H_t={"xz+zx": lambda t: 0.3})
    np.testing.assert_allclose(c.mmi, d.mmi, atol=1e-10)
    np.testing.assert_allclose(c.magnetization, d.magnetization, atol=1e-10)


def test_ghz_and_dicke_initial_states_and_qobj_kinds():
    N = 6
    model = BoundaryTimeCrystal(N, omega=1.0, dephasing=0.3)
    tlist = [0.0, 0.5]
    ghz = evolve(model, piqs.ghz(N), tlist)
    assert abs(ghz.mmi[0] - N * np.log(2)) < 1e-12   # GHZ: pure, S(rho_1) = ln 2
    full = qutip.tensor([qutip.basis(2, 0)] * N).proj()   # all up, as a 2^N state
    a = evolve(model, full, tlist)
    b = evolve(model, piqs.excited(N), tlist)
    np.testing.assert_allclose(a.mmi, b.mmi, atol=1e-12)


def test_memory_refused_before_allocation(monkeypatch):
    import qutip_mmi._resources as res
    monkeypatch.setattr(res, "available_memory", lambda: 1000)
    with pytest.raises(MemoryError, match="evolve at N=8"):
        evolve(LMG(8, field=0.5), piqs.ground(8), [0, 1])


def test_bad_input():
    model = LMG(4, field=0.5)
    rho = piqs.ground(4)
    up, down = qutip.basis(2, 0), qutip.basis(2, 1)
    not_pi = qutip.tensor([up, down, down, down]).proj()
    with pytest.raises(ValueError, match="rho0.*not permutation invariant"):
        evolve(model, not_pi, [0, 1])
    with pytest.raises(ValueError, match="rho0 is not normalized"):
        evolve(model, 2 * rho, [0, 1])
    with pytest.raises(ValueError, match="rho0"):
        evolve(model, piqs.ground(5), [0, 1])
    with pytest.raises(TypeError, match="rho0"):
        evolve(model, "excited", [0, 1])
    with pytest.raises(ValueError, match="tlist must be strictly increasing"):
        evolve(model, rho, [0, 2, 1])
    with pytest.raises(ValueError, match="tlist must be a non-empty 1-D"):
        evolve(model, rho, [[0, 1]])
    with pytest.raises(ValueError, match="tlist must be finite"):
        evolve(model, rho, [0, np.nan])
    with pytest.raises(ValueError, match=r"e_ops\[0\] has shape"):
        evolve(model, rho, [0, 1], e_ops=[qutip.sigmaz()])
    with pytest.raises(TypeError, match="e_ops"):
        evolve(model, rho, [0, 1], e_ops=[3])
    with pytest.raises(ValueError, match=r"H_t\['x'\].*one value per time"):
        evolve(model, rho, [0, 1, 2], H_t={"x": np.ones(5)})
    with pytest.raises(ValueError, match="H_t.*not Hermitian"):
        evolve(model, rho, [0, 1], H_t={"xz": 1.0})
    with pytest.raises(ValueError, match="krylov"):
        evolve(model, rho, [0, 1], H_t={"x": 1.0}, options={"method": "krylov"})
    with pytest.raises(KeyError, match="unknown option"):
        evolve(model, rho, [0, 1], options={"tolerance": 1})
    with pytest.raises(ValueError, match="method"):
        evolve(model, rho, [0, 1], options={"method": "euler"})
    for method in ("chebyshev", "dop853", "adams", "RK45"):
        with pytest.raises(RuntimeError, match="nsteps"):
            evolve(model, rho, [0, 10], options={"nsteps": 5, "method": method})
    assert isinstance(evolve(model, rho, [0.0]), EvolveResult)


def test_cli_evolve(tmp_path, capsys):
    from qutip_mmi.cli import main
    argv = ["evolve", "--N", "6", "--field", "0.5", "--Gamma", "2", "--initial",
            "css:1.2,0.3", "--t-max", "2", "--steps", "4"]
    assert main(argv + ["--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ref = evolve(LMG(6, field=0.5, Gamma=2.0),
                 piqs.css(6, 1.2, 0.3, coordinates="polar"), np.linspace(0, 2, 5))
    np.testing.assert_allclose(out["mmi_per_unit"], ref.mmi_per_unit, atol=1e-12)
    path = tmp_path / "out.csv"
    assert main(argv + ["--csv", str(path), "--progress"]) == 0
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    np.testing.assert_allclose(table[:, 5:], ref.magnetization, atol=1e-12)
    assert "I_M/N" in capsys.readouterr().out
    assert main(["evolve", "--N", "6", "--initial", "up"]) == 2
    assert "--initial" in capsys.readouterr().err


def test_large_dicke_states_stay_sparse_and_inter_block_weight_refused():
    N = 400  # a dense Dicke-basis matrix would be 40401 x 40401 complex (26 GB)
    res = evolve(SuperradiantLaser(N, gamma=0.0, dephasing=0.1), coherent_state(N, 0.0),
                 [0.0, 1e-3], e_ops=[piqs.jspin(N, "z", basis="dicke")])
    assert res.layout == "populations"
    assert abs(res.expect[0][0] - N / 2) < 1e-9
    rho = piqs.dicke(4, 2, 2) + piqs.dicke(4, 1, 1)
    bad = (rho + qutip.Qobj(np.eye(9, k=4) * 0.1 + np.eye(9, k=-4) * 0.1)) / 2
    with pytest.raises(ValueError, match="rho0 has weight .* between different J"):
        evolve(LMG(4), bad, [0, 1])


@pytest.mark.parametrize("N", [1, 4, 7])
@pytest.mark.parametrize("theta,phi", [(0.0, 0.0), (np.pi, 0.0), (0.3, 0.2), (2.5, -1.1)])
def test_coherent_state_is_piqs_css(N, theta, phi):
    ref = piqs.css(N, theta, phi, coordinates="polar").full()
    np.testing.assert_allclose(coherent_state(N, theta, phi).to_qobj().full(), ref,
                               atol=1e-14)
    assert coherent_state(N, np.pi).is_diagonal


def test_general_local_jump_and_td_z_term_match_full_mesolve():
    from qutip_mmi.models import LocalJump
    N = 4
    model = PIModel(N, {"x": 0.4, "zz": 0.7}, collective=[CollectiveJump(1.0, minus=1)],
                    local=[LocalJump(0.3, plus=0.5, minus=1.0, z=0.4, identity=0.2)])
    tlist = np.linspace(0, 2, 9)
    rho0 = _product_state(N, [0.3, -0.2, 0.5])
    H = [_full_hamiltonian(N, model.hamiltonian),
         [_full_hamiltonian(N, {"z": 1.0}), lambda t: 0.5 * np.cos(t)]]
    A = 0.5 * qutip.sigmap() + 1.0 * qutip.sigmam() + 0.2 * qutip.sigmaz() + 0.2
    c_ops = _full_c_ops(model) + [np.sqrt(0.3) * _site(A, i, N) for i in range(N)]
    sig = [2.0 / N * J for J in _full_collective(N)]
    ref = qutip.mesolve(H, rho0, tlist, c_ops, e_ops=sig,
                        options={"atol": 1e-12, "rtol": 1e-12, "store_states": True})
    res = evolve(model, rho0, tlist, options=TIGHT, H_t={"z": lambda t: 0.5 * np.cos(t)})
    mmi = [mutual_information(r, per_unit=True) for r in ref.states]
    np.testing.assert_allclose(res.mmi_per_unit, mmi, atol=1e-8, rtol=0)
    np.testing.assert_allclose(res.magnetization,
                               np.stack([np.real(e) for e in ref.expect], 1), atol=1e-8)
    # a Jz-conserving time-dependent term keeps the population layout
    pops = evolve(SuperradiantLaser(6, dephasing=0.3), piqs.excited(6), [0, 1],
                  H_t={"z": lambda t: t})
    assert pops.layout == "populations"
    flip = evolve(SuperradiantLaser(6, dephasing=0.3), piqs.excited(6), [0, 1],
                  H_t={"x": lambda t: t})
    assert flip.layout == "hermitian"
