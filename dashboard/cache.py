"""Every Streamlit cache wrapper. Keys are content hashes, never file names.

A workspace is loaded once into a :class:`Loaded` (model handle, aligned
data, output and favourable index, settings) under one key,
:attr:`~dashboard.state.Workspace.key` (the content hashes of model and data,
the target and the class explained); every cache entry is keyed by it, plus
``settings_key`` where the decision settings change the result. The workspace
or the loaded object travels as a ``_``-prefixed argument, out of the key.
Models are cached as resources (shared, never mutated); attributions as data
(pickled copies).

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
When that session ends, ``dashboard.session_reaper`` stops its sandboxes
and drops its resources here (the model handle, the prepared data, the loaded
workspace and its SHAP plan: what holds its files' bytes and frames). Datasets
are kept in a :class:`~dashboard.frame_store.FrameStore`, whose ceiling is in
bytes, not entries.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.frame_store import FrameStore
from dashboard.operator_env import sandbox_required, trust_unknown_pickles
from dashboard.session_reaper import REAPER
from dashboard.state import UploadedFile, Workspace
from explainers.data_loading import load_dataset, memory_budget_from_env
from explainers.decision import Decision, plan_for, summarise_decision, worded
from explainers.decision_settings import DecisionSettings
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
    bundle = load_model(_raw, filename, trust_unknown=trust, sandboxed=True, scope=scope)
    _free_with_session(scope, _bundle, model_digest, filename, trust, scope, b"")
    return bundle


def _free_with_session(scope: str, cached: Any, *key: object) -> None:
    """Drop the entry ``cached(*key)`` when session ``scope`` ends (``_`` arguments are not
    part of a key, so any value stands in for them): resources hold uploads' bytes and frames.
    """
    REAPER.watch(scope, lambda: cached.clear(*key))


_FRAMES = FrameStore()


def bundle(ws: Workspace) -> ModelBundle:
    """The validated model of a workspace (loads it on first use)."""
    return model_of(ws.model)


def dataset(upload: UploadedFile) -> pd.DataFrame:
    """An uploaded dataset as read (all columns)."""
    budget = memory_budget()
    return _FRAMES.get(
        f"{upload.digest}/{upload.name}/{budget}",
        lambda: load_dataset(upload.raw, upload.name, memory_budget=budget),
    )


def model_of(upload: UploadedFile) -> ModelBundle:
    """An uploaded model, safely loaded and validated in its sandbox (a handle)."""
    return _bundle(upload.digest, upload.name, trust_unknown_pickles(), upload.scope, upload.raw)


def model_protections(ws: Workspace) -> Protections:
    """The protections the workspace's model runs under (as its sandbox reports them)."""
    return protections(bundle(ws).model.info())


def frame(ws: Workspace) -> pd.DataFrame:
    """The workspace's dataset as read (all columns)."""
    return dataset(ws.data)


@dataclass(frozen=True, slots=True)
class Loaded:
    """A workspace with its model and data loaded: what every cached computation starts from.

    Made once per workspace key and settings (:func:`loaded`); the SHAP plan,
    which costs a request to the model, is made on first use (:func:`shap_plan`).

    Attributes
    ----------
    workspace : Workspace
        The session's choices (files, target, class explained, settings).
    key, settings_key : str
        The workspace key every cache entry uses (model, data, target, class
        explained) and the settings' hash.
    prepared : PreparedData
        The model handle and the aligned data.
    output : int
        Output column explained.
    favourable : int
        Output column of the favourable class (recourse and rates aim at it).
    favourable_label : str
        The favourable class: the settings', else the class explained.
    """

    workspace: Workspace
    key: str
    settings_key: str
    prepared: PreparedData
    output: int
    favourable: int
    favourable_label: str

    @property
    def bundle(self) -> ModelBundle:
        """The model (a handle to its sandbox)."""
        return self.prepared.bundle

    @property
    def settings(self) -> DecisionSettings:
        """The decision settings."""
        return self.workspace.settings

    @property
    def explained_label(self) -> str | None:
        """The label of the class explained; None for a regression."""
        bundle = self.prepared.bundle
        return None if bundle.task == "regression" else bundle.output_labels[self.output]


