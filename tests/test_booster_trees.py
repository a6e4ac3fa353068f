"""The engine on xgboost and lightgbm trees against the libraries' own contributions."""

from __future__ import annotations

import lightgbm
import numpy as np
import pandas as pd
import pytest
import xgboost
from sklearn.datasets import make_classification, make_regression

from explainers import booster_trees
from explainers.boosters import LightGBMBooster, XGBoostBooster

# the libraries compute in float32: values agree to its rounding over a few hundred trees
FLOAT32 = 2e-5


def _data(kind: str, *, missing: bool = False, n: int = 500) -> tuple[pd.DataFrame, np.ndarray]:
    if kind == "regression":
        X, y = make_regression(n_samples=n, n_features=6, noise=2.0, random_state=1)
    else:
        X, y = make_classification(
            n_samples=n, n_features=6, n_informative=4, n_classes=3 if kind == "multiclass" else 2,
            random_state=2,
        )  # fmt: skip
    if missing:
        X = X.copy()
        X[np.random.default_rng(3).random(X.shape) < 0.2] = np.nan
    return pd.DataFrame(X, columns=[f"f{j}" for j in range(6)]), y


def _xgb_native(model, X, rounds=0):
    booster = model.get_booster() if hasattr(model, "get_booster") else model
    out = booster.predict(xgboost.DMatrix(X), pred_contribs=True, iteration_range=(0, rounds))
    return np.asarray(out, np.float64)


def _same(engine, native):
    assert engine is not None
    native = native.reshape(engine.shape)
    scale = max(1.0, float(np.abs(native).max()))
    assert np.abs(engine - native).max() <= FLOAT32 * scale


@pytest.mark.parametrize("missing", [False, True])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_xgboost_contributions_equal_the_librarys(kind, missing):
    X, y = _data(kind, missing=missing)
    factory = xgboost.XGBRegressor if kind == "regression" else xgboost.XGBClassifier
    model = factory(n_estimators=40, max_depth=5, random_state=0).fit(X, y)
    engine = booster_trees.engine_contributions(
        model, model.get_booster(), X, lambda rows: _xgb_native(model, rows)
    )
    _same(engine, _xgb_native(model, X))


def test_xgboost_uses_only_the_rounds_it_is_given():
    X, y = _data("binary")
    booster = xgboost.train({"max_depth": 4}, xgboost.DMatrix(X, label=y), num_boost_round=30)
    model = XGBoostBooster(booster)
    engine = booster_trees.engine_contributions(
        model, booster, X, lambda rows: _xgb_native(booster, rows, 12), n_rounds=12
    )
    _same(engine, _xgb_native(booster, X, 12))
    assert not np.allclose(engine, _xgb_native(booster, X).reshape(engine.shape), atol=1e-3)


def test_xgboost_random_forest_mode_and_dart_fall_back_or_agree():
    X, y = _data("regression")
    forest = xgboost.XGBRFRegressor(n_estimators=10, max_depth=4, random_state=0).fit(X, y)
    engine = booster_trees.engine_contributions(
        forest, forest.get_booster(), X, lambda rows: _xgb_native(forest, rows)
    )
    _same(engine, _xgb_native(forest, X))
    dart = xgboost.XGBRegressor(n_estimators=10, booster="dart", rate_drop=0.3).fit(X, y)
    assert booster_trees.xgboost_arrays(dart.get_booster(), 0) is None


def test_categorical_splits_are_left_to_the_library():
    X, y = _data("binary")
    X["f0"] = pd.Categorical(np.where(X["f0"] > 0, "a", "b"))
    model = xgboost.XGBClassifier(n_estimators=5, enable_categorical=True, tree_method="hist")
    model.fit(X, y)
    assert booster_trees.engine_contributions(model, model.get_booster(), X, None) is None


@pytest.mark.parametrize("missing", [False, True])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_lightgbm_contributions_equal_the_librarys(kind, missing):
    X, y = _data(kind, missing=missing)
    factory = lightgbm.LGBMRegressor if kind == "regression" else lightgbm.LGBMClassifier
    model = factory(n_estimators=40, num_leaves=15, verbose=-1, random_state=0).fit(X, y)

    def native(rows):
        return np.asarray(model.predict(rows, pred_contrib=True), np.float64)

    engine = booster_trees.engine_contributions(model, model.booster_, X, native)
    _same(engine, native(X))


def test_lightgbm_missing_values_read_as_zero_are_left_to_the_library():
    X, y = _data("binary")
    model = lightgbm.LGBMClassifier(n_estimators=10, verbose=-1).fit(X, y)  # no NaN: type None
    holes = X.copy()
    holes.iloc[0, 0] = np.nan
    engine = booster_trees.engine_contributions(
        model, model.booster_, holes, lambda rows: model.predict(rows, pred_contrib=True)
    )
    assert engine is None


def test_lightgbm_early_stopping_explains_the_best_iteration():
    X, y = _data("binary")
    booster = lightgbm.train(
        {"objective": "binary", "verbose": -1, "num_leaves": 8},
        lightgbm.Dataset(X[:400], y[:400]),
        num_boost_round=200,
        valid_sets=[lightgbm.Dataset(X[400:], y[400:])],
        callbacks=[lightgbm.early_stopping(5, verbose=False)],
    )
    assert 0 < booster.best_iteration < 200
    model = LightGBMBooster(booster)
    engine = booster_trees.engine_contributions(model, booster, X, model.contributions)
    _same(engine, model.contributions(X))
