"""`whybox explain`, unmodified, on models it was not built for: exact where exact exists."""

from __future__ import annotations

import joblib
import lightgbm
import numpy as np
import pandas as pd
import pytest
import xgboost
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from dashboard.cli import main


def _forest_pipeline() -> tuple[object, pd.DataFrame, pd.Series, np.ndarray]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "island": rng.choice(["Biscoe", "Dream", "Torgersen"], 300),
            "sex": rng.choice(["female", "male"], 300),
            "bill_length_mm": rng.normal(44, 5, 300).round(1),
            "body_mass_g": rng.normal(4200, 800, 300).round(),
        }
    )
    y = pd.Series(np.where(X["bill_length_mm"] + (X["island"] == "Dream") * 4 > 45, "yes", "no"))
    encode = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore"), ["island", "sex"])],
        remainder="passthrough",
    )
    model = Pipeline([("encode", encode), ("forest", RandomForestClassifier(30, random_state=0))])
    model.fit(X, y)
    return model, X, y, model.predict_proba(X)[:, 1]


def _numeric(kind: str) -> tuple[object, pd.DataFrame, pd.Series, np.ndarray]:
    if kind in ("xgboost", "lightgbm"):
        X_, y_ = make_regression(n_samples=200, n_features=5, noise=3.0, random_state=0)
    else:
        n_classes = 3 if kind == "hist_multiclass" else 2
        X_, y_ = make_classification(
            n_samples=200, n_features=5, n_informative=3, n_classes=n_classes, random_state=0
        )
    X = pd.DataFrame(X_, columns=[f"f{j}" for j in range(5)])
    y = pd.Series(y_)
    if kind == "xgboost":
        model = xgboost.XGBRegressor(n_estimators=30, max_depth=3).fit(X, y)
        return model, X, y, model.predict(X, output_margin=True)
    if kind == "lightgbm":
        model = lightgbm.LGBMRegressor(n_estimators=30, num_leaves=8, verbose=-1).fit(X, y)
        return model, X, y, model.predict(X, raw_score=True)
    if kind == "hist_multiclass":
        model = HistGradientBoostingClassifier(max_iter=15, random_state=0).fit(X, y)
        return model, X, y, model.decision_function(X)[:, 0]
    if kind == "logistic":
        model = LogisticRegression().fit(X, y)
        return model, X, y, model.decision_function(X)
    model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=400, random_state=0).fit(X, y)
    return model, X, y, model.predict_proba(X)[:, 1]


CASES = ["forest_pipeline", "hist_multiclass", "xgboost", "lightgbm", "logistic", "mlp"]


@pytest.mark.parametrize("kind", CASES)
def test_explain_writes_one_column_per_uploaded_column_and_adds_up(kind, tmp_path) -> None:
    model, X, y, expected_output = (
        _forest_pipeline() if kind == "forest_pipeline" else (_numeric(kind))
    )
    model_path, data_path, out = tmp_path / "m.joblib", tmp_path / "d.csv", tmp_path / "o.csv"
    joblib.dump(model, model_path)
    X.assign(target=y).to_csv(data_path, index=False)
    args = ["explain", str(model_path), str(data_path), "--target", "target", "--out", str(out)]
    if kind == "hist_multiclass":
        args += ["--class", "0"]
    assert main([*args, "--jobs", "1"]) == 0
    table = pd.read_csv(out)
    assert len(table) == len(X)
    assert [c for c in X.columns if c in table.columns] == list(X.columns)
    total = table["base_value"] + table[list(X.columns)].sum(axis=1)
    # the CSV holds float32 attributions: compare at float32 precision
    np.testing.assert_allclose(total, expected_output, rtol=1e-4, atol=1e-5)


def _refusal(model, X: pd.DataFrame, tmp_path, capsys) -> list[str]:
    """``whybox explain`` on the saved model and data: exits 2; its error lines."""
    from tests.conftest import error_lines

    joblib.dump(model, tmp_path / "m.joblib")
    X.to_csv(tmp_path / "d.csv", index=False)
    args = ["explain", str(tmp_path / "m.joblib"), str(tmp_path / "d.csv")]
    assert main([*args, "--out", str(tmp_path / "o.csv"), "--jobs", "1"]) == 2
    return error_lines(capsys.readouterr().err.strip())


@pytest.mark.parametrize("kind", ["isolation_forest", "one_class_svm_pipeline"])
def test_anomaly_detectors_are_refused_with_the_reason(kind, tmp_path, capsys) -> None:
    from sklearn.ensemble import IsolationForest
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import OneClassSVM

    X_, _ = make_regression(n_samples=120, n_features=4, random_state=0)
    X = pd.DataFrame(X_, columns=[f"f{j}" for j in range(4)])
    model = (
        IsolationForest(n_estimators=20, random_state=0)
        if kind == "isolation_forest"
        else Pipeline([("scale", StandardScaler()), ("svm", OneClassSVM())])
    ).fit(X)
    lines = _refusal(model, X, tmp_path, capsys)
    assert len(lines) == 1 and "anomaly detector" in lines[0], lines


def test_a_regressor_with_several_outputs_per_row_is_refused_with_the_reason(
    tmp_path, capsys
) -> None:
    """A multi-quantile booster has predict; the refusal says why that is not enough."""
    import xgboost

    X_, y = make_regression(n_samples=120, n_features=4, random_state=0)
    X = pd.DataFrame(X_, columns=[f"f{j}" for j in range(4)])
    model = xgboost.XGBRegressor(
        objective="reg:quantileerror", quantile_alpha=[0.1, 0.5, 0.9], n_estimators=5, n_jobs=1
    ).fit(X, y)
    assert model.predict(X).shape == (120, 3)
    lines = _refusal(model, X, tmp_path, capsys)
    assert len(lines) == 1 and "gives 3 for each" in lines[0], lines
    assert "that has predict or predict_proba" not in lines[0]
