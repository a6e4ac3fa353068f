"""The numba TreeSHAP engine against shap's TreeExplainer and the models' own outputs."""

from __future__ import annotations

import numpy as np
import pytest
import shap
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from explainers import tree_engine, trusted_cache
from explainers.tree_models import tree_arrays

DEPTHS = [1, 2, 5, 12, None]
EXACT = 1e-9


def _data(kind: str, *, missing: bool = False, n: int = 400):
    if kind == "regression":
        X, y = make_regression(n_samples=n, n_features=7, noise=3.0, random_state=3)
    else:
        X, y = make_classification(
            n_samples=n, n_features=7, n_informative=5, n_redundant=1,
            n_classes=3 if kind == "multiclass" else 2, random_state=4,
        )  # fmt: skip
    if missing:
        rng = np.random.default_rng(5)
        X = X.copy()
        X[rng.random(X.shape) < 0.15] = np.nan
    return X, y


def _engine(model, X):
    arrays = tree_arrays(model)
    assert arrays is not None
    return tree_engine.shap_values(tree_engine.prepare(arrays), X, n_threads=2)


def _model_output(model, X):
    if hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(X), np.float64).reshape(len(X), -1)
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)
    return model.predict(X).reshape(len(X), -1)


def _check(model, X, *, compare_shap: bool = True):
    values, expected = _engine(model, X)
    # additivity against the model's own public output
    output = _model_output(model, X)
    np.testing.assert_allclose(expected + values.sum(axis=1), output, rtol=0, atol=1e-9)
    if compare_shap:
        explainer = shap.TreeExplainer(model)
        reference = np.asarray(explainer.shap_values(X, check_additivity=False))
        reference = reference if reference.ndim == 3 else reference[:, :, None]
        assert np.abs(values - reference).max() <= EXACT
        np.testing.assert_allclose(
            expected, np.atleast_1d(explainer.expected_value), rtol=0, atol=EXACT
        )


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize(
    "factory, kind",
    [
        (RandomForestClassifier, "binary"),
        (RandomForestClassifier, "multiclass"),
        (RandomForestRegressor, "regression"),
        (ExtraTreesClassifier, "multiclass"),
        (ExtraTreesRegressor, "regression"),
    ],
)
def test_forests_equal_shap(factory, kind, depth):
    X, y = _data(kind)
    model = factory(n_estimators=8, max_depth=depth, random_state=0).fit(X, y)
    _check(model, X[:60])


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_single_trees_equal_shap(kind, depth):
    X, y = _data(kind)
    factory = DecisionTreeRegressor if kind == "regression" else DecisionTreeClassifier
    _check(factory(max_depth=depth, random_state=0).fit(X, y), X[:60])


@pytest.mark.parametrize("kind", ["binary", "regression"])
def test_sample_weights_and_missing_values_in_forests(kind):
    X, y = _data(kind, missing=True)
    weights = np.random.default_rng(6).uniform(0.1, 3.0, len(y))
    factory = RandomForestRegressor if kind == "regression" else RandomForestClassifier
    model = factory(n_estimators=6, random_state=0).fit(X, y, sample_weight=weights)
    _check(model, X[:60])


@pytest.mark.parametrize("depth", [1, 3, 8])
@pytest.mark.parametrize("kind", ["binary", "regression"])
def test_gradient_boosting_equal_shap(kind, depth):
    X, y = _data(kind)
    factory = GradientBoostingRegressor if kind == "regression" else GradientBoostingClassifier
    weights = np.random.default_rng(7).uniform(0.5, 2.0, len(y))
    model = factory(n_estimators=15, max_depth=depth, random_state=0)
    _check(model.fit(X, y, sample_weight=weights), X[:60])


def test_multiclass_gradient_boosting_adds_up_to_decision_function():
    # shap's TreeExplainer refuses this model; the engine explains each class's trees
    X, y = _data("multiclass")
    model = GradientBoostingClassifier(n_estimators=10, max_depth=3, random_state=0).fit(X, y)
    values, _ = _engine(model, X[:60])
    assert values.shape == (60, X.shape[1], 3)
    _check(model, X[:60], compare_shap=False)


@pytest.mark.parametrize("max_depth", [2, None])
@pytest.mark.parametrize("kind", ["binary", "regression", "multiclass"])
def test_hist_gradient_boosting_with_missing_values_equal_shap(kind, max_depth):
    X, y = _data(kind, missing=True)
    factory = (
        HistGradientBoostingRegressor if kind == "regression" else HistGradientBoostingClassifier
    )
    model = factory(max_iter=15, max_depth=max_depth, random_state=0).fit(X, y)
    _check(model, X[:80])


def test_categorical_hist_gradient_boosting_is_left_to_others():
    X, y = _data("binary")
    X[:, 0] = np.round(np.abs(X[:, 0]) * 2) % 4
    model = HistGradientBoostingClassifier(max_iter=5, categorical_features=[0]).fit(X, y)
    assert tree_arrays(model) is None


def test_numba_cache_defaults_to_the_users_cache_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(trusted_cache.NUMBA_ENV, raising=False)
    monkeypatch.delenv(trusted_cache.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = trusted_cache.ensure_cache_dir()
    assert folder == tmp_path / "cache" / "whybox" / "numba"
    assert folder.is_dir()


def test_read_only_cache_is_copied_to_a_private_folder(tmp_path, monkeypatch):
    cache = tmp_path / "ro"
    (cache / "explainers_x").mkdir(parents=True)
    (cache / "explainers_x" / "k.nbi").write_bytes(b"index")
    monkeypatch.setenv(trusted_cache.NUMBA_ENV, str(cache))
    monkeypatch.setattr(trusted_cache, "_writable", lambda folder: folder != cache)
    monkeypatch.setattr(trusted_cache.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    folder = trusted_cache.ensure_cache_dir()
    assert folder.parent == tmp_path / "tmp"
    assert (folder / "explainers_x" / "k.nbi").read_bytes() == b"index"
