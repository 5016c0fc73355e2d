"""The JSON-lines store of :func:`qutip_mmi.sweep`, safe to share between processes.

Format: a header line (``{"format": "qutip-mmi-sweep/1", "model": ...,
"parameters": {...}, "method": ..., "varied": [...]}``), then one line
``{"key": ..., "row": {...}}`` per finished point, appended whole (flush and
``os.fsync``).

Concurrency: every change and every read that decides something happens under
an exclusive lock on the file ``<store>.lock`` (:class:`filelock.FileLock`, an
``flock`` that the operating system releases when a process dies). The header
is written only into an empty file; before each point a process reads the rows
appended by others since its last read; a row is appended only if its key is
not in the file yet. Several processes running the same sweep on one store
therefore share the finished points and never write a point twice.
"""

from __future__ import annotations

import contextlib
import json
import os
import warnings

from filelock import FileLock, Timeout

__all__ = ["Store", "STORE_FORMAT", "stored_keys"]

STORE_FORMAT = "qutip-mmi-sweep/1"

#: Seconds to wait for the lock of a store (it is held only while a line is read
#: or appended, so a long wait means a stuck process).
LOCK_TIMEOUT = 300.0

SKIP_HINT = ("to keep the good rows, rerun with options={'skip_bad_lines': True} "
             "(command line: --skip-bad-lines), which skips unreadable lines with a "
             "warning and does not rewrite the file")


def _snippet(text, n=60):
    text = text.rstrip("\r\n")
    return repr(text[:n] + ("..." if len(text) > n else ""))


def _parse_row(raw):
    """``(key, row)`` of a store line, or None if it is not a row line."""
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if (not isinstance(obj, dict) or not isinstance(obj.get("key"), str)
            or not isinstance(obj.get("row"), dict)):
        return None
    return obj["key"], obj["row"]


