"""One error hierarchy for everything whybox can refuse.

Every error carries a ``user_message`` a non-programmer can read and a
``hint`` saying what to do next. The dashboard shows both with ``st.error``;
the CLI prints ``error: <message> <hint>`` and exits 2.
"""

from __future__ import annotations


class ExplainerError(Exception):
    """Base class: a problem with the user's input, explained in plain words."""

    default_hint = "Check the file and try again."

    def __init__(self, user_message: str, hint: str | None = None) -> None:
        self.user_message = user_message
        self.hint = hint if hint is not None else self.default_hint
        super().__init__(f"{user_message} {self.hint}".strip())


class ModelLoadError(ExplainerError):
    """The model file could not be read, or was refused as unsafe."""

    default_hint = (
        "Upload a scikit-learn, xgboost or lightgbm model saved with pickle, joblib or skops."
    )


class DataValidationError(ExplainerError, ValueError):
    """The dataset cannot be read or does not fit the model."""

    default_hint = "Upload a CSV or Parquet file with one row per case and the model's columns."


class UnsupportedModelError(ExplainerError):
    """The object loaded, but whybox cannot explain it."""

    default_hint = "Upload a fitted model that has predict or predict_proba."


class AttributionError(ExplainerError):
    """An explanation failed its own correctness check."""

    default_hint = "Report this model to the whybox developers; the explanation was not shown."


CANCELLED = "The explanation was cancelled after {done:,} of {total:,} rows."
CANCELLED_HINT = "Start it again to explain every row."


class ExplanationCancelled(ExplainerError):
    """The user cancelled a long explanation."""

    default_hint = CANCELLED_HINT


def describe(error: ExplainerError) -> str:
    """One line for the CLI: the message followed by the hint."""
    return f"{error.user_message} {error.hint}".strip()
