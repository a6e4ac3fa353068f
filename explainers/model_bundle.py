"""Normalise a loaded model into one validated ``ModelBundle``.

Nothing downstream branches on where a model came from: every page and the
CLI call ``bundle.predict_output(X)`` and read ``bundle.task``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from explainers.errors import DataValidationError, UnsupportedModelError

Task = Literal["binary", "multiclass", "regression"]

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
PREDICT_FAILED = "The model could not make predictions on this dataset: {reason}."
PREDICT_FAILED_HINT = (
    "Check that the columns hold the kind of values the model was trained on; if they do, "
    "the model file may be damaged: save the fitted model again and upload the new file."
)
NAN_INPUT = "The dataset has missing values in {names}, and this model cannot handle them."
NAN_INPUT_HINT = "Fill the missing values, or use a model that includes an imputer."
ALL_EMPTY = "Every cell of column(s) {names} is empty, so the model has nothing to go on."
ALL_EMPTY_HINT = "Check that the file was exported completely, then upload it again."
TEXT_IN_NUMBERS = "Column(s) {names} should hold numbers but contain text such as {example!r}."
TEXT_IN_NUMBERS_HINT = "Fix those cells, or upload the dataset the model was trained on."
BAD_OUTPUT = "The model returned {got} predictions for {n} rows."
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
    """

    model: Any
    task: Task
    class_labels: tuple[str, ...]
    feature_names: tuple[str, ...]
    name: str
    uses_feature_names: bool
    warnings: tuple[str, ...] = ()

    @property
    def output_labels(self) -> tuple[str, ...]:
        """One label per column of ``predict_output``."""
        return self.class_labels if self.task != "regression" else ("prediction",)

    @property
    def default_output(self) -> int:
        """The output explained unless the user picks another (positive class)."""
        return 1 if self.task == "binary" else 0

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
        """``X`` in the form the estimator was fitted on."""
        if self.uses_feature_names:
            return X
        return X.to_numpy(dtype=np.float64)

    def predict_output(self, X: pd.DataFrame) -> npt.NDArray[np.float64]:
        """Probabilities (classification) or predictions (regression), shape (n_rows, n_outputs).

        Raises
        ------
        DataValidationError
            If the model cannot predict on ``X``; the message says why.
        """
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if self.task == "regression":
                    out = np.asarray(self.model.predict(self.model_input(X)), dtype=np.float64)
                    out = out.reshape(len(X), -1) if out.ndim == 2 else out[:, None]
                else:
                    out = np.asarray(self.model.predict_proba(self.model_input(X)), np.float64)
        except Exception as exc:  # models raise anything; the user gets one clear sentence
            raise _explain_predict_failure(exc, X) from exc
        if out.shape != (len(X), len(self.output_labels)):
            raise UnsupportedModelError(BAD_OUTPUT.format(got=out.shape, n=len(X)))
        return out

    def predict_labels(self, X: pd.DataFrame) -> npt.NDArray[np.object_]:
        """Predicted class label (as text) per row; predictions for regression."""
        return self.labels_from_output(self.predict_output(X))

    def labels_from_output(self, out: npt.NDArray[np.float64]) -> npt.NDArray[np.object_]:
        """Labels for outputs already computed by :meth:`predict_output`."""
        labels: npt.NDArray[np.object_] = (
            out[:, 0].astype(object)
            if self.task == "regression"
            else np.asarray(self.class_labels, dtype=object)[out.argmax(axis=1)]
        )
        return labels


def describe_model(model: Any) -> str:
    """A short human description of an estimator."""
    if isinstance(model, Pipeline):
        steps = " → ".join(type(step).__name__ for _, step in model.steps)
        return f"{type(model.steps[-1][1]).__name__} in a Pipeline ({steps})"
    return type(model).__name__


