"""Figures and the finite-size extrapolation, against independent values.

Figure data are compared with the full 2^N route (``qutip_mmi.exact``) at small
N, the closed forms of the mean-field theory at h = 0 (eqs. 17-18, written out
here), a ground state built here from ``qutip.jmat``, and ln 2 for the
ferromagnetic ground state at h = 0. The extrapolation is checked on synthetic
a + b/N + c/N^2 series, on series that are not 1/N, and on finite-N steady
states at Gamma = 2 (h = 0) against the mean-field limit.
"""

import json
import math

import numpy as np
import pytest
import qutip

from qutip_mmi import LMG, exact, mutual_information, steady_state
from qutip_mmi.cli import main
from qutip_mmi.figures import (Extrapolation, extrapolate, figure_1a, figure_1b,
                               figure_2, figure_transverse)
from qutip_mmi.meanfield import lmg_h0_limit


def _b(m):
    """Binary entropy (nats) of a spin-1/2 with Bloch vector length m."""
    p, q = (1 + m) / 2, (1 - m) / 2
    return -sum(x * math.log(x) for x in (p, q) if x > 0)


def _h0_closed_form(G, gamma=1.0):
    """Eqs. (17)-(18): 0 below Gamma = gamma, b(mz) - b(|m|) on the limit cycle."""
    if G <= gamma:
        return 0.0
    mz = gamma / G
    mxy2 = 2 * gamma * (G - gamma) / G ** 2
    return _b(mz) - _b(math.sqrt(mz ** 2 + mxy2))


def _exact_point(N, field, G):
    """I_M/N and magnetization of the full 2^N steady state (another route)."""
    rho = exact.steady_state(LMG(N, field=field, Gamma=G))
    m = []
    for op in (qutip.sigmax(), qutip.sigmay(), qutip.sigmaz()):
        big = qutip.tensor([op] + [qutip.qeye(2)] * (N - 1))
        m.append(qutip.expect(big, rho).real)
    return mutual_information(rho) / N, m


def _files_ok(res):
    for kind in ("png", "pdf", "csv", "json"):
        with open(res.files[kind], "rb") as fh:
            assert len(fh.read()) > 100, res.files[kind]


# ------------------------------------------------------------------ figures
def test_figure_1a_against_exact_and_closed_form(tmp_path):
    res = figure_1a(Ns=(4, 6), Gammas=[0.5, 2.0], out=tmp_path, theory_points=5)
    _files_ok(res)
    for row in res.data["points"]:
        want, _ = _exact_point(row["N"], 0.0, row["Gamma"])
        assert row["mmi_per_unit"] == pytest.approx(want, abs=1e-8)
    curve = res.data["theory"]
    for G, v in zip(curve["Gamma"], curve["value"]):
        assert v == pytest.approx(_h0_closed_form(G), abs=1e-10)
    # two sizes: no trusted extrapolation, and the JSON says why
    with open(res.files["json"]) as fh:
        data = json.load(fh)
    assert data["extrapolation"] and all(not e["consistent"] and "sizes" in e["reason"]
                                         for e in data["extrapolation"])
    assert "consistent" in data["extrapolation_note"]


def test_figure_1b_and_transverse_against_exact(tmp_path):
    kw = dict(Ns=(4,), Gammas=[1.0, 2.0], out=tmp_path, theory=False)
    res = figure_1b(**kw)
    tr = figure_transverse(**kw)
    _files_ok(res)
    _files_ok(tr)
    for k, row in enumerate(res.data["points"]):
        want, m = _exact_point(4, 0.5, row["Gamma"])
        assert row["mmi_per_unit"] == pytest.approx(want, abs=1e-8)
        assert tr.data["transverse"]["4"][k] == pytest.approx(math.hypot(m[0], m[1]),
                                                             abs=1e-8)


def test_figure_1b_mean_field_line_at_large_gamma(tmp_path):
    # independent value: h = 0.5 theory at Gamma = 2 quoted in the mean-field
    # benchmark (benchmarks/RESULTS_meanfield.md), 0.2519841314
    res = figure_1b(Ns=(4,), Gammas=[2.0], out=tmp_path, theory_points=1)
    assert res.data["theory"]["value"][0] == pytest.approx(0.2519841314, abs=1e-6)


def _jmat_ground_state_mmi(N, exchange, h):
    """I_M/N of the J = N/2 ground state of exchange (Jx^2 + Jy^2)/N + h Jx."""
    jx, jy, jz = qutip.jmat(N / 2)
    H = exchange * (jx * jx + jy * jy) / N + h * jx
    vals, vecs = H.eigenstates()
    g = vecs[0]
    m = [2 * qutip.expect(op, g) / N for op in (jx, jy, jz)]
    return _b(math.sqrt(sum(x * x for x in m)))


