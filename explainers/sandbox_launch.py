"""How a sandbox process is started: its mode, command, environment and memory ceiling.

A leaf of the sandbox modules (no pandas, no scikit-learn): a command starts
its sandbox first thing, and the spare broker (:mod:`explainers.spare_broker`)
starts sandboxes without importing the rest of whybox. What a sandbox may see
and hold is described in :mod:`explainers.sandbox`.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Literal

from explainers import sandbox_cgroup, spare_broker
from explainers.cores import default_jobs
from explainers.cpu_budget import CPU_ENV
from explainers.spare_broker import HandedProcess
from explainers.trusted_cache import (
    CACHE_ENV,
    NUMBA_ENV,
    cache_folder,
    numba_folder,
    warm_in_background,
)

MODE_ENV = "WHYBOX_SANDBOX"
TOTAL_ENV = "WHYBOX_SANDBOX_TOTAL_MB"
MEMORY_ENV = "WHYBOX_SANDBOX_MEMORY_MB"
FILE_ENV = "WHYBOX_SANDBOX_FILE_MB"
JOBS_ENV = "WHYBOX_SANDBOX_JOBS"
DEFAULT_MEMORY_MB = 8192
DEFAULT_FILE_MB = 1024
Mode = Literal["bwrap", "process"]
NOBODY = 65534
TMP_SIZE_MB = 2048
SHM_SIZE_MB = 64
TRUSTED_CACHE = "/whybox-cache"
KERNEL_CACHE = "/whybox-numba"
"""Where a sandbox sees the trusted cache and its numba part (read-only: see
:mod:`explainers.trusted_cache`)."""

Launched = tuple[
    subprocess.Popen[bytes] | HandedProcess,
    Mode,
    sandbox_cgroup.SandboxCgroup | HandedProcess | None,
]
"""A sandbox process, its mode, and what holds it to its memory ceiling (its cgroup, or
the broker that started it)."""

log = logging.getLogger("whybox.sandbox")
_EARLY: dict[int, Future[Launched]] = {}
_EARLY_LOCK = threading.Lock()


def prestart(jobs: int | None = None) -> None:
    """Launch this process's first sandbox now, before the caller imports the rest of whybox.

    On a thread of its own (bubblewrap's probe can take seconds on a loaded
    machine); the next :func:`launch` for as many ``jobs`` hands it out.
    """
    jobs = default_jobs() if jobs is None else max(1, jobs)
    future: Future[Launched] = Future()
    with _EARLY_LOCK:
        if jobs in _EARLY:
            return
        _EARLY[jobs] = future

    def run() -> None:
        try:
            future.set_result(_launch_now(jobs))
        except BaseException as exc:  # launch() starts one again, and reports what fails
            future.set_exception(exc)

    threading.Thread(target=run, name="whybox-first-sandbox", daemon=True).start()


def launch(jobs: int | None = None) -> Launched:
    """A sandbox process for ``jobs`` workers: the one :func:`prestart` launched, a broker's
    warm spare (:mod:`explainers.spare_broker`), or one started now."""
    jobs = default_jobs() if jobs is None else max(1, jobs)
    with _EARLY_LOCK:
        early = _EARLY.pop(jobs, None)
    if early is not None:
        try:
            return early.result()
        except Exception:
            log.warning("the sandbox started early failed; starting another", exc_info=True)
    return _launch_now(jobs)


def _launch_now(jobs: int) -> Launched:
    warm_in_background()  # the sandbox loads the engine's kernels from the trusted cache
    handed = spare_broker.take(launch_fingerprint(jobs), jobs)
    if handed is not None and handed.mode != mode():
        handed.give_back()  # a broker whose bwrap probe failed: not this process's containment
        handed = None
    if handed is None:
        return spawn(jobs)
    log.info("sandbox %s: a spare handed over by the broker", handed.pid)
    return handed, "bwrap" if handed.mode == "bwrap" else "process", handed


def wanted_mode() -> str:
    return os.environ.get(MODE_ENV, "auto")


_PROBED: dict[str, bool] = {}
_PROBE_LOCK = threading.Lock()


def bwrap_available() -> bool:
    """Whether bubblewrap is installed and can start a contained Python here (checked once)."""
    with _PROBE_LOCK:
        if "bwrap" not in _PROBED:
            _PROBED["bwrap"] = _probe_bwrap()
        return _PROBED["bwrap"]


def _probe_bwrap() -> bool:
    if shutil.which("bwrap") is None or not sys.platform.startswith("linux"):
        return False
    command = [*bwrap_args(), sys.executable, "-S", "-c", "import os; os.listdir('/tmp')"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    if done.returncode != 0:
        reason = done.stderr[-500:].decode(errors="replace")
        log.warning("bwrap cannot start a sandbox here: %s", reason)
    return done.returncode == 0


def mode() -> Mode:
    """``bwrap`` where bubblewrap works (unless ``WHYBOX_SANDBOX=process``), else ``process``."""
    if wanted_mode() == "process":
        return "process"
    return "bwrap" if bwrap_available() else "process"


def _read_only_paths() -> list[str]:
    """What a sandbox may see: the Python installation, shared libraries, whybox's code."""
    import explainers

    paths = {sys.base_prefix, sys.prefix, sys.exec_prefix, str(Path(explainers.__file__).parent)}
    paths |= {str(Path(sys.executable).resolve().parent.parent)}
    for lib in ("/usr/lib", "/usr/lib64", "/usr/lib32"):
        if Path(lib).is_dir():
            paths.add(lib)
    # keep only the outermost of nested paths
    ordered = sorted(paths, key=lambda path: (len(path), path))
    kept: list[str] = []
    for path in ordered:
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


