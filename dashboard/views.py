"""Small rendering helpers shared by the pages (no computation here)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import streamlit as st

from dashboard import cache, cohort_state, state
from dashboard.text import escape_markdown as md
from explainers.errors import ExplainerError
from explainers.loading import PreparedData
from explainers.model_bundle import ModelBundle
from explainers.model_formats import HOW_TO_SAVE

if TYPE_CHECKING:  # the report layer (fpdf) loads only on the pages that offer a report
    from dashboard.report_cache import ReportFormat

NO_MODEL = "No model is loaded yet."
UNEXPECTED = (
    "**whybox could not show this page: something unexpected went wrong ({kind}).**\n\n"
    "This is a fault in whybox, not in your files. Open another page or reload this one; "
    "if it happens again, tell the person who runs this server (the details are in its log)."
)
NO_PROBABILITIES = (
    "This classifier gives decision scores, not probabilities, so this page, which decides "
    "at a probability threshold, does not apply to it. Its explanations (in decision-score "
    "units) are on the Overview, What matters overall and One decision pages."
)


def show_error(error: ExplainerError) -> None:
    """The plain-language message and what to do, never a traceback."""
    st.error(
        f"**{md(error.user_message)}**\n\n{md(error.hint)}",
        icon=":material/error:",
    )


def safe_formats_note() -> None:
    """The upload page's advice: model files that are data load without running any code."""
    with st.expander("Safest: a model file that is data, not code", icon=":material/shield:"):
        st.markdown(
            "A pickle or joblib file is a program: whybox checks every step of it before "
            "loading, but a file that holds only numbers is safer still. Save yours like this "
            "and upload the file:"
        )
        st.markdown("\n".join(f"- **{library}**: `{call}`" for library, call in HOW_TO_SAVE))


def show_unexpected(error: Exception) -> None:
    """One plain error for a fault no page expected; the traceback goes to the server log."""
    logging.getLogger("whybox").error("page failed", exc_info=error)
    st.error(UNEXPECTED.format(kind=type(error).__name__), icon=":material/error:")


def require_workspace() -> tuple[state.Workspace, PreparedData]:
    """The loaded workspace, or a pointer to the upload page and stop."""
    ws = state.workspace()
    if ws is None:
        st.info(
            f"{NO_MODEL} Load the bundled demo or upload your own model first.",
            icon=":material/upload_file:",
        )
        st.page_link("screens/upload.py", label="Load a model", icon=":material/upload_file:")
        st.stop()
    try:
        return ws, cache.prepared(ws)
    except ExplainerError as error:
        show_error(error)
        st.stop()


def require_probabilities(bundle: ModelBundle) -> None:
    """Stop a page that needs probabilities, saying why, for a classifier without them."""
    if bundle.output_kind == "margin":
        st.info(NO_PROBABILITIES, icon=":material/info:")
        st.stop()


def explain_chart(text: str) -> None:
    """One sentence under a chart saying what it shows (it names columns: escaped)."""
    st.caption(md(text))


def report_buttons(
    make: Callable[[ReportFormat], bytes], *, stem: str, key: str, mime: Mapping[str, str]
) -> None:
    """HTML and PDF download buttons side by side; ``make(fmt)`` builds a file on its click."""
    formats: tuple[ReportFormat, ...] = ("html", "pdf")
    for col, fmt in zip(st.columns([1, 1, 2])[:2], formats, strict=True):
        col.download_button(
            f"Download {fmt.upper()}",
            data=lambda fmt=fmt: make(fmt),
            file_name=f"{stem}.{fmt}",
            mime=mime[fmt],
            on_click="ignore",
            icon=":material/download:",
            key=f"{key}_{fmt}",
        )


def sidebar_summary() -> None:
    """What is loaded, in the sidebar of every page."""
    ws = state.workspace()
    with st.sidebar:
        if ws is None:
            st.caption(NO_MODEL)
            return
        st.markdown(f"**{md(ws.title)}**")
        st.caption(f"Model: {md(ws.model.name)}  \nData: {md(ws.data.name)}")
        try:
            bundle = cache.prepared(ws).bundle
        except ExplainerError:
            return
        if bundle.task != "regression":
            st.caption(f"Explaining: **{md(bundle.output_labels[cache.output_index(ws)])}**")
        cohort_state.selector()
        st.toggle(
            "Presenter mode",
            key=state.PRESENTER,
            help="A plain view for people who do not read charts: large text, no jargon.",
        )


def class_picker(ws: state.Workspace, bundle: ModelBundle) -> None:
    """For multiclass models: which class the charts explain."""
    if bundle.task != "multiclass":
        return
    current = cache.output_index(ws)
    label = st.selectbox("Class to explain", bundle.output_labels, index=current)
    if label != bundle.output_labels[current]:
        state.set_workspace(ws.with_options(output_label=label))
        st.rerun()
