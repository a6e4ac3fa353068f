"""The model sandbox: real payloads run (operator opt-in) and stay contained.

These tests start real sandbox processes (bubblewrap where it works; the
suite's ``tests/run.sh`` installs it). The probe payload's findings come back
as its class labels; what it could have done outside is checked from outside.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from explainers import sandbox, sandbox_cgroup, sandbox_launch
from explainers.errors import ExplainerError, ModelLoadError
from explainers.loading import load_model
from explainers.model_bundle import model_outputs
from explainers.model_calls import run_model_task
from tests import sandbox_payloads
from tests.conftest import ROOT, SAMPLES, error_lines

needs_bwrap = pytest.mark.skipif(
    sandbox.mode() != "bwrap", reason="bubblewrap cannot start a sandbox on this machine"
)


class Listener:
    """A TCP socket on 127.0.0.1 that records every connection made to it."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.server.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.server.close()


@pytest.fixture
def planted(tmp_path: Path):
    secret = tmp_path / "secret.txt"
    secret.write_text("the-server-secret-42")
    listener = Listener()
    yield {"secret": secret, "listener": listener, "outside": tmp_path / "escaped.txt"}
    listener.close()


def _probe(tmp_path: Path, planted: dict) -> Path:
    return sandbox_payloads.probe(
        tmp_path, secret=planted["secret"], port=planted["listener"].port,
        outside=planted["outside"], home=Path.home(),
    )  # fmt: skip


def _whybox(*args: str, env: dict[str, str] | None = None, timeout: float = 240):
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )  # fmt: skip


def test_a_sandboxed_model_predicts_what_the_model_itself_predicts() -> None:
    raw = (SAMPLES / "loan_model.joblib").read_bytes()
    handle = load_model(raw, "loan_model.joblib", sandboxed=True, jobs=1)
    local = load_model(raw, "loan_model.joblib")
    assert sandbox.is_sandboxed(handle) and not sandbox.is_sandboxed(local)
    assert (handle.task, handle.class_labels, handle.feature_names) == (
        local.task, local.class_labels, local.feature_names,
    )  # fmt: skip
    X = pd.read_csv(SAMPLES / "german_credit.csv").drop(columns="creditability")
    np.testing.assert_array_equal(
        run_model_task(handle, model_outputs, X), local.model.predict_proba(X)
    )
    with pytest.raises(AttributeError, match="run_model_task"):
        handle.model.predict_proba(X)  # nothing runs the model on this side
    with pytest.raises(TypeError, match="module-level functions"):
        run_model_task(handle, lambda bundle: bundle)


@needs_bwrap
def test_a_payload_in_the_sandbox_reads_no_secret_reaches_no_socket_writes_nothing_outside(
    tmp_path: Path, planted: dict
) -> None:
    path = _probe(tmp_path, planted)
    bundle = load_model(path.read_bytes(), path.name, trust_unknown=True, sandboxed=True, jobs=1)
    seen = sandbox_payloads.outcomes(bundle.class_labels)
    assert seen["secret"].startswith("blocked:"), seen  # the planted file is not there
    assert seen["socket"].startswith("blocked:"), seen  # no network
    assert seen["write"].startswith("blocked:"), seen
    assert seen["program"].startswith("blocked:"), seen  # seccomp / no binaries
    home = Path.home()
    needed = {  # a home directory shows only the folders that lead to the Python it runs
        Path(p).relative_to(home).parts[0]
        for p in sandbox_launch._read_only_paths()
        if Path(p).is_relative_to(home)
    }
    listed = seen["home"].removeprefix("listed:")
    assert seen["home"].startswith("blocked:") or set(filter(None, listed.split("|"))) <= needed
    assert seen["tmp"] == "written", seen  # its own private temp folder works
    assert planted["listener"].connections == 0
    assert not planted["outside"].exists()
    assert "the-server-secret-42" not in repr(bundle)


