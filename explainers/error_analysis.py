"""Where the model is wrong: a shallow tree fitted on its errors, and a two-feature heat map.

As in the Responsible AI Toolbox's error analysis, a shallow decision tree is
fitted over the input features to each row's error (1 when a classification
is wrong, else 0, so a node's mean is its error rate; the absolute error for
regression). Its nodes are cohorts whose error is far from the overall one;
each becomes a :class:`~explainers.cohorts.Cohort` that every page can follow.

The tree is scikit-learn's ``DecisionTreeRegressor``. The ``erroranalysis``
package (the toolbox's own) pins numpy < 2 and pandas < 2, so it cannot be
installed beside whybox's numpy 2 / pandas 3. Categorical columns are ordered
by their mean error before fitting, so one threshold split on that order is
the best split of the categories into two sets (Fisher 1958; Breiman et al.
1984, for squared error), and reads as "column is one of a, b, c".
Missing numbers go down the side scikit-learn's splitter picks for them.

Model outputs come from :func:`model_errors`, a model task run through
:func:`explainers.model_calls.run_model_task`; everything else here works
on plain arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.tree import DecisionTreeRegressor

from explainers.cohorts import Cohort, Condition
from explainers.errors import DataValidationError
from explainers.model_bundle import ModelBundle
from explainers.results import FloatArray, _readonly

MAX_DEPTH = 3
MIN_LEAF_SHARE = 0.02
MIN_LEAF_ROWS = 10
HEATMAP_BINS = 4
HEATMAP_CATEGORIES = 8
MISSING = "(missing)"

NO_OUTCOMES = "Error analysis needs the true outcome of each row, and this data has none."
NO_OUTCOMES_HINT = "Load the data again with its target column chosen on the upload page."
TOO_FEW = "Error analysis needs at least {need} rows with a known outcome; this data has {got}."
TOO_FEW_HINT = "Upload more labelled rows."


@dataclass(frozen=True, slots=True)
class ModelErrors:
    """The model's error on each labelled row.

    Parameters
    ----------
    errors : array of shape (n_rows,)
        1.0 where a classification is wrong, else 0.0; absolute error for regression.
    predictions : array of shape (n_rows,)
        Predicted label (classification) or value.
    kind : {"error rate", "absolute error"}
    row_ids : tuple
        Dataset index label of each row (rows without an outcome left out).
    """

    errors: FloatArray
    predictions: npt.NDArray[np.object_]
    kind: str
    row_ids: tuple[object, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "errors", _readonly(self.errors))
        object.__setattr__(self, "predictions", _readonly(self.predictions, dtype=object))
        if not (len(self.errors) == len(self.predictions) == len(self.row_ids)):
            raise ValueError("errors, predictions and row_ids must have the same length.")


def model_errors(bundle: ModelBundle, X: pd.DataFrame, y_true: pd.Series) -> ModelErrors:
    """Predict ``X`` and compare with ``y_true`` (a model task: bundle first, plain data out).

    Raises
    ------
    DataValidationError
        When no row has a true outcome.
    """
    known = y_true.notna().to_numpy()
    if not known.any():
        raise DataValidationError(NO_OUTCOMES, NO_OUTCOMES_HINT)
    labels = np.empty(len(X), dtype=object)
    labels[known] = bundle.predict_labels(X.loc[known])
    return prediction_errors(labels, y_true, regression=bundle.task == "regression")


def prediction_errors(
    predictions: npt.ArrayLike, y_true: pd.Series, *, regression: bool
) -> ModelErrors:
    """Each labelled row's error, from predictions already made.

    Classification counts a row as wrong when the predicted label (the most
    probable class) differs from the true one, compared as text; regression
    takes the absolute error. Rows without a true outcome are left out.

    Parameters
    ----------
    predictions : array of shape (n_rows,)
        Predicted labels or values, aligned with ``y_true``.
    y_true : pandas.Series
    regression : bool

    Raises
    ------
    DataValidationError
        When no row has a true outcome.
    """
    known = y_true.notna().to_numpy()
    if not known.any():
        raise DataValidationError(NO_OUTCOMES, NO_OUTCOMES_HINT)
    labels = np.asarray(predictions, dtype=object)[known]
    if regression:
        truth = pd.to_numeric(y_true[known], errors="coerce").to_numpy(dtype=float)
        errors = np.abs(labels.astype(float) - truth)
        kind = "absolute error"
    else:
        errors = (labels.astype(str) != y_true[known].astype(str).to_numpy()).astype(float)
        kind = "error rate"
    return ModelErrors(errors, labels, kind, tuple(y_true.index[known]))


@dataclass(frozen=True, slots=True)
class ErrorNode:
    """One node of the error tree: a cohort with its size and error.

    Parameters
    ----------
    node_id : int
        The node's number in the tree (0 is the root).
    parent : int
        The parent's node id; -1 for the root.
    depth : int
    conditions : tuple of Condition
        The path from the root: a row is in the node when it meets all of them.
    n_rows : int
    n_errors : float
        Rows wrong (classification) or the summed absolute error (regression).
    error : float
        Error rate, or mean absolute error, in the node.
    is_leaf : bool
    """

    node_id: int
    parent: int
    depth: int
    conditions: tuple[Condition, ...]
    n_rows: int
    n_errors: float
    error: float
    is_leaf: bool

    def cohort(self, name: str | None = None) -> Cohort:
        """This node as a cohort (named after its path unless a name is given)."""
        return Cohort(name or self.label(), self.conditions)

    def label(self, display_names: dict[str, str] | None = None) -> str:
        """The node's conditions in words ("every row" for the root)."""
        return Cohort("node", self.conditions).describe(display_names)


