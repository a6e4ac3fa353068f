"""Jobs share the worker pool: a later job does not wait behind all of an earlier one."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

from explainers.turn_taking import TurnTakingPool


def _labelled(label: str) -> str:
    time.sleep(0.02)
    return label


def _finish_order(
    pool: TurnTakingPool, jobs: dict[str, int], weights: dict[str, float] | None = None
) -> list[str]:
    order: list[str] = []
    lock = threading.Lock()

    def record(future) -> None:  # noqa: ANN001
        if not future.cancelled():
            with lock:
                order.append(future.result())

    futures = []
    for name, n_tasks in jobs.items():
        weight = (weights or {}).get(name, 1.0)
        job = pool.submit_job(
            _labelled, [(f"{name}{k}",) for k in range(1, n_tasks + 1)], [weight] * n_tasks
        )
        for future in job:
            future.add_done_callback(record)
        futures += job
    wait(futures, timeout=30)
    return order


def _one_worker() -> TurnTakingPool:
    return TurnTakingPool(lambda: ThreadPoolExecutor(max_workers=1), in_flight=1)  # type: ignore[arg-type, return-value]


def test_a_second_job_shares_the_worker_with_the_first() -> None:
    pool = _one_worker()
    try:
        order = _finish_order(pool, {"A": 4, "B": 2})
    finally:
        pool.shutdown()
    # first come, first served would be A1 A2 A3 A4 B1 B2; on a tie the shorter job goes first
    assert order == ["A1", "B1", "A2", "B2", "A3", "A4"]


def test_a_small_job_during_a_big_one_waits_for_its_share_not_its_turn() -> None:
    pool = _one_worker()
    try:
        order = _finish_order(pool, {"A": 4, "B": 4}, weights={"A": 10.0, "B": 1.0})
    finally:
        pool.shutdown()
    # B's four tasks together weigh less than one of A's: they run before A's third
    assert order == ["A1", "B1", "A2", "B2", "B3", "B4", "A3", "A4"]


def test_cancelled_tasks_are_skipped_and_the_rest_still_run() -> None:
    pool = _one_worker()
    try:
        first = pool.submit_job(_labelled, [("A1",), ("A2",), ("A3",)])
        second = pool.submit_job(_labelled, [("B1",), ("B2",)])
        assert all(f.cancel() for f in second)
        wait(first, timeout=30)
        assert [f.result() for f in first] == ["A1", "A2", "A3"]
        assert all(f.cancelled() for f in second)
    finally:
        pool.shutdown()
