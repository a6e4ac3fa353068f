"""Recourse: every option flips the decision and keeps to the rules."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from explainers.errors import DataValidationError
from explainers.recourse import (
    ALREADY_FAVOURABLE,
    FOUND,
    FOUND_ONE,
    NOTHING_ACTIONABLE,
    NOTHING_FOUND,
    RecourseResult,
    find_recourse,
)
from sample_models import DEMOS

GERMAN_COPIES = (
    Path(__file__).resolve().parents[1] / "sample_models" / "german_credit.csv",
    Path("/work/shared/data/german_credit.csv"),
)


@pytest.fixture(scope="module")
def synthetic() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 200
    return pd.DataFrame(
        {
            "amount": rng.integers(100, 5001, n),
            "duration": rng.integers(6, 61, n),
            "age": rng.integers(20, 71, n),
            "rate": rng.uniform(0.0, 1.0, n),
            "housing": rng.choice(["own", "rent", "free"], n),
            "sex": rng.choice(["f", "m"], n),
        }
    )


def synthetic_score(df: pd.DataFrame) -> np.ndarray:
    z = (
        -(df["amount"].to_numpy() - 2000) / 500
        - (df["duration"].to_numpy() - 24) / 10
        + 2.0 * (df["housing"].to_numpy() == "own")
        + (df["age"].to_numpy() - 40) / 10
        - 0.5 * df["rate"].to_numpy()
        - 1.0
    )
    return 1 / (1 + np.exp(-z))


REFUSED = pd.DataFrame(
    {
        "amount": [4000],
        "duration": [48],
        "age": [25],
        "rate": [0.9],
        "housing": ["rent"],
        "sex": ["f"],
    }
)


def check_options(
    result: RecourseResult,
    score,
    row: pd.DataFrame,
    X: pd.DataFrame,
    *,
    fixed=(),
    directions=None,
    threshold: float = 0.5,
) -> None:
    """Re-predict every option and check fixed features, directions and ranges."""
    directions = directions or {}
    feature_sets = [option.features for option in result.options]
    assert len(set(feature_sets)) == len(feature_sets), "options must differ in features"
    for option in result.options:
        assert option.changes, option
        assert not option.features & set(fixed), option
        changed = row.copy()
        for change in option.changes:
            assert change.from_value == row[change.feature].iloc[0]
            assert change.to_value != change.from_value
            changed[change.feature] = change.to_value
            column = X[change.feature]
            if pd.api.types.is_numeric_dtype(column):
                assert column.min() <= change.to_value <= column.max()
                direction = directions.get(change.feature, "any")
                if direction == "up":
                    assert change.to_value > change.from_value
                if direction == "down":
                    assert change.to_value < change.from_value
            else:
                assert change.to_value in set(column)
        assert (changed.dtypes == row.dtypes).all()
        new_score = score(changed)[0]
        assert new_score >= threshold
        assert new_score == pytest.approx(option.score)
        assert option.sentence.endswith(f"(needed: {threshold:.0%}).")


def test_options_flip_the_decision_and_respect_fixed_and_directions(synthetic) -> None:
    fixed = ("age", "sex")
    directions = {"duration": "down", "amount": "down"}
    result = find_recourse(synthetic_score, REFUSED, synthetic, fixed=fixed, directions=directions)
    assert result.original_score < 0.5
    assert 1 <= len(result.options) <= 3
    check_options(result, synthetic_score, REFUSED, synthetic, fixed=fixed, directions=directions)
    assert result.fixed == fixed
    assert result.n_evaluated > 0


def test_options_are_ranked_by_number_of_changes_then_cost(synthetic) -> None:
    result = find_recourse(synthetic_score, REFUSED, synthetic, fixed=("age", "sex"))
    keys = [(len(o.changes), o.cost) for o in result.options]
    assert keys == sorted(keys)
    assert result.options[0].cost > 0


def test_changes_are_small_not_extreme(synthetic) -> None:
    # Only the amount may change; the smallest flip is close to the boundary.
    fixed = ["duration", "age", "rate", "housing", "sex"]
    row = REFUSED.assign(duration=24, rate=0.0, housing="own", age=30)
    result = find_recourse(synthetic_score, row, synthetic, fixed=fixed)
    (option,) = result.options
    (change,) = option.changes
    # score >= 0.5 needs amount <= 2000 + 500 * (2 - 1 - 1) = 2000
    assert change.feature == "amount"
    assert 1800 <= change.to_value <= 2000
    assert isinstance(change.to_value, int)
    assert option.sentence.startswith("Lower amount from 4,000 to ")


def test_direction_up_only_is_respected(synthetic) -> None:
    # Age helps when it goes up; forbid everything else but age.
    fixed = ["amount", "duration", "rate", "housing", "sex"]
    row = REFUSED.assign(amount=2000, duration=24, housing="rent", rate=0.0)
    result = find_recourse(synthetic_score, row, synthetic, fixed=fixed, directions={"age": "up"})
    check_options(result, synthetic_score, row, synthetic, fixed=fixed, directions={"age": "up"})
    assert result.options[0].changes[0].to_value > 25
    blocked = find_recourse(
        synthetic_score, row, synthetic, fixed=fixed, directions={"age": "down"}
    )
    assert blocked.options == ()
    assert blocked.message == NOTHING_FOUND.format(max_changes=3)


def test_already_favourable_and_nothing_actionable(synthetic) -> None:
    good = REFUSED.assign(amount=500, duration=6, housing="own", age=60)
    assert find_recourse(synthetic_score, good, synthetic).message == ALREADY_FAVOURABLE
    everything = list(synthetic.columns)
    result = find_recourse(synthetic_score, REFUSED, synthetic, fixed=everything)
    assert result.options == ()
    assert result.message == NOTHING_ACTIONABLE


def test_max_options_and_max_changes(synthetic) -> None:
    result = find_recourse(
        synthetic_score, REFUSED, synthetic, fixed=("sex",), max_options=1, max_changes=2
    )
    assert len(result.options) == 1
    assert len(result.options[0].changes) <= 2
    assert result.message == FOUND_ONE == "1 option found; it was checked by predicting again."
    several = find_recourse(synthetic_score, REFUSED, synthetic, fixed=("sex",), max_options=3)
    assert len(several.options) > 1
    assert several.message == FOUND.format(n=len(several.options))
    assert "(s)" not in several.message


def test_deterministic_by_default(synthetic) -> None:
    first = find_recourse(synthetic_score, REFUSED, synthetic, fixed=("age", "sex"))
    second = find_recourse(synthetic_score, REFUSED, synthetic, fixed=("age", "sex"))
    assert first == second


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fixed": ["height"]}, "Unknown feature(s) in fixed: ['height']."),
        ({"directions": {"height": "up"}}, "Unknown feature(s) in directions: ['height']."),
        ({"directions": {"amount": "sideways"}}, "Direction for 'amount' must be one of"),
        ({"directions": {"housing": "up"}}, "'housing' is a category"),
    ],
)
def test_bad_options_are_refused(synthetic, kwargs, message) -> None:
    with pytest.raises(DataValidationError, match=re.escape(message)):
        find_recourse(synthetic_score, REFUSED, synthetic, **kwargs)


def test_bad_inputs_are_refused(synthetic) -> None:
    with pytest.raises(DataValidationError, match="Expected one row"):
        find_recourse(synthetic_score, synthetic.iloc[:2], synthetic)
    with pytest.raises(DataValidationError, match="same columns"):
        find_recourse(synthetic_score, REFUSED.drop(columns="sex"), synthetic)
    with pytest.raises(ValueError, match="threshold"):
        find_recourse(synthetic_score, REFUSED, synthetic, threshold=0.0)
    with pytest.raises(ValueError, match="max_options"):
        find_recourse(synthetic_score, REFUSED, synthetic, max_options=0)
    with pytest.raises(ValueError, match="predict_score returned"):
        find_recourse(lambda df: np.zeros(len(df) + 1), REFUSED, synthetic)


@pytest.fixture(scope="module")
def german():
    path = next((p for p in GERMAN_COPIES if p.exists()), None)
    if path is None:
        pytest.skip("the German credit data is not available")
    X = pd.read_csv(path)
    y = (X.pop("creditability") == "good").astype(int)
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    encoder = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore"), categorical)], remainder="passthrough"
    )
    model = make_pipeline(encoder, GradientBoostingClassifier(random_state=0)).fit(X, y)

    def score(frame: pd.DataFrame) -> np.ndarray:
        return model.predict_proba(frame)[:, 1]

    return X, score


LOAN_SETTINGS = DEMOS["loan"].settings()
DEMO_FIXED, DEMO_DIRECTIONS = LOAN_SETTINGS.fixed, LOAN_SETTINGS.directions


def test_german_credit_refused_applicants(german) -> None:
    X, score = german
    refused = np.flatnonzero(score(X) < 0.5)
    assert len(refused) > 50
    n_found = 0
    for i in refused[:8]:
        row = X.iloc[[i]]
        result = find_recourse(score, row, X, fixed=DEMO_FIXED, directions=DEMO_DIRECTIONS)
        check_options(result, score, row, X, fixed=DEMO_FIXED, directions=DEMO_DIRECTIONS)
        n_found += bool(result.options)
    assert n_found >= 7


def test_german_credit_age_unfixed_only_goes_up(german) -> None:
    X, score = german
    refused = np.flatnonzero(score(X) < 0.5)
    fixed = [c for c in X.columns if c not in ("age_in_years", "duration_in_month")]
    directions = dict(LOAN_SETTINGS.with_changes(fixed=()).directions)
    assert directions == {"age_in_years": "up"}
    for i in refused[:3]:
        row = X.iloc[[i]]
        result = find_recourse(score, row, X, fixed=fixed, directions=directions)
        check_options(result, score, row, X, fixed=fixed, directions=directions)


def test_category_changes_are_quoted_with_curly_quotes(synthetic) -> None:
    fixed = ["amount", "duration", "age", "rate", "sex"]
    row = REFUSED.assign(amount=2000, duration=24, age=40, rate=0.0)
    (option,) = find_recourse(synthetic_score, row, synthetic, fixed=fixed).options
    assert option.sentence.startswith("Change housing from “rent” to “own”; ")
    assert '"' not in option.sentence
