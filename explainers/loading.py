"""From uploaded bytes to a validated model and aligned data, in one place."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from explainers.data_loading import load_dataset
from explainers.errors import DataValidationError
from explainers.limits import MAX_UPLOAD_BYTES, refuse_if_too_large
from explainers.model_bundle import ModelBundle, align_data, build_bundle

UNKNOWN_TARGET = "The target column {name!r} is not in the dataset."
UNKNOWN_TARGET_HINT = "Pick one of the dataset's columns, or no target."
UNSEEN_LABELS = (
    "The target column {name!r} holds labels the model never saw: {unseen}. "
    "The model's classes are: {known}."
)
UNSEEN_LABELS_HINT = (
    "Pick the column that holds the true outcome, or recode it to the model's class labels."
)


def digest(raw: bytes) -> str:
    """SHA-256 of uploaded bytes: the cache key for everything computed from them."""
    return hashlib.sha256(raw).hexdigest()


def load_model(
    raw: bytes,
    filename: str,
    *,
    trust_unknown: bool = False,
    sandboxed: bool = False,
    scope: str = "",
    jobs: int | None = None,
) -> ModelBundle:
    """Safely load model bytes and validate the model.

    Parameters
    ----------
    raw, filename
        The model file's bytes and name.
    trust_unknown : bool, default False
        The operator's opt-in to pickles outside the allowlist.
    sandboxed : bool, default False
        Load it in a sandbox process (:mod:`explainers.sandbox`) and return a
        handle; the server and the CLI always do. In process otherwise (tests,
        trusted files).
    scope : str
        Who the sandbox belongs to (one session's uploads never share one).
    jobs : int, optional
        Worker processes the sandbox may fork for long jobs.

    Raises
    ------
    ModelLoadError, UnsupportedModelError
    """
    if sandboxed:
        from explainers.sandbox import load_contained

        return load_contained(
            raw, filename, trust_unknown=trust_unknown, max_bytes=MAX_UPLOAD_BYTES,
            scope=scope, jobs=jobs,
        )  # fmt: skip
    from explainers.safe_loading import load_model_bytes  # sklearn and the loaders: in process only

    loaded = load_model_bytes(
        raw, filename, trust_unknown=trust_unknown, max_bytes=MAX_UPLOAD_BYTES
    )
    return build_bundle(loaded.model, warnings_=loaded.warnings)


@dataclass(frozen=True, slots=True, eq=False)
class PreparedData:
    """A model with the dataset aligned to it."""

    bundle: ModelBundle
    frame: pd.DataFrame
    X: pd.DataFrame
    target: str | None

    @property
    def y_true(self) -> pd.Series | None:
        """The target column as text labels, if one was chosen."""
        if self.target is None:
            return None
        return self.frame[self.target]


def prepare(bundle: ModelBundle, frame: pd.DataFrame, *, target: str | None = None) -> PreparedData:
    """Align a dataset to a model, checking that it predicts and that the target fits.

    Parameters
    ----------
    bundle : ModelBundle
    frame : pandas.DataFrame
        The dataset as uploaded (all columns).
    target : str or None, default=None
        The column holding the true outcome; left out of the model input.

    Returns
    -------
    PreparedData

    Raises
    ------
    DataValidationError
        The target is not a column, or (for a classifier) holds labels that
        are not among the model's classes; and everything
        :func:`explainers.model_bundle.align_data` raises.
    """
    if target is not None and target not in frame.columns:
        raise DataValidationError(UNKNOWN_TARGET.format(name=target), UNKNOWN_TARGET_HINT)
    bundle, X = align_data(bundle, frame, target=target)
    if target is not None and bundle.task != "regression":
        _check_target_labels(bundle, frame[target], target)
    return PreparedData(bundle=bundle, frame=frame, X=X, target=target)


def _label_text(value: object) -> str:
    """A class label as text, so that 1, 1.0, "1" and numpy's 1 compare equal."""
    text = str(value.item() if isinstance(value, np.generic) else value)
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if math.isfinite(number) and number.is_integer() else text


def _check_target_labels(bundle: ModelBundle, y_true: pd.Series, name: str) -> None:
    known = {_label_text(label) for label in bundle.class_labels}
    unseen = sorted({_label_text(v) for v in y_true.dropna()} - known)
    if unseen:
        shown = ", ".join(repr(label) for label in unseen[:5]) + (" …" if len(unseen) > 5 else "")
        raise DataValidationError(
            UNSEEN_LABELS.format(name=name, unseen=shown, known=", ".join(bundle.class_labels)),
            UNSEEN_LABELS_HINT,
        )


def load_files(
    model_path: str | Path,
    data_path: str | Path,
    *,
    target: str | None = None,
    trust_unknown: bool = False,
    sandboxed: bool = False,
    jobs: int | None = None,
) -> PreparedData:
    """Load a model file and a dataset file from disk (the CLI's entry point).

    The dataset has no memory budget here: batch runs on the user's own machine.
    It is read first, while a sandbox started beforehand (see
    :func:`explainers.sandbox.start_spare`) imports its own libraries.
    ``sandboxed`` and ``jobs`` are those of :func:`load_model`.

    Raises
    ------
    ExplainerError
        A path is not a file, the model file is over ``MAX_UPLOAD_BYTES``, or
        anything :func:`load_model`, :func:`load_dataset` or :func:`prepare` raises.
    """
    model_path, data_path = Path(model_path), Path(data_path)
    for path in (model_path, data_path):
        if not path.is_file():
            raise DataValidationError(f"No file at {path}.", "Check the path and try again.")
    refuse_if_too_large(model_path.name, model_path.stat().st_size)  # before reading it
    frame = load_dataset(data_path.read_bytes(), data_path.name)
    bundle = load_model(
        model_path.read_bytes(), model_path.name, trust_unknown=trust_unknown,
        sandboxed=sandboxed, jobs=jobs,
    )  # fmt: skip
    return prepare(bundle, frame, target=target)
