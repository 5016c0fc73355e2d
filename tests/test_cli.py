import json
import subprocess
import sys

import numpy as np
import pytest

import qutip_mmi as qm
from qutip_mmi import exact
from qutip_mmi.cli import main


def _exact_measures(N, **params):
    """I_M, S(rho_T), S(rho_1), m of the full 2^N steady state (partial traces)."""
    rho = exact.steady_state(qm.LMG(N, **params))
    return (qm.mutual_information(rho), qm.entropy(rho), qm.local_entropy(rho),
            qm.magnetization(rho))


def test_steady_json_matches_exact_route(capsys):
    assert main(["steady", "--N", "6", "--field", "0.5", "--Gamma", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    mmi, s_total, s_local, m = _exact_measures(6, field=0.5, Gamma=2.0)
    assert out["method"] == "blocks"
    assert out["mmi"] == pytest.approx(mmi, abs=1e-10)
    assert out["mmi_per_unit"] == pytest.approx(mmi / 6, abs=1e-10)
    assert out["entropy"] == pytest.approx(s_total, abs=1e-10)
    assert out["local_entropy"] == pytest.approx(s_local, abs=1e-10)
    assert np.allclose(out["magnetization"], m, atol=1e-10)
    assert out["residual"] < 1e-10


def test_steady_json_paper_point(capsys):
    # the paper authors' own code at N = 10 (tests/conftest.py)
    assert main(["steady", "--N", "10", "--field", "0.5", "--Gamma", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert np.allclose(out["magnetization"], [-0.0950648, -0.1352669, 0.3652376], atol=1e-6)


def test_steady_summary_piqs(capsys):
    assert main(["steady", "--N", "6", "--method", "piqs"]) == 0
    out = capsys.readouterr().out
    line = next(l for l in out.splitlines() if l.strip().startswith("I_M / N"))
    mmi = _exact_measures(6)[0]
    assert float(line.split()[-1]) == pytest.approx(mmi / 6, abs=1e-7)  # piqs: float32


def test_bad_input_exit_code(capsys):
    assert main(["steady", "--N", "0"]) == 2
    assert "N" in capsys.readouterr().err
    assert main(["steady", "--N", "4", "--Gamma", "-1"]) == 2
    assert "Gamma" in capsys.readouterr().err


def test_module_entry_point():
    r = subprocess.run([sys.executable, "-m", "qutip_mmi", "steady", "--N", "4", "--json"],
                       capture_output=True, text=True, check=True)
    assert json.loads(r.stdout)["mmi"] == pytest.approx(_exact_measures(4)[0], abs=1e-10)


def test_family_entry_point():
    from qutip_mmi import family, __version__
    assert family.version() == ("qutip-mmi", __version__)


# ------------------------------------------------- every CLI model form
@pytest.mark.parametrize("argv, model", [
    (["--model", "lmg", "--N", "9", "--field", "0.4", "--bitflip", "0.1"],
     qm.LMG(9, field=0.4, bitflip=0.1)),
    (["--model", "btc", "--N", "8", "--omega", "1.3", "--dephasing", "0.2",
      "--pumping", "0.1", "--emission", "0.3"],
     qm.BoundaryTimeCrystal(8, omega=1.3, dephasing=0.2, pumping=0.1, emission=0.3)),
    (["--model", "laser", "--N", "30", "--Gamma", "2.5", "--dephasing", "0.1"],
     qm.SuperradiantLaser(30, Gamma=2.5, dephasing=0.1)),
])
def test_cli_presets_reproduce_the_api(capsys, argv, model):
    assert main(["steady", *argv, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rho = qm.steady_state(model)
    assert out["model"] == model.name and out["method"] == rho.info.method
    assert out["mmi"] == pytest.approx(qm.mutual_information(rho), abs=1e-12)
    assert np.allclose(out["magnetization"], qm.magnetization(rho), atol=1e-12)


def test_cli_model_file_reproduces_the_api(tmp_path, capsys):
    from conftest import general_model
    model = general_model(5)
    path = tmp_path / "model.json"
    path.write_text(model.to_json())
    assert main(["steady", "--model-file", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ref = exact.steady_state(model)  # and an independent route
    assert out["mmi"] == pytest.approx(qm.mutual_information(ref), abs=1e-10)
    assert main(["steady", "--model-file", str(path), "--N", "4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["N"] == 4
    assert out["mmi"] == pytest.approx(
        qm.mutual_information(exact.steady_state(model.replace(N=4))), abs=1e-10)


def test_cli_meanfield_preset_reproduces_the_api(capsys):
    assert main(["meanfield", "--model", "lmg", "--Gamma", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    # eq. 18: the h = 0 limit in closed form
    assert out["mmi_per_unit"] == pytest.approx(qm.meanfield.lmg_h0_limit(2.0), abs=1e-8)


def test_cli_sweep_preset_reproduces_the_api(capsys):
    assert main(["sweep", "--N", "6", "--model", "btc", "--dephasing", "0.2",
                 "--kappa-range", "0.5", "1.5", "3", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    rows = rows["rows"] if isinstance(rows, dict) else rows
    assert len(rows) == 3
    for row, kappa in zip(rows, [0.5, 1.0, 1.5]):
        ref = exact.steady_state(qm.BoundaryTimeCrystal(6, kappa=kappa, dephasing=0.2))
        assert row["kappa"] == pytest.approx(kappa)
        assert row["mmi_per_unit"] == pytest.approx(
            qm.mutual_information(ref, per_unit=True), abs=1e-10)
