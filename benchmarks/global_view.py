"""The dashboard's global view of an unlimited-depth forest, through its sandbox.

``python -m benchmarks.global_view [--rows N]`` (default: the dashboard's
2,000-row sample) trains RandomForest 100 trees, unlimited depth, on 20,000 x 30,
loads it contained and runs global SHAP as ``dashboard/cache.py`` does (a
``RemoteJob`` in the model's sandbox, random order, first 200 rows first).
Prints wall seconds to the first 200 rows and to the whole view, the CPU
seconds of the sandbox and its workers, and the load average (target: the
whole view within 20 s on 2 cores).
"""

from __future__ import annotations

import argparse
import io
import os
import time

import joblib
import psutil
from sklearn.ensemble import RandomForestClassifier

from benchmarks.speed import synthetic
from explainers import sandbox
from explainers.decision import plan_for
from explainers.model_bundle import align_data
from explainers.model_calls import run_model_task
from explainers.parallel import INLINE_BUDGET_S, RemoteJob
from explainers.shap_attributions import global_sample

FIRST_ROWS = 200


def sandbox_cpu() -> float:
    """CPU seconds of every process this one started (the sandbox and its workers)."""
    return sum(sum(c.cpu_times()[:2]) for c in psutil.Process().children(recursive=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None, help="fewer rows than the sample")
    args = parser.parse_args()
    X, y = synthetic(20_000, 30)
    model = RandomForestClassifier(100, n_jobs=-1, random_state=0).fit(X, y)
    model.n_jobs = None
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    before = os.getloadavg()[0]
    bundle = sandbox.load_contained(
        buffer.getvalue(), "deep.joblib", max_bytes=2**31, trust_unknown=True
    )
    bundle, X = align_data(bundle, X)
    rows = global_sample(X).iloc[: args.rows]
    plan = run_model_task(bundle, plan_for, X, output=1)
    cpu, started = sandbox_cpu(), time.perf_counter()
    job = RemoteJob.start(
        bundle, rows, plan=plan, shuffle=True, first_rows=FIRST_ROWS,
        inline_budget_s=INLINE_BUDGET_S,
    )  # fmt: skip
    first = None
    while not job.done():
        if first is None and job.progress()[0] >= FIRST_ROWS:
            first = time.perf_counter() - started
        time.sleep(0.1)
    job.result()
    whole = time.perf_counter() - started
    print(
        f"{len(rows):,} rows: first {FIRST_ROWS} rows {first or whole:.1f} s, whole view "
        f"{whole:.1f} s, sandbox CPU {sandbox_cpu() - cpu:.1f} s; "
        f"load average {before:.1f}-{os.getloadavg()[0]:.1f}"
    )
    sandbox.stop_all()


if __name__ == "__main__":
    main()
