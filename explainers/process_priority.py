"""The CPU priority of whybox's worker processes."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

WORKER_NICENESS = 19


def lower_priority() -> None:
    """Run this process at the lowest CPU priority, where the system allows it.

    Pool workers yield the CPU to the server and to browsers on the same machine,
    so pages stay responsive while a heavy explanation uses every idle core.
    """
    try:
        os.nice(WORKER_NICENESS - os.nice(0))
    except OSError:  # not permitted on this system: run at normal priority
        pass


_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Have the kernel kill this process when its parent exits (Linux; elsewhere nothing)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
