"""Performance and overfitting: the task's metrics, curves, the threshold, training against test."""

import streamlit as st

from dashboard import analysis_views, cache, health_charts
from dashboard import health_cache as hc
from dashboard import health_views as hv
from dashboard.text import escape_markdown as md
from dashboard.views import explain_chart, require_probabilities, require_workspace, show_error
from explainers.errors import ExplainerError

ws, prepared = require_workspace()
st.title("Performance")
require_probabilities(prepared.bundle)
if ws.target is None:
    st.info(hc.NO_TARGET, icon=":material/target:")
    st.page_link("screens/upload.py", label="Load a model", icon=":material/upload_file:")
    st.stop()
with st.expander("Training data, to check for overfitting"):
    hv.dataset_uploader(
        ws, hc.TRAINING_DATA, "Training data (CSV or Parquet)",
        "The rows the model learned from, with the same columns and target as the loaded data.",
    )  # fmt: skip
    hv.split_picker(ws)
label = cache.favourable_label(ws)
threshold = 0.5
if prepared.bundle.task == "binary":
    threshold = hv.threshold_slider(
        f"Decide “{md(label)}” when its probability is at least", key="performance_threshold"
    )
try:
    with st.spinner("Measuring the model…"):
        report = hc.performance(ws, threshold=threshold)
except ExplainerError as error:
    show_error(error)
    st.stop()
result = report.test
analysis_views.source_caption(ws, hc.test_source(ws))
st.caption(f"Measured on {md(report.test_name)}: {result.n_rows:,} rows with a known outcome.")
for column, metric in zip(st.columns(len(result.headline)), result.headline, strict=True):
    better = "higher" if metric.higher_is_better else "lower"
    column.metric(metric.name, f"{metric.value:.3f}", help=f"{better.capitalize()} is better.")

if report.comparison is None:
    st.info(hc.NO_TRAINING, icon=":material/attach_file:")
else:
    hv.show_findings(report.comparison.findings)
    st.plotly_chart(health_charts.split_comparison_figure(report.comparison), key="split")
    explain_chart(
        f"Each score on the training data ({report.training_name}) beside the test data; a "
        "much better training score means the model memorised rather than learned."
    )

if report.sweep is not None:
    errors = result.confusion
    st.markdown(
        f"At threshold **{threshold:.2f}**, {result.approval_rate:.0%} of rows are predicted "
        f"“{md(label)}”: **{errors[0, 1]:,}** wrongly (false approvals) and **{errors[1, 0]:,}** "
        f"rows that were “{md(label)}” are missed (false refusals)."
    )
    sweep = health_charts.threshold_sweep_figure(report.sweep, threshold=threshold)
    st.plotly_chart(sweep, key="sweep")
    explain_chart(
        "Raising the threshold approves fewer rows: fewer false approvals, more false refusals."
    )
    left, right = st.columns(2)
    with left:
        st.plotly_chart(health_charts.roc_curve_figure(result), key="roc")
        explain_chart("The further the curve bows above the diagonal, the better the ranking.")
    with right:
        st.plotly_chart(health_charts.calibration_figure(result), key="calibration")
        explain_chart(
            "Points on the diagonal mean a predicted 70% comes true about 70% of the time."
        )
if result.task == "regression":
    st.plotly_chart(health_charts.residual_figure(result), key="residuals")
    explain_chart(
        "Each dot is a row; dots far from the dashed line are the model's biggest misses."
    )
else:
    st.plotly_chart(health_charts.confusion_matrix_figure(result), key="confusion")
    explain_chart("Rows by true class (down) and predicted class (across); the diagonal is right.")
