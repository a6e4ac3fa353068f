"""Explain a whole dataset into one table: the ``whybox explain`` output format."""

from __future__ import annotations

from typing import Literal

import pandas as pd

from explainers.lime_attributions import explain_lime
from explainers.model_bundle import ModelBundle
from explainers.results import Attribution
from explainers.shap_attributions import explain_shap

Method = Literal["shap", "lime", "both"]
METHODS: frozenset[str] = frozenset({"shap", "lime", "both"})


def attribution_table(attribution: Attribution, *, prefix: str = "") -> pd.DataFrame:
    """Base value, one column per feature, and LIME's fit score when present."""
    table = pd.DataFrame(
        attribution.values,
        columns=[f"{prefix}{name}" for name in attribution.feature_names],
    )
    table.insert(0, f"{prefix}base_value", attribution.base_values)
    if attribution.surrogate_score is not None:
        table[f"{prefix}fit_score"] = attribution.surrogate_score
    return table


def explain_table(
    bundle: ModelBundle,
    X: pd.DataFrame,
    *,
    method: Method = "shap",
    output: int | None = None,
    random_state: int = 0,
) -> pd.DataFrame:
    """One row per input row: id, prediction, base value(s), one attribution per feature.

    With ``method="both"`` the SHAP and LIME columns are prefixed ``shap.`` and
    ``lime.``. The output space is recorded in the ``output_space`` column.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}.")
    k = bundle.default_output if output is None else output
    prediction = bundle.predict_output(X)[:, k]
    parts = [
        pd.DataFrame(
            {
                "row_id": list(X.index),
                "prediction": prediction,
                "predicted_label": bundle.predict_labels(X).astype(str),
            }
        )
    ]
    spaces = []
    if method in ("shap", "both"):
        shap_attr = explain_shap(bundle, X, output=k, random_state=random_state)
        parts.append(attribution_table(shap_attr, prefix="shap." if method == "both" else ""))
        spaces.append(shap_attr.output_space)
    if method in ("lime", "both"):
        lime_attr = explain_lime(bundle, X, output=k, random_state=random_state)
        parts.append(attribution_table(lime_attr, prefix="lime." if method == "both" else ""))
        spaces.append(lime_attr.output_space)
    table = pd.concat(parts, axis=1)
    table["output_space"] = "/".join(spaces)
    return table
