"""Resources of heavy computations: memory estimates, BLAS threads, progress bars.

Bottom floor, like :mod:`qutip_mmi._validation`: every route, sweep and
figure may use it.
"""

from __future__ import annotations

import contextlib
import os
import warnings

__all__ = ["available_memory", "check_memory", "limit_blas_threads",
           "progress_bar_name", "make_progress_bar", "resolve_progress_bar"]


def available_memory() -> int:
    """Bytes of memory available to this process (MemAvailable, else physical)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 62


def check_memory(needed: float, what: str, force: bool = False):
    """Raise ``MemoryError`` before allocating if ``needed`` bytes will not fit.

    With ``force=True`` only warn.
    """
    have = available_memory()
    if needed > have:
        msg = (f"{what} needs about {needed / 2**30:.1f} GiB, but only "
               f"{have / 2**30:.1f} GiB is available")
        if force:
            warnings.warn(msg + " (continuing because force_memory=True)",
                          ResourceWarning, stacklevel=3)
        else:
            raise MemoryError(msg + "; pass options={'force_memory': True} to try anyway")


_CONTROLLER = []  # one threadpoolctl controller per process (finding the libraries costs ~7 ms)


@contextlib.contextmanager
def limit_blas_threads(n=1):
    """Limit BLAS threads inside a heavy sparse solve, restoring them afterwards.

    Sparse LU and Krylov solvers call small dense kernels; with more BLAS threads
    than free cores they were 30-100x slower on a loaded 2-core machine.
    """
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        yield
        return
    if not _CONTROLLER:  # as scikit-learn does: the loaded BLAS libraries, found once
        _CONTROLLER.append(ThreadpoolController())
    with _CONTROLLER[0].limit(limits=n, user_api="blas"):
        yield


def progress_bar_name(progress_bar):
    """Resolve QuTiP's ``progress_bar`` option: None/False/"" (none), True (tqdm
    if installed, else text), or a key of :data:`qutip.ui.progressbar.progress_bars`."""
    from qutip.ui.progressbar import progress_bars
    if progress_bar is None or progress_bar is False or progress_bar == "":
        return None
    if progress_bar is True or progress_bar in ("tqdm", "Tqdm"):
        try:
            import tqdm  # noqa: F401
            return "tqdm"
        except ImportError:
            return "text"
    if progress_bar not in progress_bars:
        raise ValueError(f"unknown progress_bar {progress_bar!r}; choose None, True or "
                         f"one of {sorted(k for k in progress_bars if isinstance(k, str))}")
    return progress_bar


def resolve_progress_bar(progress_bar, options):
    """The progress bar of an entry point that takes it both as a keyword and as
    ``options["progress_bar"]`` (QuTiP solvers use the option): whichever is
    given; both given with different values is a ``ValueError``."""
    in_options = options.get("progress_bar") if options else None
    if progress_bar is not None and in_options is not None and progress_bar != in_options:
        raise ValueError("progress_bar given both as a keyword and in options, "
                         "with different values")
    return progress_bar if progress_bar is not None else in_options


def make_progress_bar(progress_bar, total, **kwargs):
    """A QuTiP progress bar with ``total`` steps, or a silent stand-in."""
    name = progress_bar_name(progress_bar)
    if name is None:
        return _Silent()
    from qutip.ui.progressbar import progress_bars
    return progress_bars[name](total, **kwargs)


class _Silent:
    def update(self):
        pass

    def finished(self):
        pass
