"""One sandbox process per loaded model; the server and the CLI hold only a handle.

Everything that touches an uploaded model runs in a process started here:

- on Linux with bubblewrap (``bwrap``): its own network namespace (no
  network), its own PID, IPC and UTS namespaces, user ``nobody`` (65534) with
  no capabilities, a new session, killed with its parent; the file system is
  a read-only view of only the Python installation, the shared libraries
  under ``/usr/lib`` and whybox's ``explainers`` package (no ``/home``,
  ``/etc``, ``/usr/bin``, no other uploads), plus a private empty ``/tmp``;
- in every mode (also without bwrap): limits on address space, file size,
  open files and core dumps, and a seccomp filter where ``pyseccomp`` and
  libseccomp exist (see :mod:`explainers.sandbox_worker`); a per-request
  deadline enforced from this side by killing the process.

The handle is an ordinary :class:`~explainers.model_bundle.ModelBundle` whose
``model`` is a :class:`SandboxedModel`: task, class labels and feature names
are there, and :func:`explainers.model_calls.run_model_task` sends work to the
model's process. Replies are :mod:`explainers.wire` frames, never pickles;
large frames a request carries are sent once per sandbox
(:mod:`explainers.sandbox_kept`).
A crash, a hang or a limit costs only that model: the next call starts a new
sandbox from the same bytes. Sandboxes are kept in a least-recently-used set
(:data:`MAX_LIVE` at most), stopped after :data:`IDLE_STOP_S` idle seconds,
and killed when this process exits; :func:`stop_scope` stops a session's
sandboxes when it ends (``dashboard.session_reaper``). One spare sandbox is kept started, so a
model loads without waiting for a fresh process's imports.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import signal
import subprocess
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from explainers import sandbox_cgroup, spare_broker
from explainers import sandbox_protocol as protocol
from explainers.cores import default_jobs
from explainers.cpu_budget import CPU_ENV, DEFAULT_CPU_S
from explainers.errors import ExplainerError, ModelLoadError
from explainers.model_bundle import ModelBundle
from explainers.sandbox_kept import KeptMissing, KeptSender
from explainers.sandbox_launch import (
    DEFAULT_MEMORY_MB,
    MEMORY_ENV,
    Mode,
    end,
    launch,
    mode,
    total_memory_mb,
)
from explainers.sandbox_protocol import SandboxInfo
from explainers.wire import MAX_REPLY_ITEMS, WireError

TIMEOUT_ENV = "WHYBOX_SANDBOX_TIMEOUT_S"
SPARES_ENV = "WHYBOX_SANDBOX_SPARES"
DEFAULT_TIMEOUT_S = 300.0
START_TIMEOUT_S = 120.0
LOAD_TIMEOUT_S = 120.0
MAX_LIVE = 8
REFILL_DELAY_S = 5.0
"""Seconds after a spare is taken before the next one starts (on the demo, a spare
started at once slowed the first model's plan from 0.5 s to 1.5 s on 2 cores)."""
IDLE_STOP_S = 900.0

CRASHED_LOADING = "This model crashed while loading; nothing else was affected."
CRASHED_WORKING = "This model crashed while working on your request; nothing else was affected."
TOO_SLOW = (
    "This model took longer than {seconds:.0f} s on one request and was stopped; "
    "nothing else was affected."
)
OVER_CPU = (
    "This model used more than {seconds:,} s of CPU time on one request and was stopped; "
    "nothing else was affected."
)
OUT_OF_MEMORY = (
    "This model needed more than its memory allowance ({memory_mb:,} MB); "
    "nothing else was affected."
)
INTERNAL = "The model failed while working on your request; nothing else was affected."
CRASHED_HINT = (
    "The file may be damaged, or made to attack the server. Other sessions and models keep "
    "working; check the model where it was trained, or save it in a safer format (skops)."
)
NOT_CONTAINED = (
    "Uploaded models are NOT contained on this server: bubblewrap (bwrap) is not available, "
    "so a model runs in a separate process with resource limits only."
)
SANDBOX_REQUIRED = "This server only accepts uploads it can contain, and bwrap is not available."
SANDBOX_REQUIRED_HINT = "Ask the operator to install bubblewrap, or use a bundled demo."
REFUSED_NAME = "only module-level functions of whybox's explainers package run in a sandbox"

log = logging.getLogger("whybox.sandbox")


class SandboxCrashed(ExplainerError):
    """The model's sandbox process crashed, hung or hit a limit (and was stopped)."""

    default_hint = CRASHED_HINT


# ------------------------------------------------------------------ configuration


def _timeout_s() -> float:
    return float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT_S))


