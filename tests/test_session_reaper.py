"""What a closed session leaves behind is freed, and datasets stay under their memory ceiling."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from dashboard import frame_store
from dashboard.frame_store import FrameStore, frame_bytes
from dashboard.session_reaper import GRACE_ENV, SessionReaper
from explainers import sandbox
from explainers.loading import load_model
from explainers.model_bundle import model_outputs
from explainers.model_calls import run_model_task
from tests.conftest import SAMPLES


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _reaper(active: set[str], stopped: list[str], clock: Clock) -> SessionReaper:
    def stop(scope: str) -> int:
        stopped.append(scope)
        return 1

    return SessionReaper(
        is_active=lambda s: s in active, stop_scope=stop, live_scopes=set, clock=clock
    )


def test_a_session_is_freed_only_after_it_has_been_gone_for_the_grace_period(monkeypatch) -> None:
    monkeypatch.setenv(GRACE_ENV, "60")
    active, stopped, dropped, clock = {"a", "b"}, [], [], Clock()
    reaper = _reaper(active, stopped, clock)
    reaper.watch("a", lambda: dropped.append("a"))
    reaper.watch("b", lambda: dropped.append("b"))
    reaper.watch("", lambda: dropped.append("demo"))  # the demos belong to no session
    assert reaper.sweep() == []
    active.discard("a")
    assert reaper.sweep() == []  # gone just now: a reconnect may still come
    clock.now += 59
    assert reaper.sweep() == []
    clock.now += 1
    assert reaper.sweep() == ["a"] and stopped == ["a"] and dropped == ["a"]
    clock.now += 600
    assert reaper.sweep() == []  # freed once; "b" is still connected


def test_a_session_that_reconnects_within_the_grace_period_keeps_its_models(monkeypatch) -> None:
    monkeypatch.setenv(GRACE_ENV, "60")
    active, stopped, dropped, clock = {"a"}, [], [], Clock()
    reaper = _reaper(active, stopped, clock)
    reaper.watch("a", lambda: dropped.append("a"))
    active.clear()
    reaper.sweep()
    clock.now += 50
    active.add("a")  # the tab came back
    reaper.sweep()
    active.clear()
    clock.now += 50
    assert reaper.sweep() == []  # the clock started again when it left the second time
    clock.now += 60
    assert reaper.sweep() == ["a"] and dropped == ["a"]


def test_stopping_a_session_stops_its_sandbox_only_and_its_handle_still_works() -> None:
    raw = (SAMPLES / "loan_model.joblib").read_bytes()
    mine = load_model(raw, "loan_model.joblib", sandboxed=True, jobs=1, scope="session-mine")
    other = load_model(raw, "loan_model.joblib", sandboxed=True, jobs=1, scope="session-other")
    X = pd.read_csv(SAMPLES / "german_credit.csv").drop(columns="creditability").head(5)
    expected = run_model_task(mine, model_outputs, X)
    first_pid = mine.model.sandbox().process.pid
    assert {"session-mine", "session-other"} <= sandbox.live_scopes()
    assert sandbox.stop_scope("session-mine") == 1
    assert "session-mine" not in sandbox.live_scopes()
    assert "session-other" in sandbox.live_scopes()
    assert other.model.sandbox().alive  # another session's sandbox is untouched
    np.testing.assert_array_equal(run_model_task(mine, model_outputs, X), expected)
    assert mine.model.sandbox().process.pid != first_pid  # started again from the same bytes
    for scope in ("session-mine", "session-other"):
        sandbox.stop_scope(scope)


def _frame(n_rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(size=n_rows), "label": rng.choice(["a", "b"], n_rows)})


def test_datasets_kept_together_stay_under_the_ceiling_newest_first() -> None:
    frames = {k: _frame(10_000, seed) for seed, k in enumerate("abcd")}
    one = frame_bytes(frames["a"])
    store, reads = FrameStore(ceiling=lambda: int(2.5 * one)), []

    def read(key: str):
        return lambda: (reads.append(key), frames[key])[1]

    for key in "abc":
        store.get(key, read(key))
    assert len(store) == 2 and store.total_bytes() <= 2.5 * one  # "a" was dropped
    store.get("b", read("b"))  # kept: not read again, and now the most recent
    store.get("d", read("d"))  # drops "c", the least recently used
    store.get("b", read("b"))
    store.get("c", read("c"))
    assert reads == ["a", "b", "c", "d", "c"]


def test_a_dataset_larger_than_the_ceiling_is_still_served() -> None:
    big = _frame(10_000, 0)
    store = FrameStore(ceiling=lambda: 10)
    pd.testing.assert_frame_equal(store.get("big", lambda: big), big)
    assert len(store) == 1  # the frame in use is kept; the next one replaces it
    store.get("next", lambda: _frame(10, 1))
    assert len(store) == 1


def test_a_caller_that_edits_its_dataset_changes_nothing_kept() -> None:
    original = _frame(100, 0)
    store = FrameStore()
    mine = store.get("k", lambda: original.copy())
    mine.loc[0, "x"] = 99.0
    mine["extra"] = 1
    again = store.get("k", lambda: pytest.fail("read again"))
    pd.testing.assert_frame_equal(again, original)


def test_the_ceiling_is_an_operator_setting(monkeypatch) -> None:
    monkeypatch.setenv(frame_store.TOTAL_ENV, "512")
    assert frame_store.max_bytes() == 512 * 2**20
    monkeypatch.setenv(frame_store.TOTAL_ENV, "lots")
    assert frame_store.max_bytes() == frame_store.DEFAULT_TOTAL_MB * 2**20


def test_an_ended_session_drops_its_cached_workspace_and_stops_its_sandbox(monkeypatch) -> None:
    from dashboard import cache
    from dashboard.actions import demo_workspace, uploaded
    from dashboard.session_reaper import REAPER

    demo = demo_workspace("loan")
    scope = "session-that-ends"
    ws = dataclasses.replace(demo, model=uploaded(demo.model.name, demo.model.raw, scope=scope))
    kept = cache.loaded(ws)
    cache.shap_plan(kept)
    assert cache.loaded(ws) is kept and scope in sandbox.live_scopes()
    monkeypatch.setattr(REAPER, "_is_active", lambda s: s != scope)
    monkeypatch.setenv(GRACE_ENV, "0")
    assert scope in REAPER.sweep()
    assert scope not in sandbox.live_scopes()
    again = cache.loaded(ws)  # made anew: nothing of the ended session was kept
    assert again is not kept and again.bundle is not kept.bundle
    sandbox.stop_scope(scope)
