"""Chunked, pooled and cached explanations equal the serial ones exactly."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import xgboost
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from explainers.batch import explain_table, to_storage
from explainers.errors import CANCELLED_HINT, ExplanationCancelled
from explainers.lime_attributions import explain_lime
from explainers.loading import load_files
from explainers.model_bundle import align_data, build_bundle
from explainers.parallel import (
    ExplainPool,
    explain_inline_if_quick,
    finished_job,
    split_rows,
    threaded_job,
)
from explainers.shap_attributions import (
    background_sample,
    explain_planned,
    explain_shap,
    plan_shap,
)
from tests.conftest import SAMPLES

MODELS = {
    "forest": lambda: RandomForestClassifier(n_estimators=15, max_depth=5, random_state=0),
    "xgboost": lambda: xgboost.XGBClassifier(n_estimators=20, max_depth=3),
    "linear": lambda: LogisticRegression(),
    "mlp": lambda: MLPClassifier(hidden_layer_sizes=(8,), max_iter=50, random_state=0),
}


@pytest.fixture(scope="module")
def pool():
    workers = ExplainPool(n_jobs=2)
    yield workers
    workers.shutdown()


@pytest.fixture(scope="module")
def loan():
    return load_files(
        SAMPLES / "loan_model.joblib", SAMPLES / "german_credit.csv", target="creditability"
    )


def _fitted(name, clf_data):
    X, y = clf_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MODELS[name]().fit(X, y)
    return align_data(build_bundle(model), X.iloc[:60] if name == "mlp" else X)


def _assert_same(a, b) -> None:
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.base_values, b.base_values)
    assert a.row_ids == b.row_ids and a.method == b.method and a.output_space == b.output_space


@pytest.mark.parametrize("name", list(MODELS))
def test_pooled_shap_equals_serial(pool, clf_data, name) -> None:
    bundle, X = _fitted(name, clf_data)
    serial = explain_shap(bundle, X)
    job = pool.submit_shap(bundle, X, shuffle=True, first_rows=10)
    seen = []
    _assert_same(job.wait(progress=lambda done, total: seen.append((done, total))), serial)
    assert seen[-1] == (len(X), len(X))


def test_pooled_pipeline_shap_equals_serial(pool, loan) -> None:
    X = loan.X.iloc[:300]
    _assert_same(
        pool.submit_shap(loan.bundle, X, shuffle=True).result(), explain_shap(loan.bundle, X)
    )


def test_permutation_rows_do_not_depend_on_chunking(clf_data) -> None:
    bundle, X = _fitted("mlp", clf_data)
    plan = plan_shap(bundle, X)
    whole = explain_planned(bundle, plan, X)
    pieces = [explain_planned(bundle, plan, X.iloc[c], row_positions=c) for c in split_rows(
        np.random.default_rng(1).permutation(len(X)), 3
    )]  # fmt: skip
    got = np.concatenate([p.values for p in pieces])
    order = np.concatenate(split_rows(np.random.default_rng(1).permutation(len(X)), 3))
    np.testing.assert_array_equal(got[np.argsort(order)], whole.values)


def test_pooled_lime_equals_each_row_alone(pool, loan) -> None:
    X = loan.X.iloc[:12]
    serial = explain_lime(loan.bundle, X, X_reference=loan.X)
    _assert_same(pool.submit_lime(loan.bundle, X, X_reference=loan.X).result(), serial)
    np.testing.assert_array_equal(serial.surrogate_score[5:6], explain_lime(
        loan.bundle, X.iloc[[5]], X_reference=loan.X).surrogate_score)  # fmt: skip
    np.testing.assert_array_equal(
        serial.values[5], explain_lime(loan.bundle, X.iloc[[5]], X_reference=loan.X).values[0]
    )


def test_pooled_table_equals_serial_table(pool, loan) -> None:
    X = loan.X.iloc[:40]
    serial = explain_table(loan.bundle, X, method="both")
    pd.testing.assert_frame_equal(explain_table(loan.bundle, X, method="both", pool=pool), serial)
    stored = to_storage(serial)
    assert stored["shap.duration_in_month"].dtype == np.float32
    assert stored["prediction"].dtype == np.float64


def test_cancel_stops_the_job_and_keeps_what_finished(pool, loan) -> None:
    job = pool.submit_lime(loan.bundle, loan.X.iloc[:200], X_reference=loan.X, max_chunk_rows=5)
    job.cancel()
    while not job.done():
        pass
    with pytest.raises(ExplanationCancelled, match=re.escape(CANCELLED_HINT)):
        job.result()
    done, total = job.progress()
    partial = job.partial()
    assert total == 200 and done < total
    assert (partial.n_rows if partial is not None else 0) == done


def test_split_rows_puts_a_small_sample_first() -> None:
    chunks = split_rows(np.arange(1_000), 2, first_rows=100, max_chunk_rows=300)
    assert [len(c) for c in chunks[:2]] == [50, 50]
    np.testing.assert_array_equal(np.concatenate(chunks), np.arange(1_000))
    assert max(len(c) for c in chunks) <= 300


def test_cached_global_and_row_shap_equal_serial(loan) -> None:
    """The dashboard's results come from the model's sandbox; the serial values from a
    copy of the same model loaded in this process."""
    from dashboard import cache
    from dashboard.actions import demo_workspace

    ws = demo_workspace("loan")
    rows = cache.explained_rows(ws)
    serial = explain_shap(
        loan.bundle,
        rows,
        output=cache.output_index(ws),
        background=background_sample(cache.prepared(ws).X),
    )
    _assert_same(cache.global_shap(ws), serial)
    _assert_same(cache.global_shap(ws), serial)  # second call: from the cache
    _assert_same(cache.row_shap(ws, rows.iloc[[7]]), serial.row(7))


def test_a_quick_job_runs_inline_and_equals_serial(loan) -> None:
    plan = plan_shap(loan.bundle, loan.X, output=1)
    quick = explain_inline_if_quick(loan.bundle, plan, loan.X, budget_s=60.0)
    assert quick is not None
    _assert_same(quick, explain_shap(loan.bundle, loan.X))
    job = finished_job(quick)
    assert job.done() and job.progress() == (1000, 1000)
    _assert_same(job.result(), quick)


def test_a_slow_job_is_left_to_the_pool(loan) -> None:
    plan = plan_shap(loan.bundle, loan.X, output=1)
    assert explain_inline_if_quick(loan.bundle, plan, loan.X, budget_s=0.0) is None


@pytest.mark.parametrize("in_place", [True, False])
def test_shap_of_other_rows_equals_serial_in_place_or_in_the_pool(
    monkeypatch, in_place, loan
) -> None:
    """Health pages explain other datasets with the workspace's plan, in the model's
    sandbox (in its main process, or its own workers when the work is heavy): both
    routes give the serial values of the same model loaded here."""
    from dashboard import cache
    from dashboard.actions import demo_workspace

    ws = demo_workspace("loan")
    if not in_place:  # as if the probe projected more than the in-place budget
        monkeypatch.setattr(cache, "INLINE_BUDGET_S", 0.0)
    other = pd.read_csv(SAMPLES / "loan_current.csv").drop(columns="creditability")
    other = align_data(cache.prepared(ws).bundle, other)[1].iloc[:300]
    serial = explain_shap(
        loan.bundle, other, output=0, background=background_sample(cache.prepared(ws).X)
    )
    _assert_same(cache.shap_of_rows(ws, other, output=0), serial)


def test_a_job_on_code_with_its_own_threads_runs_here_chunked_and_equals_serial(
    clf_data, monkeypatch
) -> None:
    from explainers import parallel
    from explainers.parallel import job_result, start_shap_job
    from explainers.shap_attributions import uses_own_threads

    bundle, X = _fitted("forest", clf_data)
    plan = plan_shap(bundle, X, output=1)
    assert uses_own_threads(bundle, plan)  # the tree engine, not shap's single-threaded code
    job = threaded_job(bundle, X, plan=plan, shuffle=True, first_rows=40)
    result = job.result()
    _assert_same(result, explain_planned(bundle, plan, X))
    assert job.progress() == (len(X), len(X))
    monkeypatch.setattr(parallel, "local_pool", lambda: pytest.fail("no worker pool is needed"))
    ticket = start_shap_job(bundle, X, plan=plan, shuffle=True, first_rows=40, inline_budget_s=0)
    assert ticket.total_rows == len(X)
    _assert_same(job_result(bundle, ticket), result)


def test_a_threaded_job_cancelled_keeps_what_finished(clf_data) -> None:
    bundle, X = _fitted("forest", clf_data)
    plan = plan_shap(bundle, X, output=1)
    big = pd.concat([X] * 20, ignore_index=True)
    job = threaded_job(bundle, big, plan=plan, shuffle=True, first_rows=10)
    job.cancel()
    with pytest.raises(ExplanationCancelled):
        job.result()
    done, total = job.progress()
    partial = job.partial()
    assert total == len(big) and done < total
    assert (partial.n_rows if partial is not None else 0) == done


def test_a_threaded_job_runs_at_the_workers_low_priority(clf_data) -> None:
    import os

    from explainers import parallel
    from explainers.process_priority import WORKER_NICENESS

    bundle, X = _fitted("forest", clf_data)
    threaded_job(bundle, X.iloc[:5], plan=plan_shap(bundle, X, output=1)).result()
    assert parallel._THREADED is not None
    niceness = parallel._THREADED.submit(os.nice, 0).result()
    assert niceness == WORKER_NICENESS and os.nice(0) < WORKER_NICENESS  # this thread is not
