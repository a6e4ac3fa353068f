"""Explain a whole dataset into one table: the ``whybox explain`` output format.

Everything that depends on the whole dataset (the SHAP method, background
sample and column grouping; LIME's reference rows) is decided once, from the
first ``REFERENCE_ROWS`` rows, by :func:`table_settings`. :func:`explain_rows`
then explains any slice of rows with those settings, in this process, in an
:class:`~explainers.parallel.ExplainPool`, or in a Dask partition
(``explainers.dask_batch``), and every route gives the same table.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from explainers.csv_output import write_csv
from explainers.limits import REFERENCE_ROWS
from explainers.model_bundle import ModelBundle
from explainers.results import Attribution

if TYPE_CHECKING:  # the explaining modules (scikit-learn, numba) load where the model runs:
    # the command line imports this module for the table's format only
    from explainers.parallel import ExplainPool
    from explainers.shap_attributions import ShapPlan

Method = Literal["shap", "lime", "both"]
METHODS: frozenset[str] = frozenset({"shap", "lime", "both"})
_ID_COLUMNS = ("row_id", "prediction", "predicted_label", "output_space")
OUTPUT_COLUMNS = frozenset({*_ID_COLUMNS, "base_value", "fit_score"})
"""Names of the columns a batch table writes besides attributions (before any method prefix)."""
FEATURE_PREFIX = "attribution."
RENAMED_NOTE = (
    "the data has columns named like output columns ({names}), so every attribution "
    "column is named attribution.<column>"
)
PROBE_ROWS = 8
INLINE_CPU_S = 1.0


@dataclass(frozen=True, slots=True, eq=False)
class TableSettings:
    """What every slice of a batch explanation shares.

    Parameters
    ----------
    method : {"shap", "lime", "both"}
    output : int
        The model output (class) explained.
    shap_plan : ShapPlan or None
        SHAP method, background and grouping (None when only LIME runs).
    lime_reference : DataFrame or None
        Rows LIME learns feature distributions from (None when only SHAP runs).
    random_state : int
        Seed of every random choice.
    feature_prefix : str
        Put before each attribution column's name (:func:`feature_prefix`).
    """

    method: Method
    output: int
    shap_plan: ShapPlan | None
    lime_reference: pd.DataFrame | None
    random_state: int
    feature_prefix: str = ""


def table_settings(
    bundle: ModelBundle,
    X_head: pd.DataFrame,
    *,
    method: Method = "shap",
    output: int | None = None,
    random_state: int = 0,
) -> TableSettings:
    """Decide the shared settings from the first ``REFERENCE_ROWS`` rows of the data.

    Parameters
    ----------
    bundle : ModelBundle
    X_head : DataFrame of shape (n_rows, n_features)
        The first rows of the data (more than ``REFERENCE_ROWS`` are ignored).
    method : {"shap", "lime", "both"}
    output : int, optional
        Output (class) to explain; defaults to ``bundle.default_output``.
    random_state : int

    Returns
    -------
    TableSettings

    Raises
    ------
    ValueError
        If ``method`` is not one of ``METHODS``.
    """
    from explainers.shap_attributions import plan_shap

    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}.")
    k = bundle.default_output if output is None else output
    head = X_head.iloc[:REFERENCE_ROWS]
    plan = (
        plan_shap(bundle, head, output=k, random_state=random_state)
        if method in ("shap", "both")
        else None
    )
    reference = head if method in ("lime", "both") else None
    return TableSettings(method, k, plan, reference, random_state, feature_prefix(head.columns))


def clashing_columns(feature_names: Iterable[object]) -> list[str]:
    """The uploaded columns named like one of the table's own ``OUTPUT_COLUMNS``."""
    return sorted({str(name) for name in feature_names} & OUTPUT_COLUMNS)


def feature_prefix(feature_names: Iterable[object]) -> str:
    """``FEATURE_PREFIX`` when any column clashes with an output column, else ``""``.

    Output columns never start with ``FEATURE_PREFIX``, so prefixed attribution
    columns cannot take an output column's name, and no header repeats.
    """
    return FEATURE_PREFIX if clashing_columns(feature_names) else ""


