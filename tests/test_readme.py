"""README.rst: its Python snippets run as written, its test command is CI's."""

import math
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.rst").read_text()


def _python_blocks(text):
    """The bodies of the ``.. code-block:: python`` directives, dedented."""
    blocks = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == ".. code-block:: python":
            i += 1
            body = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith("    ")):
                body.append(lines[i][4:])
                i += 1
            blocks.append("\n".join(body).strip() + "\n")
        else:
            i += 1
    return blocks


def _shell_block_after(text, marker):
    """The first literal (``::``) block after the paragraph containing marker."""
    start = text.index(marker)
    m = re.search(r"::\n\n((?:    .*\n|\n)+)", text[start:])
    return m.group(1).strip()


BLOCKS = _python_blocks(README)


def test_readme_has_python_snippets():
    assert len(BLOCKS) >= 2
    assert all(b.strip() for b in BLOCKS)


def test_readme_snippets_run(tmp_path, monkeypatch, capsys):
    """Every Python block runs in order in one namespace (files go to tmp_path),
    and the quoted numbers are what they return."""
    monkeypatch.chdir(tmp_path)
    ns = {}
    for code in BLOCKS:
        exec(compile(code, "README.rst", "exec"), ns)  # noqa: S102 (our own README)
    capsys.readouterr()
    # the first block's quoted value (the paper authors' N = 80 number)
    assert "0.2152955" in BLOCKS[0]
    assert ns["qm"].mutual_information(ns["rho"], per_unit=True) == pytest.approx(
        0.2152955, abs=1e-7)
    # the sweep block: one row per Gamma, the store written, files of figure 2
    assert len(ns["res"].column("mmi_per_unit")) == 11
    assert (tmp_path / "lmg40.jsonl").stat().st_size > 0
    assert pathlib.Path(ns["fig"].files["png"]).stat().st_size > 0
    # 0.30, 0.35, 0.375 is exactly 0.4 - 2/N: the extrapolation finds a = 0.4
    assert math.isclose(ns["e"].estimate, 0.4, abs_tol=1e-9)


def test_ci_runs_the_readme_command_verbatim():
    command = _shell_block_after(README, "in one command")
    assert "\n" not in command
    assert "--doctest-modules qutip_mmi" in command
    assert "sphinx-build -W" in command
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert command in ci
    assert "python3 -m venv" in "\n".join(ci)  # CI makes a fresh environment


@pytest.mark.parametrize("page", ["index.rst", "piqs.rst"])
def test_docs_snippets_run(page, tmp_path, monkeypatch, capsys):
    """The Python blocks of the documentation pages run as written."""
    monkeypatch.chdir(tmp_path)
    blocks = _python_blocks((ROOT / "docs" / page).read_text())
    assert blocks
    ns = {}
    for code in blocks:
        exec(compile(code, page, "exec"), ns)  # noqa: S102 (our own docs)
    capsys.readouterr()
    if page == "piqs.rst":   # the piqs model and ours give the same state
        assert ns["mx"] == pytest.approx(ns["mx_piqs"], abs=1e-6)
        rho_piqs = ns["rho_piqs"]
        got = ns["qm"].mutual_information(
            ns["qm"].PIState.from_qobj(rho_piqs / rho_piqs.tr()))
        assert got == pytest.approx(ns["qm"].mutual_information(ns["rho"]), abs=1e-6)


def test_readme_is_valid_rst():
    """The README is the package's long description: no reST warnings."""
    core = pytest.importorskip("docutils.core")
    from docutils.writers.null import Writer
    core.publish_string(README, writer=Writer(),
                        settings_overrides={"report_level": 2, "halt_level": 2})
