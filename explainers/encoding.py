"""Encode mixed-type columns as numbers and back, for model-agnostic methods.

shap's maskers and LIME work on float matrices; models want the uploaded
columns. ``ColumnCodec`` maps each categorical column to integer codes and
restores the original values (and dtypes) before calling the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api.types import is_bool_dtype


def is_categorical(series: pd.Series) -> bool:
    """True for text, category and boolean columns."""
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


@dataclass(frozen=True, slots=True)
class ColumnCodec:
    """Categories per categorical column (by position), and the original dtypes."""

    columns: tuple[str, ...]
    categories: dict[int, tuple[object, ...]]
    dtypes: tuple[object, ...]

    @classmethod
    def fit(cls, frame: pd.DataFrame) -> ColumnCodec:
        """Learn the categories of every non-numeric column of ``frame``."""
        categories: dict[int, tuple[object, ...]] = {}
        for j, column in enumerate(frame.columns):
            series = frame[column]
            if is_categorical(series):
                values = pd.unique(series.dropna())
                categories[j] = tuple(sorted(values, key=str))
        return cls(tuple(str(c) for c in frame.columns), categories, tuple(frame.dtypes))

    @property
    def categorical_positions(self) -> list[int]:
        """Positions of the categorical columns."""
        return sorted(self.categories)

    def encode(self, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
        """Float matrix: numbers as they are, categories as codes (NaN if missing/unknown)."""
        out = np.empty(frame.shape, dtype=np.float64)
        for j, column in enumerate(frame.columns):
            series = frame[column]
            if j in self.categories:
                lookup = {v: float(i) for i, v in enumerate(self.categories[j])}
                out[:, j] = [lookup.get(v, np.nan) for v in series.to_numpy(dtype=object)]
            else:
                out[:, j] = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
        return out

    def decode(self, codes: npt.NDArray[np.float64]) -> pd.DataFrame:
        """The DataFrame the model expects, with original categories and dtypes."""
        columns: dict[str, object] = {}
        for j, name in enumerate(self.columns):
            column = codes[:, j]
            if j in self.categories:
                cats = np.asarray(self.categories[j], dtype=object)
                idx = np.clip(np.nan_to_num(column, nan=0).round().astype(int), 0, len(cats) - 1)
                missing = np.isnan(column)
                # a missing value stays NaN (never None: imputers and encoders tell them apart)
                decoded = pd.Series(cats[idx], dtype=object).where(~missing, np.nan)
                dtype = self.dtypes[j]
                castable = _castable(dtype) and not (missing.any() and is_bool_dtype(dtype))
                columns[name] = decoded.astype(dtype) if castable else decoded
            else:
                series = pd.Series(column)
                if pd.api.types.is_integer_dtype(self.dtypes[j]) and not np.isnan(column).any():
                    series = series.round().astype(self.dtypes[j])
                columns[name] = series
        return pd.DataFrame(columns)


def _castable(dtype: object) -> bool:
    return isinstance(dtype, pd.CategoricalDtype | pd.StringDtype) or is_bool_dtype(dtype)
