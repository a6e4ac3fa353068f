"""Normalise a loaded model into one validated ``ModelBundle``.

Nothing downstream branches on where a model came from: every page and the
CLI call ``bundle.predict_output(X)`` and read ``bundle.task``.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from explainers.errors import DataValidationError, UnsupportedModelError

_LOG = logging.getLogger("whybox.model")

Task = Literal["binary", "multiclass", "regression"]
OutputKind = Literal["probability", "margin", "value"]
"""What ``predict_output`` returns: class probabilities (``predict_proba``), decision
scores of a classifier without probabilities (``decision_function``), or predictions."""

NOT_A_MODEL = "The file holds {kind}, not a trained model."
NO_PREDICT = "The file holds a {kind}, which has no predict method, so it cannot be explained."
NO_PREDICT_HINT = (
    "If it is one step of a Pipeline, save the whole fitted Pipeline (or the final estimator)."
)
NOT_A_MODEL_HINT = (
    "Save the fitted estimator itself (for example joblib.dump(model, 'model.joblib'))."
)
NOT_FITTED = "This {name} has not been trained yet."
NOT_FITTED_HINT = "Call fit() on it before saving, then upload the saved file again."
MULTI_OUTPUT = "This model predicts several targets at once; whybox explains one target."
MULTI_OUTPUT_HINT = "Save a model that predicts a single column."
MISSING_COLUMNS = "The dataset is missing {n} column(s) the model needs: {names}."
MISSING_COLUMNS_HINT = "Upload the data the model was trained on, with the same column names."
WRONG_WIDTH = "The model expects {expected} input columns, but the dataset has {got}."
WRONG_WIDTH_HINT = "Remove extra columns (or pick the target column) so the counts match."
PREDICT_FAILED = (
    "The model could not make predictions on this dataset: it stopped with an error of its "
    "own (the details are in the server's log)."
)
PREDICT_FAILED_HINT = (
    "Check that every column holds the kind of values the model was trained on (numbers "
    "where it had numbers, the same category names), then upload the dataset again."
)
NO_SCORES = "This classifier gives neither probabilities nor decision scores."
NO_SCORES_HINT = (
    "Save a classifier that has predict_proba or decision_function, e.g. "
    "SVC(probability=True) or LogisticRegression."
)
NAN_INPUT = "The dataset has missing values in {names}, and this model cannot handle them."
NAN_INPUT_HINT = "Fill the missing values, or use a model that includes an imputer."
ALL_EMPTY = "Every cell of column(s) {names} is empty, so the model has nothing to go on."
ALL_EMPTY_HINT = "Check that the file was exported completely, then upload it again."
TEXT_IN_NUMBERS = "Column(s) {names} should hold numbers but contain text such as {example!r}."
TEXT_IN_NUMBERS_HINT = "Fix those cells, or upload the dataset the model was trained on."
DECIMAL_COMMA_HINT = (
    "They look like numbers written with a decimal comma; export the file with a decimal "
    "point (or with semicolons between columns, which whybox reads with decimal commas)."
)
BAD_OUTPUT = "The model returned {got} predictions for {n} rows."
SEVERAL_OUTPUTS_HINT = (
    "whybox explains one prediction per row, and this model gives {k} for each (several "
    "targets, quantiles or an uncertainty). Train one model per output, or wrap the model so "
    "that predict returns the one output to explain."
)
ANOMALY_DETECTOR = (
    "This {kind} is an anomaly detector: its predict says only whether a row is an "
    "outlier (-1) or not (1), which is neither a classification nor a regression whybox "
    "can explain."
)
ANOMALY_DETECTOR_HINT = (
    "Upload a classifier or regressor (for example one trained to predict the outlier flag)."
)
THRESHOLD_ON_SCORE = (
    "This {kind} decides by a threshold on its decision_function, which whybox does not "
    "apply to its labels yet."
)
THRESHOLD_ON_SCORE_HINT = 'Fit it with response_method="predict_proba", or upload its estimator.'

# How a pickled plain value is described ("The file holds a dictionary, ...").
_VALUE_KINDS = {
    dict: "a dictionary",
    list: "a list",
    tuple: "a tuple",
    set: "a set",
    frozenset: "a set",
    str: "a piece of text",
    bytes: "raw bytes",
    bytearray: "raw bytes",
    int: "a number",
    float: "a number",
    complex: "a number",
    bool: "a true/false value",
    type(None): "nothing (None)",
}


@dataclass(frozen=True, slots=True, eq=False)
class ModelBundle:
    """A trained model with everything whybox needs to know about it.

    Parameters
    ----------
    model : object
        The fitted estimator (possibly a scikit-learn Pipeline).
    task : {"binary", "multiclass", "regression"}
    class_labels : tuple of str
        Class names as text; empty for regression.
    feature_names : tuple of str
        The original input columns the model expects, in order.
    name : str
        A short description such as "GradientBoostingClassifier in a Pipeline".
    uses_feature_names : bool
        Whether the model was fitted on a DataFrame (so predict needs one).
    warnings : tuple of str
        Plain sentences about loading (a version mismatch, a trusted file).
    output_kind : {"probability", "margin", "value"}
        What :meth:`predict_output` returns: probabilities, the decision scores
        of a classifier that gives no probabilities, or regression predictions.
    notes : tuple of str
        How the uploaded object is explained, when that is not the object itself
        (a search's best estimator, a pipeline's skipped samplers, a best iteration).
    categories : tuple of (column, categories) pairs
        Native categorical columns and the categories stored in the model: their
        values are given to the model as those categories (text from a CSV included).
    threshold : (int, float) or None
        A binary model that decides by its own threshold (scikit-learn's
        ``FixedThresholdClassifier``, ``TunedThresholdClassifierCV``): the class
        ``k`` whose probability it thresholds and the threshold; the label is
        class ``k`` at and above it, as the model's ``predict``. None: the most
        probable class.
    """

    model: Any
    task: Task
    class_labels: tuple[str, ...]
    feature_names: tuple[str, ...]
    name: str
    uses_feature_names: bool
    warnings: tuple[str, ...] = ()
    output_kind: OutputKind = "probability"
    notes: tuple[str, ...] = ()
    categories: tuple[tuple[str, tuple[object, ...]], ...] = ()
    threshold: tuple[int, float] | None = None

    @property
    def output_labels(self) -> tuple[str, ...]:
        """One label per column of ``predict_output``."""
        return self.class_labels if self.task != "regression" else ("prediction",)

    @property
    def default_output(self) -> int:
        """The output explained unless the user picks another (positive class)."""
        return 1 if self.task == "binary" else 0

    def prediction_name(self, k: int) -> str:
        """What output ``k`` of :meth:`predict_output` is: "probability of good"…"""
        if self.output_kind == "value":
            return "predicted value"
        kind = "decision score" if self.output_kind == "margin" else "probability"
        return f"{kind} of {self.output_labels[k]}"

    def output_index(self, label: str | None) -> int:
        """Column of ``predict_output`` for a class label (None: the default)."""
        if label is None:
            return self.default_output
        if label not in self.output_labels:
            raise DataValidationError(
                f"The model has no class called {label!r}.",
                f"Pick one of: {', '.join(self.output_labels)}.",
            )
        return self.output_labels.index(label)

    def model_input(self, X: pd.DataFrame) -> pd.DataFrame | npt.NDArray[np.float64]:
        """``X`` in the form the estimator was fitted on.

        Native categorical columns become pandas categories with the categories
        stored in the model, whatever dtype the upload gave them (CSV text,
        Parquet categories); a missing or unknown value is a missing category.
        """
        if not self.uses_feature_names:
            return X.to_numpy(dtype=np.float64)
        if not self.categories:
            return X
        X = X.copy()
        for name, categories in self.categories:
            if name in X.columns:
                values = X[name].astype(object).where(X[name].notna(), np.nan)
                X[name] = pd.Categorical(values, categories=list(categories) or None)
        return X

    def predict_output(self, X: pd.DataFrame) -> npt.NDArray[np.float64]:
        """The model's own outputs, shape (n_rows, n_outputs).

        Probabilities (``predict_proba``), decision scores for a classifier
        without probabilities (``decision_function``; a binary model's single
        score ``d`` becomes the two columns ``-d, d``), or regression predictions.

        Raises
        ------
        DataValidationError
            If the model cannot predict on ``X``; the message says what the model said.
        """
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                data = self.model_input(X)
                if self.output_kind == "value":
                    out = np.asarray(self.model.predict(data), dtype=np.float64)
                    out = out.reshape(len(X), -1) if out.ndim == 2 else out[:, None]
                elif self.output_kind == "margin":
                    out = np.asarray(self.model.decision_function(data), dtype=np.float64)
                    out = np.column_stack([-out, out]) if out.ndim == 1 else out
                else:
                    out = np.asarray(self.model.predict_proba(data), np.float64)
        except Exception as exc:  # models raise anything; the user gets one clear sentence
            raise explain_predict_failure(exc, X) from exc
        if out.shape != (len(X), len(self.output_labels)):
            problem = BAD_OUTPUT.format(got=out.shape, n=len(X))
            if self.output_kind == "value" and out.shape[0] == len(X) and out.shape[1] > 1:
                raise UnsupportedModelError(problem, SEVERAL_OUTPUTS_HINT.format(k=out.shape[1]))
            raise UnsupportedModelError(problem)
        return out

    def predict_labels(self, X: pd.DataFrame) -> npt.NDArray[np.object_]:
        """Predicted class label (as text) per row; predictions for regression."""
        return self.labels_from_output(self.predict_output(X))

    def labels_from_output(self, out: npt.NDArray[np.float64]) -> npt.NDArray[np.object_]:
        """Labels for outputs already computed by :meth:`predict_output`."""
        if self.task == "regression":
            values: npt.NDArray[np.object_] = out[:, 0].astype(object)
            return values
        if self.threshold is None:
            chosen = out.argmax(axis=1)
        else:
            k, at = self.threshold
            chosen = np.where(out[:, k] >= at, k, 1 - k)
        labels: npt.NDArray[np.object_] = np.asarray(self.class_labels, dtype=object)[
            np.asarray(chosen, dtype=np.int_)
        ]
        return labels


def build_bundle(model: Any, *, warnings_: tuple[str, ...] = ()) -> ModelBundle:
    """Validate a loaded object and describe it as a ``ModelBundle``.

    A search object (``GridSearchCV`` and the like) is explained through its
    ``best_estimator_``, an imbalanced-learn pipeline without its samplers and
    a raw xgboost / lightgbm ``Booster`` through an adapter
    (:mod:`explainers.unwrap`); ``notes`` says so.

    Raises
    ------
    UnsupportedModelError
        If the object is not a fitted, single-output model with predict.
    """
    if isinstance(model, type):
        raise UnsupportedModelError(NOT_A_MODEL.format(kind="a class"), NOT_A_MODEL_HINT)
    if type(model) in _VALUE_KINDS:
        kind = _VALUE_KINDS[type(model)]
        raise UnsupportedModelError(NOT_A_MODEL.format(kind=kind), NOT_A_MODEL_HINT)
    # imported here: a process that holds only handles (the CLI, the server) needs no sklearn
    from explainers.unwrap import describe_model, stored_categories, unwrap_model

    unwrapped = unwrap_model(model)
    model = unwrapped.model
    if not hasattr(model, "predict"):
        raise UnsupportedModelError(NO_PREDICT.format(kind=type(model).__name__), NO_PREDICT_HINT)
    _check_fitted(model)
    _refuse_anomaly_detector(model)
    task, labels, kind = _detect_task(model)
    names = _feature_names(model)
    uses_names = names is not None
    if names is None:
        n_in = getattr(model, "n_features_in_", None)
        names = [f"x{j}" for j in range(int(n_in))] if n_in is not None else []
    return ModelBundle(
        model=model,
        task=task,
        class_labels=labels,
        feature_names=tuple(str(n) for n in names),
        name=unwrapped.name or describe_model(model),
        uses_feature_names=uses_names,
        warnings=warnings_,
        output_kind=kind,
        notes=unwrapped.notes,
        categories=stored_categories(model),
        threshold=_own_threshold(model, task, labels, kind),
    )


def _refuse_anomaly_detector(model: Any) -> None:
    """Refuse scikit-learn's outlier detectors (IsolationForest, OneClassSVM...), piped too."""
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    if not type(final).__module__.startswith("sklearn"):
        return
    from sklearn.base import is_outlier_detector

    if is_outlier_detector(final):
        raise UnsupportedModelError(
            ANOMALY_DETECTOR.format(kind=type(final).__name__), ANOMALY_DETECTOR_HINT
        )