def _cpu_s() -> int:
    return int(os.environ.get(CPU_ENV, DEFAULT_CPU_S))


@dataclass(frozen=True, slots=True)
class Protections:
    """Which protections an uploaded model runs under, in words.

    Parameters
    ----------
    contained : bool
        True when the model runs in bubblewrap (no network, files, or other uploads).
    items : tuple of str
        One short phrase per protection.
    """

    contained: bool
    items: tuple[str, ...]

    @property
    def sentence(self) -> str:
        """One line: what is on, or that uploads are not contained."""
        head = "Model contained (bubblewrap)" if self.contained else NOT_CONTAINED
        return f"{head}: " + "; ".join(self.items) + "."


def protections(info: SandboxInfo | None = None) -> Protections:
    """The protections of this machine's sandboxes (``info``: a started one's own report)."""
    contained = mode() == "bwrap"
    items = []
    if contained:
        items += [
            "no network",
            "read-only view of the Python environment and whybox's code only",
            "private empty /tmp",
            "runs as user nobody with no capabilities",
        ]
    else:
        items.append("a separate process")
    memory = info.memory_mb if info else int(os.environ.get(MEMORY_ENV, DEFAULT_MEMORY_MB))
    if sandbox_cgroup.available():
        total = total_memory_mb(info.jobs if info else default_jobs())
        items.append(f"memory limit {memory:,} MB per process and {total:,} MB in all (cgroup)")
    else:
        items.append(f"memory limit {memory:,} MB per process")
    items.append(f"stopped after {_timeout_s():.0f} s or {_cpu_s():,} s of CPU on one request")
    if info is not None:
        items.append("cannot start programs (seccomp)" if info.seccomp else "no seccomp filter")
    return Protections(contained, tuple(items))


def require_contained() -> None:
    """Raise unless uploads can be contained (``--require-sandbox``)."""
    if mode() != "bwrap":
        raise ModelLoadError(SANDBOX_REQUIRED, SANDBOX_REQUIRED_HINT)


# ------------------------------------------------------------------ the process


