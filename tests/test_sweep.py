"""Parameter sweeps: table, store/resume, refusal, parallel maps, CLI."""

import csv
import importlib
import io
import json

import numpy as np
import pytest

from qutip_mmi import LMG, SuperradiantLaser, mutual_information, steady_state
from qutip_mmi.cli import main
from qutip_mmi.sweep import RESULT_COLUMNS, SweepResult, sweep

swmod = importlib.import_module("qutip_mmi.sweep")  # the module (not the function)

NUMERIC = ["Gamma", "N", "exchange", "field", "gamma", "mmi", "mmi_per_unit", "entropy",
           "local_entropy", "mx", "my", "mz", "residual"]


def _table(res, cols=NUMERIC):
    return [[row[c] for c in cols] for row in res.rows]


def test_columns_and_values():
    res = sweep(LMG(6, field=0.5), {"Gamma": np.linspace(0, 2, 3)})
    assert isinstance(res, SweepResult) and len(res) == 3
    assert res.columns == ["Gamma", "N", "exchange", "field", "gamma",
                           *RESULT_COLUMNS]
    assert res.column("Gamma").tolist() == [0.0, 1.0, 2.0]
    rho = steady_state(LMG(6, field=0.5, Gamma=1.0))
    assert res.rows[1]["mmi"] == pytest.approx(mutual_information(rho), abs=1e-10)
    assert res.column("mmi_per_unit")[1] == pytest.approx(res.rows[1]["mmi"] / 6)
    assert list(res.column("method")) == ["blocks"] * 3
    assert res["mz"].dtype == float
    with pytest.raises(KeyError):
        res.column("nope")
    # CSV round trip keeps every digit
    rows = list(csv.DictReader(io.StringIO(res.to_csv())))
    assert [float(r["mmi"]) for r in rows] == res.column("mmi").tolist()
    assert "SweepResult" in repr(res)
    assert json.loads(res.to_json())["rows"] == res.rows


def test_outer_product_grid_over_N_and_Gamma():
    res = sweep(LMG(4), {"N": [4, 6], "Gamma": [0.5, 2.0]})
    assert [(r["N"], r["Gamma"]) for r in res.rows] == [(4, 0.5), (4, 2.0), (6, 0.5),
                                                       (6, 2.0)]
    assert res.parameters == ["N", "Gamma"]
    assert list(res.column("method")) == ["rates"] * 4
    res2 = sweep(LMG(4, Gamma=2.0), {"field": [0.0, 0.5]})
    assert res2.rows[0]["mx"] == 0 and res2.rows[1]["mx"] != 0


def _interrupt_after(k):
    count = [0]

    def hook(index, row):
        count[0] += 1
        if count[0] == k:
            raise KeyboardInterrupt

    return hook


@pytest.mark.parametrize("field,exact", [(0.0, True), (0.5, False)])
def test_interrupted_store_resumes_missing_points_only(tmp_path, monkeypatch, field,
                                                       exact):
    model = LMG(6, field=field)
    grid = {"Gamma": [0.5, 1.0, 1.5, 2.0, 3.0]}
    store = tmp_path / "sweep.jsonl"
    monkeypatch.setattr(swmod, "_point_hook", _interrupt_after(2))
    with pytest.raises(KeyboardInterrupt):
        sweep(model, grid, store=store)
    lines = store.read_text().splitlines()
    assert len(lines) == 1 + 2  # header + the two finished points
    header = json.loads(lines[0])
    assert header["model"] == "LMG" and header["method"] == "auto"
    assert header["parameters"]["field"] == field and "version" in header

    seen = []
    monkeypatch.setattr(swmod, "_point_hook", lambda i, row: seen.append(i))
    res = sweep(model, grid, store=store)
    assert seen == [2, 3, 4]
    assert res.computed == 3 and res.reused == 2
    monkeypatch.setattr(swmod, "_point_hook", None)
    ref = sweep(model, grid)
    if exact:
        assert _table(res) == _table(ref)
    else:  # the resumed point starts cold instead of warm: solver tolerance
        assert np.allclose(np.array(_table(res), float), np.array(_table(ref), float),
                           rtol=1e-9, atol=1e-12)
    # a third run computes nothing and returns the same table
    again = sweep(model, grid, store=store)
    assert again.computed == 0 and _table(again) == _table(res)
    assert len(store.read_text().splitlines()) == 1 + 5


