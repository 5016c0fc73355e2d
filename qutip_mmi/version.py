"""Package version, read from the VERSION file at build time."""

try:
    from importlib.metadata import version as _v, PackageNotFoundError
    try:
        __version__ = _v("qutip-mmi")
    except PackageNotFoundError:  # running from a source tree
        __version__ = "0.1.0+source"
except ImportError:  # pragma: no cover
    __version__ = "0.1.0+source"
