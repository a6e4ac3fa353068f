"""Whole processes, as a user runs them: ``whybox explain`` against a raw script.

Part of ``benchmarks/speed.py`` (``--only processes``); run alone with::

    python -m benchmarks.process_speed            # about 10 minutes on 2 cores
    python -m benchmarks.process_speed --quick

Every figure is the wall time of a fresh Python process (imports, loading the
model and data files, explaining, writing the output), the best of two runs;
raw script and whybox alternate, so a ratio compares runs made minutes apart
on the same machine. The raw scripts are what a user would write instead:
``joblib.load`` + ``pandas.read_parquet`` + ``shap.TreeExplainer(model).
shap_values(X)`` (or the library's native contributions) + writing a Parquet
file. The load average column is the machine's 1-minute load before and after
the row (the machine may be shared with other work).

The ratio rows run with the spare broker off (``WHYBOX_SPARE_IDLE_S=0``): a
broker refilling its spare would take CPU from the raw script that runs next.
The loan run is timed both ways: as the first command on a machine (no
broker, so it starts its own sandbox) and as a later one, handed the warm
spare of a broker the previous command started (``explainers.spare_broker``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from explainers import spare_broker

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_models"

RAW_SHAP = """
import sys, joblib, numpy as np, pandas as pd, shap
model = joblib.load(sys.argv[1]); X = pd.read_parquet(sys.argv[2])
values = np.asarray(shap.TreeExplainer(model).shap_values(X))
values = values[:, :, -1] if values.ndim == 3 else values
pd.DataFrame(values, columns=X.columns).to_parquet(sys.argv[3])
"""
RAW_XGBOOST = """
import sys, joblib, pandas as pd, xgboost
model = joblib.load(sys.argv[1]); X = pd.read_parquet(sys.argv[2])
values = model.get_booster().predict(xgboost.DMatrix(X), pred_contribs=True)
pd.DataFrame(values[:, :-1], columns=X.columns).to_parquet(sys.argv[3])
"""
RAW_LIGHTGBM = """
import sys, joblib, pandas as pd
model = joblib.load(sys.argv[1]); X = pd.read_parquet(sys.argv[2])
values = model.predict(X, pred_contrib=True)
pd.DataFrame(values[:, :-1], columns=X.columns).to_parquet(sys.argv[3])
"""


@dataclass(frozen=True)
class ProcessRow:
    """One line of the whole-process table."""

    workload: str
    raw: float | None
    whybox: float
    target: str
    load: str = ""


NO_BROKER = {spare_broker.IDLE_ENV: "0"}
SPARE_WARM_S = 10.0
"""Seconds a broker's new spare is given to import, once the command before has exited."""


def wall(command: list[str], env: dict[str, str] | None = None) -> float:
    """Seconds a fresh process takes, from launch to exit (it must succeed)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), **(NO_BROKER if env is None else env))
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, env=env, capture_output=True)
    return time.perf_counter() - started


def load_average() -> float:
    """The machine's 1-minute load average (the machine is shared: say how busy it was)."""
    return os.getloadavg()[0]


def best_of(commands: list[list[str]], repeats: int = 2) -> list[float]:
    """Best wall time of each command, the commands taking turns."""
    best = [float("inf")] * len(commands)
    for _ in range(repeats):
        for i, command in enumerate(commands):
            best[i] = min(best[i], wall(command))
    return best


@contextlib.contextmanager
def private_broker(idle_s: float) -> Iterator[dict[str, str]]:
    """The environment of commands whose spare broker is this benchmark's own (its own
    runtime folder); the broker and its spare are stopped afterwards."""
    runtime = Path(tempfile.mkdtemp(prefix="wb-", dir="/tmp"))  # a socket's path is short
    try:
        yield {"XDG_RUNTIME_DIR": str(runtime), spare_broker.IDLE_ENV: str(idle_s)}
    finally:
        spare_broker.stop_brokers(str(runtime))
        shutil.rmtree(runtime, ignore_errors=True)


def with_broker(command: list[str], repeats: int = 2) -> float:
    """Best wall time of ``command`` handed a broker's warm spare (a private broker)."""
    with private_broker(120) as env:
        wall(command, env)  # no broker yet: this one starts it
        best = float("inf")
        for _ in range(repeats):
            time.sleep(SPARE_WARM_S)
            best = min(best, wall(command, env))
        return best


