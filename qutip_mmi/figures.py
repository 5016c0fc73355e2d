"""
The paper's figures: data, finite-size extrapolation and plots.

Each ``figure_*`` function computes its data (steady states through
:func:`qutip_mmi.sweep.sweep`, ground states through
:func:`qutip_mmi.groundstate.ground_state_mmi`), writes a PNG, a PDF, a CSV of
the computed points (the numbers are exactly those of ``sweep`` for the same
points, written with full precision) and a JSON file with the points, the
mean-field theory curve and the finite-size extrapolation, and returns a
:class:`FigureResult`.

Style as in the paper: mean-field theory as a solid line (green with
``paper=True``, as in the paper's caption), finite N as dots joined by dotted
guides, legend by N to the right of the axes. The N -> infinity markers of
figures 1a/1b are drawn only where :func:`extrapolate` finds the sizes
consistent with a 1/N approach (``consistent`` in the JSON data, with the
``reason`` where not), with error bars that include the model error. The mean-field curve comes from
:mod:`qutip_mmi.meanfield` when that module is available (otherwise the line
is left out, except at h = 0 where the closed form of eq. (18) is used).

matplotlib is imported only when a figure is drawn, with the Agg backend.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np

from ._extrapolation import Extrapolation, extrapolate

__all__ = ["figure_1a", "figure_1b", "figure_2", "figure_transverse", "extrapolate",
           "Extrapolation", "FigureResult", "DEFAULTS", "PAPER"]

#: Default sizes: each figure finishes in a few minutes on a laptop core.
DEFAULTS = {
    "1a": {"Ns": (20, 40, 80, 160), "Gammas": np.linspace(0, 5, 21)},
    "1b": {"Ns": (10, 20, 30), "Gammas": np.linspace(0, 5, 21)},
    "2": {"Ns": (10, 100, 1000), "fields": np.linspace(0, 1, 101),
          "inset_fields": np.linspace(0, 0.05, 51)},
    "transverse": {"Ns": (10, 20, 30), "Gammas": np.linspace(0, 5, 21)},
}

#: The paper's sizes (``paper=True``; 1a and 1b take long: hours for 1b).
PAPER = {
    "1a": {"Ns": (100, 200, 400, 800, 1600), "Gammas": np.linspace(0.1, 5, 50)},
    "1b": {"Ns": (40, 80, 160, 320), "Gammas": np.linspace(0, 5, 26)},
    "2": {"Ns": (10, 100, 1000, 10000), "fields": np.linspace(0, 1, 201),
          "inset_fields": np.linspace(0, 0.02, 101)},
    "transverse": {"Ns": (40, 80, 160, 320), "Gammas": np.linspace(0, 5, 26)},
}


# ------------------------------------------------------------------ results
class FigureResult:
    """Files and data of one figure.

    Attributes
    ----------
    name : str
        "1a", "1b", "2" or "transverse".
    files : dict
        ``{"png": path, "pdf": path, "csv": path, "json": path}``.
    data : dict
        What was written to the JSON file.
    sweep : SweepResult or None
        The steady-state sweep behind the figure (None for figure 2).
    """

    def __init__(self, name, files, data, sweep=None):
        self.name = name
        self.files = files
        self.data = data
        self.sweep = sweep

    def as_dict(self) -> dict:
        """JSON-safe: the figure's name, files and data (as in its JSON file)."""
        return {"name": self.name, "files": {k: str(v) for k, v in self.files.items()},
                "data": json.loads(json.dumps(self.data))}

    def __repr__(self):
        files = ", ".join(f"{k}={v!r}" for k, v in self.files.items())
        return f"FigureResult({self.name!r}, {files})"


# ------------------------------------------------------------------ helpers
def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _colors(n, paper=False):
    """Colours of the finite-N curves (paper: plasma, dark blue to orange,
    leaving green to the theory line as in the paper's caption; otherwise
    viridis)."""
    plt = _pyplot()
    if paper:
        cmap = plt.get_cmap("plasma")
        return [cmap(0.8 * k / max(n - 1, 1)) for k in range(n)]
    cmap = plt.get_cmap("viridis")
    return [cmap(0.85 * k / max(n - 1, 1)) for k in range(n)]


