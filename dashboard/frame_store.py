"""Datasets read once per server, in memory that has a ceiling.

Streamlit's ``cache_data`` counts entries, not bytes (16 datasets of up to
the memory budget each could hold 32 GB), and unpickles a whole frame on every
rerun. This store keeps the frames themselves, least recently used first,
until their total passes :func:`max_bytes`; each caller gets a shallow copy,
which pandas' copy-on-write makes private (a page that edits it changes
nothing here).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable

import pandas as pd

TOTAL_ENV = "WHYBOX_DATASET_CACHE_MB"
DEFAULT_TOTAL_MB = 4_096


def max_bytes() -> int:
    """Most bytes the kept datasets take together (operator setting ``WHYBOX_DATASET_CACHE_MB``)."""
    try:
        return max(1, int(os.environ.get(TOTAL_ENV, DEFAULT_TOTAL_MB))) * 2**20
    except ValueError:
        return DEFAULT_TOTAL_MB * 2**20


def frame_bytes(frame: pd.DataFrame) -> int:
    """Memory a frame takes, strings included."""
    return int(frame.memory_usage(index=True, deep=True).sum())


class FrameStore:
    """Frames by key, least recently used dropped first once the total passes the ceiling."""

    def __init__(self, ceiling: Callable[[], int] = max_bytes) -> None:
        self._ceiling = ceiling
        self._lock = threading.Lock()
        self._frames: OrderedDict[str, tuple[pd.DataFrame, int]] = OrderedDict()
        self._loading: dict[str, threading.Lock] = {}

    def get(self, key: str, read: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """The frame under ``key``, read (once, even when sessions ask together) if absent."""
        with self._lock:
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:
            with self._lock:
                if key in self._frames:
                    self._frames.move_to_end(key)
                    return self._frames[key][0].copy(deep=False)
            try:
                frame = read()
            except BaseException:
                with self._lock:
                    self._loading.pop(key, None)
                raise
            with self._lock:  # kept before the key's lock goes: later callers find the frame
                self._frames[key] = (frame, frame_bytes(frame))
                self._shrink(keep=key)
                self._loading.pop(key, None)
            return frame.copy(deep=False)

    def total_bytes(self) -> int:
        """Bytes the kept frames take now."""
        with self._lock:
            return sum(size for _, size in self._frames.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._frames)

    def _shrink(self, keep: str) -> None:
        ceiling = self._ceiling()
        total = sum(size for _, size in self._frames.values())
        for key in list(self._frames):
            if total <= ceiling:
                break
            if key != keep:  # the frame just read is always kept: its caller uses it now
                total -= self._frames.pop(key)[1]