def renamed_note(feature_names: Iterable[object]) -> str | None:
    """The note that says attribution columns are prefixed, when they are."""
    clash = clashing_columns(feature_names)
    return RENAMED_NOTE.format(names=", ".join(clash)) if clash else None


def attribution_table(
    attribution: Attribution, *, prefix: str = "", feature_prefix: str = ""
) -> pd.DataFrame:
    """Base value, one column per feature, and LIME's fit score when present.

    ``prefix`` goes before every column (the method, for "both"),
    ``feature_prefix`` before the attribution columns only.
    """
    table = pd.DataFrame(
        attribution.values,
        columns=[f"{prefix}{feature_prefix}{name}" for name in attribution.feature_names],
    )
    table.insert(0, f"{prefix}base_value", attribution.base_values)
    if attribution.surrogate_score is not None:
        table[f"{prefix}fit_score"] = attribution.surrogate_score
    return table


def explain_rows(
    bundle: ModelBundle,
    X: pd.DataFrame,
    settings: TableSettings,
    *,
    row_positions: npt.ArrayLike | None = None,
    pool: ExplainPool | None = None,
) -> pd.DataFrame:
    """The batch table for some rows, with settings made by :func:`table_settings`.

    Parameters
    ----------
    bundle : ModelBundle
    X : DataFrame of shape (n_rows, n_features)
    settings : TableSettings
    row_positions : array of shape (n_rows,), optional
        Position of each row in the whole dataset (default ``0 .. n_rows - 1``);
        it seeds permutation SHAP and is written as ``row_id``.
    pool : ExplainPool, optional
        Explain in these worker processes (chunked); None: in this process.

    Returns
    -------
    DataFrame
        ``row_id``, ``prediction``, ``predicted_label``, base value(s), one
        attribution per feature (prefixed ``shap.`` / ``lime.`` for "both", and
        named ``attribution.<feature>`` when a feature is named like one of
        ``OUTPUT_COLUMNS``), LIME's ``fit_score``, and ``output_space``.
    """
    from explainers.lime_attributions import DEFAULT_SAMPLES, explain_lime
    from explainers.shap_attributions import explain_planned

    positions = np.arange(len(X)) if row_positions is None else np.asarray(row_positions)
    k = settings.output
    both = settings.method == "both"
    shap_job = lime_job = None
    if pool is not None and settings.shap_plan is not None:
        shap_job = pool.submit_shap(bundle, X, plan=settings.shap_plan)
    if pool is not None and settings.lime_reference is not None:
        lime_job = pool.submit_lime(
            bundle, X, output=k, X_reference=settings.lime_reference,
            num_samples=DEFAULT_SAMPLES, random_state=settings.random_state,
        )  # fmt: skip
    prediction = bundle.predict_output(X)
    parts = [
        pd.DataFrame(
            {
                "row_id": positions if row_positions is not None else list(X.index),
                "prediction": prediction[:, k],
                "predicted_label": bundle.labels_from_output(prediction).astype(str),
            }
        )
    ]
    spaces = []
    if settings.shap_plan is not None:
        shap_attr = (
            shap_job.result()
            if shap_job is not None
            else explain_planned(bundle, settings.shap_plan, X, row_positions=positions)
        )
        parts.append(
            attribution_table(
                shap_attr, prefix="shap." if both else "", feature_prefix=settings.feature_prefix
            )
        )
        spaces.append(shap_attr.output_space)
    if settings.lime_reference is not None:
        lime_attr = (
            lime_job.result()
            if lime_job is not None
            else explain_lime(
                bundle,
                X,
                output=k,
                X_reference=settings.lime_reference,
                random_state=settings.random_state,
            )  # fmt: skip
        )
        parts.append(
            attribution_table(
                lime_attr, prefix="lime." if both else "", feature_prefix=settings.feature_prefix
            )
        )
        spaces.append(lime_attr.output_space)
    table = pd.concat(parts, axis=1)
    table["output_space"] = "/".join(spaces)
    return table


