"""Error analysis finds a weak cohort planted in a model of our own, and its nodes are cohorts."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from explainers.cohorts import cohort_data, cohort_mask
from explainers.error_analysis import (
    NO_OUTCOMES_HINT,
    error_heatmap,
    error_tree,
    model_errors,
)
from explainers.errors import DataValidationError
from explainers.model_bundle import build_bundle
from explainers.model_calls import run_model_task


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x0": rng.uniform(-2, 2, n),
            "x1": rng.uniform(-2, 2, n),
            "x2": rng.uniform(-2, 2, n),
            "region": rng.choice(["north", "south", "east", "west"], n),
        }
    )


def _planted(X: pd.DataFrame) -> np.ndarray:
    """The weak region: x0 above 1 in the east, where the outcome is reversed."""
    return ((X["x0"] > 1.0) & (X["region"] == "east")).to_numpy()


def _labels(X: pd.DataFrame) -> pd.Series:
    rule = (X["x1"] + 0.5 * X["x2"] > 0).to_numpy()
    return pd.Series(np.where(rule ^ _planted(X), "yes", "no"), index=X.index)


@pytest.fixture(scope="module")
def weak_model():
    """A model trained without the planted region, where the real outcome is reversed."""
    X_train = _frame(4000, 0)
    X_train = X_train[~_planted(X_train)]
    encode = ColumnTransformer([("region", OneHotEncoder(), ["region"])], remainder="passthrough")
    model = make_pipeline(encode, LogisticRegression(max_iter=1000)).fit(X_train, _labels(X_train))
    X_test = _frame(3000, 1)
    return build_bundle(model), X_test, _labels(X_test)


def test_tree_finds_the_planted_weak_cohort(weak_model):
    bundle, X, y_true = weak_model
    found = run_model_task(bundle, model_errors, X, y_true)
    # the errors are the model's own predictions compared with the truth
    np.testing.assert_array_equal(found.errors, (bundle.model.predict(X) != y_true).astype(float))
    tree = error_tree(X, found.errors, kind=found.kind)
    assert tree.overall_error < 0.15
    worst = tree.worst(1, leaves_only=True)[0]
    in_worst = cohort_mask(worst.cohort(), cohort_data(X))
    planted = _planted(X)
    jaccard = (in_worst & planted).sum() / (in_worst | planted).sum()
    assert jaccard > 0.85, (worst.label(), jaccard)
    assert worst.error > 0.8
    assert {c.column for c in worst.conditions} == {"x0", "region"}
    assert tree.features[:2] in (("x0", "region"), ("region", "x0"))


def test_every_node_as_a_cohort_holds_exactly_its_rows(weak_model):
    bundle, X, y_true = weak_model
    X = X.copy()
    X.loc[X.index[::7], "x0"] = np.nan  # missing values go down one side
    errors = run_model_task(bundle, model_errors, X.fillna(0.0), y_true).errors
    tree = error_tree(X, errors)
    data = cohort_data(X)
    for node in tree.nodes:
        mask = cohort_mask(node.cohort(), data)
        assert mask.sum() == node.n_rows, node.label()
        assert errors[mask].mean() == pytest.approx(node.error)
    children = [n for n in tree.nodes if n.parent == 0]
    assert sum(n.n_rows for n in children) == len(X)


def test_heatmap_counts_and_rates(weak_model):
    bundle, X, y_true = weak_model
    errors = model_errors(bundle, X, y_true).errors
    heat = error_heatmap(X, errors, ("x0", "region"))
    assert heat.counts.sum() == len(X)
    y, x = np.unravel_index(np.nanargmax(heat.error), heat.error.shape)
    assert heat.y_bins[y] == "east" and x == len(heat.x_bins) - 1
    cell = cohort_mask(heat.cell_cohort(x, y), cohort_data(X))
    assert cell.sum() == heat.counts[y, x]
    assert errors[cell].mean() == pytest.approx(heat.error[y, x])


def test_regression_tree_on_absolute_error():
    X = _frame(2000, 3)
    y = X["x1"] * 3 + X["x2"]
    noisy = _planted(X)
    y_true = pd.Series(np.where(noisy, y + 8.0, y), index=X.index)
    model = LinearRegression().fit(X[["x0", "x1", "x2"]], y)
    bundle = build_bundle(model)
    found = model_errors(bundle, X[["x0", "x1", "x2"]], y_true)
    assert found.kind == "absolute error"
    np.testing.assert_allclose(found.errors, np.abs(model.predict(X[["x0", "x1", "x2"]]) - y_true))
    worst = error_tree(X, found.errors, kind=found.kind).worst(1, leaves_only=True)[0]
    assert worst.error > 6.0
    assert {c.column for c in worst.conditions} == {"x0", "region"}


def test_no_outcomes_is_explained(weak_model):
    bundle, X, _ = weak_model
    with pytest.raises(DataValidationError, match=re.escape(NO_OUTCOMES_HINT)):
        model_errors(bundle, X, pd.Series([None] * len(X), index=X.index))
