"""Partial dependence (PDP) and individual conditional expectation (ICE) for one feature.

Computed by scikit-learn's :func:`sklearn.inspection.partial_dependence`
(``kind="both"``, ``method="brute"``) on a fixed random sample of rows. The
model is handed to it through a small adapter whose ``predict_proba`` /
``predict`` is the bundle's own :meth:`~explainers.model_bundle.ModelBundle.predict_output`,
so any model whybox loads works, and the values equal scikit-learn's on the
model itself. Text, category and true/false columns are treated as
categories (one grid point per value seen); numbers use a grid between their
5th and 95th percentiles. Values are in the model's output space: the
probability of the class explained, or the predicted value (regression).

:func:`feature_dependence` is a model task (bundle first, plain data out),
run through :func:`explainers.model_calls.run_model_task`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.inspection import partial_dependence

from explainers.errors import DataValidationError
from explainers.model_bundle import ModelBundle
from explainers.results import FloatArray, OutputSpace, _readonly

MAX_ROWS = 300
GRID_RESOLUTION = 40

NO_FEATURE = "The model has no input column {feature!r}."
NO_FEATURE_HINT = "Pick one of the model's columns."
NO_VALUES = "The column {feature!r} has no values to vary (every cell is empty)."
NO_VALUES_HINT = "Pick another column."


class _BundleClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """A fitted scikit-learn classifier whose probabilities are the bundle's."""

    def __init__(self, bundle: ModelBundle | None = None) -> None:
        self.bundle = bundle

    def fit(self, X: Any, y: Any = None) -> _BundleClassifier:  # never called: already fitted
        return self

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        assert self.bundle is not None
        return self.bundle.predict_output(X)


class _BundleRegressor(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """A fitted scikit-learn regressor whose predictions are the bundle's."""

    def __init__(self, bundle: ModelBundle | None = None) -> None:
        self.bundle = bundle

    def fit(self, X: Any, y: Any = None) -> _BundleRegressor:  # never called: already fitted
        return self

    def predict(self, X: pd.DataFrame) -> FloatArray:
        assert self.bundle is not None
        out: FloatArray = self.bundle.predict_output(X)[:, 0]
        return out


def _adapter(bundle: ModelBundle) -> BaseEstimator:
    if bundle.task == "regression":
        return _fitted(_BundleRegressor(bundle), None)
    return _fitted(_BundleClassifier(bundle), bundle.class_labels)


def _fitted(estimator: BaseEstimator, classes: tuple[str, ...] | None) -> BaseEstimator:
    if classes is not None:
        estimator.classes_ = np.asarray(classes, dtype=object)
    estimator.is_fitted_ = True
    return estimator


@dataclass(frozen=True, slots=True)
class FeatureDependence:
    """How the average prediction (PDP) and each row's (ICE) move with one feature.

    Parameters
    ----------
    feature : str
    grid : array of shape (n_grid,)
        The values the feature was set to (object dtype for categories).
    average : array of shape (n_grid,)
        Partial dependence: the mean prediction with the feature set to each value.
    individual : array of shape (n_rows, n_grid)
        ICE: each sampled row's prediction with the feature set to each value.
    row_ids : tuple
        Dataset index label of each ICE row.
    categorical : bool
    output_space : {"probability", "raw"}
    output_label : str
        E.g. ``"probability of good"`` or ``"prediction"``.
    n_total : int
        Rows the sample was drawn from.
    """

    feature: str
    grid: npt.NDArray[np.generic]
    average: FloatArray
    individual: FloatArray
    row_ids: tuple[object, ...]
    categorical: bool
    output_space: OutputSpace
    output_label: str
    n_total: int

    def __post_init__(self) -> None:
        grid = _readonly(self.grid, dtype=object if self.categorical else np.float64)
        average, individual = _readonly(self.average), _readonly(self.individual)
        if average.shape != (len(grid),):
            raise ValueError(f"average has shape {average.shape}, expected ({len(grid)},).")
        if individual.shape != (len(self.row_ids), len(grid)):
            raise ValueError(
                f"individual has shape {individual.shape}, "
                f"expected ({len(self.row_ids)}, {len(grid)})."
            )
        object.__setattr__(self, "grid", grid)
        object.__setattr__(self, "average", average)
        object.__setattr__(self, "individual", individual)

    @property
    def n_rows(self) -> int:
        """Rows averaged (the ICE lines)."""
        return len(self.row_ids)


def is_categorical(column: pd.Series) -> bool:
    """Whether a column is treated as categories (text, category or true/false)."""
    return not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)


