"""Cohorts: named subsets of rows, defined by conditions, that every page can follow.

A :class:`Condition` tests one thing about a row: the value of one of its
columns, the model's prediction, whether (or by how much) the model was wrong,
the true outcome, or the row's group in a derived sensitive feature (such as
"sex" read from a personal-status column). A :class:`Cohort` is a name and the
conditions a row must all meet. Cohorts are evaluated on a :class:`CohortData`
(the frame plus predictions, errors, outcomes and groups, all plain arrays),
and written to and read from the decision settings' ``cohorts`` key as
``[{"name": ..., "conditions": [{"on": ..., "column": ..., "op": ..., "value": ...}]}]``.

Examples
--------
>>> young = Cohort("young renters", (
...     Condition("column", "<", 30, column="age"),
...     Condition("column", "in", ("rent",), column="housing"),
... ))
>>> cohort_from_json(young.to_json()) == young
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, cast, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd

from explainers.errors import DataValidationError

Subject = Literal["column", "prediction", "error", "outcome", "group"]
Operator = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not in"]
Value = float | str | bool | tuple[str, ...]
BoolArray = npt.NDArray[np.bool_]

SUBJECTS: tuple[str, ...] = get_args(Subject)
OPERATORS: tuple[str, ...] = get_args(Operator)
ORDER_OPERATORS = frozenset({"<", "<=", ">", ">="})
SET_OPERATORS = frozenset({"in", "not in"})
ALL_ROWS = "All rows"
SUBJECT_WORDS = {
    "prediction": "prediction",
    "error": "error",
    "outcome": "true outcome",
}

BAD_COHORT = "Cohort {where} is not understood: {problem}."
BAD_COHORT_HINT = (
    'Write each cohort as {"name": "...", "conditions": [{"on": "column", "column": "age", '
    '"op": "<", "value": 30}]}; "on" is one of column, prediction, error, outcome, group.'
)
NO_SUCH_COLUMN = "The cohort {name!r} needs the column {column!r}, which this data does not have."
NO_SUCH_COLUMN_HINT = "Edit the cohort, or pick a cohort made for this dataset."
NO_SUBJECT = "The cohort {name!r} needs the {what}, which {why}."
NO_SUBJECT_HINT = "Pick a cohort without that condition, or load data with a target column."
NOT_A_NUMBER = "The cohort {name!r} compares {what} with {value!r}, which is not a number."
NOT_A_NUMBER_HINT = "Use a number with <, <=, > and >=, or compare text with == or in."


@dataclass(frozen=True, slots=True)
class Condition:
    """One test a row must pass.

    Parameters
    ----------
    subject : {"column", "prediction", "error", "outcome", "group"}
        What is tested: a column's value, the model's prediction (the predicted
        label, or the predicted value for regression), the error (True when a
        classification is wrong; the absolute error for regression), the true
        outcome, or a group of a derived sensitive feature.
    operator : {"==", "!=", "<", "<=", ">", ">=", "in", "not in"}
    value : float, str, bool or tuple of str
        What to compare with; a tuple for ``in`` / ``not in``.
    column : str or None
        The column (subject "column") or sensitive feature (subject "group").
    missing : bool, default=False
        Whether a row whose value is missing also passes.
    """

    subject: Subject
    operator: Operator
    value: Value
    column: str | None = None
    missing: bool = False

    def __post_init__(self) -> None:
        if self.subject not in SUBJECTS:
            raise _bad("a condition", f"'on' must be one of {', '.join(SUBJECTS)}")
        if self.operator not in OPERATORS:
            raise _bad("a condition", f"'op' must be one of {', '.join(OPERATORS)}")
        if self.subject in ("column", "group") and not self.column:
            raise _bad("a condition", f"a condition on a {self.subject} needs 'column'")
        if self.operator in SET_OPERATORS:
            values = self.value if isinstance(self.value, (tuple, list)) else (self.value,)
            object.__setattr__(self, "value", tuple(str(v) for v in values))
        elif isinstance(self.value, (tuple, list)):
            raise _bad("a condition", f"{self.operator!r} compares with one value, not a list")

    def describe(self, display_names: Mapping[str, str] | None = None) -> str:
        """The condition in words, e.g. ``"Age < 30"`` or ``"error is wrong"``."""
        what = self._what(display_names)
        if self.subject == "error" and isinstance(self.value, bool):
            wrong = self.value == (self.operator == "==")
            return "the model is wrong" if wrong else "the model is right"
        if self.value == ():
            return f"{what} is missing" if self.operator == "in" else f"{what} is known"
        if isinstance(self.value, tuple):
            shown = ", ".join(self.value)
            text = f"{what} {'is one of' if self.operator == 'in' else 'is not one of'} {shown}"
        else:
            text = f"{what} {self.operator} {_format(self.value)}"
        return text + (" (or missing)" if self.missing else "")

    def _what(self, display_names: Mapping[str, str] | None) -> str:
        if self.column is not None:
            return (display_names or {}).get(self.column, self.column)
        return SUBJECT_WORDS[self.subject]

    def to_json(self) -> dict[str, object]:
        """The condition as a JSON-ready dictionary."""
        out: dict[str, object] = {"on": self.subject}
        if self.column is not None:
            out["column"] = self.column
        out["op"] = self.operator
        out["value"] = list(self.value) if isinstance(self.value, tuple) else self.value
        if self.missing:
            out["missing"] = True
        return out


@dataclass(frozen=True, slots=True)
class Cohort:
    """A named set of conditions; a row belongs when it meets all of them.

    Parameters
    ----------
    name : str
    conditions : tuple of Condition
        Empty for the cohort of all rows.
    """

    name: str
    conditions: tuple[Condition, ...] = ()

    def __post_init__(self) -> None:
        if not str(self.name).strip():
            raise _bad("without a name", "every cohort needs a name")
        object.__setattr__(self, "conditions", tuple(self.conditions))

    def describe(self, display_names: Mapping[str, str] | None = None) -> str:
        """The conditions in words, joined with "and"."""
        if not self.conditions:
            return "every row"
        return " and ".join(c.describe(display_names) for c in self.conditions)

    def needs(self) -> frozenset[str]:
        """The subjects other than columns this cohort needs."""
        return frozenset(c.subject for c in self.conditions if c.subject != "column")

    def to_json(self) -> dict[str, object]:
        """The cohort as a JSON-ready dictionary."""
        return {"name": self.name, "conditions": [c.to_json() for c in self.conditions]}


@dataclass(frozen=True, slots=True)
class CohortData:
    """What cohorts are evaluated on: a dataset's rows and what is known about them.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows, with every column a condition may name.
    predictions : array of shape (n_rows,) or None
        Predicted label (text) per row, or predicted value for regression.
    errors : array of shape (n_rows,) or None
        True where a classification is wrong, or the absolute error (regression);
        None without true outcomes.
    outcomes : array of shape (n_rows,) or None
        True outcome per row (text for classification), or None.
    groups : mapping of str to pandas.Series
        Derived sensitive features by name, aligned with ``frame``.
    """

    frame: pd.DataFrame
    predictions: npt.NDArray[np.generic] | None = None
    errors: npt.NDArray[np.generic] | None = None
    outcomes: npt.NDArray[np.generic] | None = None
    groups: Mapping[str, pd.Series] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.frame)
        for name in ("predictions", "errors", "outcomes"):
            array = getattr(self, name)
            if array is not None and len(array) != n:
                raise ValueError(f"{name} has {len(array)} rows, expected {n}.")


def cohort_mask(cohort: Cohort, data: CohortData) -> BoolArray:
    """Which rows of ``data`` belong to ``cohort``.

    Returns
    -------
    array of bool, shape (n_rows,)

    Raises
    ------
    DataValidationError
        A condition names a column the data lacks, needs errors without a
        target, or compares text with a number.
    """
    mask = np.ones(len(data.frame), dtype=bool)
    for condition in cohort.conditions:
        mask &= _condition_mask(cohort.name, condition, data)
    return mask


def _subject_values(name: str, condition: Condition, data: CohortData) -> pd.Series:
    index = data.frame.index
    if condition.subject == "column":
        if condition.column not in data.frame.columns:
            raise DataValidationError(
                NO_SUCH_COLUMN.format(name=name, column=condition.column), NO_SUCH_COLUMN_HINT
            )
        return data.frame[condition.column]
    if condition.subject == "group":
        if condition.column in data.groups:
            return pd.Series(np.asarray(data.groups[str(condition.column)]), index=index)
        if condition.column in data.frame.columns:
            return data.frame[condition.column]
        raise DataValidationError(
            NO_SUCH_COLUMN.format(name=name, column=condition.column), NO_SUCH_COLUMN_HINT
        )
    array = {
        "prediction": data.predictions,
        "error": data.errors,
        "outcome": data.outcomes,
    }[condition.subject]
    if array is None:
        why = "is unknown" if condition.subject == "prediction" else "needs true outcomes"
        raise DataValidationError(
            NO_SUBJECT.format(name=name, what=SUBJECT_WORDS[condition.subject], why=why),
            NO_SUBJECT_HINT,
        )
    return pd.Series(np.asarray(array), index=index)


def _condition_mask(name: str, condition: Condition, data: CohortData) -> BoolArray:
    values = _subject_values(name, condition, data)
    missing = values.isna().to_numpy()
    op, value = condition.operator, condition.value
    if op in SET_OPERATORS:
        inside = values.astype(str).isin(cast(tuple[str, ...], value)).to_numpy()
        result = inside if op == "in" else ~inside
    elif isinstance(value, bool) or values.dtype == bool:
        wanted = _as_bool(value)
        equal = values.astype(object).map(_as_bool).to_numpy() == wanted
        result = _equality(op, equal, name, condition)
    elif op in ORDER_OPERATORS or pd.api.types.is_numeric_dtype(values):
        number = _as_number(name, condition, value)
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        if op in ORDER_OPERATORS and np.isnan(numbers[~missing]).any():
            what = condition._what(None)
            raise DataValidationError(
                NOT_A_NUMBER.format(name=name, what=what, value=str(values[~missing].iloc[0])),
                NOT_A_NUMBER_HINT,
            )
        result = _compare(op, numbers, number)
    else:
        result = _equality(op, values.astype(str).to_numpy() == str(value), name, condition)
    result = np.where(missing, condition.missing, result)
    return np.asarray(result, dtype=bool)


def _compare(op: str, numbers: npt.NDArray[np.float64], number: float) -> BoolArray:
    with np.errstate(invalid="ignore"):
        if op == "<":
            return numbers < number
        if op == "<=":
            return numbers <= number
        if op == ">":
            return numbers > number
        if op == ">=":
            return numbers >= number
        if op == "==":
            return np.isclose(numbers, number, rtol=1e-12, atol=0.0)
        return ~np.isclose(numbers, number, rtol=1e-12, atol=0.0)


def _equality(op: str, equal: BoolArray, name: str, condition: Condition) -> BoolArray:
    if op == "==":
        return equal
    if op == "!=":
        return ~equal
    raise DataValidationError(
        NOT_A_NUMBER.format(name=name, what=condition._what(None), value=condition.value),
        NOT_A_NUMBER_HINT,
    )


def _as_number(name: str, condition: Condition, value: Value) -> float:
    try:
        return float(cast(float, value))
    except (TypeError, ValueError):
        raise DataValidationError(
            NOT_A_NUMBER.format(name=name, what=condition._what(None), value=value),
            NOT_A_NUMBER_HINT,
        ) from None


def _as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "wrong")
    return bool(value)


def _format(value: Value) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}"
    return str(value)


def _bad(where: str, problem: str) -> DataValidationError:
    return DataValidationError(BAD_COHORT.format(where=where, problem=problem), BAD_COHORT_HINT)


def condition_from_json(raw: object) -> Condition:
    """A condition from its JSON dictionary (see :meth:`Condition.to_json`).

    Raises
    ------
    DataValidationError
        When a key is missing or has the wrong kind of value.
    """
    if not isinstance(raw, Mapping):
        raise _bad("condition", "each condition must be an object with 'on', 'op' and 'value'")
    unknown = set(raw) - {"on", "column", "op", "value", "missing"}
    if unknown:
        raise _bad("condition", f"unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    if "op" not in raw or "value" not in raw:
        raise _bad("condition", "each condition needs 'op' and 'value'")
    value = raw["value"]
    if isinstance(value, list):
        value = tuple(str(v) for v in value)
    elif isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    elif value is None or not isinstance(value, (str, float, bool, tuple)):
        raise _bad("condition", f"'value' must be a number, text, true/false or a list: {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise _bad("condition", "'value' must be a finite number")
    column = raw.get("column")
    return Condition(
        subject=cast(Subject, raw.get("on", "column")),
        operator=cast(Operator, raw["op"]),
        value=value,
        column=None if column is None else str(column),
        missing=bool(raw.get("missing", False)),
    )


def cohort_from_json(raw: object) -> Cohort:
    """A cohort from its JSON dictionary (see :meth:`Cohort.to_json`)."""
    if not isinstance(raw, Mapping) or "name" not in raw:
        raise _bad("entry", "each cohort must be an object with 'name' and 'conditions'")
    conditions = raw.get("conditions", [])
    if not isinstance(conditions, list):
        raise _bad(repr(raw["name"]), "'conditions' must be a list")
    return Cohort(str(raw["name"]), tuple(condition_from_json(c) for c in conditions))


def cohorts_from_json(raw: object) -> tuple[Cohort, ...]:
    """The cohorts of a decision-settings ``cohorts`` list; names must be unique."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _bad("list", "'cohorts' must be a list of cohorts")
    cohorts = tuple(cohort_from_json(c) for c in raw)
    names = [c.name for c in cohorts]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise _bad(repr(duplicated[0]), "two cohorts have this name")
    return cohorts