@dataclass(frozen=True, slots=True)
class ErrorTree:
    """The error tree's nodes, and the overall error they are compared with.

    Parameters
    ----------
    nodes : tuple of ErrorNode
        Every node, root first (depth-first order).
    kind : {"error rate", "absolute error"}
    overall_error : float
    n_rows : int
    features : tuple of str
        The columns the tree split on, most important first.
    """

    nodes: tuple[ErrorNode, ...]
    kind: str
    overall_error: float
    n_rows: int
    features: tuple[str, ...]

    def worst(self, top_n: int = 5, *, leaves_only: bool = False) -> tuple[ErrorNode, ...]:
        """The nodes with the highest error (the root left out), largest first."""
        nodes = [n for n in self.nodes if n.node_id != 0 and (n.is_leaf or not leaves_only)]
        nodes.sort(key=lambda n: (-n.error, -n.n_rows, n.node_id))
        return tuple(nodes[:top_n])

    def node(self, node_id: int) -> ErrorNode:
        """The node with this id."""
        return next(n for n in self.nodes if n.node_id == node_id)


def _category_order(column: pd.Series, errors: FloatArray) -> list[str]:
    text = column.astype(object).where(column.notna(), MISSING).astype(str)
    means = pd.Series(errors, index=column.index).groupby(text.to_numpy()).mean()
    return sorted(means.index, key=lambda c: (means[c], c))


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _encode(
    X: pd.DataFrame, errors: FloatArray
) -> tuple[npt.NDArray[np.float64], dict[str, list[str]]]:
    """Numbers as they are; each categorical column as the rank of its mean error."""
    columns, orders = [], {}
    for name in X.columns:
        column = X[name]
        if _is_numeric(column):
            columns.append(column.to_numpy(dtype=float))
            continue
        order = _category_order(column, errors)
        orders[str(name)] = order
        text = column.astype(object).where(column.notna(), MISSING).astype(str)
        columns.append(text.map({c: i for i, c in enumerate(order)}).to_numpy(dtype=float))
    return np.column_stack(columns) if columns else np.empty((len(X), 0)), orders


