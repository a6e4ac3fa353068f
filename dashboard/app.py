"""whybox: the Streamlit entry point (navigation and the shared sidebar)."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# An emoji favicon is drawn by the browser; a ":material/...:" one is fetched from Google.
st.set_page_config(page_title="whybox", page_icon="🔍", layout="wide")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app.py` from a checkout
    sys.path.insert(0, str(ROOT))

from dashboard import state  # noqa: E402
from dashboard.operator_env import starts_with_demo  # noqa: E402
from dashboard.preload import request_chart_library  # noqa: E402
from sample_models import DEMOS, START_DEMO  # noqa: E402

DEMO_STARTED = "whybox.demo_started"
opens_demo = starts_with_demo() and DEMO_STARTED not in st.session_state
charts_coming = (
    opens_demo or state.workspace() is not None or state.demo_button_pressed(DEMOS.keys())
)
if charts_coming:  # have the browser load plotly.js now, before the imports below,
    request_chart_library()  # which can wait on the server's warm-up

from dashboard import actions, warm_up  # noqa: E402
from dashboard.views import show_error, show_unexpected, sidebar_summary  # noqa: E402
from explainers.errors import ExplainerError  # noqa: E402

# Not "pages/": Streamlit treats a pages/ folder beside the entry point as its old
# multipage layout, and a deep link (or a refresh) would run a page without this file.
SCREENS = Path(__file__).resolve().parent / "screens"

if opens_demo:
    st.session_state[DEMO_STARTED] = True
    try:
        actions.activate(actions.demo_workspace(START_DEMO))
    except ExplainerError as error:
        show_error(error)


def page(file: str, title: str, icon: str, *, default: bool = False) -> st.Page:
    return st.Page(str(SCREENS / file), title=title, icon=icon, default=default)


has_model = state.workspace() is not None
navigation = st.navigation(
    {
        "Start": [
            page("upload.py", "Load a model", ":material/upload_file:", default=not has_model)
        ],
        "Explain": [
            page("overview.py", "Overview", ":material/explore:", default=has_model),
            page("global_importance.py", "What matters overall", ":material/bar_chart:"),
            page("breakdown.py", "One decision", ":material/person_search:"),
            page("what_if.py", "What if…", ":material/tune:"),
            page("compare.py", "Compare models", ":material/compare_arrows:"),
        ],
        "Model health": [
            page("performance.py", "Performance", ":material/target:"),
            page("fairness.py", "Fairness", ":material/balance:"),
            page("data_quality.py", "Data quality", ":material/cleaning_services:"),
            page("drift.py", "Drift", ":material/waves:"),
            page("error_analysis.py", "Error analysis", ":material/troubleshoot:"),
            page("cohorts.py", "Cohorts", ":material/filter_alt:"),
        ],
    }
)
try:
    sidebar_summary()
    navigation.run()
except Exception as unexpected:  # a fault in a page: one st.error, never a traceback
    show_unexpected(unexpected)
warm_up.first_page_sent()
