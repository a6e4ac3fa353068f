"""A small job submitted while a big one runs: how long does it wait?

Run from the repository root::

    python -m benchmarks.pool_sharing

An unlimited-depth RandomForestClassifier (100 trees, ``make_classification``
20,000 x 30, seed 0). Job A explains 1,000 rows on the worker pool (sample
first, as the dashboard does); one second later job B explains 100 other rows.
Prints when B finished, how far A had got by then, and when A finished.
"""

from __future__ import annotations

import time

import pandas as pd
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier

from explainers.model_bundle import align_data, build_bundle
from explainers.parallel import ExplainPool


def main() -> None:
    """Run both jobs and print the times."""
    X, y = make_classification(n_samples=20_000, n_features=30, random_state=0)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(30)])
    model = RandomForestClassifier(100, random_state=0, n_jobs=-1).fit(frame, y)
    model.n_jobs = None
    bundle, frame = align_data(build_bundle(model), frame)
    pool = ExplainPool()
    pool.warm_up()
    try:
        started = time.perf_counter()
        big = pool.submit_shap(bundle, frame.iloc[:1_000], shuffle=True, first_rows=200)
        time.sleep(1.0)
        submitted = time.perf_counter()
        pool.submit_shap(bundle, frame.iloc[5_000:5_100]).result()
        small_s = time.perf_counter() - submitted
        done_rows = big.progress()[0]
        big.result()
        big_s = time.perf_counter() - started
    finally:
        pool.shutdown()
    print(f"B (100 rows) finished {small_s:.1f} s after it was submitted, "
          f"when A had explained {done_rows:,} of 1,000 rows")  # fmt: skip
    print(f"A (1,000 rows) finished after {big_s:.1f} s")


if __name__ == "__main__":
    main()
