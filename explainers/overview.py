"""Plain-words summaries of a model and a dataset for the Overview page."""

from __future__ import annotations

import numpy as np
import pandas as pd

from explainers.encoding import is_categorical
from explainers.model_bundle import ModelBundle


def column_profile(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per column: kind, missing values, distinct values, an example."""
    rows = []
    for column in frame.columns:
        series = frame[column]
        rows.append(
            {
                "column": str(column),
                "kind": "category" if is_categorical(series) else "number",
                "missing": int(series.isna().sum()),
                "distinct values": int(series.nunique(dropna=True)),
                "example": str(series.dropna().iloc[0]) if series.notna().any() else "",
            }
        )
    return pd.DataFrame(rows)


def describe_model_in_words(
    bundle: ModelBundle, X: pd.DataFrame, *, target: str | None, output: int
) -> str:
    """One or two sentences a non-programmer can read."""
    what = f"“{target}”" if target else "its outcome"
    n_features = len(bundle.feature_names)
    if bundle.task == "regression":
        predictions = bundle.predict_output(X)[:, 0]
        low, high = np.percentile(predictions, [5, 95])
        return (
            f"This {bundle.name} predicts {what} as a number from {n_features} columns. "
            f"On these {len(X):,} rows most predictions lie between {low:,.4g} and {high:,.4g}."
        )
    labels = bundle.predict_labels(X)
    label = bundle.output_labels[output]
    share = float(np.mean(labels == label))
    classes = " or ".join(f"“{c}”" for c in bundle.output_labels)
    return (
        f"This {bundle.name} predicts {what} ({classes}) from {n_features} columns. "
        f"It predicts “{label}” for {share:.0%} of these {len(X):,} rows."
    )
