"""Data-quality findings: planted problems are found, clean data raises nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression

from explainers.data_quality import Finding, check_data_quality
from explainers.errors import DataValidationError


@pytest.fixture(scope="module")
def clean():
    X, y = make_classification(n_samples=300, n_features=8, random_state=0)
    return pd.DataFrame(X, columns=[f"x{j}" for j in range(8)]), pd.Series(y, name="target")


def titles(report):
    return [f.title for f in report.warnings]


def test_clean_data_has_no_warnings(clean):
    X, y = clean
    report = check_data_quality(X, y_true=y)
    assert report.warnings == ()
    assert report.findings[0].severity == "info"
    assert report.counts == {"high": 0, "medium": 0, "low": 0, "info": 1}


def test_clean_regression_has_no_warnings():
    X, y = make_regression(n_samples=300, n_features=6, noise=5, random_state=0)
    report = check_data_quality(pd.DataFrame(X).add_prefix("x"), y_true=pd.Series(y))
    assert report.warnings == ()


def test_leaked_column_is_found(clean):
    X, y = clean
    leaked = X.assign(outcome_code=y * 10 + np.random.default_rng(0).normal(0, 1, len(y)))
    report = check_data_quality(leaked, y_true=y)
    leak = [f for f in report.findings if f.column == "outcome_code"]
    assert leak and leak[0].severity == "high" and "leak" in leak[0].title
    assert not [f for f in report.warnings if f.column != "outcome_code"]


def test_categorical_leak_and_regression_leak(clean):
    X, y = clean
    labels = X.assign(decision=np.where(y == 1, "approved", "refused"))
    assert "Possible target leak: decision" in titles(check_data_quality(labels, y_true=y))
    Xr, yr = make_regression(n_samples=300, n_features=3, noise=5, random_state=0)
    frame = pd.DataFrame(Xr).add_prefix("x").assign(copy=yr * 2.0)
    report = check_data_quality(frame, y_true=pd.Series(yr), task="regression")
    assert "Possible target leak: copy" in titles(report)


def test_duplicated_rows_are_found(clean):
    X, y = clean
    doubled = pd.concat([X, X.iloc[:15]], ignore_index=True)
    report = check_data_quality(doubled, y_true=pd.concat([y, y.iloc[:15]], ignore_index=True))
    found = [f for f in report.findings if f.title == "Duplicate rows"]
    assert found and found[0].severity == "medium" and found[0].sentence.startswith("15 rows")


def test_column_checks():
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame(
        {
            "gaps": np.where(rng.random(n) < 0.3, np.nan, rng.normal(size=n)),
            "constant": 1,
            "rare": np.r_[np.ones(n - 1), 0],
            "customer_id": [f"C{i}" for i in range(n)],
            "spiky": np.r_[rng.normal(size=n - 3), 100, 120, -90],
        }
    )
    report = check_data_quality(frame)
    by_column = {f.column: f for f in report.findings}
    assert by_column["gaps"].severity == "medium" and "Missing" in by_column["gaps"].title
    assert by_column["constant"].title == "constant never changes"
    assert by_column["rare"].title == "rare almost never changes"
    assert "identifier" in by_column["customer_id"].sentence
    assert by_column["spiky"].title == "Extreme values in spiky"
    assert report.findings[0].severity != "info"


def test_class_imbalance():
    X, y = make_classification(n_samples=300, weights=[0.95], flip_y=0, random_state=0)
    report = check_data_quality(pd.DataFrame(X).add_prefix("x"), y_true=pd.Series(y))
    found = [f for f in report.findings if f.title == "Imbalanced classes"]
    assert found and found[0].severity == "medium"


def test_train_test_overlap(clean):
    X, _ = clean
    train, test = X.iloc[:200], X.iloc[180:]
    report = check_data_quality(test, X_train=train)
    found = [f for f in report.findings if "training data" in f.title]
    assert found and found[0].severity == "high" and found[0].sentence.startswith("20 of 120")
    assert check_data_quality(X.iloc[200:], X_train=train).warnings == ()


def test_bad_input():
    with pytest.raises(DataValidationError, match="DataFrame"):
        check_data_quality(np.zeros((3, 2)))
    with pytest.raises(DataValidationError, match="2 rows"):
        check_data_quality(pd.DataFrame({"a": [1, 2, 3]}), y_true=pd.Series([0, 1]))
    with pytest.raises(ValueError, match="severity"):
        Finding("urgent", "t", "s")
