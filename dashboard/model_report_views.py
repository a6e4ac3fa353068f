"""The Overview page's whole-model report: made on request, then downloaded as HTML or PDF.

Nothing is computed (or imported) until the button is pressed, so the
Overview stays quick; then the report's outputs and SHAP values come from the
health pages' caches (the worker pool), with a spinner.
"""

from __future__ import annotations

import streamlit as st

from dashboard.state import Workspace
from dashboard.views import report_buttons, show_error
from explainers.errors import ExplainerError

READY = "whybox.model_report_ready"


def model_report_downloads(ws: Workspace) -> None:
    """A button that prepares the whole-model report, then its two download buttons."""
    st.subheader("Report on the whole model")
    st.caption(
        "Performance and overfitting, what matters, fairness, data quality, drift and where the "
        "model is most often wrong, for every row; the file opens offline and nothing is sent "
        "anywhere."
    )
    key = (ws.key, ws.settings_key)
    if st.session_state.get(READY) != key:
        slot = st.empty()
        if not slot.button("Prepare the report", icon=":material/description:"):
            return
        slot.empty()
        st.session_state[READY] = key
    from dashboard import model_report_cache

    try:
        sources = model_report_cache.report_sources(ws)
        with st.spinner("Measuring the whole model…"):
            model_report_cache.summary(ws, sources)
    except ExplainerError as error:
        show_error(error)
        return
    report_buttons(
        lambda fmt: model_report_cache.model_report_bytes(ws, sources, fmt),
        stem="model-report", key="model_report", mime=model_report_cache.MIME,
    )  # fmt: skip
