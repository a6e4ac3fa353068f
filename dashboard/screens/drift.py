"""Drift: how current data, the model's scores and its explanations moved from the reference."""

import streamlit as st

from dashboard import analysis_views, cache, health_charts
from dashboard import health_cache as hc
from dashboard import health_views as hv
from dashboard.text import escape_markdown as md
from dashboard.views import explain_chart, require_workspace, show_error
from explainers.errors import ExplainerError
from explainers.naming import feature_label

ws, prepared = require_workspace()
st.title("Drift")
with st.expander("Current data", expanded=hc.current_source(ws) is None):
    hv.dataset_uploader(
        ws, hc.CURRENT_DATA, "Current data (CSV or Parquet)",
        "Recent cases the model now scores, with the same columns as the loaded data.",
    )  # fmt: skip
current = hc.current_source(ws)
if current is None:
    st.info(hc.NO_CURRENT, icon=":material/waves:")
    st.stop()
try:
    with st.spinner("Comparing the two datasets…"):
        report = hc.drift(ws, current)
except ExplainerError as error:
    show_error(error)
    st.stop()
st.caption(
    f"Reference: {md(report.reference_name)} ({report.data.n_reference:,} rows). "
    f"Current: {md(report.current_name)} ({report.data.n_current:,} rows)."
)
analysis_views.source_caption(ws, hc.reference_source(ws), current)
hv.show_findings(report.prediction.findings + report.data.findings + report.attribution.findings)

names = cache.display_names(ws)
st.plotly_chart(health_charts.psi_figure(report.data, display_names=names), key="psi")
explain_chart(
    "How far each feature's distribution moved (PSI): below 0.1 is stable, above 0.25 a major "
    "shift, and “possible” when the samples are too small to be sure; hover for the test."
)
features = [d.feature for d in report.data.features]
feature = st.selectbox(
    "Feature to compare",
    features,
    key="drift_feature",
    format_func=lambda f: feature_label(f, names),
)
chosen = health_charts.distribution_figure(report.data.feature(feature), display_names=names)
st.plotly_chart(chosen, key="feature")
explain_chart(
    f"Share of rows in each range or category of {feature_label(feature, names)}, reference "
    "beside current."
)
st.plotly_chart(health_charts.distribution_figure(report.prediction.drift), key="prediction")
explain_chart("The model's scores on the reference beside the current data: a move here changes "
              "decisions even if each feature moved only a little.")  # fmt: skip
ranks = health_charts.attribution_drift_figure(report.attribution, display_names=names)
st.plotly_chart(ranks, key="attribution")
explain_chart(
    "Each line is a feature's importance rank in the reference and in the current data; "
    "steep lines mean the model now relies on different things."
)
