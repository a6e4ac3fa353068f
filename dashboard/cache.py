"""Every Streamlit cache wrapper. Keys are content hashes, never file names.

Models are cached as resources (shared, never mutated); attributions as data
(pickled copies). Raw bytes are passed as ``_``-prefixed arguments so they
stay out of the cache key: the SHA-256 digests taken at upload stand for them.

No model ever runs in the server process: a model is loaded in its own
sandbox process (``explainers.sandbox``; one per model and session, the
bundled demos shared), and the ``ModelBundle`` cached here is a handle. Every
function that needs the model is called through
``explainers.model_calls.run_model_task``. Heavy global SHAP runs in the
sandbox's own worker processes as a job that every page shares
(``global_shap_job``, a :class:`~explainers.parallel.RemoteJob`); the server
thread only polls it. A job a timed probe projects under half a second (the
loan demo: ~0.1 s) is done in the sandbox's main process instead.

An uploaded model's digest carries the session it was uploaded in
(``actions.uploaded(..., scope=...)``), so every cache entry computed with an
uploaded model belongs to that session alone: a hostile model cannot hand one
session's data to another through a shared cache entry.
"""

from __future__ import annotations

import os
import threading

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.operator_env import sandbox_required, trust_unknown_pickles
from dashboard.state import UploadedFile, Workspace
from explainers.data_loading import load_dataset, memory_budget_from_env
from explainers.decision import Decision, plan_for, summarise_decision, worded
from explainers.loading import PreparedData, load_model, prepare
from explainers.model_bundle import ModelBundle, model_outputs
from explainers.model_calls import run_model_task
from explainers.parallel import INLINE_BUDGET_S, RemoteJob
from explainers.results import Attribution
from explainers.sandbox import Protections, keep_a_spare, protections, require_contained
from explainers.shap_attributions import ShapPlan, explain_planned, global_sample
from sample_models import DEMOS

FIRST_SAMPLE_ROWS = 200
MAX_JOBS = 8
_JOBS_LOCK = threading.Lock()


def memory_budget() -> int:
    """Most bytes one uploaded dataset may take (operator setting ``WHYBOX_MEMORY_BUDGET_MB``)."""
    return memory_budget_from_env(os.environ)


@st.cache_resource(max_entries=16, show_spinner=False)
def _bundle(model_digest: str, filename: str, trust: bool, scope: str, _raw: bytes) -> ModelBundle:
    if sandbox_required() and scope:  # an upload (the bundled demos are whybox's own)
        require_contained()
    keep_a_spare()  # the next upload then finds a sandbox that has done its imports
    return load_model(_raw, filename, trust_unknown=trust, sandboxed=True, scope=scope)


@st.cache_data(max_entries=16, show_spinner=False)
def _frame(data_digest: str, filename: str, budget: int, _raw: bytes) -> pd.DataFrame:
    return load_dataset(_raw, filename, memory_budget=budget)


def bundle(ws: Workspace) -> ModelBundle:
    """The validated model of a workspace (loads it on first use)."""
    return model_of(ws.model)


def dataset(upload: UploadedFile) -> pd.DataFrame:
    """An uploaded dataset as read (all columns)."""
    return _frame(upload.digest, upload.name, memory_budget(), upload.raw)


def model_of(upload: UploadedFile) -> ModelBundle:
    """An uploaded model, safely loaded and validated in its sandbox (a handle)."""
    return _bundle(upload.digest, upload.name, trust_unknown_pickles(), upload.scope, upload.raw)


def model_protections(ws: Workspace) -> Protections:
    """The protections the workspace's model runs under (as its sandbox reports them)."""
    return protections(bundle(ws).model.info())


def frame(ws: Workspace) -> pd.DataFrame:
    """The workspace's dataset as read (all columns)."""
    return dataset(ws.data)


@st.cache_resource(max_entries=16, show_spinner=False)
def _prepared(
    model_digest: str, data_digest: str, target: str | None, _ws: Workspace
) -> PreparedData:
    return prepare(bundle(_ws), frame(_ws), target=target)


def prepared(ws: Workspace) -> PreparedData:
    """Model and data aligned (raises the explainers' errors on mismatch)."""
    return _prepared(ws.model.digest, ws.data.digest, ws.target, ws)


def output_index(ws: Workspace) -> int:
    """Column of the model output being explained."""
    return prepared(ws).bundle.output_index(ws.output_label)


def explained_rows(ws: Workspace) -> pd.DataFrame:
    """The rows the global view is computed on: all, or a stated random sample."""
    return global_sample(prepared(ws).X)


@st.cache_resource(max_entries=16, show_spinner=False)
def _shap_plan(
    model_digest: str, data_digest: str, target: str | None, output: int, _ws: Workspace
) -> ShapPlan:
    return run_model_task(prepared(_ws).bundle, plan_for, prepared(_ws).X, output=output)


def shap_plan(ws: Workspace, output: int | None = None) -> ShapPlan:
    """SHAP method, background and column grouping for this workspace (made once)."""
    output = output_index(ws) if output is None else output
    return _shap_plan(ws.model.digest, ws.data.digest, ws.target, output, ws)


def shap_of_rows(ws: Workspace, X: pd.DataFrame, output: int) -> Attribution:
    """SHAP for any rows the workspace's model takes (another dataset, a test split).

    Done in the sandbox's main process when a timed probe projects it under
    half a second, otherwise in its worker processes while this thread only
    waits, as for the global view.
    """
    return _shap_job(ws, X, output).result()


def _shap_job(
    ws: Workspace,
    X: pd.DataFrame,
    output: int,
    *,
    shuffle: bool = False,
    first_rows: int | None = None,
) -> RemoteJob:
    """A job in the model's sandbox: finished at once if a probe says it is quick."""
    bundle, plan = prepared(ws).bundle, shap_plan(ws, output)
    return RemoteJob.start(
        bundle, X, plan=plan, shuffle=shuffle, first_rows=first_rows,
        inline_budget_s=INLINE_BUDGET_S,
    )  # fmt: skip


