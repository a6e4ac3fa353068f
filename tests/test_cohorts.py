"""Cohorts: conditions evaluated on a frame, errors and groups, the JSON round trip."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from explainers.cohorts import (
    BAD_COHORT_HINT,
    NO_SUBJECT_HINT,
    NO_SUCH_COLUMN_HINT,
    Cohort,
    Condition,
    cohort_caption,
    cohort_data,
    cohort_from_json,
    cohort_mask,
    cohorts_from_json,
    cohorts_to_json,
)
from explainers.errors import DataValidationError


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [22, 35, 28, np.nan, 61, 19],
            "housing": ["rent", "own", "rent", "rent", "free", "own"],
            "amount": [1000.0, 5000.0, 250.0, 800.0, 12000.0, 40.0],
        },
        index=[10, 11, 12, 13, 14, 15],
    )


def test_column_conditions_match_pandas(frame):
    young_renters = Cohort(
        "young renters",
        (
            Condition("column", "<", 30, column="age"),
            Condition("column", "in", ("rent",), column="housing"),
        ),
    )
    mask = cohort_mask(young_renters, cohort_data(frame))
    expected = ((frame["age"] < 30) & (frame["housing"] == "rent")).to_numpy()
    np.testing.assert_array_equal(mask, expected)
    assert mask.sum() == 2  # row 13 has no age: missing fails "<" unless missing=True


def test_missing_values_pass_only_when_asked(frame):
    lenient = Cohort("c", (Condition("column", "<", 30, column="age", missing=True),))
    assert cohort_mask(lenient, cohort_data(frame)).tolist() == [
        True, False, True, True, False, True,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("==", "own", [False, True, False, False, False, True]),
        ("!=", "own", [True, False, True, True, True, False]),
        ("not in", ("own", "free"), [True, False, True, True, False, False]),
        (">=", 1000, [True, True, False, False, True, False]),
        ("<=", 250, [False, False, True, False, False, True]),
    ],
)
def test_operators(frame, op, value, expected):
    column = "housing" if isinstance(value, (str, tuple)) else "amount"
    cohort = Cohort("c", (Condition("column", op, value, column=column),))
    assert cohort_mask(cohort, cohort_data(frame)).tolist() == expected


def test_prediction_error_outcome_and_group(frame):
    y_true = pd.Series(["good", "bad", "good", None, "bad", "good"], index=frame.index)
    predicted = np.array(["good", "good", "bad", "good", "bad", "good"], dtype=object)
    groups = {"sex": pd.Series(["f", "m", "f", "m", "m", "f"], index=frame.index)}
    data = cohort_data(frame, predictions=predicted, y_true=y_true, groups=groups)
    wrong = Cohort("wrong", (Condition("error", "==", True),))
    assert cohort_mask(wrong, data).tolist() == [False, True, True, False, False, False]
    refused_women = Cohort(
        "refused women",
        (Condition("prediction", "==", "bad"), Condition("group", "in", ("f",), column="sex")),
    )
    assert cohort_mask(refused_women, data).tolist() == [False, False, True, False, False, False]
    truly_bad = Cohort("truly bad", (Condition("outcome", "==", "bad"),))
    assert cohort_mask(truly_bad, data).tolist() == [False, True, False, False, True, False]


def test_regression_error_is_absolute(frame):
    y_true = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], index=frame.index)
    data = cohort_data(frame, predictions=[1.5, 2.0, 0.0, 4.1, 9.0, 6.0], y_true=y_true,
                       regression=True)  # fmt: skip
    big = Cohort("big misses", (Condition("error", ">", 1.0),))
    assert cohort_mask(big, data).tolist() == [False, False, True, False, True, False]


def test_json_round_trip_through_text(frame):
    cohorts = (
        Cohort("young renters", (Condition("column", "<", 30.0, column="age", missing=True),
                                 Condition("column", "in", ("rent",), column="housing"))),
        Cohort("wrong", (Condition("error", "==", True),)),
        Cohort("All rows"),
    )  # fmt: skip
    text = json.dumps({"cohorts": cohorts_to_json(cohorts)})
    back = cohorts_from_json(json.loads(text)["cohorts"])
    assert back == cohorts
    # integers in a hand-written file read as numbers
    assert cohort_from_json(
        {"name": "n", "conditions": [{"on": "column", "column": "age", "op": "<", "value": 30}]}
    ) == Cohort("n", (Condition("column", "<", 30.0, column="age"),))


@pytest.mark.parametrize(
    "raw",
    [
        [{"conditions": []}],
        [{"name": "x", "conditions": [{"on": "column", "column": "age", "op": "~", "value": 1}]}],
        [{"name": "x", "conditions": [{"on": "planet", "op": "==", "value": 1}]}],
        [{"name": "x", "conditions": [{"on": "column", "op": "==", "value": 1}]}],
        [{"name": "x", "conditions": [{"on": "column", "column": "a", "op": "<", "value": None}]}],
        [{"name": "x", "conditions": []}, {"name": "x", "conditions": []}],
        {"name": "not a list"},
    ],
)
def test_bad_json_is_refused_in_plain_words(raw):
    with pytest.raises(DataValidationError, match=re.escape(BAD_COHORT_HINT)):
        cohorts_from_json(raw)


def test_missing_column_and_missing_outcomes_are_explained(frame):
    with pytest.raises(DataValidationError, match=re.escape(NO_SUCH_COLUMN_HINT)):
        cohort_mask(Cohort("c", (Condition("column", "==", 1, column="nope"),)), cohort_data(frame))
    with pytest.raises(DataValidationError, match=re.escape(NO_SUBJECT_HINT)):
        cohort_mask(Cohort("c", (Condition("error", "==", True),)), cohort_data(frame))


def test_words(frame):
    cohort = Cohort(
        "young renters",
        (Condition("column", "<", 30, column="age"), Condition("error", "==", True)),
    )
    assert cohort.describe({"age": "Age (years)"}) == "Age (years) < 30 and the model is wrong"
    assert cohort_caption(cohort, 212, 1000) == "Showing cohort 'young renters': 212 of 1,000 rows."