class Sandbox:
    """One started sandbox process and its two pipes; one request at a time.

    Use :func:`start_sandbox`; :meth:`ready` waits for its imports.
    """

    def __init__(
        self,
        process: subprocess.Popen[bytes] | spare_broker.HandedProcess,
        mode: Mode,
        cgroup: sandbox_cgroup.SandboxCgroup | spare_broker.HandedProcess | None = None,
    ) -> None:
        self.process = process
        self.mode = mode
        self.cgroup = cgroup
        self.info: SandboxInfo | None = None
        self.last_used = time.monotonic()
        self.kept = KeptSender()
        self._lock = threading.Lock()
        self._dead = False
        assert process.stdin is not None and process.stdout is not None
        self._requests = process.stdin.fileno()
        self._replies = process.stdout.fileno()
        os.set_blocking(self._requests, False)
        os.set_blocking(self._replies, False)
        threading.Thread(target=self._log_stderr, daemon=True, name="whybox-sandbox-log").start()

    def _log_stderr(self) -> None:
        stream = self.process.stderr
        assert stream is not None
        budget = 64 * 1024  # a flooding model cannot fill the server's log
        for line in stream:
            if budget > 0:
                log.info("sandbox %s: %s", self.process.pid, line[:500].decode(errors="replace"))
                budget -= len(line)

    @property
    def alive(self) -> bool:
        """False once it crashed, was stopped, or its process ended."""
        return not self._dead and self.process.poll() is None

    def ready(self, timeout: float = START_TIMEOUT_S) -> SandboxInfo:
        """Wait for the process to report itself ready.

        Raises
        ------
        SandboxCrashed
            If it exits or stays silent before ``timeout``.
        """
        with self._lock:
            if self.info is None:
                info = self._read(time.monotonic() + timeout, CRASHED_LOADING, timeout)
                if not isinstance(info, SandboxInfo):
                    self.stop()
                    raise SandboxCrashed(CRASHED_LOADING)
                self.info = info
            return self.info

    def request(
        self,
        message: dict[str, Any],
        *,
        timeout: float,
        crashed: str,
        bundle: Any = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Any:
        """Send one request and return the decoded value of its reply.

        A function given ``progress`` reports ``(done, total)`` as it goes:
        each report is passed on to ``progress`` and restarts the deadline.

        Raises
        ------
        ExplainerError
            What the function raised in the sandbox.
        SandboxCrashed
            The process died, hung past ``timeout``, or sent a malformed reply;
            it is stopped.
        """
        self.ready()
        with self._lock:
            if not self.alive:
                raise SandboxCrashed(crashed)
            self.last_used = time.monotonic()
            deadline = time.monotonic() + timeout
            try:
                protocol.write_frame(self._requests, message, deadline=deadline)
            except (protocol.ChannelClosed, protocol.ChannelTimeout) as exc:
                self.stop()
                raise SandboxCrashed(crashed) from exc
            reply = self._read(deadline, crashed, timeout, bundle=bundle)
            while isinstance(reply, dict) and "progress" in reply and "ok" not in reply:
                done_total = reply["progress"]
                if progress is not None and _is_progress(done_total):
                    progress(*done_total)
                deadline = time.monotonic() + timeout
                reply = self._read(deadline, crashed, timeout, bundle=bundle)
            self.last_used = time.monotonic()
        return self._unwrap(reply)

    def _read(self, deadline: float, crashed: str, timeout: float, bundle: Any = None) -> Any:
        try:
            return protocol.read_frame(
                self._replies, deadline=deadline, bundle=bundle, max_items=MAX_REPLY_ITEMS
            )
        except protocol.ChannelTimeout as exc:
            self.stop()
            raise SandboxCrashed(TOO_SLOW.format(seconds=timeout)) from exc
        except protocol.ChannelClosed as exc:
            status = self._status()
            out_of_memory = self.cgroup is not None and self.cgroup.hit_memory_limit()
            self.stop()
            log.warning("sandbox %s ended (exit status %s)", self.process.pid, status)
            if status in (-signal.SIGXCPU, 128 + signal.SIGXCPU):  # bwrap passes 128 + signal
                raise SandboxCrashed(OVER_CPU.format(seconds=_cpu_s())) from exc
            if out_of_memory and self.cgroup is not None:
                memory = self.cgroup.memory_mb
                raise SandboxCrashed(OUT_OF_MEMORY.format(memory_mb=memory)) from exc
            raise SandboxCrashed(crashed) from exc
        except WireError as exc:
            self.stop()
            log.warning("sandbox %s sent a malformed reply: %s", self.process.pid, exc)
            raise SandboxCrashed(crashed) from exc

    def _status(self) -> int | None:
        try:
            return self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return None

    def _unwrap(self, reply: Any) -> Any:
        if not isinstance(reply, dict) or not isinstance(reply.get("ok"), bool):
            self.stop()
            raise SandboxCrashed(CRASHED_WORKING)
        if reply["ok"]:
            return reply.get("v")
        if reply.get("missing") is True:
            raise KeptMissing()
        error = reply.get("e")
        if isinstance(error, ExplainerError):
            raise error
        if reply.get("memory"):
            memory = self.info.memory_mb if self.info else 0
            raise SandboxCrashed(OUT_OF_MEMORY.format(memory_mb=memory))
        text = reply.get("internal")
        log.warning("sandbox %s: %s", self.process.pid, str(text)[:4000])
        raise ExplainerError(INTERNAL, CRASHED_HINT)

    def stop(self) -> None:
        """Kill the process (and, through its namespace or group, everything it started)."""
        self._dead = True
        end(self.process, self.mode, self.cgroup)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass


def _is_progress(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    )


def start_sandbox(jobs: int | None = None) -> Sandbox:
    """Start a sandbox process (it imports the explainer stack, then waits for a model).

    The process is the one this process started early
    (:func:`explainers.sandbox_launch.prestart`), a broker's warm spare
    (:mod:`explainers.spare_broker`), or one started now
    (:func:`explainers.sandbox_launch.launch`).
    """
    return Sandbox(*launch(jobs))


# ------------------------------------------------------------------ the handle


@dataclass(frozen=True, slots=True, eq=False)
class ModelSource:
    """What a sandbox loads the model from: its bytes and how they were uploaded."""

    raw: bytes
    filename: str
    trust_unknown: bool
    max_bytes: int


class SandboxedModel:
    """Stands in ``ModelBundle.model`` for a model that lives in a sandbox.

    It has no ``predict``: model work goes through
    :func:`explainers.model_calls.run_model_task`. Touching any other
    attribute raises, so code that forgets to do so fails loudly in tests
    instead of running a model on the server.
    """

    __slots__ = ("key", "source", "jobs", "scope")

    def __init__(self, key: str, source: ModelSource, jobs: int | None, scope: str = "") -> None:
        self.key = key
        self.source = source
        self.jobs = jobs
        self.scope = scope

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(
            f"{name}: this model lives in its sandbox; call it through run_model_task"
        )

    def __reduce__(self) -> Any:
        raise TypeError("a sandboxed model's handle is not pickled")

    def __repr__(self) -> str:
        return f"SandboxedModel({self.key[:12]})"

    def sandbox(self) -> Sandbox:
        """This model's live sandbox, started (and the model loaded) again if needed."""
        return _REGISTRY.get(self)

    def info(self) -> SandboxInfo | None:
        """The sandbox's own report of its limits and filter."""
        return self.sandbox().info

    def call(
        self, function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """Run ``function(*args, **kwargs)`` in the sandbox (the bundle is among ``args``)."""
        name = function_name(function)
        kwargs = dict(kwargs)
        progress = kwargs.pop("progress", None)
        if progress is not None and not callable(progress):
            kwargs["progress"] = progress
            progress = None
        sandbox = self.sandbox()
        for _ in range(2):
            try:
                return sandbox.request(
                    sandbox.kept.message(name, args, kwargs, progress=bool(progress)),
                    timeout=_timeout_s(),
                    crashed=CRASHED_WORKING,
                    bundle=self.bundle_factory,
                    progress=progress,
                )
            except KeptMissing:  # the sandbox dropped what the server thought it held
                sandbox.kept.forget()
        raise SandboxCrashed(CRASHED_WORKING)

    def bundle_factory(self, meta: dict[str, Any]) -> ModelBundle:
        """A handle bundle for metadata a sandbox sent."""
        return ModelBundle(model=self, **meta)


def function_name(function: Callable[..., Any]) -> str:
    """``module:function`` of a module-level function of the explainers package.

    Raises
    ------
    TypeError
        For anything else (lambdas, methods, other packages' functions).
    """
    module = getattr(function, "__module__", "") or ""
    qualname = getattr(function, "__qualname__", "") or ""
    if not (module == "explainers" or module.startswith("explainers.")):
        raise TypeError(f"{REFUSED_NAME}, not {module}.{qualname}")
    if "." in qualname or "<" in qualname:
        raise TypeError(f"{REFUSED_NAME}, not {module}.{qualname}")
    return f"{module}:{qualname}"


class _Registry:
    """Live sandboxes by model key (least recently used first), and the spare."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: OrderedDict[str, Sandbox] = OrderedDict()
        self._scopes: dict[str, str] = {}  # model key -> the session it belongs to
        self._starting: dict[str, threading.Lock] = {}
        self._spare: Sandbox | None = None
        self._spare_jobs: int | None = None
        self.keep_spare = False
        self._reaper: threading.Thread | None = None
        self._refills: list[threading.Timer] = []

    def take_spare(self, jobs: int | None) -> Sandbox:
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is None or not spare.alive or self._spare_jobs != jobs:
            if spare is not None:
                spare.stop()
            spare = start_sandbox(jobs)
        if self.keep_spare and int(os.environ.get(SPARES_ENV, "1")) > 0:
            # later, so the new spare's imports do not compete with this model's first requests
            refill = threading.Timer(REFILL_DELAY_S, self.refill, args=(jobs,))
            refill.daemon = True
            with self._lock:
                self._refills = [t for t in self._refills if t.is_alive()] + [refill]
            refill.start()
        return spare

    def refill(self, jobs: int | None) -> None:
        """Start a spare sandbox now, so the next model does not wait for imports."""
        with self._lock:
            if self._spare is not None and self._spare.alive:
                return
            self._spare, self._spare_jobs = start_sandbox(jobs), jobs
            self._start_reaper()

    def get(self, handle: SandboxedModel) -> Sandbox:
        with self._lock:
            sandbox = self._live.get(handle.key)
            if sandbox is not None and sandbox.alive:
                self._live.move_to_end(handle.key)
                return sandbox
            starting = self._starting.setdefault(handle.key, threading.Lock())
        with starting:  # one start per key at a time
            with self._lock:
                sandbox = self._live.get(handle.key)
                if sandbox is not None and sandbox.alive:
                    return sandbox
            sandbox = self.take_spare(handle.jobs)
            try:
                load(sandbox, handle.source, handle.bundle_factory)
            except BaseException:
                sandbox.stop()
                raise
            self.add(handle.key, sandbox, handle.scope)
            return sandbox

    def add(self, key: str, sandbox: Sandbox, scope: str) -> None:
        with self._lock:
            old = self._live.pop(key, None)
            self._live[key] = sandbox
            self._scopes[key] = scope
            evicted = []
            while len(self._live) > MAX_LIVE:
                evicted_key, evicted_sandbox = self._live.popitem(last=False)
                self._scopes.pop(evicted_key, None)
                evicted.append(evicted_sandbox)
            self._start_reaper()
        for stale in [*evicted, *([old] if old is not None and old is not sandbox else [])]:
            stale.stop()

    def _start_reaper(self) -> None:
        if self._reaper is None:
            self._reaper = threading.Thread(target=self._reap, daemon=True, name="whybox-reaper")
            self._reaper.start()

    def _reap(self) -> None:
        while True:
            time.sleep(30)
            now = time.monotonic()
            with self._lock:
                idle = [k for k, s in self._live.items() if now - s.last_used > IDLE_STOP_S]
            self._stop_keys(idle)

    def _stop_keys(self, keys: list[str]) -> int:
        with self._lock:
            stopped = [self._live.pop(k) for k in keys if k in self._live]
            for key in keys:
                self._scopes.pop(key, None)
        for sandbox in stopped:
            sandbox.stop()
        return len(stopped)

    def stop_scope(self, scope: str) -> int:
        with self._lock:
            keys = [k for k, owner in self._scopes.items() if owner == scope]
        return self._stop_keys(keys)

    def live_scopes(self) -> set[str]:
        with self._lock:
            return {self._scopes[k] for k in self._live if k in self._scopes}

    def stop_all(self) -> None:
        with self._lock:
            for refill in self._refills:  # none starts another after this
                refill.cancel()
            self._refills.clear()
            everything = [*self._live.values(), *([self._spare] if self._spare else [])]
            self._live.clear()
            self._scopes.clear()
            self._spare = None
        for sandbox in everything:
            sandbox.stop()


_REGISTRY = _Registry()
atexit.register(_REGISTRY.stop_all)


def load(sandbox: Sandbox, source: ModelSource, factory: Callable[[dict[str, Any]], Any]) -> Any:
    """Send the model's bytes to a fresh sandbox; returns the handle bundle it describes."""
    sandbox.ready()
    return sandbox.request(
        {
            "op": "load",
            "raw": source.raw,
            "name": source.filename,
            "trust": source.trust_unknown,
            "max_bytes": source.max_bytes,
        },
        timeout=min(_timeout_s(), LOAD_TIMEOUT_S),
        crashed=CRASHED_LOADING,
        bundle=factory,
    )


def load_contained(
    raw: bytes,
    filename: str,
    *,
    trust_unknown: bool = False,
    max_bytes: int,
    scope: str = "",
    jobs: int | None = None,
) -> ModelBundle:
    """Load model bytes in a new sandbox and return the handle bundle.

    Parameters
    ----------
    raw, filename, trust_unknown, max_bytes
        As :func:`explainers.safe_loading.load_model_bytes` (which runs in the sandbox).
    scope : str
        Who the sandbox belongs to (a session): the same bytes uploaded in two
        scopes get two sandboxes, so one never sees the other's data.
    jobs : int, optional
        Worker processes the sandbox forks for long jobs (default: every core).

    Raises
    ------
    ModelLoadError, UnsupportedModelError
        What loading refused, in whybox's words.
    SandboxCrashed
        The model crashed, hung or hit a limit while loading.
    """
    digest = hashlib.sha256(raw).hexdigest()
    key = hashlib.sha256(f"{scope}\0{digest}\0{trust_unknown}\0{jobs}".encode()).hexdigest()
    source = ModelSource(raw, filename, trust_unknown, max_bytes)
    handle = SandboxedModel(key, source, jobs, scope)
    sandbox = _REGISTRY.take_spare(jobs)
    try:
        bundle = load(sandbox, handle.source, handle.bundle_factory)
    except BaseException:
        sandbox.stop()
        raise
    _REGISTRY.add(key, sandbox, scope)
    if not isinstance(bundle, ModelBundle):
        raise SandboxCrashed(CRASHED_LOADING)
    return bundle


def start_spare(jobs: int | None = None, *, keep: bool = True) -> None:
    """Start a spare sandbox in the background, so the next model loads without waiting.

    A server calls it at start (``keep``: start another each time one is taken);
    a command calls it first thing (``keep=False``), so the sandbox's imports
    overlap its own.
    """
    _REGISTRY.keep_spare = keep
    _REGISTRY.refill(jobs)  # returns at once: the new process imports on its own


def keep_a_spare() -> None:
    """From now on, start a new spare sandbox each time one is taken (a dashboard's habit)."""
    _REGISTRY.keep_spare = True


def stop_scope(scope: str) -> int:
    """Stop the live sandboxes of the models uploaded in ``scope`` (a session); how many.

    A handle of that scope still works: its next call starts a sandbox again.
    """
    return _REGISTRY.stop_scope(scope)


def live_scopes() -> set[str]:
    """The scopes (sessions) that have a live sandbox now ("" for whybox's own demos)."""
    return _REGISTRY.live_scopes()


def stop_all() -> None:
    """Stop every sandbox this process started."""
    _REGISTRY.stop_all()


def is_sandboxed(bundle: ModelBundle) -> bool:
    """Whether a bundle is a handle on a sandboxed model."""
    return isinstance(bundle.model, SandboxedModel)