def error_tree(
    X: pd.DataFrame,
    errors: npt.ArrayLike,
    *,
    kind: str = "error rate",
    max_depth: int = MAX_DEPTH,
    min_leaf_rows: int | None = None,
    random_state: int = 0,
) -> ErrorTree:
    """Fit a shallow tree on the model's errors and describe each node as a cohort.

    Parameters
    ----------
    X : pandas.DataFrame of shape (n_rows, n_features)
        The input features, as uploaded (numbers and categories).
    errors : array of shape (n_rows,)
        Per-row error from :func:`model_errors`.
    kind : {"error rate", "absolute error"}
    max_depth : int, default=3
    min_leaf_rows : int, optional
        Smallest node; by default 2% of the rows, at least 10.
    random_state : int, default=0

    Returns
    -------
    ErrorTree

    Raises
    ------
    DataValidationError
        With fewer than twice the smallest node's rows.
    """
    error_values = np.asarray(errors, dtype=float)
    if len(error_values) != len(X):
        raise ValueError(f"errors has {len(error_values)} rows, expected {len(X)}.")
    min_leaf = min_leaf_rows or max(MIN_LEAF_ROWS, int(np.ceil(MIN_LEAF_SHARE * len(X))))
    if len(X) < 2 * min_leaf:
        raise DataValidationError(TOO_FEW.format(need=2 * min_leaf, got=len(X)), TOO_FEW_HINT)
    encoded, orders = _encode(X, error_values)
    tree = DecisionTreeRegressor(
        max_depth=max_depth, min_samples_leaf=min_leaf, random_state=random_state
    ).fit(encoded, error_values)
    structure = tree.tree_
    names = [str(c) for c in X.columns]
    nodes: list[ErrorNode] = []

    def visit(node: int, parent: int, depth: int, path: tuple[Condition, ...]) -> None:
        n_rows = int(structure.n_node_samples[node])
        error = float(structure.value[node].ravel()[0])
        left, right = structure.children_left[node], structure.children_right[node]
        nodes.append(
            ErrorNode(node, parent, depth, path, n_rows, error * n_rows, error, left == -1)
        )
        if left == -1:
            return
        feature, threshold = names[structure.feature[node]], float(structure.threshold[node])
        missing_left = bool(structure.missing_go_to_left[node])
        has_missing = bool(X[feature].isna().any())
        for child, goes_left in ((left, True), (right, False)):
            condition = _split_condition(
                feature, threshold, goes_left, orders.get(feature),
                missing=has_missing and missing_left == goes_left,
            )  # fmt: skip
            visit(child, node, depth + 1, _merge(path, condition))

    visit(0, -1, 0, ())
    importance = tree.feature_importances_
    used = [names[j] for j in np.argsort(-importance, kind="stable") if importance[j] > 0]
    return ErrorTree(tuple(nodes), kind, float(error_values.mean()), len(X), tuple(used))


def _split_condition(
    feature: str, threshold: float, left: bool, order: list[str] | None, *, missing: bool
) -> Condition:
    if order is None and np.isinf(threshold):  # scikit-learn's split of missing from known
        return Condition("column", "not in" if left else "in", (), column=feature, missing=not left)
    if order is None:
        return Condition(
            "column", "<=" if left else ">", threshold, column=feature, missing=missing
        )
    cut = int(np.floor(threshold)) + 1
    chosen = order[:cut] if left else order[cut:]
    keep_missing = MISSING in chosen
    values = tuple(c for c in chosen if c != MISSING)
    return Condition("column", "in", values, column=feature, missing=keep_missing)


def _merge(path: tuple[Condition, ...], new: Condition) -> tuple[Condition, ...]:
    """Add ``new`` to ``path``, folding it into an earlier condition of the same kind.

    A child's bound in the same direction is tighter than its parent's, and a
    child's categories are those of its split that its parent also allowed.
    """
    kept = []
    for old in path:
        if old.column != new.column or old.operator != new.operator:
            kept.append(old)
            continue
        value = new.value
        if isinstance(new.value, tuple) and isinstance(old.value, tuple):
            allowed = old.value
            if new.operator == "in":
                value = tuple(v for v in new.value if v in allowed)
            else:
                value = tuple(dict.fromkeys((*allowed, *new.value)))
        elif isinstance(new.value, float) and isinstance(old.value, float):
            value = min(old.value, new.value) if new.operator == "<=" else max(old.value, new.value)
        new = Condition(
            "column", new.operator, value, column=new.column, missing=old.missing and new.missing
        )
    return (*kept, new)


