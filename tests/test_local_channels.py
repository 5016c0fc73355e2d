"""Any local channel: the engine against the 2^N Liouvillian built here from
single-site operators (qutip.tensor + qutip.liouvillian + qutip.steadystate)."""

import json
import math
import warnings

import numpy as np
import pytest
import qutip
import scipy.linalg
import scipy.sparse.linalg as spl
from hypothesis import given, settings, strategies as st

import qutip_mmi as qm
from qutip_mmi import exact
from qutip_mmi._resources import limit_blas_threads
from qutip_mmi.meanfield._drift import drift
from qutip_mmi.steadystate.liouvillian import QLayout, assemble, vector_from_state

SX, SY, SZ = qutip.sigmax(), qutip.sigmay(), qutip.sigmaz()
SP, SM, I2 = qutip.sigmap(), qutip.sigmam(), qutip.qeye(2)


# ------------------------------------------------------------ the reference
def site(op, i, N):
    return qutip.tensor([op if k == i else I2 for k in range(N)])


def reference(spec):
    """(H, c_ops) of a model spec on the 2^N space, from single-site operators."""
    N = spec["N"]
    J = {a: 0.5 * sum(site(s, i, N) for i in range(N)) for a, s in zip("xyz", (SX, SY, SZ))}
    H = 0 * J["z"]
    for key, c in spec["ham"].items():
        term = J[key[0]]
        for a in key[1:]:
            term = term * J[a]
        H += c * N ** (1 - len(key)) * term
    jp, jm = J["x"] + 1j * J["y"], J["x"] - 1j * J["y"]
    c_ops = [np.sqrt(r / N) * (p * jp + m * jm + z * J["z"]) for r, p, m, z in spec["coll"]]
    for r, a, b, c, d in spec["local"]:
        A = a * SP + b * SM + c * 0.5 * SZ + d * I2
        c_ops += [np.sqrt(r) * site(A, i, N) for i in range(N)]
    return H, c_ops


def model_of(spec):
    return qm.PIModel(spec["N"], spec["ham"],
                      [qm.CollectiveJump(r, p, m, z) for r, p, m, z in spec["coll"]],
                      local=[qm.LocalJump(*ch) for ch in spec["local"]])


def _lyapunov(H, c_ops):
    """Preconditioner: inverse of rho -> A rho + rho A^dag, A = -iH - sum c^dag c/2."""
    d = H.shape[0]
    A = -1j * H.full() - 0.5 * sum((c.dag() * c).full() for c in c_ops)
    T, U = scipy.linalg.schur(A, output="complex")
    trsyl = scipy.linalg.get_lapack_funcs("trsyl", (T,))

    def apply(y):
        X, s, _ = trsyl(T, T, U.conj().T @ y.reshape(d, d, order="F") @ U, trana="N",
                        tranb="C")
        return (U @ (X / s) @ U.conj().T).ravel(order="F")

    return spl.LinearOperator((d * d, d * d), apply, dtype=complex)


def reference_steady_state(spec):
    H, c_ops = reference(spec)
    L = qutip.liouvillian(H, c_ops)
    with limit_blas_threads(1):
        rho = qutip.steadystate(L, method="direct", solver="gmres", M=_lyapunov(H, c_ops),
                                rtol=1e-14, atol=0.0, restart=200, maxiter=50)
    rho = rho / rho.tr()
    res = np.abs((L * qutip.operator_to_vector(rho)).full()).max()
    assert res < 1e-12 * max(1.0, np.abs(L.full()).max() if spec["N"] < 4 else 1.0)
    return rho


def reference_measures(rho, N):
    """(I_M/N, S(rho_T), mx, my, mz) directly from the 2^N matrix."""
    def S(m):
        w = np.linalg.eigvalsh(m.full())
        w = w[w > 1e-300]
        return float(-(w * np.log(w)).sum())
    one = rho.ptrace(0)
    m = [float(qutip.expect(s, one)) for s in (SX, SY, SZ)]
    S_T = S(rho)
    return np.array([(N * S(one) - S_T) / N, S_T, *m])


def engine_measures(state):
    return np.array([qm.mutual_information(state) / state.N, qm.entropy(state),
                     *qm.magnetization(state)])