@needs_bwrap
@pytest.mark.parametrize("command", ["explain", "report"])
def test_the_cli_runs_a_payload_contained(tmp_path: Path, planted: dict, command: str) -> None:
    path = _probe(tmp_path, planted)
    data = tmp_path / "data.csv"
    pd.DataFrame({"x0": [0.0, 1.0, 2.0]}).to_csv(data, index=False)
    out = tmp_path / ("out.csv" if command == "explain" else "out.html")
    extra = ["--row", "0"] if command == "report" else []
    done = _whybox(command, str(path), str(data), "--out", str(out), "--trust-unknown-pickles",
                   *extra)  # fmt: skip
    assert "Model contained (bubblewrap)" in done.stderr
    assert len([line for line in done.stderr.splitlines() if line.startswith("whybox:")]) == 1
    assert planted["listener"].connections == 0
    assert not planted["outside"].exists()
    for text in (done.stdout, done.stderr, out.read_text() if out.exists() else ""):
        assert "the-server-secret-42" not in text
    assert done.returncode == 0, done.stderr
    shown = out.read_text()
    for escaped in ("secret=read:", "socket=connected", "write=written", "program=started"):
        assert escaped not in shown
    if command == "explain":  # the labels the rows got are the probe's findings
        found = sandbox_payloads.outcomes(tuple(pd.read_csv(out)["predicted_label"]))
        assert found and all(
            value.startswith(("blocked:", "listed:")) or (key, value) == ("tmp", "written")
            for key, value in found.items()
        ), found


def test_a_crash_while_loading_costs_only_that_model(tmp_path: Path) -> None:
    raw = (SAMPLES / "loan_model.joblib").read_bytes()
    before = load_model(raw, "loan_model.joblib", sandboxed=True, jobs=1)
    path = sandbox_payloads.segfault(tmp_path)
    with pytest.raises(ExplainerError) as caught:
        load_model(path.read_bytes(), path.name, trust_unknown=True, sandboxed=True, jobs=1)
    assert caught.value.user_message == sandbox.CRASHED_LOADING
    X = pd.read_csv(SAMPLES / "german_credit.csv").drop(columns="creditability").head(5)
    assert run_model_task(before, model_outputs, X).shape == (5, 2)  # the earlier model works


def test_the_cli_reports_a_crash_in_one_line(tmp_path: Path) -> None:
    path = sandbox_payloads.segfault(tmp_path)
    done = _whybox("explain", str(path), str(SAMPLES / "german_credit.csv"), "--out",
                   str(tmp_path / "o.csv"), "--trust-unknown-pickles")  # fmt: skip
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {sandbox.CRASHED_LOADING} {sandbox.CRASHED_HINT}"]
    assert "Traceback" not in done.stderr