@dataclass(frozen=True, slots=True)
class ErrorHeatmap:
    """Error by the bins of two features.

    Parameters
    ----------
    features : (str, str)
        The feature across (columns of ``error``) and the one down (rows).
    x_bins, y_bins : tuple of str
        Bin labels ("18 – 26", a category, "(missing)").
    error : array of shape (len(y_bins), len(x_bins))
        Error rate (or mean absolute error) per cell; NaN where empty.
    counts : array of shape (len(y_bins), len(x_bins))
    kind : {"error rate", "absolute error"}
    x_conditions, y_conditions : tuple of Condition
        The condition each bin stands for, so a cell can open as a cohort.
    """

    features: tuple[str, str]
    x_bins: tuple[str, ...]
    y_bins: tuple[str, ...]
    error: FloatArray
    counts: npt.NDArray[np.int64]
    kind: str
    x_conditions: tuple[tuple[Condition, ...], ...]
    y_conditions: tuple[tuple[Condition, ...], ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "error", _readonly(self.error))
        object.__setattr__(self, "counts", _readonly(self.counts, dtype=np.int64))

    def cell_cohort(self, x: int, y: int) -> Cohort:
        """The rows of one cell as a cohort."""
        name = f"{self.features[0]} {self.x_bins[x]}, {self.features[1]} {self.y_bins[y]}"
        return Cohort(name, (*self.x_conditions[x], *self.y_conditions[y]))


Bins = tuple[npt.NDArray[np.int64], list[str], list[tuple[Condition, ...]]]


def _bins(column: pd.Series) -> Bins:
    """Bin number per row, the labels, and each bin's conditions."""
    name = str(column.name)
    missing = column.isna().to_numpy()
    labels: list[str] = []
    conditions: list[tuple[Condition, ...]] = []
    codes = np.full(len(column), -1, dtype=np.int64)
    if _is_numeric(column) and column.nunique() > HEATMAP_CATEGORIES:
        values = column.to_numpy(dtype=float)
        edges = np.unique(np.nanquantile(values, np.linspace(0, 1, HEATMAP_BINS + 1)))
        inner = edges[1:-1]
        codes[~missing] = np.searchsorted(inner, values[~missing], side="right")
        bounds = [float(edges[0]), *map(float, inner), float(edges[-1])]
        for b in range(len(bounds) - 1):
            low, high = bounds[b], bounds[b + 1]
            labels.append(f"{low:,.4g} – {high:,.4g}")
            parts = [] if b == 0 else [Condition("column", ">=", low, column=name)]
            if b < len(bounds) - 2:
                parts.append(Condition("column", "<", high, column=name))
            conditions.append(tuple(parts))
    else:
        text = column.astype(object).astype(str)
        counts = text[~missing].value_counts()
        top = sorted(counts.index[:HEATMAP_CATEGORIES], key=str)
        position = {c: i for i, c in enumerate(top)}
        codes[~missing] = text[~missing].map(position).fillna(-2).to_numpy(dtype=np.int64)
        labels = [str(c) for c in top]
        conditions = [(Condition("column", "in", (str(c),), column=name),) for c in top]
        if (codes == -2).any():
            codes[codes == -2] = len(labels)
            labels.append("other")
            conditions.append((Condition("column", "not in", tuple(map(str, top)), column=name),))
    if missing.any():
        codes[missing] = len(labels)
        labels.append(MISSING)
        conditions.append((Condition("column", "in", (), column=name, missing=True),))
    return codes, labels, conditions


def error_heatmap(
    X: pd.DataFrame, errors: npt.ArrayLike, features: tuple[str, str], *, kind: str = "error rate"
) -> ErrorHeatmap:
    """Error rate (or mean absolute error) by quantile bins or categories of two features.

    Numbers with more than eight distinct values are cut at their quartiles;
    other columns keep their eight most common values (the rest as "other").
    """
    error_values = np.asarray(errors, dtype=float)
    x_codes, x_labels, x_conditions = _bins(X[features[0]])
    y_codes, y_labels, y_conditions = _bins(X[features[1]])
    counts = np.zeros((len(y_labels), len(x_labels)), dtype=np.int64)
    sums = np.zeros(counts.shape)
    np.add.at(counts, (y_codes, x_codes), 1)
    np.add.at(sums, (y_codes, x_codes), error_values)
    with np.errstate(invalid="ignore", divide="ignore"):
        error = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return ErrorHeatmap(
        features, tuple(x_labels), tuple(y_labels), error, counts, kind,
        tuple(x_conditions), tuple(y_conditions),
    )  # fmt: skip


__all__ = [
    "ErrorHeatmap",
    "ErrorNode",
    "ErrorTree",
    "ModelErrors",
    "error_heatmap",
    "error_tree",
    "model_errors",
    "prediction_errors",
]
