"""Model performance on labelled data, and train-versus-test overfitting checks.

Every function takes true values and model outputs (never a model), so the
same code serves an uploaded model, the bundled demo and tests. Results are
frozen dataclasses holding read-only numpy arrays; chart builders live in
``dashboard.health_charts``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
from sklearn import metrics as skm

from explainers.data_quality import Finding
from explainers.errors import DataValidationError
from explainers.results import FloatArray, _readonly

IntArray = npt.NDArray[np.int64]
CalibrationStrategy = Literal["uniform", "quantile"]
CALIBRATION_STRATEGIES: frozenset[str] = frozenset({"uniform", "quantile"})

_LENGTH_MISMATCH = "The true values have {n_true} rows but the model outputs have {n_pred}."
_LENGTH_HINT = "Use the same rows, in the same order, for the target column and the predictions."
_NOT_BINARY = (
    "The target column has {n} different values ({examples}), so this is not a yes/no "
    "(binary) task."
)
_NOT_BINARY_HINT = "Use the multiclass performance view for targets with more than two classes."
_NOT_PROBABILITY = "The scores run from {low:.3g} to {high:.3g}; probabilities must lie in 0-1."
_NOT_PROBABILITY_HINT = "Pass the model's predicted probability of the positive class."
_EMPTY = "There are no rows to measure performance on."
_EMPTY_HINT = "Upload a dataset with at least one row and a target column."
_PROBA_SHAPE = "The probability table has {got} columns, but {expected} class labels were given."
_PROBA_HINT = "Pass one probability column per class, in the order of the class labels."
_UNKNOWN_CLASS = "The target holds classes the model does not know ({unknown}); it knows {known}."
_PROBA_SUM = "Each row of the probability table must add up to 1."
_MISMATCHED_SPLITS = "Training results are for a {train} task but test results for a {test} task."
_MISMATCHED_HINT = "Measure both datasets with the same model and target column."
_SPLIT_LABEL_MISSING = "The split column has no rows marked {label!r}; it holds {examples}."
_SPLIT_LABEL_HINT = "Choose the values that mark training and test rows in the split column."
_BAD_STRATEGY = "strategy must be one of {options}, got {got!r}."


@dataclass(frozen=True, slots=True)
class Metric:
    """One headline number, with the direction that counts as better."""

    name: str
    value: float
    higher_is_better: bool


def _check_lengths(y_true: npt.NDArray[np.generic], y_other: npt.NDArray[np.generic]) -> None:
    if len(y_true) == 0:
        raise DataValidationError(_EMPTY, _EMPTY_HINT)
    if len(y_true) != len(y_other):
        raise DataValidationError(
            _LENGTH_MISMATCH.format(n_true=len(y_true), n_pred=len(y_other)), _LENGTH_HINT
        )


def _binarize(y_true: npt.ArrayLike, positive_label: object) -> npt.NDArray[np.bool_]:
    labels = np.asarray(y_true, dtype=object)
    distinct = sorted({str(v) for v in labels})
    if len(distinct) > 2:
        raise DataValidationError(
            _NOT_BINARY.format(n=len(distinct), examples=", ".join(distinct[:5])), _NOT_BINARY_HINT
        )
    return np.array([v == positive_label for v in labels], dtype=bool)


def _probabilities(y_score: npt.ArrayLike) -> FloatArray:
    score = np.asarray(y_score, dtype=np.float64).ravel()
    if score.size and (np.nanmin(score) < 0.0 or np.nanmax(score) > 1.0 or np.isnan(score).any()):
        raise DataValidationError(
            _NOT_PROBABILITY.format(low=np.nanmin(score), high=np.nanmax(score)),
            _NOT_PROBABILITY_HINT,
        )
    return score


@dataclass(frozen=True, slots=True)
class BinaryPerformance:
    """Yes/no classification quality at one decision threshold.

    Attributes
    ----------
    n_rows : int
        Rows measured.
    threshold : float
        A row counts as positive when its score is at or above this.
    positive_label : str
        The class the scores are the probability of (e.g. ``"good"``).
    prevalence : float
        Share of rows whose true class is the positive one.
    approval_rate : float
        Share of rows predicted positive at ``threshold``.
    roc_auc : float
        Area under the ROC curve; NaN when only one class is present.
    accuracy, precision, recall, f1 : float
        The usual threshold metrics for the positive class.
    brier : float
        Mean squared error of the probabilities (lower is better).
    confusion : array of shape (2, 2)
        Counts; rows are the true class (negative, positive), columns the
        predicted class.
    roc_fpr, roc_tpr, roc_thresholds : array of shape (n_points,)
        The ROC curve (empty when only one class is present).
    calibration_predicted, calibration_observed : array of shape (n_bins_used,)
        Mean predicted probability and observed positive share per non-empty bin.
    calibration_count : array of shape (n_bins_used,)
        Rows in each of those bins.
    """

    n_rows: int
    threshold: float
    positive_label: str
    prevalence: float
    approval_rate: float
    roc_auc: float
    accuracy: float
    precision: float
    recall: float
    f1: float
    brier: float
    confusion: IntArray
    roc_fpr: FloatArray
    roc_tpr: FloatArray
    roc_thresholds: FloatArray
    calibration_predicted: FloatArray
    calibration_observed: FloatArray
    calibration_count: IntArray
    task: Literal["binary"] = field(default="binary", init=False)

    def __post_init__(self) -> None:
        for name in ("confusion", "roc_fpr", "roc_tpr", "roc_thresholds"):
            object.__setattr__(self, name, _readonly(getattr(self, name), dtype=None))
        for name in ("calibration_predicted", "calibration_observed", "calibration_count"):
            object.__setattr__(self, name, _readonly(getattr(self, name), dtype=None))
        if self.confusion.shape != (2, 2):
            raise ValueError(f"confusion has shape {self.confusion.shape}, expected (2, 2).")
        if not (len(self.roc_fpr) == len(self.roc_tpr) == len(self.roc_thresholds)):
            raise ValueError("roc_fpr, roc_tpr and roc_thresholds must have the same length.")
        if not (
            len(self.calibration_predicted)
            == len(self.calibration_observed)
            == len(self.calibration_count)
        ):
            raise ValueError("The calibration arrays must have the same length.")

    @property
    def headline(self) -> tuple[Metric, ...]:
        """The numbers shown side by side for training and test data."""
        return (
            Metric("ROC AUC", self.roc_auc, True),
            Metric("Accuracy", self.accuracy, True),
            Metric("Precision", self.precision, True),
            Metric("Recall", self.recall, True),
            Metric("F1", self.f1, True),
            Metric("Brier score", self.brier, False),
        )


def binary_performance(
    y_true: npt.ArrayLike,
    y_score: npt.ArrayLike,
    *,
    positive_label: object = 1,
    threshold: float = 0.5,
    n_bins: int = 10,
    strategy: CalibrationStrategy = "uniform",
) -> BinaryPerformance:
    """Measure a yes/no classifier from its probability of the positive class.

    Parameters
    ----------
    y_true : array of shape (n_rows,)
        True class labels (two distinct values at most).
    y_score : array of shape (n_rows,)
        Predicted probability of ``positive_label``, between 0 and 1.
    positive_label : object, default 1
        The label ``y_score`` is the probability of.
    threshold : float, default 0.5
        Rows with a score at or above it are predicted positive.
    n_bins : int, default 10
        Bins of the calibration curve.
    strategy : {"uniform", "quantile"}, default "uniform"
        Equal-width probability bins, or bins holding equal numbers of rows.

    Returns
    -------
    BinaryPerformance

    Raises
    ------
    DataValidationError
        Lengths differ, there are no rows, more than two classes, or scores
        outside 0-1.

    Examples
    --------
    >>> result = binary_performance([0, 1, 1, 0], [0.2, 0.9, 0.6, 0.4])
    >>> result.accuracy
    1.0
    """
    if strategy not in CALIBRATION_STRATEGIES:
        raise ValueError(_BAD_STRATEGY.format(options=sorted(CALIBRATION_STRATEGIES), got=strategy))
    y = _binarize(y_true, positive_label)
    score = _probabilities(y_score)
    _check_lengths(y, score)
    y_pred = score >= threshold
    both_classes = 0 < y.sum() < len(y)
    if both_classes:
        fpr, tpr, roc_thresholds = skm.roc_curve(y, score)
        roc_auc = float(skm.roc_auc_score(y, score))
    else:
        fpr = tpr = roc_thresholds = np.empty(0)
        roc_auc = float("nan")
    predicted, observed, counts = _calibration(y, score, n_bins=n_bins, strategy=strategy)
    return BinaryPerformance(
        n_rows=len(y),
        threshold=float(threshold),
        positive_label=str(positive_label),
        prevalence=float(y.mean()),
        approval_rate=float(y_pred.mean()),
        roc_auc=roc_auc,
        accuracy=float(skm.accuracy_score(y, y_pred)),
        precision=float(skm.precision_score(y, y_pred, zero_division=0.0)),
        recall=float(skm.recall_score(y, y_pred, zero_division=0.0)),
        f1=float(skm.f1_score(y, y_pred, zero_division=0.0)),
        brier=float(np.mean((score - y) ** 2)),
        confusion=skm.confusion_matrix(y, y_pred, labels=[False, True]).astype(np.int64),
        roc_fpr=fpr,
        roc_tpr=tpr,
        roc_thresholds=roc_thresholds,
        calibration_predicted=predicted,
        calibration_observed=observed,
        calibration_count=counts,
    )


def _calibration(
    y: npt.NDArray[np.bool_], score: FloatArray, *, n_bins: int, strategy: CalibrationStrategy
) -> tuple[FloatArray, FloatArray, IntArray]:
    if strategy == "quantile":
        edges = np.percentile(score, np.linspace(0.0, 100.0, n_bins + 1))
    else:
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    bin_ids = np.searchsorted(edges[1:-1], score)
    totals = np.bincount(bin_ids, minlength=n_bins)
    sums = np.bincount(bin_ids, weights=score, minlength=n_bins)
    hits = np.bincount(bin_ids, weights=y.astype(np.float64), minlength=n_bins)
    used = totals > 0
    return sums[used] / totals[used], hits[used] / totals[used], totals[used].astype(np.int64)


@dataclass(frozen=True, slots=True)
class ThresholdSweep:
    """What each decision threshold would do, for the threshold slider.

    Attributes
    ----------
    thresholds : array of shape (n_thresholds,)
        Candidate thresholds, ascending.
    approval_rate : array of shape (n_thresholds,)
        Share of rows predicted positive (approved).
    false_approvals : array of shape (n_thresholds,)
        Rows predicted positive whose true class is negative.
    false_refusals : array of shape (n_thresholds,)
        Rows predicted negative whose true class is positive.
    accuracy : array of shape (n_thresholds,)
        Share of rows predicted correctly.
    n_rows : int
        Rows measured.
    positive_label : str
        The class a score is the probability of.
    """

    thresholds: FloatArray
    approval_rate: FloatArray
    false_approvals: IntArray
    false_refusals: IntArray
    accuracy: FloatArray
    n_rows: int
    positive_label: str

    def __post_init__(self) -> None:
        n = len(np.asarray(self.thresholds))
        names = ("thresholds", "approval_rate", "false_approvals", "false_refusals", "accuracy")
        for name in names:
            array = _readonly(getattr(self, name), dtype=None)
            if array.shape != (n,):
                raise ValueError(f"{name} has shape {array.shape}, expected ({n},).")
            object.__setattr__(self, name, array)


def threshold_sweep(
    y_true: npt.ArrayLike,
    y_score: npt.ArrayLike,
    *,
    positive_label: object = 1,
    thresholds: npt.ArrayLike | None = None,
) -> ThresholdSweep:
    """Approval rate and both kinds of error at every candidate threshold.

    Parameters
    ----------
    y_true : array of shape (n_rows,)
        True class labels.
    y_score : array of shape (n_rows,)
        Predicted probability of ``positive_label``.
    positive_label : object, default 1
        The label ``y_score`` is the probability of.
    thresholds : array of shape (n_thresholds,), optional
        Defaults to 0.00, 0.01, ..., 1.00.

    Returns
    -------
    ThresholdSweep

    Examples
    --------
    >>> sweep = threshold_sweep([0, 1], [0.3, 0.8], thresholds=[0.5])
    >>> int(sweep.false_approvals[0]), int(sweep.false_refusals[0])
    (0, 0)
    """
    y = _binarize(y_true, positive_label)
    score = _probabilities(y_score)
    _check_lengths(y, score)
    grid = np.linspace(0.0, 1.0, 101) if thresholds is None else np.asarray(thresholds, float)
    grid = np.sort(grid)
    predicted = score[None, :] >= grid[:, None]
    false_approvals = (predicted & ~y[None, :]).sum(axis=1)
    false_refusals = (~predicted & y[None, :]).sum(axis=1)
    return ThresholdSweep(
        thresholds=grid,
        approval_rate=predicted.mean(axis=1),
        false_approvals=false_approvals.astype(np.int64),
        false_refusals=false_refusals.astype(np.int64),
        accuracy=1.0 - (false_approvals + false_refusals) / len(y),
        n_rows=len(y),
        positive_label=str(positive_label),
    )


@dataclass(frozen=True, slots=True)
class MulticlassPerformance:
    """Quality of a classifier with more than two classes.

    Attributes
    ----------
    n_rows : int
        Rows measured.
    class_labels : tuple of str
        Classes in the order of the probability columns.
    accuracy, macro_f1 : float
        Share correct; F1 averaged over classes with equal weight.
    roc_auc_ovr : float
        Macro one-vs-rest ROC AUC; NaN when a class is missing from ``y_true``.
    confusion : array of shape (n_classes, n_classes)
        Counts; rows are the true class, columns the predicted class.
    """

    n_rows: int
    class_labels: tuple[str, ...]
    accuracy: float
    macro_f1: float
    roc_auc_ovr: float
    confusion: IntArray
    task: Literal["multiclass"] = field(default="multiclass", init=False)

    def __post_init__(self) -> None:
        confusion = _readonly(self.confusion, dtype=None)
        k = len(self.class_labels)
        if confusion.shape != (k, k):
            raise ValueError(f"confusion has shape {confusion.shape}, expected ({k}, {k}).")
        object.__setattr__(self, "confusion", confusion)

    @property
    def headline(self) -> tuple[Metric, ...]:
        """The numbers shown side by side for training and test data."""
        return (
            Metric("ROC AUC (one-vs-rest)", self.roc_auc_ovr, True),
            Metric("Accuracy", self.accuracy, True),
            Metric("Macro F1", self.macro_f1, True),
        )


def multiclass_performance(
    y_true: npt.ArrayLike,
    proba: npt.ArrayLike,
    *,
    class_labels: tuple[object, ...] | list[object],
) -> MulticlassPerformance:
    """Measure a multiclass classifier from its probability table.

    Parameters
    ----------
    y_true : array of shape (n_rows,)
        True class labels, drawn from ``class_labels``.
    proba : array of shape (n_rows, n_classes)
        Predicted probability of each class; columns follow ``class_labels``.
    class_labels : sequence of length n_classes
        The classes, in the model's column order.

    Returns
    -------
    MulticlassPerformance

    Raises
    ------
    DataValidationError
        Lengths or column counts differ, probabilities do not add up to 1, a
        true label is not among ``class_labels``, or there are no rows.
    """
    labels = list(class_labels)
    table = np.asarray(proba, dtype=np.float64)
    truth = np.asarray(y_true, dtype=object)
    _check_lengths(truth, table)
    if table.ndim != 2 or table.shape[1] != len(labels):
        raise DataValidationError(
            _PROBA_SHAPE.format(got=table.shape[-1], expected=len(labels)), _PROBA_HINT
        )
    codes = np.array([labels.index(v) if v in labels else -1 for v in truth])
    if (codes < 0).any():
        unknown = sorted({str(v) for v in truth[codes < 0]})[:5]
        raise DataValidationError(
            _UNKNOWN_CLASS.format(unknown=", ".join(unknown), known=", ".join(map(str, labels))),
            _PROBA_HINT,
        )
    predicted = table.argmax(axis=1)
    present = set(codes.tolist())
    if not np.allclose(table.sum(axis=1), 1.0, atol=1e-6):
        raise DataValidationError(_PROBA_SUM, _PROBA_HINT)
    if present == set(range(len(labels))):
        scores = table[:, 1] if len(labels) == 2 else table
        auc = float(skm.roc_auc_score(codes, scores, multi_class="ovr", average="macro"))
    else:
        auc = float("nan")
    index = list(range(len(labels)))
    return MulticlassPerformance(
        n_rows=len(truth),
        class_labels=tuple(str(v) for v in labels),
        accuracy=float(skm.accuracy_score(codes, predicted)),
        macro_f1=float(skm.f1_score(codes, predicted, labels=index, average="macro")),
        roc_auc_ovr=auc,
        confusion=skm.confusion_matrix(codes, predicted, labels=index).astype(np.int64),
    )


@dataclass(frozen=True, slots=True)
class RegressionPerformance:
    """Quality of a regression model, with residuals for the residual plot.

    Attributes
    ----------
    n_rows : int
        Rows measured.
    rmse, mae, r2 : float
        Root mean squared error, mean absolute error (both in target units)
        and the coefficient of determination.
    y_true, y_pred : array of shape (n_rows,)
        The values compared.
    residuals : array of shape (n_rows,)
        ``y_true - y_pred``.
    """

    n_rows: int
    rmse: float
    mae: float
    r2: float
    y_true: FloatArray
    y_pred: FloatArray
    residuals: FloatArray = field(init=False)
    task: Literal["regression"] = field(default="regression", init=False)

    def __post_init__(self) -> None:
        y_true = _readonly(self.y_true)
        y_pred = _readonly(self.y_pred)
        if y_true.shape != (self.n_rows,) or y_pred.shape != (self.n_rows,):
            raise ValueError(f"y_true and y_pred must have shape ({self.n_rows},).")
        object.__setattr__(self, "y_true", y_true)
        object.__setattr__(self, "y_pred", y_pred)
        object.__setattr__(self, "residuals", _readonly(np.subtract(y_true, y_pred)))

    @property
    def headline(self) -> tuple[Metric, ...]:
        """The numbers shown side by side for training and test data."""
        return (
            Metric("R²", self.r2, True),
            Metric("RMSE", self.rmse, False),
            Metric("MAE", self.mae, False),
        )


def regression_performance(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> RegressionPerformance:
    """Measure a regression model from true and predicted values.

    Parameters
    ----------
    y_true, y_pred : array of shape (n_rows,)
        True and predicted target values.

    Returns
    -------
    RegressionPerformance

    Raises
    ------
    DataValidationError
        Lengths differ or there are no rows.

    Examples
    --------
    >>> regression_performance([1.0, 2.0], [1.0, 4.0]).mae
    1.0
    """
    truth = np.asarray(y_true, dtype=np.float64).ravel()
    pred = np.asarray(y_pred, dtype=np.float64).ravel()
    _check_lengths(truth, pred)
    r2 = float(skm.r2_score(truth, pred)) if len(truth) > 1 else float("nan")
    return RegressionPerformance(
        n_rows=len(truth),
        rmse=float(np.sqrt(skm.mean_squared_error(truth, pred))),
        mae=float(skm.mean_absolute_error(truth, pred)),
        r2=r2,
        y_true=truth,
        y_pred=pred,
    )


Performance = BinaryPerformance | MulticlassPerformance | RegressionPerformance

# (metric name, medium gap, high gap): the score that decides "overfitting".
_GAP_RULES: dict[str, tuple[tuple[str, float, float], ...]] = {
    "binary": (("ROC AUC", 0.05, 0.10), ("Accuracy", 0.05, 0.10)),
    "multiclass": (("ROC AUC (one-vs-rest)", 0.05, 0.10), ("Accuracy", 0.05, 0.10)),
    "regression": (("R²", 0.10, 0.20),),
}


@dataclass(frozen=True, slots=True)
class SplitComparison:
    """Training and test metrics side by side, with an overfitting verdict.

    Attributes
    ----------
    task : {"binary", "multiclass", "regression"}
        The task both results describe.
    metric_names : tuple of str
        Headline metrics, in display order.
    train, test : array of shape (n_metrics,)
        Each metric on the training and on the test data.
    higher_is_better : tuple of bool
        Direction of each metric.
    n_train, n_test : int
        Rows in each dataset.
    findings : tuple of Finding
        One plain-language verdict (severity "info" when there is no concern).
    """

    task: Literal["binary", "multiclass", "regression"]
    metric_names: tuple[str, ...]
    train: FloatArray
    test: FloatArray
    higher_is_better: tuple[bool, ...]
    n_train: int
    n_test: int
    findings: tuple[Finding, ...]

    def __post_init__(self) -> None:
        n = len(self.metric_names)
        for name in ("train", "test"):
            array = _readonly(getattr(self, name))
            if array.shape != (n,):
                raise ValueError(f"{name} has shape {array.shape}, expected ({n},).")
            object.__setattr__(self, name, array)
        if len(self.higher_is_better) != n:
            raise ValueError(f"Expected {n} directions, got {len(self.higher_is_better)}.")

    @property
    def gap(self) -> FloatArray:
        """Training minus test value of each metric."""
        out: FloatArray = self.train - self.test
        return out


def compare_splits(train_result: Performance, test_result: Performance) -> SplitComparison:
    """Put training and test performance side by side and judge overfitting.

    The verdict uses ROC AUC for classifiers (accuracy when AUC is undefined)
    and R² for regression: a training score more than 0.05 (R²: 0.10) above
    the test score is a medium concern, more than 0.10 (R²: 0.20) a high one.

    Parameters
    ----------
    train_result, test_result : BinaryPerformance, MulticlassPerformance or RegressionPerformance
        Results of the same kind, from the training and the test data.

    Returns
    -------
    SplitComparison

    Raises
    ------
    DataValidationError
        The two results are for different tasks.
    """
    if train_result.task != test_result.task:
        raise DataValidationError(
            _MISMATCHED_SPLITS.format(train=train_result.task, test=test_result.task),
            _MISMATCHED_HINT,
        )
    train_metrics, test_metrics = train_result.headline, test_result.headline
    names = tuple(m.name for m in train_metrics)
    train_values = np.array([m.value for m in train_metrics])
    test_values = np.array([m.value for m in test_metrics])
    finding = _overfitting_finding(train_result.task, names, train_values, test_values)
    return SplitComparison(
        task=train_result.task,
        metric_names=names,
        train=train_values,
        test=test_values,
        higher_is_better=tuple(m.higher_is_better for m in train_metrics),
        n_train=train_result.n_rows,
        n_test=test_result.n_rows,
        findings=(finding,),
    )


def _overfitting_finding(
    task: str, names: tuple[str, ...], train: FloatArray, test: FloatArray
) -> Finding:
    usable = [
        (names.index(metric), metric, medium, high)
        for metric, medium, high in _GAP_RULES[task]
        if np.isfinite(train[names.index(metric)]) and np.isfinite(test[names.index(metric)])
    ]
    if not usable:
        return Finding(
            "info",
            "Overfitting could not be judged",
            "The main score is undefined on one of the datasets (for example, it holds only "
            "one class), so training and test results cannot be compared.",
            None,
        )
    j, metric, medium, high = usable[0]
    gap = float(train[j] - test[j])
    scores = f"{metric} {train[j]:.3f} on training data against {test[j]:.3f} on test data"
    if gap > high:
        return Finding(
            "high",
            "The model looks overfitted",
            f"The model does much better on the data it learned from ({scores}). Expect "
            "new cases to be predicted about as well as the test data, not the training data.",
            None,
        )
    if gap > medium:
        return Finding(
            "medium",
            "Possible overfitting",
            f"The model does noticeably better on the data it learned from ({scores}). "
            "Judge it by the test numbers.",
            None,
        )
    if gap < -medium:
        return Finding(
            "low",
            "Test score is higher than training score",
            f"The model does better on test data than on training data ({scores}), which is "
            "unusual. Check that the two datasets were not swapped.",
            None,
        )
    return Finding(
        "info",
        "No sign of overfitting",
        f"Training and test scores are close ({scores}).",
        None,
    )


def split_masks(
    split: npt.ArrayLike,
    *,
    train_label: object = "train",
    test_label: object = "test",
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Training and test row masks from a column that marks the split.

    Parameters
    ----------
    split : array of shape (n_rows,)
        The column marking each row's dataset.
    train_label, test_label : object
        The values that mark training and test rows.

    Returns
    -------
    train_mask, test_mask : arrays of shape (n_rows,) of bool

    Raises
    ------
    DataValidationError
        One of the labels marks no row.

    Examples
    --------
    >>> train, test = split_masks(["train", "test", "train"])
    >>> train.tolist(), test.tolist()
    ([True, False, True], [False, True, False])
    """
    values = np.asarray(split, dtype=object)
    masks = []
    for label in (train_label, test_label):
        mask = np.array([v == label for v in values], dtype=bool)
        if not mask.any():
            examples = ", ".join(repr(v) for v in sorted({str(v) for v in values})[:5])
            raise DataValidationError(
                _SPLIT_LABEL_MISSING.format(label=label, examples=examples), _SPLIT_LABEL_HINT
            )
        masks.append(mask)
    return masks[0], masks[1]
