"""Jobs on the worker pool take turns: a later job does not wait behind all of an earlier one."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

from explainers.turn_taking import TurnTakingPool


def _labelled(label: str) -> str:
    time.sleep(0.02)
    return label


def _finish_order(pool: TurnTakingPool, jobs: dict[str, int]) -> list[str]:
    order: list[str] = []
    lock = threading.Lock()

    def record(future) -> None:  # noqa: ANN001
        if not future.cancelled():
            with lock:
                order.append(future.result())

    futures = []
    for name, n_tasks in jobs.items():
        job = pool.submit_job(_labelled, [(f"{name}{k}",) for k in range(1, n_tasks + 1)])
        for future in job:
            future.add_done_callback(record)
        futures += job
    wait(futures, timeout=30)
    return order


def test_a_second_job_takes_turns_with_the_first() -> None:
    pool = TurnTakingPool(lambda: ThreadPoolExecutor(max_workers=1), in_flight=1)  # type: ignore[arg-type, return-value]
    try:
        order = _finish_order(pool, {"A": 4, "B": 2})
    finally:
        pool.shutdown()
    # first come, first served would be A1 A2 A3 A4 B1 B2
    assert order == ["A1", "A2", "B1", "A3", "B2", "A4"]


def test_cancelled_tasks_are_skipped_and_the_rest_still_run() -> None:
    pool = TurnTakingPool(lambda: ThreadPoolExecutor(max_workers=1), in_flight=1)  # type: ignore[arg-type, return-value]
    try:
        first = pool.submit_job(_labelled, [("A1",), ("A2",), ("A3",)])
        second = pool.submit_job(_labelled, [("B1",), ("B2",)])
        assert all(f.cancel() for f in second)
        wait(first, timeout=30)
        assert [f.result() for f in first] == ["A1", "A2", "A3"]
        assert all(f.cancelled() for f in second)
    finally:
        pool.shutdown()
