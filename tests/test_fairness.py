"""Fairness numbers against fairlearn, findings, group attributions and helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.metrics import accuracy_score

from explainers.decision_settings import DerivedGroup
from explainers.errors import DataValidationError
from explainers.fairness import (
    attribution_by_group,
    group_fairness,
)
from explainers.results import Attribution

RNG = np.random.default_rng(0)
N = 400


@pytest.fixture(scope="module")
def biased():
    group = pd.Series(RNG.choice(["female", "male"], N, p=[0.35, 0.65]), name="sex")
    y_true = RNG.integers(0, 2, N)
    approve_chance = np.where(group == "male", 0.75, 0.45)
    y_pred = (RNG.random(N) < approve_chance).astype(int)
    return y_true, y_pred, group


def test_numbers_match_fairlearn(biased):
    y_true, y_pred, group = biased
    result = group_fairness(y_true, y_pred, group)
    frame = MetricFrame(
        metrics={
            "sr": selection_rate,
            "tpr": true_positive_rate,
            "fpr": false_positive_rate,
            "acc": accuracy_score,
        },
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=group,
    ).by_group
    assert result.groups == ("female", "male")
    np.testing.assert_allclose(result.selection_rate, frame["sr"])
    np.testing.assert_allclose(result.true_positive_rate, frame["tpr"])
    np.testing.assert_allclose(result.false_positive_rate, frame["fpr"])
    np.testing.assert_allclose(result.accuracy, frame["acc"])
    np.testing.assert_array_equal(result.count, group.value_counts().sort_index())
    kw = {"sensitive_features": group}
    assert result.demographic_parity_difference == pytest.approx(
        demographic_parity_difference(y_true, y_pred, **kw)
    )
    assert result.demographic_parity_ratio == pytest.approx(
        demographic_parity_ratio(y_true, y_pred, **kw)
    )
    assert result.equalized_odds_difference == pytest.approx(
        equalized_odds_difference(y_true, y_pred, **kw)
    )


def test_four_fifths_failure_is_a_high_finding(biased):
    result = group_fairness(*biased)
    assert not result.passes_four_fifths
    top = result.findings[0]
    assert top.severity == "high"
    assert "four-fifths" in top.sentence and "'female'" in top.sentence


def test_fair_predictions_pass():
    group = pd.Series(np.repeat(["a", "b"], 200), name="g")
    y_true = np.tile([0, 1], 200)
    result = group_fairness(y_true, y_true, group)
    assert result.passes_four_fifths
    assert result.equalized_odds_difference == 0.0
    assert all(f.severity == "info" for f in result.findings)


def test_string_labels_without_target():
    group = pd.Series(["a", "a", "b", "b", "b"], name="g")
    result = group_fairness(
        None, ["good", "bad", "good", "good", "bad"], group, positive_label="good", min_group_size=1
    )
    assert not result.has_target
    assert result.true_positive_rate is None and result.equalized_odds_difference is None
    np.testing.assert_allclose(result.selection_rate, [0.5, 2 / 3])


def test_small_groups_are_flagged(biased):
    y_true, y_pred, group = biased
    group = group.copy()
    group.iloc[:10] = "other"
    result = group_fairness(y_true, y_pred, group)
    assert result.small_groups == ("other",)
    small = [f for f in result.findings if f.title == "Small group: other"]
    assert small and "Only 10 rows" in small[0].sentence


def test_undefined_rates_are_nan():
    group = pd.Series(["a"] * 40 + ["b"] * 40, name="g")
    y_true = np.r_[np.tile([0, 1], 20), np.zeros(40, int)]
    y_pred = y_true.copy()
    result = group_fairness(y_true, y_pred, group)
    assert np.isnan(result.true_positive_rate[1])
    assert any("cannot be measured" in f.title for f in result.findings)


def test_bad_input():
    with pytest.raises(DataValidationError, match="same group"):
        group_fairness([0, 1], [0, 1], pd.Series(["a", "a"], name="g"))
    with pytest.raises(DataValidationError, match="3 rows"):
        group_fairness([0, 1], [0, 1], pd.Series(["a", "b", "a"], name="g"))


def test_attribution_by_group_finds_driver():
    group = pd.Series(np.repeat(["f", "m"], 100), name="sex")
    values = RNG.normal(0, 0.05, (200, 3))
    values[:, 2] += np.where(group == "m", 0.2, -0.1)
    attribution = Attribution.from_values(values, feature_names=["age", "amount", "job"])
    result = attribution_by_group(attribution, group)
    assert result.feature_names[0] == "job"
    assert result.mean[:, 0] == pytest.approx([values[:100, 2].mean(), values[100:, 2].mean()])
    np.testing.assert_array_equal(result.count, [100, 100])
    assert "'job'" in result.findings[0].sentence
    named = attribution_by_group(attribution, group, display_names={"job": "Job type"})
    assert named.feature_names[0] == "job"  # the result keeps column names
    assert "'Job type'" in named.findings[0].sentence and "'job'" not in named.findings[0].sentence
    with pytest.raises(DataValidationError):
        attribution_by_group(attribution, group.iloc[:50])


def test_age_bands_keep_order():
    group = DerivedGroup(name="age band", column="age", bands=(25, 35, 50, 65))
    bands = group.derive(pd.DataFrame({"age": [19, 25, 34, 35, 64, 65, None]}))
    assert bands.tolist()[:6] == ["under 25", "25-34", "25-34", "35-49", "50-64", "65 and over"]
    assert pd.isna(bands.iloc[6]) and bands.name == "age band"
    result = group_fairness(None, [1, 0, 1, 1, 0, 1, 1], bands, min_group_size=1)
    assert result.groups == ("under 25", "25-34", "35-49", "50-64", "65 and over", "missing")
    with pytest.raises(DataValidationError, match="not numeric"):
        group.derive(pd.DataFrame({"age": ["young"]}))


def test_text_before_a_separator():
    column = pd.Series(
        ["male : single", "female : divorced/separated/married", "male : married/widowed", None],
    )
    group = DerivedGroup(name="sex", column="personal_status_and_sex", text_before=":")
    sex = group.derive(pd.DataFrame({"personal_status_and_sex": column}))
    assert sex.tolist()[:3] == ["male", "female", "male"] and pd.isna(sex.iloc[3])
    assert sex.name == "sex"
    with pytest.raises(DataValidationError, match="'personal_status_and_sex'"):
        group.derive(pd.DataFrame({"x": ["single"]}))


def test_equal_rates_name_no_group_twice():
    group = pd.Series(np.repeat(["female", "male"], 50), name="sex")
    result = group_fairness(None, np.tile([1, 0], 50), group)
    sentence = result.findings[0].sentence
    assert "every group is approved 50% of the time" in sentence
    assert "'female'" not in sentence and "'male'" not in sentence
