"""What trusted processes compute once for every sandbox: compiled tree kernels, estimator lists.

Two fixed costs would otherwise be paid by every sandbox, on every model:

- compiling the numba kernels of :mod:`explainers.tree_kernels` (about 4 CPU
  seconds; loading them from numba's on-disk cache takes about 0.25 s);
- :func:`sklearn.utils.all_estimators`, which imports every scikit-learn
  module (about 1 CPU second) to list the estimator classes that
  :mod:`explainers.pickle_allowlist` allows and that skops trusts.

Only trusted processes (a command's or the server's own, never a sandbox)
write the cache folder, ``$XDG_CACHE_HOME/whybox`` (``WHYBOX_CACHE_DIR``;
numba's part in ``numba/`` or ``NUMBA_CACHE_DIR``): :func:`warm` fills it
from whybox's code, a made-up tree and the installed scikit-learn, with no
uploaded data. A sandbox sees the folder read-only (:mod:`explainers.sandbox`
binds it) and compiles anything missing into a private copy
(:func:`ensure_cache_dir`), so nothing a sandbox writes is read by any other
process. Without a cache everything still works, at the old cost.

``python -m explainers.trusted_cache`` warms it; :func:`warm_in_background`
starts that when it is cold.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

CACHE_ENV = "WHYBOX_CACHE_DIR"
NUMBA_ENV = "NUMBA_CACHE_DIR"
_KERNELS_FILE = Path(__file__).with_name("tree_kernels.py")
EstimatorName = tuple[str, str, str]
"""``(module, qualname, name)`` of one estimator class."""


def cache_folder() -> Path:
    """The trusted cache: ``WHYBOX_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/whybox``."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "whybox"


def numba_folder() -> Path:
    """numba's part of it: ``NUMBA_CACHE_DIR`` if set, else ``numba/`` in :func:`cache_folder`."""
    configured = os.environ.get(NUMBA_ENV)
    return Path(configured) if configured else cache_folder() / "numba"


# ------------------------------------------------------------------ numba's kernels


def ensure_cache_dir() -> Path:
    """Point numba's on-disk cache at a writable folder, before numba is imported.

    :func:`numba_folder` when it is writable. numba refuses a cache folder it
    cannot write, so where that folder is read-only (a sandbox's view of the
    trusted cache), its files (about 400 kB) are copied to a private
    temporary folder and used from there: the kernels load in milliseconds
    instead of compiling for seconds.
    """
    preferred = numba_folder()
    if _writable(preferred):
        os.environ[NUMBA_ENV] = str(preferred)
        return preferred
    scratch = Path(tempfile.gettempdir()) / f"whybox-numba-{os.getuid()}"
    if preferred.is_dir() and not scratch.exists():
        try:
            shutil.copytree(preferred, scratch)
        except OSError:
            pass
    scratch.mkdir(parents=True, exist_ok=True)
    os.environ[NUMBA_ENV] = str(scratch)
    return scratch


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


@functools.cache
def _kernels_marker() -> Path:
    """The file :func:`warm` leaves once the kernels of this source, numba and Python are cached.

    numba itself recompiles when the kernels' file changes (its modification
    time and size) or numba's version does; the marker's name holds the same.
    """
    source = _KERNELS_FILE.stat()
    key = "\0".join(
        (str(_KERNELS_FILE), str(source.st_mtime_ns), str(source.st_size),
         metadata.version("numba"), sys.version)
    )  # fmt: skip
    return numba_folder() / f"warm-{hashlib.sha1(key.encode()).hexdigest()[:16]}"


def _warm_kernels() -> None:
    """Compile (or load) every kernel, then leave the marker."""
    from explainers import tree_engine

    if ensure_cache_dir() != numba_folder():
        return  # the trusted folder is not writable here: nothing to keep
    tree_engine.warm_kernels()
    _kernels_marker().touch()


# ------------------------------------------------------------------ scikit-learn's estimators


def _estimators_file() -> Path:
    return cache_folder() / f"sklearn-{metadata.version('scikit-learn')}-estimators.json"


def live_sklearn_estimators() -> tuple[EstimatorName, ...]:
    """Every class :func:`sklearn.utils.all_estimators` lists (it imports all of scikit-learn)."""
    from sklearn.utils import all_estimators

    return tuple((c.__module__, c.__qualname__, c.__name__) for _, c in all_estimators())


@functools.cache
def sklearn_estimators() -> tuple[EstimatorName, ...]:
    """:func:`live_sklearn_estimators` of the installed version, from the cache when it is there."""
    try:
        listed = json.loads(_estimators_file().read_text())
        names = tuple((str(m), str(q), str(n)) for m, q, n in listed)
    except (OSError, ValueError, TypeError, metadata.PackageNotFoundError):
        return live_sklearn_estimators()
    return names if names else live_sklearn_estimators()


def _write_estimators() -> None:
    path = _estimators_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(f".{os.getpid()}.tmp")
    scratch.write_text(json.dumps(live_sklearn_estimators()))
    scratch.replace(path)  # readers see the old file or the whole new one


# ------------------------------------------------------------------ warming


def is_warm() -> bool:
    """Whether the trusted cache holds this version's kernels and estimator list (file lookups)."""
    try:
        return _kernels_marker().is_file() and _estimators_file().is_file()
    except (OSError, metadata.PackageNotFoundError):
        return False


def warm() -> None:
    """Fill the trusted cache (seconds when cold, well under one when warm)."""
    _write_estimators()
    _warm_kernels()


_WARMING: list[subprocess.Popen[bytes]] = []


def warm_in_background() -> None:
    """Start ``python -m explainers.trusted_cache`` when the cache is cold (once per process).

    It runs on its own: a command may exit before it ends, within seconds.
    """
    if is_warm() or any(p.poll() is None for p in _WARMING):
        return
    path = [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]
    process = subprocess.Popen(
        [sys.executable, "-P", "-m", "explainers.trusted_cache"],  # -P: not the cwd's code
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, path))),
    )
    _WARMING[:] = [process]


if __name__ == "__main__":
    warm()