def test_figure_2_against_jmat_and_ln2(tmp_path):
    res = figure_2(Ns=(10, 40), fields=[0.0, 0.5], inset_fields=[0.01], out=tmp_path)
    _files_ok(res)
    rows = res.data["points"]
    assert len(rows) == 2 * 3
    for r in rows:
        if r["field"] == 0.0:   # even N, h = 0: the Dicke state m = 0, exactly ln 2
            assert r["mmi_per_unit"] == pytest.approx(math.log(2), abs=1e-12)
        else:
            want = _jmat_ground_state_mmi(r["N"], -1.0, r["field"])
            assert r["mmi_per_unit"] == pytest.approx(want, abs=1e-9)


def test_cli_figure(tmp_path, capsys):
    assert main(["figure", "2", "--N", "10", "20", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "figure_2.png" in out and "figure_2.pdf" in out
    assert main(["figure", "1a", "--N", "4", "6", "--Gamma-range", "1", "3", "2",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "no N->inf fit (only 2 sizes" in out
    assert (tmp_path / "figure_1a.png").stat().st_size > 0


# ------------------------------------------------------------ extrapolation
@pytest.mark.parametrize("a,b,c", [(0.3, 2.0, 0.0), (0.3, 2.0, -5.0), (0.3, 2.0, 5.0),
                                   (0.1, -1.0, 3.0), (0.25, -0.8, -2.0)])
@pytest.mark.parametrize("Ns", [(10, 20, 40, 80), (20, 40, 80, 160, 320),
                                (40, 80, 100, 160, 200)])
def test_extrapolate_synthetic(a, b, c, Ns):
    N = np.asarray(Ns, dtype=float)
    e = extrapolate(N, a + b / N + c / N ** 2)
    # from N = 20 on the c/N^2 term is a small correction: the fit must be
    # trusted; from N = 10 it may be flagged (c/N^2 up to 25 % of b/N there)
    assert e.consistent or Ns[0] == 10, e.reason
    assert abs(e.estimate - a) <= e.error + 1e-12
    # not absurd: below a fifth of the whole finite-size correction at the
    # smallest size, and exact for an exact 1/N series
    assert e.error <= 0.2 * abs(b / N[0] + c / N[0] ** 2) + 1e-12
    if c == 0.0:
        assert e.error < 1e-10


def test_extrapolate_flags_what_is_not_one_over_n():
    N = np.array([100, 200, 400, 800, 1600], dtype=float)
    slow = extrapolate(N, 0.2 + 1 / np.sqrt(N))               # p = 1/2
    assert not slow.consistent and "exponent" in slow.reason
    crit = extrapolate(N, np.log(N) / N)                      # log N / N -> 0
    assert not crit.consistent or abs(crit.estimate) <= crit.error  # flagged or honest
    bump = extrapolate([10, 20, 40, 80], [0.1, 0.2, 0.15, 0.12])
    assert not bump.consistent
    two = extrapolate([10, 20], [0.4, 0.35])
    assert not two.consistent and "2 sizes" in two.reason
    assert two.estimate == pytest.approx(0.3) and two.error >= 0.05
    d = two.as_dict()
    assert d["consistent"] is False and json.dumps(d)
    assert "consistent=False" in repr(two) and isinstance(two, Extrapolation)


def test_extrapolate_errors():
    with pytest.raises(ValueError):
        extrapolate([10], [0.1])
    with pytest.raises(ValueError):
        extrapolate([10, 20], [0.1, 0.2], order=2)
    with pytest.raises(ValueError):
        extrapolate([10, 20], [0.1, float("nan")])
    with pytest.raises(ValueError):
        extrapolate([10, 10, 20], [0.1, 0.1, 0.2])


def test_extrapolate_steady_states_reach_mean_field_at_gamma_2():
    """h = 0, Gamma = 2 (limit cycle): I_M/N at N = 40..200 by the rate
    equations, extrapolated, agrees with eq. (18) within its error bar."""
    Ns = [40, 80, 100, 160, 200]
    vals = [mutual_information(steady_state(LMG(n, field=0.0, Gamma=2.0),
                                            method="rates"), per_unit=True)
            for n in Ns]
    theory = lmg_h0_limit(2.0)
    assert theory == pytest.approx(_h0_closed_form(2.0), abs=1e-12)
    e = extrapolate(Ns, vals)
    assert e.consistent, e.reason
    assert abs(e.estimate - theory) <= e.error
    assert e.error < 0.01                      # informative, not a blanket bar
    assert abs(vals[-1] - theory) > e.error    # and better than the largest N


def test_figure_result_as_dict_is_the_json_file(tmp_path):
    import json
    from qutip_mmi.figures import figure_2
    res = figure_2(Ns=[4, 8], fields=[0.0, 0.5], inset_fields=[0.0, 0.01], out=tmp_path)
    d = json.loads(json.dumps(res.as_dict()))
    assert d["name"] == "2"
    with open(res.files["json"]) as fh:
        assert d["data"] == json.load(fh)
