"""Cached decision summaries and report files for the breakdown page's download buttons.

Keys are the upload digests, the target, the row and the output explained;
the workspace itself is passed as ``_ws`` and left out of the key. The
summary is built by :func:`explainers.decision.summarise_decision`, the
same function ``whybox report`` uses.
"""

from __future__ import annotations

from typing import Literal

import streamlit as st

from dashboard import cache
from dashboard.cli import demo_model_card
from dashboard.report import report_html, report_pdf
from dashboard.state import Workspace
from explainers.decision import DecisionSummary, summarise_decision
from sample_models import DEMOS

ReportFormat = Literal["html", "pdf"]
MIME: dict[str, str] = {"html": "text/html", "pdf": "application/pdf"}


@st.cache_data(max_entries=64, show_spinner=False)
def _summary(
    model_digest: str,
    data_digest: str,
    target: str | None,
    row_id: object,
    output: int,
    settings_key: str,
    _ws: Workspace,
) -> DecisionSummary:
    prepared = cache.prepared(_ws)
    demo = DEMOS.get(_ws.is_demo or "")
    row_label = f"row {row_id}"
    if _ws.id_column:
        row_label = f"ID {cache.frame(_ws).loc[row_id, _ws.id_column]}"
    return summarise_decision(
        prepared,
        row_id,
        output=output,
        settings=_ws.settings,
        model_name=None if demo else _ws.model.name,
        model_card=demo_model_card(demo) if demo else None,
        data_name=_ws.data.name,
        row_label=row_label,
    )


def summary(ws: Workspace, row_id: object) -> DecisionSummary:
    """The full decision of one row (cached by content hash, settings, row and output)."""
    return _summary(
        ws.model.digest, ws.data.digest, ws.target, row_id, cache.output_index(ws),
        ws.settings_key, ws,
    )  # fmt: skip


@st.cache_data(max_entries=32, show_spinner=False)
def _report(
    model_digest: str,
    data_digest: str,
    target: str | None,
    row_id: object,
    output: int,
    fmt: ReportFormat,
    settings_key: str,
    challenger_digest: str | None,
    _ws: Workspace,
    _challenger: Workspace | None,
) -> bytes:
    decision = summary(_ws, row_id)
    other = None if _challenger is None else summary(_challenger, row_id)
    if fmt == "pdf":
        return report_pdf(decision, challenger=other)
    return report_html(decision, challenger=other).encode("utf-8")


def report_bytes(
    ws: Workspace, row_id: object, fmt: ReportFormat, *, challenger: Workspace | None = None
) -> bytes:
    """The decision report of one row as an HTML or PDF file (with a challenger: compared)."""
    return _report(
        ws.model.digest, ws.data.digest, ws.target, row_id, cache.output_index(ws), fmt,
        ws.settings_key, None if challenger is None else challenger.model.digest, ws, challenger,
    )  # fmt: skip
