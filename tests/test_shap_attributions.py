"""SHAP attributions against exact values, per model family."""

from __future__ import annotations

import lightgbm
import numpy as np
import pandas as pd
import pytest
import shap
import xgboost
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from explainers.model_bundle import align_data, build_bundle
from explainers.shap_attributions import explain_shap
from tests.datasets import penguin_like


def _explain(model, X, **kwargs):
    bundle, X = align_data(build_bundle(model), X)
    return bundle, explain_shap(bundle, X, **kwargs)


def test_logistic_regression_matches_closed_form_and_shap(clf_data) -> None:
    X, y = clf_data
    model = LogisticRegression().fit(X, y)
    _, attribution = _explain(model, X, background=X)
    expected = model.coef_[0] * (X.to_numpy() - X.to_numpy().mean(axis=0))
    np.testing.assert_allclose(attribution.values, expected, rtol=1e-10, atol=1e-12)
    masker = shap.maskers.Independent(X.to_numpy(), max_samples=len(X))
    reference = shap.LinearExplainer(model, masker).shap_values(X.to_numpy())
    np.testing.assert_allclose(attribution.values, reference, atol=1e-8)
    np.testing.assert_allclose(attribution.output, model.decision_function(X), rtol=1e-6)
    assert attribution.method == "exact linear SHAP" and attribution.output_space == "log-odds"


def test_scaled_linear_pipeline_is_exact_in_original_columns(reg_data) -> None:
    X, y = reg_data
    model = make_pipeline(StandardScaler(), LinearRegression()).fit(X, y)
    _, attribution = _explain(model, X, background=X)
    scaler, linear = model[0], model[-1]
    expected = linear.coef_ / scaler.scale_ * (X.to_numpy() - X.to_numpy().mean(axis=0))
    np.testing.assert_allclose(attribution.values, expected, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(attribution.output, model.predict(X), rtol=1e-6)
    assert attribution.output_space == "raw"


def test_xgboost_regressor_matches_native_and_tree_explainer(reg_data) -> None:
    X, y = reg_data
    model = xgboost.XGBRegressor(n_estimators=30, max_depth=3).fit(X, y)
    _, attribution = _explain(model, X)
    native = model.get_booster().predict(xgboost.DMatrix(X), pred_contribs=True)
    # xgboost computes in float32, the engine in float64 on the same trees
    scale = np.abs(native).max()
    np.testing.assert_allclose(attribution.values, native[:, :-1], rtol=0, atol=1e-6 * scale)
    tree = shap.TreeExplainer(model).shap_values(X)
    np.testing.assert_allclose(attribution.values, tree, atol=1e-3)
    np.testing.assert_allclose(attribution.output, model.predict(X), rtol=1e-5)
    assert attribution.method == "TreeSHAP"  # the engine, on the same trees


def test_lightgbm_regressor_matches_tree_explainer(reg_data) -> None:
    X, y = reg_data
    model = lightgbm.LGBMRegressor(n_estimators=30, num_leaves=8, verbose=-1).fit(X, y)
    _, attribution = _explain(model, X)
    tree = shap.TreeExplainer(model).shap_values(X)
    np.testing.assert_allclose(attribution.values, tree, atol=1e-6)
    np.testing.assert_allclose(attribution.output, model.predict(X), rtol=1e-6)


def test_multiclass_hist_gradient_boosting_adds_up_per_class(multiclass_data) -> None:
    X, y = multiclass_data
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    bundle, _ = align_data(build_bundle(model), X)
    margins = model.decision_function(X)
    for k in range(3):
        attribution = explain_shap(bundle, X, output=k)
        np.testing.assert_allclose(attribution.output, margins[:, k], rtol=1e-6)
        assert attribution.output_label == f"log-odds of {bundle.class_labels[k]}"


def _penguin_pipeline() -> tuple[Pipeline, pd.DataFrame]:
    data = penguin_like()
    X = data.drop(columns=["species"])
    categorical = ["island", "sex"]
    numeric = [c for c in X.columns if c not in categorical]
    encode = ColumnTransformer(
        [
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
                ),
                categorical,
            ),
            ("num", SimpleImputer(strategy="median"), numeric),
        ]
    )
    model = Pipeline(
        [("encode", encode), ("forest", RandomForestClassifier(30, max_depth=5, random_state=0))]
    ).fit(X, data["species"])
    return model, X


