"""``whybox explain --rows N`` picks the rows explained, never the background they are explained on.

The background is the one the README states: ``BACKGROUND_ROWS`` rows drawn at random
(seed 0) from the first ``REFERENCE_ROWS`` rows of the uploaded data. The linear case is
checked against the closed form ``coef * (z - mean(z_background))`` computed here from the
model object; every method is checked to give row 0 the same explanation whether 1, 50 or
all rows are explained.
"""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from dashboard.cli import main

N_ROWS = 300


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 12, N_ROWS).round(),
            "income": rng.lognormal(8, 0.5, N_ROWS).round(),
            "purpose": rng.choice(["car", "house", "study"], N_ROWS),
        }
    )
    score = (frame["age"] - 40) / 12 + (frame["purpose"] == "car") - 0.5
    return frame.assign(target=np.where(score + rng.normal(0, 0.7, N_ROWS) > 0, "good", "bad"))


def _model(final: object) -> Pipeline:
    encode = ColumnTransformer(
        [("num", StandardScaler(), ["age", "income"]), ("cat", OneHotEncoder(), ["purpose"])]
    )
    return Pipeline([("encode", encode), ("final", final)])


def _explain(folder: Path, model: Pipeline, frame: pd.DataFrame, rows: int | None, method: str):
    model_path, data_path = folder / "m.joblib", folder / "d.csv"
    joblib.dump(model, model_path)
    frame.to_csv(data_path, index=False)
    out = folder / f"out_{rows}_{method}.csv"
    args = ["explain", str(model_path), str(data_path), "--target", "target", "--class", "good"]
    args += ["--out", str(out), "--jobs", "1", "--method", method]
    if rows is not None:
        args += ["--rows", str(rows)]
    assert main(args) == 0
    return pd.read_csv(out)


def stated_background(X: pd.DataFrame) -> pd.DataFrame:
    """The README's background: 100 rows at random (seed 0) of the first 10,000."""
    head = X.iloc[:10_000]
    return head if len(head) <= 100 else head.sample(n=100, random_state=0)


def test_linear_rows_are_explained_against_the_stated_background(tmp_path: Path) -> None:
    frame = _frame()
    X = frame.drop(columns="target")
    model = _model(LogisticRegression()).fit(X, frame["target"])
    tables = {rows: _explain(tmp_path, model, frame, rows, "shap") for rows in (1, 50, None)}
    # the closed form from the model object: coef * (z - mean(z over the stated background))
    coef = model[-1].coef_[0]
    z = model[:-1].transform(X.iloc[:50])
    z_mean = model[:-1].transform(stated_background(X)).mean(axis=0)
    terms = coef * (z - z_mean)
    expected = pd.DataFrame(
        {"age": terms[:, 0], "income": terms[:, 1], "purpose": terms[:, 2:].sum(axis=1)}
    )
    base = model.decision_function(stated_background(X)).mean()
    features = ["age", "income", "purpose"]
    for rows, table in tables.items():
        n = 1 if rows == 1 else 50
        np.testing.assert_allclose(
            table[features].iloc[:n], expected.iloc[:n], rtol=1e-5, atol=1e-6,
            err_msg=f"--rows {rows}",
        )  # fmt: skip
        np.testing.assert_allclose(table["base_value"], base, rtol=1e-6, err_msg=f"--rows {rows}")
        total = table["base_value"] + table[features].sum(axis=1)
        np.testing.assert_allclose(total, model.decision_function(X.iloc[: len(table)]), rtol=1e-5)


@pytest.mark.parametrize("method", ["shap", "lime"])
def test_a_row_gets_one_explanation_however_many_rows_follow_it(method, tmp_path) -> None:
    frame = _frame()
    X = frame.drop(columns="target")
    model = _model(KNeighborsClassifier(15)).fit(X, frame["target"])
    tables = [_explain(tmp_path, model, frame, rows, method) for rows in (1, 50, None)]
    features = ["base_value", "age", "income", "purpose"]
    for table in tables[1:]:
        np.testing.assert_allclose(table[features].iloc[0], tables[0][features].iloc[0])
    np.testing.assert_allclose(tables[0]["prediction"], model.predict_proba(X.iloc[:1])[:, 1])
