"""Checks against the model's own output, and the messages around them.

The float32 tolerance is derived, not chosen: these tests sum real float32 terms the way
xgboost and lightgbm do and show the bound holds for them (targets in the tens of
millions included) while a real error of one part in a thousand is still refused.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from dashboard.cli import UNEXPECTED, main
from explainers.data_loading import load_dataset
from explainers.encoding import ColumnCodec
from explainers.errors import AttributionError, UnsupportedModelError, describe
from explainers.model_bundle import (
    DECIMAL_COMMA_HINT,
    PREDICT_FAILED_HINT,
    align_data,
    build_bundle,
)
from explainers.model_output import FLOAT32_UNIT_ROUNDOFF, tolerance
from explainers.shap_attributions import check_additivity
from explainers.unwrap import NO_REFIT


def _float32_model(rng: np.random.Generator, n_rows: int, n_trees: int, n_features: int):
    """Per-tree contributions around a large base, summed in float32 as boosters do."""
    base = np.float32(3.0e7)
    per_tree = rng.normal(0, 2.0e5, size=(n_rows, n_trees, n_features)).astype(np.float32)
    values = per_tree.sum(axis=1, dtype=np.float32)  # each contribution: a float32 sum
    margin = np.full(n_rows, base, dtype=np.float32)
    for t in range(n_trees):  # the margin: the trees' leaves added one by one in float32
        margin = margin + per_tree[:, t, :].sum(axis=1, dtype=np.float32)
    return values.astype(np.float64), np.full(n_rows, float(base)), margin.astype(np.float64)


def test_float32_sums_of_large_targets_pass_the_derived_bound() -> None:
    values, base, margin = _float32_model(np.random.default_rng(0), 500, 400, 6)
    gap = np.abs(base + values.sum(axis=1) - margin)
    plain = 1e-6 * np.maximum(np.abs(margin), np.abs(base) + np.abs(values).sum(axis=1))
    assert np.any(gap > plain)  # a plain 1e-6 relative check refuses these float32 sums
    check_additivity(values, base, margin, method="m", space="raw", n_terms=400 + 6 + 1)


def test_the_float32_bound_still_refuses_a_real_error() -> None:
    values, base, margin = _float32_model(np.random.default_rng(1), 50, 400, 6)
    wrong = margin * (1 + 1e-3)
    with pytest.raises(AttributionError):
        check_additivity(values, base, wrong, method="m", space="raw", n_terms=407)


def test_the_bound_is_gamma_n_times_the_sizes() -> None:
    values, base, output = np.array([[1.0, -2.0]]), np.array([10.0]), np.array([9.0])
    nu = 50 * FLOAT32_UNIT_ROUNDOFF
    expected = 1e-6 * 13.0 + nu / (1 - nu) * (13.0 + 9.0)
    assert tolerance(values, base, output, n_terms=50)[0] == pytest.approx(expected)
    assert tolerance(values, base, output)[0] == pytest.approx(1e-6 * 13.0)


def test_an_additivity_failure_says_its_advice_once() -> None:
    with pytest.raises(AttributionError) as caught:
        check_additivity(
            np.array([[1.0]]), np.array([0.0]), np.array([5.0]), method="TreeSHAP", space="raw"
        )
    line = describe(caught.value)
    assert line.count("not shown") <= 1 and "largest gap 4" in line


def test_a_prediction_failure_says_what_the_model_said_and_never_guesses_damage() -> None:
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [0.0, 1.0, 0.0, 1.0]})
    model = LogisticRegression().fit(X, [0, 1, 0, 1])
    bundle, _ = align_data(build_bundle(model), X)
    bad = X.assign(a=["1,5", "2,5", "x", "4"])
    with pytest.raises(Exception) as caught:
        bundle.predict_output(bad)
    assert "damaged" not in describe(caught.value)
    assert caught.value.hint == DECIMAL_COMMA_HINT
    assert "damaged" not in PREDICT_FAILED_HINT


def test_semicolon_csv_with_decimal_commas_reads_numbers() -> None:
    frame = load_dataset(b"age;income;city\n30;1.234,5;Koeln\n41;980,25;Paris\n;12,0;\n")
    assert frame["income"].tolist() == [1234.5, 980.25, 12.0]
    assert frame["city"].isna().tolist() == [False, False, True]


def test_decoded_missing_text_stays_nan_never_none() -> None:
    frame = pd.DataFrame({"city": pd.Series(["a", None, "b"], dtype="str"), "n": [1.0, 2, 3]})
    codec = ColumnCodec.fit(frame)
    decoded = codec.decode(codec.encode(frame))
    assert decoded["city"].isna().tolist() == [False, True, False]
    assert all(v is not None for v in decoded["city"].astype(object))
    assert decoded["city"].dtype == frame["city"].dtype


def test_a_search_without_refit_is_refused_with_a_reason() -> None:
    X = pd.DataFrame({"a": np.arange(20.0)})
    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2, refit=False)
    search.fit(X, np.arange(20) % 2)
    with pytest.raises(
        UnsupportedModelError, match=re.escape(NO_REFIT.format(search="GridSearchCV"))
    ):
        build_bundle(search)


def test_an_unexpected_fault_in_the_cli_is_one_error_line(monkeypatch, capsys, tmp_path) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("explainers.loading.load_files", broken)
    rc = main(["explain", "m.joblib", "d.csv", "--out", str(tmp_path / "o.csv")])
    err = capsys.readouterr().err
    assert rc == 1
    assert err.strip() == f"error: {UNEXPECTED.format(kind='RuntimeError')}"
