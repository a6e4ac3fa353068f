"""Frames over pipes between the server and a sandbox, with deadlines and size caps.

Both sides speak :mod:`explainers.wire`. A request is a dict with an ``op``
(``load``, ``call``); a reply is ``{"ok": True, "v": value}`` or
``{"ok": False, "e": error}`` where ``error`` is a whybox error, or a short
text for anything else. The server reads replies with a deadline and caps, so
a sandbox that hangs, floods or sends garbage is simply stopped.
"""

from __future__ import annotations

import os
import select
import time
from dataclasses import dataclass
from typing import Any

from explainers import wire

MAX_REPLY_BYTES = 1024 * 2**20
"""Largest reply the server reads from a sandbox (JSON and buffers together)."""


class ChannelClosed(Exception):
    """The other side closed its end (it exited or was killed)."""


class ChannelTimeout(Exception):
    """No complete frame arrived before the deadline."""


@dataclass(frozen=True, slots=True)
class SandboxInfo:
    """What a sandbox process reports once it is ready.

    Parameters
    ----------
    pid : int
        Its process id inside its own namespace.
    seccomp : bool
        Whether its system-call filter (no new programs) is loaded.
    memory_mb : int
        Its address-space limit.
    file_mb : int
        The largest file it may write.
    jobs : int
        Worker processes it forks for long jobs (1: none).
    """

    pid: int
    seccomp: bool
    memory_mb: int
    file_mb: int
    jobs: int


def write_frame(fd: int, value: Any, *, deadline: float | None = None) -> None:
    """Encode ``value`` and write the whole frame to ``fd``.

    Raises
    ------
    ChannelClosed, ChannelTimeout
    """
    for piece in wire.encode(value):
        view = memoryview(piece).cast("B")
        while view.nbytes:
            _wait(fd, write=True, deadline=deadline)
            try:
                written = os.write(fd, view)
            except BlockingIOError:
                continue
            except (BrokenPipeError, ConnectionResetError) as exc:
                raise ChannelClosed() from exc
            view = view[written:]


def read_frame(
    fd: int,
    *,
    deadline: float | None = None,
    max_bytes: int = MAX_REPLY_BYTES,
    bundle: wire.BundleFactory | None = None,
    max_items: int | None = None,
) -> Any:
    """Read one frame from ``fd`` and decode it (never unpickles anything).

    ``max_items`` caps the JSON values it may hold (:func:`explainers.wire.decode`).

    Raises
    ------
    ChannelClosed, ChannelTimeout
    wire.WireError
        A malformed frame or one over ``max_bytes``.
    """
    header = _read_exactly(fd, wire.HEADER.size, deadline)
    n_json, n_buffers = wire.read_header(
        bytes(header), max_json=min(max_bytes, wire.MAX_JSON_BYTES), max_buffers=max_bytes
    )
    if n_json + n_buffers > max_bytes:
        raise wire.WireError("frame over the size limit")
    text = _read_exactly(fd, n_json, deadline)
    buffers = _read_exactly(fd, n_buffers, deadline)
    return wire.decode(text, buffers, bundle=bundle, max_items=max_items)


def _read_exactly(fd: int, n: int, deadline: float | None) -> bytearray:
    out = bytearray(n)
    view = memoryview(out)
    got = 0
    while got < n:
        _wait(fd, write=False, deadline=deadline)
        try:
            chunk = os.readv(fd, [view[got:]])
        except BlockingIOError:
            continue
        except ConnectionResetError as exc:
            raise ChannelClosed() from exc
        if chunk == 0:
            raise ChannelClosed()
        got += chunk
    return out


def _wait(fd: int, *, write: bool, deadline: float | None) -> None:
    if deadline is None:
        return
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ChannelTimeout()
    readers, writers = ([], [fd]) if write else ([fd], [])
    ready = select.select(readers, writers, [], remaining)
    if not any(ready):
        raise ChannelTimeout()
