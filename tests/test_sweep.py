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
    assert res.columns[:5] == ["Gamma", "N", "exchange", "field", "gamma"]
    assert res.columns == ["Gamma", *[n for n in LMG(6).parameters if n != "Gamma"],
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
    with pytest.raises(KeyboardInterrupt) as ei:
        sweep(model, grid, store=store)
    assert (ei.value.saved, ei.value.total, ei.value.store) == (2, 5, str(store))
    assert "2 of 5 points are saved" in str(ei.value)
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
    # warm-started blocks solves agree to ~1e-13 from run to run (not bit-equal)
    assert np.allclose([r["mmi"] for r in out["rows"]], ref.column("mmi"),
                       rtol=1e-10, atol=1e-13)
    assert main(args[:-1]) == 0
    assert "computed=0" in capsys.readouterr().out
    assert main(["sweep", "--N", "4"]) == 2
    assert "nothing to sweep" in capsys.readouterr().err


# ------------------------------------------- stores shared by several processes
import multiprocessing  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

from qutip_mmi._store import Store  # noqa: E402
from qutip_mmi.cli import build_parser  # noqa: E402

# Sweeps in forked processes (real processes, no interpreter start-up); each
# finished point is followed by a pause so that the processes really overlap.
GAMMAS = [0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0]
FORK = multiprocessing.get_context("fork")


def _sweep_process(store, field, pause, queue):
    swmod._point_hook = lambda i, row: time.sleep(pause)
    try:
        res = sweep(LMG(6, field=field), {"Gamma": GAMMAS}, store=store,
                    options={"warm_start": False})
    except Exception as exc:
        queue.put((os.getpid(), f"{type(exc).__name__}: {exc}"))
        raise SystemExit(1)
    queue.put((os.getpid(), {"computed": res.computed, "reused": res.reused,
                       "rows": res.rows}))


def _start(store, field, pause, queue):
    with warnings.catch_warnings():  # Python >= 3.12: fork with threads warns
        warnings.simplefilter("ignore", DeprecationWarning)
        p = FORK.Process(target=_sweep_process, args=(store, field, pause, queue))
        p.start()
    return p


def _wait_for_rows(store, n, proc, timeout=120):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if store.exists() and len(store.read_bytes().splitlines()) >= 1 + n:
            return
        alive = proc.is_alive() if hasattr(proc, "is_alive") else proc.poll() is None
        assert alive, "the sweep process ended early"
        time.sleep(0.02)
    raise AssertionError(f"no {n} rows in {store} after {timeout} s")


def _results(procs, queue):
    by_pid = dict(queue.get(timeout=300) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    return [by_pid[p.pid] for p in procs]


def test_two_processes_share_one_store(tmp_path):
    store = tmp_path / "shared.jsonl"
    queue = FORK.Queue()
    a = _start(store, 0.5, 0.1, queue)
    _wait_for_rows(store, 1, a)  # B starts once A has stored a point
    b = _start(store, 0.5, 0.1, queue)
    results = _results([a, b], queue)
    assert a.exitcode == 0 and b.exitcode == 0
    lines = [json.loads(line) for line in store.read_text().splitlines()]
    keys = [line["key"] for line in lines[1:]]
    assert len(lines) == 1 + len(GAMMAS) and len(set(keys)) == len(GAMMAS)
    stored = {json.loads(k)["Gamma"]: line["row"] for k, line in zip(keys, lines[1:])}
    ref = sweep(LMG(6, field=0.5), {"Gamma": GAMMAS}, options={"warm_start": False})
    outs = results
    assert len(outs) == 2
    for out in outs:  # both complete, in grid order, equal to the stored rows
        assert out["computed"] + out["reused"] == len(GAMMAS)
        assert [r["Gamma"] for r in out["rows"]] == GAMMAS
        assert out["rows"] == [stored[g] for g in GAMMAS]
        assert np.allclose([r["mmi"] for r in out["rows"]], ref.column("mmi"),
                           rtol=1e-10, atol=1e-13)
    assert outs[1]["reused"] >= 1  # B found A's first point at least
    assert sum(out["computed"] for out in outs) >= len(GAMMAS)


def test_two_different_sweeps_on_a_new_store(tmp_path):
    store = tmp_path / "new.jsonl"
    queue = FORK.Queue()
    procs = [_start(store, 0.1, 0.02, queue), _start(store, 0.2, 0.02, queue)]
    results = _results(procs, queue)
    assert sorted(p.exitcode for p in procs) == [0, 1]
    lost = [v for v in results if isinstance(v, str)]
    won = [v for v in results if isinstance(v, dict)]
    assert len(lost) == 1 and len(won) == 1
    assert lost[0].startswith("ValueError: sweep store") and "refusing to mix" in lost[0]
    assert ("field = 0.1 in the store, 0.2 now" in lost[0]
            or "field = 0.2 in the store, 0.1 now" in lost[0])
    lines = [json.loads(line) for line in store.read_text().splitlines()]
    assert lines[0]["format"] == "qutip-mmi-sweep/1"
    assert all("key" in line and "row" in line for line in lines[1:])
    assert len(lines) == 1 + len(GAMMAS) and won[0]["computed"] == len(GAMMAS)
    assert {r["field"] for r in won[0]["rows"]} == {lines[0]["parameters"]["field"]}


def _header(names=("Gamma",)):
    return {"format": "qutip-mmi-sweep/1", "model": "LMG", "method": "auto",
            "parameters": {"N": 4, "Gamma": 1.0}, "varied": list(names)}


def test_a_point_finished_by_two_processes_is_written_once(tmp_path):
    path = tmp_path / "s.jsonl"
    s1 = Store(path, _header(), ["N"])
    s2 = Store(path, _header(), ["N"])  # the header is written once
    assert s1.add("k1", {"mmi": 1.0}) == {"mmi": 1.0}
    assert s2.add("k1", {"mmi": 2.0}) == {"mmi": 1.0}  # the first row wins
    s2.add("k2", {"mmi": 3.0})
    s1.refresh()
    assert s1.rows == {"k1": {"mmi": 1.0}, "k2": {"mmi": 3.0}}
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and json.loads(lines[0])["varied"] == ["Gamma"]
    assert os.path.exists(str(path) + ".lock")


def test_points_stored_by_another_process_are_skipped(tmp_path, monkeypatch):
    # while the sweep runs, "another process" stores point 2: it is not computed
    path = tmp_path / "s.jsonl"
    grid = {"Gamma": [0.5, 1.0, 2.0, 3.0]}
    model = LMG(4, field=0.5)
    key2 = swmod._key(model.replace(Gamma=2.0).parameters)
    fake = {"Gamma": 2.0, "mmi": -1.0}
    seen = []

    def hook(i, row):
        seen.append(i)
        if i == 0:
            other = Store(path, json.loads(path.read_text().splitlines()[0]),
                          ["N", "exchange", "field", "gamma"])
            other.add(key2, fake)

    monkeypatch.setattr(swmod, "_point_hook", hook)
    res = sweep(model, grid, store=path)
    assert res.computed == 3 and res.reused == 1 and res.rows[2] == fake
    assert len(path.read_text().splitlines()) == 1 + 4
    # the parallel maps' task skips stored points in the worker
    task = (2, model.replace(Gamma=2.0), "auto", {}, key2, str(path))
    assert swmod._solve_point(task) == (2, None)
    assert swmod._solve_point(task[:5] + (None,))[1]["mmi"] > 0


def test_parallel_map_skips_points_stored_meanwhile(tmp_path, monkeypatch):
    # "another process" stores point 1 right after this sweep read the store:
    # the worker skips it and the main process takes the stored row
    path = tmp_path / "p.jsonl"
    model = LMG(4)
    grid = {"Gamma": [0.5, 1.0, 2.0]}
    key1 = swmod._key(model.replace(Gamma=1.0).parameters)
    fake = {"Gamma": 1.0, "mmi": -1.0}

    class LateStore(Store):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            Store(*args, **kwargs).add(key1, fake)

    monkeypatch.setattr(swmod, "_Store", LateStore)
    res = sweep(model, grid, store=path, map="parallel",
                options={"map_kw": {"num_cpus": 2}})
    assert res.computed == 2 and res.reused == 1 and res.rows[1] == fake
    ref = sweep(model, grid)
    assert [res.rows[i]["mmi"] for i in (0, 2)] == [ref.rows[i]["mmi"] for i in (0, 2)]
    assert len(path.read_text().splitlines()) == 1 + 3


@pytest.mark.parametrize("grid", [{"field": [0.1, 0.2]},
                                  {"N": [4, 6], "Gamma": [0.5, 1.0]}])
def test_store_of_other_varied_parameters_is_refused(tmp_path, grid):
    store = tmp_path / "g.jsonl"
    sweep(LMG(4), {"Gamma": [0.5, 1.0]}, store=store)
    before = store.read_text()
    with pytest.raises(ValueError, match=r"refusing to mix.*varies \['Gamma'\]") as ei:
        sweep(LMG(4), grid, store=store)
    assert str(store) in str(ei.value) and str(list(grid)) in str(ei.value)
    assert store.read_text() == before


def test_cli_other_varied_parameter_refused(tmp_path, capsys):
    store = tmp_path / "c.jsonl"
    base = ["sweep", "--N", "4", "--store", str(store)]
    assert main(base + ["--Gamma-range", "0.5", "1", "2"]) == 0
    capsys.readouterr()
    before = store.read_text()
    assert main(base + ["--Gamma", "1", "--field-range", "0", "1", "2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qutip-mmi sweep: error: sweep store") and err.count("\n") == 1
    assert "varies ['Gamma'], this sweep varies ['field']" in err
    assert store.read_text() == before


def _corrupt(store, lineno, text):
    lines = store.read_text().splitlines(keepends=True)
    lines[lineno - 1] = text + "\n"
    store.write_text("".join(lines))


@pytest.mark.parametrize("bad", ["garbage{", '{"format": "qutip-mmi-sweep/1"}'])
def test_bad_line_in_the_middle(tmp_path, capsys, bad):
    store = tmp_path / "b.jsonl"
    grid = {"Gamma": [0.5, 1.0, 1.5]}
    sweep(LMG(4), grid, store=store)
    _corrupt(store, 3, bad)  # the row of Gamma = 1.0
    corrupted = store.read_text()
    with pytest.raises(ValueError) as ei:
        sweep(LMG(4), grid, store=store)
    msg = str(ei.value)
    assert f"{store}:3: unreadable line {bad[:20]!r}"[:-1] in msg
    assert "skip_bad_lines" in msg and "--skip-bad-lines" in msg
    assert store.read_text() == corrupted
    with pytest.warns(UserWarning, match=r"skipped 1 unreadable line\(s\) \[3\]"):
        res = sweep(LMG(4), grid, store=store, options={"skip_bad_lines": True})
    assert res.computed == 1 and res.reused == 2 and len(res) == 3
    lines = store.read_text().splitlines()
    assert store.read_text().startswith(corrupted) and len(lines) == 5  # appended
    assert json.loads(lines[4])["row"]["Gamma"] == 1.0
    # the command line: the error names file:line and the flag; the flag works
    args = ["sweep", "--N", "4", "--Gamma-range", "0.5", "1.5", "3", "--store",
            str(store)]
    _corrupt(store, 2, bad)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{store}:2: unreadable line" in err
    assert main(args + ["--skip-bad-lines"]) == 0
    captured = capsys.readouterr()
    assert "warning: sweep store" in captured.err and "[2, 3]" in captured.err
    assert "computed=1, reused=2" in captured.out


# ------------------------------------------------------------------ command line
def test_cli_output_paths_checked_before_any_work(tmp_path, capsys, monkeypatch):
    computed = []
    monkeypatch.setattr(swmod, "_point_hook", lambda i, row: computed.append(i))
    afile = tmp_path / "afile"
    afile.write_text("x")
    base = ["sweep", "--N", "4", "--Gamma-range", "0.5", "1", "2"]
    for extra, text in [
        (["--csv", str(tmp_path)], "--csv " + str(tmp_path) + ": is a directory"),
        (["--store", str(tmp_path)], "--store " + str(tmp_path) + ": is a directory"),
        (["--csv", str(afile / "x.csv")], "is not a directory"),
        (["--store", str(tmp_path / "s"), "--csv", str(tmp_path / "s")],
         "the same file"),
    ]:
        assert main(base + extra) == 2
        err = capsys.readouterr().err
        assert err.startswith("qutip-mmi sweep: error: ") and text in err
        assert err.count("\n") == 1
    assert computed == []
    # a missing parent folder is created
    out = tmp_path / "new" / "dir" / "t.csv"
    assert main(base + ["--csv", str(out), "--store", str(tmp_path / "n" / "s.jsonl")]) \
        == 0
    assert len(out.read_text().splitlines()) == 3 and computed == [0, 1]


@pytest.mark.parametrize("name", ["Gamma", "field", "exchange", "gamma"])
def test_cli_value_and_range_of_one_parameter_refused(capsys, name):
    assert main(["sweep", "--N", "4", f"--{name}", "2", f"--{name}-range", "0", "1",
                 "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--{name} 2 and --{name}-range both given" in err


def test_cli_bad_num_cpus(capsys):
    assert main(["sweep", "--N", "4", "--Gamma-range", "0", "1", "2", "--num-cpus",
                 "0"]) == 2
    assert "--num-cpus must be a positive integer" in capsys.readouterr().err


def test_cli_help_shows_every_default():
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices["sweep"]
    formatter = sub._get_formatter()
    for action in sub._actions:
        if action.dest == "help":
            continue
        text = formatter._expand_help(action)
        assert "(default: " in text or action.required, action.option_strings
        assert len(action.help) > 20, action.option_strings
    helps = {a.option_strings[0]: formatter._expand_help(a) for a in sub._actions}
    assert "(default: serial)" in helps["--map"]
    assert "(default: auto)" in helps["--method"]
    assert "(default: 1.0)" in helps["--Gamma"] and "(default: 3.0)" in helps["--exchange"]


def test_interrupt_without_store(capsys, monkeypatch):
    monkeypatch.setattr(swmod, "_point_hook", _interrupt_after(1))
    assert main(["sweep", "--N", "4", "--Gamma-range", "0.5", "1", "3"]) == 130
    err = capsys.readouterr().err
    assert err == ("qutip-mmi sweep: interrupted after 1 of 3 points; nothing was "
                   "saved (no --store): give --store FILE to make the sweep "
                   "resumable\n")
    monkeypatch.setattr(swmod, "_point_hook", _interrupt_after(1))
    with pytest.raises(KeyboardInterrupt) as ei:  # the API: SweepInterrupted
        sweep(LMG(4), {"Gamma": [0.5, 1.0, 2.0]})
    assert (ei.value.done, ei.value.saved, ei.value.total) == (1, 0, 3)


CLI_DRIVER = """
import signal, sys, time
import qutip_mmi.sweep as swmod
from qutip_mmi.cli import main
# a shell that starts CI in the background makes its children ignore SIGINT;
# a user's sweep gets Python's default handler, so give it that
signal.signal(signal.SIGINT, signal.default_int_handler)
# after each saved point wait (long enough for the test's SIGINT to land
# whatever the machine's load; the signal interrupts the sleep)
swmod._point_hook = lambda i, row: time.sleep(60)
sys.exit(main(sys.argv[1:]))
"""


def test_ctrl_c_saves_and_resumes(tmp_path, capsys):
    store = tmp_path / "int.jsonl"
    args = ["sweep", "--N", "6", "--field", "0.5", "--Gamma-range", "0.5", "3", "8",
            "--store", str(store)]
    p = subprocess.Popen([sys.executable, "-c", CLI_DRIVER, *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_rows(store, 1, p)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130, err[-2000:]
    assert "Traceback" not in err and err.count("\n") == 1
    saved = len(store.read_text().splitlines()) - 1
    assert 1 <= saved < 8
    assert err == (f"qutip-mmi sweep: interrupted: {saved} of 8 points are saved in "
                   f"{store}; to resume, rerun the same command with the same "
                   f"--store {store}\n")
    assert main(args) == 0  # resumes
    assert f"computed={8 - saved}, reused={saved})" in capsys.readouterr().out
    assert len(store.read_text().splitlines()) == 1 + 8


def test_store_records_the_model_in_its_json_format(tmp_path):
    from qutip_mmi import PIModel
    model = LMG(5, field=0.3, bitflip=0.05)
    store = tmp_path / "m.jsonl"
    res = sweep(model, {"Gamma": [0.5, 1.5]}, store=store)
    header = json.loads(store.read_text().splitlines()[0])
    assert PIModel.from_json(json.dumps(header["model_json"])) == model
    d = json.loads(json.dumps(res.as_dict()))  # JSON-safe
    assert d["rows"] == res.rows and d["computed"] == 2
    assert PIModel.from_json(json.dumps(d["model_json"])) == model
