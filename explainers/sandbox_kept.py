"""Large arguments a sandbox keeps, so that they cross the pipe once.

The dashboard sends the same frames to a model again and again: the whole
table as LIME's reference for every row, the SHAP plan (with its background
rows) for every breakdown. A frame argument (or a result object holding one)
whose encoding is at least :data:`KEEP_MIN_BYTES` is sent once, named by the
BLAKE2 hash of its encoding, and later requests send only that name. Both
sides keep the same least-recently-used set (:data:`MAX_ENTRIES` values,
:data:`MAX_BYTES` of encodings), updated in the same order, so the server
knows what the sandbox holds; if they ever disagree the sandbox answers
``{"ok": False, "missing": True}`` and the server sends everything again.

A function in the sandbox receives a shallow copy of a kept frame (pandas'
copy-on-write makes that a private one), so a model that edits its input in
place cannot change what the next request reads.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import OrderedDict
from typing import Any

import pandas as pd

from explainers import wire

MIN_CELLS = 1_000
MAX_CELLS = 2_000_000
MAX_ENTRIES = 8
MAX_BYTES = 256 * 2**20


class KeptMissing(Exception):
    """The sandbox does not hold a value the request named (the server resends it)."""


class _Recent:
    """Least-recently-used names and sizes; both sides run the same one."""

    def __init__(self) -> None:
        self.sizes: OrderedDict[str, int] = OrderedDict()

    def use(self, used: list[tuple[str, int]]) -> list[str]:
        """Mark ``used`` (name, size) as most recent; return the names now dropped."""
        for key, size in used:
            self.sizes[key] = size
            self.sizes.move_to_end(key)
        keep = {key for key, _ in used}
        dropped = []
        for key in list(self.sizes):
            if len(self.sizes) <= MAX_ENTRIES and sum(self.sizes.values()) <= MAX_BYTES:
                break
            if key not in keep:
                del self.sizes[key]
                dropped.append(key)
        return dropped


def _cells(value: Any) -> int:
    """Cells of a frame, or of a result object's frames (0 for anything else)."""
    if isinstance(value, pd.DataFrame):
        return int(value.size)
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return 0
    frames = (getattr(value, f.name) for f in dataclasses.fields(value))
    return sum(int(frame.size) for frame in frames if isinstance(frame, pd.DataFrame))


class KeptSender:
    """The server's side: builds ``call`` requests, naming what the sandbox holds."""

    def __init__(self) -> None:
        self._recent = _Recent()

    def message(
        self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], *, progress: bool
    ) -> dict[str, Any]:
        """The ``call`` request for ``name(*args, **kwargs)``."""
        positional, keywords = list(args), dict(kwargs)
        kept: list[list[Any]] = []
        put: dict[str, bytes] = {}
        used: list[tuple[str, int]] = []
        places: list[tuple[int | str, Any]] = [*enumerate(positional), *keywords.items()]
        for where, value in places:
            if not MIN_CELLS <= _cells(value) <= MAX_CELLS:
                continue
            frame = wire.encode_bytes(value)
            key = hashlib.blake2b(frame, digest_size=16).hexdigest()
            if key not in self._recent.sizes and key not in put:
                put[key] = frame
            used.append((key, len(frame)))
            kept.append([where, key])
            if isinstance(where, int):
                positional[where] = None
            else:
                keywords[where] = None
        self._recent.use(used)
        return {
            "op": "call", "fn": name, "a": positional, "k": keywords, "progress": progress,
            "kept": kept, "put": put,
        }  # fmt: skip

    def forget(self) -> None:
        """Assume the sandbox holds nothing (after it said a value was missing)."""
        self._recent = _Recent()


class KeptStore:
    """The sandbox's side: holds the decoded values and fills them into requests."""

    def __init__(self) -> None:
        self._recent = _Recent()
        self._values: dict[str, Any] = {}

    def arguments(
        self, request: dict[str, Any], bundle: wire.BundleFactory
    ) -> tuple[list[Any], dict[str, Any]]:
        """The request's positional and keyword arguments, kept values filled in.

        Raises
        ------
        KeptMissing
            If the request names a value this sandbox does not hold.
        """
        args, kwargs = list(request["a"]), dict(request["k"])
        put = request.get("put") or {}
        used: list[tuple[str, int]] = []
        for where, key in request.get("kept") or []:
            if key not in self._values and key in put:
                self._values[key] = wire.decode_bytes(bytes(put[key]), bundle=bundle)
            if key not in self._values:
                self._values.clear()  # start again from what the server resends
                self._recent = _Recent()
                raise KeptMissing(key)
            used.append((key, len(put[key]) if key in put else self._recent.sizes[key]))
            value = _fresh(self._values[key])
            if isinstance(where, int) and not isinstance(where, bool):
                args[where] = value
            else:
                kwargs[str(where)] = value
        for key in self._recent.use(used):
            self._values.pop(key, None)
        return args, kwargs


def _fresh(value: Any) -> Any:
    """A shallow copy of a frame, or of a result object's frames."""
    if isinstance(value, pd.DataFrame):
        return value.copy(deep=False)
    changes = {
        f.name: getattr(value, f.name).copy(deep=False)
        for f in dataclasses.fields(value)
        if f.init and isinstance(getattr(value, f.name), pd.DataFrame)
    }
    return dataclasses.replace(value, **changes)
