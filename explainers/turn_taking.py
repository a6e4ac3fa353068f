"""A process pool that shares its workers between jobs, not first come, first served.

``ProcessPoolExecutor`` runs tasks in the order they were submitted, so the
chunks of a job submitted while another job runs wait behind every chunk of
that job (minutes for a deep forest). Here each job's tasks wait in their own
queue, and only as many tasks as there are workers are handed to the executor
at a time. Each free worker goes to the job that has been handed the least
work (tasks carry a weight: rows) since it arrived, the shorter job first on a
tie, so a small job started during a big one waits for one running task at
most and then finishes at its own pace.
"""

from __future__ import annotations

import functools
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class _Task:
    """``fn(*args)``, its caller's future, and how much work it is."""

    future: Future[Any]
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    weight: float


@dataclass
class _Job:
    """One job's waiting tasks and the work handed out for it so far."""

    tasks: deque[_Task]
    handed: float

    @property
    def waiting(self) -> float:
        return sum(task.weight for task in self.tasks)


class TurnTakingPool:
    """Hands tasks to a process pool ``in_flight`` at a time, sharing the workers between jobs.

    Parameters
    ----------
    start : callable
        Makes the executor; called again if a worker died and broke it.
    in_flight : int
        Tasks handed to the executor at once (the number of workers).
    """

    def __init__(self, start: Callable[[], ProcessPoolExecutor], in_flight: int) -> None:
        self._start = start
        self._executor = start()
        self._in_flight_limit = max(1, in_flight)
        self._in_flight = 0
        self._jobs: list[_Job] = []
        self._lock = threading.RLock()

    @property
    def executor(self) -> ProcessPoolExecutor:
        """The executor now in use (for work outside any job, such as a warm-up)."""
        return self._executor

    def submit_job(
        self,
        fn: Callable[..., Any],
        args: list[tuple[Any, ...]],
        weights: list[float] | None = None,
    ) -> list[Future[Any]]:
        """Queue ``fn(*a)`` for each ``a`` as one job; futures in the same order.

        ``weights`` says how much work each task is (rows, say; 1 each by
        default). A future can be cancelled until its task is handed out.
        """
        futures: list[Future[Any]] = [Future() for _ in args]
        weights = [1.0] * len(args) if weights is None else [float(w) for w in weights]
        tasks = (_Task(f, fn, a, w) for f, a, w in zip(futures, args, weights, strict=True))
        with self._lock:
            # a newcomer starts level with the least-served job, not at zero
            handed = min((job.handed for job in self._jobs), default=0.0)
            self._jobs.append(_Job(deque(tasks), handed))
            self._hand_out()
        return futures

    def shutdown(self) -> None:
        """Cancel every queued task and stop the workers."""
        with self._lock:
            for job in self._jobs:
                for task in job.tasks:
                    task.future.cancel()
            self._jobs.clear()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _next_task(self) -> _Task | None:
        """The next task not cancelled, from the job handed the least work so far."""
        while self._jobs:
            job = min(self._jobs, key=lambda j: (j.handed, j.waiting))
            while job.tasks:
                task = job.tasks.popleft()
                if task.future.set_running_or_notify_cancel():
                    job.handed += task.weight
                    if not job.tasks:
                        self._jobs.remove(job)
                    return task
            self._jobs.remove(job)
        return None

    def _hand_out(self) -> None:
        with self._lock:
            while self._in_flight < self._in_flight_limit:
                task = self._next_task()
                if task is None:
                    return
                try:
                    running = self._executor.submit(task.fn, *task.args)
                except BrokenProcessPool:
                    self._executor = self._start()  # a worker died earlier (e.g. out of memory)
                    running = self._executor.submit(task.fn, *task.args)
                self._in_flight += 1
                running.add_done_callback(functools.partial(self._finished, into=task.future))

    def _finished(self, done: Future[Any], *, into: Future[Any]) -> None:
        if done.cancelled():
            into.set_exception(CancelledError())
        elif (error := done.exception()) is not None:
            into.set_exception(error)
        else:
            into.set_result(done.result())
        with self._lock:
            self._in_flight -= 1
            self._hand_out()
