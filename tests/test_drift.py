"""Drift: PSI and tests against formulas and scipy, planted shifts found, no noise alarms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from explainers.drift import (
    attribution_drift,
    data_drift,
    drift_level,
    prediction_drift,
    psi,
)
from explainers.errors import DataValidationError
from explainers.results import Attribution

RNG = np.random.default_rng(0)


@pytest.fixture(scope="module")
def reference():
    n = 1000
    return pd.DataFrame(
        {
            "amount": RNG.lognormal(8, 0.5, n),
            "age": RNG.integers(19, 75, n),
            "purpose": RNG.choice(["car", "tv", "business"], n, p=[0.5, 0.3, 0.2]),
        }
    )


def test_psi_matches_formula():
    ref = RNG.normal(size=2000)
    cur = RNG.normal(0.3, 1.2, size=1500)
    edges = np.quantile(ref, np.linspace(0, 1, 11))[1:-1]
    r = np.bincount(np.searchsorted(edges, ref), minlength=10) / len(ref)
    c = np.bincount(np.searchsorted(edges, cur), minlength=10) / len(cur)
    assert psi(ref, cur) == pytest.approx(np.sum((c - r) * np.log(c / r)))


def test_categorical_psi_with_new_category_uses_epsilon():
    ref = ["a"] * 50 + ["b"] * 50
    cur = ["a"] * 50 + ["b"] * 40 + ["c"] * 10
    r, c = np.array([0.5, 0.5, 1e-4]), np.array([0.5, 0.4, 0.1])
    assert psi(ref, cur) == pytest.approx(np.sum((c - r) * np.log(c / r)))
    assert psi(ref, ref) == 0.0


def test_levels():
    assert [drift_level(v) for v in (0.05, 0.1, 0.2, 0.3)] == [
        "stable",
        "moderate",
        "moderate",
        "major",
    ]


def test_tests_match_scipy(reference):
    current = reference.sample(frac=0.6, random_state=1).assign(amount=lambda d: d.amount * 1.5)
    drift = data_drift(reference, current)
    amount = drift.feature("amount")
    ks = stats.ks_2samp(reference.amount, current.amount)
    assert amount.test == "Kolmogorov-Smirnov"
    assert amount.statistic == pytest.approx(ks.statistic)
    assert amount.p_value == pytest.approx(ks.pvalue)
    table = pd.crosstab(
        np.r_[np.zeros(len(reference)), np.ones(len(current))],
        np.r_[reference.purpose, current.purpose],
    )
    chi2, p, _, _ = stats.chi2_contingency(table.to_numpy())
    purpose = drift.feature("purpose")
    assert purpose.test == "chi-square"
    assert purpose.statistic == pytest.approx(chi2) and purpose.p_value == pytest.approx(p)
    assert amount.psi == pytest.approx(psi(reference.amount, current.amount))
    assert amount.reference_share.sum() == pytest.approx(1.0)


def test_shifted_feature_is_found(reference):
    current = reference.copy()
    current["amount"] = current["amount"] * 2
    drift = data_drift(reference, current)
    assert drift.features[0].feature == "amount" and drift.features[0].level == "major"
    assert [f.column for f in drift.findings if f.severity != "info"] == ["amount"]
    assert drift.findings[0].severity == "high"
    assert "from a mean of" in drift.findings[0].sentence
    assert drift.findings[0].title == "Major shift in Amount"  # named as every page names it
    named = data_drift(reference, current, display_names={"amount": "Credit amount"})
    assert named.findings[0].title == "Major shift in Credit amount"
    assert "'Credit amount'" in named.findings[0].sentence and named.features[0].feature == "amount"


def test_same_population_gives_no_warning(reference):
    drift = data_drift(reference.iloc[:500], reference.iloc[500:])
    assert [f.severity for f in drift.findings] == ["info"]


def test_small_samples_are_only_possible_shifts():
    ref = pd.DataFrame({"x": RNG.normal(size=25)})
    cur = pd.DataFrame({"x": RNG.normal(0.2, size=25)})
    drift = data_drift(ref, cur)
    assert drift.features[0].psi_noise > 0.5
    assert all(f.severity in {"low", "info"} for f in drift.findings)


def test_verdict_matches_the_finding_title():
    ref = RNG.beta(2, 2, 60)
    possible = prediction_drift(ref, RNG.beta(2, 3, 20), alpha=1e-12)
    assert possible.drift.level != "stable" and not possible.drift.significant
    assert possible.drift.verdict == "possible shift"
    assert possible.findings[0].title == "Possible shift in model prediction"
    major = prediction_drift(RNG.beta(2, 2, 800), RNG.beta(2, 5, 800))
    assert major.drift.significant and major.drift.verdict == "major shift"
    assert major.findings[0].title == "Major shift in model prediction"
    assert "p < 0.001" in major.findings[0].sentence


def test_bin_labels_are_rounded_but_distinct():
    scores = pd.DataFrame({"p": np.linspace(0.0, 1.0, 1001)})
    labels = data_drift(scores, scores).feature("p").bin_labels
    assert labels[:2] == ("≤ 0.1", "0.1 to 0.2") and labels[-1] == "> 0.9"
    close = pd.DataFrame({"p": np.r_[np.linspace(0.0094, 0.0131, 50), np.linspace(0.2, 0.9, 50)]})
    labels = data_drift(close, close).feature("p").bin_labels
    assert len(set(labels)) == len(labels)  # more decimals only where edges are close
    money = data_drift(pd.DataFrame({"m": np.arange(1000.0, 10000.0)}),
                       pd.DataFrame({"m": np.arange(1000.0, 10000.0)}))  # fmt: skip
    assert money.feature("m").bin_labels[0] == "≤ 1,899"  # edge 1,899.9: exact for whole numbers


def test_missing_column_and_no_shared_columns(reference):
    drift = data_drift(reference, reference.drop(columns="age").assign(extra=1))
    assert drift.missing_in_current == ("age",) and drift.new_in_current == ("extra",)
    assert any(f.title == "age is missing" and f.severity == "high" for f in drift.findings)
    with pytest.raises(DataValidationError, match="no columns in common"):
        data_drift(reference, pd.DataFrame({"other": [1]}))


def test_prediction_drift():
    ref = RNG.beta(2, 2, 800)
    shifted = prediction_drift(ref, RNG.beta(2, 5, 800))
    assert shifted.drift.level == "major" and shifted.findings[0].severity == "high"
    stable = prediction_drift(ref[:400], ref[400:])
    assert stable.findings[0].severity == "info"
    assert stable.drift.p_value == pytest.approx(stats.ks_2samp(ref[:400], ref[400:]).pvalue)


def test_attribution_drift():
    names = ["a", "b", "c", "d"]
    before = Attribution.from_values(RNG.normal(size=(200, 4)) * [4, 3, 2, 1], feature_names=names)
    after = Attribution.from_values(RNG.normal(size=(200, 4)) * [1, 3, 2, 4], feature_names=names)
    drift = attribution_drift(before, after)
    assert drift.feature_names == ("a", "b", "c", "d")
    np.testing.assert_allclose(drift.reference_mean_abs, np.abs(before.values).mean(axis=0))
    np.testing.assert_allclose(drift.current_mean_abs, np.abs(after.values).mean(axis=0))
    assert drift.reference_rank.tolist() == [1, 2, 3, 4]
    assert drift.current_rank.tolist() == [4, 2, 3, 1]
    assert drift.rank_change.tolist() == [-3, 0, 0, 3]
    assert {f.column for f in drift.findings} == {"a", "d"}
    named = attribution_drift(before, after, display_names={"a": "Amount"})
    assert "Amount matters less now" in {f.title for f in named.findings}
    same = attribution_drift(before, before)
    assert [f.severity for f in same.findings] == ["info"]


def test_attribution_drift_refuses_mismatch():
    a = Attribution.from_values(np.ones((3, 2)), feature_names=["x", "y"])
    with pytest.raises(DataValidationError, match="z"):
        attribution_drift(a, Attribution.from_values(np.ones((3, 2)), feature_names=["x", "z"]))
    with pytest.raises(DataValidationError, match="log-odds"):
        attribution_drift(
            a,
            Attribution.from_values(
                np.ones((3, 2)), feature_names=["x", "y"], output_space="log-odds"
            ),
        )
