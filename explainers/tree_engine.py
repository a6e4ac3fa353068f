"""Exact path-dependent TreeSHAP in O(nodes x depth) per row and tree, in numba.

shap's TreeSHAP costs O(leaves x depth^2) per row and tree. Here each leaf's
Shapley weights are written as an integral (Yu et al., "Linear TreeSHAP",
NeurIPS 2022, in another basis): for a leaf with value ``v`` whose path holds
the features ``j`` with cover fraction ``z_j`` and indicator ``o_j`` (the row
follows every split on ``j``),

    phi_i += v (o_i - z_i) * integral_0^1 prod_{j != i} (z_j (1 - t) + o_j t) dt,

a polynomial of degree below the path's length, so Gauss-Legendre quadrature
with ``ceil(depth / 2)`` points is exact (every factor lies in [0, 1] on the
interval: no cancellation). The sums over the leaves below each edge are
carried up the tree once, so each node costs O(points), not O(depth^2).

Everything that does not depend on the row (the factors' ratios at every
node, at every point) is computed once per model by :func:`prepare`;
:func:`shap_values` then explains rows on every core it is given (numba
threads, without the GIL). It is a pure function of tree arrays and rows, so
it runs wherever the model lives.

Numba's compiled code is cached on disk (``cache=True``), in the folder
:func:`explainers.trusted_cache.ensure_cache_dir` points it at before numba is
imported.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from explainers.cores import default_jobs

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True, eq=False)
class TreeArrays:
    """A tree ensemble as flat arrays (every tree's nodes one after another).

    Parameters
    ----------
    left, right, default : int arrays of shape (n_nodes,)
        Children (global node index; -1 at a leaf); ``default`` is where a
        missing value goes.
    feature : int array of shape (n_nodes,)
        Split feature (-1 at a leaf).
    threshold : float array of shape (n_nodes,)
        A row goes left when ``x[feature] <= threshold``.
    value : float array of shape (n_nodes, n_values)
        Leaf values, already scaled (a forest's ``1 / n_trees``, a boosting
        learning rate).
    cover : float array of shape (n_nodes,)
        Training weight reaching each node.
    roots : int array of shape (n_trees,)
        Root node of each tree.
    tree_output : int array of shape (n_trees,)
        First output column each tree's values add to.
    n_outputs : int
        Outputs of the model (classes, or 1).
    base_offset : float array of shape (n_outputs,)
        Constant added to every prediction (a boosting model's initial score).
    input_dtype : numpy dtype
        The dtype the model compares rows in (float32 for scikit-learn trees).
    complement : float or None
        When the model's outputs sum to this constant for every row
        (probabilities), ``value`` holds every output but the last, which is
        derived: its attributions are minus the others' sum.
    """

    left: IntArray
    right: IntArray
    default: IntArray
    feature: IntArray
    threshold: FloatArray
    value: FloatArray
    cover: FloatArray
    roots: IntArray
    tree_output: IntArray
    n_outputs: int
    base_offset: FloatArray
    input_dtype: type[np.floating[Any]]
    complement: float | None = None


@dataclass(frozen=True, slots=True, eq=False)
class PreparedTrees:
    """:class:`TreeArrays` plus the per-node tables of :func:`prepare`.

    ``ratio_follow[c]`` / ``ratio_leave[c]``: factor of the parent's feature
    at node ``c`` over its factor at the parent, at every quadrature point,
    when the row still follows every split on that feature and goes to /
    away from ``c``; ``ratio_off[c]``: the same once it has left (a
    constant); ``weight_follow[c]``: ``w (1 - z) / factor`` of a following
    row; ``weight_off``: ``-w / (1 - t)`` of any other row; ``repeat[c]``:
    whether that feature is split on above / again below ``c``.
    """

    trees: TreeArrays
    ratio_follow: FloatArray
    ratio_leave: FloatArray
    ratio_off: FloatArray
    weight_follow: FloatArray
    weight_off: FloatArray
    repeat: npt.NDArray[np.int8]
    expected_value: FloatArray
    n_points: int
    max_depth: int


def prepare(trees: TreeArrays) -> PreparedTrees:
    """Compute every row-independent table once per model.

    Parameters
    ----------
    trees : TreeArrays

    Returns
    -------
    PreparedTrees
    """
    _check_structure(trees)
    kernels = _kernels()
    combined, parent_z, repeat, unique_depth, max_depth = kernels.path_fractions(
        trees.left, trees.right, trees.feature, trees.cover, trees.roots
    )
    n_points = max(1, (int(unique_depth) + 1) // 2)
    x, w = np.polynomial.legendre.leggauss(n_points)
    t = (x + 1.0) / 2.0
    w = w / 2.0
    z = combined[:, None]
    zp = parent_z[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        follow_now = z * (1.0 - t) + t
        follow_before = zp * (1.0 - t) + t
        ratio_follow = follow_now / follow_before
        ratio_leave = z * (1.0 - t) / follow_before
        ratio_off = np.where(parent_z > 0, combined / parent_z, 0.0)
        weight_follow = w * (1.0 - z) / follow_now
    weight_off = -w / (1.0 - t)
    expected = kernels.expected_values(
        trees.left, trees.value, trees.cover, trees.roots, trees.tree_output, trees.n_outputs,
    )  # fmt: skip
    expected = expected + trees.base_offset
    if trees.complement is not None:
        expected[-1] = trees.complement - expected[:-1].sum()
    return PreparedTrees(
        trees,
        np.ascontiguousarray(np.nan_to_num(ratio_follow)),
        np.ascontiguousarray(np.nan_to_num(ratio_leave)),
        np.ascontiguousarray(ratio_off),
        np.ascontiguousarray(np.nan_to_num(weight_follow)),
        np.ascontiguousarray(weight_off),
        repeat,
        expected,
        n_points,
        int(max_depth),
    )


def _check_structure(trees: TreeArrays) -> None:
    """Refuse arrays the kernels would walk out of bounds or forever (they do not check)."""
    n = len(trees.left)
    nodes = np.arange(n)
    ends = np.append(trees.roots[1:], n)
    tree_end = np.repeat(ends, np.diff(np.append(trees.roots, n)))
    internal = trees.left >= 0
    same = all(len(a) == n for a in (trees.right, trees.default, trees.feature, trees.threshold,
                                     trees.value, trees.cover))  # fmt: skip
    ok = (
        same and len(trees.roots) == len(trees.tree_output) and len(trees.roots) > 0
        and trees.roots[0] == 0 and bool(np.all(np.diff(trees.roots) > 0))
        and bool(np.all((trees.right >= 0) == internal))
        and bool(np.all(trees.feature[internal] >= 0))
        and all(
            bool(np.all((c[internal] > nodes[internal]) & (c[internal] < tree_end[internal])))
            for c in (trees.left, trees.right)
        )
        and bool(np.all((trees.default[internal] == trees.left[internal])
                        | (trees.default[internal] == trees.right[internal])))
        and bool(np.all(trees.tree_output >= 0))
        and bool(np.all(trees.tree_output + trees.value.shape[1] <= trees.n_outputs))
    )  # fmt: skip
    if not ok:
        raise ValueError("tree arrays do not describe trees of nodes after their parents")


def shap_values(
    prepared: PreparedTrees, X: npt.ArrayLike, *, n_threads: int | None = None
) -> tuple[FloatArray, FloatArray]:
    """Exact path-dependent SHAP values of every row, as shap's TreeExplainer gives them.

    Parameters
    ----------
    prepared : PreparedTrees
        From :func:`prepare`.
    X : array of shape (n_rows, n_features)
        Rows (NaN: missing).
    n_threads : int, optional
        Threads to use (default :func:`default_threads`).

    Returns
    -------
    values : array of shape (n_rows, n_features, n_outputs)
    expected_value : array of shape (n_outputs,)
    """
    kernels = _kernels()
    trees = prepared.trees
    rows = np.asarray(X)
    if rows.ndim != 2 or rows.shape[1] <= int(trees.feature.max(initial=-1)):
        raise ValueError(f"rows of shape {rows.shape} do not fit trees over more features")
    rows = np.ascontiguousarray(rows.astype(trees.input_dtype).astype(np.float64))
    phi = np.zeros((rows.shape[0], rows.shape[1], trees.n_outputs))
    bounds = _blocks(rows.shape[0], n_threads or default_threads())

    def run(block: tuple[int, int]) -> None:
        kernels.explain(
            rows, phi, trees.left, trees.right, trees.default, trees.feature,
            trees.threshold, trees.value, trees.roots, trees.tree_output, prepared.repeat,
            prepared.ratio_follow, prepared.ratio_leave, prepared.ratio_off,
            prepared.weight_follow, prepared.weight_off, prepared.max_depth + 2,
            block[0], block[1],
        )  # fmt: skip

    if len(bounds) == 1:
        run(bounds[0])
    else:  # the kernel releases the GIL: threads share the rows, each writes its own
        with ThreadPoolExecutor(len(bounds)) as threads:
            list(threads.map(run, bounds))
    if trees.complement is not None:
        phi[:, :, -1] = -phi[:, :, :-1].sum(axis=2)
    return phi, prepared.expected_value.copy()


THREADS_ENV = "WHYBOX_TREE_THREADS"
_KERNELS = None


def default_threads() -> int:
    """Threads per explanation: ``WHYBOX_TREE_THREADS``, else every core this process may use."""
    configured = os.environ.get(THREADS_ENV, "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return default_jobs()


def _blocks(n_rows: int, n_threads: int) -> list[tuple[int, int]]:
    n = max(1, min(n_threads, n_rows))
    return [(b * n_rows // n, (b + 1) * n_rows // n) for b in range(n)]


def warm_kernels() -> None:
    """Compile, or load from the cache, every kernel: explain a made-up two-leaf tree."""
    stump = TreeArrays(
        left=np.array([1, -1, -1], np.int64),
        right=np.array([2, -1, -1], np.int64),
        default=np.array([1, -1, -1], np.int64),
        feature=np.array([0, -1, -1], np.int64),
        threshold=np.array([0.5, 0.0, 0.0]),
        value=np.array([[0.0], [1.0], [3.0]]),
        cover=np.array([4.0, 1.0, 3.0]),
        roots=np.array([0], np.int64),
        tree_output=np.array([0], np.int64),
        n_outputs=1,
        base_offset=np.zeros(1),
        input_dtype=np.float64,
    )
    shap_values(prepare(stump), np.zeros((2, 1)), n_threads=1)


def _kernels() -> Any:
    """The compiled kernels (numba imported and the cache located on first use)."""
    global _KERNELS
    if _KERNELS is None:
        from explainers.trusted_cache import ensure_cache_dir

        folder = ensure_cache_dir()
        config = sys.modules.get("numba.core.config")
        if config is not None:  # numba read its settings when another library imported it
            config.CACHE_DIR = str(folder)  # type: ignore[attr-defined]
        from explainers import tree_kernels

        _KERNELS = tree_kernels
    return _KERNELS
