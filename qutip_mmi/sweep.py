"""
Parameter sweeps of steady-state correlations, with persistence and parallel maps.

:func:`sweep` evaluates the steady state of a base model over a grid of model
parameters (outer product of the given value lists) and returns a
:class:`SweepResult`, a small table with named columns. Points can be stored as
they finish in a JSON-lines file (``store=PATH``) so that an interrupted sweep
resumes where it stopped, and can be distributed with the maps of
:mod:`qutip.solver.parallel`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import numbers
import os
import sys
import types

import numpy as np

from ._sweep_result import SweepResult
from ._resources import progress_bar_name, resolve_progress_bar
from ._store import STORE_FORMAT, stored_keys
from ._store import Store as _Store
from ._validation import check_N, check_option_keys
from .information import entropy, local_entropy, magnetization
from .steadystate import METHODS, BlockSolver, resolve_method, steady_state

__all__ = ["sweep", "SweepResult", "SweepInterrupted", "MAPS", "RESULT_COLUMNS"]

#: The ``map`` choices and the qutip.solver.parallel functions behind them.
MAPS = {"serial": "serial_map", "parallel": "parallel_map", "loky": "loky_pmap",
        "mpi": "mpi_pmap"}

#: Columns computed at every point (after the model-parameter columns).
RESULT_COLUMNS = ("mmi", "mmi_per_unit", "entropy", "local_entropy", "mx", "my", "mz",
                  "residual", "seconds", "method")


#: Test hook: called as ``_point_hook(index, row)`` in the main process after
#: each finished point has been recorded (and stored). Raising from it
#: interrupts the sweep exactly like a crash after that point.
_point_hook = None


# ------------------------------------------------------------------ points
def _normalize_value(name, value):
    if name == "N":
        return check_N(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return float(value)  # same key for 1 and 1.0
    return value


def _grid(parameters):
    if not isinstance(parameters, dict) or not parameters:
        raise TypeError("parameters must be a non-empty dict {name: sequence of values}")
    names = list(parameters)
    lists = []
    for name in names:
        values = parameters[name]
        if np.isscalar(values):
            values = [values]
        values = [_normalize_value(name, v) for v in values]
        if not values:
            raise ValueError(f"parameter {name!r} has no values")
        lists.append(values)
    return names, [dict(zip(names, combo)) for combo in itertools.product(*lists)]


def _key(params) -> str:
    return json.dumps(params, sort_keys=True)


def _measure(model, rho):
    # I_M = N S(rho_1) - S(rho_T), as mutual_information computes it, from the
    # two entropies computed once (the block eigenvalues dominate at large N)
    s_total, s_local = float(entropy(rho)), float(local_entropy(rho))
    mmi = model.N * s_local - s_total
    mx, my, mz = (float(v) for v in magnetization(rho))
    info = rho.info
    return {
        "mmi": mmi, "mmi_per_unit": mmi / model.N, "entropy": s_total,
        "local_entropy": s_local, "mx": mx, "my": my, "mz": mz,
        "residual": float(info.residual), "seconds": float(info.seconds),
        "method": info.method,
    }


def _solve_point(task):
    """Task of the parallel maps: ``(index, model, method, solver_options, key,
    store_path)``.

    Module level (picklable). Returns ``(index, results dict)``, or
    ``(index, None)`` when the point is already in the store (finished by
    another process sharing it).
    """
    index, model, method, solver_options, key, path = task
    if path is not None and key in stored_keys(path):
        return index, None
    rho = steady_state(model, method=method, options=solver_options)
    return index, _measure(model, rho)


class _SerialSolver:
    """Serial task (main process): skips points another process stored, and
    reuses one :class:`BlockSolver` along the grid (warm starts) if ``warm``."""

    def __init__(self, solver_options, store, warm):
        self.store = store
        self.solver = BlockSolver(solver_options) if warm else None

    def __call__(self, task):
        index, model, method, solver_options, key, _ = task
        if self.store is not None:
            self.store.refresh()
            if key in self.store.rows:
                return index, None
        if self.solver is None or resolve_method(model, method) != "blocks":
            rho = steady_state(model, method=method, options=solver_options)
        else:
            rho = self.solver.solve(model)
        return index, _measure(model, rho)


class SweepInterrupted(KeyboardInterrupt):
    """The ``KeyboardInterrupt`` of an interrupted :func:`sweep` (a subclass:
    ``except KeyboardInterrupt`` catches it), raised once the store is
    consistent.

    Attributes
    ----------
    saved : int
        Points of the grid in the store (0 without a store).
    done : int
        Points finished before the interruption.
    total : int
        Points of the grid.
    store : str or None
        The store.
    """

    def __init__(self, done, total, store):
        self.done, self.total, self.store = done, total, store
        self.saved = done if store is not None else 0
        if store is None:
            msg = (f"sweep interrupted after {done} of {total} points; nothing was "
                   "saved (no store)")
        else:
            msg = (f"sweep interrupted: {done} of {total} points are saved in "
                   f"{store!r}; rerun the same sweep with the same store to resume")
        super().__init__(msg)


# ------------------------------------------------------------------- sweep
def _map_function(name):
    from qutip.solver import parallel
    if name not in MAPS:
        raise ValueError(f"unknown map {name!r}; choose one of {sorted(MAPS)}")
    return getattr(parallel, MAPS[name])


def sweep(model, parameters, method="auto", store=None, map="serial", progress_bar=None,
          options=None) -> SweepResult:
    """Steady-state correlations of ``model`` over a grid of its parameters.

    Parameters
    ----------
    model : PIModel
        The base model, e.g. ``LMG(40, field=0.5)``; every point is
        ``model.replace(**point)``.
    parameters : dict of str -> sequence
        Values of the varied parameters (any parameter of the model, e.g.
        ``"Gamma"``, ``"field"``, ``"N"``). Several parameters make the outer
        product grid, the first one varying slowest.
    method : {"auto", "rates", "blocks", "piqs", "exact"}
        Steady-state route (:func:`qutip_mmi.steady_state`).
    store : str or path, optional
        JSON-lines file. The first line is a header (package version, model
        class, all base-model parameters, method, varied parameters); every
        finished point is appended at once (flush + ``os.fsync``). Rerunning
        the same sweep with the same store computes only the points missing
        from it (points are matched by their full model-parameter values), so a
        crash or ``KeyboardInterrupt`` loses at most the points in progress.
        Several processes may run the same sweep on one store at once: a lock
        file ``<store>.lock`` serializes every read and append, each process
        skips the points others have stored before computing one, and a point
        finished by two processes is written once. A store made for another
        model class, method, other values of the non-varied parameters or
        **other varied parameters** (e.g. a ``"field"`` sweep on a store of a
        ``"Gamma"`` sweep, or an ``"N"`` sweep on a fixed-N store) is refused
        with ``ValueError`` naming the parameter and the store (use one store
        per set of varied parameters). An unreadable line raises ``ValueError``
        giving ``file:line`` and the start of the text; the option
        ``skip_bad_lines`` keeps the good rows.
    map : {"serial", "parallel", "loky", "mpi"}
        :func:`qutip.solver.parallel.serial_map`, ``parallel_map``,
        ``loky_pmap`` or ``mpi_pmap``. With ``"serial"`` and the "blocks" route
        one :class:`qutip_mmi.BlockSolver` is reused along the grid: each point
        starts from its neighbour's solution, LU factors, pinned element and
        q_max (warm start).
        The parallel maps solve every point from scratch; their results equal
        the serial ones exactly for the direct "rates" route and to the solver
        tolerance (~1e-10 relative) for "blocks" (use
        ``options={"warm_start": False}`` for bit-identical serial numbers).
        All maps record a point in the store as soon as it is finished (the
        qutip maps deliver each result to a callback in the main process as it
        arrives), so interrupted parallel sweeps lose only running points.
    progress_bar : None, bool or str
        QuTiP conventions: None/False no bar; True or "tqdm": tqdm if installed,
        else QuTiP's text bar; "text", "enhanced", "html" as in
        :data:`qutip.ui.progressbar.progress_bars`.
    options : dict, optional
        ``"solver"``: options passed to the steady-state route (e.g. ``tol``);
        ``"warm_start"`` (default True): reuse one BlockSolver in serial maps;
        ``"map_kw"``: passed to the map (``num_cpus``, ``timeout``,
        ``fail_fast``; for "mpi" ``num_cpus`` defaults to the MPI world size
        minus one); ``"progress_kwargs"``: passed to the progress bar;
        ``"fsync"`` (default True); ``"skip_bad_lines"`` (default False):
        skip unreadable store lines with a ``UserWarning`` listing their line
        numbers (the file is not rewritten; new points are appended after
        them); ``"progress_bar"`` (the same as the keyword). Unknown keys
        raise ``KeyError`` naming the valid ones.

    Returns
    -------
    SweepResult
        ``computed`` counts the points solved by this call, ``reused`` those
        read from the store (at the start, or stored meanwhile by another
        process).

    Raises
    ------
    SweepInterrupted
        A ``KeyboardInterrupt`` (subclass) once the store is consistent, with
        ``done``, ``saved``, ``total`` and ``store`` attributes.

    Notes
    -----
    MPI: ``map="mpi"`` uses :class:`mpi4py.futures.MPIPoolExecutor` (needs
    mpi4py and an MPI installation). Start the program under
    :mod:`mpi4py.futures` so that the worker ranks serve the pool; otherwise
    ``map="mpi"`` is refused with ``ValueError`` before any work (spawning
    workers without ``mpiexec`` hangs), e.g.::

        mpiexec -n 5 python -m mpi4py.futures -m qutip_mmi sweep --N 40 \\
            --field 0.5 --Gamma-range 0 5 21 --store lmg40.jsonl --map mpi

    (one rank runs the sweep, four compute points; the store is written by the
    main rank only).

    Examples
    --------
    >>> from qutip_mmi import LMG
    >>> res = sweep(LMG(8, field=0.5), {"Gamma": np.linspace(0, 5, 3)})
    >>> res.columns[:5]
    ['Gamma', 'N', 'exchange', 'field', 'gamma']
    """
    from .models import PIModel
    from .version import __version__
    if not isinstance(model, PIModel):
        raise TypeError(f"model must be a PIModel (e.g. qutip_mmi.LMG), got "
                        f"{type(model).__name__}")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    options = check_option_keys(options, ("solver", "warm_start", "map_kw",
                                          "progress_kwargs", "fsync", "progress_bar",
                                          "skip_bad_lines"), "sweep")
    solver_options = dict(options.get("solver") or {})
    map_fn = _map_function(map)
    mpi_workers = check_mpi_pool() if map == "mpi" else None
    progress = progress_bar_name(resolve_progress_bar(progress_bar, options))
    names, points = _grid(parameters)
    base_params = model.parameters
    bad = [n for n in names if n not in base_params]
    if bad:
        raise ValueError(f"{type(model).__name__} has no parameter(s) {bad}; "
                         f"choose among {list(base_params)}")
    models = [model.replace(**p) for p in points]
    keys = [_key(m.parameters) for m in models]
    columns = names + [n for n in models[0].parameters if n not in names] + \
        list(RESULT_COLUMNS)

    st = None
    if store is not None:
        header = {"format": STORE_FORMAT, "package": "qutip-mmi", "version": __version__,
                  "model": type(model).__name__, "parameters": base_params,
                  "method": method, "varied": names,
                  # the base model in the one model format (PIModel.from_json)
                  "model_json": json.loads(model.to_json())}
        st = _Store(store, header, [n for n in base_params if n not in names],
                    fsync=options.get("fsync", True),
                    skip_bad_lines=options.get("skip_bad_lines", False))

    rows = [None] * len(points)
    count = {"computed": 0, "reused": 0}
    for i, k in enumerate(keys):
        if st is not None and k in st.rows:
            rows[i] = st.rows[k]
            count["reused"] += 1
    path = None if st is None else st.path
    todo = [(i, models[i], method, solver_options, keys[i], path)
            for i in range(len(points)) if rows[i] is None]

    def record(result):
        i, out = result
        if out is None:  # finished by another process sharing the store
            st.refresh()
            row = st.rows.get(keys[i])
            if row is None:
                return
            count["reused"] += 1
        else:
            row = {**points[i], **{n: v for n, v in models[i].parameters.items()
                                    if n not in points[i]}, **out}
            row = {c: row.get(c) for c in columns}
            if st is not None:
                row = st.add(keys[i], row)  # the first row stored wins
            count["computed"] += 1
        rows[i] = row
        if _point_hook is not None:
            _point_hook(i, row)

    if todo:
        if map == "serial":
            task = _SerialSolver(solver_options, st, options.get("warm_start", True))
        else:
            task = _solve_point
        map_kw = dict(options.get("map_kw") or {})
        if map == "mpi" and "num_cpus" not in map_kw \
                and "QUTIP_NUM_PROCESSES" not in os.environ:
            map_kw["num_cpus"] = mpi_workers
        try:
            map_fn(task, todo, reduce_func=record, map_kw=map_kw,
                   progress_bar=progress,
                   progress_bar_kwargs=dict(options.get("progress_kwargs") or {}))
        except KeyboardInterrupt as exc:
            # every finished point is appended whole (a line cut short is
            # dropped by the next reader): the store is consistent. Count the
            # points of this grid in the file (the interrupt may have come
            # between the append and the bookkeeping).
            done = sum(r is not None for r in rows)
            if path is not None:
                in_file = stored_keys(path, cache=False)
                done = sum(k in in_file for k in keys)
            raise SweepInterrupted(done, len(points), path) from exc
    missing = [i for i, r in enumerate(rows) if r is None]
    if missing:  # e.g. a map timeout
        raise RuntimeError(f"{len(missing)} sweep points were not computed "
                           "(map timeout?); rerun with the same store to finish")
    return SweepResult(rows, columns, names, model, method, computed=count["computed"],
                       reused=count["reused"], store=path)


#: How to start a sweep with map="mpi" (refusal message of check_mpi_pool).
MPI_COMMAND = ("mpiexec -n 5 python -m mpi4py.futures -m qutip_mmi sweep ... --map mpi "
               "(command line) or mpiexec -n 5 python -m mpi4py.futures script.py "
               "(a script calling sweep(..., map='mpi')): one rank runs the sweep, "
               "the others compute points")


def check_mpi_pool() -> int:
    """Refuse ``map="mpi"`` unless this process is the root of an mpi4py.futures
    pool with workers (``mpiexec -n K python -m mpi4py.futures ...``, K >= 2);
    return the number of worker ranks.

    Otherwise :class:`mpi4py.futures.MPIPoolExecutor` would spawn workers with
    ``MPI_Comm_spawn``, which hangs (MPICH singleton without ``mpiexec``) or
    makes every rank run the whole sweep. The check only reads the world size
    and whether mpi4py.futures set up its shared pool; it spawns nothing.
    """
    try:
        from mpi4py import MPI
        from mpi4py.futures import _core
    except ImportError as exc:
        raise ImportError("map='mpi' needs mpi4py and an MPI library (pip install "
                          f"mpi4py mpich): {exc}") from exc
    size = MPI.COMM_WORLD.Get_size()
    shared = getattr(_core, "SharedPool", True)  # unknown mpi4py layout: size only
    if shared is None or size < 2:
        how = ("this program was not started under python -m mpi4py.futures"
               if shared is None else "no rank is left to compute points")
        raise ValueError(f"map='mpi' needs MPI worker processes, but the MPI world has "
                         f"{size} process(es) and {how}; start it as {MPI_COMMAND}")
    # qutip's mpi_pmap stops loky's resource tracker through the attribute
    # loky.backend.resource_tracker, which loky >= 3.5 no longer imports eagerly
    # (AttributeError); importing the submodule restores the attribute.
    with contextlib.suppress(ImportError):
        import loky.backend.resource_tracker  # noqa: F401
    return size - 1


class _CallableModule(types.ModuleType):
    """``qutip_mmi.sweep`` is this module and, called, its function :func:`sweep`
    (``qm.sweep(model, grid)`` and ``import qutip_mmi.sweep`` both work)."""

    def __call__(self, *args, **kwargs):
        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
