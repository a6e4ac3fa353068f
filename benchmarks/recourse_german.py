"""How often recourse finds a valid option for the demo's refused applicants, and how fast.

Not a test. Trains the demo-style pipeline (OneHotEncoder + GradientBoosting,
random_state=0) on the German credit data, takes every applicant it refuses
(score < 0.5) and runs :func:`explainers.recourse.find_recourse` with the demo's
fixed features and directions. Every option is re-predicted here and checked.

Run: ``python benchmarks/recourse_german.py [--data PATH] [--limit N]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from explainers.recourse import DEMO_DIRECTIONS, DEMO_FIXED, find_recourse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/work/shared/data/german_credit.csv")
    parser.add_argument("--limit", type=int, default=0, help="only the first N refused (0: all)")
    args = parser.parse_args()

    X = pd.read_csv(args.data)
    y = (X.pop("creditability") == "good").astype(int)
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    encoder = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore"), categorical)], remainder="passthrough"
    )
    model = make_pipeline(encoder, GradientBoostingClassifier(random_state=0)).fit(X, y)

    def score(frame: pd.DataFrame) -> np.ndarray:
        return model.predict_proba(frame)[:, 1]

    refused = np.flatnonzero(score(X) < 0.5)
    if args.limit:
        refused = refused[: args.limit]
    times, n_options, n_changes, n_valid = [], [], [], 0
    for i in refused:
        start = time.perf_counter()
        result = find_recourse(score, X.iloc[[i]], X, fixed=DEMO_FIXED, directions=DEMO_DIRECTIONS)
        times.append(time.perf_counter() - start)
        n_options.append(len(result.options))
        for option in result.options:
            changed = X.iloc[[i]].copy()
            for change in option.changes:
                changed[change.feature] = change.to_value
            assert score(changed)[0] >= 0.5, option
            assert not option.features & set(DEMO_FIXED), option
            n_changes.append(len(option.changes))
        n_valid += bool(result.options)

    times_arr = np.array(times)
    print(f"refused applicants: {len(refused)} of {len(X)}")
    print(f"with at least one valid option: {n_valid} ({n_valid / len(refused):.1%})")
    print(
        f"options per applicant: mean {np.mean(n_options):.2f}, "
        f"with 3 options: {np.mean(np.array(n_options) == 3):.1%}"
    )
    print(
        f"changes per option: mean {np.mean(n_changes):.2f}, "
        f"distribution {np.bincount(n_changes)[1:].tolist()} (1, 2, 3 changes)"
    )
    print(
        f"seconds per applicant: mean {times_arr.mean():.3f}, median "
        f"{np.median(times_arr):.3f}, max {times_arr.max():.3f}"
    )


if __name__ == "__main__":
    main()