def whybox(*args: str) -> list[str]:
    return [sys.executable, "-m", "dashboard.cli", *args]


def _workload(tmp: Path, name: str, model: object, X: object) -> tuple[Path, Path]:
    import joblib

    model_path, data_path = tmp / f"{name}.joblib", tmp / f"{name}.parquet"
    joblib.dump(model, model_path)
    X.to_parquet(data_path)  # type: ignore[attr-defined]
    return model_path, data_path


def compare(tmp: Path, name: str, label: str, model: object, X: object, raw_code: str,
            target: str) -> ProcessRow:  # fmt: skip
    model_path, data_path = _workload(tmp, name, model, X)
    script = tmp / f"raw_{name}.py"
    script.write_text(textwrap.dedent(raw_code))
    before = load_average()
    raw, mine = best_of([
        [sys.executable, str(script), str(model_path), str(data_path), str(tmp / "raw.parquet")],
        whybox("explain", str(model_path), str(data_path), "--out", str(tmp / "out.parquet"),
               "--class", "1"),
    ])  # fmt: skip
    return ProcessRow(label, raw, mine, target, f"{before:.1f}-{load_average():.1f}")


def process_rows(quick: bool) -> list[ProcessRow]:
    """Every whole-process workload of the Speed table."""
    import lightgbm
    import xgboost
    from sklearn.ensemble import RandomForestClassifier

    from benchmarks.speed import synthetic

    X, y = synthetic(20_000, 30)
    n = 1_000 if quick else 5_000
    n_deep = 200 if quick else 1_000
    rows: list[ProcessRow] = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        forest = RandomForestClassifier(100, max_depth=10, n_jobs=-1, random_state=0).fit(X, y)
        rows.append(compare(tmp, "forest", f"RandomForest depth 10, {n:,} x 30", forest,
                            X.iloc[:n], RAW_SHAP, "<= 0.30"))  # fmt: skip
        deep = RandomForestClassifier(100, n_jobs=-1, random_state=0).fit(X, y)
        rows.append(compare(tmp, "deep", f"RandomForest unlimited depth, {n_deep:,} x 30", deep,
                            X.iloc[:n_deep], RAW_SHAP, "<= 0.40"))  # fmt: skip
        del forest, deep
        boosted = xgboost.XGBClassifier(n_estimators=300, max_depth=6, random_state=0).fit(X, y)
        rows.append(compare(tmp, "xgb", f"XGBClassifier 300 trees, {n:,} x 30", boosted,
                            X.iloc[:n], RAW_XGBOOST, "<= 1.10"))  # fmt: skip
        light = lightgbm.LGBMClassifier(n_estimators=300, verbose=-1, random_state=0).fit(X, y)
        rows.append(compare(tmp, "lgbm", f"LGBMClassifier 300 trees, {n:,} x 30", light,
                            X.iloc[:n], RAW_LIGHTGBM, "<= 1.10"))  # fmt: skip
        loan = whybox("explain", str(SAMPLES / "loan_model.skops"),
                      str(SAMPLES / "loan_current.csv"), "--rows", "10",
                      "--out", str(tmp / "loan.csv"))  # fmt: skip
        before = load_average()
        (loan_s,) = best_of([loan])
        rows.append(ProcessRow("10 rows of the bundled loan pipeline (.skops), first command",
                               None, loan_s, "<= 2.0 s",
                               f"{before:.1f}-{load_average():.1f}"))  # fmt: skip
        before = load_average()
        rows.append(ProcessRow("10 rows of the loan pipeline, a later command (warm spare)",
                               None, with_broker(loan), "<= 2.0 s",
                               f"{before:.1f}-{load_average():.1f}"))  # fmt: skip
        before = load_average()
        (help_s,) = best_of([whybox("--help")])
        rows.append(ProcessRow("whybox --help", None, help_s, "<= 0.5 s",
                               f"{before:.1f}-{load_average():.1f}"))  # fmt: skip
    return rows


def print_rows(rows: list[ProcessRow]) -> None:
    print("| whole process | raw script (s) | whybox (s) | ratio | target | load average |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        raw = f"{r.raw:.2f}" if r.raw is not None else "–"
        ratio = f"{r.whybox / r.raw:.2f}" if r.raw else "–"
        print(f"| {r.workload} | {raw} | {r.whybox:.2f} | {ratio} | {r.target} | {r.load} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    print_rows(process_rows(parser.parse_args().quick))


if __name__ == "__main__":
    main()
