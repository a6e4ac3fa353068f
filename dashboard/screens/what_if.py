"""What if: edit a row's values and see the new prediction and breakdown at once."""

import pandas as pd
import streamlit as st

from dashboard import cache, charts, decision_views
from dashboard.text import escape_markdown as md
from dashboard.views import explain_chart, require_workspace, show_error
from explainers.errors import ExplainerError
from explainers.naming import feature_label
from explainers.reasons import display_view, format_value
from explainers.results import global_importance
from explainers.what_if import apply_edits, changed_columns, controls_for, outcome_sentence

ws, prepared = require_workspace()
st.title("What if…")
row_id = decision_views.pick_row(ws, prepared.X)
row = cache.row_frame(ws, row_id)
names = cache.display_names(ws)
order = global_importance(cache.global_shap(ws)).feature_names
controls = {c.column: c for c in controls_for(prepared.X)}

edits: dict[str, object] = {}
st.caption("Change any value; the prediction and the chart update straight away.")
if st.button("Reset to the original values"):
    for column in order:
        st.session_state.pop(f"whatif_{row_id}_{column}", None)
columns = st.columns(3)
for position, column in enumerate(order):
    control, current = controls[column], row[column].iloc[0]
    label, key = md(feature_label(column, names)), f"whatif_{row_id}_{column}"
    with columns[position % 3]:
        if control.kind == "select":
            options = list(control.options)
            index = options.index(current) if current in options else 0
            edits[column] = st.selectbox(label, options, index=index, format_func=format_value,
                                         key=key)  # fmt: skip
        elif pd.isna(current) or control.low == control.high:
            st.text_input(label, value=format_value(current), disabled=True, key=key)
        elif control.kind == "slider_int":
            edits[column] = st.slider(label, int(control.low), int(control.high), int(current),
                                      key=key)  # fmt: skip
        else:
            edits[column] = st.slider(label, control.low, control.high, float(current),
                                      step=control.step, format=control.number_format,
                                      key=key)  # fmt: skip

edited = apply_edits(row, edits)
k = cache.output_index(ws)
try:
    outputs = cache.row_outputs(ws, pd.concat([row, edited]))
    before, after = (float(v) for v in outputs[:, k])
    shap_edited = display_view(cache.row_shap(ws, edited), binary=prepared.bundle.task == "binary")
except ExplainerError as error:
    show_error(error)
    st.stop()
changed = changed_columns(row, edited)
st.metric(
    md(prepared.bundle.prediction_name(k).capitalize()),
    f"{after:.3f}", delta=f"{after - before:+.3f}" if changed else None,
)  # fmt: skip
changed_text = ", ".join(feature_label(c, names) for c in changed)
st.caption(f"Changed: {md(changed_text)}" if changed else "No changes yet.")
if prepared.bundle.task != "regression":
    favourable = cache.favourable_index(ws)
    sentence = outcome_sentence(
        ws.settings, prepared.bundle.task, outputs, favourable, changed=bool(changed)
    )
    st.markdown(md(sentence))
st.plotly_chart(
    charts.waterfall(shap_edited, display_names=names, title="Why the edited row gets this"),
    key="whatif_waterfall",
)
explain_chart(
    f"The edited row's breakdown in {charts.units_text(shap_edited.output_space)}: the average "
    "prediction at the "
    "top, each column's push, and the new prediction at the bottom."
)
