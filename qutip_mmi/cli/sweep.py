"""``qutip-mmi sweep``: steady-state I_M over a parameter grid (resumable store)."""

from __future__ import annotations

import argparse
import os
import sys
import warnings

import numpy as np

from ..sweep import MAPS, sweep

from ._models import add_model_arguments, given_parameters, model_from_args, \
    preset_parameters

HELP = "steady-state I_M of a model (LMG by default) over a parameter grid (resumable)"


def add_arguments(p):
    p.add_argument("--N", type=int, nargs="+", required=True, default=argparse.SUPPRESS,
                   help="number of spins; several values make a grid over N "
                        "(required)")
    # preset parameters default to SUPPRESS: a value given together with
    # --NAME-range is refused
    add_model_arguments(p, N=False)
    for name in preset_parameters():
        p.add_argument(f"--{name}-range", type=float, nargs=3, default=None,
                       metavar=("START", "STOP", "NUM"),
                       help=f"sweep {name} over numpy.linspace(START, STOP, NUM) "
                            "(default: %(default)s, not swept)")
    p.add_argument("--method", default="auto",
                   choices=["auto", "rates", "blocks", "piqs", "exact"],
                   help="steady-state route: auto (rates for Jz-conserving models, "
                        "else blocks), rates, blocks, piqs (qutip.piqs reference), "
                        "exact (full 2^N, N <= 10) (default: %(default)s)")
    p.add_argument("--store", default=None, metavar="FILE",
                   help="JSON-lines store: every finished point is appended at once; "
                        "rerunning the same command resumes, and several processes "
                        "may share one store (default: %(default)s: nothing is "
                        "saved)")
    p.add_argument("--skip-bad-lines", action="store_true",
                   help="skip unreadable lines of --store with a warning instead of "
                        "refusing the store (the file is not rewritten) "
                        "(default: %(default)s)")
    p.add_argument("--map", default="serial", choices=sorted(MAPS),
                   help="how points are computed: serial (this process, warm "
                        "starts), parallel (process pool), loky, mpi (start as "
                        "'mpiexec -n 5 python -m mpi4py.futures -m qutip_mmi sweep "
                        "... --map mpi') (default: %(default)s)")
    p.add_argument("--num-cpus", type=int, default=None,
                   help="worker processes of the parallel, loky and mpi maps "
                        "(default: %(default)s: all cores; mpi: the MPI world "
                        "size - 1)")
    p.add_argument("--progress", action="store_true",
                   help="show QuTiP's progress bar (tqdm if installed) "
                        "(default: %(default)s)")
    p.add_argument("--csv", default=None, metavar="FILE",
                   help="also write the table as CSV to this file "
                        "(default: %(default)s)")
    p.add_argument("--json", action="store_true",
                   help="print the table as JSON instead of text "
                        "(default: %(default)s)")


def check_output_path(path, option):
    """Refuse, before any work, an output path that cannot be written as a file."""
    if path is None:
        return
    full = os.path.abspath(path)
    if os.path.isdir(full):
        name = "sweep.csv" if option == "--csv" else "sweep.jsonl"
        example = os.path.join(path, name)
        raise ValueError(f"{option} {path}: is a directory; give a file name, e.g. "
                         f"{example}")
    if os.path.exists(full):
        if not os.access(full, os.W_OK):
            raise ValueError(f"{option} {path}: the file is not writable")
        return
    parent = os.path.dirname(full)
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise ValueError(f"{option} {path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"{option} {path}: cannot create it ({parent} is not "
                         "writable)")


def _grid(args, given):
    grid = {}
    if len(args.N) > 1:
        grid["N"] = args.N
    for name in preset_parameters():
        rng = getattr(args, f"{name}_range")
        if rng is None:
            continue
        if name in given:
            raise ValueError(f"--{name} {given[name]:g} and --{name}-range both given "
                             f"(--{name} would be ignored); give only one of them")
        start, stop, num = rng
        if num != int(num) or num < 1:
            raise ValueError(f"--{name}-range NUM must be a positive integer, got "
                             f"{num:g}")
        grid[name] = np.linspace(start, stop, int(num))
    if not grid:
        raise ValueError("nothing to sweep: give --Gamma-range (or --field-range, ...) "
                         "or several --N")
    return grid


def _interrupted(exc, total_hint=None):
    store = getattr(exc, "store", None)
    done, total = getattr(exc, "done", None), getattr(exc, "total", total_hint)
    if done is None:
        msg = "interrupted"
    elif store is not None:
        msg = (f"interrupted: {done} of {total} points are saved in {store}; to "
               f"resume, rerun the same command with the same --store {store}")
    else:
        msg = (f"interrupted after {done} of {total} points; nothing was saved (no "
               "--store): give --store FILE to make the sweep resumable")
    print(f"qutip-mmi sweep: {msg}", file=sys.stderr)
    return 130


def run(args):
    given = given_parameters(args)
    grid = _grid(args, given)
    check_output_path(args.store, "--store")
    check_output_path(args.csv, "--csv")
    if (args.store is not None and args.csv is not None
            and os.path.abspath(args.store) == os.path.abspath(args.csv)):
        raise ValueError(f"--store and --csv are the same file ({args.csv}); the CSV "
                         "would overwrite the store")
    if args.num_cpus is not None and args.num_cpus < 1:
        raise ValueError(f"--num-cpus must be a positive integer, got {args.num_cpus}")
    model = model_from_args(args, N=args.N[0])
    foreign = sorted(set(grid) - set(model.parameters))
    if foreign:
        raise ValueError(f"{', '.join('--' + k + '-range' for k in foreign)}: not a "
                         f"parameter of {model.name} (its parameters: "
                         f"{', '.join(sorted(model.parameters))})")
    options = {}
    if args.num_cpus is not None:
        options["map_kw"] = {"num_cpus": args.num_cpus}
    if args.skip_bad_lines:
        options["skip_bad_lines"] = True
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = sweep(model, grid, method=args.method, store=args.store,
                            map=args.map, progress_bar=True if args.progress else None,
                            options=options)
            finally:
                for w in caught:
                    print(f"qutip-mmi sweep: warning: {w.message}", file=sys.stderr)
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    except ImportError as exc:  # e.g. --map mpi without mpi4py
        raise ValueError(str(exc)) from exc
    try:
        print(res.to_json() if args.json else res)
        if args.csv:
            os.makedirs(os.path.dirname(os.path.abspath(args.csv)), exist_ok=True)
            res.to_csv(args.csv)
    except KeyboardInterrupt:
        saved = f" and saved in {args.store}" if args.store else ""
        print(f"qutip-mmi sweep: interrupted (every point is computed{saved})",
              file=sys.stderr)
        return 130
    return 0