def bwrap_args() -> list[str]:
    args = [
        "bwrap",
        "--unshare-all",
        "--unshare-user",
        "--uid", str(NOBODY),
        "--gid", str(NOBODY),
        "--die-with-parent",
        "--new-session",
        "--cap-drop", "ALL",
        "--size", str(TMP_SIZE_MB * 2**20),
        "--tmpfs", "/tmp",
        "--proc", "/proc",
        "--dev", "/dev",
        "--size", str(SHM_SIZE_MB * 2**20),
        "--tmpfs", "/dev/shm",
    ]  # fmt: skip
    for path in _read_only_paths():
        args += ["--ro-bind", path, path]
    args += ["--ro-bind-try", str(cache_folder()), TRUSTED_CACHE]
    args += ["--ro-bind-try", str(numba_folder()), KERNEL_CACHE]
    for link, target in (("/lib", "usr/lib"), ("/lib64", "usr/lib64"), ("/lib32", "usr/lib32")):
        if Path(link).is_symlink():
            args += ["--symlink", target, link]
        elif Path(link).is_dir():
            args += ["--ro-bind", link, link]
    args += ["--chdir", "/tmp"]
    return args


def environment(jobs: int, chosen: Mode) -> dict[str, str]:
    """What a sandbox process's environment holds: nothing of this process's but a few settings."""
    import explainers

    keep = {
        k: v
        for k, v in os.environ.items()
        if k in (MEMORY_ENV, FILE_ENV, CPU_ENV, "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "LANG")
    }
    return {
        **keep,
        "PYTHONPATH": str(Path(explainers.__file__).parent.parent),
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "MPLCONFIGDIR": "/tmp",
        CACHE_ENV: TRUSTED_CACHE if chosen == "bwrap" else str(cache_folder()),
        NUMBA_ENV: KERNEL_CACHE if chosen == "bwrap" else str(numba_folder()),
        JOBS_ENV: str(jobs),
    }


def spawn(jobs: int) -> tuple[subprocess.Popen[bytes], Mode, sandbox_cgroup.SandboxCgroup | None]:
    """Start a sandbox process here: the process, its mode and its memory cgroup."""
    chosen = mode()
    # -P: no cwd (/tmp in process mode, where any user may write) on sys.path
    python = [sys.executable, "-s", "-P", "-m", "explainers.sandbox_worker"]
    command = [*bwrap_args(), *python] if chosen == "bwrap" else python
    cgroup = sandbox_cgroup.create(total_memory_mb(jobs))
    process = subprocess.Popen(
        cgroup.join_command(command) if cgroup else command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(jobs, chosen),
        start_new_session=chosen == "process",
        cwd="/tmp" if chosen == "process" else None,
    )
    return process, chosen, cgroup


def kill(process: subprocess.Popen[bytes] | HandedProcess, chosen: str) -> None:
    """Kill a sandbox process if it still runs: its whole group in process mode when it was
    started here (bubblewrap's namespace takes everything with it; a broker kills a handed
    one)."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if chosen == "process" and isinstance(process, subprocess.Popen):
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()


def end(
    process: subprocess.Popen[bytes] | HandedProcess,
    chosen: str,
    ceiling: sandbox_cgroup.SandboxCgroup | HandedProcess | None,
) -> None:
    """:func:`kill` it, reap it (5 s at most) and remove its memory cgroup."""
    kill(process, chosen)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    if ceiling is not None:
        ceiling.remove()


def launch_fingerprint(jobs: int) -> str:
    """What a sandbox started by :func:`spawn` depends on, hashed: a broker's spare is taken
    only by a process that would have started the same one (same command, environment,
    limits, whybox code and installed packages)."""
    import explainers

    code = sorted(
        (p.name, p.stat().st_size, p.stat().st_mtime_ns)
        for p in Path(explainers.__file__).parent.glob("*.py")
    )
    # an upgraded scikit-learn (say) shows as another dist-info folder: a spare that
    # imported the old one is not taken
    packages = sorted(
        p.name
        for folder in {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
        for p in Path(folder).glob("*.dist-info")
    )
    parts = [
        sys.executable,
        wanted_mode(),
        bwrap_args(),
        sorted(environment(jobs, "bwrap").items()),
        sorted(environment(jobs, "process").items()),
        total_memory_mb(jobs),
        sandbox_cgroup.available(),
        code,
        packages,
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def total_memory_mb(jobs: int) -> int:
    """The memory cgroup's ceiling (``WHYBOX_SANDBOX_TOTAL_MB``; default: one process's
    limit plus 512 MB per worker)."""
    default = int(os.environ.get(MEMORY_ENV, DEFAULT_MEMORY_MB)) + 512 * max(0, jobs)
    return int(os.environ.get(TOTAL_ENV, default))
