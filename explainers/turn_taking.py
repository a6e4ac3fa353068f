"""A process pool that takes turns between jobs instead of running them first come, first served.

``ProcessPoolExecutor`` runs tasks in the order they were submitted, so the
chunks of a job submitted while another job runs wait behind every chunk of
that job (minutes for a deep forest). Here each job's tasks wait in their own
queue, and only as many tasks as there are workers are handed to the executor
at a time, taken from the jobs in turn: a second job's first chunk starts as
soon as one running chunk ends.
"""

from __future__ import annotations

import functools
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

_Task = tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]


class TurnTakingPool:
    """Hands tasks to a process pool ``in_flight`` at a time, one job after another in turn.

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
        self._jobs: deque[deque[_Task]] = deque()
        self._lock = threading.RLock()

    @property
    def executor(self) -> ProcessPoolExecutor:
        """The executor now in use (for work outside any job, such as a warm-up)."""
        return self._executor

    def submit_job(self, fn: Callable[..., Any], args: list[tuple[Any, ...]]) -> list[Future[Any]]:
        """Queue ``fn(*a)`` for each ``a`` as one job; futures in the same order.

        A future can be cancelled until its task is handed to the executor.
        """
        futures: list[Future[Any]] = [Future() for _ in args]
        with self._lock:
            self._jobs.append(deque(zip(futures, [fn] * len(args), args, strict=True)))
            self._hand_out()
        return futures

    def shutdown(self) -> None:
        """Cancel every queued task and stop the workers."""
        with self._lock:
            for job in self._jobs:
                for future, _, _ in job:
                    future.cancel()
            self._jobs.clear()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _next_task(self) -> _Task | None:
        """The next task not cancelled, taking jobs in turn."""
        while self._jobs:
            job = self._jobs.popleft()
            while job:
                task = job.popleft()
                if task[0].set_running_or_notify_cancel():
                    if job:
                        self._jobs.append(job)  # its next task waits for the other jobs' turn
                    return task
        return None

    def _hand_out(self) -> None:
        with self._lock:
            while self._in_flight < self._in_flight_limit:
                task = self._next_task()
                if task is None:
                    return
                future, fn, args = task
                try:
                    running = self._executor.submit(fn, *args)
                except BrokenProcessPool:
                    self._executor = self._start()  # a worker died earlier (e.g. out of memory)
                    running = self._executor.submit(fn, *args)
                self._in_flight += 1
                running.add_done_callback(functools.partial(self._finished, into=future))

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
