"""Plain-language reasons for one decision, written from its attributions.

The wording is generated here from feature names, values and category labels
(optionally with human-readable names from a small JSON mapping); nothing is
sent to an outside service. Attributions are turned into *points* once, by
:func:`to_probability_points`, and every sentence speaks in those points.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from explainers.errors import DataValidationError
from explainers.naming import feature_label
from explainers.results import OUTPUT_SPACES, Attribution, FloatArray, OutputSpace

POINTS_EXPLANATION = (
    "Points are points on the {score_name}, which runs from 0 to 100 (the model's probability "
    "times 100). The model works in log-odds, so each factor's log-odds contribution was scaled "
    "by the same factor (a proportional split) so that all factors together add up exactly to "
    "the difference between this case's score and the average case's score."
)
PROBABILITY_POINTS_EXPLANATION = (
    "Points are points on the {score_name}, which runs from 0 to 100: each factor's "
    "contribution to the model's probability, multiplied by 100. Together they add up to the "
    "difference between this case's score and the average case's score."
)
RAW_UNITS_EXPLANATION = (
    "Contributions are in the model's own output units. Together they add up to the "
    "difference between this case's prediction and the average prediction."
)
LOG_UNITS_EXPLANATION = (
    "Contributions are in the prediction's own units. The model works in log units (it "
    "predicts the exponential of a sum, a log link), so each factor's log contribution was "
    "scaled by the same factor (a proportional split) so that all factors together add up "
    "exactly to the difference between this case's prediction and the average case's."
)
MARGIN_EXPLANATION = (
    "This classifier gives no probabilities: contributions are in its decision-score "
    "units, where a positive score means the class explained. Together they add up to the "
    "difference between this case's score and the average case's."
)

_BAD_INDEX = "Row position {position} is out of range: the explanation has {n_rows} rows."
_BAD_SPACE = "output_space must be one of {expected}, got {got!r}."
_BAD_TOP_N = "top_n must be at least 1, got {top_n}."
_BAD_THRESHOLD = "threshold must be strictly between 0 and 1, got {threshold}."
_UNREADABLE_NAMES = "The display-name file {path} could not be read as JSON."
_BAD_NAMES = (
    "The display-name file {path} must hold one JSON object mapping column names to "
    "human-readable names (text to text)."
)
_NAMES_HINT = 'Write it like {"credit_amount": "Credit amount"}.'

# Category labels of the German credit data write the value as "...":
# "... < 0 DM", "0 <= ... < 200 DM", "... >= 7 years".
_BELOW = re.compile(r"^\.\.\.\s*<\s*(.+)$")
_AT_LEAST = re.compile(r"^\.\.\.\s*>=\s*([-\d.,]+(?:\s+[A-Za-z]+)?)(.*)$")
_BETWEEN = re.compile(r"^([-\d.,]+)\s*<=\s*\.\.\.\s*<\s*(.+)$")


@dataclass(frozen=True, slots=True)
class Reason:
    """One factor of a decision, in words.

    Parameters
    ----------
    feature : str
        The column name.
    display_name : str
        The human-readable name used in the sentence.
    value_text : str
        The case's value of the feature, as text.
    points : float
        Signed contribution in points (probability points, or output units
        for regression); positive raised the score.
    sentence : str
        E.g. ``"Checking account: below 0 DM lowered the approval score by 12 points."``
    """

    feature: str
    display_name: str
    value_text: str
    points: float
    sentence: str


@dataclass(frozen=True, slots=True)
class Reasons:
    """The plain-language explanation of one decision.

    Parameters
    ----------
    decision : str
        One sentence stating the score and the outcome.
    favourable : bool or None
        Whether the outcome is the favourable one; None for regression.
    score : float
        The case's score: probability x 100, or the raw prediction.
    base_score : float
        The average case's score on the same scale.
    supporting : tuple of Reason
        Factors that raised the score, largest first (at most ``top_n``).
    against : tuple of Reason
        Factors that lowered the score, largest first (at most ``top_n``).
    reason_codes : tuple of str
        For a refusal, the principal reasons against, ordered by how much
        they lowered the score; empty otherwise.
    points_explanation : str
        How the points were computed, to be stated once next to the reasons.
    """

    decision: str
    favourable: bool | None
    score: float
    base_score: float
    supporting: tuple[Reason, ...]
    against: tuple[Reason, ...]
    reason_codes: tuple[str, ...]
    points_explanation: str


def to_probability_points(
    values: npt.ArrayLike, *, base_value: float, output_space: OutputSpace
) -> FloatArray:
    """Turn one row's attributions into points a non-specialist can read.

    Parameters
    ----------
    values : array of shape (n_features,)
        The row's attributions in ``output_space``.
    base_value : float
        The row's base value in ``output_space``.
    output_space : {"probability", "log-odds", "margin", "raw", "log"}
        ``"log-odds"``: scaled proportionally so the points add up exactly to
        ``(p - p_base) * 100`` with ``p = sigmoid(base_value + sum(values))``
        (see :data:`POINTS_EXPLANATION`); signs are kept, because the sigmoid
        is increasing. ``"log"``: the same proportional split onto
        ``exp(base_value + sum(values)) - exp(base_value)``, in the prediction's
        units. ``"probability"``: ``values * 100``. ``"raw"`` and ``"margin"``:
        the values unchanged, in the model's units.

    Returns
    -------
    array of shape (n_features,)

    Raises
    ------
    ValueError
        If ``output_space`` is not one of the output spaces.

    Examples
    --------
    >>> to_probability_points([1.0, -0.5], base_value=0.0, output_space="probability")
    array([100., -50.])
    """
    if output_space not in OUTPUT_SPACES:
        raise ValueError(_BAD_SPACE.format(expected=sorted(OUTPUT_SPACES), got=output_space))
    vals = np.asarray(values, dtype=np.float64)
    if output_space == "probability":
        out: FloatArray = vals * 100.0
        return out
    if output_space in ("raw", "margin"):
        return vals.copy()
    total = float(vals.sum())
    if output_space == "log":
        y_base = math.exp(base_value)
        # the limit of (exp(b + s) - exp(b)) / s as s -> 0 is exp(b)
        scale = y_base if abs(total) < 1e-12 else (math.exp(base_value + total) - y_base) / total
        log_scaled: FloatArray = vals * scale
        return log_scaled
    p_base = _sigmoid(base_value)
    if abs(total) < 1e-12:
        # The limit of (sigmoid(b + s) - sigmoid(b)) / s as s -> 0.
        scale = p_base * (1.0 - p_base)
    else:
        scale = (_sigmoid(base_value + total) - p_base) / total
    scaled: FloatArray = vals * (scale * 100.0)
    return scaled


def explain_in_words(
    attribution: Attribution,
    position: int,
    *,
    display_names: Mapping[str, str] | None = None,
    favourable_label: str,
    unfavourable_label: str | None = None,
    top_n: int = 3,
    threshold: float = 0.5,
    score_name: str = "approval score",
    multiclass: bool = False,
) -> Reasons:
    """Write the reasons for one row's decision as sentences.

    The attribution must explain the score of the favourable outcome (for
    the demo, the probability of ``"good"``), as whybox's SHAP and LIME
    layers do for the positive class.

    Parameters
    ----------
    attribution : Attribution
        Attributions of one or more rows.
    position : int
        Row position within ``attribution``.
    display_names : mapping of str to str, optional
        Human-readable feature names; other columns are written from their
        column name ("duration_in_month" -> "Duration in month").
    favourable_label : str
        The wording of the favourable outcome, e.g. ``"approved"`` (the
        decision settings' ``favourable_text``).
    unfavourable_label : str, optional
        The wording of the other outcome, e.g. ``"refused"``; defaults to
        ``not “<favourable_label>”``.
    top_n : int, default 3
        Most factors listed on each side, and most reason codes.
    multiclass : bool, default False
        Whether the model has more than two classes. A multiclass model's
        log-odds are one class's softmax margin, which a sigmoid does not turn
        into that class's probability, so they are then reported in the
        model's own units rather than as points of a probability.
    threshold : float, default 0.5
        Probability at or above which the outcome is favourable
        (classification only).
    score_name : str, default "approval score"
        What the score is called in sentences.

    Returns
    -------
    Reasons

    Raises
    ------
    IndexError
        If ``position`` is not a row of ``attribution``.
    ValueError
        If ``top_n`` < 1 or ``threshold`` is not in (0, 1).

    Examples
    --------
    >>> att = Attribution.from_values(
    ...     [[-0.4, 0.1]], feature_names=["loan_duration", "amount"],
    ...     output_space="probability", base_values=0.7, data=[[48, 5951]])
    >>> explain_in_words(att, 0, favourable_label="good").against[0].sentence
    'Loan duration: 48 lowered the approval score by 40 points.'
    """
    if not 0 <= position < attribution.n_rows:
        raise IndexError(_BAD_INDEX.format(position=position, n_rows=attribution.n_rows))
    if top_n < 1:
        raise ValueError(_BAD_TOP_N.format(top_n=top_n))
    if not 0.0 < threshold < 1.0:
        raise ValueError(_BAD_THRESHOLD.format(threshold=threshold))
    space = attribution.output_space
    if space == "log-odds" and multiclass:
        space = "raw"
    base_value = float(attribution.base_values[position])
    points = to_probability_points(
        attribution.values[position], base_value=base_value, output_space=space
    )
    output = float(attribution.output[position])
    if space in ("raw", "margin", "log"):
        score, base_score, favourable = output, base_value, None
        points_explanation = {"margin": MARGIN_EXPLANATION, "raw": RAW_UNITS_EXPLANATION}.get(
            space, LOG_UNITS_EXPLANATION
        )
        if space == "log":
            score, base_score = math.exp(output), math.exp(base_value)
    else:
        to_prob = _sigmoid if space == "log-odds" else float
        score, base_score = 100.0 * to_prob(output), 100.0 * to_prob(base_value)
        favourable = score >= 100.0 * threshold
        template = POINTS_EXPLANATION if space == "log-odds" else PROBABILITY_POINTS_EXPLANATION
        points_explanation = template.format(score_name=score_name)

    order = np.argsort(-np.abs(points), kind="stable")
    supporting: list[Reason] = []
    against: list[Reason] = []
    for j in order:
        if points[j] == 0.0:
            continue
        side = supporting if points[j] > 0 else against
        if len(side) < top_n:
            side.append(
                _reason(
                    attribution,
                    position,
                    int(j),
                    float(points[j]),
                    display_names,
                    score_name=score_name,
                    raw=space in ("raw", "margin", "log"),
                )
            )

    reason_codes: tuple[str, ...] = ()
    if favourable is False:
        reason_codes = tuple(
            f"{r.display_name}: {r.value_text} ({_amount(-r.points, raw=False)} lower)"
            for r in against
        )
    decision = _decision_sentence(
        score,
        base_score,
        favourable,
        favourable_label=favourable_label,
        unfavourable_label=unfavourable_label,
        threshold=threshold,
        score_name=score_name,
    )
    return Reasons(
        decision=decision,
        favourable=favourable,
        score=score,
        base_score=base_score,
        supporting=tuple(supporting),
        against=tuple(against),
        reason_codes=reason_codes,
        points_explanation=points_explanation,
    )


def load_display_names(path: str | Path) -> dict[str, str]:
    """Read a JSON mapping ``{column: human-readable name}``.

    Parameters
    ----------
    path : str or Path
        A JSON file holding one object whose keys and values are text.

    Returns
    -------
    dict of str to str

    Raises
    ------
    DataValidationError
        If the file cannot be read, is not JSON, or is not a text-to-text object.
    """
    try:
        content = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataValidationError(_UNREADABLE_NAMES.format(path=path), _NAMES_HINT) from exc
    if not isinstance(content, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in content.items()
    ):
        raise DataValidationError(_BAD_NAMES.format(path=path), _NAMES_HINT)
    return dict(content)


def format_value(value: object) -> str:
    """Write a feature value as short text.

    Categories are given as their label, with interval labels of the form
    ``"... < 0 DM"`` read out ("below 0 DM"); numbers get thousands
    separators and at most a few significant decimals.

    Examples
    --------
    >>> format_value(5951), format_value(0.123456), format_value("0 <= ... < 200 DM")
    ('5,951', '0.123', '0 to under 200 DM')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "missing"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return _format_float(float(value))
    text = str(value).strip()
    if match := _BETWEEN.match(text):
        return f"{match[1]} to under {match[2].strip()}"
    if match := _BELOW.match(text):
        return f"below {match[1].strip()}"
    if match := _AT_LEAST.match(text):
        return f"{match[1].strip()} or more{match[2]}"
    return text


def _format_float(value: float) -> str:
    if math.isinf(value):
        return "infinite" if value > 0 else "minus infinite"
    if value.is_integer() or abs(value) >= 100:
        return _rounded(value, 0)
    if abs(value) >= 1:
        return _rounded(value, 2).rstrip("0").rstrip(".")
    return f"{value + 0.0:.3g}"


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _amount(points: float, *, raw: bool) -> str:
    size = abs(points)
    if raw:
        return _format_float(size)
    if size >= 0.95:
        rounded = round(size)
        return f"{rounded} point" if rounded == 1 else f"{rounded} points"
    if size >= 0.05:
        return f"{size:.1f} points"
    return "less than 0.1 points"


def _reason(
    attribution: Attribution,
    position: int,
    j: int,
    points: float,
    display_names: Mapping[str, str] | None,
    *,
    score_name: str,
    raw: bool,
) -> Reason:
    feature = attribution.feature_names[j]
    name = feature_label(feature, display_names)
    value_text = format_value(attribution.data[position, j])
    verb = "raised" if points > 0 else "lowered"
    target = "the prediction" if raw else f"the {score_name}"
    sentence = f"{name}: {value_text} {verb} {target} by {_amount(points, raw=raw)}."
    return Reason(feature, name, value_text, points, sentence)


def _decision_sentence(
    score: float,
    base_score: float,
    favourable: bool | None,
    *,
    favourable_label: str,
    unfavourable_label: str | None,
    threshold: float,
    score_name: str,
) -> str:
    if favourable is None:
        return (
            f"The model predicts {_format_float(score)} "
            f"(the average case: {_format_float(base_score)})."
        )
    needed = _format_float(100.0 * threshold)
    other = f"“{unfavourable_label}”" if unfavourable_label else f"not “{favourable_label}”"
    outcome = f"“{favourable_label}”" if favourable else other
    relation = "at least" if favourable else "below"
    score_text = _rounded(score, 0)
    if (float(score_text) >= 100.0 * threshold) != favourable:
        score_text = _rounded(score, 1)  # rounding would contradict the outcome
    return (
        f"The {score_name} is {score_text} out of 100, {relation} the {needed} needed, "
        f"so the outcome is {outcome} (the average case scores {_rounded(base_score, 0)})."
    )


def _rounded(value: float, decimals: int) -> str:
    """``value`` to ``decimals`` places, never "-0" (adding 0.0 turns -0.0 into 0.0)."""
    return f"{round(value, decimals) + 0.0:,.{decimals}f}"


def display_view(attribution: Attribution, *, binary: bool) -> Attribution:
    """The attribution in the units a person reads the prediction in.

    A binary classifier's log-odds become probability points
    (:func:`probability_view`); a log-link model's log units become the
    prediction's own units (:func:`response_view`); anything else is returned
    as it is.
    """
    if attribution.output_space == "log":
        return response_view(attribution)
    if attribution.output_space == "log-odds" and binary:
        return probability_view(attribution)
    return attribution


def response_view(attribution: Attribution) -> Attribution:
    """A log-link model's attribution in the prediction's own units.

    Log contributions are split proportionally onto ``exp(base + sum) - exp(base)``
    (:func:`to_probability_points` with ``"log"``), so base + sum equals the
    model's prediction; attributions in any other space are returned as they are.
    """
    if attribution.output_space != "log":
        return attribution
    values = np.vstack(
        [
            to_probability_points(attribution.values[i], base_value=float(b), output_space="log")
            for i, b in enumerate(attribution.base_values)
        ]
    )
    return Attribution(
        values=values,
        base_values=np.exp(attribution.base_values),
        data=attribution.data,
        feature_names=attribution.feature_names,
        row_ids=attribution.row_ids,
        method=f"{attribution.method}, converted from log units",
        exact=attribution.exact,
        output_space="raw",
        output_label="predicted value",
        surrogate_score=attribution.surrogate_score,
        background_size=attribution.background_size,
    )


def probability_view(attribution: Attribution) -> Attribution:
    """The same attribution in probability units, for people who do not read log-odds.

    Log-odds rows are converted with :func:`to_probability_points` (a
    proportional split that keeps base + sum equal to the model's
    probability); attributions in probability or raw units are returned as
    they are.
    """
    if attribution.output_space != "log-odds":
        return attribution
    values = np.vstack(
        [
            to_probability_points(
                attribution.values[i], base_value=float(b), output_space="log-odds"
            )
            / 100.0
            for i, b in enumerate(attribution.base_values)
        ]
    )
    return Attribution(
        values=values,
        base_values=np.array([_sigmoid(float(b)) for b in attribution.base_values]),
        data=attribution.data,
        feature_names=attribution.feature_names,
        row_ids=attribution.row_ids,
        method=f"{attribution.method}, converted from log-odds",
        exact=attribution.exact,
        output_space="probability",
        output_label=attribution.output_label.replace("log-odds of", "probability of"),
        surrogate_score=attribution.surrogate_score,
        background_size=attribution.background_size,
    )