_THRESHOLD_MODELS = {
    "FixedThresholdClassifier": "threshold",
    "TunedThresholdClassifierCV": "best_threshold_",
}


def _own_threshold(
    model: Any, task: Task, labels: tuple[str, ...], kind: OutputKind
) -> tuple[int, float] | None:
    """The probability threshold a scikit-learn thresholded classifier predicts with, if any.

    Mirrors ``_threshold_scores_to_class_labels``: the positive class (``pos_label``,
    else ``classes_[1]``) at and above the threshold on its probability.

    Raises
    ------
    UnsupportedModelError
        If the threshold is on a score whybox does not compute (``decision_function``).
    """
    attribute = _THRESHOLD_MODELS.get(type(model).__name__)
    if attribute is None or not type(model).__module__.startswith("sklearn") or task != "binary":
        return None
    threshold = getattr(model, attribute, None)
    method = getattr(model, "response_method", "auto")
    positive = getattr(model, "pos_label", None)
    if kind != "probability" or method not in ("auto", "predict_proba"):
        raise UnsupportedModelError(
            THRESHOLD_ON_SCORE.format(kind=type(model).__name__), THRESHOLD_ON_SCORE_HINT
        )
    if threshold is None:
        return None
    if threshold == "auto":
        threshold = 0.5
    k = 1 if positive is None else labels.index(str(positive))
    return k, float(threshold)