class Store:
    """Append-only JSON-lines store of sweep points (header line, then rows).

    Parameters
    ----------
    path : str or path
        The file (created with its parent folders if missing or empty).
    header : dict
        The header of this sweep (``model``, ``method``, ``parameters``,
        ``varied``); an existing store must agree with it.
    fixed : list of str
        The non-varied parameters, whose values must be the store's.
    fsync : bool
        ``os.fsync`` after every appended line.
    skip_bad_lines : bool
        Skip unreadable lines with a warning instead of raising ``ValueError``.
    """

    def __init__(self, path, header, fixed, fsync=True, skip_bad_lines=False):
        self.path = os.fspath(path)
        if os.path.isdir(self.path):
            raise ValueError(f"sweep store {self.path!r} is a directory; give a file "
                             "name")
        self.fsync = fsync
        self.skip_bad_lines = skip_bad_lines
        self.rows = {}
        self.skipped = []  # line numbers of skipped bad lines
        self._offset = 0   # bytes read so far (always at a line boundary)
        self._lineno = 0   # lines read so far
        self._warned = 0
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        self.lock_path = self.path + ".lock"
        self._lock = FileLock(self.lock_path, timeout=LOCK_TIMEOUT)
        with self._locked():
            if not os.path.exists(self.path) or os.path.getsize(self.path) == 0:
                self._write(header)
            else:
                self._check_header(header, fixed)
                self._refresh()
        self._warn_skipped()

    # -------------------------------------------------------------- locking
    @contextlib.contextmanager
    def _locked(self):
        try:
            self._lock.acquire()
        except Timeout:
            raise TimeoutError(f"could not lock the sweep store {self.path!r} within "
                               f"{LOCK_TIMEOUT:g} s: another process holds "
                               f"{self.lock_path!r}") from None
        try:
            yield
        finally:
            self._lock.release()

    # -------------------------------------------------------------- reading
    def _check_header(self, header, fixed):
        with open(self.path, "rb") as fh:
            first = fh.readline()
        if not first.endswith(b"\n"):
            raise ValueError(f"sweep store {self.path!r} has no complete header "
                             "line (a crash while it was created?); delete it to "
                             "start again")
        try:
            old = json.loads(first)
        except ValueError:
            old = None
        if not isinstance(old, dict) or old.get("format") != STORE_FORMAT:
            fmt = old.get("format") if isinstance(old, dict) else None
            raise ValueError(f"{self.path!r} is not a qutip-mmi sweep store (line 1: "
                             f"{_snippet(first.decode('utf-8', 'replace'))}, format "
                             f"{fmt!r})")
        problems = []
        for what in ("model", "method"):
            if old.get(what) != header[what]:
                problems.append(f"{what} {old.get(what)!r} in the store, "
                                f"{header[what]!r} now")
        old_varied = old.get("varied")
        if old_varied is not None and sorted(old_varied) != sorted(header["varied"]):
            problems.append(f"the store varies {old_varied}, this sweep varies "
                            f"{header['varied']} (use another store for a sweep over "
                            "other parameters)")
        old_params = old.get("parameters", {})
        for name in fixed:
            if old_params.get(name) != header["parameters"][name]:
                problems.append(f"{name} = {old_params.get(name)!r} in the store, "
                                f"{header['parameters'][name]!r} now")
        if problems:
            raise ValueError(f"sweep store {self.path!r} was made for a different "
                             "sweep (refusing to mix): " + "; ".join(problems))
        self.header = old

    def _refresh(self):
        """Read the lines appended since the last read (the lock is held)."""
        with open(self.path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            if size < self._offset:
                raise ValueError(f"sweep store {self.path!r} shrank while in use "
                                 "(replaced or edited by another program?)")
            fh.seek(self._offset)
            data = fh.read(size - self._offset)
        end = data.rfind(b"\n") + 1
        if end < len(data):
            # Text after the last newline: a line cut short by a crashed writer
            # (writers append whole lines under the lock we hold). Drop it.
            os.truncate(self.path, self._offset + end)
        for raw in data[:end].split(b"\n")[:-1]:
            self._lineno += 1
            if self._lineno == 1:
                continue  # the header (checked by _check_header)
            if not raw.strip():
                continue
            parsed = _parse_row(raw)
            if parsed is None:
                if not self.skip_bad_lines:
                    raise ValueError(
                        f"sweep store {self.path}:{self._lineno}: unreadable line "
                        f"{_snippet(raw.decode('utf-8', 'replace'))}; {SKIP_HINT}")
                self.skipped.append(self._lineno)
                continue
            key, row = parsed
            self.rows.setdefault(key, row)
        self._offset += end

    def _warn_skipped(self):
        if len(self.skipped) > self._warned:
            new = self.skipped[self._warned:]
            self._warned = len(self.skipped)
            warnings.warn(f"sweep store {self.path}: skipped {len(new)} unreadable "
                          f"line(s) {new} (skip_bad_lines=True; the file is not "
                          "rewritten)", UserWarning, stacklevel=3)

    def refresh(self):
        """Read, under the lock, the rows other processes appended meanwhile."""
        with self._locked():
            self._refresh()
        self._warn_skipped()

    # -------------------------------------------------------------- writing
    def _write(self, obj):
        line = (json.dumps(obj) + "\n").encode()
        with open(self.path, "ab") as fh:
            fh.write(line)
            fh.flush()
            if self.fsync:
                os.fsync(fh.fileno())
        self._offset += len(line)
        self._lineno += 1

    def add(self, key, row) -> dict:
        """Append a finished point unless another process stored it first.

        Returns the stored row (``row``, or the other process's row).
        """
        with self._locked():
            self._refresh()
            if key not in self.rows:
                self._write({"key": key, "row": row})
                self.rows[key] = row
            stored = self.rows[key]
        self._warn_skipped()
        return stored


#: path -> (bytes read, keys seen): the worker processes' view of a store.
_SEEN = {}


def stored_keys(path, cache=True) -> set:
    """Keys of the points in the store ``path`` (read without the lock).

    Used by worker processes of parallel maps to skip points that another
    process finished. Only complete lines count; unreadable lines and a missing
    file (e.g. an MPI worker on another machine) are ignored. With ``cache``
    only the lines appended since the last call are read.
    """
    offset, keys = _SEEN.get(path, (0, set())) if cache else (0, set())
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            if size < offset:
                offset, keys = 0, set()
            fh.seek(offset)
            data = fh.read(size - offset)
    except OSError:
        return keys
    end = data.rfind(b"\n") + 1
    for raw in data[:end].split(b"\n")[:-1]:
        parsed = _parse_row(raw)
        if parsed is not None:
            keys.add(parsed[0])
    if cache:
        _SEEN[path] = (offset + end, keys)
    return keys
