"""Compare models: a champion and a challenger on the same rows, and where they differ."""

import streamlit as st

from dashboard import compare_cache, compare_views
from dashboard.views import require_probabilities, require_workspace, show_error
from explainers.errors import ExplainerError

ws, prepared = require_workspace()
st.title("Compare models")
require_probabilities(prepared.bundle)
st.write(
    "The loaded model is the champion (A). Upload a challenger (B), for example a retrained "
    "version, to see how the two differ on the same rows."
)
challenger = compare_views.pick_challenger(ws)
if challenger is None:
    st.info("Pick a challenger model to compare.", icon=":material/compare_arrows:")
    st.stop()
cut = compare_views.thresholds(ws, prepared.bundle.task == "binary")
try:
    with st.spinner("Comparing the two models…"):
        comparison = compare_cache.comparison(ws, challenger, cut)
except ExplainerError as error:
    show_error(error)
    st.stop()
compare_views.show_summary(comparison)
compare_views.show_fairness_and_importance(comparison)
compare_views.show_differences(ws, challenger, comparison, cut)
compare_views.download_report(ws, challenger, comparison, cut)