def test_store_extension_and_truncated_line(tmp_path):
    store = tmp_path / "s.jsonl"
    sweep(LMG(4), {"Gamma": [0.5, 1.0]}, store=store)
    with open(store, "a") as fh:
        fh.write('{"key": "{\\"Gamma\\": 9')  # a crash mid-write
    res = sweep(LMG(4), {"Gamma": [0.5, 1.0, 2.0]}, store=store)
    assert res.computed == 1 and res.reused == 2
    for line in store.read_text().splitlines():
        json.loads(line)


@pytest.mark.parametrize("model,method", [
    (LMG(4, field=0.1), "auto"),     # other base parameter
    (LMG(4, exchange=2.0), "auto"),  # other base parameter
    (LMG(4), "rates"),               # other method
    (SuperradiantLaser(4), "auto"),  # other model class
])
def test_store_with_different_parameters_is_refused(tmp_path, model, method):
    store = tmp_path / "s.jsonl"
    sweep(LMG(4), {"Gamma": [0.5, 1.0]}, store=store)
    before = store.read_text()
    with pytest.raises(ValueError, match="refusing to mix"):
        sweep(model, {"Gamma": [0.5, 1.0]}, method=method, store=store)
    assert store.read_text() == before


def test_foreign_file_refused(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_text('{"hello": 1}\n')
    with pytest.raises(ValueError, match="not a qutip-mmi sweep store"):
        sweep(LMG(4), {"Gamma": [1.0]}, store=p)


@pytest.mark.parametrize("map_name", ["parallel", "loky"])
def test_parallel_maps_equal_serial(tmp_path, map_name):
    grid = {"Gamma": [0.5, 1.5, 3.0]}
    opts = {"map_kw": {"num_cpus": 2}}
    # rates route (h = 0): a direct solve, identical numbers
    ser = sweep(LMG(6), grid)
    par = sweep(LMG(6), grid, map=map_name, options=opts)
    assert _table(par) == _table(ser)
    # blocks route: cold serial solves are bit-identical, warm ones within tolerance
    model = LMG(4, field=0.5)
    cold = sweep(model, grid, options={"warm_start": False})
    warm = sweep(model, grid)
    store = tmp_path / "p.jsonl"
    par = sweep(model, grid, map=map_name, options=opts, store=store)
    assert _table(par) == _table(cold)
    assert np.allclose(np.array(_table(par), float), np.array(_table(warm), float),
                       rtol=1e-9, atol=1e-12)
    assert len(store.read_text().splitlines()) == 4
    assert sweep(model, grid, store=store).computed == 0


def test_progress_bar(capsys):
    sweep(LMG(4), {"Gamma": [0.5, 1.0]}, progress_bar="text")
    out = capsys.readouterr().out
    # QuTiP's text bar: one line per point, then the total
    assert "50.0%" in out and "100.0%" in out and "Total run time" in out
    sweep(LMG(4), {"Gamma": [0.5]}, options={"progress_bar": "text"})
    assert "Total run time" in capsys.readouterr().out
    sweep(LMG(4), {"Gamma": [0.5]})
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="progress_bar"):
        sweep(LMG(4), {"Gamma": [0.5]}, progress_bar="fancy")


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"parameters": {"Gamma": [1.0]}, "map": "threads"}, ValueError, "map"),
    ({"parameters": {"nope": [1.0]}}, ValueError, "nope"),
    ({"parameters": {"Gamma": [1.0]}, "method": "magic"}, ValueError, "method"),
    ({"parameters": {"Gamma": [1.0]}, "options": {"bogus": 1}}, KeyError, "bogus"),
    ({"parameters": {}}, TypeError, "parameters"),
    ({"parameters": {"N": [2.5]}}, ValueError, "N"),
    ({"parameters": {"Gamma": [-1.0]}}, ValueError, "Gamma"),
])
def test_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        sweep(LMG(4), **kwargs)


def test_not_a_model():
    with pytest.raises(TypeError, match="PIModel"):
        sweep("LMG", {"Gamma": [1.0]})


def test_cli_sweep(tmp_path, capsys):
    store = tmp_path / "c.jsonl"
    args = ["sweep", "--N", "4", "--field", "0.5", "--Gamma-range", "0", "2", "3",
            "--store", str(store), "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    ref = sweep(LMG(4, field=0.5), {"Gamma": np.linspace(0, 2, 3)})
    assert [r["mmi"] for r in out["rows"]] == ref.column("mmi").tolist()
    assert main(args[:-1]) == 0
    assert "computed=0" in capsys.readouterr().out
    assert main(["sweep", "--N", "4"]) == 2
    assert "nothing to sweep" in capsys.readouterr().err
