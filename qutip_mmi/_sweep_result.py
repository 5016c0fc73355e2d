"""The table a sweep returns (:class:`SweepResult`), with CSV and JSON output."""

from __future__ import annotations

import csv
import io
import json
import numbers

import numpy as np

__all__ = ["SweepResult"]


class SweepResult:
    """Table of a parameter sweep: one row per grid point, named columns.

    Attributes
    ----------
    rows : list of dict
        One dict per point, in grid order (first parameter varies slowest).
    columns : list of str
        Column names: the varied parameters, the other model parameters, then
        ``mmi, mmi_per_unit, entropy, local_entropy, mx, my, mz, residual,
        seconds, method``.
    parameters : list of str
        The varied parameters.
    model : PIModel
        The base model.
    method : str
        The requested method ("auto" resolves per point; see the ``method``
        column for the route used).
    computed, reused : int
        Points computed by this call, and points read back from the store
        (stored before the call, or meanwhile by another process sharing it).
    store : str or None
        The JSON-lines store, if any.

    Examples
    --------
    >>> from qutip_mmi import LMG, sweep
    >>> res = sweep(LMG(6), {"Gamma": [0.5, 2.0]})
    >>> res.column("mmi_per_unit").shape
    (2,)
    """

    def __init__(self, rows, columns, parameters, model, method, computed=0, reused=0,
                 store=None):
        self.rows = list(rows)
        self.columns = list(columns)
        self.parameters = list(parameters)
        self.model = model
        self.method = method
        self.computed = computed
        self.reused = reused
        self.store = store

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def column(self, name) -> np.ndarray:
        """The column ``name`` as a numpy array (object dtype for text)."""
        if name not in self.columns:
            raise KeyError(f"no column {name!r}; columns are {self.columns}")
        values = [row.get(name) for row in self.rows]
        if all(isinstance(v, numbers.Real) and not isinstance(v, bool) or v is None
               for v in values):
            return np.array([np.nan if v is None else v for v in values], dtype=float)
        return np.array(values, dtype=object)

    __getitem__ = column

    def to_csv(self, path=None) -> str:
        """Write the table as CSV (floats with full precision: ``repr``).

        Returns the CSV text; also writes it to ``path`` if given.
        """
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([_csv_cell(row.get(c)) for c in self.columns])
        text = buf.getvalue()
        if path is not None:
            with open(path, "w", newline="") as fh:
                fh.write(text)
        return text

    def as_dict(self) -> dict:
        """JSON-safe: columns, varied parameters, the base model (its name and
        :meth:`~qutip_mmi.PIModel.to_json` form), method, counts and rows."""
        return {"columns": self.columns, "parameters": self.parameters,
                "model": type(self.model).__name__,
                "model_json": json.loads(self.model.to_json()),
                "method": self.method, "computed": self.computed,
                "reused": self.reused, "store": self.store, "rows": self.rows}

    def to_json(self, path=None) -> str:
        """The table as JSON (:meth:`as_dict`), also written to ``path`` if given."""
        text = json.dumps(self.as_dict())
        if path is not None:
            with open(path, "w") as fh:
                fh.write(text)
        return text

    def to_pandas(self):
        """The table as a :class:`pandas.DataFrame` (needs pandas)."""
        import pandas as pd
        return pd.DataFrame(self.rows, columns=self.columns)

    def __repr__(self):
        shown = [c for c in self.parameters + ["mmi_per_unit", "mx", "my", "mz",
                                               "residual", "method"]
                 if c in self.columns]
        lines = [f"SweepResult({type(self.model).__name__}, {len(self)} points, "
                 f"varied {self.parameters}, method={self.method!r}, "
                 f"computed={self.computed}, reused={self.reused})"]
        lines.append("  " + "  ".join(f"{c:>13}" for c in shown))
        for row in self.rows[:20]:
            lines.append("  " + "  ".join(f"{_fmt(row.get(c)):>13}" for c in shown))
        if len(self) > 20:
            lines.append(f"  ... ({len(self) - 20} more rows)")
        return "\n".join(lines)


def _csv_cell(v):
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return v


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)
