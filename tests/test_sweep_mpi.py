"""map="mpi": the documented command under mpiexec gives the serial numbers."""

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
