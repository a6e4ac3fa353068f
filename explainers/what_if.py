"""What-if editing: which control fits each column, applying edits to a row, the new decision."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from explainers.decision_settings import DecisionSettings
from explainers.encoding import is_categorical
from explainers.model_bundle import Task
from explainers.model_comparison import decide
from explainers.results import FloatArray

ControlKind = Literal["slider_int", "slider_float", "select"]


MAX_CHOICES = 5
"""A numeric column with at most this many distinct values is edited with a select box."""

MAX_DECIMALS = 4
"""Finest slider step: 10 ** -MAX_DECIMALS."""


@dataclass(frozen=True, slots=True)
class Control:
    """How a column can be edited: a slider within the data's range, or a list of choices.

    Parameters
    ----------
    column : str
        The column edited.
    kind : {"slider_int", "slider_float", "select"}
        Which widget fits.
    low, high : float
        The slider's range (the smallest and largest value in the data).
    step : float
        The slider's step: as fine as the data's decimals, at most
        ``10 ** -MAX_DECIMALS``; 1 for whole numbers.
    options : tuple
        The choices of a select box, sorted (numbers as plain Python numbers).
    """

    column: str
    kind: ControlKind
    low: float = 0.0
    high: float = 0.0
    step: float = 1.0
    options: tuple[object, ...] = ()

    @property
    def number_format(self) -> str:
        """A printf format writing slider values to the data's precision, no trailing zeros.

        "%g" with enough significant digits for the largest whole part plus
        the step's decimals: 101 shows as "101" (not "101.00") beside "4.8598",
        and sums like 100.99999999999999 show as "101".

        Examples
        --------
        >>> Control("bp", "slider_float", low=62.0, high=133.0, step=0.01).number_format
        '%.5g'
        """
        whole = len(str(int(max(abs(self.low), abs(self.high)))))
        decimals = max(0, round(-math.log10(self.step)))
        return f"%.{whole + decimals}g"


def controls_for(X: pd.DataFrame) -> tuple[Control, ...]:
    """One control per column of ``X``, from the values the data shows.

    Categories, and numeric columns with at most :data:`MAX_CHOICES` distinct
    values (a 1/2 code, a count from 1 to 4), get a select box; other numeric
    columns get a slider over the data's range.

    Examples
    --------
    >>> X = pd.DataFrame({"sex": [1.0, 2.0] * 3, "bmi": [21.5, 32.25, 27.0, 19.0, 25.5, 30.0]})
    >>> [(c.kind, c.options, c.step) for c in controls_for(X)]
    [('select', (1, 2), 1.0), ('slider_float', (), 0.01)]
    """
    controls = []
    for column in X.columns:
        series = X[column]
        if is_categorical(series):
            options = tuple(sorted(pd.unique(series.dropna()), key=str))
            controls.append(Control(str(column), "select", options=options))
            continue
        values = pd.to_numeric(series, errors="coerce").dropna()
        decimals = _decimals(values.to_numpy(dtype=np.float64))
        distinct = np.unique(values.to_numpy(dtype=np.float64))
        if 1 < len(distinct) <= MAX_CHOICES:
            options = tuple(int(v) if decimals == 0 else float(v) for v in distinct)
            controls.append(Control(str(column), "select", options=options))
            continue
        low, high = (float(distinct[0]), float(distinct[-1])) if len(distinct) else (0.0, 0.0)
        kind: ControlKind = "slider_int" if decimals == 0 else "slider_float"
        controls.append(Control(str(column), kind, low=low, high=high, step=10.0**-decimals))
    return tuple(controls)


def _decimals(values: np.ndarray) -> int:
    """The fewest decimals (up to :data:`MAX_DECIMALS`) that write every value exactly."""
    for decimals in range(MAX_DECIMALS):
        if np.allclose(values, np.round(values, decimals), rtol=0.0, atol=1e-9):
            return decimals
    return MAX_DECIMALS


def apply_edits(row: pd.DataFrame, edits: Mapping[str, object]) -> pd.DataFrame:
    """A copy of a one-row frame with some values replaced (dtypes kept)."""
    edited = row.copy()
    for column, value in edits.items():
        if column in edited.columns:
            dtype = edited[column].dtype
            edited[column] = pd.Series([value], index=edited.index).astype(dtype)
    return edited


def changed_columns(row: pd.DataFrame, edited: pd.DataFrame) -> list[str]:
    """Columns whose value differs between the original and the edited row."""
    changed = []
    for column in row.columns:
        before, after = row[column].iloc[0], edited[column].iloc[0]
        if not (pd.isna(before) and pd.isna(after)) and before != after:
            changed.append(str(column))
    return changed


def outcome_sentence(
    settings: DecisionSettings,
    task: Task,
    outputs: FloatArray,
    favourable: int,
    *,
    changed: bool,
) -> str:
    """The decision for the original row (``outputs[0]``) and the edited one (``outputs[1]``).

    Worded with the decision settings: their outcome words, their threshold
    (binary) and their score name.

    Examples
    --------
    >>> s = DecisionSettings(favourable_text="approved", unfavourable_text="refused")
    >>> outcome_sentence(s, "binary", np.array([[0.6, 0.4], [0.3, 0.7]]), 1, changed=True)
    'The decision changes from refused to approved (threshold 0.50 on the score).'
    """
    decided = decide(outputs, task=task, favourable_index=favourable, threshold=settings.threshold)
    before, after = (settings.outcome_text(bool(d == favourable)) for d in decided)
    rule = (
        f" (threshold {settings.threshold:.2f} on the {settings.score_name})"
        if task == "binary"
        else ""
    )
    if changed and before != after:
        return f"The decision changes from {before} to {after}{rule}."
    if changed:
        return f"The decision stays {after}{rule}."
    return f"Decision: {after}{rule}."
