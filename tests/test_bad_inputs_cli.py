"""Every bad-input case through ``whybox explain``.

A case expected to fail must exit with status 2 and print exactly one line,
``error: ...``, naming what is wrong; one expected to work must exit 0 and
write one row of attributions per input row.

Every case runs in this process through :func:`dashboard.cli.main` (fast:
no interpreter start, libraries imported once). A few run again as real
``python -m dashboard.cli`` processes, concurrently, to prove that nothing
else reaches the terminal: no traceback, no library warning, no second line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard.cli import main
from tests.bad_inputs import CASES, HOSTILE_MARKER, TARGET, Case, Files
from tests.conftest import ROOT, error_lines
from tests.hostile_models import leaks

ROWS = 25
# The baseline, and one per stage that can fail: reading the data, refusing a
# (hostile) model file, and predicting, where libraries are most likely to warn.
SUBPROCESS_CASES = (
    "baseline",
    "excel_renamed_csv",
    "hostile_pickle",
    "nan_the_model_cannot_take",
    "predict_raises",
    "hostile_forged_dtype_array",
    "hostile_xgboost_booster_path",
)
BY_ID = {case.id: case for case in CASES}


def _argv(case: Case, files: Files, out: Path) -> list[str]:
    argv = ["explain", str(files.model), str(files.data), "--out", str(out), "--rows", str(ROWS)]
    return [*argv, "--target", case.target] if case.target else argv


def _check_error(case: Case, status: int, stdout: str, stderr: str) -> None:
    assert status == 2, f"exit status {status}; stderr: {stderr}"
    assert stdout == ""
    assert "Traceback" not in stderr
    lines = error_lines(stderr)
    assert len(lines) == 1 and stderr.endswith("\n"), stderr
    assert lines[0].startswith("error: ")
    assert case.message in lines[0]


def _check_output(case: Case, files: Files, out: Path, status: int, stderr: str) -> None:
    assert status == 0, stderr
    assert "Traceback" not in stderr
    table = pd.read_csv(out, encoding="utf-8")
    data = pd.read_parquet(files.data) if files.data.suffix == ".parquet" else None
    n_rows = len(data) if data is not None else _csv_rows(files.data)
    assert len(table) == min(ROWS, n_rows)
    assert table["row_id"].tolist() == list(range(len(table)))
    if set(table["output_space"]) != {"margin"}:  # decision scores are not probabilities
        assert table["prediction"].between(0, 1).all()
    features = [c for c in table.columns if c not in _BOOKKEEPING]
    assert features, table.columns
    assert case.target not in features
    assert np.isfinite(table[features].to_numpy(dtype=float)).all()


_BOOKKEEPING = {"row_id", "prediction", "predicted_label", "base_value", "output_space"}


def _csv_rows(path: Path) -> int:
    raw = path.read_bytes()
    utf16 = raw.startswith((b"\xff\xfe", b"\xfe\xff"))
    text = raw.decode("utf-16") if utf16 else raw.decode("latin-1")
    return len(text.strip().splitlines()) - 1


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_explain_in_process(
    case: Case,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # where a hostile pickle would leave its marker
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    files = case.build(tmp_path)
    out = tmp_path / "out.csv"
    status = main(_argv(case, files, out))
    captured = capsys.readouterr()
    if case.expect_cli == "error":
        _check_error(case, status, captured.out, captured.err)
        assert not out.exists()
        if case.hostile:
            assert leaks(captured.err, tmp_path) == []
    else:
        _check_output(case, files, out, status, captured.err)
    assert not (tmp_path / HOSTILE_MARKER).exists()


HOSTILE_CASES = [case for case in CASES if case.hostile]


@pytest.mark.parametrize("case", HOSTILE_CASES, ids=[case.id for case in HOSTILE_CASES])
def test_report_refuses_hostile_model(
    case: Case,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    files = case.build(tmp_path)
    out = tmp_path / "report.html"
    argv = ["report", str(files.model), str(files.data), "--row", "0", "--out", str(out)]
    status = main([*argv, "--target", TARGET])
    captured = capsys.readouterr()

    _check_error(case, status, captured.out, captured.err)
    assert leaks(captured.err, tmp_path) == []
    assert not out.exists()
    assert not (tmp_path / HOSTILE_MARKER).exists()


def _run_process(case: Case, folder: Path) -> subprocess.CompletedProcess[str]:
    folder.mkdir()
    files = case.build(folder)
    command = [sys.executable, "-m", "dashboard.cli", *_argv(case, files, folder / "out.csv")]
    env = {**os.environ, **case.env, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def process_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[Path, subprocess.CompletedProcess[str]]]:
    """Run the chosen cases as real processes, all at once (each pays the interpreter start)."""
    root = tmp_path_factory.mktemp("cli")
    with ThreadPoolExecutor(max_workers=len(SUBPROCESS_CASES)) as pool:
        futures = {
            name: pool.submit(_run_process, BY_ID[name], root / name) for name in SUBPROCESS_CASES
        }
        return {name: (root / name, future.result()) for name, future in futures.items()}


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_explain_as_a_real_process(
    case_id: str, process_runs: dict[str, tuple[Path, subprocess.CompletedProcess[str]]]
) -> None:
    case = BY_ID[case_id]
    folder, result = process_runs[case_id]
    if case.expect_cli == "error":
        _check_error(case, result.returncode, result.stdout, result.stderr)
    else:
        files = Files(next(folder.glob("model.*")), next(folder.glob("data.*")))
        _check_output(case, files, folder / "out.csv", result.returncode, result.stderr)
        assert error_lines(result.stderr) == []  # only the line saying how the model ran
        assert result.stdout.startswith("wrote ")
    assert not (folder / HOSTILE_MARKER).exists()


def test_the_corpus_is_big_enough_and_ids_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    assert sum(case.expect == "error" for case in CASES) >= 30
    assert all(case.message for case in CASES if case.expect == "error")
