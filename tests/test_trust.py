"""Trust signals: SHAP vs LIME agreement, LIME fit and stability."""

from __future__ import annotations

import re

import numpy as np
import pytest

from explainers.errors import DataValidationError
from explainers.results import Attribution
from explainers.trust import assess_agreement, lime_stability

NAMES = ("checking", "duration", "amount", "savings", "age", "purpose")
VALUES = [0.8, -0.5, 0.3, -0.2, 0.1, 0.05]


def att(values, *, surrogate_score=None, space="log-odds") -> Attribution:
    base = Attribution.from_values([values], feature_names=NAMES, output_space=space)
    if surrogate_score is None:
        return base
    return Attribution(
        values=base.values,
        base_values=base.base_values,
        data=base.data,
        feature_names=NAMES,
        row_ids=(0,),
        method="LIME",
        exact=False,
        output_space=space,
        output_label="probability of good",
        surrogate_score=np.array([surrogate_score]),
    )


def test_identical_attributions_agree() -> None:
    report = assess_agreement(att(VALUES), att(VALUES), top_n=5)
    assert report.level == "agree"
    assert report.sign_agreement == 1.0
    assert report.spearman == pytest.approx(1.0)
    assert report.kendall == pytest.approx(1.0)
    assert report.opposite == ()
    assert report.verdict.startswith("The two methods agree")
    assert report.features == NAMES[:5]


def test_different_spaces_disagree_even_with_the_same_signs_and_ranks() -> None:
    lime = att([v / 4 for v in VALUES], space="probability", surrogate_score=0.8)
    report = assess_agreement(att(VALUES), lime, lime_stability=0.9)
    assert report.level == "disagree" and not report.same_units
    assert "SHAP is in log-odds, LIME in probability" in report.verdict
    assert report.surrogate_score == pytest.approx(0.8)


def test_same_signs_and_ranks_but_a_hundred_times_the_size_disagree() -> None:
    # the Poisson case: SHAP in log units converted or not, LIME's bars 100 times longer
    lime = att([v * 100 for v in VALUES], space="raw", surrogate_score=0.9)
    report = assess_agreement(att(VALUES, space="raw"), lime, lime_stability=0.9)
    assert report.level == "disagree"
    assert report.size_ratio == pytest.approx(100.0)
    assert "100.0 times" in report.verdict


def test_sizes_within_the_ratio_still_agree() -> None:
    lime = att([v * 1.5 for v in VALUES], space="raw", surrogate_score=0.9)
    report = assess_agreement(att(VALUES, space="raw"), lime, lime_stability=0.9)
    assert report.level == "agree" and report.size_ratio == pytest.approx(1.5)


def test_opposite_signs_disagree_naming_the_features() -> None:
    report = assess_agreement(att(VALUES), att([-v for v in VALUES]), top_n=3)
    assert report.level == "disagree"
    assert report.sign_agreement == 0.0
    assert set(report.opposite) == {"checking", "duration", "amount"}
    assert report.verdict.startswith("Treat with care: the methods disagree on ")
    for name in ("Checking", "Duration", "Amount"):
        assert name in report.verdict


def test_one_opposite_factor_calls_for_care_and_names_it() -> None:
    lime = list(VALUES)
    lime[2] = -0.3
    report = assess_agreement(
        att(VALUES), att(lime), top_n=5, display_names={"amount": "Credit amount"}
    )
    assert report.level == "care"
    assert report.opposite == ("amount",)
    assert "Credit amount (they push in opposite directions)" in report.verdict


def test_reversed_ranks_disagree() -> None:
    lime = [0.05, -0.1, 0.2, -0.3, 0.5, 0.8]
    report = assess_agreement(att(VALUES), att(lime), top_n=6)
    assert report.sign_agreement == 1.0
    assert report.spearman == pytest.approx(-1.0)
    assert report.level == "disagree"
    assert "how much each factor matters" in report.verdict


def test_weak_lime_fit_and_unstable_lime_call_for_care() -> None:
    weak = assess_agreement(att(VALUES), att(VALUES, surrogate_score=0.1))
    assert weak.level == "care"
    assert "LIME's local fit is weak (R² 0.10)" in weak.verdict
    unstable = assess_agreement(att(VALUES), att(VALUES), lime_stability=0.4)
    assert unstable.level == "care"
    assert "stability 0.40" in unstable.verdict


def test_bad_inputs() -> None:
    two_rows = Attribution.from_values([VALUES, VALUES], feature_names=NAMES)
    with pytest.raises(DataValidationError, match=re.escape("one-row SHAP explanation")):
        assess_agreement(two_rows, att(VALUES))
    other = Attribution.from_values([VALUES], feature_names=tuple(n + "_" for n in NAMES))
    with pytest.raises(DataValidationError, match="different features"):
        assess_agreement(att(VALUES), other)
    with pytest.raises(ValueError, match="top_n"):
        assess_agreement(att(VALUES), att(VALUES), top_n=0)


def test_lime_stability() -> None:
    assert lime_stability(lambda seed: np.array(VALUES)) == 1.0

    def noisy(seed: int) -> np.ndarray:
        return np.random.default_rng(seed).normal(size=20)

    assert 0.0 <= lime_stability(noisy, top_n=5) < 0.6
    flipping = lime_stability(lambda seed: np.array(VALUES) * (-1) ** seed, seeds=(0, 1), top_n=3)
    assert flipping == 0.0
    with pytest.raises(ValueError, match="two seeds"):
        lime_stability(lambda seed: np.array(VALUES), seeds=(0,))
    with pytest.raises(ValueError, match="expected"):
        lime_stability(lambda seed: np.zeros(3 + seed))


def test_lime_stability_on_real_lime() -> None:
    from lime.lime_tabular import LimeTabularExplainer
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    X, y = make_classification(n_samples=200, n_features=6, random_state=0)
    model = LogisticRegression().fit(X, y)

    def explain(seed: int) -> np.ndarray:
        explainer = LimeTabularExplainer(X, random_state=seed, discretize_continuous=False)
        exp = explainer.explain_instance(X[0], model.predict_proba, num_features=6, num_samples=500)
        out = np.zeros(6)
        for j, weight in exp.as_map()[1]:
            out[j] = weight
        return out

    assert lime_stability(explain, seeds=(0, 1, 2), top_n=3) >= 0.6
