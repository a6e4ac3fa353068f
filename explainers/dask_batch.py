"""``whybox explain --engine dask``: the batch table, partition by partition, on a Dask cluster.

The data file is read in partitions of about ``blocksize`` bytes; each task
reads one partition, explains it with the shared
:class:`~explainers.batch.TableSettings` and writes its own Parquet file
(``part-00000.parquet``, ...). Nothing ever holds the whole table: memory is
bounded by (workers) x (one partition and its attributions), whatever the
input size. The model and settings are sent to each worker once.

The settings (SHAP background, grouping, LIME reference) come from the first
``REFERENCE_ROWS`` rows, as in the local engine, and each row keeps its
position in the file as ``row_id`` and permutation seed, so the files hold
exactly the rows of the local table, in float32 (see ``batch.to_storage``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import dask.dataframe as dd
import numpy as np
import pandas as pd
from dask.delayed import delayed
from distributed import Client, LocalCluster

from explainers.batch import (
    Method,
    TableSettings,
    explain_rows,
    table_settings,
    to_storage,
)
from explainers.cores import default_jobs
from explainers.data_loading import load_dataset
from explainers.errors import DataValidationError
from explainers.limits import REFERENCE_ROWS
from explainers.model_bundle import ModelBundle, align_data

DEFAULT_BLOCKSIZE = "8MB"
UNREADABLE = "whybox can read {suffix} files in batch only as .csv or .parquet."


@dataclass(frozen=True, slots=True)
class DaskRun:
    """What a Dask batch run did.

    Parameters
    ----------
    n_rows : int
        Rows explained.
    n_partitions : int
        Parquet files written.
    seconds : float
        Wall time from reading the first partition to the last file written.
    out_dir : Path
        Folder holding the Parquet files.
    """

    n_rows: int
    n_partitions: int
    seconds: float
    out_dir: Path

    @property
    def rows_per_second(self) -> float:
        """Throughput of the run."""
        return self.n_rows / self.seconds if self.seconds > 0 else float("inf")


def read_partitions(path: str | Path, *, blocksize: str = DEFAULT_BLOCKSIZE) -> dd.DataFrame:
    """The data file as a Dask DataFrame, column types taken from its first rows.

    Raises
    ------
    DataValidationError
        If the file is neither CSV nor Parquet.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return dd.read_parquet(path, split_row_groups="adaptive")
    if suffix != ".csv":
        raise DataValidationError(UNREADABLE.format(suffix=suffix or "these"))
    with path.open("rb") as handle:
        head = load_dataset(b"".join(handle.readline() for _ in range(1_001)), path.name)
    return dd.read_csv(path, blocksize=blocksize, dtype=dict(head.dtypes))


def _explain_partition(
    frame: pd.DataFrame,
    offset: int,
    index: int,
    bundle: ModelBundle,
    settings: TableSettings,
    target: str | None,
    out_dir: str,
) -> int:
    bundle, X = align_data(bundle, frame.reset_index(drop=True), target=target)
    positions = offset + np.arange(len(X))
    table = explain_rows(bundle, X, settings, row_positions=positions)
    to_storage(table).to_parquet(Path(out_dir) / f"part-{index:05d}.parquet", index=False)
    return len(table)


def explain_dask(
    bundle: ModelBundle,
    data_path: str | Path,
    out_dir: str | Path,
    *,
    target: str | None = None,
    method: Method = "shap",
    output: int | None = None,
    random_state: int = 0,
    scheduler: str | None = None,
    n_workers: int | None = None,
    blocksize: str = DEFAULT_BLOCKSIZE,
    processes: bool = True,
) -> DaskRun:
    """Explain every row of a CSV or Parquet file on a Dask cluster into Parquet files.

    Parameters
    ----------
    bundle : ModelBundle
    data_path : str or Path
        A ``.csv`` or ``.parquet`` file (any size).
    out_dir : str or Path
        Folder for ``part-NNNNN.parquet`` files (created; old parts removed).
    target : str, optional
        Target column to leave out.
    method : {"shap", "lime", "both"}
    output : int, optional
        Output (class) to explain.
    random_state : int
    scheduler : str, optional
        Address of a running Dask scheduler; None starts a local cluster.
    n_workers : int, optional
        Workers of the local cluster (default: every core, one thread each).
    blocksize : str
        Bytes of CSV per partition.
    processes : bool
        Local cluster with worker processes (True) or threads (tests).

    Returns
    -------
    DaskRun
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("part-*.parquet"):
        old.unlink()
    ddf = read_partitions(data_path, blocksize=blocksize)
    head = _first_rows(ddf, REFERENCE_ROWS)
    bundle, X_head = align_data(bundle, head, target=target)
    settings = table_settings(
        bundle, X_head, method=method, output=output, random_state=random_state
    )
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=n_workers or default_jobs(),
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
        )
    client = Client(scheduler or cluster)
    try:
        start = time.perf_counter()
        lengths = ddf.map_partitions(len).compute()
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        shared_bundle, shared_settings = client.scatter([bundle, settings], broadcast=True)
        parts = ddf.to_delayed()
        tasks = [
            delayed(_explain_partition)(
                part, int(offset), i, shared_bundle, shared_settings, target, str(out)
            )
            for i, (part, offset) in enumerate(zip(parts, offsets, strict=True))
        ]
        counts = client.compute(tasks, sync=True)
        seconds = time.perf_counter() - start
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return DaskRun(int(sum(counts)), len(tasks), seconds, out)


def _first_rows(ddf: dd.DataFrame, n: int) -> pd.DataFrame:
    """The first ``n`` rows, reading only as many partitions as needed."""
    frames: list[pd.DataFrame] = []
    for i in range(ddf.npartitions):
        frames.append(ddf.get_partition(i).compute())
        if sum(len(f) for f in frames) >= n:
            break
    return pd.concat(frames, ignore_index=True).iloc[:n]


def read_output(out_dir: str | Path) -> pd.DataFrame:
    """All Parquet parts of a Dask run as one table, in row order (for small outputs)."""
    files = sorted(Path(out_dir).glob("part-*.parquet"))
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
