import math

import numpy as np
import pytest

import qutip_mmi as qm


@pytest.mark.parametrize("N", [0, -3])
def test_N_must_be_positive(N):
    with pytest.raises(ValueError, match="N"):
        qm.LMG(N)


@pytest.mark.parametrize("N", [2.5, math.nan, "4", True])
def test_N_must_be_integer(N):
    with pytest.raises((ValueError, TypeError), match="N"):
        qm.LMG(N)


def test_integral_float_N_accepted():
    assert qm.LMG(4.0).N == 4


@pytest.mark.parametrize("name", ["Gamma", "gamma"])
@pytest.mark.parametrize("value", [-1.0, math.nan, math.inf])
def test_bad_rates(name, value):
    with pytest.raises(ValueError, match=name):
        qm.LMG(4, **{name: value})


@pytest.mark.parametrize("name", ["exchange", "field"])
def test_non_finite_couplings(name):
    with pytest.raises(ValueError, match=name):
        qm.LMG(4, **{name: math.nan})


def test_general_model_validation():
    with pytest.raises(ValueError, match="unsupported"):
        qm.PIModel(4, {"q": 1.0})
    with pytest.raises(ValueError, match="Hermitian"):
        qm.PIModel(4, {"xz": 1.0})
    with pytest.raises(ValueError, match="rate"):
        qm.CollectiveJump(-1.0, minus=1)
    with pytest.raises(ValueError, match="non-zero"):
        qm.CollectiveJump(1.0)
    with pytest.raises(ValueError, match="dephasing"):
        qm.PIModel(4, dephasing=-0.1)


def test_u1_detection():
    assert qm.LMG(6, field=0.0).conserves_excitations()
    assert not qm.LMG(6, field=0.1).conserves_excitations()
    assert not qm.BoundaryTimeCrystal(6).conserves_excitations()
    assert qm.SuperradiantLaser(6, dephasing=0.2).conserves_excitations()
    assert qm.PIModel(4, {"zz": 1.0}, [qm.CollectiveJump(1, z=1)]).conserves_excitations()
    assert not qm.PIModel(4, {}, [qm.CollectiveJump(1, plus=1, minus=1)], pumping=1).conserves_excitations()


def test_replace_and_parameters():
    m = qm.LMG(10, field=0.5, Gamma=2.0)
    m2 = m.replace(Gamma=3.0)
    assert isinstance(m2, qm.LMG) and m2.parameters["Gamma"] == 3.0 and m2.N == 10
    assert m.replace(N=12).N == 12
    with pytest.raises(TypeError, match="no parameter"):
        m.replace(omega=1.0)


def test_piqs_dicke_object_is_the_paper_model():
    m = qm.LMG(6, exchange=3.0, field=0.5, Gamma=2.0, gamma=1.0)
    dicke, extra = m.dicke()
    assert not extra
    assert dicke.collective_emission == pytest.approx(2.0 / 6)
    assert dicke.pumping == 1.0
    from qutip import piqs
    jx, jy, jz = piqs.jspin(6, basis="dicke")
    H = 3.0 / 6 * (jx * jx + jy * jy) + 0.5 * jx
    assert (dicke.hamiltonian - H).norm() < 1e-12
    assert np.isfinite(m.block_operators(3.0)[0].toarray()).all()


def test_models_hash_like_equal():
    a = qm.PIModel(3, {"x": 1.0}, [qm.CollectiveJump(1.0, minus=1)], pumping=0.5)
    b = qm.PIModel(3, {"x": 1.0}, [qm.CollectiveJump(1.0, minus=1)], pumping=0.5)
    assert a == b and hash(a) == hash(b) and len({a, b, qm.LMG(3)}) == 2


def test_model_gives_dicke_hamiltonian_and_liouvillian():
    from qutip import piqs
    m = qm.LMG(5, exchange=2.0, field=0.4, Gamma=1.5)
    jx, jy, jz = piqs.jspin(5, basis="dicke")
    H = 2.0 / 5 * (jx * jx + jy * jy) + 0.4 * jx
    assert (m.dicke_hamiltonian() - H).norm() < 1e-12
    from qutip_mmi.steadystate.piqs_route import liouvillian
    L = liouvillian(m)
    nds = qm.num_dicke_states(5)
    assert L.shape == (nds ** 2, nds ** 2) and L.issuper
    # the engine's float64 Liouvillian preserves the trace exactly
    from qutip_mmi.steadystate.liouvillian import QLayout, assemble
    lay = QLayout(5, range(-5, 6))
    Lr = assemble(m, lay)
    diag = lay.m == lay.mp
    assert np.abs(np.asarray(Lr[diag].sum(axis=0))).max() < 1e-13


def test_local_channels_in_the_model_description():
    jump = qm.LocalJump(0.3, plus=1, minus=1)
    m = qm.PIModel(4, {"x": 1.0}, local=[jump, qm.LocalJump(0.0, z=1)], pumping=0.5)
    assert m.local == (jump,)                      # zero rates dropped
    assert m.local_jumps == (qm.LocalJump(0.5, plus=1), jump)
    assert m.local_rates == {"emission": 0.0, "pumping": 0.5, "dephasing": 0.0,
                             "local[0]": 0.3}
    assert m.parameters["local"] == [[0.3, [1.0, 0.0], [1.0, 0.0], [0.0, 0.0],
                                      [0.0, 0.0]]]
    assert m.replace(N=6).local == (jump,)
    assert hash(m) == hash(qm.PIModel(4, {"x": 1.0}, local=[jump], pumping=0.5))
    # only local channels: the steady state is unique (J blocks are coupled)
    state = qm.steady_state(qm.PIModel(4, {"x": 1.0}, local=[jump]))
    assert abs(state.populations.sum() - 1) < 1e-12
    # identity part -> Hamiltonian correction, Hermitian and linear
    d = qm.LocalJump(2.0, minus=1.0, identity=0.5j)
    # per unit (i/2)(d* s_- - d s_+) * 2 = 0.5 sigma_x, i.e. 1.0 Jx
    assert d.hamiltonian_correction == {"x": 1.0, "y": 0.0}
    assert qm.PIModel(3, local=[d]).effective_hamiltonian == {"x": 1.0}
