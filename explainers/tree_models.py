"""scikit-learn tree ensembles as :class:`~explainers.tree_engine.TreeArrays`.

The same trees, leaf values, covers and offsets that ``shap.TreeExplainer``
reads (RandomForest, ExtraTrees, DecisionTree, GradientBoosting,
HistGradientBoosting), without importing shap. Models these arrays cannot
describe exactly (multi-output trees, a boosting model started from a
non-constant estimator, categorical HistGradientBoosting splits) give None.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from explainers.tree_engine import TreeArrays

_FORESTS = (
    "RandomForestClassifier", "RandomForestRegressor",
    "ExtraTreesClassifier", "ExtraTreesRegressor",
    "DecisionTreeClassifier", "DecisionTreeRegressor",
)  # fmt: skip


def tree_arrays(estimator: Any) -> TreeArrays | None:
    """The ensemble's trees as flat arrays, or None when the engine cannot explain it.

    Parameters
    ----------
    estimator : fitted scikit-learn estimator

    Returns
    -------
    TreeArrays or None
    """
    module = type(estimator).__module__
    name = type(estimator).__name__
    if not module.startswith(("sklearn.ensemble", "sklearn.tree")):
        return None
    if name in _FORESTS:
        return _forest(estimator)
    if name in ("GradientBoostingClassifier", "GradientBoostingRegressor"):
        return _gradient_boosting(estimator)
    if name in ("HistGradientBoostingClassifier", "HistGradientBoostingRegressor"):
        return _hist_gradient_boosting(estimator)
    return None


def _forest(estimator: Any) -> TreeArrays | None:
    single = not hasattr(estimator, "estimators_")
    members = [estimator] if single else list(estimator.estimators_)
    if any(m.tree_.n_outputs != 1 for m in members):
        return None
    classifier = hasattr(estimator, "classes_")
    scaling = 1.0 / len(members)
    parts = []
    for member in members:
        tree = member.tree_
        value = tree.value[:, 0, :].astype(np.float64)
        if classifier:
            value = (value.T / value.sum(axis=1)).T
        value = value * scaling
        if classifier:
            value = value[:, :-1]  # the last class is one minus the others
        left = tree.children_left.astype(np.int64)
        missing_left = getattr(tree, "missing_go_to_left", None)
        default = (
            left if missing_left is None
            else np.where(missing_left.astype(bool), left, tree.children_right)
        )  # fmt: skip
        parts.append((left, tree.children_right, default, tree.feature, tree.threshold,
                      value, tree.weighted_n_node_samples, 0))  # fmt: skip
    n_outputs = value.shape[1] + 1 if classifier else 1
    complement = 1.0 if classifier else None
    return concat_trees(parts, n_outputs, np.zeros(n_outputs), np.float32, complement)


def _gradient_boosting(estimator: Any) -> TreeArrays | None:
    init = estimator.init_
    if not (init == "zero" or type(init).__name__ in ("DummyClassifier", "DummyRegressor")):
        return None
    grid = estimator.estimators_  # (n_iterations, n_outputs)
    n_outputs = grid.shape[1]
    probe = np.zeros((1, estimator.n_features_in_), np.float32)
    offset = np.asarray(estimator._raw_predict_init(probe), np.float64).reshape(-1)
    parts = []
    for row in grid:
        for k, member in enumerate(row):
            tree = member.tree_
            if tree.n_outputs != 1:
                return None
            value = tree.value[:, 0, :1].astype(np.float64) * estimator.learning_rate
            left = tree.children_left.astype(np.int64)
            missing_left = getattr(tree, "missing_go_to_left", None)
            default = (
                left if missing_left is None
                else np.where(missing_left.astype(bool), left, tree.children_right)
            )  # fmt: skip
            parts.append((left, tree.children_right, default, tree.feature, tree.threshold,
                          value, tree.weighted_n_node_samples, k))  # fmt: skip
    return concat_trees(parts, n_outputs, offset, np.float32, None)


def _hist_gradient_boosting(estimator: Any) -> TreeArrays | None:
    predictors = estimator._predictors
    n_outputs = len(predictors[0]) if predictors else 1
    offset = np.asarray(estimator._baseline_prediction, np.float64).reshape(-1)
    parts = []
    for iteration in predictors:
        for k, predictor in enumerate(iteration):
            nodes = predictor.nodes
            if "is_categorical" in nodes.dtype.names and nodes["is_categorical"].any():
                return None
            leaf = nodes["is_leaf"].astype(bool)
            left = np.where(leaf, -1, nodes["left"].astype(np.int64))
            right = np.where(leaf, -1, nodes["right"].astype(np.int64))
            default = np.where(nodes["missing_go_to_left"].astype(bool), left, right)
            feature = np.where(leaf, -2, nodes["feature_idx"]).astype(np.int64)
            value = nodes["value"].astype(np.float64)[:, None]
            parts.append((left, right, default, feature, nodes["num_threshold"], value,
                          nodes["count"], k))  # fmt: skip
    if not parts:
        return None
    return concat_trees(parts, n_outputs, offset, np.float64, None)


def concat_trees(
    parts: list[tuple[Any, ...]],
    n_outputs: int,
    base_offset: Any,
    input_dtype: Any,
    complement: float | None,
) -> TreeArrays:
    sizes = np.array([len(p[0]) for p in parts], np.int64)
    roots = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)

    def children(i: int) -> npt.NDArray[np.int64]:
        return np.concatenate([
            np.where(np.asarray(p[i]) >= 0, np.asarray(p[i], np.int64) + r, -1)
            for p, r in zip(parts, roots, strict=True)
        ])  # fmt: skip

    return TreeArrays(
        left=children(0),
        right=children(1),
        default=children(2),
        feature=np.concatenate([np.where(np.asarray(p[0]) >= 0, p[3], -1) for p in parts]).astype(
            np.int64
        ),
        threshold=np.concatenate([np.asarray(p[4], np.float64) for p in parts]),
        value=np.ascontiguousarray(np.concatenate([p[5] for p in parts])),
        cover=np.concatenate([np.asarray(p[6], np.float64) for p in parts]),
        roots=roots,
        tree_output=np.array([p[7] for p in parts], np.int64),
        n_outputs=int(n_outputs),
        base_offset=np.asarray(base_offset, np.float64).reshape(n_outputs),
        input_dtype=input_dtype,
        complement=complement,
    )
