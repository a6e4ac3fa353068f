"""Uploaded columns named like ``whybox explain``'s own output columns keep their attributions.

A feature may be called ``prediction``, ``row_id``, ``base_value``, ``output_space``,
``predicted_label`` or ``fit_score``: the table then names every attribution column
``attribution.<feature>`` (stated in a note), so no header repeats, nothing is
overwritten, Parquet writes, and base + attributions still equal the model's own
``decision_function``.
"""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from dashboard.cli import main

OUTPUT_NAMES = ["row_id", "prediction", "predicted_label", "base_value", "output_space"]
ROWS = 20


def _model_and_frame() -> tuple[LogisticRegression, pd.DataFrame]:
    rng = np.random.default_rng(5)
    names = [*OUTPUT_NAMES, "fit_score"]
    X = pd.DataFrame(rng.normal(size=(200, len(names))), columns=names)
    y = np.where(
        X.to_numpy() @ np.linspace(1.0, -1.0, len(names)) + rng.normal(0, 0.5, 200) > 0, 1, 0
    )
    return LogisticRegression().fit(X, y), X.assign(y=y)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("method", ["shap", "both"])
def test_features_named_like_output_columns_keep_their_attributions(
    method, fmt, tmp_path: Path, capsys
) -> None:
    model, frame = _model_and_frame()
    joblib.dump(model, tmp_path / "m.joblib")
    frame.to_csv(tmp_path / "d.csv", index=False)
    out = tmp_path / f"out.{fmt}"
    args = ["explain", str(tmp_path / "m.joblib"), str(tmp_path / "d.csv"), "--target", "y"]
    rc = main([*args, "--out", str(out), "--rows", str(ROWS), "--jobs", "1", "--method", method])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "attribution." in captured.out  # the note saying how the columns are named
    table = pd.read_csv(out) if fmt == "csv" else pd.read_parquet(out)
    assert table.columns.is_unique, list(table.columns)
    X = frame.drop(columns="y").iloc[:ROWS]
    np.testing.assert_array_equal(table["row_id"], np.arange(ROWS))
    np.testing.assert_allclose(table["prediction"], model.predict_proba(X)[:, 1], rtol=1e-6)
    assert list(table["predicted_label"].astype(int)) == list(model.predict(X))
    assert set(table["output_space"]) == (
        {"log-odds"} if method == "shap" else {"log-odds/probability"}
    )
    shap = "shap." if method == "both" else ""
    features = [f"{shap}attribution.{name}" for name in X.columns]
    total = table[f"{shap}base_value"] + table[features].sum(axis=1)
    np.testing.assert_allclose(total, model.decision_function(X), rtol=1e-5, atol=1e-6)
    if method == "both":
        lime = [f"lime.attribution.{name}" for name in X.columns]
        assert all(pd.api.types.is_float_dtype(table[c]) for c in lime)
        assert table["lime.fit_score"].between(-1, 1).all()


def test_plain_feature_names_keep_plain_attribution_columns(tmp_path: Path, capsys) -> None:
    rng = np.random.default_rng(6)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["age", "income", "debt"])
    y = (X["age"] > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    joblib.dump(model, tmp_path / "m.joblib")
    X.assign(y=y).to_csv(tmp_path / "d.csv", index=False)
    args = ["explain", str(tmp_path / "m.joblib"), str(tmp_path / "d.csv"), "--target", "y"]
    assert main([*args, "--out", str(tmp_path / "o.csv"), "--rows", "5", "--jobs", "1"]) == 0
    assert "attribution." not in capsys.readouterr().out
    table = pd.read_csv(tmp_path / "o.csv")
    assert list(table.columns) == [
        "row_id", "prediction", "predicted_label", "base_value", "age", "income", "debt",
        "output_space",
    ]  # fmt: skip
