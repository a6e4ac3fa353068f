"""Plain-language reasons: points, ranking, wording."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from explainers.errors import DataValidationError
from explainers.naming import feature_label
from explainers.reasons import (
    POINTS_EXPLANATION,
    PROBABILITY_POINTS_EXPLANATION,
    RAW_UNITS_EXPLANATION,
    explain_in_words,
    format_value,
    load_display_names,
    to_probability_points,
)
from explainers.results import Attribution

NAMES = ["status_of_existing_checking_account", "duration_in_month", "credit_amount", "purpose"]
DATA = [["... < 0 DM", 48, 5951.0, "car (new)"]]


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def attribution(values, *, base=0.5, space="log-odds", data=DATA) -> Attribution:
    return Attribution.from_values(
        [values],
        base_values=base,
        data=data,
        feature_names=NAMES,
        output_space=space,
        output_label="probability of good",
    )


@pytest.mark.parametrize("seed", range(5))
def test_log_odds_points_add_up_to_probability_change_and_keep_signs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values, base = rng.normal(size=8), float(rng.normal())
    points = to_probability_points(values, base_value=base, output_space="log-odds")
    expected = (sigmoid(base + values.sum()) - sigmoid(base)) * 100
    assert points.sum() == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert np.array_equal(np.sign(points), np.sign(values))
    # a proportional split keeps the ratios between factors
    assert points / points[0] == pytest.approx(values / values[0])


def test_log_odds_points_with_zero_total_stay_finite() -> None:
    points = to_probability_points([0.5, -0.5], base_value=0.0, output_space="log-odds")
    assert points.sum() == pytest.approx(0.0)
    assert points == pytest.approx([12.5, -12.5])  # slope of the sigmoid at 0 is 1/4


def test_probability_and_raw_points() -> None:
    assert to_probability_points([0.12, -0.3], base_value=0.7, output_space="probability") == (
        pytest.approx([12.0, -30.0])
    )
    assert to_probability_points([3.5, -1.0], base_value=10, output_space="raw") == pytest.approx(
        [3.5, -1.0]
    )
    with pytest.raises(ValueError, match="output_space"):
        to_probability_points([1.0], base_value=0.0, output_space="odds")  # type: ignore[arg-type]


def test_sentences_follow_sign_and_rank_of_attributions() -> None:
    reasons = explain_in_words(
        attribution([-0.9, -0.3, 0.6, 0.1], base=0.2), 0, favourable_label="good", top_n=3
    )
    assert [r.feature for r in reasons.supporting] == ["credit_amount", "purpose"]
    assert [r.feature for r in reasons.against] == [NAMES[0], "duration_in_month"]
    assert all(
        r.points > 0 and " raised the approval score by " in r.sentence for r in reasons.supporting
    )
    assert all(
        r.points < 0 and " lowered the approval score by " in r.sentence for r in reasons.against
    )
    assert reasons.against[0].points < reasons.against[1].points
    assert reasons.points_explanation == POINTS_EXPLANATION.format(score_name="approval score")
    all_points = [r.points for r in reasons.supporting + reasons.against]
    assert sum(all_points) == pytest.approx(reasons.score - reasons.base_score)


def test_sentence_wording_uses_labels_display_names_and_rounded_points() -> None:
    reasons = explain_in_words(
        attribution([-0.12, 0.0, 0.0, 0.0], base=0.6, space="probability"),
        0,
        favourable_label="good",
        display_names={NAMES[0]: "Checking account"},
    )
    assert reasons.against[0].sentence == (
        "Checking account: below 0 DM lowered the approval score by 12 points."
    )
    assert reasons.supporting == ()
    assert reasons.points_explanation == PROBABILITY_POINTS_EXPLANATION.format(
        score_name="approval score"
    )


def test_refusal_gets_reason_codes_ordered_by_how_much_they_lowered_the_score() -> None:
    reasons = explain_in_words(
        attribution([-0.1, -0.25, 0.05, -0.02], base=0.6, space="probability"),
        0,
        favourable_label="good",
        top_n=3,
    )
    assert reasons.favourable is False
    assert reasons.score == pytest.approx(28.0)
    assert reasons.decision.startswith("The approval score is 28 out of 100, below the 50 needed")
    assert "not “good”" in reasons.decision
    assert '"' not in reasons.decision, "one kind of quotes only"
    assert [code.split(":")[0] for code in reasons.reason_codes] == [
        "Duration in month",
        "Status of existing checking account",
        "Purpose",
    ]
    assert reasons.reason_codes[0] == "Duration in month: 48 (25 points lower)"


def test_approval_has_no_reason_codes() -> None:
    reasons = explain_in_words(
        attribution([0.5, -0.2, 0.3, 0.0], base=0.0), 0, favourable_label="good"
    )
    assert reasons.favourable is True
    assert reasons.reason_codes == ()
    assert "so the outcome is “good”" in reasons.decision


def test_regression_keeps_units() -> None:
    reasons = explain_in_words(
        attribution([1200.0, -300.5, 0.0, 0.0], base=5000.0, space="raw"),
        0,
        favourable_label="higher",
    )
    assert reasons.favourable is None
    assert reasons.reason_codes == ()
    assert reasons.points_explanation == RAW_UNITS_EXPLANATION
    assert reasons.supporting[0].sentence == (
        "Status of existing checking account: below 0 DM raised the prediction by 1,200."
    )
    assert reasons.decision == "The model predicts 5,900 (the average case: 5,000)."


@pytest.mark.parametrize("space", ["probability", "log-odds"])
def test_other_models_speak_of_their_own_score(space: str) -> None:
    reasons = explain_in_words(
        attribution([-0.3, 0.1, 0.0, 0.0], base=0.4, space=space),
        0,
        favourable_label="bronze",
        score_name="score for “bronze”",
    )
    text = " ".join([reasons.decision, reasons.points_explanation, reasons.against[0].sentence])
    assert "approval" not in text
    assert "points on the score for “bronze”" in reasons.points_explanation
    assert reasons.decision.startswith("The score for “bronze” is ")
    assert reasons.decision.count("“") == reasons.decision.count("”") == 2


def test_scores_never_read_minus_zero() -> None:
    near_zero = Attribution.from_values(
        [[-0.3, 0.0, 0.0, 0.0]],
        base_values=0.3 - 1e-12,
        data=DATA,
        feature_names=NAMES,
        output_space="probability",
        output_label="probability of good",
    )
    reasons = explain_in_words(near_zero, 0, favourable_label="good")
    assert reasons.score < 0  # a rounding error just below zero
    assert "-0" not in reasons.decision
    assert reasons.decision.startswith("The approval score is 0 out of 100")


def test_bad_arguments() -> None:
    att = attribution([0.1, 0.2, 0.3, 0.4])
    with pytest.raises(IndexError):
        explain_in_words(att, 1, favourable_label="good")
    with pytest.raises(ValueError, match="top_n"):
        explain_in_words(att, 0, favourable_label="good", top_n=0)
    with pytest.raises(ValueError, match="threshold"):
        explain_in_words(att, 0, favourable_label="good", threshold=1.0)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (5951, "5,951"),
        (np.int64(48), "48"),
        (2.0, "2"),
        (0.123456789, "0.123"),
        (3.14159, "3.14"),
        (12345.678, "12,346"),
        (-0.0, "0"),
        (-0.2, "-0.2"),
        (float("nan"), "missing"),
        (None, "missing"),
        (True, "yes"),
        ("... < 0 DM", "below 0 DM"),
        ("0 <= ... < 200 DM", "0 to under 200 DM"),
        ("... >= 7 years", "7 years or more"),
        (
            "... >= 200 DM / salary assignments for at least 1 year",
            "200 DM or more / salary assignments for at least 1 year",
        ),
        ("car (new)", "car (new)"),
    ],
)
def test_format_value(value: object, text: str) -> None:
    assert format_value(value) == text


def test_feature_label() -> None:
    assert feature_label("duration_in_month") == "Duration in month"
    # short or abbreviated names are kept as written, not "Bmi" or "S6"
    assert [feature_label(name) for name in ("bmi", "s6", "BP", "s6_mean", "purpose")] == [
        "bmi",
        "s6",
        "BP",
        "s6 mean",
        "Purpose",
    ]
    assert feature_label("duration_in_month", {"duration_in_month": "Duration"}) == "Duration"


def test_load_display_names(tmp_path) -> None:
    path = tmp_path / "names.json"
    path.write_text(json.dumps({"credit_amount": "Credit amount"}), encoding="utf-8")
    assert load_display_names(path) == {"credit_amount": "Credit amount"}
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(DataValidationError, match=re.escape("must hold one JSON object")):
        load_display_names(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(DataValidationError, match="could not be read as JSON"):
        load_display_names(path)
    with pytest.raises(DataValidationError, match="could not be read"):
        load_display_names(tmp_path / "absent.json")


def test_multiclass_margins_are_reported_in_model_units_not_sigmoid_points() -> None:
    attribution = Attribution.from_values(
        [[1.2, -0.4]],
        feature_names=["a", "b"],
        output_space="log-odds",
        base_values=0.3,
        data=[[1, 2]],
        output_label="log-odds of setosa",
    )
    reasons = explain_in_words(attribution, 0, favourable_label="setosa", multiclass=True)
    assert reasons.favourable is None
    assert reasons.points_explanation == RAW_UNITS_EXPLANATION
    assert reasons.score == pytest.approx(1.1)
    assert [r.points for r in reasons.supporting] == [pytest.approx(1.2)]
