"""Numba kernels of :mod:`explainers.tree_engine` (imported only through it).

Trees are walked depth first without recursion: ``node[d]`` is the node at
depth ``d`` of the current path and ``state[d]`` how many of its children
have been entered.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def path_fractions(left, right, feature, cover, roots):  # type: ignore[no-untyped-def]
    """Per node: the cover fraction of its parent's split feature along the path.

    Returns ``(combined, parent, most unique features on a path, deepest
    path)``: ``combined[c]`` is the product of ``cover[child] / cover[parent]``
    over every edge on the path to ``c`` that splits on the feature of ``c``'s
    parent, ``parent[c]`` the same product without the last edge.
    """
    n = left.shape[0]
    n_features = max(1, feature.max() + 1)
    combined = np.ones(n)
    parent = np.ones(n)
    z = np.ones(n_features)
    count = np.zeros(n_features, np.int64)
    node = np.empty(n + 1, np.int64)
    state = np.empty(n + 1, np.int64)
    unique = np.zeros(n + 1, np.int64)
    saved = np.empty(n + 1)
    max_unique = 0
    max_depth = 0
    for t in range(roots.shape[0]):
        d = 0
        node[0] = roots[t]
        state[0] = 0
        while True:
            c = node[d]
            if left[c] >= 0 and state[d] < 2:
                child = left[c] if state[d] == 0 else right[c]
                state[d] += 1
                f = feature[c]
                d += 1
                node[d] = child
                state[d] = 0
                saved[d] = z[f]
                parent[child] = z[f]
                fraction = cover[child] / cover[c] if cover[c] > 0 else 0.0
                z[f] = z[f] * fraction
                combined[child] = z[f]
                unique[d] = unique[d - 1] + (1 if count[f] == 0 else 0)
                count[f] += 1
                max_depth = max(max_depth, d)
                max_unique = max(max_unique, unique[d])
            else:
                if d == 0:
                    break
                f = feature[node[d - 1]]
                z[f] = saved[d]
                count[f] -= 1
                d -= 1
    return combined, parent, max_unique, max_depth


@njit(cache=True, nogil=True)
def expected_values(left, right, value, cover, roots, tree_output, n_outputs):  # type: ignore[no-untyped-def]
    """Sum over trees of the cover-weighted mean leaf value (shap's expected value)."""
    out = np.zeros(n_outputs)
    n = left.shape[0]
    n_values = value.shape[1]
    for t in range(roots.shape[0]):
        start = roots[t]
        stop = roots[t + 1] if t + 1 < roots.shape[0] else n
        total = cover[start]
        if total <= 0:
            continue
        for c in range(start, stop):
            if left[c] < 0:
                for j in range(n_values):
                    out[tree_output[t] + j] += value[c, j] * cover[c] / total
    return out


@njit(cache=True, nogil=True)
def explain(  # type: ignore[no-untyped-def]
    X, phi, left, right, default, feature, threshold, value, roots, tree_output,
    ratio_follow, ratio_leave, ratio_off, weight_follow, weight_off, stack, n_values, start, stop,
):  # fmt: skip
    """Add every tree's SHAP values of rows ``start:stop`` of ``X`` into ``phi``.

    Per node on the path: ``g[d]`` is the product of every path feature's
    factor at each quadrature point, ``u[d]`` the sum of ``value * g`` over
    the leaves below, ``acc[f]`` the part of it below a deeper split on the
    same feature ``f`` (which that split attributes itself).
    """
    n_features = X.shape[1]
    q = ratio_follow.shape[1]
    g = np.empty((stack, q))
    u = np.empty((stack, n_values, q))
    saved_acc = np.empty((stack, n_values, q))
    acc = np.zeros((n_features, n_values, q))
    follows = np.ones(n_features, np.bool_)
    saved_follows = np.empty(stack, np.bool_)
    node = np.empty(stack, np.int64)
    state = np.empty(stack, np.int64)
    for t in range(roots.shape[0]):
        out0 = tree_output[t]
        for r in range(start, stop):
            d = 0
            node[0] = roots[t]
            state[0] = 0
            g[0, :] = 1.0
            u[0, :, :] = 0.0
            while True:
                c = node[d]
                if left[c] >= 0 and state[d] < 2:
                    child = left[c] if state[d] == 0 else right[c]
                    state[d] += 1
                    f = feature[c]
                    xf = X[r, f]
                    if np.isnan(xf):
                        goes = default[c]
                    elif xf <= threshold[c]:
                        goes = left[c]
                    else:
                        goes = right[c]
                    before = follows[f]
                    now = before and goes == child
                    d += 1
                    node[d] = child
                    state[d] = 0
                    saved_follows[d] = before
                    follows[f] = now
                    if now:
                        for p in range(q):
                            g[d, p] = g[d - 1, p] * ratio_follow[child, p]
                    elif before:
                        for p in range(q):
                            g[d, p] = g[d - 1, p] * ratio_leave[child, p]
                    else:
                        off = ratio_off[child]
                        for p in range(q):
                            g[d, p] = g[d - 1, p] * off
                    for j in range(n_values):
                        for p in range(q):
                            saved_acc[d, j, p] = acc[f, j, p]
                            acc[f, j, p] = 0.0
                    if left[child] < 0:
                        for j in range(n_values):
                            v = value[child, j]
                            for p in range(q):
                                u[d, j, p] = v * g[d, p]
                    else:
                        u[d, :, :] = 0.0
                else:
                    if d == 0:
                        break
                    f = feature[node[d - 1]]
                    weights = weight_follow[c] if follows[f] else weight_off
                    for j in range(n_values):
                        s = 0.0
                        for p in range(q):
                            here = u[d, j, p]
                            s += weights[p] * (here - acc[f, j, p])
                            acc[f, j, p] = saved_acc[d, j, p] + here
                            u[d - 1, j, p] += here
                        phi[r, f, out0 + j] += s
                    follows[f] = saved_follows[d]
                    d -= 1


__all__ = ["expected_values", "explain", "path_fractions"]
