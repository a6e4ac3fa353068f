"""xgboost and lightgbm models as :class:`~explainers.tree_engine.TreeArrays`, for the engine.

The engine explains these trees several times faster per core than the
libraries' own ``pred_contribs`` / ``pred_contrib`` (benchmarks/tree_engine.py)
and gives the same exact path-dependent values: the libraries compute them in
float32, the engine in float64 from the same float32 leaf values and covers.

Splits are rewritten to the engine's "go left when ``x <= threshold``":
xgboost goes left when ``x < t`` in float32, which is ``x <= t'`` for the
largest float32 ``t'`` below ``t``; lightgbm already splits ``x <= t`` in
float64. Covers are xgboost's ``sum_hessian`` and lightgbm's data counts, as
their own TreeSHAP uses. The constant offset is not read here: the caller
takes it from the library's own bias term (:func:`with_bias`).

Models these arrays cannot describe exactly give None, and the library's own
contributions are used: dart and linear boosters, categorical splits,
multi-target leaves, lightgbm's random-forest mode, linear trees and its
"zero as missing" splits.
"""

from __future__ import annotations

import dataclasses
import json
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from explainers.tree_engine import PreparedTrees, TreeArrays, prepare, shap_values
from explainers.tree_models import concat_trees

FloatArray = npt.NDArray[np.float64]
_Engine = tuple[PreparedTrees, frozenset[int]]
# one table per fitted model and process: building it reads every tree
_PREPARED: weakref.WeakKeyDictionary[Any, _Engine | None] = weakref.WeakKeyDictionary()


def engine_contributions(
    model: Any, booster: Any, X: Any, native: Callable[[Any], FloatArray], *, n_rounds: int = 0
) -> FloatArray | None:
    """The library's contributions, computed by the engine; None where it cannot.

    Parameters
    ----------
    model : object
        The estimator or booster adapter (the cache key; its ``missing`` is honoured).
    booster : xgboost.Booster or lightgbm.Booster
    X : DataFrame or array of shape (n_rows, n_features)
        The model's input; every column numeric.
    native : callable
        The library's own contributions for some rows (read once, for its bias).
    n_rounds : int
        xgboost rounds used (0: all); lightgbm uses its best iteration.

    Returns
    -------
    array of shape (n_rows, n_outputs, n_features + 1) or None
        Attributions then the bias, as the library lays them out per output.
    """
    if len(X) == 0 or not _numeric(X) or not np.isnan(getattr(model, "missing", np.nan)):
        return None
    try:
        engine = _PREPARED[model]
    except KeyError:
        engine = _prepare(booster, X, native, n_rounds)
        _PREPARED[model] = engine
    rows = np.asarray(X, np.float64)
    if engine is None or rows.shape[1] <= int(engine[0].trees.feature.max(initial=-1)):
        return None
    prepared, as_zero = engine
    if as_zero and np.isnan(rows[:, sorted(as_zero)]).any():
        return None  # lightgbm reads these missing values as 0 on some splits
    values, bias = shap_values(prepared, rows)
    out = np.empty((len(rows), values.shape[2], values.shape[1] + 1))
    out[:, :, :-1] = values.transpose(0, 2, 1)
    out[:, :, -1] = bias
    return out


def _prepare(
    booster: Any, X: Any, native: Callable[[Any], FloatArray], n_rounds: int
) -> _Engine | None:
    module = type(booster).__module__
    if module.startswith("xgboost"):
        arrays = xgboost_arrays(booster, n_rounds)
        engine = None if arrays is None else (arrays, frozenset[int]())
    else:
        engine = lightgbm_arrays(booster)
    if engine is None:
        return None
    arrays, as_zero = engine
    first = X.iloc[:1] if isinstance(X, pd.DataFrame) else X[:1]
    probe = np.asarray(native(first), np.float64).reshape(1, arrays.n_outputs, -1)
    return with_bias(prepare(arrays), probe[0, :, -1]), as_zero


def _numeric(X: Any) -> bool:
    if isinstance(X, pd.DataFrame):
        return all(
            pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in X.dtypes
        )
    return np.asarray(X).dtype.kind in "fiu"


