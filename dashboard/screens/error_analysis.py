"""Error analysis: a shallow tree over the features finds where the model is most often wrong."""

import streamlit as st

from dashboard import analysis_cache, analysis_charts, cache, cohort_state
from dashboard import health_cache as hc
from dashboard.text import escape_markdown
from dashboard.views import explain_chart, require_workspace, show_error
from explainers.errors import ExplainerError
from explainers.naming import feature_label

ws, prepared = require_workspace()
st.title("Error analysis")
if ws.target is None:
    st.info(hc.NO_TARGET, icon=":material/target:")
    st.stop()
names = cache.display_names(ws)
try:
    with st.spinner("Finding where the model is wrong…"):
        analysis = analysis_cache.error_analysis(ws)
except ExplainerError as error:
    show_error(error)
    st.stop()
tree = analysis.tree
fitted_on = "error (wrong = 1, right = 0)" if tree.kind == "error rate" else "absolute error"
st.caption(
    f"Grown on all {tree.n_rows:,} labelled rows of {escape_markdown(analysis.source_name)}, "
    "whatever cohort the "
    f"sidebar follows: a decision tree (depth {max(n.depth for n in tree.nodes)}, scikit-learn) "
    f"fitted on each row's {fitted_on}."
)
st.plotly_chart(analysis_charts.error_tree_figure(tree, display_names=names), key="error_tree")
explain_chart(
    "Each box is a group of rows the tree split off; wider boxes hold more rows, darker ones more "
    "errors. Click a box to zoom in."
)
st.subheader("Where the model is weakest")
for node in tree.worst(6):
    text, open_col = st.columns([6, 1.4], vertical_alignment="center")
    share = (
        f"{node.n_errors:,.0f} of {node.n_rows:,} wrong"
        if tree.kind == "error rate"
        else (f"{node.n_rows:,} rows")
    )
    rate = analysis_charts.error_text(tree.kind, node.error)
    text.markdown(f"**{rate}** ({share}): {escape_markdown(node.label(names))}")
    open_col.button(
        "Open as cohort", key=f"open_node_{node.node_id}", on_click=cohort_state.save,
        args=(node.cohort(f"Errors: {node.label(names)}"[:80].rstrip()),),
    )  # fmt: skip
st.caption(
    f"Overall: {analysis_charts.error_text(tree.kind, tree.overall_error)}. Opening a group "
    "saves it as a cohort and makes every page follow it."
)

st.subheader("Error by two features")
options = list(tree.features) + [f for f in analysis.X.columns if f not in tree.features]
left, right = st.columns(2)
across = left.selectbox("Across", options, format_func=lambda f: feature_label(f, names))
rest = [f for f in options if f != across]
down = right.selectbox("Down", rest, format_func=lambda f: feature_label(f, names))
heat = analysis_cache.heatmap(ws, (across, down))
st.plotly_chart(analysis_charts.error_heatmap_figure(heat, display_names=names), key="heatmap")
explain_chart(
    "Each cell is the rows in one range (numbers cut at their quartiles) or category of each "
    "feature; darker cells have more errors. Empty cells have no rows."
)
cells = [(x, y) for y in range(len(heat.y_bins)) for x in range(len(heat.x_bins))
         if heat.counts[y, x] > 0]  # fmt: skip
pick, open_col = st.columns([4, 1.4], vertical_alignment="bottom")
cell = pick.selectbox(
    "Cell", cells, format_func=lambda c: f"{heat.x_bins[c[0]]} · {heat.y_bins[c[1]]} "
    f"({analysis_charts.error_text(heat.kind, heat.error[c[1], c[0]])}, "
    f"{heat.counts[c[1], c[0]]:,} rows)",
    index=max(range(len(cells)), key=lambda i: heat.error[cells[i][1], cells[i][0]]),
)  # fmt: skip
open_col.button("Open as cohort", key="open_cell", on_click=cohort_state.save,
                args=(heat.cell_cohort(*cell),))  # fmt: skip
