"""Checks on a loaded model object before anything predicts with it or copies it.

A model file chooses every number in it. Some of those numbers size what the
libraries allocate or say how many threads they start (``n_features_in_``,
``classes_``, ``_n_threads``, ``n_jobs``), some are indices the libraries'
C code follows without a bounds check (tree nodes, sparse indices), and the
nesting of the objects decides whether copying the model to a worker process
overflows the interpreter's stack. :func:`check_loaded_model` walks the whole
object graph once, without recursion, and refuses or clamps what is out of
range; each refusal is a :class:`~explainers.errors.ModelLoadError` in
whybox's own words.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import numpy as np

from explainers.errors import ModelLoadError
from explainers.tree_checks import TreeCheckError, check_hist_predictor, check_xgboost_model

MAX_FEATURES = 1_000_000
MAX_CLASSES = 100_000
MAX_OUTPUTS = 10_000
MAX_NESTING = 200
"""Deepest nesting of objects accepted; copying a model uses about 3 stack frames a level."""
MAX_OBJECTS = 20_000_000

TOO_DEEP = "The model file nests its objects more than {limit} levels deep, which no model needs."
TOO_MANY_OBJECTS = "The model file holds more than {limit:,} objects, more than whybox accepts."
COUNT_OUT_OF_RANGE = (
    "The model file says its model has {value} {what}; whybox accepts at most {limit:,}."
)
BAD_TREES = "The model's trees are inconsistent: {what}. Predicting with them could crash."
BAD_SPARSE = "A sparse matrix in the model file points outside its own data."
CHECK_HINT = "Save the fitted model again from the code that trained it and upload the new file."

_LOG = logging.getLogger(__name__)
_COUNTS = {
    "n_features_in_": ("input columns", MAX_FEATURES),
    "n_outputs_": ("outputs", MAX_OUTPUTS),
    "n_classes_": ("classes", MAX_CLASSES),
    "n_trees_per_iteration_": ("trees per round", MAX_CLASSES),
}
_THREAD_ATTRIBUTES = ("_n_threads", "n_jobs", "n_threads", "nthread", "num_threads", "thread_count")
_THREAD_PARAMETERS = ("n_jobs", "nthread", "num_threads", "n_threads", "thread_count")
_LEAVES = (str, bytes, bytearray, int, float, complex, bool, type(None), type, np.generic)


def _cores() -> int:
    return os.cpu_count() or 1


def _refuse(message: str) -> ModelLoadError:
    return ModelLoadError(message, CHECK_HINT)


def check_loaded_model(model: object) -> None:
    """Refuse a loaded model whose counts, trees or nesting are out of range; clamp its threads.

    Parameters
    ----------
    model : object
        What the file held, freshly loaded.

    Raises
    ------
    ModelLoadError
        Nesting deeper than :data:`MAX_NESTING`, more than :data:`MAX_OBJECTS`
        objects, a count above its cap, or trees or sparse matrices whose
        indices point outside their arrays.
    """
    seen: set[int] = set()
    pending: list[tuple[object, int]] = [(model, 0)]
    while pending:
        obj, depth = pending.pop()
        if isinstance(obj, _LEAVES) or id(obj) in seen:
            continue
        if depth > MAX_NESTING:
            raise _refuse(TOO_DEEP.format(limit=MAX_NESTING))
        seen.add(id(obj))
        if len(seen) > MAX_OBJECTS:
            raise _refuse(TOO_MANY_OBJECTS.format(limit=MAX_OBJECTS))
        _check_one(obj)
        pending.extend((child, depth + 1) for child in _children(obj))


def _children(obj: object) -> list[object]:
    if isinstance(obj, dict):
        return [*obj.keys(), *obj.values()]
    if isinstance(obj, (list, tuple, set, frozenset)):
        return list(obj)
    if isinstance(obj, np.ndarray):
        return list(obj.ravel()) if obj.dtype.hasobject else []
    attributes = getattr(obj, "__dict__", None)
    return list(attributes.values()) if isinstance(attributes, dict) else []


def _check_one(obj: object) -> None:
    attributes = getattr(obj, "__dict__", None)
    if isinstance(attributes, dict):
        _check_counts(attributes)
        _clamp_threads(obj, attributes)
        if "_predictors" in attributes and "_bin_mapper" in attributes:
            _check_hist_gradient_boosting(obj)
    module = type(obj).__module__
    if module.startswith("scipy.sparse"):
        _check_sparse(obj)
    elif module == "xgboost.core" and type(obj).__name__ == "Booster":
        _check_xgboost(obj)


def _check_counts(attributes: dict[str, Any]) -> None:
    for name, (what, limit) in _COUNTS.items():
        value = attributes.get(name)
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            if not 0 <= int(value) <= limit:
                raise _refuse(
                    COUNT_OUT_OF_RANGE.format(value=f"{int(value):,}", what=what, limit=limit)
                )
    classes = attributes.get("classes_")
    if isinstance(classes, (np.ndarray, list)) and len(classes) > MAX_CLASSES:
        raise _refuse(
            COUNT_OUT_OF_RANGE.format(value=f"{len(classes):,}", what="classes", limit=MAX_CLASSES)
        )


def _clamp(value: object) -> object:
    """A thread count above the cores of this machine becomes the number of cores."""
    if (
        isinstance(value, (int, np.integer))
        and not isinstance(value, bool)
        and int(value) > _cores()
    ):
        _LOG.warning("model file asked for %s threads; using %s", value, _cores())
        return _cores()
    return value


def _clamp_threads(obj: object, attributes: dict[str, Any]) -> None:
    for name in _THREAD_ATTRIBUTES:
        if name in attributes:
            attributes[name] = _clamp(attributes[name])
    for params_name in ("_other_params", "_init_params", "kwargs"):
        params = attributes.get(params_name)
        if isinstance(params, dict):
            for name in _THREAD_PARAMETERS:
                if name in params:
                    params[name] = _clamp(params[name])


def _check_hist_gradient_boosting(model: Any) -> None:
    n_features = model.__dict__.get("n_features_in_")
    mapper = model._bin_mapper
    is_categorical = getattr(mapper, "is_categorical_", None)
    if not isinstance(n_features, (int, np.integer)) or not isinstance(model._predictors, list):
        raise _refuse(BAD_TREES.format(what="it does not say how many columns it takes"))
    if is_categorical is not None and (
        not isinstance(is_categorical, np.ndarray) or is_categorical.shape != (n_features,)
    ):
        raise _refuse(BAD_TREES.format(what="its category flags do not match its columns"))
    categorical = (
        np.zeros(int(n_features), dtype=bool) if is_categorical is None else is_categorical
    )
    for iteration in model._predictors:
        for predictor in iteration if isinstance(iteration, list) else [None]:
            _check_predictor(predictor, int(n_features), categorical.astype(bool))


def _check_predictor(predictor: Any, n_features: int, categorical: np.ndarray) -> None:
    nodes = getattr(predictor, "nodes", None)
    bitsets = getattr(predictor, "raw_left_cat_bitsets", None)
    if not isinstance(nodes, np.ndarray) or nodes.dtype.names is None or nodes.ndim != 1:
        raise _refuse(BAD_TREES.format(what="a tree has no node array"))
    if not isinstance(bitsets, np.ndarray) or bitsets.ndim != 2 or bitsets.shape[1] != 8:
        raise _refuse(BAD_TREES.format(what="a tree's category sets are malformed"))
    try:
        check_hist_predictor(nodes, n_features=n_features, n_bitsets=bitsets.shape[0])
    except TreeCheckError as exc:
        raise _refuse(BAD_TREES.format(what=exc)) from None
    split_on_category = ~nodes["is_leaf"].astype(bool) & nodes["is_categorical"].astype(bool)
    if not np.all(categorical[nodes["feature_idx"][split_on_category]]):
        raise _refuse(BAD_TREES.format(what="a tree treats a numeric column as categories"))


def _check_sparse(matrix: Any) -> None:
    check = getattr(matrix, "check_format", None) or getattr(matrix, "_check", None)
    if check is None:
        return
    try:
        if getattr(matrix, "check_format", None) is not None:
            check(full_check=True)
        else:
            check()
    except Exception as exc:  # scipy raises ValueError, IndexError or TypeError
        _LOG.warning("sparse matrix refused: %s", exc)
        raise _refuse(BAD_SPARSE) from None


def _check_xgboost(booster: Any) -> None:
    try:
        check_xgboost_model(json.loads(bytes(booster.save_raw("json"))))
    except TreeCheckError as exc:
        raise _refuse(BAD_TREES.format(what=exc)) from None
    config = json.loads(booster.save_config())
    threads = config.get("learner", {}).get("generic_param", {}).get("nthread")
    if threads is not None and int(threads) > _cores():
        booster.set_param({"nthread": _cores()})