def _feature_names(model: Any) -> list[str] | None:
    """The column names the model was fitted with, if it kept them."""
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return [str(n) for n in names]
    if type(model).__module__.startswith("catboost"):
        catboost_names = [str(n) for n in getattr(model, "feature_names_", None) or []]
        positional = [str(j) for j in range(len(catboost_names))]
        return catboost_names if catboost_names and catboost_names != positional else None
    return None


def align_data(
    bundle: ModelBundle, frame: pd.DataFrame, *, target: str | None = None
) -> tuple[ModelBundle, pd.DataFrame]:
    """Pick and order the model's columns from an uploaded frame, checking it predicts.

    Columns are matched by name (order does not matter; extra columns are
    ignored). A model fitted without column names takes the frame's columns,
    less the target, by position; the bundle returned then carries those names.
    The check predicts the first 256 rows where the model lives (its sandbox,
    for a handle).

    Raises
    ------
    DataValidationError
        Missing columns, wrong width, or values the model cannot use.
    """
    from explainers.model_calls import run_model_task

    bundle, X = select_columns(bundle, frame, target=target)
    run_model_task(bundle, check_predicts, X.iloc[: min(len(X), 256)])
    return bundle, X


def select_columns(
    bundle: ModelBundle, frame: pd.DataFrame, *, target: str | None = None
) -> tuple[ModelBundle, pd.DataFrame]:
    """The columns of :func:`align_data`, without asking the model anything.

    Raises
    ------
    DataValidationError
        Missing columns or wrong width.
    """
    features = frame.drop(columns=[target]) if target and target in frame else frame
    if bundle.uses_feature_names:
        missing = [c for c in bundle.feature_names if c not in features.columns]
        if missing:
            shown = ", ".join(missing[:8]) + (" …" if len(missing) > 8 else "")
            raise DataValidationError(
                MISSING_COLUMNS.format(n=len(missing), names=shown), MISSING_COLUMNS_HINT
            )
        return bundle, features.loc[:, list(bundle.feature_names)]
    expected = len(bundle.feature_names) or features.shape[1]
    if features.shape[1] != expected:
        raise DataValidationError(
            WRONG_WIDTH.format(expected=expected, got=features.shape[1]), WRONG_WIDTH_HINT
        )
    renamed = dataclasses.replace(bundle, feature_names=tuple(str(c) for c in features.columns))
    return renamed, features


