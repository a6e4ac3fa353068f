"""From uploaded bytes to a validated model and aligned data, in one place."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from explainers.data_loading import load_dataset
from explainers.errors import DataValidationError
from explainers.model_bundle import ModelBundle, align_data, build_bundle
from explainers.safe_loading import load_model_bytes

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
UNKNOWN_TARGET = "The target column {name!r} is not in the dataset."
UNKNOWN_TARGET_HINT = "Pick one of the dataset's columns, or no target."


def digest(raw: bytes) -> str:
    """SHA-256 of uploaded bytes: the cache key for everything computed from them."""
    return hashlib.sha256(raw).hexdigest()


def load_model(raw: bytes, filename: str, *, trust_unknown: bool = False) -> ModelBundle:
    """Safely load model bytes and validate the model.

    Raises
    ------
    ModelLoadError, UnsupportedModelError
    """
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
    """Align a dataset to a model (checking that it predicts)."""
    if target is not None and target not in frame.columns:
        raise DataValidationError(UNKNOWN_TARGET.format(name=target), UNKNOWN_TARGET_HINT)
    bundle, X = align_data(bundle, frame, target=target)
    return PreparedData(bundle=bundle, frame=frame, X=X, target=target)


def load_files(
    model_path: str | Path,
    data_path: str | Path,
    *,
    target: str | None = None,
    trust_unknown: bool = False,
) -> PreparedData:
    """Load a model file and a dataset file from disk (the CLI's entry point)."""
    model_path, data_path = Path(model_path), Path(data_path)
    for path in (model_path, data_path):
        if not path.is_file():
            raise DataValidationError(f"No file at {path}.", "Check the path and try again.")
    bundle = load_model(model_path.read_bytes(), model_path.name, trust_unknown=trust_unknown)
    frame = load_dataset(data_path.read_bytes(), data_path.name)
    return prepare(bundle, frame, target=target)
