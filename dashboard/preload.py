"""Have the browser load the chart library while the first page is still computing."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

_REQUESTED = "whybox.chart_library_requested"
_KEY = "whybox_chart_preload"


def request_chart_library() -> None:
    """Once a session, put a hidden, empty chart in the sidebar.

    Streamlit's browser code fetches and compiles plotly.js (4.7 MB) only when the
    first chart arrives; on the demo that took 1.5 s after the chart's data came.
    Sent ahead, this empty chart starts that work while the server is still
    importing and explaining, or while the user fills in the upload form. Later
    runs leave it out, so Streamlit removes it; the library stays loaded.

    Call it only where charts are coming: the compile keeps the browser busy, and
    on a page without charts it delayed the page's own widgets by up to a second.
    """
    if st.session_state.get(_REQUESTED):
        return
    st.session_state[_REQUESTED] = True
    with st.sidebar.container(key=_KEY):
        hidden = f".st-key-{_KEY}, *:has(> .st-key-{_KEY})"  # and its wrapper (no gap)
        st.html(f"<style>{hidden} {{ display: none; }}</style>")
        st.plotly_chart(go.Figure(), config={"displayModeBar": False})
