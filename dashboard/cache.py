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
from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.cli import REQUIRE_SANDBOX_ENV, TRUST_ENV
from dashboard.state import UploadedFile, Workspace
from explainers.data_loading import load_dataset, memory_budget_from_env
from explainers.lime_attributions import comparable_space, explain_lime
from explainers.loading import PreparedData, load_model, prepare
from explainers.model_bundle import ModelBundle, model_outputs
from explainers.model_calls import run_model_task
from explainers.parallel import INLINE_BUDGET_S, RemoteJob
from explainers.reasons import Reasons, explain_in_words
from explainers.recourse import RecourseResult, recourse_for
from explainers.results import Attribution, OutputSpace
from explainers.sandbox import Protections, keep_a_spare, protections, require_contained
from explainers.shap_attributions import ShapPlan, explain_planned, plan_shap

GLOBAL_MAX_ROWS = 2_000
BACKGROUND_ROWS = 100
FIRST_SAMPLE_ROWS = 200
MAX_JOBS = 8
_JOBS_LOCK = threading.Lock()


def trust_unknown_pickles() -> bool:
    """Set only by the server operator (``whybox serve --trust-unknown-pickles``)."""
    return os.environ.get(TRUST_ENV) == "1"


def sandbox_required() -> bool:
    """Set only by the operator (``whybox serve --require-sandbox``): refuse uncontained uploads."""
    return os.environ.get(REQUIRE_SANDBOX_ENV) == "1"


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


def global_sample(X: pd.DataFrame) -> pd.DataFrame:
    """All of ``X``, or a random sample of ``GLOBAL_MAX_ROWS`` rows (seed 0) in table order."""
    if len(X) <= GLOBAL_MAX_ROWS:
        return X
    return X.sample(n=GLOBAL_MAX_ROWS, random_state=0).sort_index()


def background(ws: Workspace) -> pd.DataFrame:
    """Reference rows for linear and model-agnostic methods (fixed seed)."""
    X = prepared(ws).X
    return X if len(X) <= BACKGROUND_ROWS else X.sample(n=BACKGROUND_ROWS, random_state=0)


@st.cache_resource(max_entries=16, show_spinner=False)
def _shap_plan(
    model_digest: str, data_digest: str, target: str | None, output: int, _ws: Workspace
) -> ShapPlan:
    return run_model_task(
        prepared(_ws).bundle, plan_shap, explained_rows(_ws), output=output,
        background=background(_ws),
    )  # fmt: skip


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
    return worded(
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
    return worded(
        ws, _row_shap(ws.model.digest, ws.data.digest, ws.target, output_index(ws), row, ws)
    )


@st.cache_data(max_entries=256, show_spinner=False)
def _row_lime(
    model_digest: str,
    data_digest: str,
    target: str | None,
    output: int,
    row: pd.DataFrame,
    random_state: int,
    space: OutputSpace | None,
    _ws: Workspace,
) -> Attribution:
    return run_model_task(
        prepared(_ws).bundle, explain_lime, row, output=output, X_reference=prepared(_ws).X,
        random_state=random_state,
        space=space,
    )  # fmt: skip


def row_lime(ws: Workspace, row: pd.DataFrame, *, random_state: int = 0) -> Attribution:
    """LIME for one row, with its local fit score, in units SHAP can be compared in."""
    space = comparable_space(prepared(ws).bundle, shap_plan(ws).space)
    return worded(
        ws,
        _row_lime(
            ws.model.digest,
            ws.data.digest,
            ws.target,
            output_index(ws),
            row,
            random_state,
            space,
            ws,
        ),  # fmt: skip
    )


def worded(ws: Workspace, attribution: Attribution) -> Attribution:
    """The attribution with its output also named in the settings' words.

    "probability of 1" becomes "probability of 1 (“survives”)", when the class
    explained is the favourable one and its wording differs from its label.
    """
    settings, bundle = ws.settings, prepared(ws).bundle
    label = bundle.output_labels[output_index(ws)] if bundle.task != "regression" else None
    if label is None or label != settings.favourable or settings.favourable_text == label:
        return attribution
    return replace(
        attribution, output_label=f"{attribution.output_label} (“{settings.favourable_text}”)"
    )


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


def decision_reasons(ws: Workspace, attribution: Attribution, *, top_n: int = 3) -> Reasons:
    """Plain-language reasons for a one-row attribution of the favourable class."""
    settings = ws.settings
    return explain_in_words(
        attribution, 0, display_names=display_names(ws),
        favourable_label=settings.favourable_text, unfavourable_label=settings.unfavourable_text,
        top_n=top_n, score_name=settings.score_name, threshold=settings.threshold,
        multiclass=prepared(ws).bundle.task == "multiclass",
    )  # fmt: skip


@st.cache_data(max_entries=128, show_spinner=False)
def _recourse(
    model_digest: str,
    data_digest: str,
    target: str | None,
    output: int,
    row: pd.DataFrame,
    fixed: tuple[str, ...],
    settings_key: str,
    _ws: Workspace,
) -> RecourseResult:
    return run_model_task(
        prepared(_ws).bundle, recourse_for, row, prepared(_ws).X, output=output,
        fixed=fixed, directions=_ws.settings.directions, display_names=display_names(_ws),
        threshold=_ws.settings.threshold, score_name=_ws.settings.score_name,
    )  # fmt: skip


def recourse(ws: Workspace, row: pd.DataFrame, fixed: tuple[str, ...]) -> RecourseResult:
    """Up to three verified changes that would flip a classification to the favourable class."""
    return _recourse(ws.model.digest, ws.data.digest, ws.target, favourable_index(ws), row,
                     tuple(sorted(fixed)), ws.settings_key, ws)  # fmt: skip


def favourable_index(ws: Workspace) -> int:
    """Output column of the favourable class."""
    return prepared(ws).bundle.output_index(favourable_label(ws))


def default_fixed(ws: Workspace) -> tuple[str, ...]:
    """Features recourse may not change (from the decision settings)."""
    return ws.settings.fixed
