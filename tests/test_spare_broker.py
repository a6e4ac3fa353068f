"""The spare broker: a started sandbox that outlives a command, handed to the next one.

Each test runs a real broker (``python -m explainers.spare_broker``) in a
private runtime folder, and checks from outside (``/proc``) which processes
run: the spare is handed over once, serves its taker exactly as a sandbox
started in place does (against the model's own ``predict_proba``), and never
outlives its taker, its broker, or a change of whybox's code.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from explainers import sandbox, sandbox_cgroup, spare_broker
from explainers.loading import load_model
from explainers.model_bundle import model_outputs
from explainers.model_calls import run_model_task
from explainers.sandbox_launch import launch_fingerprint, spawn
from tests.conftest import ROOT, SAMPLES

JOBS = 1


def _children(pid: int) -> set[int]:
    """The sandboxes ``pid`` started that still run (Linux ``/proc``; not bwrap's probe)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children = [int(child) for child in task.read_text().split()]
        except OSError:
            continue
        for child in children:
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"explainers.sandbox_worker" in command and _alive(child):
                found.add(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _until(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Brokers on: a private runtime folder and a one-minute idle limit."""
    folder = Path(tempfile.mkdtemp(prefix="wb-", dir="/tmp"))  # a socket's path is short
    env = {"XDG_RUNTIME_DIR": str(folder), spare_broker.IDLE_ENV: "60"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    sandbox.stop_all()  # no spare of this process's own is taken instead
    # and none is started later, taking the broker's: an earlier test of this process (the
    # dashboard's) may have asked for a spare to be kept
    monkeypatch.setattr(sandbox._REGISTRY, "keep_spare", False)
    yield env
    sandbox.stop_all()
    shutil.rmtree(folder, ignore_errors=True)


def _start_broker(env: dict[str, str], fingerprint: str | None = None) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "explainers.spare_broker",
        fingerprint or launch_fingerprint(JOBS), str(JOBS), "0",
    ]  # fmt: skip
    full_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(command, env=full_env, cwd=ROOT)


def _spare_of(broker: subprocess.Popen[bytes]) -> int:
    assert _until(lambda: bool(_children(broker.pid))), "the broker started no spare"
    (spare,) = _children(broker.pid)
    return spare


def _loan() -> tuple[bytes, pd.DataFrame, np.ndarray]:
    raw = (SAMPLES / "loan_model.joblib").read_bytes()
    X = pd.read_csv(SAMPLES / "german_credit.csv").drop(columns="creditability").head(50)
    expected = load_model(raw, "loan_model.joblib").model.predict_proba(X)
    return raw, X, expected


def test_a_handed_spare_predicts_what_the_model_itself_predicts_and_goes_with_its_taker(
    runtime: dict[str, str],
) -> None:
    raw, X, expected = _loan()
    broker = _start_broker(runtime)
    try:
        spare = _spare_of(broker)
        handle = load_model(raw, "loan_model.joblib", sandboxed=True, jobs=JOBS)
        assert handle.model.sandbox().process.pid == spare  # the broker's, not a new one
        np.testing.assert_array_equal(run_model_task(handle, model_outputs, X), expected)
        assert _alive(spare)
        sandbox.stop_all()  # the taker lets go: the broker kills it
        assert _until(lambda: not _alive(spare), timeout=10)
        # and starts the next spare only now that no process holds one of its sandboxes
        assert _until(lambda: bool(_children(broker.pid) - {spare}))
    finally:
        broker.terminate()
        broker.wait(timeout=20)


def test_a_spare_is_handed_over_once(runtime: dict[str, str]) -> None:
    broker = _start_broker(runtime)
    try:
        _spare_of(broker)
        fingerprint = launch_fingerprint(JOBS)
        first = spare_broker.take(fingerprint, JOBS)
        assert first is not None
        assert spare_broker.take(fingerprint, JOBS) is None  # none left: start your own
        first.remove()
    finally:
        broker.terminate()
        broker.wait(timeout=20)


TAKE_AND_EXIT = """
import os, sys
from explainers import spare_broker
from explainers.sandbox_launch import launch_fingerprint
handed = spare_broker.take(launch_fingerprint(1), 1)
print(handed.pid, flush=True)
os._exit(0)  # no clean-up: the taker dies with the sandbox in its hands
"""


def test_a_sandbox_dies_with_a_taker_that_dies(runtime: dict[str, str]) -> None:
    broker = _start_broker(runtime)
    try:
        spare = _spare_of(broker)
        done = subprocess.run(
            [sys.executable, "-c", TAKE_AND_EXIT], capture_output=True, text=True, timeout=60,
            cwd=ROOT, env={**os.environ, **runtime, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        assert int(done.stdout) == spare
        assert _until(lambda: not _alive(spare), timeout=10)
    finally:
        broker.terminate()
        broker.wait(timeout=20)


def test_a_crash_in_a_handed_sandbox_is_reported_like_any_other(runtime: dict[str, str]) -> None:
    raw, X, expected = _loan()
    broker = _start_broker(runtime)
    try:
        spare = _spare_of(broker)
        handle = load_model(raw, "loan_model.joblib", sandboxed=True, jobs=JOBS)
        handed = handle.model.sandbox().process
        assert handed.pid == spare
        os.kill(spare, 9)
        assert handed.wait(timeout=10) != 0  # the broker, its parent, reports the exit
        # the next call starts a sandbox from the same bytes, as after any crash
        np.testing.assert_array_equal(run_model_task(handle, model_outputs, X), expected)
    finally:
        broker.terminate()
        broker.wait(timeout=20)


def test_an_idle_broker_exits_and_takes_its_spare_with_it(runtime: dict[str, str]) -> None:
    broker = _start_broker({**runtime, spare_broker.IDLE_ENV: "3"})
    spare = _spare_of(broker)
    assert broker.wait(timeout=30) == 0
    assert _until(lambda: not _alive(spare), timeout=10)
    assert not any(Path(runtime["XDG_RUNTIME_DIR"]).glob("whybox-*/*.sock"))
    assert not any(Path(runtime["XDG_RUNTIME_DIR"]).glob("whybox-*/*.lock"))


def test_one_broker_lock_per_fingerprint_and_a_removed_lock_file_does_not_count(
    tmp_path: Path,
) -> None:
    lock_path = tmp_path / "spare.lock"
    first = spare_broker._held_lock(lock_path)
    assert first is not None
    assert spare_broker._held_lock(lock_path) is None  # held by the first
    lock_path.unlink()  # as an ending broker does, still holding it
    assert not spare_broker._is_file_at(first, lock_path)
    lock_path.touch()  # a newer broker's file
    assert not spare_broker._is_file_at(first, lock_path)
    first.close()
    second = spare_broker._held_lock(lock_path)
    assert second is not None and spare_broker._is_file_at(second, lock_path)
    second.close()


def test_brokers_stop_when_asked(runtime: dict[str, str]) -> None:
    broker = _start_broker(runtime)
    spare = _spare_of(broker)
    assert spare_broker.stop_brokers(runtime["XDG_RUNTIME_DIR"]) == 1
    assert broker.wait(timeout=30) == 0
    assert _until(lambda: not _alive(spare), timeout=10)


def test_a_broker_for_other_settings_or_code_does_not_start(runtime: dict[str, str]) -> None:
    broker = _start_broker(runtime, fingerprint="0" * 64)
    assert broker.wait(timeout=30) == 0
    assert not _children(broker.pid)


def test_a_broker_stops_when_whybox_code_changes(runtime: dict[str, str], tmp_path: Path) -> None:
    code = tmp_path / "code"
    (code / "explainers").mkdir(parents=True)
    for path in (ROOT / "explainers").glob("*.py"):  # a copy of whybox whose code we may edit
        (code / "explainers" / path.name).write_bytes(path.read_bytes())
    script = (
        "import sys; from explainers.sandbox_launch import launch_fingerprint; "
        "print(launch_fingerprint(1))"
    )
    env = {**os.environ, **runtime, "PYTHONPATH": str(code)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=code,
        capture_output=True,
        text=True,
        check=True,
    )
    fingerprint = done.stdout.strip()
    broker = subprocess.Popen(
        [sys.executable, "-m", "explainers.spare_broker", fingerprint, "1", "0"],
        env=env, cwd=code,
    )  # fmt: skip
    spare = _spare_of(broker)
    (code / "explainers" / "cores.py").write_text(
        (code / "explainers" / "cores.py").read_text() + "\n# upgraded\n"
    )
    assert broker.wait(timeout=30) == 0
    assert _until(lambda: not _alive(spare), timeout=10)


def test_no_broker_where_the_runtime_folder_is_not_private(
    runtime: dict[str, str], tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    (shared / f"whybox-{os.getuid()}").mkdir(parents=True, mode=0o755)
    os.chmod(shared / f"whybox-{os.getuid()}", 0o755)
    os.environ["XDG_RUNTIME_DIR"] = str(shared)
    assert spare_broker.socket_path(launch_fingerprint(JOBS)) is None
    assert spare_broker.take(launch_fingerprint(JOBS), JOBS) is None


def test_no_broker_when_turned_off(runtime: dict[str, str], monkeypatch) -> None:
    monkeypatch.setenv(spare_broker.IDLE_ENV, "0")
    assert spare_broker.take(launch_fingerprint(JOBS), JOBS) is None
    assert not any(Path(runtime["XDG_RUNTIME_DIR"]).glob("whybox-*/*"))


def _brokers_in(runtime: dict[str, str]) -> list[int]:
    """The brokers whose runtime folder is this test's."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"explainers.spare_broker" not in cmdline.read_bytes():
                continue
            environ = (cmdline.parent / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"XDG_RUNTIME_DIR={runtime['XDG_RUNTIME_DIR']}".encode() in environ:
            found.append(int(cmdline.parent.name))
    return found


def test_the_command_line_takes_the_spare_and_writes_the_same_table(
    runtime: dict[str, str], tmp_path: Path
) -> None:
    def explain(out: Path, **env: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "dashboard.cli", "explain", str(SAMPLES / "loan_model.skops"),
             str(SAMPLES / "loan_current.csv"), "--rows", "10", "--out", str(out)],
            check=True, capture_output=True, timeout=240, cwd=ROOT,
            env={**os.environ, **runtime, "PYTHONPATH": str(ROOT), **env},
        )  # fmt: skip

    explain(tmp_path / "alone.csv", **{spare_broker.IDLE_ENV: "0"})
    assert not _brokers_in(runtime)
    explain(tmp_path / "first.csv")  # no broker yet: it starts one for the next command
    assert _until(lambda: len(_brokers_in(runtime)) == 1)
    (broker,) = _brokers_in(runtime)
    assert _until(lambda: bool(_children(broker)))  # its spare, once the first command ended
    (spare,) = _children(broker)
    explain(tmp_path / "second.csv")
    assert _until(lambda: not _alive(spare), timeout=10)  # taken, used, let go
    alone = pd.read_csv(tmp_path / "alone.csv")
    for name in ("first.csv", "second.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / name), alone)
    skops = load_model((SAMPLES / "loan_model.skops").read_bytes(), "loan_model.skops")
    X = pd.read_csv(SAMPLES / "loan_current.csv").head(10)[list(skops.feature_names)]
    good = list(skops.class_labels).index("good")
    np.testing.assert_allclose(alone["prediction"], skops.model.predict_proba(X)[:, good],
                               rtol=0, atol=1e-12)  # fmt: skip
    os.kill(broker, 15)


def test_a_taker_that_gives_up_before_the_answer_does_not_cost_the_spare(
    runtime: dict[str, str],
) -> None:
    broker = _start_broker(runtime)
    try:
        spare = _spare_of(broker)
        path = str(spare_broker.socket_path(launch_fingerprint(JOBS)))
        os.kill(broker.pid, signal.SIGSTOP)  # so that the broker reads them all only later
        quiet = [socket.socket(socket.AF_UNIX) for _ in range(3)]  # silent ones
        for conn in quiet:
            conn.connect(path)
        with socket.socket(socket.AF_UNIX) as gone:  # and one gone before the broker answers
            gone.connect(path)
            gone.sendall(b"take\n")
        os.kill(broker.pid, signal.SIGCONT)
        handed = spare_broker.take(launch_fingerprint(JOBS), JOBS)  # not held up by the silent
        assert handed is not None and handed.pid == spare  # the same spare: none forgotten
        assert _children(broker.pid) == {spare}
        assert not any(os.get_inheritable(s.fileno()) for s in (handed.stdin, handed.stdout))
        handed.remove()
    finally:
        broker.terminate()
        broker.wait(timeout=20)


def test_a_terminated_broker_removes_the_cgroups_of_its_sandboxes(runtime: dict[str, str]) -> None:
    broker = _start_broker(runtime)
    spare = _spare_of(broker)
    folders = [
        Path("/sys/fs/cgroup", line.split(":")[1], line.split(":", 2)[2].lstrip("/"))
        for line in Path(f"/proc/{spare}/cgroup").read_text().splitlines()
        if "whybox-sandbox-" in line
    ]
    assert all(folder.is_dir() for folder in folders)
    assert bool(folders) == sandbox_cgroup.available()
    handed = spare_broker.take(launch_fingerprint(JOBS), JOBS)
    assert handed is not None
    broker.terminate()
    assert broker.wait(timeout=20) == 0
    assert handed.wait(timeout=10) != 0
    assert not [folder for folder in folders if folder.exists()]


def test_a_handed_sandbox_outlives_an_upgrade_of_whybox(
    runtime: dict[str, str], tmp_path: Path
) -> None:
    code = tmp_path / "code"
    shutil.copytree(ROOT / "explainers", code / "explainers")
    env = {**os.environ, **runtime, "PYTHONPATH": str(code)}
    script = "from explainers.sandbox_launch import launch_fingerprint as f; print(f(1))"
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=code,
                          capture_output=True, text=True, check=True)  # fmt: skip
    fingerprint = done.stdout.strip()
    broker = subprocess.Popen(
        [sys.executable, "-m", "explainers.spare_broker", fingerprint, "1", "0"],
        env=env, cwd=code,
    )  # fmt: skip
    try:
        _spare_of(broker)
        handed = spare_broker.take(fingerprint, 1)
        assert handed is not None
        cores = code / "explainers" / "cores.py"
        cores.write_text(cores.read_text() + "\n# upgraded\n")
        time.sleep(spare_broker.CHECK_S + 1)
        assert handed.poll() is None  # still serving its command
        assert spare_broker.take(fingerprint, 1) is None  # but no more spares of the old code
        handed.remove()
        assert broker.wait(timeout=20) == 0
    finally:
        broker.kill()
        broker.wait()


@pytest.mark.skipif(not sandbox.mode() == "bwrap", reason="needs bubblewrap")
def test_a_spare_without_bwrap_is_not_taken_where_bwrap_works(runtime: dict[str, str]) -> None:
    broker = _start_broker({**runtime, "PATH": "/nonexistent"})  # its bwrap probe fails
    try:
        spare = _spare_of(broker)
        started = sandbox.start_sandbox(JOBS)
        assert started.mode == "bwrap" and started.process.pid != spare
        started.stop()
    finally:
        broker.terminate()
        broker.wait(timeout=20)


def test_no_code_from_the_working_folder_runs_outside_the_sandbox(
    runtime: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planted = tmp_path / "planted"
    (planted / "explainers").mkdir(parents=True)
    (planted / "explainers" / "__init__.py").write_text("")
    for name in ("spare_broker", "sandbox_worker"):
        (planted / "explainers" / f"{name}.py").write_text(
            f"open({str(tmp_path / name)!r}, 'w').close()"
        )
    monkeypatch.chdir(planted)  # a command run here (the broker), and /tmp's stand-in (a worker)
    monkeypatch.setenv("WHYBOX_SANDBOX", "process")
    popen = subprocess.Popen

    def in_planted(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        return popen(*args, **{**kwargs, "cwd": planted if kwargs.get("cwd") else None})

    monkeypatch.setattr(subprocess, "Popen", in_planted)
    assert spare_broker.take(launch_fingerprint(JOBS), JOBS) is None  # starts a broker
    worker, _, cgroup = spawn(JOBS)
    assert worker.stdin is not None
    worker.stdin.close()
    worker.wait(timeout=60)
    if cgroup is not None:
        cgroup.remove()
    assert _until(lambda: len(_brokers_in(runtime)) == 1, timeout=10)
    for pid in _brokers_in(runtime):
        os.kill(pid, 15)
    assert not (tmp_path / "spare_broker").exists()
    assert not (tmp_path / "sandbox_worker").exists()
