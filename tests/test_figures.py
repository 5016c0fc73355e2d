"""Figures: files, data equal to sweep, extrapolation, CLI."""

import csv
import json
import math

import numpy as np
import pytest

from qutip_mmi import LMG
from qutip_mmi.cli import main
from qutip_mmi.figures import (extrapolate, figure_1a, figure_1b, figure_2,
                               figure_transverse)
from qutip_mmi.groundstate import ground_state_mmi
from qutip_mmi.sweep import sweep

NUMERIC = ["Gamma", "N", "exchange", "field", "gamma", "mmi", "mmi_per_unit", "entropy",
           "local_entropy", "mx", "my", "mz", "residual"]


def _check_files(res):
    for kind in ("png", "pdf", "csv", "json"):
        path = res.files[kind]
        with open(path, "rb") as fh:
            assert len(fh.read()) > 100, path


def _csv_rows(path):
    with open(path) as fh:
        return list(csv.DictReader(fh))


def _assert_equal_to_sweep(res, ref):
    rows = _csv_rows(res.files["csv"])
    assert len(rows) == len(ref.rows)
    for got, want in zip(rows, ref.rows):
        for c in NUMERIC:
            assert float(got[c]) == want[c], c
    with open(res.files["json"]) as fh:
        data = json.load(fh)
    for got, want in zip(data["points"], ref.rows):
        for c in NUMERIC:
            assert got[c] == want[c], c


def test_figure_1a_files_and_data_equal_sweep(tmp_path):
    res = figure_1a(Ns=(6, 8, 10), Gammas=[0.5, 2.0], out=tmp_path, theory_points=11)
    _check_files(res)
    ref = sweep(LMG(6, field=0.0), {"N": [6, 8, 10], "Gamma": [0.5, 2.0]})
    _assert_equal_to_sweep(res, ref)
    ex = res.data["extrapolation"]
    assert [e["Gamma"] for e in ex] == [0.5, 2.0]
    assert all(e["error"] >= 0 and math.isfinite(e["estimate"]) for e in ex)
    # h = 0 theory (eq. 18) is always available: zero below Gamma = gamma
    assert res.data["theory"]["value"][0] == pytest.approx(0.0, abs=1e-12)
    assert ex[1]["mean_field"] > 0.3


def test_figure_1b_and_transverse_data_equal_sweep(tmp_path):
    kw = dict(Ns=(4, 6), Gammas=[1.0, 2.0], out=tmp_path, theory=False)
    res = figure_1b(**kw)
    _check_files(res)
    ref = sweep(LMG(4, field=0.5), {"N": [4, 6], "Gamma": [1.0, 2.0]})
    _assert_equal_to_sweep(res, ref)
    tr = figure_transverse(**kw)
    _check_files(tr)
    _assert_equal_to_sweep(tr, ref)
    want = [math.hypot(r["mx"], r["my"]) for r in ref.rows if r["N"] == 6]
    assert tr.data["transverse"]["6"] == want


def test_figure_2_data(tmp_path):
    res = figure_2(Ns=(10, 40), fields=[0.0, 0.5], inset_fields=[0.0, 0.01], out=tmp_path)
    _check_files(res)
    rows = _csv_rows(res.files["csv"])
    assert len(rows) == 2 * 3
    for r in rows:
        g = ground_state_mmi(int(r["N"]), -1.0, float(r["field"]))
        assert float(r["mmi_per_unit"]) == g.mmi_per_unit


def test_cli_figure(tmp_path, capsys):
    assert main(["figure", "2", "--N", "10", "20", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "figure_2.png" in out and "figure_2.pdf" in out
    assert main(["figure", "1a", "--N", "4", "6", "--Gamma-range", "1", "3", "2",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "N->inf fit" in out
    assert (tmp_path / "figure_1a.png").stat().st_size > 0


def test_extrapolate():
    Ns = np.array([10, 20, 40, 80])
    e = extrapolate(Ns, 0.3 + 2 / Ns)
    assert e.estimate == pytest.approx(0.3, abs=1e-12) and e.error < 1e-10
    e2 = extrapolate(Ns, 0.3 + 2 / Ns - 5 / Ns**2, order=2)
    assert e2.estimate == pytest.approx(0.3, abs=1e-12) and e2.order == 2
    e1 = extrapolate(Ns, 0.3 + 2 / Ns - 5 / Ns**2, order=1)
    assert e1.error >= abs(e1.estimate - 0.3) * 0.5  # the order difference shows
    two = extrapolate([10, 20], [0.4, 0.35])
    assert two.estimate == pytest.approx(0.3) and two.error == pytest.approx(0.05)
    assert "Extrapolation" in repr(two)
    with pytest.raises(ValueError):
        extrapolate([10], [0.1])
    with pytest.raises(ValueError):
        extrapolate([10, 20], [0.1, 0.2], order=2)
    with pytest.raises(ValueError):
        extrapolate([10, 20], [0.1, float("nan")])


def test_figure_1b_mean_field_line(tmp_path):
    pytest.importorskip("qutip_mmi.meanfield")
    res = figure_1b(Ns=(4, 6), Gammas=[2.0], out=tmp_path, theory_points=3)
    curve = res.data["theory"]
    assert curve is not None and curve["Gamma"] == [2.0, 2.0, 2.0]
    assert 0.1 < curve["value"][0] < 0.5
    assert res.data["extrapolation"][0]["mean_field"] == curve["value"][0]