#: Theory-line colour: the paper's caption draws mean field as a solid green
#: line (``paper=True``); black otherwise.
THEORY_COLOR = {True: "green", False: "black"}


def _legend_outside(ax):
    """Legend to the right of the axes, off the data."""
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              borderaxespad=0.0)


def _meanfield():
    try:
        from . import meanfield
    except ImportError:
        return None
    return meanfield


def _h0_theory(Gamma, gamma):
    """Closed form of eqs. (17)-(18) (used if qutip_mmi.meanfield is missing)."""
    from .information import binary_entropy
    if Gamma <= gamma:
        return 0.0
    mz = gamma / Gamma
    mxy = math.sqrt(2 * gamma * (Gamma - gamma)) / Gamma
    return float(binary_entropy(mz) - binary_entropy(math.hypot(mz, mxy)))


def _theory_curve(exchange, field, gamma, Gammas, quantity="mmi"):
    """Mean-field I_M/N (or transverse magnetization) on a Gamma grid, or None."""
    from .models import LMG
    mf = _meanfield()
    values = []
    for G in Gammas:
        G = float(G)
        if quantity == "mmi" and field == 0.0:
            fn = getattr(mf, "lmg_h0_limit", None) if mf is not None else None
            if fn is not None:
                v = fn(G, gamma)
                values.append(float(getattr(v, "mmi_per_unit", v)))
            else:
                values.append(_h0_theory(G, gamma))
            continue
        fn = getattr(mf, "mmi_limit", None) if mf is not None else None
        if fn is None:
            return None
        r = fn(LMG(2, exchange=exchange, field=field, Gamma=G, gamma=gamma))
        if quantity == "mmi":
            values.append(float(r.mmi_per_unit))
        else:
            m = np.asarray(r.avg_magnetization, dtype=float)
            values.append(float(math.hypot(m[0], m[1])))
    return {"Gamma": [float(g) for g in Gammas], "value": values}


def _outdir(out):
    out = os.fspath(out)
    os.makedirs(out, exist_ok=True)
    return out


def _write_json(path, data):
    with open(path, "w") as fh:
        json.dump(data, fh, indent=1)


def _save(fig, out, stem):
    png = os.path.join(out, stem + ".png")
    pdf = os.path.join(out, stem + ".pdf")
    fig.savefig(png, dpi=150, bbox_inches="tight")
    fig.savefig(pdf, bbox_inches="tight")
    _pyplot().close(fig)
    return png, pdf


def _pick(name, paper, **given):
    base = PAPER[name] if paper else DEFAULTS[name]
    return {k: (base[k] if v is None else v) for k, v in given.items()}


def _steady_sweep(Ns, Gammas, exchange, field, gamma, method, store, map, progress_bar,
                  options):
    from .models import LMG
    from .sweep import sweep
    Ns = [int(n) for n in Ns]
    base = LMG(Ns[0], exchange=exchange, field=field, gamma=gamma)
    return sweep(base, {"N": Ns, "Gamma": list(np.asarray(Gammas, dtype=float))},
                 method=method, store=store, map=map, progress_bar=progress_bar,
                 options=options)


def _by_N(res, ycol):
    table = {}
    for row in res.rows:
        table.setdefault(row["N"], ([], []))
        table[row["N"]][0].append(row["Gamma"])
        table[row["N"]][1].append(ycol(row))
    return table