def check_predicts(bundle: ModelBundle, X: pd.DataFrame) -> None:
    """Raise the model's prediction failure on ``X`` in whybox's words, if it has one.

    Raises
    ------
    DataValidationError, UnsupportedModelError
    """
    bundle.predict_output(X)


def model_outputs(bundle: ModelBundle, X: pd.DataFrame) -> npt.NDArray[np.float64]:
    """``bundle.predict_output(X)`` as a function, for ``run_model_task``."""
    return bundle.predict_output(X)


def _check_fitted(model: Any) -> None:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
    except NotFittedError as exc:
        raise UnsupportedModelError(
            NOT_FITTED.format(name=type(model).__name__), NOT_FITTED_HINT
        ) from exc
    except TypeError:
        return  # not a scikit-learn estimator: trust predict and find out on first use


def _detect_task(model: Any) -> tuple[Task, tuple[str, ...], OutputKind]:
    from sklearn.base import is_classifier, is_regressor

    classes = getattr(model, "classes_", None)
    has_proba = hasattr(model, "predict_proba") and not getattr(model, "margin_only", False)
    if classes is not None and (has_proba or hasattr(model, "decision_function")):
        if isinstance(classes, list) or np.asarray(classes).ndim != 1:
            raise UnsupportedModelError(MULTI_OUTPUT, MULTI_OUTPUT_HINT)
        labels = tuple(str(c) for c in classes)
        task: Task = "binary" if len(labels) == 2 else "multiclass"
        return task, labels, "probability" if has_proba else "margin"
    if _tag(is_classifier, model):
        raise UnsupportedModelError(NO_SCORES, NO_SCORES_HINT)
    multi_output_wrapper = type(model).__name__.startswith("MultiOutput")
    if getattr(model, "n_outputs_", 1) > 1 or multi_output_wrapper:
        raise UnsupportedModelError(MULTI_OUTPUT, MULTI_OUTPUT_HINT)
    if not _tag(is_regressor, model) and classes is not None:
        raise UnsupportedModelError(MULTI_OUTPUT, MULTI_OUTPUT_HINT)
    return "regression", (), "value"


