"""Cached report files for the "One decision" page's download buttons.

A report renders the row's :class:`~explainers.decision.Decision` from
:func:`dashboard.cache.decision`, the same object the page shows, so a
downloaded report says what the page says. Keys are the workspace key, the
settings and the row; the workspace itself is passed as ``_ws`` and left out of
the key.
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
    key: str,
    settings_key: str,
    row_id: object,
    fmt: ReportFormat,
    challenger_key: str | None,
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
    challenger_key = None if challenger is None else challenger.key
    return _report(ws.key, ws.settings_key, row_id, fmt, challenger_key, ws, challenger)
