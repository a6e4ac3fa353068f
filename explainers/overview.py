"""Plain-words summaries of a model and a dataset for the Overview page."""

from __future__ import annotations

import numpy as np
import pandas as pd

from explainers.encoding import is_categorical
from explainers.model_bundle import ModelBundle, model_outputs
from explainers.model_calls import run_model_task
from explainers.results import GlobalImportance

_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


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
        predictions = run_model_task(bundle, model_outputs, X)[:, 0]
        low, high = np.percentile(predictions, [5, 95])
        return (
            f"This {bundle.name} predicts {what} as a number from {n_features} columns. "
            f"On these {len(X):,} rows most predictions lie between {low:,.4g} and {high:,.4g}."
        )
    labels = bundle.labels_from_output(run_model_task(bundle, model_outputs, X))
    label = bundle.output_labels[output]
    share = float(np.mean(labels == label))
    classes = " or ".join(f"“{c}”" for c in bundle.output_labels)
    return (
        f"This {bundle.name} predicts {what} ({classes}) from {n_features} columns. "
        f"It predicts “{label}” for {share:.0%} of these {len(X):,} rows."
    )


def describe_importance(importance: GlobalImportance, *, top_n: int) -> str:
    """The caption of the top-``top_n`` importance chart, counting the columns it shows.

    Examples
    --------
    >>> imp = GlobalImportance(
    ...     feature_names=("a", "b"), mean_abs=np.array([0.2, 0.1]), spread=np.zeros(2),
    ...     n_rows=50, method="TreeSHAP", output_space="probability",
    ...     output_label="probability of good")
    >>> describe_importance(imp, top_n=8)[:60]
    "The two columns that move the model's probability of good th"
    """
    n = min(top_n, len(importance.feature_names))
    count = _NUMBER_WORDS[n] if n < len(_NUMBER_WORDS) else f"{n:,}"
    columns = "column that moves" if n == 1 else f"{count} columns that move"
    return (
        f"The {columns} the model's {importance.output_label} the most, on average over "
        f"{importance.n_rows:,} rows. Longer bars matter more; the whiskers are 95% ranges."
    )