def build_bundle(model: Any, *, warnings_: tuple[str, ...] = ()) -> ModelBundle:
    """Validate a loaded object and describe it as a ``ModelBundle``.

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
    if not hasattr(model, "predict"):
        raise UnsupportedModelError(NO_PREDICT.format(kind=type(model).__name__), NO_PREDICT_HINT)
    _check_fitted(model)
    task, labels = _detect_task(model)
    names = getattr(model, "feature_names_in_", None)
    uses_names = names is not None
    if names is None:
        n_in = getattr(model, "n_features_in_", None)
        names = [f"x{j}" for j in range(int(n_in))] if n_in is not None else []
    return ModelBundle(
        model=model,
        task=task,
        class_labels=labels,
        feature_names=tuple(str(n) for n in names),
        name=describe_model(model),
        uses_feature_names=uses_names,
        warnings=warnings_,
    )


def align_data(
    bundle: ModelBundle, frame: pd.DataFrame, *, target: str | None = None
) -> tuple[ModelBundle, pd.DataFrame]:
    """Pick and order the model's columns from an uploaded frame, checking it predicts.

    Columns are matched by name (order does not matter; extra columns are
    ignored). A model fitted without column names takes the frame's columns,
    less the target, by position; the bundle returned then carries those names.

    Raises
    ------
    DataValidationError
        Missing columns, wrong width, or values the model cannot use.
    """
    features = frame.drop(columns=[target]) if target and target in frame else frame
    if bundle.uses_feature_names:
        missing = [c for c in bundle.feature_names if c not in features.columns]
        if missing:
            shown = ", ".join(missing[:8]) + (" …" if len(missing) > 8 else "")
            raise DataValidationError(
                MISSING_COLUMNS.format(n=len(missing), names=shown), MISSING_COLUMNS_HINT
            )
        X = features.loc[:, list(bundle.feature_names)]
    else:
        expected = len(bundle.feature_names) or features.shape[1]
        if features.shape[1] != expected:
            raise DataValidationError(
                WRONG_WIDTH.format(expected=expected, got=features.shape[1]), WRONG_WIDTH_HINT
            )
        X = features
        bundle = ModelBundle(
            model=bundle.model,
            task=bundle.task,
            class_labels=bundle.class_labels,
            feature_names=tuple(str(c) for c in X.columns),
            name=bundle.name,
            uses_feature_names=False,
            warnings=bundle.warnings,
        )
    bundle.predict_output(X.iloc[: min(len(X), 256)])
    return bundle, X


def _check_fitted(model: Any) -> None:
    try:
        check_is_fitted(model)
    except NotFittedError as exc:
        raise UnsupportedModelError(
            NOT_FITTED.format(name=type(model).__name__), NOT_FITTED_HINT
        ) from exc
    except TypeError:
        return  # not a scikit-learn estimator: trust predict and find out on first use


def _detect_task(model: Any) -> tuple[Task, tuple[str, ...]]:
    classes = getattr(model, "classes_", None)
    if classes is not None and hasattr(model, "predict_proba"):
        if isinstance(classes, list) or np.asarray(classes).ndim != 1:
            raise UnsupportedModelError(MULTI_OUTPUT, MULTI_OUTPUT_HINT)
        labels = tuple(str(c) for c in classes)
        return ("binary" if len(labels) == 2 else "multiclass"), labels
    if _tag(is_classifier, model) and not hasattr(model, "predict_proba"):
        raise UnsupportedModelError(
            "This classifier cannot give probabilities (it has no predict_proba).",
            "Retrain it with probabilities switched on, e.g. SVC(probability=True).",
        )
    if (
        getattr(model, "n_outputs_", 1) > 1
        or getattr(model, "estimators_", None) is not None
        and (type(model).__name__.startswith("MultiOutput"))
    ):
        raise UnsupportedModelError(MULTI_OUTPUT, MULTI_OUTPUT_HINT)
    if not _tag(is_regressor, model) and classes is not None:
        raise UnsupportedModelError(MULTI_OUTPUT, MULTI_OUTPUT_HINT)
    return "regression", ()


def _tag(check: Any, model: Any) -> bool:
    """scikit-learn's is_classifier / is_regressor, False for foreign objects."""
    try:
        return bool(check(model))
    except (AttributeError, TypeError):
        return False


def _explain_predict_failure(exc: Exception, X: pd.DataFrame) -> DataValidationError:
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
            return DataValidationError(
                TEXT_IN_NUMBERS.format(names=", ".join(bad[:6]), example=example),
                TEXT_IN_NUMBERS_HINT,
            )
    reason = text.splitlines()[0][:200] if text else type(exc).__name__
    return DataValidationError(PREDICT_FAILED.format(reason=reason), PREDICT_FAILED_HINT)
