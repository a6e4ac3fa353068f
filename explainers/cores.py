"""How many cores this process may use (a leaf module: starting a sandbox needs only this)."""

from __future__ import annotations

import os


def default_jobs() -> int:
    """Cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
