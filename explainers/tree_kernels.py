"""Numba kernels of :mod:`explainers.tree_engine` (imported only through it).

Trees are walked depth first without recursion: ``node[d]`` is the internal
node at depth ``d`` of the current path and ``state[d]`` how many of its
children have been entered; leaves are handled where their parent enters them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

ABOVE = 1  # the edge into this node splits on a feature already split on above it
BELOW = 2  # ... and that feature is split on again below it


@njit(cache=True, nogil=True)
def path_fractions(left, right, feature, cover, roots):  # type: ignore[no-untyped-def]
    """Per node: the cover fraction of its parent's split feature along the path.

    Returns ``(combined, parent, repeat, most unique features on a path,
    deepest path)``: ``combined[c]`` is the product of ``cover[child] /
    cover[parent]`` over every edge on the path to ``c`` that splits on the
    feature of ``c``'s parent, ``parent[c]`` the same product without the last
    edge, ``repeat[c]`` the ``ABOVE`` / ``BELOW`` flags of that feature.
    """
    n = left.shape[0]
    n_features = max(1, feature.max() + 1)
    combined = np.ones(n)
    parent = np.ones(n)
    repeat = np.zeros(n, np.int8)
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
                if count[f] > 0:
                    repeat[child] |= ABOVE
                    for k in range(1, d):
                        if feature[node[k - 1]] == f:
                            repeat[node[k]] |= BELOW
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
    return combined, parent, repeat, max_unique, max_depth


@njit(cache=True, nogil=True)
def expected_values(left, value, cover, roots, tree_output, n_outputs):  # type: ignore[no-untyped-def]
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
    X, phi, left, right, default, feature, threshold, value, roots, tree_output, repeat,
    ratio_follow, ratio_leave, ratio_off, weight_follow, weight_off, stack, start, stop,
):  # fmt: skip
    """Add every tree's SHAP values of rows ``start:stop`` of ``X`` into ``phi``.

    Per node on the path: ``g[d]`` is the product of every path feature's
    factor at each quadrature point, ``u[d]`` the sum of ``value * g`` over
    the leaves below, ``acc[f]`` the part of it below a deeper split on the
    same feature ``f`` (which that split attributes itself; kept only where
    ``repeat`` says a feature comes back).
    """
    n_features = X.shape[1]
    n_values = value.shape[1]
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
        root = roots[t]
        if left[root] < 0:
            continue
        for r in range(start, stop):
            d = 0
            node[0] = root
            state[0] = 0
            for p in range(q):
                g[0, p] = 1.0
            for j in range(n_values):
                for p in range(q):
                    u[0, j, p] = 0.0
            while True:
                c = node[d]
                if state[d] < 2:
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
                    e = d + 1
                    if now:
                        for p in range(q):
                            g[e, p] = g[d, p] * ratio_follow[child, p]
                    elif before:
                        for p in range(q):
                            g[e, p] = g[d, p] * ratio_leave[child, p]
                    else:
                        off = ratio_off[child]
                        for p in range(q):
                            g[e, p] = g[d, p] * off
                    flags = repeat[child]
                    if left[child] < 0:  # a leaf: its sums are its value times g
                        dot = 0.0
                        if now:
                            for p in range(q):
                                dot += weight_follow[child, p] * g[e, p]
                        else:
                            for p in range(q):
                                dot += weight_off[p] * g[e, p]
                        for j in range(n_values):
                            v = value[child, j]
                            phi[r, f, out0 + j] += v * dot
                            for p in range(q):
                                u[d, j, p] += v * g[e, p]
                            if flags & ABOVE:
                                for p in range(q):
                                    acc[f, j, p] += v * g[e, p]
                    else:
                        d = e
                        node[d] = child
                        state[d] = 0
                        saved_follows[d] = before
                        follows[f] = now
                        if flags & BELOW:
                            for j in range(n_values):
                                for p in range(q):
                                    saved_acc[d, j, p] = acc[f, j, p]
                                    acc[f, j, p] = 0.0
                        for j in range(n_values):
                            for p in range(q):
                                u[d, j, p] = 0.0
                else:
                    if d == 0:
                        break
                    f = feature[node[d - 1]]
                    flags = repeat[c]
                    weights = weight_follow[c] if follows[f] else weight_off
                    for j in range(n_values):
                        s = 0.0
                        if flags & BELOW:
                            for p in range(q):
                                here = u[d, j, p]
                                s += weights[p] * (here - acc[f, j, p])
                                u[d - 1, j, p] += here
                                acc[f, j, p] = saved_acc[d, j, p] + here
                        else:
                            for p in range(q):
                                here = u[d, j, p]
                                s += weights[p] * here
                                u[d - 1, j, p] += here
                            if flags & ABOVE:
                                for p in range(q):
                                    acc[f, j, p] += u[d, j, p]
                        phi[r, f, out0 + j] += s
                    follows[f] = saved_follows[d]
                    d -= 1


__all__ = ["ABOVE", "BELOW", "expected_values", "explain", "path_fractions"]
