"""Performance metrics against scikit-learn, threshold sweep, and the overfitting verdict."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from explainers.errors import DataValidationError
from explainers.performance import (
    _LENGTH_MISMATCH,
    binary_performance,
    compare_splits,
    multiclass_performance,
    regression_performance,
    split_masks,
    threshold_sweep,
)


@pytest.fixture(scope="module")
def binary_split():
    X, y = make_classification(n_samples=300, n_features=8, flip_y=0.1, random_state=0)
    return train_test_split(X, y, test_size=0.4, random_state=0)


@pytest.fixture(scope="module")
def scored(binary_split):
    X_train, X_test, y_train, y_test = binary_split
    model = LogisticRegression().fit(X_train, y_train)
    return y_test, model.predict_proba(X_test)[:, 1]


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
def test_binary_metrics_match_sklearn(scored, threshold):
    y, score = scored
    result = binary_performance(y, score, threshold=threshold)
    y_pred = score >= threshold
    assert result.roc_auc == pytest.approx(skm.roc_auc_score(y, score))
    assert result.accuracy == pytest.approx(skm.accuracy_score(y, y_pred))
    assert result.precision == pytest.approx(skm.precision_score(y, y_pred))
    assert result.recall == pytest.approx(skm.recall_score(y, y_pred))
    assert result.f1 == pytest.approx(skm.f1_score(y, y_pred))
    assert result.brier == pytest.approx(skm.brier_score_loss(y, score))
    np.testing.assert_array_equal(result.confusion, skm.confusion_matrix(y, y_pred))
    assert result.approval_rate == pytest.approx(y_pred.mean())
    fpr, tpr, _ = skm.roc_curve(y, score)
    np.testing.assert_allclose(result.roc_fpr, fpr)
    np.testing.assert_allclose(result.roc_tpr, tpr)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_calibration_matches_sklearn(scored, strategy):
    y, score = scored
    result = binary_performance(y, score, n_bins=5, strategy=strategy)
    observed, predicted = calibration_curve(y, score, n_bins=5, strategy=strategy)
    np.testing.assert_allclose(result.calibration_observed, observed)
    np.testing.assert_allclose(result.calibration_predicted, predicted)
    assert result.calibration_count.sum() == len(y)


def test_string_labels_and_readonly_arrays():
    y = np.array(["good", "bad", "good", "bad"])
    result = binary_performance(y, [0.9, 0.2, 0.4, 0.6], positive_label="good")
    assert result.prevalence == 0.5
    np.testing.assert_array_equal(result.confusion, [[1, 1], [1, 1]])
    with pytest.raises(ValueError):
        result.confusion[0, 0] = 5


def test_single_class_gives_nan_auc():
    result = binary_performance([1, 1, 1], [0.2, 0.7, 0.9])
    assert np.isnan(result.roc_auc)
    assert result.roc_fpr.size == 0


def test_bad_input_is_refused():
    with pytest.raises(DataValidationError, match=re.escape("have 3 rows")):
        binary_performance([0, 1, 1], [0.1, 0.2])
    with pytest.raises(DataValidationError, match="probabilities"):
        binary_performance([0, 1], [0.1, 3.0])
    with pytest.raises(DataValidationError, match="not a yes/no"):
        binary_performance([0, 1, 2], [0.1, 0.2, 0.3])
    assert "{n_true}" in _LENGTH_MISMATCH


def test_threshold_sweep_counts(scored):
    y, score = scored
    sweep = threshold_sweep(y, score, thresholds=[0.25, 0.5, 0.75])
    for i, t in enumerate(sweep.thresholds):
        tn, fp, fn, tp = skm.confusion_matrix(y, score >= t).ravel()
        assert sweep.false_approvals[i] == fp
        assert sweep.false_refusals[i] == fn
        assert sweep.approval_rate[i] == pytest.approx((tp + fp) / len(y))
        assert sweep.accuracy[i] == pytest.approx((tp + tn) / len(y))
    default = threshold_sweep(y, score)
    assert len(default.thresholds) == 101
    assert np.all(np.diff(default.approval_rate) <= 0)


def test_multiclass_matches_sklearn():
    X, y = make_classification(
        n_samples=300, n_features=8, n_informative=5, n_classes=3, random_state=1
    )
    proba = LogisticRegression().fit(X[:200], y[:200]).predict_proba(X[200:])
    labels = ["a", "b", "c"]
    y_named = np.array(labels)[y[200:]]
    result = multiclass_performance(y_named, proba, class_labels=labels)
    y_pred = proba.argmax(axis=1)
    assert result.accuracy == pytest.approx(skm.accuracy_score(y[200:], y_pred))
    assert result.macro_f1 == pytest.approx(skm.f1_score(y[200:], y_pred, average="macro"))
    assert result.roc_auc_ovr == pytest.approx(skm.roc_auc_score(y[200:], proba, multi_class="ovr"))
    np.testing.assert_array_equal(result.confusion, skm.confusion_matrix(y[200:], y_pred))
    with pytest.raises(DataValidationError, match="3 class labels"):
        multiclass_performance(y_named, proba[:, :2], class_labels=labels)
    with pytest.raises(DataValidationError, match="does not know"):
        multiclass_performance(y[200:], proba, class_labels=labels)


def test_regression_matches_sklearn():
    X, y = make_regression(n_samples=200, n_features=5, noise=10, random_state=0)
    pred = LinearRegression().fit(X[:150], y[:150]).predict(X[150:])
    result = regression_performance(y[150:], pred)
    assert result.rmse == pytest.approx(np.sqrt(skm.mean_squared_error(y[150:], pred)))
    assert result.mae == pytest.approx(skm.mean_absolute_error(y[150:], pred))
    assert result.r2 == pytest.approx(skm.r2_score(y[150:], pred))
    np.testing.assert_allclose(result.residuals, y[150:] - pred)


def test_overfit_tree_is_flagged(binary_split):
    X_train, X_test, y_train, y_test = binary_split
    tree = DecisionTreeClassifier(random_state=0).fit(X_train, y_train)
    train = binary_performance(y_train, tree.predict_proba(X_train)[:, 1])
    test = binary_performance(y_test, tree.predict_proba(X_test)[:, 1])
    comparison = compare_splits(train, test)
    assert comparison.findings[0].severity == "high"
    assert "overfitted" in comparison.findings[0].title
    assert comparison.gap[comparison.metric_names.index("ROC AUC")] > 0.1
    assert comparison.n_train == len(y_train)


def test_regularised_model_is_not_flagged(binary_split):
    X_train, X_test, y_train, y_test = binary_split
    model = LogisticRegression(C=0.1).fit(X_train, y_train)
    train = binary_performance(y_train, model.predict_proba(X_train)[:, 1])
    test = binary_performance(y_test, model.predict_proba(X_test)[:, 1])
    assert compare_splits(train, test).findings[0].severity == "info"


def test_overfit_regression_tree_is_flagged():
    X, y = make_regression(n_samples=300, n_features=5, noise=30, random_state=0)
    tree = DecisionTreeRegressor(random_state=0).fit(X[:200], y[:200])
    comparison = compare_splits(
        regression_performance(y[:200], tree.predict(X[:200])),
        regression_performance(y[200:], tree.predict(X[200:])),
    )
    assert comparison.findings[0].severity == "high"


def test_mismatched_tasks_are_refused(scored):
    y, score = scored
    with pytest.raises(DataValidationError, match="binary task"):
        compare_splits(binary_performance(y, score), regression_performance(y, score))


def test_split_masks():
    train, test = split_masks(["train", "test", "train"])
    assert train.tolist() == [True, False, True]
    assert test.tolist() == [False, True, False]
    with pytest.raises(DataValidationError, match="'test'"):
        split_masks(["train", "train"])
