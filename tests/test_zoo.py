"""Every zoo model through ``whybox explain``: right against the model's own output, or refused.

For each case of ``tests/zoo.py`` the model is saved in its file format and its training
frame as CSV (or Parquet), ``whybox explain`` runs in process (``dashboard.cli.main``,
``--jobs 1``), and the table it writes is checked against the model object itself:

- ``output_space`` is the space the case says is true for that model;
- ``prediction`` equals the model's own public prediction (``predict_proba``,
  ``predict`` or ``decision_function``);
- ``base_value`` + the attributions equal the model's own output in that space
  (``decision_function``, ``log(predict)``, the booster's own margin with its own
  iteration range), row by row.

A refusal must be one ``error:`` line matching the case's reason. No traceback may escape.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io

from dashboard.cli import main
from tests.conftest import ROOT, error_lines
from tests.zoo import CASES, Built, Case, built

ROWS = 40
# float64 libraries are checked to 1e-6 relative; xgboost and lightgbm work in float32
RTOL = {True: 2e-5, False: 1e-6}


def save_model(case: Case, model: object, folder: Path) -> Path:
    """The model written the way its user would save it."""
    if case.fmt == "xgboost-json":
        path = folder / "model.json"
        model.save_model(path)  # type: ignore[attr-defined]
    elif case.fmt == "xgboost-ubj":
        path = folder / "model.ubj"
        model.save_model(path)  # type: ignore[attr-defined]
    elif case.fmt == "lightgbm-txt":
        path = folder / "model.txt"
        model.save_model(path)  # type: ignore[attr-defined]
    elif case.fmt == "catboost-cbm":
        path = folder / "model.cbm"
        model.save_model(str(path), format="cbm")  # type: ignore[attr-defined]
    elif case.fmt == "skops":
        path = folder / "model.skops"
        skops.io.dump(model, path)
    elif case.fmt == "pickle":
        path = folder / "model.pkl"
        path.write_bytes(__import__("pickle").dumps(model))
    else:
        path = folder / "model.joblib"
        joblib.dump(model, path)
    return path


def save_data(case: Case, frame: pd.DataFrame, folder: Path) -> Path:
    if case.data_format == "parquet":
        path = folder / "data.parquet"
        frame.to_parquet(path, index=False)
    else:
        path = folder / "data.csv"
        frame.to_csv(path, index=False)
    return path


def explain_args(case: Case, b: Built, folder: Path) -> list[str]:
    model_path = save_model(case, b.model, folder)
    data_path = save_data(case, b.frame, folder)
    args = ["explain", str(model_path), str(data_path), "--target", b.target]
    args += ["--out", str(folder / "out.csv"), "--rows", str(ROWS), "--jobs", "1"]
    if case.class_name is not None:
        args += ["--class", case.class_name]
    return args


def float32_library(model: object) -> bool:
    module = type(model).__module__
    final = getattr(model, "steps", [(None, model)])[-1][1]
    return module.startswith(("xgboost", "lightgbm")) or type(final).__module__.startswith(
        ("xgboost", "lightgbm")
    )


def check_table(case: Case, b: Built, table: pd.DataFrame) -> None:
    """The written table against the model object's own public output."""
    assert case.own is not None and case.prediction is not None
    frame = b.frame.iloc[:ROWS]
    assert len(table) == ROWS
    assert set(table["output_space"]) == {case.space}, table["output_space"].iloc[0]
    features = [c for c in b.frame.columns if c != b.target]
    np.testing.assert_allclose(
        table["prediction"], case.prediction(b.model, frame), rtol=1e-6, atol=1e-9,
        err_msg="the prediction column is not the model's own prediction",
    )  # fmt: skip
    total = table["base_value"].to_numpy() + table[features].sum(axis=1).to_numpy()
    own = case.own(b.model, frame)
    scale = np.maximum(1.0, np.abs(own))
    gap = np.abs(total - own) / scale
    assert gap.max() <= RTOL[float32_library(b.model)], (
        f"base + attributions miss the model's own output by {gap.max():.2e} relative"
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_zoo_model_is_explained_right_or_refused(name: str, tmp_path: Path, capsys) -> None:
    case = CASES[name]
    b = built(name)
    rc = main(explain_args(case, b, tmp_path))
    captured = capsys.readouterr()
    err = captured.err
    if case.refused is not None:
        assert rc == 2
        lines = error_lines(err.strip())
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        assert re.search(case.refused, lines[0]), lines[0]
        return
    assert rc == 0, err
    check_table(case, b, pd.read_csv(tmp_path / "out.csv"))


@pytest.mark.parametrize(
    "name", ["poisson", "xgb_early_stopping", "lgbm_booster_binary", "imblearn_smote_logistic"]
)
def test_a_few_zoo_models_through_a_real_process(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    b = built(name)
    done = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *explain_args(case, b, tmp_path)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    check_table(case, b, pd.read_csv(tmp_path / "out.csv"))


def test_the_zoo_covers_at_least_sixty_model_kinds_and_four_formats() -> None:
    assert len(CASES) >= 60
    formats = {case.fmt for case in CASES.values()}
    assert {"pickle", "joblib", "skops"} <= formats and formats & {
        "xgboost-json", "xgboost-ubj", "lightgbm-txt"
    }  # fmt: skip
