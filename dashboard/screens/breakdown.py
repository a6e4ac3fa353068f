"""One decision: the prediction, SHAP waterfall beside LIME, reasons, trust, recourse."""

import streamlit as st

from dashboard import cache, charts, decision_views, state
from dashboard.views import explain_chart, require_workspace, show_error
from explainers.errors import ExplainerError
from explainers.reasons import display_view
from explainers.trust import assess_agreement, lime_stability

ws, prepared = require_workspace()
bundle = prepared.bundle
st.title("One decision")
row_id = decision_views.pick_row(ws, prepared.X)
row = cache.row_frame(ws, row_id)
names = cache.display_names(ws)
try:
    with st.spinner("Explaining this row…"):
        shap_row = cache.row_shap(ws, row)
        reasons = cache.decision_reasons(ws, shap_row)
        recourse = (
            cache.recourse(ws, row, cache.default_fixed(ws))
            if bundle.task != "regression" and reasons.favourable is False
            else None
        )
except ExplainerError as error:
    show_error(error)
    st.stop()

if st.session_state.get(state.PRESENTER):
    decision_views.presenter_view(reasons, recourse)
    st.stop()

decision_views.show_reasons(reasons)
shap_col, lime_col = st.columns(2)
with shap_col:
    shown = display_view(shap_row, binary=bundle.task == "binary")
    st.plotly_chart(charts.waterfall(shown, display_names=names), key="waterfall")
    explain_chart(
        f"SHAP ({shown.method}): from the average {shown.output_label} at the top to this "
        f"row's at the bottom; each bar is one column's push, in "
        f"{charts.units_text(shown.output_space)}. {charts.space_note(shown.output_space)}"
    )
with lime_col:
    try:
        with st.spinner("Fitting LIME…"):
            lime_row = cache.row_lime(ws, row)
            stability = lime_stability(
                lambda seed: decision_views.lime_seed_values(ws, row, seed), seeds=(0, 1, 2)
            )
    except ExplainerError as error:
        show_error(error)
        st.stop()
    score = float(lime_row.surrogate_score[0]) if lime_row.surrogate_score is not None else 0.0
    st.plotly_chart(
        charts.contribution_bars(
            lime_row, display_names=names, title=f"LIME (local fit R² = {score:.2f})"
        ),
        key="lime",
    )
    explain_chart(
        "LIME fits a simple model around this row; bars are its weights in "
        f"{charts.units_text(lime_row.output_space)}. It is approximate: a low fit R² means it "
        "describes this row poorly."
    )
decision_views.show_trust(
    assess_agreement(shown, lime_row, lime_stability=stability, display_names=names)
)
if recourse is not None:
    decision_views.show_recourse(recourse)
st.page_link("screens/what_if.py", label="Try changing this row's values", icon=":material/tune:")
decision_views.report_downloads(ws, row_id)
