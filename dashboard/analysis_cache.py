"""Cache wrappers of the error analysis and of partial dependence.

The error tree is grown on every labelled row of the test data (whatever
cohort the pages follow), from the model outputs the health pages already
computed; partial dependence runs through
:func:`explainers.model_calls.run_model_task` on the followed cohort's rows.
Keys are the workspace key and the rows' keys; the workspace travels as ``_ws``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard import cache
from dashboard import health_cache as hc
from dashboard.state import Workspace
from explainers.error_analysis import (
    ErrorHeatmap,
    ErrorTree,
    ModelErrors,
    error_heatmap,
    error_tree,
    prediction_errors,
)
from explainers.errors import DataValidationError
from explainers.model_calls import run_model_task
from explainers.partial_dependence import FeatureDependence, feature_dependence

NO_COHORT_ROWS = "No row of {name} is in the cohort '{cohort}'."
NO_COHORT_ROWS_HINT = "Pick another cohort in the sidebar, or “All rows”."


@dataclass(frozen=True, slots=True)
class ErrorAnalysis:
    """The model's errors on the labelled test rows and the tree grown on them."""

    errors: ModelErrors
    tree: ErrorTree
    X: pd.DataFrame
    source_name: str


@st.cache_data(max_entries=16, show_spinner=False)
def _analysis(key: str, source_key: hc.SourceKey, _ws: Workspace) -> ErrorAnalysis:
    source = hc.test_source(_ws).whole()
    data = hc.scored(_ws, source)
    if data.y_true is None:
        raise DataValidationError(hc.NO_TARGET, "")
    bundle = cache.prepared(_ws).bundle
    found = prediction_errors(
        bundle.labels_from_output(data.outputs), data.y_true,
        regression=bundle.task == "regression",
    )  # fmt: skip
    X = data.X.loc[list(found.row_ids)]
    return ErrorAnalysis(found, error_tree(X, found.errors, kind=found.kind), X, source.name)


def error_analysis(ws: Workspace) -> ErrorAnalysis:
    """The error tree of the test data (cached by content and target)."""
    return _analysis(ws.key, hc.test_source(ws).whole().key, ws)


@st.cache_data(max_entries=32, show_spinner=False)
def _heatmap(
    key: str, source_key: hc.SourceKey, features: tuple[str, str], _ws: Workspace
) -> ErrorHeatmap:
    analysis = error_analysis(_ws)
    return error_heatmap(analysis.X, analysis.errors.errors, features, kind=analysis.tree.kind)


def heatmap(ws: Workspace, features: tuple[str, str]) -> ErrorHeatmap:
    """Error by the bins of two features of the test data."""
    return _heatmap(ws.key, hc.test_source(ws).whole().key, features, ws)


def cohort_X(ws: Workspace) -> pd.DataFrame:
    """The loaded data's model inputs, only the followed cohort's rows.

    Raises
    ------
    DataValidationError
        When the cohort holds no row of the loaded data.
    """
    X = cache.prepared(ws).X
    rows = hc.workspace_rows(ws)
    if len(rows) == 0:
        cohort = hc.reference_source(ws).cohort
        raise DataValidationError(
            NO_COHORT_ROWS.format(name=ws.data.name, cohort=getattr(cohort, "name", "")),
            NO_COHORT_ROWS_HINT,
        )
    return X.loc[rows]


@st.cache_data(max_entries=64, show_spinner=False)
def _dependence(
    key: str, rows_key: hc.SourceKey, feature: str, _ws: Workspace
) -> FeatureDependence:
    lw = cache.loaded(_ws)
    return run_model_task(lw.bundle, feature_dependence, cohort_X(_ws), feature, output=lw.output)


def dependence(ws: Workspace, feature: str) -> FeatureDependence:
    """PDP and ICE of one feature on the followed cohort's rows (a sample of 300 when larger)."""
    return _dependence(ws.key, hc.reference_source(ws).key, feature, ws)
