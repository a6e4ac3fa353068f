"""Peak memory and throughput of ``whybox explain --engine dask`` as the input grows.

Run from the repository root::

    python -m benchmarks.dask_memory                      # 100,000 and 1,000,000 rows
    python -m benchmarks.dask_memory --rows 100000 --format parquet

The loan data (``sample_models/german_credit.csv``) is sampled with
replacement (seed 0) to each size and written to a temporary folder. The CLI
(``python -m dashboard.cli explain ... --engine dask``) runs as a child
process; the total RSS of it and all its descendants (Dask nanny, workers) is
sampled every 50 ms. Memory is bounded when the peak does not grow with rows.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_models"
MIB = 2**20


@dataclass
class Peak:
    """Largest total RSS seen, and what it was made of at that moment."""

    total: int = 0
    main: int = 0
    children: int = 0
    n_procs: int = 0
    at_s: float = 0.0
    main_max: int = 0


def watch(proc: subprocess.Popen, peak: Peak, stop: threading.Event, start: float) -> None:
    """Sample the RSS of ``proc`` and every descendant every 50 ms."""
    root = psutil.Process(proc.pid)
    while not stop.is_set():
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            break
        sizes = []
        for p in procs:
            try:
                sizes.append(p.memory_info().rss)
            except psutil.Error:
                sizes.append(0)
        total = sum(sizes)
        peak.main_max = max(peak.main_max, sizes[0])
        if total > peak.total:
            peak.total, peak.main, peak.children = total, sizes[0], total - sizes[0]
            peak.n_procs, peak.at_s = len(procs), time.perf_counter() - start
        time.sleep(0.05)


def make_data(n_rows: int, folder: Path, fmt: str) -> Path:
    """German credit sampled with replacement to ``n_rows`` rows (seed 0)."""
    frame = pd.read_csv(SAMPLES / "german_credit.csv")
    big = frame.sample(n=n_rows, replace=True, random_state=0).reset_index(drop=True)
    path = folder / f"loan_{n_rows}.{fmt}"
    if fmt == "csv":
        big.to_csv(path, index=False)
    else:
        big.to_parquet(path, index=False, row_group_size=50_000)
    return path


def skops_model(folder: Path) -> Path:
    """The bundled loan model saved with skops (``--engine dask`` takes only data files)."""
    import skops.io

    from explainers.loading import load_model

    raw = (SAMPLES / "loan_model.joblib").read_bytes()
    path = folder / "loan_model.skops"
    skops.io.dump(load_model(raw, "loan_model.joblib").model, path)
    return path


def run_once(n_rows: int, fmt: str, blocksize: str) -> dict[str, object]:
    """Explain ``n_rows`` loan rows with the CLI; measure wall time and peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        data = make_data(n_rows, Path(tmp), fmt)
        out = Path(tmp) / "explained"
        command = [
            sys.executable, "-m", "dashboard.cli", "explain",
            str(skops_model(Path(tmp))), str(data),
            "--target", "creditability", "--engine", "dask",
            "--blocksize", blocksize, "--out", str(out),
        ]  # fmt: skip
        peak, stop = Peak(), threading.Event()
        start = time.perf_counter()
        proc = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        sampler = threading.Thread(target=watch, args=(proc, peak, stop, start), daemon=True)
        sampler.start()
        stdout, stderr = proc.communicate()
        wall = time.perf_counter() - start
        stop.set()
        sampler.join()
        if proc.returncode != 0:
            raise RuntimeError(f"whybox explain failed ({proc.returncode}):\n{stderr}")
        match = re.search(r"in (\d+) Parquet files .*\(([\d,]+) rows/s\)", stdout)
        parts, rate = (int(match[1]), match[2]) if match else (0, "?")
        return {
            "rows": n_rows,
            "input_mib": data.stat().st_size / MIB,
            "wall": wall,
            "cli_rate": rate,
            "parts": parts,
            "peak": peak,
        }


def main() -> None:
    """Measure each size and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--blocksize", default="8MB", help="the CLI's --blocksize")
    args = parser.parse_args()
    results = [run_once(n, args.format, args.blocksize) for n in args.rows]
    print(
        f"\n`--engine dask`, {args.format} input, --blocksize {args.blocksize}, "
        f"{psutil.cpu_count()} cores\n"
    )
    print(
        "| rows | input (MiB) | partitions | wall (s) | rows/s (wall) | rows/s (CLI) "
        "| peak RSS, all processes (MiB) | of which CLI process | processes | peak at (s) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        p: Peak = r["peak"]  # type: ignore[assignment]
        print(
            f"| {r['rows']:,} | {r['input_mib']:,.0f} | {r['parts']} | {r['wall']:.1f} "
            f"| {r['rows'] / r['wall']:,.0f} | {r['cli_rate']} | {p.total / MIB:,.0f} "
            f"| {p.main / MIB:,.0f} (max {p.main_max / MIB:,.0f}) | {p.n_procs} | {p.at_s:.1f} |"
        )


if __name__ == "__main__":
    main()
