"""One memory and process-count cgroup per sandbox, where the system lets whybox make one.

``RLIMIT_AS`` limits each process of a sandbox on its own, and a private
``/tmp`` is memory no process's address space counts. A cgroup (version 1
``memory`` and ``pids`` controllers, under this process's own cgroups) puts a
ceiling on all of a sandbox together: its processes, its workers, whatever it
forks and the files it writes to its ``/tmp`` and ``/dev/shm``. The kernel
kills a process of the sandbox that would go over; nothing outside it is
touched. Where the cgroup file system is missing or read-only (cgroup v2
only, an unprivileged server, macOS), :func:`create` returns None and the
per-process limits are all there is (the protections line says which).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
MAX_TASKS = 512
"""Processes and threads of one sandbox together (``pids.max``)."""
PREFIX = "whybox-sandbox-"
SWEEP_AGE_S = 60.0


def _own(controller: str) -> Path | None:
    """This process's cgroup folder of a version-1 ``controller``, if it is mounted."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, names, path = line.split(":", 2)
        if controller in names.split(","):
            folder = ROOT / controller / path.lstrip("/")
            return folder if folder.is_dir() else None
    return None


@dataclass(frozen=True, slots=True)
class SandboxCgroup:
    """The cgroup folders of one sandbox and its memory ceiling."""

    folders: tuple[Path, ...]
    memory_mb: int

    @property
    def procs(self) -> Path:
        """The ``cgroup.procs`` file a process writes its pid to, to join (memory first)."""
        return self.folders[0] / "cgroup.procs"

    def join_command(self, command: list[str]) -> list[str]:
        """``command`` run by a shell that first moves itself into every folder."""
        joins = " && ".join(f'echo $$ > "{folder}/cgroup.procs"' for folder in self.folders)
        return ["/bin/sh", "-c", f'{joins} && exec "$@"', "sh", *command]

    def hit_memory_limit(self) -> bool:
        """Whether the kernel refused it memory or killed one of its processes for it."""
        folder = self.folders[0]
        try:
            control = (folder / "memory.oom_control").read_text().split()
            killed = int(control[control.index("oom_kill") + 1]) if "oom_kill" in control else 0
            return killed > 0 or int((folder / "memory.failcnt").read_text()) > 0
        except (OSError, ValueError, IndexError):
            return False

    def remove(self) -> None:
        """Kill whatever is still in it, then remove the folders."""
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            try:
                pids = [int(p) for p in self.procs.read_text().split()]
            except (OSError, ValueError):
                break
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)
        for folder in self.folders:
            with contextlib.suppress(OSError):
                folder.rmdir()


def available() -> bool:
    """Whether :func:`create` can make a memory cgroup here."""
    memory = _own("memory")
    return memory is not None and os.access(memory, os.W_OK)


def sweep(parent: Path) -> int:
    """Remove sandbox cgroups left empty under ``parent`` (their owner was killed before it
    could); how many. The kernel removes only a cgroup with no process in it, and one made
    in the last :data:`SWEEP_AGE_S` seconds is left alone: its process may not have joined."""
    removed = 0
    for folder in parent.glob(f"{PREFIX}*"):
        with contextlib.suppress(OSError):
            if time.time() - folder.stat().st_mtime > SWEEP_AGE_S:
                folder.rmdir()
                removed += 1
    return removed


def create(memory_mb: int) -> SandboxCgroup | None:
    """A new cgroup limited to ``memory_mb`` and :data:`MAX_TASKS`, or None where none can be."""
    memory, pids = _own("memory"), _own("pids")
    if memory is None or not available():
        return None
    for parent in (memory, pids):
        if parent is not None:
            sweep(parent)
    name = f"{PREFIX}{uuid.uuid4().hex[:12]}"
    made: list[Path] = []
    try:
        folder = memory / name
        folder.mkdir()
        made.append(folder)
        (folder / "memory.limit_in_bytes").write_text(str(memory_mb * 2**20))
        with contextlib.suppress(OSError):  # swap accounting is often off
            (folder / "memory.memsw.limit_in_bytes").write_text(str(memory_mb * 2**20))
        if pids is not None and os.access(pids, os.W_OK):
            folder = pids / name
            folder.mkdir()
            made.append(folder)
            (folder / "pids.max").write_text(str(MAX_TASKS))
    except OSError:
        SandboxCgroup(tuple(made), memory_mb).remove()
        return None
    return SandboxCgroup(tuple(made), memory_mb)