@st.cache_resource(show_spinner=False)
def _jobs() -> dict[tuple[str, str, str | None, int], RemoteJob]:
    return {}


def global_shap_job(ws: Workspace, *, restart_cancelled: bool = True) -> RemoteJob:
    """The running or finished global SHAP job for this workspace, shared by every session.

    Rows are explained in random chunks (seed 0), the first ``FIRST_SAMPLE_ROWS``
    first, so ``job.partial()`` is always a stated random sample. A cancelled
    job is kept (with its partial result) unless ``restart_cancelled``.
    """
    key = (ws.model.digest, ws.data.digest, ws.target, output_index(ws))
    with _JOBS_LOCK:
        jobs = _jobs()
        job = jobs.get(key)
        if job is None or job.failed or (job.cancelled and restart_cancelled):
            job = _shap_job(
                ws,
                explained_rows(ws),
                output_index(ws),
                shuffle=True,
                first_rows=FIRST_SAMPLE_ROWS,
            )
            jobs[key] = job
        finished = [k for k, j in jobs.items() if j.done() and k != key]
        for old in finished[: max(0, len(finished) - MAX_JOBS)]:
            del jobs[old]
    return job


@st.cache_data(max_entries=32, show_spinner=False)
def _global_shap(
    model_digest: str, data_digest: str, target: str | None, output: int, _ws: Workspace
) -> Attribution:
    return global_shap_job(_ws).result()


def global_shap(ws: Workspace) -> Attribution:
    """SHAP for every explained row (cached by content hash and settings).

    Computed in the model's sandbox; this thread only waits for the result.
    """
    return _worded(
        ws, _global_shap(ws.model.digest, ws.data.digest, ws.target, output_index(ws), ws)
    )


def row_frame(ws: Workspace, row_id: object) -> pd.DataFrame:
    """One row of the aligned data as a one-row frame."""
    return prepared(ws).X.loc[[row_id]]


@st.cache_data(max_entries=256, show_spinner=False)
def _row_shap(
    model_digest: str,
    data_digest: str,
    target: str | None,
    output: int,
    row: pd.DataFrame,
    _ws: Workspace,
) -> Attribution:
    # light (one row): the workspace's plan is reused, so no probing per row
    return run_model_task(prepared(_ws).bundle, explain_planned, shap_plan(_ws), row)


def row_shap(ws: Workspace, row: pd.DataFrame) -> Attribution:
    """SHAP for one (possibly edited) row; ``row`` is part of the cache key."""
    return _worded(
        ws, _row_shap(ws.model.digest, ws.data.digest, ws.target, output_index(ws), row, ws)
    )


def _worded(ws: Workspace, attribution: Attribution) -> Attribution:
    bundle = prepared(ws).bundle
    label = bundle.output_labels[output_index(ws)] if bundle.task != "regression" else None
    return worded(attribution, ws.settings, label)


def display_names(ws: Workspace) -> dict[str, str]:
    """Human-readable column names, from the decision settings."""
    return dict(ws.settings.display_names)


def favourable_label(ws: Workspace) -> str:
    """The class the person hopes for: the settings', else the class explained."""
    bundle = prepared(ws).bundle
    if ws.settings.favourable is not None:
        return ws.settings.favourable
    return bundle.output_labels[output_index(ws)]


@st.cache_data(max_entries=16, show_spinner=False)
def _predictions(
    model_digest: str, data_digest: str, target: str | None, _ws: Workspace
) -> np.ndarray:
    return run_model_task(prepared(_ws).bundle, model_outputs, prepared(_ws).X)


@st.cache_data(max_entries=256, show_spinner=False)
def _row_outputs(
    model_digest: str, data_digest: str, target: str | None, rows: pd.DataFrame, _ws: Workspace
) -> np.ndarray:
    return run_model_task(prepared(_ws).bundle, model_outputs, rows)


def row_outputs(ws: Workspace, rows: pd.DataFrame) -> np.ndarray:
    """Model outputs for a few (possibly edited) rows, in one request to the model."""
    return _row_outputs(ws.model.digest, ws.data.digest, ws.target, rows, ws)


def predictions(ws: Workspace) -> np.ndarray:
    """Model outputs for every row, shape (n_rows, n_outputs)."""
    return _predictions(ws.model.digest, ws.data.digest, ws.target, ws)


def favourable_index(ws: Workspace) -> int:
    """Output column of the favourable class."""
    return prepared(ws).bundle.output_index(favourable_label(ws))


@st.cache_data(max_entries=64, show_spinner=False)
def _decision(
    model_digest: str,
    data_digest: str,
    target: str | None,
    row_id: object,
    output: int,
    settings_key: str,
    _ws: Workspace,
) -> Decision:
    demo = DEMOS.get(_ws.is_demo or "")
    row_label = f"row {row_id}"
    if _ws.id_column:
        row_label = f"ID {frame(_ws).loc[row_id, _ws.id_column]}"
    return summarise_decision(
        prepared(_ws), row_id, output=output, plan=shap_plan(_ws, output), settings=_ws.settings,
        model_name=None if demo else _ws.model.name,
        model_card=demo.model_card() if demo else None,
        data_name=_ws.data.name, row_label=row_label,
    )  # fmt: skip


def decision(ws: Workspace, row_id: object) -> Decision:
    """One row's whole decision, computed once: the page, presenter mode and reports render it."""
    return _decision(
        ws.model.digest, ws.data.digest, ws.target, row_id, output_index(ws), ws.settings_key, ws
    )
