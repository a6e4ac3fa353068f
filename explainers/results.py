"""Typed, immutable result objects shared by the dashboard, the report and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

OutputSpace = Literal["probability", "log-odds", "margin", "raw", "log"]
"""The unit of an explanation: a class probability, its log-odds, a classifier's decision
score (no probabilities), the prediction, or the logarithm of the prediction (log link)."""
OUTPUT_SPACES: frozenset[str] = frozenset({"probability", "log-odds", "margin", "raw", "log"})

FloatArray = npt.NDArray[np.float64]

_SHAPE_MISMATCH = "{name} has shape {got}, expected {expected}."


def _readonly(array: npt.ArrayLike, dtype: type | None = np.float64) -> npt.NDArray[np.generic]:
    out = np.array(array, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


def _check_shape(name: str, array: npt.NDArray[np.generic], expected: tuple[int, ...]) -> None:
    if array.shape != expected:
        raise ValueError(_SHAPE_MISMATCH.format(name=name, got=array.shape, expected=expected))


@dataclass(frozen=True, slots=True)
class Attribution:
    """Per-row, per-feature attributions for one model output.

    Parameters
    ----------
    values : array of shape (n_rows, n_features)
        Contribution of each original feature to each row's output.
    base_values : array of shape (n_rows,)
        The output expected before any feature is known.
    data : array of shape (n_rows, n_features)
        The feature values that were explained (object dtype keeps categories).
    feature_names : tuple of str
        Original column names, in the order of ``values``' columns.
    row_ids : tuple
        The dataset index label of each row.
    method : str
        Human-readable method, e.g. ``"TreeSHAP"``.
    exact : bool
        True when base + sum(values) equals the model output exactly.
    output_space : {"probability", "log-odds", "margin", "raw", "log"}
        The unit the values are in.
    output_label : str
        What the output is, e.g. ``"probability of good"``.
    surrogate_score : array of shape (n_rows,) or None
        LIME's local R² for each row; None for SHAP.
    background_size : int or None
        Rows in the background sample the method used, if any.
    """

    values: FloatArray
    base_values: FloatArray
    data: npt.NDArray[np.object_]
    feature_names: tuple[str, ...]
    row_ids: tuple[object, ...]
    method: str
    exact: bool
    output_space: OutputSpace
    output_label: str
    surrogate_score: FloatArray | None = None
    background_size: int | None = None
    n_rows: int = field(init=False)
    n_features: int = field(init=False)

    def __post_init__(self) -> None:
        values = _readonly(self.values)
        if values.ndim != 2:
            raise ValueError(f"values must be 2-D (n_rows, n_features), got {values.ndim}-D.")
        n_rows, n_features = values.shape
        base = _readonly(self.base_values)
        _check_shape("base_values", base, (n_rows,))
        data = _readonly(self.data, dtype=object)
        _check_shape("data", data, (n_rows, n_features))
        if len(self.feature_names) != n_features:
            raise ValueError(f"Expected {n_features} feature names, got {len(self.feature_names)}.")
        if len(self.row_ids) != n_rows:
            raise ValueError(f"Expected {n_rows} row ids, got {len(self.row_ids)}.")
        if self.output_space not in OUTPUT_SPACES:
            raise ValueError(f"output_space must be one of {sorted(OUTPUT_SPACES)}.")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "base_values", base)
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "feature_names", tuple(str(f) for f in self.feature_names))
        object.__setattr__(self, "row_ids", tuple(self.row_ids))
        object.__setattr__(self, "n_rows", n_rows)
        object.__setattr__(self, "n_features", n_features)
        if self.surrogate_score is not None:
            score = _readonly(self.surrogate_score)
            _check_shape("surrogate_score", score, (n_rows,))
            object.__setattr__(self, "surrogate_score", score)

    @classmethod
    def from_values(
        cls,
        values: npt.ArrayLike,
        *,
        base_values: npt.ArrayLike | float = 0.0,
        data: npt.ArrayLike | None = None,
        feature_names: tuple[str, ...] | list[str] | None = None,
        method: str = "given",
        exact: bool = True,
        output_space: OutputSpace = "raw",
        output_label: str = "output",
    ) -> Attribution:
        """Build an Attribution from arrays alone (for tests and tools)."""
        vals = np.asarray(values, dtype=np.float64)
        n_rows, n_features = vals.shape
        base = np.broadcast_to(np.asarray(base_values, dtype=np.float64), (n_rows,))
        names = tuple(feature_names) if feature_names else tuple(f"x{j}" for j in range(n_features))
        return cls(
            values=vals,
            base_values=base,
            data=np.zeros_like(vals, dtype=object)
            if data is None
            else np.asarray(data, dtype=object),
            feature_names=names,
            row_ids=tuple(range(n_rows)),
            method=method,
            exact=exact,
            output_space=output_space,
            output_label=output_label,
        )

    @property
    def output(self) -> FloatArray:
        """Model output each row's attributions add up to: base + sum(values)."""
        out: FloatArray = self.base_values + self.values.sum(axis=1)
        return out

    def row(self, i: int) -> Attribution:
        """The attribution of row position ``i`` as a one-row Attribution."""
        return self.rows([i])

    def rows(self, positions: list[int] | npt.NDArray[np.int_]) -> Attribution:
        """A new Attribution holding only the given row positions."""
        idx = np.asarray(positions, dtype=int)
        return Attribution(
            values=self.values[idx],
            base_values=self.base_values[idx],
            data=self.data[idx],
            feature_names=self.feature_names,
            row_ids=tuple(self.row_ids[i] for i in idx),
            method=self.method,
            exact=self.exact,
            output_space=self.output_space,
            output_label=self.output_label,
            surrogate_score=None if self.surrogate_score is None else self.surrogate_score[idx],
            background_size=self.background_size,
        )


@dataclass(frozen=True, slots=True)
class GlobalImportance:
    """Mean absolute attribution per feature, most important first.

    ``spread`` is the standard error of each mean (an uncertainty band when
    the importances come from a sample of rows).
    """

    feature_names: tuple[str, ...]
    mean_abs: FloatArray
    spread: FloatArray
    n_rows: int
    method: str
    output_space: OutputSpace
    output_label: str

    def __post_init__(self) -> None:
        mean_abs = _readonly(self.mean_abs)
        spread = _readonly(self.spread)
        _check_shape("mean_abs", mean_abs, (len(self.feature_names),))
        _check_shape("spread", spread, (len(self.feature_names),))
        object.__setattr__(self, "mean_abs", mean_abs)
        object.__setattr__(self, "spread", spread)

    def top(self, top_n: int) -> GlobalImportance:
        """The ``top_n`` most important features."""
        return GlobalImportance(
            feature_names=self.feature_names[:top_n],
            mean_abs=self.mean_abs[:top_n],
            spread=self.spread[:top_n],
            n_rows=self.n_rows,
            method=self.method,
            output_space=self.output_space,
            output_label=self.output_label,
        )


def global_importance(attribution: Attribution) -> GlobalImportance:
    """Rank features by mean |attribution| over the attribution's rows."""
    abs_values = np.abs(attribution.values)
    mean_abs = abs_values.mean(axis=0)
    n = max(attribution.n_rows, 1)
    spread = abs_values.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.zeros_like(mean_abs)
    order = np.argsort(-mean_abs, kind="stable")
    return GlobalImportance(
        feature_names=tuple(attribution.feature_names[j] for j in order),
        mean_abs=mean_abs[order],
        spread=spread[order],
        n_rows=attribution.n_rows,
        method=attribution.method,
        output_space=attribution.output_space,
        output_label=attribution.output_label,
    )
