import json
import subprocess
import sys

import numpy as np
import pytest

from qutip_mmi.cli import main


def test_steady_json(capsys):
    assert main(["steady", "--N", "10", "--field", "0.5", "--Gamma", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    keys = {"N", "exchange", "field", "Gamma", "gamma", "method", "mmi", "mmi_per_unit",
            "entropy", "local_entropy", "magnetization", "residual", "seconds"}
    assert keys <= set(out)
    assert np.allclose(out["magnetization"], [-0.0950648, -0.1352669, 0.3652376], atol=1e-6)
    assert out["mmi_per_unit"] == pytest.approx(out["mmi"] / 10)
    assert out["mmi"] == pytest.approx(10 * out["local_entropy"] - out["entropy"])


def test_steady_summary_and_methods(capsys):
    assert main(["steady", "--N", "6", "--method", "piqs"]) == 0
    assert "I_M" in capsys.readouterr().out


def test_bad_input_exit_code(capsys):
    assert main(["steady", "--N", "0"]) == 2
    assert "N" in capsys.readouterr().err
    assert main(["steady", "--N", "4", "--Gamma", "-1"]) == 2
    assert "Gamma" in capsys.readouterr().err


def test_module_entry_point():
    r = subprocess.run([sys.executable, "-m", "qutip_mmi", "steady", "--N", "4", "--json"],
                       capture_output=True, text=True, check=True)
    assert json.loads(r.stdout)["N"] == 4


def test_family_entry_point():
    from qutip_mmi import family, __version__
    assert family.version() == ("qutip-mmi", __version__)
