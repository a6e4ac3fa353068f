"""Recourse for many applicants at once: one table row per changed feature of each option.

:func:`recourse_table` runs :func:`explainers.recourse.find_recourse` for each
chosen row with the decision settings' fixed features and directions, then
re-predicts every option with the model itself (all options in one call)
before writing it: an option whose re-predicted score misses the threshold,
or that touches a fixed feature or moves one the wrong way, is never written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from explainers.decision_settings import DecisionSettings
from explainers.errors import AttributionError, DataValidationError
from explainers.model_bundle import ModelBundle
from explainers.naming import feature_label
from explainers.recourse import RecourseResult, find_recourse

RowChoice = Literal["refused", "all"]
COLUMNS: tuple[str, ...] = (
    "row_id",
    "option",
    "n_changes",
    "feature",
    "display_name",
    "from",
    "to",
    "original_prediction",
    "new_prediction",
    "new_label",
    "note",
)
"""Columns of the table, in order."""

NOT_CLASSIFIER = "Recourse flips a decision, and this model predicts a number, not a class."
NOT_CLASSIFIER_HINT = "Run `whybox recourse` on a classification model."
NO_ROWS = "No rows to find recourse for: {why}."
NO_ROWS_HINT = "Use --rows all, or list row IDs with --rows ID,ID."
UNVERIFIED = (
    "An option for row {row_id} did not hold when predicted again ({score:.3f}, needed "
    "{threshold:.3f}); no option was written."
)


@dataclass(frozen=True, slots=True)
class RecourseTable:
    """Verified recourse options for many rows.

    Parameters
    ----------
    table : DataFrame
        One row per changed feature of each option (columns :data:`COLUMNS`);
        a row with no option has one line with an empty ``option`` and its
        reason in ``note``.
    n_rows : int
        Rows searched.
    n_with_options : int
        Rows for which at least one option was found.
    n_options : int
        Options written, each re-predicted.
    favourable_text : str
        The wording of the outcome the options reach.
    """

    table: pd.DataFrame
    n_rows: int
    n_with_options: int
    n_options: int
    favourable_text: str


def recourse_table(
    bundle: ModelBundle,
    X: pd.DataFrame,
    *,
    settings: DecisionSettings,
    rows: RowChoice | Sequence[object] = "refused",
    row_names: pd.Series | None = None,
    max_options: int = 3,
) -> RecourseTable:
    """Find, verify and tabulate recourse options for many rows.

    Parameters
    ----------
    bundle : ModelBundle
        A classification model.
    X : DataFrame of shape (n_rows, n_features)
        The aligned data; it also gives the observed range of every feature.
    settings : DecisionSettings
        The favourable class, threshold, fixed features and directions.
    rows : {"refused", "all"} or sequence of index labels, default "refused"
        Which rows: those the model refuses (score of the favourable class
        below the threshold), every row, or these index labels.
    row_names : Series, optional
        What to write as ``row_id`` for each index label (an ID column);
        defaults to the index label.
    max_options : int, default 3
        Most options per row.

    Returns
    -------
    RecourseTable

    Raises
    ------
    DataValidationError
        If the model is a regressor, or no row is chosen.
    AttributionError
        If an option fails its re-prediction (a bug, never silently dropped).
    """
    if bundle.task == "regression":
        raise DataValidationError(NOT_CLASSIFIER, NOT_CLASSIFIER_HINT)
    k = bundle.output_index(settings.favourable)
    threshold = settings.threshold

    def score(frame: pd.DataFrame) -> np.ndarray:
        return bundle.predict_output(frame)[:, k]

    chosen = pd.Index(choose_rows(bundle, X, settings=settings, rows=rows))
    names = settings.display_names
    results: list[tuple[object, RecourseResult]] = []
    for row_id in chosen:
        result = find_recourse(
            score,
            X.loc[[row_id]],
            X,
            threshold=threshold,
            fixed=settings.fixed,
            directions=settings.directions,
            max_options=max_options,
            display_names=names,
            score_name=settings.score_name,
        )
        results.append((row_id, result))
    verified = _repredict(score, X, results, threshold)
    lines: list[dict[str, object]] = []
    for (row_id, result), new_scores in zip(results, verified, strict=True):
        shown = row_id if row_names is None else row_names.loc[row_id]
        if not result.options:
            lines.append({"row_id": shown, "original_prediction": result.original_score,
                          "note": result.message})  # fmt: skip
        for number, (option, new) in enumerate(
            zip(result.options, new_scores, strict=True), start=1
        ):
            for change in option.changes:
                lines.append(
                    {
                        "row_id": shown,
                        "option": number,
                        "n_changes": len(option.changes),
                        "feature": change.feature,
                        "display_name": feature_label(change.feature, names),
                        "from": change.from_value,
                        "to": change.to_value,
                        "original_prediction": result.original_score,
                        "new_prediction": float(new),
                        "new_label": settings.favourable_text,
                        "note": option.sentence,
                    }
                )
    table = pd.DataFrame(lines, columns=list(COLUMNS))
    table["option"] = table["option"].astype("Int64")
    table["n_changes"] = table["n_changes"].astype("Int64")
    return RecourseTable(
        table=table,
        n_rows=len(chosen),
        n_with_options=sum(1 for _, r in results if r.options),
        n_options=sum(len(r.options) for _, r in results),
        favourable_text=settings.favourable_text,
    )


def choose_rows(
    bundle: ModelBundle,
    X: pd.DataFrame,
    *,
    settings: DecisionSettings,
    rows: RowChoice | Sequence[object] = "refused",
) -> list[object]:
    """The index labels of the rows ``rows`` names (refused: below the settings' threshold).

    Raises
    ------
    DataValidationError
        If the model is a regressor, or no row is chosen.
    """
    if bundle.task == "regression":
        raise DataValidationError(NOT_CLASSIFIER, NOT_CLASSIFIER_HINT)
    if not isinstance(rows, str):
        return list(rows)
    if rows == "all":
        chosen = X.index
    else:
        k = bundle.output_index(settings.favourable)
        chosen = X.index[bundle.predict_output(X)[:, k] < settings.threshold]
    if len(chosen) == 0:
        why = "the model refuses no row" if rows == "refused" else "the data has no rows"
        raise DataValidationError(NO_ROWS.format(why=why), NO_ROWS_HINT)
    return list(chosen)


def combine(parts: Sequence[RecourseTable]) -> RecourseTable:
    """One table from several (the rows searched in chunks)."""
    return RecourseTable(
        table=pd.concat([p.table for p in parts], ignore_index=True),
        n_rows=sum(p.n_rows for p in parts),
        n_with_options=sum(p.n_with_options for p in parts),
        n_options=sum(p.n_options for p in parts),
        favourable_text=parts[0].favourable_text,
    )


def _repredict(
    score: Callable[[pd.DataFrame], np.ndarray],
    X: pd.DataFrame,
    results: list[tuple[object, RecourseResult]],
    threshold: float,
) -> list[np.ndarray]:
    """Every option applied to its row and scored by the model again, in one call."""
    edited = []
    for row_id, result in results:
        for option in result.options:
            row = X.loc[[row_id]].copy()
            for change in option.changes:
                row[change.feature] = pd.Series([change.to_value], index=row.index).astype(
                    X[change.feature].dtype
                )
            edited.append(row)
    flat = score(pd.concat(edited)) if edited else np.empty(0)
    out, start = [], 0
    for row_id, result in results:
        part = flat[start : start + len(result.options)]
        start += len(result.options)
        for new in part:
            if not new >= threshold:
                raise AttributionError(
                    UNVERIFIED.format(row_id=row_id, score=float(new), threshold=threshold)
                )
        out.append(part)
    return out