# --------------------------------------------------------------- strategies
coef = st.floats(-1, 1, allow_nan=False).filter(lambda x: abs(x) > 1e-3 or x == 0)
cplx = st.builds(complex, coef, coef)
rate = st.floats(0.1, 1.0)


@st.composite
def specs(draw, n_min=2, n_max=7):
    N = draw(st.integers(n_min, n_max))
    hx, hz, zz, xz = (draw(coef) for _ in range(4))
    ham = {"x": hx, "z": hz, "zz": zz, "xz": xz, "zx": xz}
    coll = [(draw(rate), draw(cplx), draw(cplx), draw(cplx))
            for _ in range(draw(st.integers(0, 2)))]
    coll = [c for c in coll if any(abs(x) > 0 for x in c[1:])]
    local = []
    for _ in range(draw(st.integers(1, 3))):
        a, b, c, d = (draw(cplx) for _ in range(4))
        if abs(a) + abs(b) + abs(c) < 0.1:
            b = 1.0
        local.append((draw(rate), a, b, c, d))
    return {"N": N, "ham": ham, "coll": coll, "local": local}


# -------------------------------------------------------------------- tests
@settings(max_examples=12, deadline=None)
@given(specs())
def test_steady_state_matches_full_space(spec):
    ref = reference_measures(reference_steady_state(spec), spec["N"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", qm.ConvergenceWarning)
        state = qm.steady_state(model_of(spec))
    assert np.allclose(engine_measures(state), ref, atol=1e-10, rtol=0)


@pytest.mark.parametrize("N", [6, 7])
def test_steady_state_bitflip_tilted_thermal_at_larger_N(N):
    t = 0.4
    spec = {"N": N, "ham": {"x": 0.8, "zz": 0.5}, "coll": [(1.0, 0, 1, 0)],
            "local": [(0.3, 0, math.cos(t), 2 * math.sin(t), 0),   # tilted decay
                      (0.2, 1, 1, 0, 0),                           # bit flips
                      (0.1, 1, 0, 0, 0.5j)]}                       # pump + identity
    ref = reference_measures(reference_steady_state(spec), N)
    state = qm.steady_state(model_of(spec))
    assert state.info.method == "blocks"
    assert np.allclose(engine_measures(state), ref, atol=1e-10, rtol=0)


def random_state(N, rng):
    blocks = []
    for J in qm.j_values(N):
        d = int(round(2 * J)) + 1
        a = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
        blocks.append(a @ a.conj().T)
    tr = sum(np.trace(b).real for b in blocks)
    return qm.PIState(N, [b / tr for b in blocks])


@settings(max_examples=15, deadline=None)
@given(specs(n_max=6), st.integers(0, 2 ** 31))
def test_reduced_liouvillian_is_the_projected_full_one(spec, seed):
    N = spec["N"]
    state = random_state(N, np.random.default_rng(seed))
    layout = QLayout(N, range(-N, N + 1))
    L = assemble(model_of(spec), layout)
    got = L @ vector_from_state(layout, state)
    H, c_ops = reference(spec)
    Lfull = qutip.liouvillian(H, c_ops)
    out = qutip.vector_to_operator(Lfull * qutip.operator_to_vector(exact.embed(state)))
    want = vector_from_state(layout, exact.reduce(out))
    assert np.abs(got - want).max() < 1e-12 * max(1.0, np.abs(want).max())
    # the rows q >= 0 alone (what the block route assembles) are the same rows
    rows = slice(layout.q_slice(0).start, None)
    part = assemble(model_of(spec), layout, rows=rows)
    assert abs(part - L[rows]).max() < 1e-14 * abs(L).max()


def product_state(m, N):
    one = 0.5 * (I2 + m[0] * SX + m[1] * SY + m[2] * SZ)
    return qutip.tensor([one] * N)


@settings(max_examples=10, deadline=None)
@given(specs(n_max=4), st.lists(st.floats(-0.57, 0.57), min_size=3, max_size=3))
def test_meanfield_drift_is_exact_for_local_channels(spec, m):
    # Local channels and a linear Hamiltonian keep product states product: the
    # one-body equations are the mean-field drift at any N.
    spec = {**spec, "ham": {"x": spec["ham"]["x"], "z": spec["ham"]["z"], "y": 0.3},
            "coll": []}
    N = spec["N"]
    H, c_ops = reference(spec)
    rho = product_state(m, N)
    drho = qutip.vector_to_operator(qutip.liouvillian(H, c_ops)
                                    * qutip.operator_to_vector(rho))
    want = [2 / N * qutip.expect(0.5 * sum(site(s, i, N) for i in range(N)), drho)
            for s in (SX, SY, SZ)]
    assert np.allclose(drift(model_of(spec), m), want, atol=1e-10, rtol=0)


def test_meanfield_drift_with_collective_terms_approaches_exact():
    spec = {"ham": {"xx": 0.7, "x": 0.4}, "coll": [(1.0, 0, 1, 0)],
            "local": [(0.3, 1, 1, 0, 0.2), (0.2, 0.5j, 0, 1, 0)]}
    m = np.array([0.3, -0.2, 0.5])
    errors = []
    for N in (2, 4, 8):
        spec["N"] = N
        H, c_ops = reference(spec)
        drho = qutip.vector_to_operator(qutip.liouvillian(H, c_ops)
                                        * qutip.operator_to_vector(product_state(m, N)))
        want = [2 / N * qutip.expect(0.5 * sum(site(s, i, N) for i in range(N)), drho)
                for s in (SX, SY, SZ)]
        errors.append(np.abs(drift(model_of(spec), m) - want).max())
    # 1/N corrections from the collective terms only
    assert errors[1] < 0.6 * errors[0] and errors[2] < 0.6 * errors[1]


CHANNELS = [
    (qm.LocalJump(1, plus=1), True), (qm.LocalJump(1, minus=2j), True),
    (qm.LocalJump(1, z=1), True), (qm.LocalJump(1, z=0.3, identity=1j), True),
    (qm.LocalJump(1, plus=1, minus=1), False), (qm.LocalJump(1, minus=1, z=0.5), False),
    (qm.LocalJump(1, minus=1, identity=0.2), False),
    (qm.LocalJump(1, plus=0.1j, identity=-0.3), False),
]


@pytest.mark.parametrize("jump, conserving", CHANNELS)
def test_u1_detection_of_local_channels(jump, conserving):
    N = 3
    model = qm.PIModel(N, {"zz": 0.5}, [qm.CollectiveJump(1, minus=1)], local=[jump])
    assert model.conserves_excitations() is conserving
    # independent: does the 2^N Liouvillian commute with rotations about z?
    spec = {"N": N, "ham": {"zz": 0.5}, "coll": [(1, 0, 1, 0)],
            "local": [(jump.rate,) + jump.coefficients]}
    L = qutip.liouvillian(*reference(spec))
    U = (-0.7j * 0.5 * sum(site(SZ, i, N) for i in range(N))).expm()
    R = qutip.sprepost(U, U.dag())
    assert ((L * R - R * L).norm() < 1e-10) is conserving


def test_rates_route_with_general_conserving_channels():
    spec = {"N": 5, "ham": {"zz": 0.6, "z": 0.2}, "coll": [(1.2, 0, 1, 0)],
            "local": [(0.4, 0, 0, 0.5 + 0.5j, 0.3 - 0.2j), (0.3, 0.7j, 0, 0, 0)]}
    state = qm.steady_state(model_of(spec))
    assert state.info.method == "rates"
    ref = reference_measures(reference_steady_state(spec), 5)
    assert np.allclose(engine_measures(state), ref, atol=1e-10, rtol=0)


def test_shorthands_are_local_jumps():
    a = qm.LMG(6, field=0.4, Gamma=1.3, gamma=0.7)
    b = qm.PIModel(6, dict(a.hamiltonian), a.collective,
                   local=[qm.LocalJump(0.7, plus=1)])
    La, Lb = assemble(a), assemble(b)
    assert abs(La - Lb).max() < 1e-14
    assert a.local_jumps == (qm.LocalJump(0.7, plus=1),)


def test_identity_part_is_a_hamiltonian_correction():
    jump = qm.LocalJump(0.5, plus=0.3, minus=1j, z=0.4 - 0.2j, identity=0.6 + 0.1j)
    a = qm.PIModel(4, {"zz": 1.0}, local=[jump])
    b = qm.PIModel(4, {"zz": 1.0, **jump.hamiltonian_correction},
                   local=[qm.LocalJump(0.5, 0.3, 1j, 0.4 - 0.2j)])
    assert abs(assemble(a) - assemble(b)).max() < 1e-13


def test_piqs_refuses_what_it_cannot_express():
    model = qm.LMG(4, field=0.3, bitflip=0.2)
    with pytest.raises(ValueError, match=r"piqs cannot express.*local\[0\]"):
        qm.steady_state(model, "piqs")
    with pytest.raises(ValueError, match="cannot express"):
        model.dicke()


def test_piqs_expresses_single_component_channels_with_identity():
    spec = {"N": 3, "ham": {"x": 0.5}, "coll": [(1.0, 0, 1, 0)],
            "local": [(0.4, 0, 1j, 0, 0.3), (0.2, 0, 0, 2, 0)]}
    ref = reference_measures(reference_steady_state(spec), 3)
    got = engine_measures(qm.steady_state(model_of(spec), "piqs"))
    assert np.allclose(got, ref, atol=1e-6, rtol=0)


@pytest.mark.parametrize("kw, match", [
    (dict(rate=1.0), "non-zero"),
    (dict(rate=1.0, identity=1.0), "non-zero"),
    (dict(rate=-0.1, minus=1), "rate"),
    (dict(rate=math.nan, minus=1), "rate"),
    (dict(rate=1.0, plus=math.inf), "plus"),
    (dict(rate=1.0, minus=1, z=complex(0, math.nan)), "z"),
    (dict(rate=1.0, minus=1, identity="a"), "identity"),
])
def test_bad_local_jumps(kw, match):
    with pytest.raises((ValueError, TypeError), match=match):
        qm.LocalJump(**kw)


def test_bad_local_lists():
    with pytest.raises(ValueError, match=r"local\[1\].*2 to 5"):
        qm.PIModel(3, local=[qm.LocalJump(1, minus=1), [1.0, 1, 0, 0, 0, 7]])
    with pytest.raises(ValueError, match=r"local\[0\]\.plus.*\[re, im\]"):
        qm.PIModel(3, local=[{"rate": 1.0, "plus": [1, 2, 3]}])
    with pytest.raises(TypeError, match="local"):
        qm.PIModel(3, local=qm.LocalJump(1, minus=1))
    with pytest.raises(ValueError, match="bitflip"):
        qm.LMG(4, bitflip=-1)
    with pytest.raises(ValueError, match="pumping"):
        qm.BoundaryTimeCrystal(4, pumping=math.inf)
    # list form is accepted
    m = qm.PIModel(3, local=[[0.5, 1, 1]])
    assert m.local == (qm.LocalJump(0.5, 1, 1),)


MODELS = [
    qm.LMG(7, field=0.3, Gamma=1.5, bitflip=0.1),
    qm.BoundaryTimeCrystal(5, omega=1.1, emission=0.2, pumping=0.1, bitflip=0.05),
    qm.SuperradiantLaser(9, Gamma=2.0, dephasing=0.1),
    qm.PIModel(4, {"x": 0.3, "zz": 1.0}, [qm.CollectiveJump(1.0, 0.2j, 1.0, 0.1)],
               emission=0.1, dephasing=0.2,
               local=[qm.LocalJump(0.3, 0.1 + 0.2j, 1, -0.4j, 0.5 - 0.5j)]),
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_json_round_trip(model):
    text = model.to_json()
    data = json.loads(text)
    assert data["format"] == "qutip-mmi-model/1" and data["class"] == model.name
    back = qm.PIModel.from_json(text)
    assert type(back) is type(model) and back == model
    assert back.parameters == model.parameters
    assert abs(assemble(back) - assemble(model)).max() == 0


def test_json_errors():
    good = json.loads(MODELS[3].to_json())
    with pytest.raises(ValueError, match="format"):
        qm.PIModel.from_json(json.dumps({**good, "format": "other/9"}))
    with pytest.raises(ValueError, match="unknown class"):
        qm.PIModel.from_json(json.dumps({**good, "class": "Nope"}))
    bad = json.loads(MODELS[3].to_json())
    bad["parameters"]["local"][0]["minus"] = [1.0]
    with pytest.raises(ValueError, match=r"local\[0\]\.minus"):
        qm.PIModel.from_json(json.dumps(bad))
    with pytest.raises(ValueError, match="LMG"):
        qm.PIModel.from_json(json.dumps({"format": "qutip-mmi-model/1", "class": "LMG",
                                         "parameters": {"N": 4, "omega": 1}}))
