"""Overview: the model, the data, and the first chart of what matters."""

import streamlit as st

from dashboard import cache, charts, model_report_views
from dashboard.text import escape_markdown as md
from dashboard.views import explain_chart, require_workspace, show_error
from explainers.errors import ExplainerError
from explainers.overview import column_profile, describe_importance, describe_model_in_words
from explainers.results import global_importance

ws, prepared = require_workspace()
bundle = prepared.bundle
st.title("Overview")
st.write(
    md(describe_model_in_words(bundle, prepared.X, target=ws.target, output=cache.output_index(ws)))
)
protection = cache.model_protections(ws)
if protection.contained:
    st.caption(f":material/shield: {protection.sentence}")
else:
    st.warning(protection.sentence, icon=":material/gpp_maybe:")
for warning in bundle.warnings:
    st.warning(md(warning), icon=":material/warning:")
for note in bundle.notes:
    st.info(md(note), icon=":material/info:")

try:
    with st.spinner(f"Explaining {len(cache.explained_rows(ws)):,} rows…"):
        attribution = cache.global_shap(ws)
except ExplainerError as error:
    show_error(error)
    st.stop()

model_col, data_col = st.columns(2)
with model_col, st.container(border=True):
    st.subheader("Model")
    st.markdown(
        f"- **Type:** {md(bundle.name)}\n"
        f"- **Task:** {bundle.task}"
        + (f" ({len(bundle.class_labels)} classes)" if bundle.task != "regression" else "")
        + f"\n- **Explanation method:** {attribution.method}"
        + (" (exact)" if attribution.exact else " (estimated from a sample)")
        + f"\n- **Output explained:** {md(charts.output_title(attribution))}"
    )
with data_col, st.container(border=True):
    st.subheader("Data")
    frame = prepared.frame
    st.markdown(
        f"- **Rows:** {len(frame):,}\n- **Columns:** {frame.shape[1]:,} "
        f"({len(bundle.feature_names)} used by the model)\n"
        f"- **Missing values:** {int(frame.isna().sum().sum()):,}\n"
        f"- **Target:** {md(ws.target or 'none chosen')}"
    )

importance, top_n = global_importance(attribution), 8
st.plotly_chart(
    charts.importance_bar(importance, top_n=top_n, display_names=cache.display_names(ws)),
    key="overview_importance",
)
explain_chart(describe_importance(importance, top_n=top_n))
if charts.space_note(attribution.output_space):
    st.caption(charts.space_note(attribution.output_space))
with st.expander("Every column of the dataset"):
    st.dataframe(column_profile(frame), hide_index=True)
model_report_views.model_report_downloads(ws)
