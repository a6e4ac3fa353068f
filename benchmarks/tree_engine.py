"""whybox's TreeSHAP engine against shap's TreeExplainer (and woodelf), per core, by depth.

Run from the repository root::

    python -m benchmarks.tree_engine            # every model and depth (about 5 minutes)
    python -m benchmarks.tree_engine --quick

One process, one thread each (``n_threads=1``; shap's C code is single-threaded),
on a 20,000 x 30 synthetic classification set; every figure is the best of two
runs on the same rows, after a warm-up call (numba's compiled kernels load from
the on-disk cache; cold compile is timed separately by ``--cold``). Prints a
Markdown table with each time, the engine's ratio to shap and the largest
difference between the two.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from collections.abc import Callable

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.tree import DecisionTreeClassifier

from explainers import tree_engine
from explainers.tree_models import tree_arrays


def _best(fn: Callable[[], object], repeats: int = 2) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - started)
    return best, out


def _models(quick: bool) -> list[tuple[str, object, int]]:
    trees = 20 if quick else 100
    out: list[tuple[str, object, int]] = []
    for depth in [1, 2, 3, 6, 10, None]:
        rows = 2000 if depth is not None and depth <= 6 else 300 if depth == 10 else 60
        forest = RandomForestClassifier(trees, max_depth=depth, n_jobs=2, random_state=0)
        out.append(("RandomForest", forest, rows))
    out.append(("ExtraTrees", ExtraTreesClassifier(trees, n_jobs=2, random_state=0), 20))
    out.append(("DecisionTree", DecisionTreeClassifier(random_state=0), 2000))
    boosted = GradientBoostingClassifier(n_estimators=trees, max_depth=3, random_state=0)
    out.append(("GradientBoosting", boosted, 2000))
    hist = HistGradientBoostingClassifier(max_iter=trees, random_state=0)
    out.append(("HistGradientBoosting", hist, 2000))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--woodelf", action="store_true", help="also time woodelf-explainer")
    args = parser.parse_args()
    import shap

    n = 5000 if args.quick else 20000
    X, y = make_classification(n, 30, n_informative=10, random_state=0)
    print("| model | depth | rows | shap s | engine s | engine / shap | max diff |"
          + (" woodelf s |" if args.woodelf else ""))  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- |" + (" --- |" if args.woodelf else ""))
    for name, model, rows in _models(args.quick):
        model.fit(X, y)  # type: ignore[attr-defined]
        rows_x = X[:rows]
        prepared = tree_engine.prepare(tree_arrays(model))  # type: ignore[arg-type]
        tree_engine.shap_values(prepared, rows_x[:2], n_threads=1)
        t_engine, (values, _) = _best(  # type: ignore[misc]
            lambda p=prepared, r=rows_x: tree_engine.shap_values(p, r, n_threads=1)
        )
        explainer = shap.TreeExplainer(model)
        t_shap, reference = _best(lambda e=explainer, r=rows_x: e.shap_values(r))
        reference = np.asarray(reference)
        reference = reference if reference.ndim == 3 else reference[:, :, None]
        diff = float(np.abs(values - reference).max())
        depth = prepared.max_depth
        line = (f"| {name} | {depth} | {rows:,} | {t_shap:.3f} | {t_engine:.3f} | "
                f"{t_engine / t_shap:.2f} | {diff:.1e} |")  # fmt: skip
        if args.woodelf and importlib.util.find_spec("woodelf") is not None:
            line += f" {_woodelf(model, rows_x):.3f} |"
        print(line, flush=True)


def _woodelf(model: object, rows: np.ndarray) -> float:
    import pandas as pd
    from woodelf import WoodelfExplainer  # type: ignore[import-not-found]

    frame = pd.DataFrame(rows, columns=[f"f{j}" for j in range(rows.shape[1])])
    explainer = WoodelfExplainer(model)
    return _best(lambda: explainer.shap_values(frame))[0]


if __name__ == "__main__":
    main()