def test_a_hanging_model_is_stopped_at_the_deadline(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(sandbox.TIMEOUT_ENV, "4")
    path = sandbox_payloads.hang(tmp_path)
    started = time.monotonic()
    with pytest.raises(ExplainerError, match="longer than 4 s"):
        load_model(path.read_bytes(), path.name, trust_unknown=True, sandboxed=True, jobs=1)
    assert time.monotonic() - started < 30


def test_a_forged_reply_is_refused_and_builds_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "forged-marker"
    path = sandbox_payloads.forged_reply(tmp_path, marker=marker)
    with pytest.raises(ExplainerError) as caught:
        load_model(path.read_bytes(), path.name, trust_unknown=True, sandboxed=True, jobs=1)
    assert caught.value.user_message == sandbox.CRASHED_LOADING
    time.sleep(0.5)
    assert not marker.exists()


def test_without_bwrap_uploads_are_said_to_be_uncontained(monkeypatch) -> None:
    monkeypatch.setenv(sandbox_launch.MODE_ENV, "process")
    assert sandbox.mode() == "process"
    said = sandbox.protections()
    assert not said.contained and said.sentence.startswith(sandbox.NOT_CONTAINED)
    with pytest.raises(ModelLoadError, match="only accepts uploads it can contain"):
        sandbox.require_contained()
    raw = (SAMPLES / "loan_model.joblib").read_bytes()
    handle = load_model(raw, "loan_model.joblib", sandboxed=True, jobs=1)
    X = pd.read_csv(SAMPLES / "german_credit.csv").drop(columns="creditability").head(3)
    assert run_model_task(handle, model_outputs, X).shape == (3, 2)  # still a separate process


def test_a_large_frame_crosses_to_the_sandbox_once(monkeypatch) -> None:
    from explainers.sandbox_kept import KeptSender

    raw = (SAMPLES / "loan_model.joblib").read_bytes()
    handle = load_model(raw, "loan_model.joblib", sandboxed=True, jobs=1)
    local = load_model(raw, "loan_model.joblib")
    X = pd.read_csv(SAMPLES / "german_credit.csv").drop(columns="creditability")
    box = handle.model.sandbox()
    sent: list[int] = []
    message = KeptSender.message

    def recording(self, *args, **kwargs):
        built = message(self, *args, **kwargs)
        sent.append(len(built["put"]))
        return built

    monkeypatch.setattr(KeptSender, "message", recording)
    expected = local.model.predict_proba(X)
    for _ in range(2):
        np.testing.assert_array_equal(run_model_task(handle, model_outputs, X), expected)
    assert sent == [1, 0]  # the second request names the frame it sent first
    held, box.kept = box.kept, KeptSender()  # another sender fills the sandbox's store
    for n in range(100, 110):
        run_model_task(handle, model_outputs, X.head(n))
    box.kept, sent[:] = held, []  # it still believes the sandbox holds X; it does not
    np.testing.assert_array_equal(run_model_task(handle, model_outputs, X), expected)
    assert sent == [0, 1]  # named, missing, sent again


def test_a_failing_prediction_is_told_in_whybox_words_and_its_text_only_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from explainers.model_bundle import PREDICT_FAILED, PREDICT_FAILED_HINT

    secret = "at 0xdeadbeef in /srv/whybox/secret.key"
    path = sandbox_payloads.raising_text(tmp_path, text=f"![e](http://x.test/e.png) {secret}")
    handle = load_model(path.read_bytes(), path.name, trust_unknown=True, sandboxed=True, jobs=1)
    with caplog.at_level("INFO", logger="whybox.sandbox"):
        with pytest.raises(ExplainerError) as caught:
            run_model_task(handle, model_outputs, pd.DataFrame({"x0": [0.0, 1.0]}))
        # the sandbox's stderr reaches the log on its own thread, maybe after the reply: wait
        # while the INFO level still holds (it used to be reset first, which made this flaky)
        deadline = time.monotonic() + 20
        while secret not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.1)
    assert (caught.value.user_message, caught.value.hint) == (PREDICT_FAILED, PREDICT_FAILED_HINT)
    assert secret in caplog.text  # the detail is for the operator


def test_a_busy_loop_is_stopped_by_its_cpu_allowance_before_the_deadline(
    tmp_path: Path, monkeypatch
) -> None:
    from explainers.cpu_budget import CPU_ENV

    monkeypatch.setenv(CPU_ENV, "2")
    monkeypatch.setenv(sandbox.TIMEOUT_ENV, "200")
    sandbox.stop_all()  # the spare was started with the default allowance
    path = sandbox_payloads.busy_loop(tmp_path)
    started = time.monotonic()
    with pytest.raises(ExplainerError) as caught:
        load_model(path.read_bytes(), path.name, trust_unknown=True, sandboxed=True, jobs=1)
    assert caught.value.user_message == sandbox.OVER_CPU.format(seconds=2)
    assert time.monotonic() - started < 100  # the kernel stopped it, not the 200 s deadline
    monkeypatch.delenv(CPU_ENV)
    raw = (SAMPLES / "loan_model.joblib").read_bytes()  # the next model loads as usual
    handle = load_model(raw, "loan_model.joblib", sandboxed=True, jobs=1)
    X = pd.read_csv(SAMPLES / "german_credit.csv").drop(columns="creditability").head(3)
    assert run_model_task(handle, model_outputs, X).shape == (3, 2)