@st.cache_resource(max_entries=16, show_spinner=False)
def _prepared(key: str, _ws: Workspace) -> PreparedData:
    _free_with_session(_ws.model.scope, _prepared, key, None)
    return prepare(bundle(_ws), frame(_ws), target=_ws.target)


@st.cache_resource(max_entries=32, show_spinner=False)
def _loaded(key: str, settings_key: str, _ws: Workspace) -> Loaded:
    _free_with_session(_ws.model.scope, _loaded, key, settings_key, None)
    data = _prepared(key, _ws)
    output = data.bundle.output_index(_ws.output_label)
    label = _ws.settings.favourable or data.bundle.output_labels[output]
    return Loaded(_ws, key, settings_key, data, output, data.bundle.output_index(label), label)


def loaded(ws: Workspace) -> Loaded:
    """The workspace loaded (raises the explainers' errors on a model/data mismatch)."""
    return _loaded(ws.key, ws.settings_key, ws)


def prepared(ws: Workspace) -> PreparedData:
    """Model and data aligned (raises the explainers' errors on mismatch)."""
    return loaded(ws).prepared


def output_index(ws: Workspace) -> int:
    """Column of the model output being explained."""
    return loaded(ws).output


def favourable_index(ws: Workspace) -> int:
    """Output column of the favourable class."""
    return loaded(ws).favourable


def favourable_label(ws: Workspace) -> str:
    """The class the person hopes for: the settings', else the class explained."""
    return loaded(ws).favourable_label


def explained_rows(ws: Workspace) -> pd.DataFrame:
    """The rows the global view is computed on: all, or a stated random sample."""
    return global_sample(prepared(ws).X)


@st.cache_resource(max_entries=16, show_spinner=False)
def _shap_plan(key: str, output: int, _lw: Loaded) -> ShapPlan:
    _free_with_session(_lw.workspace.model.scope, _shap_plan, key, output, None)
    return run_model_task(_lw.bundle, plan_for, _lw.prepared.X, output=output)


def shap_plan(lw: Loaded, output: int | None = None) -> ShapPlan:
    """SHAP method, background and column grouping for this workspace (made once)."""
    output = lw.output if output is None else output
    return _shap_plan(lw.key, output, lw)


def shap_of_rows(ws: Workspace, X: pd.DataFrame, output: int) -> Attribution:
    """SHAP for any rows the workspace's model takes (another dataset, a test split).

    Done in the sandbox's main process when a timed probe projects it under
    half a second, otherwise in its worker processes while this thread only
    waits, as for the global view.
    """
    return _shap_job(loaded(ws), X, output).result()


def _shap_job(
    lw: Loaded,
    X: pd.DataFrame,
    output: int,
    *,
    shuffle: bool = False,
    first_rows: int | None = None,
) -> RemoteJob:
    """A job in the model's sandbox: finished at once if a probe says it is quick."""
    return RemoteJob.start(
        lw.bundle, X, plan=shap_plan(lw, output), shuffle=shuffle, first_rows=first_rows,
        inline_budget_s=INLINE_BUDGET_S,
    )  # fmt: skip


@st.cache_resource(show_spinner=False)
def _jobs() -> dict[str, RemoteJob]:
    return {}


