"""The CPU priority of whybox's worker processes."""

from __future__ import annotations

import os

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
