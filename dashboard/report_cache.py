"""Cached report files for the "One decision" page's download buttons.

A report renders the row's :class:`~explainers.decision.Decision` from
:func:`dashboard.cache.decision`, the same object the page shows, so a
downloaded report says what the page says. Keys are the upload digests, the
target, the row, the output explained and the settings; the workspace itself
is passed as ``_ws`` and left out of the key.
"""

from __future__ import annotations

from typing import Literal

import streamlit as st

from dashboard import cache
from dashboard.report import report_html, report_pdf
from dashboard.state import Workspace

ReportFormat = Literal["html", "pdf"]
MIME: dict[str, str] = {"html": "text/html", "pdf": "application/pdf"}


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
    decision = cache.decision(_ws, row_id)
    other = None if _challenger is None else cache.decision(_challenger, row_id)
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
