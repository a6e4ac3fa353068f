"""Data-quality checks, each reported as a plain-language finding with a severity.

Checks: missing values, constant and near-constant columns, duplicate rows,
class imbalance, high-cardinality categories, extreme outliers, a possible
target leak (one feature that alone predicts the target almost perfectly),
and rows shared between the training and the test data.

``Finding`` is also the finding type of the performance, fairness and drift
modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.metrics import balanced_accuracy_score, r2_score, roc_auc_score
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from explainers.errors import DataValidationError

Severity = Literal["high", "medium", "low", "info"]
SEVERITIES: tuple[Severity, ...] = ("high", "medium", "low", "info")
Task = Literal["auto", "classification", "regression"]
TASKS: frozenset[str] = frozenset({"auto", "classification", "regression"})

_TARGET_LENGTH = "The target has {n_target} rows but the data has {n_rows}."
_TARGET_HINT = "Pick the target column from the same file as the data."
_NOT_A_FRAME = "Expected a table (pandas DataFrame), got {got}."
_NOT_A_FRAME_HINT = "Upload the data as a CSV or Parquet file."
_BAD_TASK = "task must be one of {options}, got {got!r}."


@dataclass(frozen=True, slots=True)
class Finding:
    """One observation about the data or the model, in plain English.

    Attributes
    ----------
    severity : {"high", "medium", "low", "info"}
        "info" means no action is needed.
    title : str
        A short headline.
    sentence : str
        What was found and why it matters, with the numbers.
    column : str or None
        The column concerned, if any.
    """

    severity: Severity
    title: str
    sentence: str
    column: str | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}.")


def sort_findings(findings: list[Finding] | tuple[Finding, ...]) -> tuple[Finding, ...]:
    """Most severe first; ties keep their order."""
    return tuple(sorted(findings, key=lambda f: SEVERITIES.index(f.severity)))


@dataclass(frozen=True, slots=True)
class DataQualityReport:
    """All findings for one dataset, most severe first.

    Attributes
    ----------
    findings : tuple of Finding
        Never empty: clean data gives a single "info" finding.
    n_rows, n_columns : int
        Size of the data checked (target excluded).
    """

    findings: tuple[Finding, ...]
    n_rows: int
    n_columns: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "findings", sort_findings(self.findings))

    @property
    def counts(self) -> dict[Severity, int]:
        """Number of findings at each severity."""
        return {s: sum(f.severity == s for f in self.findings) for s in SEVERITIES}

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """Findings above "info"."""
        return tuple(f for f in self.findings if f.severity != "info")


def check_data_quality(
    X: pd.DataFrame,
    *,
    y_true: pd.Series | None = None,
    X_train: pd.DataFrame | None = None,
    task: Task = "auto",
    near_constant_share: float = 0.99,
    leak_threshold: float = 0.98,
    max_leak_rows: int = 5000,
    random_state: int = 0,
) -> DataQualityReport:
    """Run every data-quality check on a dataset.

    Parameters
    ----------
    X : DataFrame of shape (n_rows, n_columns)
        The features (without the target).
    y_true : Series of shape (n_rows,), optional
        The target; enables the class-imbalance and leak checks.
    X_train : DataFrame, optional
        The training data, when ``X`` is test data: rows found in both are
        reported.
    task : {"auto", "classification", "regression"}, default "auto"
        Kind of target; "auto" treats text, boolean and integer targets with
        at most 20 distinct values as classes.
    near_constant_share : float, default 0.99
        A column whose most common value covers at least this share of rows
        is near-constant.
    leak_threshold : float, default 0.98
        A single feature whose cross-validated score (ROC AUC for two classes,
        balanced accuracy for more, R² for regression) reaches this is a
        possible leak.
    max_leak_rows : int, default 5000
        The leak check uses a random sample of at most this many rows.
    random_state : int, default 0
        Seed of that sample and of the cross-validation folds.

    Returns
    -------
    DataQualityReport

    Raises
    ------
    DataValidationError
        ``X`` is not a DataFrame or ``y_true`` has a different length.

    Examples
    --------
    >>> report = check_data_quality(pd.DataFrame({"a": [1, 2, 3], "b": [3, 1, 2]}))
    >>> report.warnings
    ()
    """
    if task not in TASKS:
        raise ValueError(_BAD_TASK.format(options=sorted(TASKS), got=task))
    if not isinstance(X, pd.DataFrame):
        raise DataValidationError(_NOT_A_FRAME.format(got=type(X).__name__), _NOT_A_FRAME_HINT)
    if y_true is not None and len(y_true) != len(X):
        raise DataValidationError(
            _TARGET_LENGTH.format(n_target=len(y_true), n_rows=len(X)), _TARGET_HINT
        )
    findings: list[Finding] = []
    for column in X.columns:
        findings.extend(_column_findings(X[column], near_constant_share=near_constant_share))
    findings.extend(_duplicate_findings(X, y_true))
    if y_true is not None:
        is_classification = (
            _is_classification(y_true) if task == "auto" else (task == "classification")
        )
        if is_classification:
            findings.extend(_imbalance_findings(y_true))
        findings.extend(
            _leak_findings(
                X,
                y_true,
                classification=is_classification,
                threshold=leak_threshold,
                max_rows=max_leak_rows,
                random_state=random_state,
            )
        )
    if X_train is not None:
        findings.extend(_overlap_findings(X_train, X))
    if not findings:
        findings.append(
            Finding(
                "info",
                "No data problems found",
                f"None of the checks found a problem in {len(X):,} rows and {X.shape[1]} columns.",
            )
        )
    return DataQualityReport(findings=tuple(findings), n_rows=len(X), n_columns=X.shape[1])


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _is_classification(y: pd.Series) -> bool:
    if not _is_numeric(y):
        return True
    values = y.dropna()
    integral = bool(np.all(np.mod(values.to_numpy(dtype=float), 1.0) == 0.0))
    return integral and values.nunique() <= 20


def _column_findings(column: pd.Series, *, near_constant_share: float) -> list[Finding]:
    name = str(column.name)
    n = len(column)
    if n == 0:
        return []
    found: list[Finding] = []
    missing = int(column.isna().sum())
    if missing:
        share = missing / n
        severity: Severity = "high" if share > 0.5 else "medium" if share > 0.05 else "low"
        found.append(
            Finding(
                severity,
                f"Missing values in {name}",
                f"{missing:,} of {n:,} rows ({share:.1%}) have no value for '{name}'. "
                "The model sees these through its imputer, or not at all.",
                name,
            )
        )
    present = column.dropna()
    counts = present.value_counts()
    if len(counts) <= 1:
        found.append(
            Finding(
                "medium",
                f"{name} never changes",
                f"'{name}' has the same value in every row that has one, so it cannot "
                "explain any difference between cases.",
                name,
            )
        )
        return found
    top_share = counts.iloc[0] / len(present)
    if top_share >= near_constant_share:
        found.append(
            Finding(
                "low",
                f"{name} almost never changes",
                f"{top_share:.1%} of rows have the value {counts.index[0]!r} in '{name}'; "
                "with so few other values, its effect is estimated from very few cases.",
                name,
            )
        )
    if _is_numeric(column):
        found.extend(_outlier_findings(present.astype(float), name))
    elif len(counts) > 50 or (len(counts) > 20 and len(counts) / len(present) > 0.5):
        id_like = len(counts) == len(present)
        found.append(
            Finding(
                "medium" if id_like else "low",
                f"{name} has many different values",
                f"'{name}' has {len(counts):,} different values in {len(present):,} rows"
                + (
                    ", one per row, so it looks like an identifier rather than a feature."
                    if id_like
                    else "; most values are rare, so the model learns little about each."
                ),
                name,
            )
        )
    return found


def _outlier_findings(values: pd.Series, name: str) -> list[Finding]:
    q1, q3 = np.percentile(values, [25, 75])
    spread = q3 - q1
    if spread <= 0:
        return []
    outside = int(((values < q1 - 3 * spread) | (values > q3 + 3 * spread)).sum())
    if not outside:
        return []
    return [
        Finding(
            "low",
            f"Extreme values in {name}",
            f"{outside:,} rows ({outside / len(values):.1%}) have values of '{name}' far outside "
            f"the usual range (more than three interquartile ranges beyond the middle half, "
            f"{q1:.4g} to {q3:.4g}). Check they are real and not entry errors.",
            name,
        )
    ]


def _duplicate_findings(X: pd.DataFrame, y_true: pd.Series | None) -> list[Finding]:
    frame = X if y_true is None else X.assign(__target__=np.asarray(y_true))
    duplicated = int(frame.duplicated().sum())
    if not duplicated:
        return []
    share = duplicated / len(frame)
    return [
        Finding(
            "medium" if share >= 0.01 else "low",
            "Duplicate rows",
            f"{duplicated:,} rows ({share:.1%}) repeat an earlier row exactly. Duplicates give "
            "those cases extra weight and, split across training and test data, flatter the "
            "test score.",
        )
    ]


def _imbalance_findings(y: pd.Series) -> list[Finding]:
    shares = y.value_counts(normalize=True, dropna=True)
    if len(shares) < 2:
        return (
            [
                Finding(
                    "high",
                    "The target has only one class",
                    f"Every row has the target {shares.index[0]!r}, so the model's errors on the "
                    "other class cannot be measured.",
                )
            ]
            if len(shares)
            else []
        )
    minority, share = shares.index[-1], float(shares.iloc[-1])
    if share >= 0.2:
        return []
    severity: Severity = "high" if share < 0.02 else "medium" if share < 0.1 else "low"
    return [
        Finding(
            severity,
            "Imbalanced classes",
            f"Only {share:.1%} of rows have the target {minority!r}. Accuracy can look good "
            "while that class is mostly missed: read recall and the confusion matrix.",
        )
    ]


def _leak_findings(
    X: pd.DataFrame,
    y_true: pd.Series,
    *,
    classification: bool,
    threshold: float,
    max_rows: int,
    random_state: int,
) -> list[Finding]:
    known = np.asarray(pd.notna(y_true))
    frame, target = X.loc[known], pd.Series(np.asarray(y_true)[known])
    if len(frame) > max_rows:
        keep = np.random.default_rng(random_state).choice(len(frame), max_rows, replace=False)
        frame, target = frame.iloc[keep], target.iloc[keep]
    binary = False
    if classification:
        codes, _ = pd.factorize(target.astype(str))
        if np.bincount(codes).min() < 3:
            return []
        binary = codes.max() == 1
        model: DecisionTreeClassifier | DecisionTreeRegressor = DecisionTreeClassifier(
            max_depth=4, random_state=random_state
        )
        folds: StratifiedKFold | KFold = StratifiedKFold(3, shuffle=True, random_state=random_state)
        y_fit = codes
    else:
        if len(target) < 6:
            return []
        model = DecisionTreeRegressor(max_depth=6, random_state=random_state)
        folds = KFold(3, shuffle=True, random_state=random_state)
        y_fit = target.to_numpy(dtype=float)
    found = []
    for column in frame.columns:
        values = frame[column]
        x = (
            values.to_numpy(dtype=float)
            if _is_numeric(values)
            else pd.factorize(values)[0].astype(float)
        ).reshape(-1, 1)
        score = _single_feature_score(x, y_fit, model, folds, binary)
        if score >= threshold:
            what = "ROC AUC" if binary else ("balanced accuracy" if classification else "R²")
            found.append(
                Finding(
                    "high",
                    f"Possible target leak: {column}",
                    f"'{column}' on its own predicts the target almost perfectly "
                    f"({what} {score:.3f} on held-out rows). It may be recorded after the "
                    "outcome or derived from it; a model using it will fail on new cases.",
                    str(column),
                )
            )
    return found


def _single_feature_score(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.generic],
    model: DecisionTreeClassifier | DecisionTreeRegressor,
    folds: StratifiedKFold | KFold,
    binary: bool,
) -> float:
    if isinstance(model, DecisionTreeClassifier):
        if binary:
            proba = cross_val_predict(model, x, y, cv=folds, method="predict_proba")
            return float(roc_auc_score(y, proba[:, 1]))
        return float(balanced_accuracy_score(y, cross_val_predict(model, x, y, cv=folds)))
    return float(r2_score(y, cross_val_predict(model, x, y, cv=folds)))


def _overlap_findings(X_train: pd.DataFrame, X_test: pd.DataFrame) -> list[Finding]:
    shared = [c for c in X_test.columns if c in X_train.columns]
    if not shared or not len(X_test):
        return []
    train_hashes = pd.util.hash_pandas_object(X_train[shared], index=False)
    test_hashes = pd.util.hash_pandas_object(X_test[shared], index=False)
    overlap = int(test_hashes.isin(set(train_hashes)).sum())
    if not overlap:
        return []
    share = overlap / len(X_test)
    return [
        Finding(
            "high" if share >= 0.1 else "medium",
            "Test rows also appear in the training data",
            f"{overlap:,} of {len(X_test):,} test rows ({share:.1%}) are identical to a "
            "training row. The model has seen them, so the test score is too optimistic.",
        )
    ]