def explain_table(
    bundle: ModelBundle,
    X: pd.DataFrame,
    *,
    method: Method = "shap",
    output: int | None = None,
    random_state: int = 0,
    pool: ExplainPool | None = None,
    n_rows: int | None = None,
) -> pd.DataFrame:
    """One row per input row: id, prediction, base value(s), one attribution per feature.

    With ``method="both"`` the SHAP and LIME columns are prefixed ``shap.`` and
    ``lime.``. The output space is recorded in the ``output_space`` column.
    SHAP's background and LIME's reference come from the first
    ``REFERENCE_ROWS`` rows; LIME explains each row on its own, so a row's
    result is the one the dashboard shows for it.

    Parameters
    ----------
    bundle : ModelBundle
    X : DataFrame of shape (n_rows, n_features)
    method : {"shap", "lime", "both"}
    output : int, optional
        Output (class) to explain; defaults to ``bundle.default_output``.
    random_state : int
    pool : ExplainPool, optional
        Worker processes to explain in (same table, every core), used only
        when :func:`needs_workers` and the first ``PROBE_ROWS`` rows project
        more than ``INLINE_CPU_S`` CPU seconds for the rest.
    n_rows : int, optional
        Explain only the first ``n_rows`` rows; the settings still come from
        all of ``X``, so each row gets the explanation the whole table gives it.

    Returns
    -------
    DataFrame
        See :func:`explain_rows`.
    """
    settings = table_settings(bundle, X, method=method, output=output, random_state=random_state)
    X = X if n_rows is None else X.iloc[:n_rows]
    if pool is None or not needs_workers(bundle, settings) or len(X) <= 2 * PROBE_ROWS:
        return explain_rows(bundle, X, settings)
    # the first rows here, timed in CPU seconds: a job under INLINE_CPU_S stays in place
    started = time.process_time()
    head = explain_rows(bundle, X.iloc[:PROBE_ROWS], settings, row_positions=np.arange(PROBE_ROWS))
    per_row = (time.process_time() - started) / PROBE_ROWS
    rest = X.iloc[PROBE_ROWS:]
    tail = explain_rows(
        bundle, rest, settings, row_positions=np.arange(PROBE_ROWS, len(X)),
        pool=None if per_row * len(rest) <= INLINE_CPU_S else pool,
    )  # fmt: skip
    table = pd.concat([head, tail], ignore_index=True)
    table["row_id"] = list(X.index)
    return table


def needs_workers(bundle: ModelBundle, settings: TableSettings) -> bool:
    """Whether worker processes can make this table faster (LIME, or SHAP that is not threaded).

    whybox's tree engine, xgboost, lightgbm and the linear closed form use
    every core in the calling process; LIME and shap's own code hold one core.
    """
    from explainers.shap_attributions import uses_own_threads

    if settings.lime_reference is not None:
        return True
    return settings.shap_plan is not None and not uses_own_threads(bundle, settings.shap_plan)


def explain_batch(
    bundle: ModelBundle,
    X: pd.DataFrame,
    *,
    method: Method = "shap",
    output: int | None = None,
    random_state: int = 0,
    n_rows: int | None = None,
) -> pd.DataFrame:
    """:func:`explain_table` with the pool of the process the model lives in.

    The CLI calls it through :func:`~explainers.model_calls.run_model_task`:
    a sandbox chunks the rows across the workers it forked after loading.
    """
    from explainers.parallel import local_pool

    return explain_table(
        bundle, X, method=method, output=output, random_state=random_state, pool=local_pool(),
        n_rows=n_rows,
    )  # fmt: skip


def attribution_columns(table: pd.DataFrame) -> list[str]:
    """The numeric columns of a batch table other than the row id and prediction."""
    return [
        c for c in table.columns
        if c not in _ID_COLUMNS and pd.api.types.is_float_dtype(table[c])
    ]  # fmt: skip


def to_storage(table: pd.DataFrame) -> pd.DataFrame:
    """The table as stored in Parquet: attributions, base values and fit scores as float32.

    Additivity (base + sum = model output, to 1e-6 relative) is checked in
    float64 before anything is stored; a stored attribution is read, plotted
    or ranked, where float32's 7 significant digits are more than enough, and
    it halves the size of the file and of every reader's memory.
    """
    return table.astype({c: np.float32 for c in attribution_columns(table)})


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    """Write a batch table: Parquet (float32 attributions, see :func:`to_storage`) or CSV."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        to_storage(table).to_parquet(path, index=False)
    else:
        write_csv(table, path)  # text cells that a spreadsheet would run are quoted