def _mmi_figure(name, field, Ns, Gammas, out, exchange, gamma, method, store, map,
                progress_bar, options, theory, theory_points, title, paper):
    res = _steady_sweep(Ns, Gammas, exchange, field, gamma, method, store, map,
                        progress_bar, options)
    curve = None
    if theory:
        tg = np.linspace(float(np.min(Gammas)), float(np.max(Gammas)), theory_points)
        curve = _theory_curve(exchange, field, gamma, tg, "mmi")
    # extrapolation per Gamma (needs at least two sizes)
    extrap = []
    table = _by_N(res, lambda r: r["mmi_per_unit"])
    Ns_sorted = sorted(table)
    if len(Ns_sorted) >= 2:
        for k, G in enumerate(table[Ns_sorted[0]][0]):
            vals = [table[n][1][k] for n in Ns_sorted]
            e = extrapolate(Ns_sorted, vals)
            item = {"Gamma": G, **e.as_dict()}
            if theory:
                mf = _theory_curve(exchange, field, gamma, [G], "mmi")
                item["mean_field"] = None if mf is None else mf["value"][0]
            extrap.append(item)
    out = _outdir(out)
    stem = f"figure_{name}"
    csv_path = os.path.join(out, stem + ".csv")
    json_path = os.path.join(out, stem + ".json")
    res.to_csv(csv_path)
    data = {"figure": name, "model": "LMG", "exchange": exchange, "field": field,
            "gamma": gamma, "method": method, "columns": res.columns, "points": res.rows,
            "theory": curve, "extrapolation": extrap,
            "extrapolation_note": "N -> infinity fits of a + b/N (+ c/N^2) per Gamma; "
            "error = statistical and model error (spread over fit orders, dropped "
            "sizes and measured exponents); 'consistent': false (with a 'reason') "
            "where the sizes do not support a 1/N extrapolation: no marker is drawn "
            "there."}
    _write_json(json_path, data)

    plt = _pyplot()
    fig, ax = _theory_and_finite_n(plt, curve, table, Ns_sorted, gamma, paper)
    good = [e for e in extrap if e["consistent"]]
    if good:
        ax.errorbar([e["Gamma"] / gamma for e in good], [e["estimate"] for e in good],
                    yerr=[e["error"] for e in good], fmt="s", mfc="none",
                    color="black", ms=3.5, lw=0.8, capsize=2,
                    label=r"$N\to\infty$ fit ($\pm$ fit and model error)")
    if len(good) < len(extrap):
        ax.text(1.02, 0.0, f"no $N\\to\\infty$ fit at {len(extrap) - len(good)} of "
                f"{len(extrap)}\n$\\Gamma$ values: sizes not\nin the 1/N regime "
                "(see JSON)", transform=ax.transAxes, fontsize=6, va="bottom",
                color="0.35")
    ax.set_xlabel(r"$\Gamma/\gamma$")
    ax.set_ylabel(r"$I_M/N$")
    ax.set_title(title, fontsize=9)
    ax.set_ylim(bottom=0)
    _legend_outside(ax)
    fig.tight_layout()
    png, pdf = _save(fig, out, stem)
    return FigureResult(name, {"png": png, "pdf": pdf, "csv": csv_path,
                               "json": json_path}, data, res)


# ------------------------------------------------------------------ figures
def figure_1a(Ns=None, Gammas=None, out="figures", exchange=3.0, gamma=1.0,
              method="auto", paper=False, store=None, map="serial", progress_bar=None,
              options=None, theory=True, theory_points=101) -> FigureResult:
    """Fig. 1(a): I_M/N of the LMG steady state at h = 0 versus Gamma/gamma.

    Parameters
    ----------
    Ns : sequence of int, optional
        System sizes; default (20, 40, 80, 160), with ``paper=True``
        (100, 200, 400, 800, 1600).
    Gammas : sequence of float, optional
        Collective rates; default ``linspace(0, 5, 21)`` (paper:
        ``linspace(0.1, 5, 50)``).
    out : str or path
        Output folder for ``figure_1a.{png,pdf,csv,json}``.
    exchange, gamma : float
        Model parameters (paper: 3 and 1).
    method, store, map, progress_bar, options
        Passed to :func:`qutip_mmi.sweep.sweep` (h = 0: the fast "rates"
        route).
    paper : bool
        Use the paper's sizes for the defaults.
    theory : bool
        Draw the mean-field curve (eq. 18) and list it beside the
        extrapolations.
    theory_points : int
        Points of the theory curve.

    Returns
    -------
    FigureResult
    """
    p = _pick("1a", paper, Ns=Ns, Gammas=Gammas)
    return _mmi_figure("1a", 0.0, p["Ns"], p["Gammas"], out, exchange, gamma, method,
                       store, map, progress_bar, options, theory, theory_points,
                       f"LMG, h = 0, J = {exchange:g}", paper)