def dependence_sample(
    X: pd.DataFrame, *, max_rows: int = MAX_ROWS, random_state: int = 0
) -> pd.DataFrame:
    """All of ``X``, or a random sample of ``max_rows`` rows in table order."""
    if len(X) <= max_rows:
        return X
    return X.sample(n=max_rows, random_state=random_state).sort_index()


def feature_dependence(
    bundle: ModelBundle,
    X: pd.DataFrame,
    feature: str,
    *,
    output: int | None = None,
    max_rows: int = MAX_ROWS,
    grid_resolution: int = GRID_RESOLUTION,
    random_state: int = 0,
) -> FeatureDependence:
    """PDP and ICE of one feature with scikit-learn's ``partial_dependence``.

    Parameters
    ----------
    bundle : ModelBundle
    X : pandas.DataFrame of shape (n_rows, n_features)
        The model's input columns.
    feature : str
    output : int, optional
        Column of ``bundle.predict_output`` (the class); the default output if None.
    max_rows : int, default=300
        Rows sampled (seed ``random_state``) for the average and the ICE lines.
    grid_resolution : int, default=40
        Grid points for a numeric feature.

    Returns
    -------
    FeatureDependence

    Raises
    ------
    DataValidationError
        The feature is not an input column, or has no values.
    """
    if feature not in X.columns:
        raise DataValidationError(NO_FEATURE.format(feature=feature), NO_FEATURE_HINT)
    rows = dependence_sample(X, max_rows=max_rows, random_state=random_state)
    if rows[feature].notna().sum() == 0:
        raise DataValidationError(NO_VALUES.format(feature=feature), NO_VALUES_HINT)
    categorical = is_categorical(X[feature])
    if pd.api.types.is_integer_dtype(rows[feature]):  # scikit-learn refuses integer columns
        rows = rows.astype({feature: np.float64})
    k = bundle.default_output if output is None else output
    custom = None
    if categorical or rows[feature].isna().any():
        seen = rows[feature].dropna()
        if categorical:
            custom = {feature: np.asarray(sorted(seen.unique(), key=str), dtype=object)}
        else:  # scikit-learn's grid ignores missing values only when given one
            levels = np.linspace(0.05, 0.95, grid_resolution)
            custom = {feature: np.unique(np.quantile(seen.to_numpy(float), levels))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = partial_dependence(
            _adapter(bundle), rows, [feature],
            categorical_features=[feature] if categorical else None,
            grid_resolution=grid_resolution, custom_values=custom,
            method="brute", kind="both",
        )  # fmt: skip
    # binary classifiers and regressors give one output; multiclass one per class
    pick = 0 if bundle.task != "multiclass" else k
    if bundle.task == "binary" and k == 0:
        average, individual = 1.0 - result["average"][0], 1.0 - result["individual"][0]
    else:
        average, individual = result["average"][pick], result["individual"][pick]
    regression = bundle.task == "regression"
    return FeatureDependence(
        feature=feature,
        grid=np.asarray(result["grid_values"][0], dtype=object if categorical else float),
        average=average,
        individual=individual,
        row_ids=tuple(rows.index),
        categorical=categorical,
        output_space="raw" if regression else "probability",
        output_label="prediction" if regression else f"probability of {bundle.output_labels[k]}",
        n_total=len(X),
    )


__all__ = ["FeatureDependence", "dependence_sample", "feature_dependence", "is_categorical"]
