"""Frees what a closed browser session leaves behind: its models' sandboxes and cached handles.

An uploaded model belongs to the session that uploaded it (its scope, see
``actions.uploaded``), so nobody else can use its sandbox or its cache entry
once that session is gone. A session Streamlit has not counted as active for
:func:`grace_s` seconds (the tab was closed; a reconnect within that time
keeps everything) has its sandboxes stopped (about 0.5 GB each) and its
cached model handles dropped (the uploaded bytes they hold). The bundled
demos have no scope and are never reaped here.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from explainers import sandbox

GRACE_ENV = "WHYBOX_SESSION_GRACE_S"
DEFAULT_GRACE_S = 120.0
log = logging.getLogger("whybox.sessions")


def grace_s() -> float:
    """Seconds a session may be gone before its models are freed (``WHYBOX_SESSION_GRACE_S``)."""
    try:
        return max(0.0, float(os.environ.get(GRACE_ENV, DEFAULT_GRACE_S)))
    except ValueError:
        return DEFAULT_GRACE_S


def streamlit_session_active(scope: str) -> bool:
    """Whether the Streamlit server counts session ``scope`` as connected (True without one)."""
    from streamlit.runtime import Runtime

    return not Runtime.exists() or Runtime.instance().is_active_session(scope)


class SessionReaper:
    """Watches the scopes that own something and frees a scope once it has been gone long enough.

    Parameters
    ----------
    is_active : callable
        Whether a scope's session is still connected.
    stop_scope, live_scopes : callable
        Stop a scope's sandboxes, and list the scopes with a live one
        (:func:`explainers.sandbox.stop_scope`, :func:`~explainers.sandbox.live_scopes`).
    clock : callable
        Seconds, monotonic.
    """

    def __init__(
        self,
        is_active: Callable[[str], bool] = streamlit_session_active,
        stop_scope: Callable[[str], int] = sandbox.stop_scope,
        live_scopes: Callable[[], set[str]] = sandbox.live_scopes,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._is_active, self._clock = is_active, clock
        self._stop_scope, self._live_scopes = stop_scope, live_scopes
        self._lock = threading.Lock()
        self._forget: dict[str, list[Callable[[], None]]] = {}
        self._gone_since: dict[str, float] = {}
        self._thread: threading.Thread | None = None

    def watch(self, scope: str, forget: Callable[[], None]) -> None:
        """Call ``forget`` (drop a cache entry) when ``scope``'s session is freed."""
        if not scope:
            return
        with self._lock:
            self._forget.setdefault(scope, []).append(forget)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, daemon=True, name="whybox-session-reaper"
                )
                self._thread.start()

    def sweep(self) -> list[str]:
        """Free every scope inactive for at least :func:`grace_s`; the scopes freed."""
        now, grace = self._clock(), grace_s()
        with self._lock:
            scopes = set(self._forget) | (self._live_scopes() - {""})
        freed = []
        for scope in sorted(scopes):
            if self._is_active(scope):
                self._gone_since.pop(scope, None)
                continue
            since = self._gone_since.setdefault(scope, now)
            if now - since >= grace:
                self._free(scope)
                freed.append(scope)
        return freed

    def _free(self, scope: str) -> None:
        with self._lock:
            forget = self._forget.pop(scope, [])
            self._gone_since.pop(scope, None)
        for drop in forget:
            drop()
        stopped = self._stop_scope(scope)
        log.info("session %s… ended: %d sandbox(es) stopped", scope[:8], stopped)

    def _run(self) -> None:
        while True:
            time.sleep(max(1.0, min(30.0, grace_s() / 4)))
            try:
                self.sweep()
            except Exception:  # the reaper must outlive any one failure
                log.exception("freeing ended sessions failed")


REAPER = SessionReaper()