def xgboost_arrays(booster: Any, n_rounds: int) -> TreeArrays | None:
    """The trees of the first ``n_rounds`` boosting rounds (0: all) of an ``xgboost.Booster``."""
    learner = json.loads(booster.save_raw("json"))["learner"]
    gradient_booster = learner["gradient_booster"]
    params = learner["learner_model_param"]
    if gradient_booster.get("name") != "gbtree" or int(params.get("num_target", 1)) > 1:
        return None
    model = gradient_booster["model"]
    trees, info = model["trees"], model["tree_info"]
    bounds = model.get("iteration_indptr") or []
    end = int(bounds[n_rounds]) if 0 < n_rounds < len(bounds) else len(trees)
    parts = []
    for tree, output in zip(trees[:end], info[:end], strict=True):
        if any(tree["split_type"]) or int(tree["tree_param"].get("size_leaf_vector", 1)) > 1:
            return None
        left = np.asarray(tree["left_children"], np.int64)
        right = np.asarray(tree["right_children"], np.int64)
        leaf = left < 0
        condition = np.asarray(tree["split_conditions"], np.float32)
        below = np.nextafter(condition, np.float32(-np.inf)).astype(np.float64)
        default = np.where(np.asarray(tree["default_left"], bool), left, right)
        value = np.where(leaf, condition.astype(np.float64), 0.0)[:, None]
        parts.append((left, right, default, np.asarray(tree["split_indices"], np.int64),
                      np.where(leaf, 0.0, below), value,
                      np.asarray(tree["sum_hessian"], np.float64), int(output)))  # fmt: skip
    if not parts:
        return None
    n_outputs = max(1, int(params.get("num_class", 0) or 0))
    return concat_trees(parts, n_outputs, np.zeros(n_outputs), np.float32, None)


def lightgbm_arrays(booster: Any) -> tuple[TreeArrays, frozenset[int]] | None:
    """The trees of a ``lightgbm.Booster`` up to its best iteration, and the features it
    reads a missing value of as 0 (a row with NaN there is left to lightgbm)."""
    dump = booster.dump_model(num_iteration=int(booster.best_iteration) or None)
    if dump.get("average_output") or any(t.get("num_cat", 0) for t in dump["tree_info"]):
        return None
    per_iteration = max(1, int(dump["num_tree_per_iteration"]))
    parts = []
    as_zero: set[int] = set()
    for tree in dump["tree_info"]:
        nodes = _lightgbm_nodes(tree["tree_structure"], as_zero)
        if nodes is None:
            return None
        parts.append((*nodes, int(tree["tree_index"]) % per_iteration))
    if not parts:
        return None
    arrays = concat_trees(parts, per_iteration, np.zeros(per_iteration), np.float64, None)
    return arrays, frozenset(as_zero)


def _lightgbm_nodes(root: dict[str, Any], as_zero: set[int]) -> tuple[Any, ...] | None:
    """One tree's nodes in depth-first order: (left, right, default, feature, threshold,
    value, cover), local indices, leaves with children -1."""
    rows: list[list[Any]] = []
    pending: list[tuple[dict[str, Any], int]] = [(root, -1)]
    while pending:
        node, parent_slot = pending.pop()
        index = len(rows)
        if parent_slot >= 0:
            parent, side = divmod(parent_slot, 2)
            rows[parent][side] = index
        if "leaf_index" in node:
            rows.append([-1, -1, -1, -1, 0.0, float(node["leaf_value"]), float(node["leaf_count"])])
            continue
        missing = node.get("missing_type", "None")
        if node.get("decision_type") != "<=" or missing not in ("None", "NaN"):
            return None
        if missing == "None":
            as_zero.add(int(node["split_feature"]))
        rows.append([0, 0, bool(node["default_left"]), int(node["split_feature"]),
                     float(node["threshold"]), 0.0, float(node["internal_count"])])  # fmt: skip
        pending.append((node["right_child"], 2 * index + 1))
        pending.append((node["left_child"], 2 * index))
    left = np.array([r[0] for r in rows], np.int64)
    right = np.array([r[1] for r in rows], np.int64)
    default = np.where([bool(r[2]) for r in rows], left, right)
    return (left, right, default, np.array([r[3] for r in rows], np.int64),
            np.array([r[4] for r in rows]), np.array([[r[5]] for r in rows]),
            np.array([r[6] for r in rows]))  # fmt: skip


def with_bias(prepared: PreparedTrees, bias: npt.ArrayLike) -> PreparedTrees:
    """The same trees with the library's own bias term as expected value (one per output).

    The bias is the library's base score plus its trees' expected value, read
    from its contributions for any one row: it holds whatever constant the
    objective adds, in the space the contributions are in.
    """
    return dataclasses.replace(prepared, expected_value=np.asarray(bias, np.float64).reshape(-1))
