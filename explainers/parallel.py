"""Chunked process-pool execution of SHAP and LIME, with progress and cancellation.

shap's C TreeSHAP holds the GIL, so explaining in the caller's thread freezes
every other thread of that process (every Streamlit session). Here the rows
are split into chunks and explained in worker processes:

- the plan (method, background, one-hot grouping) is made once from the whole
  table by :func:`~explainers.shap_attributions.plan_shap`, so every chunk uses
  exactly what the serial call would; per-row randomness is seeded by the
  row's position (SHAP), and LIME explains each row on its own
  (``explain_lime`` reseeds every row), so chunked == serial, bit for bit;
- the model and plan are pickled once per job to a private temporary file;
  each worker loads that file once and keeps it while chunks of the job
  arrive, so chunks carry only their rows;
- the pool is persistent (``forkserver`` workers that have imported shap
  once), so a job starts in milliseconds, not seconds;
- with ``shuffle=True`` the chunks are random samples of the rows (seeded),
  so the rows finished so far are always a stated random sample;
- :meth:`ExplainJob.cancel` drops the chunks not yet started;
- jobs share the workers (:class:`~explainers.turn_taking.TurnTakingPool`): a
  job submitted while another runs does not wait behind all of its chunks.

xgboost and lightgbm compute exact contributions with their own threads;
chunking them across processes gains nothing, so :func:`submit_shap` sends
them (and the cheap closed-form linear case) as one task. Where the model
lives, a job whose SHAP code uses every core itself (whybox's tree engine,
native contributions, the linear form) runs there on one background thread,
chunk after chunk (:func:`threaded_job`): the same progress, partial results
and cancelling, without worker processes that each hold a copy of the model
and compete for the same cores (a deep forest's 2,000-row global view took
26-32 s across two workers and 16 s in one process).
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import pickle
import shutil
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from explainers import cpu_budget
from explainers.cores import default_jobs
from explainers.errors import CANCELLED, ExplainerError, ExplanationCancelled
from explainers.lime_attributions import DEFAULT_SAMPLES, explain_lime
from explainers.model_bundle import ModelBundle
from explainers.process_priority import lower_priority
from explainers.results import Attribution
from explainers.shap_attributions import (
    DEFAULT_BACKGROUND,
    ShapPlan,
    explain_planned,
    plan_shap,
    uses_own_threads,
)
from explainers.tree_engine import THREADS_ENV
from explainers.turn_taking import TurnTakingPool

_LOG = logging.getLogger("whybox.parallel")

MAX_CHUNK_ROWS = 2_000
CHUNKS_PER_WORKER = 4
WORKER_DIED = (
    "A worker process stopped while explaining (it crashed, or went over its memory or CPU "
    "allowance)."
)
WORKER_DIED_HINT = "The machine may be out of memory; try fewer rows."

Progress = Callable[[int, int], None]
StartMethod = Literal["forkserver", "spawn", "fork"]
_WHOLE_TABLE_KINDS = frozenset({"native", "linear"})
_WORKER_PAYLOADS: OrderedDict[str, tuple[str, ModelBundle, object]] = OrderedDict()
_WORKER_KEEP = 4
INLINE_BUDGET_S = 0.5
THREADED_CHUNK_ROWS = 250
"""Rows per chunk of a :func:`threaded_job` (progress every few seconds on a deep forest)."""


@dataclass(frozen=True, slots=True)
class LimeSettings:
    """What every LIME chunk needs besides its rows (the serial call's options)."""

    output: int
    reference: pd.DataFrame
    num_samples: int
    random_state: int


@dataclass(frozen=True, slots=True)
class _Chunk:
    payload: str
    X: pd.DataFrame
    positions: npt.NDArray[np.int_]


def _load_payload(path: str) -> tuple[str, ModelBundle, object]:
    cached = _WORKER_PAYLOADS.get(path)
    if cached is None:
        with open(path, "rb") as handle:
            # our own pickle of a model the parent loaded through the safe loader
            method, bundle, settings = pickle.load(handle)
        cached = (method, bundle, settings)
        _WORKER_PAYLOADS[path] = cached
        while len(_WORKER_PAYLOADS) > _WORKER_KEEP:
            _WORKER_PAYLOADS.popitem(last=False)
    _WORKER_PAYLOADS.move_to_end(path)
    return cached


def _explain_chunk(chunk: _Chunk) -> Attribution:
    """Worker side: explain one chunk with the job's model and settings."""
    cpu_budget.grant()  # in a sandbox's worker: each chunk has its own CPU allowance
    method, bundle, settings = _load_payload(chunk.payload)
    if method == "shap":
        assert isinstance(settings, ShapPlan)
        return explain_planned(bundle, settings, chunk.X, row_positions=chunk.positions)
    assert isinstance(settings, LimeSettings)
    return explain_lime(
        bundle,
        chunk.X,
        output=settings.output,
        X_reference=settings.reference,
        num_samples=settings.num_samples,
        random_state=settings.random_state,
    )


def _init_worker() -> None:
    """Each worker: lowest CPU priority, one tree-engine thread (the pool is the parallelism)."""
    lower_priority()
    os.environ[THREADS_ENV] = "1"


def _warm_up() -> int:
    return os.getpid()


def concat_attributions(parts: list[Attribution]) -> Attribution:
    """Stack Attributions of the same output and method, rows in list order."""
    first = parts[0]
    scores = [p.surrogate_score for p in parts]
    return Attribution(
        values=np.concatenate([p.values for p in parts]),
        base_values=np.concatenate([p.base_values for p in parts]),
        data=np.concatenate([p.data for p in parts]),
        feature_names=first.feature_names,
        row_ids=tuple(r for p in parts for r in p.row_ids),
        method=first.method,
        exact=first.exact,
        output_space=first.output_space,
        output_label=first.output_label,
        surrogate_score=None if scores[0] is None else np.concatenate(scores),  # type: ignore[arg-type]
        background_size=first.background_size,
    )


class ExplainJob:
    """Chunks of one explanation running in an :class:`ExplainPool`.

    Read ``progress()``, ``partial()`` and ``done()`` from any thread; call
    ``result()`` (or ``wait()`` with a progress callback) for the whole table,
    in the order of the rows given.
    """

    def __init__(
        self,
        futures: list[Future[Attribution]],
        chunk_rows: list[int],
        positions: npt.NDArray[np.int_],
        cleanup: Callable[[], None],
    ) -> None:
        self._futures = futures
        self._chunk_rows = chunk_rows
        self._positions = positions
        self._cleanup = cleanup
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._result: Attribution | None = None
        self.total_rows = int(sum(chunk_rows))
        for future in futures:
            future.add_done_callback(self._maybe_clean)

    def _maybe_clean(self, _: Future[Attribution]) -> None:
        if all(f.done() for f in self._futures):
            self._cleanup()

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._cancelled.is_set()

    def progress(self) -> tuple[int, int]:
        """(rows explained so far, rows in the job)."""
        done = sum(n for f, n in zip(self._futures, self._chunk_rows, strict=True) if _succeeded(f))
        return done, self.total_rows

    def done(self) -> bool:
        """True when every chunk has finished, failed or been cancelled."""
        return all(f.done() for f in self._futures)

    def cancel(self) -> None:
        """Drop the chunks not started yet; running chunks finish (they are short)."""
        self._cancelled.set()
        for future in self._futures:
            future.cancel()

    def partial(self) -> Attribution | None:
        """The rows finished so far, in chunk order (a random sample if shuffled)."""
        parts = [f.result() for f in self._futures if _succeeded(f)]
        return concat_attributions(parts) if parts else None

    def result(self, timeout: float | None = None) -> Attribution:
        """The whole table, rows in input order.

        Raises
        ------
        ExplanationCancelled
            If the job was cancelled before every chunk finished.
        ExplainerError
            What a chunk raised, or if a worker process died.
        """
        with self._lock:
            if self._result is not None:
                return self._result
            parts: list[Attribution] = []
            for future in self._futures:
                if future.cancelled():
                    done, total = self.progress()
                    raise ExplanationCancelled(CANCELLED.format(done=done, total=total))
                try:
                    parts.append(future.result(timeout=timeout))
                except BrokenProcessPool as exc:
                    _LOG.warning("explain worker stopped: %s", exc)
                    raise ExplainerError(WORKER_DIED, WORKER_DIED_HINT) from exc
            whole = concat_attributions(parts)
            self._result = whole.rows(np.argsort(self._positions, kind="stable"))
            return self._result

    def wait(
        self,
        *,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
        poll_s: float = 0.1,
    ) -> Attribution:
        """Block until done, calling ``progress(done_rows, total_rows)`` as chunks finish.

        Setting ``cancel`` cancels the job; :meth:`result` then raises
        :class:`ExplanationCancelled`.
        """
        last = -1
        while not self.done():
            if cancel is not None and cancel.is_set():
                self.cancel()
            done, total = self.progress()
            if progress is not None and done != last:
                progress(done, total)
                last = done
            time.sleep(poll_s)
        if progress is not None:
            progress(*self.progress())
        return self.result()


def finished_job(attribution: Attribution) -> ExplainJob:
    """An :class:`ExplainJob` that is already done, holding ``attribution``."""
    future: Future[Attribution] = Future()
    future.set_result(attribution)
    positions = np.arange(attribution.n_rows)
    return ExplainJob([future], [attribution.n_rows], positions, cleanup=lambda: None)


def explain_inline_if_quick(
    bundle: ModelBundle,
    plan: ShapPlan,
    X: pd.DataFrame,
    *,
    budget_s: float = INLINE_BUDGET_S,
) -> Attribution | None:
    """Explain ``X`` in this process when timed probes say it takes under ``budget_s``.

    Starting worker processes costs seconds; a small job (the loan demo's 1,000
    rows take about 0.1 s) is done sooner here, holding the GIL only briefly.
    Two probes (4 rows, then up to 32, sized so the probes themselves stay
    short) separate the fixed cost from the cost per row, so fixed costs are
    not multiplied by the number of rows. Returns None when the projected
    time is over budget: use the pool.

    The probes are timed in CPU seconds of this process, not wall time: on a
    machine busy with another session's job and browsers, wall time had doubled
    the loan demo's projection past the budget, which queued it behind that job.
    """

    def timed(n_rows: int) -> tuple[float, Attribution]:
        started = time.process_time()
        part = explain_planned(bundle, plan, X.iloc[:n_rows], row_positions=np.arange(n_rows))
        return time.process_time() - started, part

    n_small = min(4, len(X))
    t_small, first = timed(n_small)
    if t_small > budget_s:
        return None
    if n_small == len(X):
        return first
    # the second probe is sized to take about a quarter of the budget at most
    per_row_at_most = t_small / n_small
    n_large = min(len(X), 32, max(n_small + 1, int(budget_s / 4 / max(per_row_at_most, 1e-9))))
    t_large, first = timed(n_large)
    per_row = max(t_large - t_small, 0.0) / max(n_large - n_small, 1)
    if t_large + per_row * (len(X) - n_large) > budget_s:
        return None
    if n_large == len(X):
        return first
    return explain_planned(bundle, plan, X, row_positions=np.arange(len(X)))


_THREADED: ThreadPoolExecutor | None = None
_THREADED_LOCK = threading.Lock()


def threaded_job(
    bundle: ModelBundle,
    X: pd.DataFrame,
    *,
    plan: ShapPlan,
    shuffle: bool = False,
    first_rows: int | None = None,
) -> ExplainJob:
    """SHAP of ``X`` in this process, chunk after chunk on one background thread.

    For SHAP code that uses every core by itself
    (:func:`~explainers.shap_attributions.uses_own_threads`). Jobs queue on
    the one thread, each using all cores in turn; values equal the serial
    call's, chunks are seeded by their rows' positions as in the pool, and
    every chunk gets its own CPU allowance (:func:`~explainers.cpu_budget.grant`).
    The thread runs at the pool workers' low priority, so requests for one row
    and the server's pages go first.
    """
    global _THREADED
    with _THREADED_LOCK:
        if _THREADED is None:
            # at the workers' low priority (on Linux, per thread; the engine's threads inherit it)
            _THREADED = ThreadPoolExecutor(
                1, thread_name_prefix="whybox-job", initializer=lower_priority
            )
        executor = _THREADED
    whole = plan.kind in _WHOLE_TABLE_KINDS
    chunks = _row_chunks(
        len(X), random_state=plan.random_state, shuffle=shuffle and not whole, n_jobs=1,
        first_rows=first_rows, max_chunk_rows=THREADED_CHUNK_ROWS, whole=whole,
    )  # fmt: skip

    def run(positions: npt.NDArray[np.int_]) -> Attribution:
        cpu_budget.grant()
        return explain_planned(bundle, plan, X.iloc[positions], row_positions=positions)

    futures = [executor.submit(run, c) for c in chunks]
    return ExplainJob(futures, [len(c) for c in chunks], _positions(chunks), cleanup=lambda: None)


def _succeeded(future: Future[Attribution]) -> bool:
    return future.done() and not future.cancelled() and future.exception() is None


class ExplainPool:
    """A persistent pool of worker processes that explains chunks of rows.

    Parameters
    ----------
    n_jobs : int, optional
        Worker processes; defaults to every core this process may use.
    start_method : {"forkserver", "spawn", "fork"}
        ``forkserver`` (default) imports the libraries once and forks clean
        workers from that server; never ``fork`` a threaded server (OpenMP
        and Streamlit threads do not survive a fork). A model's sandbox
        process, which has no threads of its own yet, uses ``fork``.

    Examples
    --------
    >>> pool = ExplainPool(n_jobs=2)  # doctest: +SKIP
    >>> attribution = pool.submit_shap(bundle, X).wait()  # doctest: +SKIP
    >>> pool.shutdown()  # doctest: +SKIP
    """

    def __init__(
        self, n_jobs: int | None = None, *, start_method: StartMethod = "forkserver"
    ) -> None:
        self.n_jobs = max(1, n_jobs or default_jobs())
        self.start_method = start_method
        self._dir = Path(tempfile.mkdtemp(prefix="whybox-jobs-"))
        self._pool = TurnTakingPool(self._start, in_flight=self.n_jobs)

    def _start(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context(self.start_method)
        if self.start_method == "forkserver":
            # workers fork from a server that has imported shap, sklearn and whybox once,
            # at the lowest priority (forkserver_preload lowers it before those imports)
            context.set_forkserver_preload(["explainers.forkserver_preload", "explainers.parallel"])
        # and again in each worker, for the other start methods
        return ProcessPoolExecutor(
            max_workers=self.n_jobs, mp_context=context, initializer=_init_worker
        )

    def warm_up(self) -> None:
        """Start every worker now (the first job then starts at once)."""
        futures = [self._pool.executor.submit(_warm_up) for _ in range(self.n_jobs)]
        for future in futures:
            future.result()

    def submit_shap(
        self,
        bundle: ModelBundle,
        X: pd.DataFrame,
        *,
        output: int | None = None,
        background: pd.DataFrame | None = None,
        n_background: int = DEFAULT_BACKGROUND,
        random_state: int = 0,
        plan: ShapPlan | None = None,
        shuffle: bool = False,
        first_rows: int | None = None,
        max_chunk_rows: int = MAX_CHUNK_ROWS,
    ) -> ExplainJob:
        """Start explaining ``X`` with SHAP; same values as ``explain_shap(bundle, X, ...)``.

        Parameters
        ----------
        bundle, X, output, background, n_background, random_state
            As :func:`~explainers.shap_attributions.explain_shap`.
        plan : ShapPlan, optional
            A plan already made for ``X`` (skips :func:`plan_shap`).
        shuffle : bool
            Make each chunk a random sample of the rows (seeded by ``random_state``).
        first_rows : int, optional
            Rows in the first round of chunks, so a first sample finishes early.
        max_chunk_rows : int
            Largest chunk (bounds worker memory).

        Returns
        -------
        ExplainJob
        """
        if plan is None:
            plan = plan_shap(
                bundle,
                X,
                output=output,
                background=background,
                n_background=n_background,
                random_state=random_state,
            )
        whole = plan.kind in _WHOLE_TABLE_KINDS
        return self._submit(
            "shap",
            bundle,
            plan,
            X,
            random_state=plan.random_state,
            shuffle=shuffle and not whole,
            first_rows=None if whole else first_rows,
            max_chunk_rows=len(X) if whole else max_chunk_rows,
            n_chunks=1 if whole else None,
        )

    def submit_lime(
        self,
        bundle: ModelBundle,
        X: pd.DataFrame,
        *,
        output: int | None = None,
        X_reference: pd.DataFrame | None = None,
        num_samples: int = DEFAULT_SAMPLES,
        random_state: int = 0,
        shuffle: bool = False,
        first_rows: int | None = None,
        max_chunk_rows: int = MAX_CHUNK_ROWS,
    ) -> ExplainJob:
        """Start explaining ``X`` with LIME; same values as ``explain_lime``."""
        settings = LimeSettings(
            output=bundle.default_output if output is None else output,
            reference=X if X_reference is None else X_reference,
            num_samples=num_samples,
            random_state=random_state,
        )
        return self._submit(
            "lime",
            bundle,
            settings,
            X,
            random_state=random_state,
            shuffle=shuffle,
            first_rows=first_rows,
            max_chunk_rows=max_chunk_rows,
            n_chunks=None,
        )

    def _submit(
        self,
        method: Literal["shap", "lime"],
        bundle: ModelBundle,
        settings: object,
        X: pd.DataFrame,
        *,
        random_state: int,
        shuffle: bool,
        first_rows: int | None,
        max_chunk_rows: int,
        n_chunks: int | None,
    ) -> ExplainJob:
        chunks = _row_chunks(
            len(X), random_state=random_state, shuffle=shuffle, n_jobs=self.n_jobs,
            first_rows=first_rows, max_chunk_rows=max_chunk_rows, whole=n_chunks == 1,
        )  # fmt: skip
        path = self._dir / f"{uuid.uuid4().hex}.pkl"
        path.write_bytes(pickle.dumps((method, bundle, settings), protocol=5))
        futures = self._pool.submit_job(
            _explain_chunk,
            [(_Chunk(str(path), X.iloc[c], c),) for c in chunks],
            weights=[len(c) for c in chunks],
        )
        return ExplainJob(
            futures, [len(c) for c in chunks], _positions(chunks),
            lambda: path.unlink(missing_ok=True),
        )  # fmt: skip

    def shutdown(self) -> None:
        """Stop the workers and remove the job files."""
        self._pool.shutdown()
        shutil.rmtree(self._dir, ignore_errors=True)


def _row_chunks(
    n_rows: int,
    *,
    random_state: int,
    shuffle: bool,
    n_jobs: int,
    first_rows: int | None,
    max_chunk_rows: int,
    whole: bool,
) -> list[npt.NDArray[np.int_]]:
    """A job's row positions per chunk: a seeded random order if ``shuffle``; one chunk if
    ``whole``, else :func:`split_rows`."""
    rng = np.random.default_rng(random_state)
    order = rng.permutation(n_rows) if shuffle else np.arange(n_rows)
    if whole:
        return [order]
    return split_rows(order, n_jobs, first_rows=first_rows, max_chunk_rows=max_chunk_rows)


def _positions(chunks: list[npt.NDArray[np.int_]]) -> npt.NDArray[np.int_]:
    """The row positions of a job's chunks, in chunk order."""
    return np.concatenate(chunks) if chunks else np.arange(0)


def split_rows(
    order: npt.NDArray[np.int_],
    n_jobs: int,
    *,
    first_rows: int | None = None,
    max_chunk_rows: int = MAX_CHUNK_ROWS,
) -> list[npt.NDArray[np.int_]]:
    """Split row positions into chunks: ``n_jobs`` small ones first, then even ones.

    Parameters
    ----------
    order : array of shape (n_rows,)
        Row positions in the order they should be explained.
    n_jobs : int
        Worker processes.
    first_rows : int, optional
        Rows in the first ``n_jobs`` chunks together (a quick first sample).
    max_chunk_rows : int
        Largest chunk.

    Returns
    -------
    list of arrays
        Consecutive pieces of ``order``.
    """
    n = len(order)
    head: list[npt.NDArray[np.int_]] = []
    if first_rows is not None and 0 < first_rows < n:
        head = [c for c in np.array_split(order[:first_rows], n_jobs) if len(c)]
        order = order[first_rows:]
    if len(order) == 0:
        return head
    n_chunks = max(n_jobs * CHUNKS_PER_WORKER, math.ceil(len(order) / max_chunk_rows))
    tail = [c for c in np.array_split(order, min(n_chunks, len(order))) if len(c)]
    return head + tail


# ------------------------------------------------ jobs run where the model lives
#
# The dashboard's long jobs run in the model's own process (its sandbox): the
# functions below are called through ``run_model_task`` and keep their
# ExplainJobs in that process, in ``_JOBS``; the server holds a RemoteJob.

_LOCAL_POOL: ExplainPool | None = None
_LOCAL_POOL_LOCK = threading.Lock()
_JOBS: OrderedDict[str, ExplainJob] = OrderedDict()
_JOBS_KEPT = 32
UNKNOWN_JOB = "This explanation is no longer running (the model's process was restarted)."
UNKNOWN_JOB_HINT = "Open the page again to start it anew."


@dataclass(frozen=True, slots=True)
class JobTicket:
    """Names a job kept in the model's process."""

    job_id: str
    total_rows: int


@dataclass(frozen=True, slots=True)
class JobStatus:
    """Where a job stands: rows finished, whether it is over, and what finished so far."""

    rows_done: int
    total_rows: int
    done: bool
    cancelled: bool
    partial: Attribution | None = None


def use_local_pool(pool: ExplainPool) -> None:
    """Make ``pool`` the pool of this process (a sandbox forks its own after loading)."""
    global _LOCAL_POOL
    with _LOCAL_POOL_LOCK:
        _LOCAL_POOL = pool


def local_pool() -> ExplainPool | None:
    """This process's pool, started on first use; None where it runs single-process.

    A sandbox started with one job has no pool: its work runs in its own thread.
    Outside a sandbox (tests, trusted in-process use) a forkserver pool starts.
    """
    global _LOCAL_POOL
    with _LOCAL_POOL_LOCK:
        if _LOCAL_POOL is None and not _in_single_process_sandbox():
            _LOCAL_POOL = ExplainPool()
        return _LOCAL_POOL


def _in_single_process_sandbox() -> bool:
    return os.environ.get("WHYBOX_SANDBOX_JOBS") == "1"


def start_shap_job(
    bundle: ModelBundle,
    X: pd.DataFrame,
    *,
    plan: ShapPlan,
    shuffle: bool = False,
    first_rows: int | None = None,
    inline_budget_s: float = INLINE_BUDGET_S,
) -> JobTicket:
    """Start SHAP of ``X`` in this process's pool, or finish it here if a probe says it is quick.

    SHAP code that uses every core itself runs here on a background thread
    instead of the pool (:func:`threaded_job`).

    Returns
    -------
    JobTicket
        For :func:`job_status`, :func:`job_result` and :func:`cancel_job`.
    """
    quick = explain_inline_if_quick(bundle, plan, X, budget_s=inline_budget_s)
    threaded = quick is None and uses_own_threads(bundle, plan)
    pool = local_pool() if quick is None and not threaded else None
    if quick is not None:
        job = finished_job(quick)
    elif threaded:
        job = threaded_job(bundle, X, plan=plan, shuffle=shuffle, first_rows=first_rows)
    elif pool is None:
        job = finished_job(explain_planned(bundle, plan, X, row_positions=np.arange(len(X))))
    else:
        job = pool.submit_shap(bundle, X, plan=plan, shuffle=shuffle, first_rows=first_rows)
    ticket = JobTicket(uuid.uuid4().hex, job.total_rows)
    _JOBS[ticket.job_id] = job
    while len(_JOBS) > _JOBS_KEPT:
        _JOBS.popitem(last=False)
    return ticket


def _job(ticket: JobTicket) -> ExplainJob:
    job = _JOBS.get(ticket.job_id)
    if job is None:
        raise ExplainerError(UNKNOWN_JOB, UNKNOWN_JOB_HINT)
    return job


def job_status(bundle: ModelBundle, ticket: JobTicket, *, with_partial: bool = False) -> JobStatus:
    """Rows done so far, whether the job is over, and (if asked) the rows finished so far."""
    job = _job(ticket)
    done_rows, total = job.progress()
    partial = job.partial() if with_partial else None
    return JobStatus(done_rows, total, job.done(), job.cancelled, partial)


def job_result(bundle: ModelBundle, ticket: JobTicket) -> Attribution:
    """The whole result (raises what :meth:`ExplainJob.result` raises)."""
    return _job(ticket).result()


def cancel_job(bundle: ModelBundle, ticket: JobTicket) -> None:
    """Cancel the chunks of the job not started yet."""
    _job(ticket).cancel()


class RemoteJob:
    """An :class:`ExplainJob` that runs where the bundle's model lives, read from anywhere.

    The same methods as :class:`ExplainJob`; each asks the model's process
    through :func:`~explainers.model_calls.run_model_task` (a status is reused
    for ``reuse_s`` seconds, so a page polling three methods asks once).
    """

    def __init__(self, bundle: ModelBundle, ticket: JobTicket, *, reuse_s: float = 0.05) -> None:
        self._bundle = bundle
        self._ticket = ticket
        self._reuse_s = reuse_s
        self._lock = threading.Lock()
        self._status: JobStatus | None = None
        self._asked = 0.0
        self._result: Attribution | None = None
        self._error: ExplainerError | None = None
        self.total_rows = ticket.total_rows

    @classmethod
    def start(
        cls,
        bundle: ModelBundle,
        X: pd.DataFrame,
        *,
        plan: ShapPlan,
        shuffle: bool = False,
        first_rows: int | None = None,
        inline_budget_s: float = INLINE_BUDGET_S,
    ) -> RemoteJob:
        """Start :func:`start_shap_job` where the model lives."""
        from explainers.model_calls import run_model_task

        ticket = run_model_task(
            bundle, start_shap_job, X, plan=plan, shuffle=shuffle, first_rows=first_rows,
            inline_budget_s=inline_budget_s,
        )  # fmt: skip
        return cls(bundle, ticket)

    def _ask(self, *, with_partial: bool = False) -> JobStatus | None:
        from explainers.model_calls import run_model_task

        with self._lock:
            fresh = time.monotonic() - self._asked < self._reuse_s
            if self._error is not None or (self._status is not None and self._status.done):
                return self._status
            if fresh and not with_partial:
                return self._status
            try:
                status = run_model_task(
                    self._bundle, job_status, self._ticket, with_partial=with_partial
                )
            except ExplainerError as error:  # the model's process died or was restarted
                self._error = error
                return self._status
            self._status, self._asked = status, time.monotonic()
            return status

    @property
    def failed(self) -> bool:
        """True when the model's process stopped while the job ran."""
        return self._error is not None

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        status = self._ask()
        return status is not None and status.cancelled

    def progress(self) -> tuple[int, int]:
        """(rows explained so far, rows in the job)."""
        status = self._ask()
        return (0, self.total_rows) if status is None else (status.rows_done, status.total_rows)

    def done(self) -> bool:
        """True when the job finished, failed or was cancelled (or its process stopped)."""
        status = self._ask()
        return self._error is not None or (status is not None and status.done)

    def cancel(self) -> None:
        """Drop the chunks not started yet."""
        from explainers.model_calls import run_model_task

        try:
            run_model_task(self._bundle, cancel_job, self._ticket)
        except ExplainerError as error:
            self._error = error
        with self._lock:
            self._asked = 0.0

    def partial(self) -> Attribution | None:
        """The rows finished so far (a random sample if shuffled)."""
        if self._result is not None:
            return self._result
        status = self._ask(with_partial=True)
        return None if status is None else status.partial

    def result(self, timeout: float | None = None) -> Attribution:
        """The whole table, rows in input order (waits for it)."""
        from explainers.model_calls import run_model_task

        if self._result is not None:
            return self._result
        if self._error is not None:
            raise self._error
        while not self.done():
            time.sleep(0.05)
        if self._error is not None:
            raise self._error
        self._result = run_model_task(self._bundle, job_result, self._ticket)
        return self._result

    def wait(
        self,
        *,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
        poll_s: float = 0.1,
    ) -> Attribution:
        """As :meth:`ExplainJob.wait`."""
        last = -1
        while not self.done():
            if cancel is not None and cancel.is_set():
                self.cancel()
            done, total = self.progress()
            if progress is not None and done != last:
                progress(done, total)
                last = done
            time.sleep(poll_s)
        if progress is not None:
            progress(*self.progress())
        return self.result()