def cohorts_to_json(cohorts: Sequence[Cohort]) -> list[dict[str, object]]:
    """The decision-settings ``cohorts`` list for some cohorts."""
    return [c.to_json() for c in cohorts]


def cohort_data(
    frame: pd.DataFrame,
    *,
    predictions: npt.ArrayLike | None = None,
    y_true: pd.Series | None = None,
    regression: bool = False,
    groups: Mapping[str, pd.Series] | None = None,
) -> CohortData:
    """Evaluate-ready data: errors worked out from predictions and true outcomes.

    Parameters
    ----------
    frame : pandas.DataFrame
    predictions : array of shape (n_rows,), optional
        Predicted labels (classification) or values (regression).
    y_true : pandas.Series, optional
        True outcomes aligned with ``frame``; rows without one get no error.
    regression : bool, default=False
    groups : mapping of str to pandas.Series, optional
    """
    preds = None if predictions is None else np.asarray(predictions)
    outcomes: npt.NDArray[np.generic] | None = None
    errors: npt.NDArray[np.generic] | None = None
    if y_true is not None and preds is not None:
        known = y_true.notna().to_numpy()
        if regression:
            truth = pd.to_numeric(y_true, errors="coerce").to_numpy(dtype=float)
            errors = np.abs(preds.astype(float) - truth)
            outcomes = truth
        else:
            truth_text = y_true.astype(str).to_numpy(dtype=object)
            wrong = preds.astype(str) != truth_text.astype(str)
            errors = np.asarray(np.where(known, wrong, None), dtype=object)
            outcomes = np.asarray(np.where(known, truth_text, None), dtype=object)
    return CohortData(frame, preds, errors, outcomes, dict(groups or {}))


def cohort_caption(cohort: Cohort, n_in: int, n_total: int) -> str:
    """What the page shows: ``"Showing cohort 'young renters': 212 of 1,000 rows."``"""
    if not cohort.conditions:
        return f"Showing all {n_total:,} rows."
    return f"Showing cohort '{cohort.name}': {n_in:,} of {n_total:,} rows."


__all__ = [
    "ALL_ROWS",
    "Cohort",
    "CohortData",
    "Condition",
    "cohort_caption",
    "cohort_data",
    "cohort_from_json",
    "cohort_mask",
    "cohorts_from_json",
    "cohorts_to_json",
    "condition_from_json",
]