def global_shap_job(ws: Workspace, *, restart_cancelled: bool = True) -> RemoteJob:
    """The running or finished global SHAP job for this workspace, shared by every session.

    Rows are explained in random chunks (seed 0), the first ``FIRST_SAMPLE_ROWS``
    first, so ``job.partial()`` is always a stated random sample. A cancelled
    job is kept (with its partial result) unless ``restart_cancelled``.
    """
    lw = loaded(ws)
    with _JOBS_LOCK:
        jobs = _jobs()
        job = jobs.get(lw.key)
        if job is None or job.failed or (job.cancelled and restart_cancelled):
            rows = global_sample(lw.prepared.X)
            job = _shap_job(lw, rows, lw.output, shuffle=True, first_rows=FIRST_SAMPLE_ROWS)
            jobs[lw.key] = job
        finished = [k for k, j in jobs.items() if j.done() and k != lw.key]
        for old in finished[: max(0, len(finished) - MAX_JOBS)]:
            del jobs[old]
    return job


@st.cache_data(max_entries=32, show_spinner=False)
def _global_shap(key: str, _ws: Workspace) -> Attribution:
    return global_shap_job(_ws).result()


def global_shap(ws: Workspace) -> Attribution:
    """SHAP for every explained row (cached by the workspace key).

    Computed in the model's sandbox; this thread only waits for the result.
    """
    lw = loaded(ws)
    return worded(_global_shap(lw.key, ws), lw.settings, lw.explained_label)


def row_frame(ws: Workspace, row_id: object) -> pd.DataFrame:
    """One row of the aligned data as a one-row frame."""
    return prepared(ws).X.loc[[row_id]]


@st.cache_data(max_entries=256, show_spinner=False)
def _row_shap(key: str, row: pd.DataFrame, _lw: Loaded) -> Attribution:
    # light (one row): the workspace's plan is reused, so no probing per row
    return run_model_task(_lw.bundle, explain_planned, shap_plan(_lw), row)


def row_shap(ws: Workspace, row: pd.DataFrame) -> Attribution:
    """SHAP for one (possibly edited) row; ``row`` is part of the cache key."""
    lw = loaded(ws)
    return worded(_row_shap(lw.key, row, lw), lw.settings, lw.explained_label)


def display_names(ws: Workspace) -> dict[str, str]:
    """Human-readable column names, from the decision settings."""
    return dict(ws.settings.display_names)


@st.cache_data(max_entries=16, show_spinner=False)
def _predictions(key: str, _lw: Loaded) -> np.ndarray:
    return run_model_task(_lw.bundle, model_outputs, _lw.prepared.X)


@st.cache_data(max_entries=256, show_spinner=False)
def _row_outputs(key: str, rows: pd.DataFrame, _lw: Loaded) -> np.ndarray:
    return run_model_task(_lw.bundle, model_outputs, rows)


def row_outputs(ws: Workspace, rows: pd.DataFrame) -> np.ndarray:
    """Model outputs for a few (possibly edited) rows, in one request to the model."""
    lw = loaded(ws)
    return _row_outputs(lw.key, rows, lw)


def predictions(ws: Workspace) -> np.ndarray:
    """Model outputs for every row, shape (n_rows, n_outputs)."""
    lw = loaded(ws)
    return _predictions(lw.key, lw)


@st.cache_data(max_entries=64, show_spinner=False)
def _decision(key: str, settings_key: str, row_id: object, _lw: Loaded, _ws: Workspace) -> Decision:
    ws = _ws  # this session's names for the files (the key holds their contents)
    demo = DEMOS.get(ws.is_demo or "")
    row_label = f"row {row_id}"
    if ws.id_column:
        row_label = f"ID {frame(ws).loc[row_id, ws.id_column]}"
    return summarise_decision(
        _lw.prepared, row_id, output=_lw.output, plan=shap_plan(_lw), settings=ws.settings,
        model_name=None if demo else ws.model.name,
        model_card=demo.model_card() if demo else None,
        data_name=ws.data.name, row_label=row_label,
    )  # fmt: skip


def decision(ws: Workspace, row_id: object) -> Decision:
    """One row's whole decision, computed once: the page, presenter mode and reports render it."""
    lw = loaded(ws)
    return _decision(lw.key, lw.settings_key, row_id, lw, ws)