def _tag(check: Any, model: Any) -> bool:
    """scikit-learn's is_classifier / is_regressor, False for foreign objects."""
    try:
        return bool(check(model))
    except (AttributeError, TypeError):
        return False


def explain_predict_failure(exc: Exception, X: pd.DataFrame) -> DataValidationError:
    """One clear sentence, in whybox's words, for a model that failed to predict on ``X``."""
    text = str(exc)
    lowered = text.lower()
    empty = [str(c) for c in X.columns[X.isna().all()]]
    if empty and len(X) > 1:
        return DataValidationError(ALL_EMPTY.format(names=", ".join(empty[:6])), ALL_EMPTY_HINT)
    if "nan" in lowered and X.isna().to_numpy().any():
        names = [str(c) for c in X.columns[X.isna().any()]][:6]
        return DataValidationError(NAN_INPUT.format(names=", ".join(names)), NAN_INPUT_HINT)
    if "could not convert" in lowered or "string" in lowered:
        bad = []
        example: object = ""
        for col in X.columns:
            if X[col].dtype == object or pd.api.types.is_string_dtype(X[col]):
                coerced = pd.to_numeric(X[col], errors="coerce")
                texts = X[col][coerced.isna() & X[col].notna()]
                if len(texts) and coerced.notna().any():
                    bad.append(str(col))
                    example = texts.iloc[0]
        if bad:
            comma = re.fullmatch(r"[+-]?\d+(?:\.\d{3})*,\d+", str(example).strip())
            return DataValidationError(
                TEXT_IN_NUMBERS.format(names=", ".join(bad[:6]), example=example),
                DECIMAL_COMMA_HINT if comma else TEXT_IN_NUMBERS_HINT,
            )
    # the model's own words stay in the log: they may name paths, addresses or anything
    _LOG.warning("predict failed: %s: %s", type(exc).__name__, text[:2000])
    return DataValidationError(PREDICT_FAILED, PREDICT_FAILED_HINT)
