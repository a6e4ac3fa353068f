"""Widgets shared by the model-health pages (rendering only; caches live in health_cache)."""

from __future__ import annotations

import streamlit as st

from dashboard import actions, cache
from dashboard import health_cache as hc
from dashboard.health_charts import SEVERITY_WORDS
from dashboard.state import Workspace
from dashboard.text import escape_markdown as md
from dashboard.views import show_error
from explainers.data_quality import Finding
from explainers.errors import ExplainerError

# How each severity is drawn: (Streamlit element, icon, word); the words match the charts.
SEVERITY_STYLE: dict[str, tuple[str, str, str]] = {
    "high": ("warning", ":material/error:", SEVERITY_WORDS["high"]),
    "medium": ("warning", ":material/warning:", SEVERITY_WORDS["medium"]),
    "low": ("info", ":material/info:", SEVERITY_WORDS["low"]),
    "info": ("success", ":material/check_circle:", SEVERITY_WORDS["info"]),
}


def show_findings(findings: tuple[Finding, ...]) -> None:
    """Each finding as one sentence, with its severity as an icon and a word."""
    for finding in findings:
        element, icon, word = SEVERITY_STYLE[finding.severity]
        getattr(st, element)(
            f"**{word}: {md(finding.title)}.** {md(finding.sentence)}",
            icon=icon,
        )


def dataset_uploader(ws: Workspace, key: str, label: str, help_text: str) -> None:
    """A CSV/Parquet uploader whose file is checked, then kept for this workspace."""
    file = st.file_uploader(label, type=["csv", "parquet"], key=f"{key}.widget", help=help_text)
    if file is None:
        return
    try:
        upload = actions.uploaded(file.name, file.getvalue())
        cache.dataset(upload)
    except ExplainerError as error:
        show_error(error)
        return
    st.session_state[key] = (ws.files_key, upload)


def split_picker(ws: Workspace) -> None:
    """Pick a column of the loaded data that marks training and test rows."""
    frame, features = cache.frame(ws), set(cache.prepared(ws).bundle.feature_names)
    candidates = [
        str(c) for c in frame.columns
        if c != ws.target and c not in features and 2 <= frame[c].nunique() <= 10
    ]  # fmt: skip
    if not candidates:
        return
    options = [hc.NONE, *candidates]
    stored = hc.stored(ws, hc.SPLIT)
    column, train, test = stored if isinstance(stored, tuple) else (hc.NONE, None, None)
    column = st.selectbox(
        "…or a column that marks training and test rows",
        options,
        index=options.index(column),
        key="health_split_column",
    )
    if column == hc.NONE:
        st.session_state.pop(hc.SPLIT, None)
        return
    values = sorted(frame[column].dropna().astype(str).unique())
    left, right = st.columns(2)
    train = left.selectbox(
        "Training rows are marked",
        values,
        index=values.index(train) if train in values else 0,
        key="health_split_train",
    )
    test = right.selectbox(
        "Test rows are marked",
        values,
        index=values.index(test) if test in values else 1,
        key="health_split_test",
    )
    st.session_state[hc.SPLIT] = (ws.files_key, (column, train, test))


def threshold_slider(label: str, *, key: str) -> float:
    """The decision threshold, shared by the pages that draw this slider (one ``key`` each)."""
    if key not in st.session_state:
        st.session_state[key] = float(st.session_state.get(hc.THRESHOLD, 0.5))
    value = float(st.slider(label, 0.0, 1.0, step=0.01, key=key))
    st.session_state[hc.THRESHOLD] = value
    return value
