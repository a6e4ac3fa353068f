"""LIME on the uploaded columns: signs follow the model, fit score reported."""

from __future__ import annotations

import numpy as np
import pandas as pd

from explainers.lime_attributions import explain_lime
from explainers.model_bundle import align_data, build_bundle
from tests.test_shap_attributions import _LinearBlackBox


def test_lime_signs_follow_a_linear_model(reg_data) -> None:
    X, _ = reg_data
    model = _LinearBlackBox(np.array([3.0, -2.0, 0.0, 0.0, 0.0, 0.0]), 1.0)
    bundle, X = align_data(build_bundle(model), X)
    high = X.index[(X["f0"] > X["f0"].quantile(0.8)) & (X["f1"] > X["f1"].quantile(0.8))]
    attribution = explain_lime(bundle, X.loc[high], X_reference=X, num_samples=2000)
    assert np.all(attribution.values[:, 0] > 0)  # high f0 raises the output
    assert np.all(attribution.values[:, 1] < 0)  # high f1 lowers it
    assert np.all(attribution.surrogate_score > 0.5)
    assert attribution.method.startswith("LIME") and not attribution.exact


def test_lime_handles_categories_and_missing_values(loan_frame) -> None:
    import joblib

    from tests.conftest import SAMPLES

    model = joblib.load(SAMPLES / "loan_model.joblib")  # our own bundled file
    bundle, X = align_data(build_bundle(model), loan_frame, target="creditability")
    X = X.copy()
    X.loc[X.index[:5], "credit_amount"] = np.nan
    rows = X.iloc[:3]
    first = explain_lime(bundle, rows, X_reference=X, random_state=3)
    again = explain_lime(bundle, rows, X_reference=X, random_state=3)
    np.testing.assert_array_equal(first.values, again.values)  # seeded: reproducible
    assert first.values.shape == (3, 20)
    assert first.output_space == "probability" and first.output_label == "probability of good"
    assert isinstance(first.data[0, 0], str) and pd.isna(first.data[0, 4])


def test_a_rows_lime_does_not_depend_on_the_rows_before_it(loan_frame) -> None:
    import joblib

    from tests.conftest import SAMPLES

    model = joblib.load(SAMPLES / "loan_model.joblib")  # our own bundled file
    bundle, X = align_data(build_bundle(model), loan_frame, target="creditability")
    together = explain_lime(bundle, X.iloc[:3], X_reference=X, num_samples=300)
    alone = explain_lime(bundle, X.iloc[[2]], X_reference=X, num_samples=300)
    np.testing.assert_array_equal(together.values[2], alone.values[0])