def test_the_dask_engine_takes_only_model_files_that_are_data(tmp_path: Path) -> None:
    import skops.io

    from dashboard.cli import DASK_NEEDS_DATA, DASK_NEEDS_DATA_HINT
    from explainers.safe_loading import is_data_file

    model = SAMPLES / "loan_model.joblib"
    done = _whybox("explain", str(model), str(SAMPLES / "german_credit.csv"), "--engine", "dask",
                   "--target", "creditability", "--out", str(tmp_path / "out"))  # fmt: skip
    assert done.returncode == 2 and not (tmp_path / "out").exists()
    message = DASK_NEEDS_DATA.format(name=model.name)
    assert error_lines(done.stderr) == [f"error: {message} {DASK_NEEDS_DATA_HINT}"]
    trusted = _whybox("explain", str(model), str(SAMPLES / "german_credit.csv"), "--engine",
                      "dask", "--trust-unknown-pickles", "--out", str(tmp_path / "o"))  # fmt: skip
    assert trusted.returncode == 2 and error_lines(trusted.stderr) == error_lines(done.stderr)
    local = load_model(model.read_bytes(), model.name)
    assert not is_data_file(model.read_bytes())
    assert is_data_file(skops.io.dumps(local.model))
    skops_file = tmp_path / "loan.skops"
    skops_file.write_bytes(skops.io.dumps(local.model))
    odd = _whybox("explain", str(skops_file), str(SAMPLES / "german_credit.csv"), "--engine",
                  "dask", "--blocksize", "-1", "--out", str(tmp_path / "out"))  # fmt: skip
    assert odd.returncode == 2
    assert error_lines(odd.stderr) == ["error: --blocksize must be a positive size, not '-1'. "
                                       "For example: --blocksize 8MB"]  # fmt: skip


@pytest.mark.skipif(not sandbox_cgroup.available(), reason="no writable memory cgroup here")
def test_a_sandbox_is_held_to_its_memory_cgroup_in_all(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(sandbox_launch.TOTAL_ENV, "1500")  # under the 8,192 MB a process may map
    sandbox.stop_all()  # the spare was started with the default ceiling
    before = set(sandbox_cgroup._own("memory").iterdir())  # type: ignore[union-attr]
    path = sandbox_payloads.memory_hog(tmp_path)
    with pytest.raises(ExplainerError) as caught:
        load_model(path.read_bytes(), path.name, trust_unknown=True, sandboxed=True, jobs=1)
    assert caught.value.user_message == sandbox.OUT_OF_MEMORY.format(memory_mb=1500)
    sandbox.stop_all()
    # Another test worker's sandboxes may come and go in the same parent meanwhile; a
    # cgroup this test left behind would stay, and hold no task.
    deadline = time.monotonic() + 10
    while (left := _empty_new_cgroups(before)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left


def _empty_new_cgroups(before: set[Path]) -> set[Path]:
    """Sandbox cgroups made since ``before`` that hold no task."""
    own = sandbox_cgroup._own("memory")
    assert own is not None
    empty = set()
    for entry in set(own.iterdir()) - before:
        try:
            if entry.is_dir() and not (entry / "tasks").read_text().strip():
                empty.add(entry)
        except FileNotFoundError:  # removed while we looked
            continue
    return empty


@pytest.mark.skipif(not sandbox_cgroup.available(), reason="no writable memory cgroup here")
def test_a_sweep_removes_only_sandbox_cgroups_left_empty(monkeypatch) -> None:
    busy, empty = sandbox_cgroup.create(512), sandbox_cgroup.create(512)
    assert busy is not None and empty is not None
    sleeper = subprocess.Popen(busy.join_command(["sleep", "60"]))
    try:
        deadline = time.monotonic() + 10
        while not busy.procs.read_text().split() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sandbox_cgroup.sweep(busy.folders[0].parent) == 0  # both are too new
        monkeypatch.setattr(sandbox_cgroup, "SWEEP_AGE_S", -1.0)
        for folder in {f.parent for f in (*busy.folders, *empty.folders)}:
            sandbox_cgroup.sweep(folder)
        assert not any(f.exists() for f in empty.folders)  # left by an owner that died
        assert busy.folders[0].exists()  # a process is in it
    finally:
        sleeper.kill()
        sleeper.wait()
        busy.remove()
