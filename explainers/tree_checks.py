"""Range checks on the tree arrays of a model file, made before anything predicts with them.

Tree ensembles predict in C: a child index, a feature index or a bitset index
read from the file is used to index memory without a bounds check. A file
whose ``left_child`` points outside the node array crashes the process (or
reads memory it should not) at the first prediction. Each check here takes the
arrays as the file gave them and raises :class:`TreeCheckError` unless every
node's children come after it and inside the array, every node is reached
exactly once from the root, and every feature index names an input column.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

MAX_TREE_NODES = 50_000_000
"""More nodes than any tree a model file may hold (a depth-25 full tree has 67 million)."""


class TreeCheckError(ValueError):
    """A tree's arrays are inconsistent; the message names what, in whybox's words."""


def check_tree_nodes(
    left: npt.ArrayLike,
    right: npt.ArrayLike,
    feature: npt.ArrayLike,
    *,
    n_features: int,
    leaf: npt.ArrayLike | None = None,
    leaf_child: int = -1,
) -> int:
    """Check one tree given as parallel per-node arrays; return its depth.

    Parameters
    ----------
    left, right : array of shape (n_nodes,)
        Child indices; a leaf has ``leaf_child`` in both (unless ``leaf`` says
        which nodes are leaves).
    feature : array of shape (n_nodes,)
        The input column each split node reads.
    n_features : int
        How many input columns the model takes.
    leaf : array of shape (n_nodes,) of bool, optional
        Which nodes are leaves, where the format stores it separately.
    leaf_child : int, default=-1
        The child index a leaf stores when ``leaf`` is not given.

    Returns
    -------
    int
        The tree's depth (0 for a single leaf).

    Raises
    ------
    TreeCheckError
        A child index outside the tree or not after its parent, a node reached
        twice or never, or a split on a column the model does not have.
    """
    left_arr = np.asarray(left, dtype=np.int64)
    right_arr = np.asarray(right, dtype=np.int64)
    feature_arr = np.asarray(feature, dtype=np.int64)
    n_nodes = left_arr.shape[0] if left_arr.ndim == 1 else -1
    if n_nodes < 1 or n_nodes > MAX_TREE_NODES:
        raise TreeCheckError("a tree has no nodes or too many")
    if right_arr.shape != left_arr.shape or feature_arr.shape != left_arr.shape:
        raise TreeCheckError("a tree's node arrays differ in length")
    if leaf is None:
        is_leaf = (left_arr == leaf_child) & (right_arr == leaf_child)
    else:
        is_leaf = np.asarray(leaf, dtype=bool)
        if is_leaf.shape != left_arr.shape:
            raise TreeCheckError("a tree's node arrays differ in length")
    split = ~is_leaf
    index = np.arange(n_nodes)
    for children in (left_arr[split], right_arr[split]):
        if np.any(children <= index[split]) or np.any(children >= n_nodes):
            raise TreeCheckError("a tree node points to a child outside the tree")
    if np.any(feature_arr[split] < 0) or np.any(feature_arr[split] >= n_features):
        raise TreeCheckError("a tree splits on a column the model does not have")
    return _depth(left_arr, right_arr, split)


def check_sklearn_tree(nodes: npt.NDArray[np.void], *, n_features: int, max_depth: int) -> None:
    """Check a scikit-learn ``Tree``'s node array (``NODE_DTYPE``) against its stated depth.

    shap's TreeSHAP sizes its buffers by ``max_depth``; a tree deeper than it
    says would overflow them.

    Raises
    ------
    TreeCheckError
    """
    depth = check_tree_nodes(
        nodes["left_child"], nodes["right_child"], nodes["feature"], n_features=n_features
    )
    if depth > max_depth:
        raise TreeCheckError("a tree is deeper than it says")


def check_hist_predictor(nodes: npt.NDArray[np.void], *, n_features: int, n_bitsets: int) -> None:
    """Check a HistGradientBoosting ``TreePredictor``'s node array.

    Raises
    ------
    TreeCheckError
    """
    is_leaf = nodes["is_leaf"].astype(bool)
    check_tree_nodes(
        nodes["left"], nodes["right"], nodes["feature_idx"], n_features=n_features, leaf=is_leaf
    )
    categorical = ~is_leaf & nodes["is_categorical"].astype(bool)
    if np.any(nodes["bitset_idx"][categorical] >= n_bitsets):
        raise TreeCheckError("a tree reads a category set the model does not have")


def check_xgboost_model(model: dict[str, object]) -> None:
    """Check every tree of an xgboost model as written by ``save_raw("json")``.

    Raises
    ------
    TreeCheckError
    """
    try:
        learner = model["learner"]
        n_features = int(learner["learner_model_param"]["num_feature"])  # type: ignore[index]
        booster = learner["gradient_booster"]  # type: ignore[index]
        trees = (
            booster["model"]["trees"] if "model" in booster else booster["gbtree"]["model"]["trees"]
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise TreeCheckError("the xgboost model lacks its trees") from exc
    for tree in trees:
        try:
            left = np.asarray(tree["left_children"], dtype=np.int64)
            right = np.asarray(tree["right_children"], dtype=np.int64)
            feature = np.asarray(tree["split_indices"], dtype=np.int64)
            segments = np.asarray(tree.get("categories_segments", []), dtype=np.int64)
            sizes = np.asarray(tree.get("categories_sizes", []), dtype=np.int64)
            cat_nodes = np.asarray(tree.get("categories_nodes", []), dtype=np.int64)
            n_categories = len(tree.get("categories", []))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise TreeCheckError("an xgboost tree lacks its node arrays") from exc
        if not (left.ndim == right.ndim == feature.ndim == 1) or left.size < 1:
            raise TreeCheckError("a tree has no nodes")
        if not (left.shape == right.shape == feature.shape):
            raise TreeCheckError("a tree's node arrays differ in length")
        _check_unordered(left, right, feature, left == -1, max(n_features, 1))
        if segments.shape != sizes.shape or cat_nodes.shape != sizes.shape:
            raise TreeCheckError("a tree's category arrays differ in length")
        if np.any(cat_nodes < 0) or np.any(cat_nodes >= left.size):
            raise TreeCheckError("a tree reads a category set the model does not have")
        if np.any(segments < 0) or np.any(sizes < 0) or np.any(segments + sizes > n_categories):
            raise TreeCheckError("a tree reads a category set the model does not have")


_LGB_FIELD = re.compile(r"^([a-z_]+)=(.*)$")
_LGB_MAX_FEATURE = re.compile(r"^max_feature_idx=(-?\d+)$", re.MULTILINE)
_LGB_TREE_SIZES = re.compile(r"^tree_sizes=(.*)$", re.MULTILINE)
# Per-tree arrays lightgbm reads with the tree's own counts, and how long each must be.
_LGB_PER_SPLIT = ("split_feature", "threshold", "decision_type", "left_child", "right_child")
_LGB_PER_SPLIT_OPTIONAL = ("split_gain", "internal_value", "internal_weight", "internal_count")
_LGB_PER_LEAF_OPTIONAL = ("leaf_weight", "leaf_count")
_LGB_CATEGORICAL = 1  # bit of decision_type marking a categorical split


def check_lightgbm_text(text: str) -> None:
    """Check every tree of a lightgbm text model (``model_to_string``).

    lightgbm stores a leaf as child ``~leaf_index`` (negative) and a split as
    its index among the tree's ``num_leaves - 1`` split nodes. Its parser reads
    each array with the counts the tree states and aborts the whole process on
    a short one (a model cut off half way did), so every array's length is
    checked too, and the model must be complete.

    Raises
    ------
    TreeCheckError
    """
    found = _LGB_MAX_FEATURE.search(text)
    if found is None:
        raise TreeCheckError("the lightgbm model does not say how many columns it takes")
    if "\nend of trees" not in text:
        raise TreeCheckError("the lightgbm model is cut off before its last tree")
    parameters = text.find("\nparameters:\n")
    if parameters >= 0 and text.find("\nend of parameters", parameters) < 0:
        # lightgbm reads on past the end of the text looking for this line.
        raise TreeCheckError("the lightgbm model is cut off in its parameters")
    n_features = int(found.group(1)) + 1
    trees = text.split("\nend of trees")[0].split("\nTree=")[1:]
    sizes = _LGB_TREE_SIZES.search(text)
    if sizes is not None and len(sizes.group(1).split()) != len(trees):
        raise TreeCheckError("the lightgbm model holds fewer trees than it says")
    for block in trees:
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            matched = _LGB_FIELD.match(line)
            if matched:
                fields[matched.group(1)] = matched.group(2)
        _check_lightgbm_tree(fields, n_features)


def _ints(text: str) -> npt.NDArray[np.int64]:
    return np.array([int(v) for v in text.split()], dtype=np.int64)


def _length(fields: dict[str, str], name: str) -> int:
    return len(fields[name].split())


def _check_lightgbm_tree(fields: dict[str, str], n_features: int) -> None:
    try:
        n_leaves = int(fields["num_leaves"])
        if n_leaves < 1 or n_leaves > MAX_TREE_NODES:
            raise TreeCheckError("a tree has no leaves or too many")
        if _length(fields, "leaf_value") != n_leaves:
            raise TreeCheckError("a tree's leaf values do not match its leaves")
        if any(_length(fields, f) != n_leaves for f in _LGB_PER_LEAF_OPTIONAL if f in fields):
            raise TreeCheckError("a tree's leaf arrays do not match its leaves")
        if n_leaves == 1:
            return
        n_splits = n_leaves - 1
        per_split = [*_LGB_PER_SPLIT, *(f for f in _LGB_PER_SPLIT_OPTIONAL if f in fields)]
        if any(_length(fields, name) != n_splits for name in per_split):
            raise TreeCheckError("a tree's node arrays differ in length")
        left, right = _ints(fields["left_child"]), _ints(fields["right_child"])
        feature = _ints(fields["split_feature"])
        _check_lightgbm_categories(fields, _ints(fields["decision_type"]))
    except (KeyError, ValueError) as exc:
        raise TreeCheckError("a lightgbm tree lacks its node arrays") from exc

    # Renumber as one array: splits 0..n_splits-1, then leaf k at n_splits + k.
    def renumber(children: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return np.where(children < 0, n_splits + ~children, children)

    leaf_pad = np.full(n_leaves, -1, dtype=np.int64)
    all_left = np.concatenate([renumber(left), leaf_pad])
    all_right = np.concatenate([renumber(right), leaf_pad])
    all_feature = np.concatenate([feature, np.zeros(n_leaves, dtype=np.int64)])
    is_leaf = np.arange(n_splits + n_leaves) >= n_splits
    if np.any(left < -n_leaves) or np.any(right < -n_leaves):
        raise TreeCheckError("a tree node points to a leaf outside the tree")
    _check_unordered(all_left, all_right, all_feature, is_leaf, n_features)


def _check_lightgbm_categories(fields: dict[str, str], decision: npt.NDArray[np.int64]) -> None:
    """Categorical splits index ``cat_boundaries``, which index ``cat_threshold``."""
    n_cat = int(fields.get("num_cat", "0"))
    categorical = (decision & _LGB_CATEGORICAL).astype(bool)
    if n_cat == 0:
        if np.any(categorical):
            raise TreeCheckError("a tree reads a category set the model does not have")
        return
    boundaries = _ints(fields["cat_boundaries"])
    n_words = _length(fields, "cat_threshold")
    if boundaries.shape != (n_cat + 1,) or boundaries[0] != 0 or boundaries[-1] != n_words:
        raise TreeCheckError("a tree's category sets are malformed")
    if np.any(np.diff(boundaries) < 0):
        raise TreeCheckError("a tree's category sets are malformed")
    thresholds = np.array([float(v) for v in fields["threshold"].split()])
    used = thresholds[categorical]
    if np.any(used < 0) or np.any(used >= n_cat) or np.any(used != np.round(used)):
        raise TreeCheckError("a tree reads a category set the model does not have")


def _check_unordered(
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
    feature: npt.NDArray[np.int64],
    is_leaf: npt.NDArray[np.bool_],
    n_features: int,
) -> None:
    """Like :func:`check_tree_nodes` for formats whose children may come before their parent."""
    n_nodes = left.shape[0]
    split = ~is_leaf
    for children in (left[split], right[split]):
        if np.any(children < 0) or np.any(children >= n_nodes):
            raise TreeCheckError("a tree node points to a child outside the tree")
    if np.any(feature[split] < 0) or np.any(feature[split] >= n_features):
        raise TreeCheckError("a tree splits on a column the model does not have")
    _depth(left, right, split)


def _depth(
    left: npt.NDArray[np.int64], right: npt.NDArray[np.int64], split: npt.NDArray[np.bool_]
) -> int:
    """Walk from the root level by level; every node must be reached exactly once."""
    n_nodes = left.shape[0]
    reached = np.zeros(n_nodes, dtype=np.int64)
    reached[0] = 1
    np.add.at(reached, left[split], 1)
    np.add.at(reached, right[split], 1)
    if np.any(reached != 1):
        raise TreeCheckError("a tree node is reached twice or never")
    # n_nodes - 1 edges and one parent each: a tree, unless a cycle is cut off
    # from the root, which the walk would never reach.
    seen, depth = 0, -1
    frontier = np.array([0], dtype=np.int64)
    while frontier.size:
        seen += frontier.size
        depth += 1
        if seen > n_nodes:
            raise TreeCheckError("a tree has a cycle")
        inner = frontier[split[frontier]]
        frontier = np.concatenate([left[inner], right[inner]])
    if seen != n_nodes:
        raise TreeCheckError("a tree node is reached twice or never")
    return depth
