"""QuTiP family package entry point: lets :func:`qutip.about` list qutip-mmi."""

from . import __version__


def version():
    """(package name, version) as :func:`qutip.about` expects."""
    return "qutip-mmi", __version__