def figure_1b(Ns=None, Gammas=None, out="figures", field=0.5, exchange=3.0, gamma=1.0,
              method="auto", paper=False, store=None, map="serial", progress_bar=None,
              options=None, theory=True, theory_points=51) -> FigureResult:
    """Fig. 1(b): I_M/N of the LMG steady state at h = 0.5 versus Gamma/gamma.

    Default sizes (10, 20, 30) ("blocks" route, warm-started along Gamma);
    ``paper=True``: (40, 80, 160, 320) (hours). The mean-field curve needs
    :mod:`qutip_mmi.meanfield` (time averages on the attractor); it is left out
    when that module is unavailable. Other parameters as in :func:`figure_1a`.
    """
    p = _pick("1b", paper, Ns=Ns, Gammas=Gammas)
    return _mmi_figure("1b", float(field), p["Ns"], p["Gammas"], out, exchange, gamma,
                       method, store, map, progress_bar, options, theory, theory_points,
                       f"LMG, h = {field:g}, J = {exchange:g}", paper)


def figure_transverse(Ns=None, Gammas=None, out="figures", field=0.5, exchange=3.0,
                      gamma=1.0, method="auto", paper=False, store=None, map="serial",
                      progress_bar=None, options=None, theory=True,
                      theory_points=51) -> FigureResult:
    """Supplement: transverse magnetization sqrt(<mx>^2 + <my>^2) versus Gamma.

    At h = 0.5 by default, finite N from the steady state (same sweep as
    :func:`figure_1b`: pass the same ``store`` to reuse its points) and the
    mean-field time average ``avg_magnetization`` of
    :mod:`qutip_mmi.meanfield` when available.
    """
    p = _pick("transverse", paper, Ns=Ns, Gammas=Gammas)
    res = _steady_sweep(p["Ns"], p["Gammas"], exchange, float(field), gamma, method,
                        store, map, progress_bar, options)
    curve = None
    if theory:
        Gs = p["Gammas"]
        tg = np.linspace(float(np.min(Gs)), float(np.max(Gs)), theory_points)
        curve = _theory_curve(exchange, float(field), gamma, tg, "transverse")
    table = _by_N(res, lambda r: math.hypot(r["mx"], r["my"]))
    out = _outdir(out)
    stem = "figure_transverse"
    csv_path = os.path.join(out, stem + ".csv")
    json_path = os.path.join(out, stem + ".json")
    res.to_csv(csv_path)
    data = {"figure": "transverse", "model": "LMG", "exchange": exchange,
            "field": float(field), "gamma": gamma, "method": method,
            "columns": res.columns, "points": res.rows,
            "transverse": {str(n): table[n][1] for n in sorted(table)},
            "theory": curve}
    _write_json(json_path, data)
    plt = _pyplot()
    fig, ax = _theory_and_finite_n(plt, curve, table, sorted(table), gamma, paper)
    ax.set_xlabel(r"$\Gamma/\gamma$")
    ax.set_ylabel(r"$\sqrt{\langle m_x\rangle^2 + \langle m_y\rangle^2}$")
    ax.set_title(f"LMG, h = {field:g}, J = {exchange:g}", fontsize=9)
    ax.set_ylim(bottom=0)
    _legend_outside(ax)
    fig.tight_layout()
    png, pdf = _save(fig, out, stem)
    return FigureResult("transverse", {"png": png, "pdf": pdf, "csv": csv_path,
                                       "json": json_path}, data, res)


def _theory_and_finite_n(plt, curve, table, Ns, gamma, paper=False):
    """The paper's style: mean-field line, finite-N dots with dotted guides."""
    fig, ax = plt.subplots(figsize=(6.2, 3.4))
    if curve is not None:
        ax.plot(np.asarray(curve["Gamma"]) / gamma, curve["value"], "-",
                color=THEORY_COLOR[bool(paper)], lw=1.5, label="mean-field theory")
    for color, n in zip(_colors(len(Ns), paper), Ns):
        g, v = table[n]
        ax.plot(np.asarray(g) / gamma, v, ":o", color=color, ms=3.5, lw=1,
                label=f"N = {n}")
    return fig, ax


