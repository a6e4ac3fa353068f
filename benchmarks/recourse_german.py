"""How often recourse finds a valid option for the demo's refused applicants, and how fast.

Not a test. Loads the bundled loan model (``sample_models/loan_model.joblib``,
through the same safe loader as uploads) and its 1,000 applicants, takes every
applicant it refuses (score < 0.5) and runs :func:`explainers.recourse.find_recourse`
with the demo's fixed features and directions. Every option is re-predicted
here and checked.

Run: ``python -m benchmarks.recourse_german [--limit N]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from explainers.loading import load_files
from explainers.recourse import find_recourse
from sample_models import DEMOS

SETTINGS = DEMOS["loan"].settings()
DEMO_FIXED, DEMO_DIRECTIONS = SETTINGS.fixed, SETTINGS.directions

SAMPLES = Path(__file__).resolve().parents[1] / "sample_models"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="only the first N refused (0: all)")
    args = parser.parse_args()

    loan = load_files(
        SAMPLES / "loan_model.joblib", SAMPLES / "german_credit.csv", target="creditability"
    )
    X, good = loan.X, loan.bundle.output_index("good")

    def score(frame: pd.DataFrame) -> np.ndarray:
        return loan.bundle.predict_output(frame)[:, good]

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
