"""map="mpi": the documented command under mpiexec gives the serial numbers;
without mpiexec (or without worker ranks) it is refused at once, never hangs."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import qutip_mmi as qm

mpi4py = pytest.importorskip("mpi4py")
MPIEXEC = (shutil.which("mpiexec", path=os.path.dirname(sys.executable))
           or shutil.which("mpiexec"))


@pytest.mark.skipif(MPIEXEC is None, reason="no mpiexec")
def test_mpi_sweep_command_equals_serial(tmp_path):
    store = tmp_path / "mpi.jsonl"
    cmd = [MPIEXEC, "-n", "3", sys.executable, "-m", "mpi4py.futures", "-m", "qutip_mmi",
           "sweep", "--N", "8", "--field", "0.5", "--Gamma-range", "0.5", "2", "3",
           "--map", "mpi", "--store", str(store), "--json"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    mpi = np.array([row["mmi"] for row in out["rows"]])
    serial = qm.sweep(qm.LMG(8, field=0.5), {"Gamma": np.linspace(0.5, 2, 3)},
                      options={"warm_start": False})
    assert np.allclose(mpi, serial.column("mmi"), rtol=0, atol=1e-12)
    assert store.exists() and len(store.read_text().splitlines()) == 4  # header + 3


def test_mpi_without_mpiexec_is_refused():
    # the API and the command line refuse at once (instead of MPICH's spawn
    # assertion and a hang), naming the command to use
    code = """
import qutip_mmi as qm
try:
    qm.sweep(qm.LMG(4), {"Gamma": [1.0]}, map="mpi")
except ValueError as exc:
    print("API:", exc)
from qutip_mmi.cli import main
print("CLI:", main(["sweep", "--N", "4", "--Gamma-range", "0.5", "1", "2",
                    "--map", "mpi"]))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120)  # a hang (MPICH spawn) fails here
    assert r.returncode == 0, r.stderr[-2000:]
    command = "mpiexec -n 5 python -m mpi4py.futures -m qutip_mmi sweep ... --map mpi"
    api = [line for line in r.stdout.splitlines() if line.startswith("API:")]
    assert len(api) == 1 and "world has 1 process(es)" in api[0] and command in api[0]
    assert "CLI: 2" in r.stdout and "Traceback" not in r.stderr
    assert r.stderr.startswith("qutip-mmi sweep: error: map='mpi'") and command in r.stderr


def test_mpi4py_futures_with_one_rank_is_refused(tmp_path):
    store = tmp_path / "one.jsonl"
    cmd = [sys.executable, "-m", "mpi4py.futures", "-m", "qutip_mmi", "sweep", "--N",
           "4", "--Gamma-range", "0.5", "1", "2", "--map", "mpi", "--store", str(store)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert r.stderr.startswith("qutip-mmi sweep: error: map='mpi' needs MPI worker "
                               "processes, but the MPI world has 1 process(es)")
    assert "mpiexec -n 5 python -m mpi4py.futures -m qutip_mmi sweep" in r.stderr
    assert not store.exists()  # refused before any work
