"""PDP and ICE equal scikit-learn's partial_dependence on the model, and the model's own output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.inspection import partial_dependence
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from explainers.model_bundle import build_bundle
from explainers.model_calls import run_model_task
from explainers.partial_dependence import dependence_sample, feature_dependence


@pytest.fixture(scope="module")
def mixed():
    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame(
        {
            "amount": rng.gamma(2.0, 1500.0, n),
            "age": rng.integers(19, 75, n),
            "housing": rng.choice(["own", "rent", "free"], n),
        }
    )
    y = np.where((X["amount"] < 3000) ^ (X["housing"] == "rent"), "good", "bad")
    encode = ColumnTransformer([("housing", OneHotEncoder(), ["housing"])], remainder="passthrough")
    model = make_pipeline(encode, RandomForestClassifier(n_estimators=30, random_state=0))
    return model.fit(X, y), X


@pytest.mark.parametrize("feature", ["amount", "age", "housing"])
def test_equals_scikit_learn_on_the_model(mixed, feature):
    model, X = mixed
    bundle = build_bundle(model)
    result = run_model_task(bundle, feature_dependence, X, feature, max_rows=150)
    rows = dependence_sample(X, max_rows=150)
    if feature == "age":  # scikit-learn refuses integer columns; whybox hands it floats
        rows = rows.astype({"age": float})
    categorical = feature == "housing"
    expected = partial_dependence(
        model, rows, [feature], kind="both", method="brute", grid_resolution=40,
        categorical_features=[feature] if categorical else None,
    )  # fmt: skip
    np.testing.assert_array_equal(result.grid, expected["grid_values"][0])
    np.testing.assert_allclose(result.average, expected["average"][0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.individual, expected["individual"][0], rtol=0, atol=1e-12)
    assert result.categorical is categorical
    assert result.output_space == "probability" and result.output_label == "probability of good"
    assert result.n_rows == 150 and result.n_total == 400


def test_values_are_the_models_own_probabilities(mixed):
    model, X = mixed
    result = feature_dependence(build_bundle(model), X, "housing", max_rows=100)
    rows = dependence_sample(X, max_rows=100)
    for j, value in enumerate(result.grid):
        changed = rows.assign(housing=value)
        probability = model.predict_proba(changed)[:, list(model.classes_).index("good")]
        np.testing.assert_allclose(result.individual[:, j], probability, atol=1e-12)
        assert result.average[j] == pytest.approx(probability.mean(), abs=1e-12)


def test_other_class_and_multiclass(multiclass_data, clf_data):
    X, y = clf_data
    model = LogisticRegression().fit(X.to_numpy(), y)
    bundle = build_bundle(model)
    first = feature_dependence(bundle, X, "f2", output=0)
    second = feature_dependence(bundle, X, "f2", output=1)
    np.testing.assert_allclose(first.average + second.average, 1.0)
    X3, y3 = multiclass_data
    model3 = LogisticRegression(max_iter=500).fit(X3, y3)
    result = feature_dependence(build_bundle(model3), X3, "f1", output=2)
    expected = partial_dependence(model3, X3, ["f1"], kind="average", method="brute",
                                  grid_resolution=40)  # fmt: skip
    np.testing.assert_allclose(result.average, expected["average"][2], atol=1e-12)


def test_regression_is_in_raw_units(reg_data):
    X, y = reg_data
    model = GradientBoostingRegressor(n_estimators=20, random_state=0).fit(X, y)
    result = feature_dependence(build_bundle(model), X, "f0")
    expected = partial_dependence(model, X, ["f0"], kind="both", method="brute",
                                  grid_resolution=40)  # fmt: skip
    np.testing.assert_allclose(result.average, expected["average"][0], atol=1e-9)
    assert result.output_space == "raw" and result.output_label == "prediction"


def test_missing_values_are_left_out_of_the_grid(mixed):
    model, X = mixed
    holes = X.assign(age=X["age"].astype(float).where(X.index % 5 != 0))
    imputing = make_pipeline(
        ColumnTransformer([("housing", OneHotEncoder(), ["housing"])], remainder="passthrough"),
        __import__("sklearn.impute", fromlist=["SimpleImputer"]).SimpleImputer(),
        RandomForestClassifier(n_estimators=10, random_state=0),
    ).fit(holes, model.predict(X))
    result = feature_dependence(build_bundle(imputing), holes, "age")
    assert np.isfinite(result.grid.astype(float)).all() and np.isfinite(result.average).all()
