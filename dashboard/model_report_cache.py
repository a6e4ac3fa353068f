"""The whole-model report for the Overview page's download buttons (cached, built when clicked).

The report is assembled by :func:`explainers.model_summary.summarise_model`,
the function ``whybox model-report`` uses, from the health pages' cached
outputs and SHAP values (computed in the worker pool): the test data, the
training data (overfitting), and the current data against the loaded data
(drift). It covers every row, whatever cohort the pages follow. The datasets
are picked during the page's run (:func:`report_sources`, which reads the
session's uploads) and handed to the download, which may run outside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboard import cache
from dashboard import health_cache as hc
from dashboard.model_report import model_report_html, model_report_pdf
from dashboard.report_cache import MIME, ReportFormat
from dashboard.state import Workspace
from explainers.model_summary import ModelSummary, ScoredData, summarise_model
from sample_models import DEMOS

__all__ = ["MIME", "ReportSources", "model_report_bytes", "report_sources", "summary"]


@dataclass(frozen=True, slots=True)
class ReportSources:
    """The datasets a whole-model report is made from (every row of each)."""

    test: hc.Source
    train: hc.Source | None
    current: hc.Source | None
    reference: hc.Source

    @property
    def key(self) -> tuple[object, ...]:
        """What identifies them in a cache key."""
        return tuple(None if s is None else s.key for s in (self.test, self.train, self.current))


def report_sources(ws: Workspace) -> ReportSources:
    """The test, training, current and reference data, as the health pages find them."""
    train, current = hc.training_source(ws), hc.current_source(ws)
    return ReportSources(
        hc.test_source(ws).whole(),
        None if train is None else train.whole(),
        None if current is None else current.whole(),
        hc.reference_source(ws).whole(),
    )


def _scored(
    ws: Workspace, source: hc.Source | None, output: int, *, explain: bool
) -> ScoredData | None:
    if source is None:
        return None
    data = hc.scored(ws, source)
    attribution = hc.attribution(ws, source, output) if explain else None
    return ScoredData(source.name, data.frame, data.X, data.y_true, data.outputs, attribution)


def _output(ws: Workspace) -> int:
    regression = cache.prepared(ws).bundle.task == "regression"
    return cache.output_index(ws) if regression else cache.favourable_index(ws)


@st.cache_data(max_entries=8, show_spinner=False)
def _summary(
    key: str, settings_key: str, keys: tuple[object, ...], _ws: Workspace, _sources: ReportSources
) -> ModelSummary:
    output = _output(_ws)
    demo = DEMOS.get(_ws.is_demo or "")
    test = _scored(_ws, _sources.test, output, explain=True)
    assert test is not None
    return summarise_model(
        cache.prepared(_ws).bundle, test, settings=_ws.settings, output=output,
        train=_scored(_ws, _sources.train, output, explain=False),
        current=_scored(_ws, _sources.current, output, explain=True),
        reference=_scored(_ws, _sources.reference, output, explain=True),
        model_name=_ws.model.name, model_card=demo.model_card() if demo else None,
    )  # fmt: skip


def summary(ws: Workspace, sources: ReportSources) -> ModelSummary:
    """The whole model's report content (cached by content, sources and settings)."""
    return _summary(ws.key, ws.settings_key, sources.key, ws, sources)


def model_report_bytes(ws: Workspace, sources: ReportSources, fmt: ReportFormat) -> bytes:
    """The whole-model report as an HTML or PDF file."""
    content = summary(ws, sources)
    if fmt == "pdf":
        return model_report_pdf(content)
    return model_report_html(content).encode("utf-8")
