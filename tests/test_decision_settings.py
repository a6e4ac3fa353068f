"""Decision settings: the JSON file, its validation, the guesses for an upload, the demo's file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from explainers.decision_settings import (
    BOTH_DIRECTIONS,
    TOO_DEEP,
    DecisionSettings,
    check_settings,
    guess_settings,
    load_settings,
    settings_from_json,
)
from explainers.errors import DataValidationError
from sample_models import DEMOS
from tests.conftest import ROOT
from tests.datasets import income_like, titanic_like


def test_round_trip_keeps_every_key() -> None:
    settings = DEMOS["loan"].settings()
    assert settings_from_json(settings.to_json()) == settings
    assert settings.favourable == "good" and settings.unfavourable_text == "refused"
    assert "age_in_years" in settings.fixed and settings.directions == {}
    assert [g.name for g in settings.groups] == ["sex", "age band"]


def test_the_issues_example_reads() -> None:
    text = """{"favourable": "good", "favourable_text": "approved",
       "fixed": ["age", "personal_status_sex"], "increase_only": ["age"], "decrease_only": [],
       "sensitive": ["personal_status_sex"],
       "display_names": {"duration": "Loan duration (months)"}, "id_column": "application_id",
       "cohorts": [{"name": "young",
                    "conditions": [{"on": "column", "column": "age", "op": "<", "value": 25}]}]}"""
    settings = settings_from_json(text)
    assert settings.fixed == ("age", "personal_status_sex")
    assert settings.display_names == {"duration": "Loan duration (months)"}
    assert settings.cohorts[0].name == "young"
    assert settings.cohorts[0].conditions[0].value == 25
    assert json.loads(settings.to_json())["cohorts"][0]["name"] == "young"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{nope", "not valid JSON"),
        ("[1, 2]", "must be one JSON object"),
        ('{"favorable": "good"}', "unknown key 'favorable'"),
        ('{"fixed": "age"}', "key 'fixed' must be a list"),
        ('{"fixed": [1]}', "key 'fixed' must be a list of column names"),
        ('{"threshold": 2}', "key 'threshold' must be between 0 and 1"),
        ('{"favourable_text": ""}', "key 'favourable_text' must be a non-empty text"),
        ('{"display_names": {"a": 1}}', "key 'display_names' must be"),
        ('{"groups": [{"name": "g", "column": "a"}]}', "group 'g' must give either"),
        ('{"cohorts": [{"conditions": []}]}', "'name' and 'conditions'"),
        (
            '{"increase_only": ["age"], "decrease_only": ["age"]}',
            BOTH_DIRECTIONS.format(names="'age'"),
        ),
        ('{"cohorts":' + "[" * 100_000 + "]" * 100_000 + "}", TOO_DEEP),
    ],
)
def test_bad_files_name_the_key(text: str, message: str) -> None:
    with pytest.raises(DataValidationError, match=re.escape(message)):
        settings_from_json(text)


def test_settings_that_do_not_fit_the_data_name_the_key() -> None:
    frame = pd.DataFrame({"age": [30, 40], "job": ["a", "b"]})
    with pytest.raises(DataValidationError, match=re.escape("key 'fixed' names 'agee'")):
        check_settings(DecisionSettings(fixed=("agee",)), frame)
    with pytest.raises(DataValidationError, match=re.escape("'increase_only' names 'job'")):
        check_settings(DecisionSettings(increase_only=("job",)), frame)
    with pytest.raises(DataValidationError, match="favourable class is 'yes'"):
        check_settings(DecisionSettings(favourable="yes"), frame, output_labels=("0", "1"))
    check_settings(DecisionSettings(fixed=("age",), increase_only=("age",)), frame)


def test_load_settings_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataValidationError, match="Could not read the decision settings"):
        load_settings(tmp_path / "none.json")


def test_guesses_for_a_titanic_like_upload() -> None:
    frame = titanic_like()
    settings = guess_settings(frame, output_labels=("0", "1"), default_output=1, target="Survived")
    assert settings.favourable == "1"
    assert (settings.favourable_text, settings.unfavourable_text) == ("survived", "not survived")
    assert "1" not in settings.score_name and "score for" not in settings.score_name
    assert settings.fixed == ("Sex", "Age")
    assert settings.increase_only == ("Age",)
    assert settings.sensitive == ("Sex", "age band")
    assert settings.groups[0].column == "Age"
    assert settings.id_column == "PassengerId"
    assert settings.display_names["SibSp"] == "SibSp"
    check_settings(settings, frame, output_labels=("0", "1"))


def test_guesses_for_an_income_like_upload() -> None:
    frame = income_like()
    settings = guess_settings(
        frame, output_labels=("<=50K", ">50K"), default_output=1, target="income"
    )
    assert settings.favourable == ">50K"
    assert (settings.favourable_text, settings.unfavourable_text) == (">50K", "<=50K")
    assert set(settings.fixed) == {"age", "marital_status", "sex", "race", "native_country"}
    assert "hours_per_week" not in settings.fixed and "education_num" not in settings.fixed
    assert settings.display_names["hours_per_week"] == "Hours per week"
    assert settings.id_column is None


def test_guesses_pick_a_favourable_word_and_a_regression_wording() -> None:
    frame = pd.DataFrame({"x": [1, 2]})
    settings = guess_settings(frame, output_labels=("bad", "good"), default_output=1)
    assert (settings.favourable, settings.unfavourable_text) == ("good", "bad")
    settings = guess_settings(frame, output_labels=("approved", "denied"), default_output=1)
    assert settings.favourable == "approved"
    assert guess_settings(frame).favourable is None


def test_no_code_branches_on_the_demo() -> None:
    """The demo's knowledge lives in its settings file, not in code."""
    demo = r"""==\s*["']loan["']|DEMO_FIXED|DEMO_DIRECTIONS|personal_status_and_sex|age_in_years"""
    pattern = re.compile(demo)
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("explainers", "dashboard")
        for path in (ROOT / folder).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
