"""A started spare sandbox that outlives the command that started it.

A fresh sandbox costs its Python's imports (numpy, pandas, scikit-learn,
skops, the tree engine's kernels: about 2.5 s of CPU on a 2-core machine),
which a ``whybox explain`` of ten rows would otherwise pay every time. The
broker is a small trusted process of whybox's own code (it never reads a
model's bytes or a request) that keeps one started sandbox and hands it to the
next whybox process of the same user and the same sandbox configuration:

- it listens on a Unix socket in a folder only this user can enter (``0700``,
  checked), named by :func:`explainers.sandbox_launch.launch_fingerprint` (the
  sandbox's command, environment, limits and whybox's code), and serves only
  a peer of its own uid (``SO_PEERCRED``);
- on ``take`` it passes the sandbox's three pipes over the socket
  (``SCM_RIGHTS``) and forgets them; the sandbox stays its child, so it writes
  the exit status (and whether the memory cgroup stopped it) back on that
  connection, and kills it when the connection closes: a sandbox never
  outlives the process that took it, and each still serves one model only;
- it starts its first spare once the process that launched it has exited, and
  each later one once no process holds one of its sandboxes, so a spare never
  competes with a command's own work; it stops its spare and exits after
  ``WHYBOX_SPARE_IDLE_S`` seconds (default 600) without a taker. ``0`` turns
  the broker off: every command starts its own sandbox;
- once whybox's code changes it hands out no more, and exits when its takers
  have let go of theirs; it never waits on a client (a silent one is dropped
  after :data:`HANDOFF_TIMEOUT_S`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import selectors
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from explainers.sandbox_cgroup import SandboxCgroup

IDLE_ENV = "WHYBOX_SPARE_IDLE_S"
DEFAULT_IDLE_S = 600.0
HANDOFF_TIMEOUT_S = 2.0
TICK_S = 0.2
MAX_EARLY_DEATHS = 3
"""Spares that die within :data:`EARLY_S` of starting before the broker gives up."""
EARLY_S = 10.0
CHECK_S = 5.0
MAX_PENDING = 8
"""Connections the broker waits on for their ``take`` at once (each at most
:data:`HANDOFF_TIMEOUT_S`)."""
MAX_SOCKET_PATH = 104
"""Bytes a Unix socket's path may have (108 on Linux, 104 on macOS, with its NUL)."""


def idle_s() -> float:
    """Seconds a broker waits for a taker (``WHYBOX_SPARE_IDLE_S``; 0 or less: no broker)."""
    try:
        return float(os.environ.get(IDLE_ENV, DEFAULT_IDLE_S))
    except ValueError:
        return 0.0


def _folder(runtime: str | None = None) -> Path | None:
    """This user's private folder for broker sockets, or None where it is not private."""
    base = Path(runtime or os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir())
    folder = base / f"whybox-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.lstat()
    except OSError:
        return None
    private = stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
    return folder if private and not info.st_mode & 0o077 else None


def socket_path(fingerprint: str) -> Path | None:
    """Where the broker for sandboxes of ``fingerprint`` listens (None: no private folder)."""
    folder = _folder()
    path = None if folder is None else folder / f"spare-{fingerprint[:24]}.sock"
    return path if path is not None and len(os.fsencode(path)) < MAX_SOCKET_PATH else None


def stop_brokers(runtime: str | None = None) -> int:
    """Ask every broker of this user (in ``runtime``, default ``$XDG_RUNTIME_DIR``) to stop
    with its spare; how many were asked (``python -m explainers.spare_broker --stop``)."""
    folder = _folder(runtime)
    asked = 0
    for path in sorted(folder.glob("spare-*.sock")) if folder is not None else []:
        with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as conn:
            conn.settimeout(HANDOFF_TIMEOUT_S)
            conn.connect(str(path))
            if _peer_uid(conn) == os.getuid():
                conn.sendall(b"quit\n")
                asked += 1
    return asked


def _peer_uid(conn: socket.socket) -> int:
    credentials = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return int(struct.unpack("3i", credentials)[1])


# ------------------------------------------------------------------ the taker's side


