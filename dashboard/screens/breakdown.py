"""One decision: the prediction, SHAP waterfall beside LIME, reasons, trust, recourse."""

import streamlit as st

from dashboard import cache, decision_views, state
from dashboard.views import require_workspace, show_error
from explainers.errors import ExplainerError

ws, prepared = require_workspace()
st.title("One decision")
row_id = decision_views.pick_row(ws, prepared.X)
try:
    with st.spinner("Explaining this row…"):
        decision = cache.decision(ws, row_id)
except ExplainerError as error:
    show_error(error)
    st.stop()

if st.session_state.get(state.PRESENTER):
    decision_views.presenter_view(decision)
    st.stop()

decision_views.show_decision(decision)
st.page_link("screens/what_if.py", label="Try changing this row's values", icon=":material/tune:")
decision_views.report_downloads(ws, row_id)