def test_random_forest_pipeline_groups_one_hot_columns_back() -> None:
    model, X = _penguin_pipeline()
    bundle, attribution = _explain(model, X, output=0)
    assert attribution.feature_names == tuple(X.columns)
    assert attribution.output_space == "probability"
    np.testing.assert_allclose(attribution.output, model.predict_proba(X)[:, 0], atol=1e-9)
    # independent grouping by the encoder's own output names
    Z = model[:-1].transform(X)
    raw = shap.TreeExplainer(model[-1]).shap_values(Z)[:, :, 0]
    names = model[:-1].get_feature_names_out()
    for j, column in enumerate(X.columns):
        mask = np.array([n.split("__", 1)[1].startswith(column) for n in names])
        np.testing.assert_allclose(attribution.values[:, j], raw[:, mask].sum(axis=1), atol=1e-12)


class _LinearBlackBox:
    """A model shap cannot see inside (forces the model-agnostic path)."""

    def __init__(self, coef: np.ndarray, intercept: float) -> None:
        self.coef, self.intercept = coef, intercept

    def predict(self, X):
        return np.asarray(X, dtype=float) @ self.coef + self.intercept


def test_model_agnostic_path_is_exact_for_a_linear_black_box(reg_data) -> None:
    X, _ = reg_data
    model = _LinearBlackBox(np.arange(1.0, 7.0), 3.0)
    bundle, X = align_data(build_bundle(model), X)
    attribution = explain_shap(bundle, X.iloc[:20], background=X.iloc[:50])
    expected = model.coef * (X.iloc[:20].to_numpy() - X.iloc[:50].to_numpy().mean(axis=0))
    np.testing.assert_allclose(attribution.values, expected, atol=1e-8)
    assert attribution.method.startswith("PermutationSHAP") and not attribution.exact


def test_mlp_uses_permutation_shap_and_adds_up(clf_data) -> None:
    X, y = clf_data
    model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0).fit(X, y)
    _, attribution = _explain(model, X.iloc[:30])
    np.testing.assert_allclose(attribution.output, model.predict_proba(X.iloc[:30])[:, 1])
    assert attribution.output_space == "probability"
    assert attribution.background_size == 30


def test_binary_class_zero_is_the_negated_margin(clf_data) -> None:
    X, y = clf_data
    model = HistGradientBoostingClassifier(max_iter=10).fit(X, y)
    bundle, X = align_data(build_bundle(model), X)
    positive, negative = explain_shap(bundle, X, output=1), explain_shap(bundle, X, output=0)
    np.testing.assert_allclose(negative.values, -positive.values)


@pytest.mark.parametrize("method_prefix", ["TreeSHAP"])
def test_loan_demo_adds_up_for_every_row(loan_frame, method_prefix) -> None:
    import joblib

    from tests.conftest import SAMPLES

    model = joblib.load(SAMPLES / "loan_model.joblib")  # our own bundled file, not an upload
    bundle, X = align_data(build_bundle(model), loan_frame, target="creditability")
    attribution = explain_shap(bundle, X)
    assert attribution.values.shape == (1000, 20)
    assert attribution.method.startswith(method_prefix)
    np.testing.assert_allclose(attribution.output, model.decision_function(X), rtol=1e-6)


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_catboost_adds_up_to_its_raw_formula_value(multiclass_data, task) -> None:
    catboost = pytest.importorskip("catboost")
    X, y = multiclass_data
    if task == "regression":
        model = catboost.CatBoostRegressor(
            iterations=20, depth=3, verbose=0, allow_writing_files=False
        ).fit(X, y * 1.5)
    else:
        target = (y > 0).astype(int) if task == "binary" else y
        model = catboost.CatBoostClassifier(
            iterations=20, depth=3, verbose=0, allow_writing_files=False
        ).fit(X, target)
    bundle, X = align_data(build_bundle(model), X)
    raw = np.asarray(model.predict(X, prediction_type="RawFormulaVal"), dtype=float)
    raw = raw.reshape(len(X), -1)
    for k in range(raw.shape[1] if task == "multiclass" else 1):
        attribution = explain_shap(bundle, X, output=k if task == "multiclass" else None)
        np.testing.assert_allclose(attribution.output, raw[:, k], rtol=1e-6)