class HandedProcess:
    """A sandbox process a broker started and handed over.

    It has the part of :class:`subprocess.Popen`'s interface that
    :class:`explainers.sandbox.Sandbox` uses (``pid``, the three streams,
    ``poll``, ``wait``, ``kill``), and of a memory cgroup's
    (``memory_mb``, ``hit_memory_limit``, ``remove``): the broker, its parent,
    reports the exit on the connection.
    """

    def __init__(
        self, conn: socket.socket, pid: int, mode: str, memory_mb: int, fds: list[int]
    ) -> None:
        self.pid = pid
        self.mode = mode
        self.memory_mb = memory_mb
        self.stdin: IO[bytes] = os.fdopen(fds[0], "wb", buffering=0)
        self.stdout: IO[bytes] = os.fdopen(fds[1], "rb", buffering=0)
        self.stderr: IO[bytes] = os.fdopen(fds[2], "rb")
        self.returncode: int | None = None
        self._out_of_memory = False
        self._conn = conn
        self._lock = threading.Lock()

    def poll(self) -> int | None:
        """The exit status once the broker reported it, else None."""
        self._read_report(0.0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the exit report (raises ``subprocess.TimeoutExpired`` after ``timeout``)."""
        self._read_report(timeout)
        if self.returncode is None:
            raise subprocess.TimeoutExpired(f"sandbox {self.pid}", timeout or 0.0)
        return self.returncode

    def kill(self) -> None:
        """Ask the broker to kill it (it reports the exit)."""
        with contextlib.suppress(OSError):
            self._conn.sendall(b"kill\n")

    def hit_memory_limit(self) -> bool:
        """Whether its memory cgroup refused it memory (known once it exited)."""
        return self._out_of_memory

    def remove(self) -> None:
        """Let go of it: the broker kills it, if it still runs, and removes its cgroup."""
        self._conn.close()

    def give_back(self) -> None:
        """Let go of it unused: close its pipes too."""
        for stream in (self.stdin, self.stdout, self.stderr):
            stream.close()
        self.remove()

    def _read_report(self, timeout: float | None) -> None:
        with self._lock:
            if self.returncode is not None or self._conn.fileno() < 0:
                return
            self._conn.settimeout(timeout)
            try:
                report = self._conn.recv(256)
            except (TimeoutError, BlockingIOError, OSError):
                return
            parts = report.split()
            if len(parts) == 3 and parts[0] == b"exit":
                self.returncode, self._out_of_memory = int(parts[1]), parts[2] == b"1"
            elif not report:  # the broker itself is gone, and the sandbox with it
                self.returncode = -signal.SIGKILL


def take(fingerprint: str, jobs: int) -> HandedProcess | None:
    """The broker's spare sandbox for this configuration, or None.

    Where no broker listens, one is started (for the next command) and None returned.
    """
    if idle_s() <= 0:
        return None
    path = socket_path(fingerprint)
    if path is None:
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(HANDOFF_TIMEOUT_S)
    try:
        conn.connect(str(path))
    except OSError:
        conn.close()
        _start_broker(fingerprint, jobs)
        return None
    try:
        if _peer_uid(conn) != os.getuid():
            raise OSError("the socket's owner is another user")
        conn.sendall(b"take\n")
        message, fds, _, _ = socket.recv_fds(conn, 256, 3)
    except OSError:
        conn.close()
        return None
    for fd in fds:  # recv_fds gives inheritable fds, unlike anything Python opens itself
        os.set_inheritable(fd, False)
    parts = message.split()
    if len(parts) != 4 or parts[0] != b"ok" or len(fds) != 3:
        for fd in fds:
            os.close(fd)
        conn.close()
        return None
    return HandedProcess(conn, int(parts[1]), parts[2].decode(), int(parts[3]), fds)


def _start_broker(fingerprint: str, jobs: int) -> None:
    package_root = str(Path(__file__).resolve().parents[1])
    path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH", "")]))
    # -P and cwd /: a command run in a folder holding an explainers/ (or selectors.py) of
    # someone else's would otherwise start a broker of that code
    command = [sys.executable, "-P", "-m", "explainers.spare_broker", fingerprint, str(jobs)]
    with contextlib.suppress(OSError):
        subprocess.Popen(
            [*command, str(os.getpid())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            cwd="/",
            env=dict(os.environ, PYTHONPATH=path),
        )


# ------------------------------------------------------------------ the broker


@dataclass(slots=True)
class _Started:
    """One sandbox the broker started: its process, mode and cgroup."""

    process: subprocess.Popen[bytes]
    mode: str
    cgroup: SandboxCgroup | None
    started: float
    reported: bool = False

    def kill(self) -> None:
        from explainers.sandbox_launch import kill

        kill(self.process, self.mode)

    def close(self) -> None:
        """Kill it, reap it, remove its cgroup and close this side's pipes."""
        from explainers.sandbox_launch import end

        end(self.process, self.mode, self.cgroup)
        self.close_pipes()

    def close_pipes(self) -> None:
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


class _Broker:
    """The broker's state and its one loop (one thread, which never waits on a client)."""

    def __init__(self, fingerprint: str, jobs: int, launcher: int, listener: socket.socket) -> None:
        self.fingerprint = fingerprint
        self.jobs = jobs
        self.launcher = _Launcher(launcher)
        self.listener: socket.socket | None = listener
        self.selector = selectors.DefaultSelector()
        self.selector.register(listener, selectors.EVENT_READ)
        self.spare: _Started | None = None
        self.pending: dict[socket.socket, float] = {}  # connected, "take" not read yet
        self.handed: dict[socket.socket, _Started] = {}
        self.last_activity = time.monotonic()
        self.early_deaths = 0
        self.checked = time.monotonic()
        self.asked_to_stop = False

    def run(self) -> None:
        try:
            while self.listener is not None or self.handed:
                self._once()
                if self.listener is not None and (
                    self.early_deaths >= MAX_EARLY_DEATHS or self._code_changed()
                ):
                    self._retire()  # hand out no more; serve the handed ones to the end
                if self.asked_to_stop or self._idle_too_long():
                    break
        finally:  # also on SIGTERM (SystemExit): no sandbox or cgroup is left behind
            for conn in [*self.pending, *self.handed]:
                self._release(conn)
            if self.spare is not None:
                self.spare.close()

    def _once(self) -> None:
        for key, _ in self.selector.select(TICK_S):
            if key.fileobj is self.listener:
                self._accept()
            elif key.fileobj in self.pending:
                self._hand(key.fileobj)
            else:
                self._from_taker(key.fileobj)  # type: ignore[arg-type]
        now = time.monotonic()
        for conn in [c for c, since in self.pending.items() if now - since > HANDOFF_TIMEOUT_S]:
            self._release(conn)
        self._report_exits()
        self._refill()

    def _retire(self) -> None:
        assert self.listener is not None
        self.selector.unregister(self.listener)
        self.listener.close()
        self.listener = None
        if self.spare is not None:
            self.spare.close()
            self.spare = None

    def _code_changed(self) -> bool:
        """Whether whybox was upgraded or edited (looked at every :data:`CHECK_S` seconds)."""
        from explainers.sandbox_launch import launch_fingerprint

        if time.monotonic() - self.checked < CHECK_S:
            return False
        self.checked = time.monotonic()
        return launch_fingerprint(self.jobs) != self.fingerprint

    def _idle_too_long(self) -> bool:
        return not self.handed and time.monotonic() - self.last_activity > idle_s()

    def _refill(self) -> None:
        if self.spare is not None:
            if self.spare.process.poll() is None:
                return
            if time.monotonic() - self.spare.started < EARLY_S:
                self.early_deaths += 1
            self.spare.close()
            self.spare = None
        if self.listener is None or self.handed or self.launcher.alive():
            return
        from explainers.sandbox_launch import spawn

        process, mode, cgroup = spawn(self.jobs)
        self.spare = _Started(process, mode, cgroup, time.monotonic())

    def _accept(self) -> None:
        assert self.listener is not None
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        self.last_activity = time.monotonic()
        try:
            if len(self.pending) >= MAX_PENDING or _peer_uid(conn) != os.getuid():
                raise OSError("not a taker")
        except OSError:
            conn.close()
            return
        conn.setblocking(False)
        self.pending[conn] = time.monotonic()
        self.selector.register(conn, selectors.EVENT_READ)

    def _hand(self, conn: socket.socket) -> None:
        """Answer a connection's first message: the spare's pipes, or ``no``."""
        del self.pending[conn]
        spare = self.spare
        try:
            request = conn.recv(16)
            if request == b"quit\n":
                self.asked_to_stop = True
            if request != b"take\n":
                raise OSError("not a taker")
            if spare is None or spare.process.poll() is not None:
                conn.sendall(b"no\n")
                raise OSError("no spare")
            streams = (spare.process.stdin, spare.process.stdout, spare.process.stderr)
            fds = [s.fileno() for s in streams if s is not None]
            memory = spare.cgroup.memory_mb if spare.cgroup is not None else 0
            message = f"ok {spare.process.pid} {spare.mode} {memory}\n".encode()
            socket.send_fds(conn, [message], fds)  # on an error, nothing was sent
        except OSError:
            self.selector.unregister(conn)
            conn.close()
            return
        self.spare = None
        spare.close_pipes()  # the taker holds them now
        self.handed[conn] = spare

    def _from_taker(self, conn: socket.socket) -> None:
        try:
            data = conn.recv(64)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the taker let go of it, or exited
            self._release(conn)
        elif b"kill" in data:
            self.handed[conn].kill()

    def _report_exits(self) -> None:
        for conn, started in list(self.handed.items()):
            status = started.process.poll()
            if status is None or started.reported:
                continue
            out_of_memory = started.cgroup is not None and started.cgroup.hit_memory_limit()
            started.reported = True
            with contextlib.suppress(OSError):
                conn.sendall(f"exit {status} {int(out_of_memory)}\n".encode())

    def _release(self, conn: socket.socket) -> None:
        self.selector.unregister(conn)
        self.pending.pop(conn, None)
        started = self.handed.pop(conn, None)
        if started is not None:
            started.close()
        conn.close()
        self.last_activity = time.monotonic()


class _Launcher:
    """The process that started the broker, by a pidfd where there is one (a pid number
    can be reused by a later process; a pidfd cannot)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.fd: int | None = None
        self.gone = pid <= 0  # none to wait for
        if self.gone:
            return
        try:
            self.fd = os.pidfd_open(pid)
        except ProcessLookupError:
            self.gone = True
        except (AttributeError, OSError):  # no pidfd here: fall back on the number
            pass

    def alive(self) -> bool:
        if self.gone:
            return False
        if self.fd is not None:
            readable, _, _ = select.select([self.fd], [], [], 0)  # readable once it exited
            self.gone = bool(readable)
        else:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.gone = True
            except PermissionError:
                pass
        return not self.gone


def _held_lock(lock_path: Path, tries: int = 3) -> IO[str] | None:
    """This fingerprint's broker lock, open and held; None while another broker holds it.

    An ending broker removes its lock file while it still holds it, so a lock
    won on a file that is no longer the one at ``lock_path`` means nothing: the
    path is opened again.
    """
    for _ in range(tries):
        lock = open(lock_path, "a")  # returned open: the caller closes it
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            return None  # another broker serves this fingerprint
        if _is_file_at(lock, lock_path):
            return lock
        lock.close()
    return None


def _is_file_at(lock: IO[str], lock_path: Path) -> bool:
    """Whether the open file ``lock`` is still the file at ``lock_path``."""
    try:
        at_path, held = os.stat(lock_path), os.fstat(lock.fileno())
    except OSError:
        return False
    return (at_path.st_dev, at_path.st_ino) == (held.st_dev, held.st_ino)


def serve(fingerprint: str, jobs: int, launcher: int) -> None:
    """Run a broker for sandboxes of ``fingerprint`` until it has been idle too long.

    It exits at once if another broker holds that fingerprint, or if this
    process's own configuration gives another fingerprint.
    """
    from explainers.sandbox_launch import launch_fingerprint

    path = socket_path(fingerprint)
    if path is None or launch_fingerprint(jobs) != fingerprint:
        return
    lock_path = path.with_suffix(".lock")
    lock = _held_lock(lock_path)
    if lock is None:
        return
    with lock:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # a dead broker's
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(path))
            listener.listen(8)
        except OSError:
            listener.close()
            return
        try:
            _Broker(fingerprint, jobs, launcher, listener).run()
        finally:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            listener.close()
            with contextlib.suppress(OSError):  # still locked: a broker that opened it
                lock_path.unlink()  # meanwhile finds it gone and opens the path again


def main(argv: list[str]) -> None:
    """``--stop``: stop this user's brokers; else ``FINGERPRINT JOBS LAUNCHER_PID``: serve
    (a launcher pid of 0: start the spare at once)."""
    if argv == ["--stop"]:
        print(f"asked {stop_brokers()} spare broker(s) to stop")
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    serve(argv[0], int(argv[1]), int(argv[2]))


if __name__ == "__main__":
    main(sys.argv[1:])