def figure_2(Ns=None, fields=None, inset_fields=None, out="figures", exchange=-1.0,
             paper=False) -> FigureResult:
    """Fig. 2: I_M/N of the ferromagnetic LMG ground state versus h, by N.

    Uses :func:`qutip_mmi.groundstate.ground_state_mmi` (J = N/2 sector,
    O(N) per point). Default sizes (10, 100, 1000), h in [0, 1] with an inset
    h in [0, 0.05]; ``paper=True`` adds N = 10^4. The dashed line is ln 2, the
    N -> infinity value at h = 0 (uniform mixture of product states on the
    equator: rho_i = 1/2, I_M/N = ln 2).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as out:
    ...     res = figure_2(Ns=(10, 20), fields=[0.0, 0.5], inset_fields=[0.01], out=out)
    ...     print(sorted(res.files), round(res.data["points"][0]["mmi_per_unit"], 6))
    ['csv', 'json', 'pdf', 'png'] 0.693147
    """
    from .groundstate import ground_state_mmi
    p = _pick("2", paper, Ns=Ns, fields=fields, inset_fields=inset_fields)
    Ns = sorted(int(n) for n in p["Ns"])
    all_fields = sorted(set(float(h) for h in p["fields"]) |
                        set(float(h) for h in p["inset_fields"]))
    rows = []
    for n in Ns:
        for h in all_fields:
            rows.append(ground_state_mmi(n, exchange, h).as_dict())
    out = _outdir(out)
    stem = "figure_2"
    csv_path = os.path.join(out, stem + ".csv")
    json_path = os.path.join(out, stem + ".json")
    cols = list(rows[0])
    with open(csv_path, "w") as fh:
        fh.write(",".join(cols) + "\n")
        for r in rows:
            fh.write(",".join(repr(r[c]) for c in cols) + "\n")
    data = {"figure": "2", "exchange": exchange, "columns": cols, "points": rows}
    _write_json(json_path, data)

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.2, 3.4))
    # right, below the ln 2 guide: the curves there have decayed to ~0
    ins = ax.inset_axes([0.47, 0.25, 0.48, 0.5])
    main = set(float(h) for h in p["fields"])
    small = set(float(h) for h in p["inset_fields"])
    for color, n in zip(_colors(len(Ns), paper), Ns):
        rs = [r for r in rows if r["N"] == n]
        hm = [r for r in rs if r["field"] in main]
        hi = [r for r in rs if r["field"] in small]
        ax.plot([r["field"] for r in hm], [r["mmi_per_unit"] for r in hm], "-",
                color=color, lw=1.2, label=f"N = {n}")
        ins.plot([r["field"] for r in hi], [r["mmi_per_unit"] for r in hi], "-",
                 color=color, lw=1.0)
    guide = r"$\ln 2$ ($h = 0$, $N\to\infty$)"
    ax.axhline(math.log(2), color="gray", lw=0.7, ls="--", label=guide)
    ins.axhline(math.log(2), color="gray", lw=0.6, ls="--")
    ax.set_xlabel(r"$h$")
    ax.set_ylabel(r"$I_M/N$")
    ax.set_title(f"ferromagnetic LMG ground state, J = {exchange:g}", fontsize=9)
    ax.set_ylim(0, 0.8)
    ins.set_xlabel(r"$h$", fontsize=6, labelpad=1)
    ins.set_ylabel(r"$I_M/N$", fontsize=6, labelpad=1)
    ins.tick_params(labelsize=6)
    ins.set_ylim(0, 0.8)
    _legend_outside(ax)
    fig.tight_layout()
    png, pdf = _save(fig, out, stem)
    return FigureResult("2", {"png": png, "pdf": pdf, "csv": csv_path,
                              "json": json_path}, data)
