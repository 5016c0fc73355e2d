"""The ``qutip-mmi`` command line: thin wrappers around the library.

One module per subcommand (``steady``, ``sweep``, ``meanfield``, ``groundstate``,
``figure``), each with ``HELP``, ``add_arguments(parser)`` and ``run(args)``.
This package sits on the top floor: it imports the library, and no library
module imports it.
"""

from __future__ import annotations

import argparse
import importlib
import sys

__all__ = ["main", "SUBCOMMANDS"]

#: subcommand name -> module (relative to this package)
SUBCOMMANDS = {
    "steady": "steady",
    "sweep": "sweep",
    "meanfield": "meanfield",
    "groundstate": "groundstate",
    "figure": "figures",
    "spectrum": "spectrum",
    "evolve": "evolve",
}


def _module(name):
    return importlib.import_module(f"{__name__}.{SUBCOMMANDS[name]}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``qutip-mmi`` with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="qutip-mmi",
        description="Multipartite mutual information of permutation-invariant "
                    "open quantum systems.")
    parser.add_argument("--version", action="store_true", help="print the version")
    sub = parser.add_subparsers(dest="command")
    for name in SUBCOMMANDS:
        mod = _module(name)
        mod.add_arguments(sub.add_parser(
            name, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP),
            formatter_class=_HelpFormatter))
    return parser


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter,
                     argparse.RawDescriptionHelpFormatter):
    """Every option's help shows its default; descriptions keep their lines."""


def main(argv=None) -> int:
    """Entry point of the ``qutip-mmi`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from .. import __version__
        print(f"qutip-mmi {__version__}")
        return 0
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return _module(args.command).run(args) or 0
    except MemoryError as exc:
        text = str(exc).replace("pass options={'force_memory': True}", "use --force-memory")
        return _error(args.command, text)
    except KeyboardInterrupt:
        print(f"qutip-mmi {args.command}: interrupted", file=sys.stderr)
        return 130
    except EXPECTED_ERRORS as exc:
        return _error(args.command, exc)


#: Failures that end in one error line and exit status 2, never a traceback.
EXPECTED_ERRORS = (ValueError, TypeError, KeyError, OSError, RuntimeError,
                   ArithmeticError, ImportError)


def _error(command, exc) -> int:
    # KeyError's str() is the repr of its argument: print the message itself
    text = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
    print(f"qutip-mmi {command}: error: {text}", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
