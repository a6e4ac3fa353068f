"""What matters overall: importance bars, beeswarm, dependence with interaction colour.

Global SHAP runs in worker processes; while it runs, the page shows the
importances of the rows finished so far (a random sample, with whiskers) and
a progress bar with a Cancel button.
"""

import time

import streamlit as st

from dashboard import analysis_views, cache, charts, decision_views
from dashboard.views import class_picker, explain_chart, require_workspace, show_error
from explainers.errors import ExplainerError
from explainers.naming import feature_label
from explainers.results import global_importance

ws, prepared = require_workspace()
st.title("What matters overall")
class_picker(ws, prepared.bundle)
names = cache.display_names(ws)
n_total = len(prepared.X)
try:
    job = cache.global_shap_job(ws, restart_cancelled=False)
    bar, cancel, live = st.empty(), st.empty(), st.empty()
    cancel.button("Cancel", on_click=job.cancel, icon=":material/stop_circle:")
    shown = 0
    while not job.done():  # the work runs in worker processes; this thread only polls
        done, total = job.progress()
        bar.progress(done / total, text=f"Explained {done:,} of {total:,} rows…")
        if done > shown and (partial := job.partial()) is not None:
            shown = done
            with live.container():
                st.caption(
                    f"First look, refining: based on a random sample of {partial.n_rows:,} of "
                    f"{n_total:,} rows (seed 0); whiskers show the 95% range."
                )
                bars = charts.importance_bar(global_importance(partial), display_names=names)
                st.plotly_chart(bars, key=f"first_look_{shown}")
        time.sleep(0.3)
    for slot in (bar, cancel, live):
        slot.empty()
    attribution = job.partial() if job.cancelled else cache.global_shap(ws)
    if attribution is None or (job.cancelled and st.button("Explain every row")):
        cache.global_shap_job(ws)
        st.rerun()
    if job.cancelled:
        st.warning(f"Cancelled: the charts use the {attribution.n_rows:,} rows explained so far.")
    explained = attribution.n_rows
    attribution = analysis_views.follow_cohort(ws, attribution, n_total)
except ExplainerError as error:
    show_error(error)
    st.stop()
basis = (
    f"all {n_total:,} rows"
    if explained == n_total
    else f"a random sample of {explained:,} of {n_total:,} rows (seed 0)"
)
if attribution.n_rows != explained:
    basis = f"the {attribution.n_rows:,} rows of the cohort among {basis}"
st.caption(
    f"Based on {basis}. Method: {attribution.method}; values in "
    f"{charts.units_text(attribution.output_space)}. {charts.space_note(attribution.output_space)}"
)

importance = global_importance(attribution)
st.plotly_chart(charts.importance_bar(importance, display_names=names), key="importance")
explain_chart(
    "Average size of each column's effect on the prediction; whiskers show the 95% range of "
    "that average."
)

event = st.plotly_chart(
    charts.beeswarm(attribution, display_names=names),
    key="beeswarm", on_select="rerun", selection_mode="points",
)  # fmt: skip
explain_chart(
    "Each dot is one row. Right of zero pushes the prediction up, left pushes it down; the "
    "colour is the column's value (blue low, orange high). Click a dot to open that row."
)

feature_options = list(importance.feature_names)
left, right = st.columns(2)
feature = left.selectbox(
    "Column to inspect", feature_options, format_func=lambda f: feature_label(f, names)
)
partner = charts.interaction_partner(attribution, feature)
colour_options = [c for c in attribution.feature_names if c != feature]
colour_by = right.selectbox(
    "Colour by (strongest interaction first)",
    colour_options,
    index=colour_options.index(partner) if partner in colour_options else 0,
    format_func=lambda f: feature_label(f, names),
)
shap_col, pdp_col = st.columns(2)
with shap_col:
    dependence_event = st.plotly_chart(
        charts.dependence(attribution, feature, colour_by=colour_by, display_names=names),
        key="dependence", on_select="rerun", selection_mode="points",
    )  # fmt: skip
    colour_note = (  # a model of one column has nothing to colour by
        f"; the colour shows {feature_label(colour_by, names)}, the column it interacts with most"
        if colour_by is not None
        else ""
    )
    explain_chart(
        f"SHAP: how the value of {feature_label(feature, names)} (across) changes its effect "
        f"(up and down){colour_note}."
    )
with pdp_col:
    analysis_views.pdp_panel(ws, feature, names)

for selection in (event, dependence_event):
    points = (selection or {}).get("selection", {}).get("points", [])
    if points and "customdata" in points[0]:
        row_id = points[0]["customdata"]
        decision_views.open_row(prepared.X.index[prepared.X.index.astype(str) == str(row_id)][0])
