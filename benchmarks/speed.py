"""whybox against raw shap / lime / native contributions, in one run on the same data.

Run from the repository root::

    python -m benchmarks.speed            # the whole table (about 15 minutes on 2 cores)
    python -m benchmarks.speed --quick    # smaller sizes, to check the script

Prints a Markdown table: each workload's raw time, whybox's time, their ratio,
and the peak resident memory of this process and its workers (sampled every
0.1 s with psutil) while that step ran. whybox runs with a persistent, warm
worker pool, as in the dashboard; the pool's one-off start is its own row.
Then the same work as whole processes (``benchmarks/process_speed.py``:
start-up, loading and the sandbox included).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
WORKLOADS = ["forest", "boosted", "first-ranking", "one-row", "memory", "dask", "processes"]
SAMPLES = ROOT / "sample_models"


@dataclass
class Row:
    """One line of the table."""

    workload: str
    raw: float | None
    whybox: float
    peak_mb: float
    note: str = ""


class PeakMemory:
    """Peak RSS of this process plus its children while the block runs.

    Sampled every 0.1 s: one sample costs about 1.3 ms of CPU (psutil walks
    /proc), and at every 20 ms that took 3% of a 2-core machine from whybox's
    two busy workers while raw shap, on one core, did not feel it.
    """

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)
            time.sleep(0.1)

    def __enter__(self) -> PeakMemory:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mb(self) -> float:
        """Peak in MiB."""
        return self.peak / 2**20


def timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    """(seconds, peak MiB, result)."""
    with PeakMemory() as memory:
        start = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - start
    return seconds, memory.mb, result


def synthetic(n_rows: int, n_features: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A classification set like FACTS.md's (make_classification, 30 features)."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=n_rows, n_features=n_features, n_informative=n_features // 2, random_state=seed
    )
    return pd.DataFrame(X, columns=[f"x{j}" for j in range(n_features)]), y


def bundle_of(model: object, X: pd.DataFrame):  # noqa: ANN201 (ModelBundle, DataFrame)
    from explainers.model_bundle import align_data, build_bundle

    return align_data(build_bundle(model), X)


def forest(pool, quick: bool) -> Row:  # noqa: ANN001
    import shap
    from sklearn.ensemble import RandomForestClassifier

    X, y = synthetic(20_000, 30)
    model = RandomForestClassifier(100, max_depth=10, n_jobs=-1, random_state=0).fit(X, y)
    rows = X.iloc[: 1_000 if quick else 5_000]
    bundle, rows = bundle_of(model, rows)
    raw, _, expected = timed(lambda: shap.TreeExplainer(model).shap_values(rows))
    mine, peak, attribution = timed(lambda: pool.submit_shap(bundle, rows).result())
    same = np.allclose(attribution.values, np.asarray(expected)[:, :, 1], rtol=1e-9, atol=1e-12)
    return Row(
        f"RandomForest 100 trees depth 10, {len(rows):,} x 30: global SHAP",
        raw, mine, peak, f"target <= 0.55; values equal raw shap: {same}",
    )  # fmt: skip


def boosted(kind: str, quick: bool) -> Row:
    from explainers.shap_attributions import explain_shap

    X, y = synthetic(20_000, 30)
    rows = X.iloc[: 1_000 if quick else 5_000]
    if kind == "xgboost":
        import xgboost

        model = xgboost.XGBClassifier(n_estimators=300, max_depth=6, random_state=0).fit(X, y)

        def native() -> object:
            return model.get_booster().predict(xgboost.DMatrix(rows), pred_contribs=True)
    else:
        import lightgbm

        model = lightgbm.LGBMClassifier(n_estimators=300, verbose=-1, random_state=0).fit(X, y)

        def native() -> object:
            return model.predict(rows, pred_contrib=True)

    bundle, rows = bundle_of(model, rows)
    native()  # load the booster's prediction caches once for both
    raw, _, _ = timed(native)
    mine, peak, _ = timed(lambda: explain_shap(bundle, rows))
    return Row(
        f"{kind} 300 trees, {len(rows):,} x 30: global SHAP vs native contributions",
        raw, mine, peak, "target <= 1.1; native path, its own threads",
    )  # fmt: skip


def first_ranking(pool, quick: bool) -> Row:  # noqa: ANN001
    from sklearn.ensemble import RandomForestClassifier

    X, y = synthetic(20_000, 30)
    model = RandomForestClassifier(100, n_jobs=-1, random_state=0).fit(X, y)
    bundle, X = bundle_of(model, X.iloc[:2_000] if quick else X)
    first = 100

    def until_first() -> int:
        job = pool.submit_shap(bundle, X, shuffle=True, first_rows=first)
        while True:
            done, _ = job.progress()
            if done >= first:
                job.cancel()
                partial = job.partial()
                return 0 if partial is None else partial.n_rows
            time.sleep(0.1)

    seconds, peak, n = timed(until_first)
    while any(p.cpu_percent(0.1) > 50 for p in psutil.Process().children()):
        time.sleep(0.2)  # let the cancelled job's running chunks finish
    return Row(
        f"unlimited-depth RF, {len(X):,} rows: first ranking (random sample)",
        None, seconds, peak, f"target <= 10 s; based on {n} rows, with an uncertainty band",
    )  # fmt: skip


def raw_lime_for(model: object, X: pd.DataFrame, num_samples: int):  # noqa: ANN201
    """Plain ``lime`` on the same rows, as its docs use it: categories ordinal-encoded,
    classification mode on ``predict_proba``, the same number of samples."""
    from lime.lime_tabular import LimeTabularExplainer
    from sklearn.preprocessing import OrdinalEncoder

    categorical = [j for j, c in enumerate(X.columns) if not pd.api.types.is_numeric_dtype(X[c])]
    names = [X.columns[j] for j in categorical]
    encoder = OrdinalEncoder().fit(X[names])

    def encode(frame: pd.DataFrame) -> np.ndarray:
        out = frame.copy()
        out[names] = encoder.transform(frame[names])
        return out.to_numpy(dtype=float)

    def predict(Z: np.ndarray) -> np.ndarray:
        frame = pd.DataFrame(Z, columns=X.columns).astype(
            X.dtypes.to_dict() | dict.fromkeys(names, float)
        )
        codes = np.clip(np.rint(Z[:, categorical]), 0, [len(c) - 1 for c in encoder.categories_])
        decoded = encoder.inverse_transform(codes)
        for k, name in enumerate(names):
            frame[name] = decoded[:, k]
        return model.predict_proba(frame)  # type: ignore[attr-defined]

    explainer = LimeTabularExplainer(
        encode(X), feature_names=list(X.columns), categorical_features=categorical,
        mode="classification", random_state=0,
    )  # fmt: skip
    return lambda row: explainer.explain_instance(
        encode(row)[0], predict, labels=(1,), num_samples=num_samples
    )


def loan_rows(n_repeats: int) -> list[Row]:
    import shap

    from explainers.lime_attributions import DEFAULT_SAMPLES, explain_lime
    from explainers.loading import load_files
    from explainers.shap_attributions import explain_planned, plan_shap

    prepared = load_files(
        SAMPLES / "loan_model.joblib", SAMPLES / "german_credit.csv", target="creditability"
    )
    bundle, X = prepared.bundle, prepared.X
    pipeline = bundle.model
    encode, model = pipeline[:-1], pipeline[-1]  # type: ignore[index]
    raw_shap = shap.TreeExplainer(model)
    raw_lime = raw_lime_for(pipeline, X, DEFAULT_SAMPLES)
    plan = plan_shap(bundle, X)  # made once per dataset and cached by the dashboard
    explain_planned(bundle, plan, X.iloc[[0]])  # warm: TreeExplainer built once per process
    times: dict[str, list[float]] = {"shap": [], "raw shap": [], "lime": [], "raw lime": []}
    steps = {
        "shap": lambda row: explain_planned(bundle, plan, row),
        "raw shap": lambda row: raw_shap.shap_values(encode.transform(row)),
        "lime": lambda row: explain_lime(bundle, row, X_reference=X),
        "raw lime": raw_lime,
    }
    for i in range(n_repeats):
        row = X.iloc[[i]]
        for name, step in steps.items():
            start = time.perf_counter()
            step(row)
            times[name].append(time.perf_counter() - start)
    p95 = {name: float(np.percentile(t, 95)) for name, t in times.items()}
    return [
        Row(
            f"loan model, one row's breakdown warm, SHAP p95 of {n_repeats}",
            p95["raw shap"], p95["shap"], 0.0,
            "target <= 0.100 s; raw: TreeExplainer on the encoded row",
        ),
        Row(
            f"loan model, one row's breakdown warm, LIME p95 of {n_repeats}",
            p95["raw lime"], p95["lime"], 0.0,
            f"target <= 0.150 s; raw: LimeTabularExplainer, {DEFAULT_SAMPLES:,} samples",
        ),
    ]  # fmt: skip


def big_boosted(quick: bool) -> Row:
    """100,000 x 50 xgboost: peak memory of a fresh process that loads and explains it."""
    import subprocess
    import sys

    import joblib
    import xgboost

    n = 20_000 if quick else 100_000
    X, y = synthetic(n, 50)
    model = xgboost.XGBClassifier(n_estimators=100, max_depth=6, random_state=0).fit(X, y)
    with tempfile.TemporaryDirectory() as tmp:
        joblib.dump(model, Path(tmp) / "model.joblib")
        X.to_parquet(Path(tmp) / "data.parquet")
        code = (
            "import resource, sys, time\n"
            "from explainers.loading import load_files\n"
            "from explainers.shap_attributions import explain_shap\n"
            f"p = load_files({str(Path(tmp) / 'model.joblib')!r}, "
            f"{str(Path(tmp) / 'data.parquet')!r}, trust_unknown=True)\n"
            "t = time.perf_counter(); a = explain_shap(p.bundle, p.X)\n"
            "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout.split()
    seconds, peak_kb = float(out[-2]), float(out[-1])
    return Row(
        f"xgboost, {n:,} x 50: global SHAP in a fresh process",
        None, seconds, peak_kb / 1024, "target: peak <= 1,536 MiB (load + explain)",
    )  # fmt: skip


def dask_loan(n_rows: int) -> Row:
    from explainers.dask_batch import explain_dask
    from explainers.loading import load_files

    prepared = load_files(
        SAMPLES / "loan_model.joblib", SAMPLES / "german_credit.csv", target="creditability"
    )
    frame = pd.read_csv(SAMPLES / "german_credit.csv")
    big = frame.sample(n=n_rows, replace=True, random_state=0)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "loan_big.csv"
        big.to_csv(data, index=False)
        seconds, peak, run = timed(
            lambda: explain_dask(
                prepared.bundle,
                data,
                Path(tmp) / "out",
                target="creditability",
                blocksize="16MB",
            )  # fmt: skip
        )
    return Row(
        f"loan model, {n_rows:,} rows, --engine dask (local cluster, 2 workers)",
        None, seconds, peak,
        f"{run.rows_per_second:,.0f} rows/s explained; {run.n_partitions} partitions",
    )  # fmt: skip


def main() -> None:
    """Run every workload and print the table."""
    from explainers.parallel import ExplainPool

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--dask-rows", type=int, default=1_000_000)
    parser.add_argument(
        "--only", nargs="+", choices=WORKLOADS, default=WORKLOADS, help="run just these rows"
    )
    args = parser.parse_args()
    rows: list[Row] = []
    start = time.perf_counter()
    pool = ExplainPool()
    pool.warm_up()
    rows.append(Row("worker pool start (once per server / CLI run)", None,
                    time.perf_counter() - start, 0.0, f"{pool.n_jobs} workers"))  # fmt: skip
    only = set(args.only)
    if "forest" in only:
        rows.append(forest(pool, args.quick))
    if "boosted" in only:
        rows.append(boosted("xgboost", args.quick))
        rows.append(boosted("lightgbm", args.quick))
    if "first-ranking" in only:
        rows.append(first_ranking(pool, args.quick))
    pool.shutdown()
    if "one-row" in only:
        rows.extend(loan_rows(20 if args.quick else 100))
    if "memory" in only:
        rows.append(big_boosted(args.quick))
    if "dask" in only:
        rows.append(dask_loan(20_000 if args.quick else args.dask_rows))
    whole = None
    if "processes" in only:  # after the rest, so that nothing else runs beside them
        from benchmarks.process_speed import process_rows

        whole = process_rows(args.quick)
    memory = psutil.virtual_memory().total / 2**30
    print(
        f"\nMachine: {platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB, "
        f"Python {platform.python_version()}"
    )
    print("explainerdashboard: not measured (it pins numpy<2.4; never installed here)\n")
    print("| workload | raw (s) | whybox (s) | ratio | peak memory (MiB) | note |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        raw = f"{r.raw:.3f}" if r.raw is not None else "–"
        ratio = f"{r.whybox / r.raw:.3f}" if r.raw else "–"
        peak = f"{r.peak_mb:,.0f}" if r.peak_mb else "–"
        print(f"| {r.workload} | {raw} | {r.whybox:.3f} | {ratio} | {peak} | {r.note} |")
    if whole is not None:
        from benchmarks.process_speed import print_rows

        print("\nWhole processes (`whybox explain` and a raw script, each a fresh process):\n")
        print_rows(whole)


if __name__ == "__main__":
    main()
