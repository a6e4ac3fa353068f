"""What-if editing: which control fits each column, and applying edits to a row."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from explainers.encoding import is_categorical

ControlKind = Literal["slider_int", "slider_float", "select"]


@dataclass(frozen=True, slots=True)
class Control:
    """How a column can be edited: a slider within the data's range, or a category list."""

    column: str
    kind: ControlKind
    low: float = 0.0
    high: float = 0.0
    options: tuple[object, ...] = ()


def controls_for(X: pd.DataFrame) -> tuple[Control, ...]:
    """One control per column of ``X``, from the values the data shows."""
    controls = []
    for column in X.columns:
        series = X[column]
        if is_categorical(series):
            options = tuple(sorted(pd.unique(series.dropna()), key=str))
            controls.append(Control(str(column), "select", options=options))
            continue
        values = pd.to_numeric(series, errors="coerce").dropna()
        low, high = (float(values.min()), float(values.max())) if len(values) else (0.0, 0.0)
        integer = pd.api.types.is_integer_dtype(series) or bool(
            len(values) and np.all(values == values.round())
        )
        kind: ControlKind = "slider_int" if integer else "slider_float"
        controls.append(Control(str(column), kind, low=low, high=high))
    return tuple(controls)


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
