"""Rendering of two models compared: challenger picker, side-by-side results, one row each way."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import actions, charts, compare_cache, compare_charts, decision_views, report_cache
from dashboard.comparison_report import comparison_html
from dashboard.state import Workspace
from dashboard.text import escape_markdown as md
from dashboard.views import explain_chart, report_buttons, show_error
from explainers.csv_output import to_csv_text
from explainers.errors import ExplainerError
from explainers.model_comparison import CONFIDENCE, ModelComparison, RowComparison
from explainers.model_formats import MODEL_FILE_TYPES

BUNDLED = "Use the bundled retrained challenger"
DETAIL_ROWS = 10
"""Rows decided differently that the downloaded report opens with both breakdowns."""


def pick_challenger(ws: Workspace) -> Workspace | None:
    """A second model: uploaded, or the demo's bundled challenger. None until one is chosen."""
    upload = st.file_uploader(
        "Challenger model file", type=list(MODEL_FILE_TYPES), key="upload_challenger",
        help="A second model for the same data and outcome (a retrained or new version).",
    )  # fmt: skip
    bundled = compare_cache.bundled_challenger(ws)
    try:
        if upload is not None:
            raw = actions.uploaded(upload.name, upload.getvalue())
            compare_cache.choose(ws, compare_cache.challenger_workspace(ws, raw))
        elif bundled is not None and st.button(BUNDLED, key="bundled_challenger"):
            compare_cache.choose(ws, compare_cache.challenger_workspace(ws, bundled))
    except ExplainerError as error:
        show_error(error)
        return None
    return compare_cache.chosen(ws)


def thresholds(ws: Workspace, binary: bool) -> tuple[float, float]:
    """Each model's own decision threshold (binary), starting from the settings'."""
    if not binary:
        return ws.settings.threshold, ws.settings.threshold
    left, right = st.columns(2)
    start = ws.settings.threshold
    a = left.slider("Champion's threshold", 0.01, 0.99, start, step=0.01, key="threshold_a")
    b = right.slider("Challenger's threshold", 0.01, 0.99, start, step=0.01, key="threshold_b")
    return float(a), float(b)


def show_summary(comparison: ModelComparison) -> None:
    """The counts of rows decided differently, then performance side by side."""
    st.markdown(f"**Champion (A):** {md(comparison.name_a)} · **Challenger (B):** "
                f"{md(comparison.name_b)} · on {md(comparison.data_name)}")  # fmt: skip
    for sentence in comparison.disagreements.sentences:
        st.markdown(f"#### {md(sentence)}")
    perf = comparison.performance
    if perf is None:
        st.info("No target column is chosen, so performance cannot be compared.")
        return
    st.subheader("Performance")
    table = pd.DataFrame(
        [(m.name, m.a, m.b, m.difference, f"{m.low:+.4f} to {m.high:+.4f}") for m in perf.metrics],
        columns=["Metric", "Champion (A)", "Challenger (B)", "B − A", f"{CONFIDENCE:.0%} interval"],
    )
    st.dataframe(table, hide_index=True, column_config={
        c: st.column_config.NumberColumn(format="%.4f") for c in table.columns[1:4]})  # fmt: skip
    for finding in perf.findings:
        st.markdown(f"- {md(finding)}")
    st.plotly_chart(compare_charts.metric_differences(perf), key="compare_metrics")
    explain_chart(
        f"Paired bootstrap: {perf.n_boot:,} resamples of the same {perf.n_rows:,} rows score "
        "both models; an interval that crosses zero means the difference could be chance."
    )


def show_fairness_and_importance(comparison: ModelComparison) -> None:
    """Group rates for both models per sensitive feature, then importance in pairs."""
    if comparison.fairness:
        st.subheader("Fairness")
        tabs = st.tabs([f.feature for f in comparison.fairness])
        for tab, fairness in zip(tabs, comparison.fairness, strict=True):
            with tab:
                figure = compare_charts.group_rate_pairs(fairness)
                st.plotly_chart(figure, key=f"compare_groups_{fairness.feature}")
                st.dataframe(fairness.table(), hide_index=True)
    if comparison.importance is not None:
        st.subheader("What matters to each model")
        names = comparison.settings.display_names
        figure = compare_charts.importance_pairs(comparison.importance, display_names=names)
        st.plotly_chart(figure, key="compare_importance")
        for finding in comparison.importance.findings:
            st.markdown(f"- {md(finding)}")


def show_differences(
    ws: Workspace, challenger: Workspace, comparison: ModelComparison, cut: tuple[float, float]
) -> None:
    """The rows decided differently; one opens with both breakdowns and reasons side by side."""
    table = comparison.disagreements.table
    st.subheader(
        f"The {md(comparison.settings.noun)} decided differently ({int(table.differs.sum())})"
    )
    if not table.differs.any():
        st.info("The two models decide every row the same way.")
        return
    differing = table[table.differs]
    st.dataframe(differing.drop(columns="differs"), hide_index=True, key="compare_rows")
    labels = list(compare_cache.cache.prepared(ws).X.index[table.differs.to_numpy()])
    shown = dict(zip(labels, differing.row_id, strict=True))
    row_id = st.selectbox("Open one", labels, format_func=lambda r: str(shown[r]), key="cmp_row")
    try:
        with st.spinner("Explaining this row with both models…"):
            pair = compare_cache.row(ws, challenger, row_id, cut)
    except ExplainerError as error:
        show_error(error)
        return
    show_row(pair, comparison)
    st.markdown("**Report for this decision, with both models** (opens offline)")
    report_buttons(
        lambda fmt: report_cache.report_bytes(ws, row_id, fmt, challenger=challenger),
        stem=f"decision-report-two-models-{row_id}", key="cmp_report", mime=report_cache.MIME,
    )  # fmt: skip


def show_row(pair: RowComparison, comparison: ModelComparison) -> None:
    """Champion and challenger side by side for one row."""
    names = comparison.settings.display_names
    for column, label, reasons, shap in zip(
        st.columns(2), ("Champion (A)", "Challenger (B)"), (pair.reasons_a, pair.reasons_b),
        (pair.shap_a, pair.shap_b), strict=True,
    ):  # fmt: skip
        with column:
            st.markdown(f"**{label}**")
            decision_views.show_reasons(reasons)
            figure = charts.waterfall(shap, display_names=names, title=f"{label}: {pair.row_label}")
            st.plotly_chart(figure, key=f"cmp_waterfall_{label}")


def download_report(
    ws: Workspace, challenger: Workspace, comparison: ModelComparison, cut: tuple[float, float]
) -> None:
    """The comparison as an offline HTML report (built when clicked), and every row as CSV."""

    def report() -> str:
        table = comparison.disagreements.table
        labels = compare_cache.cache.prepared(ws).X.index[table.differs.to_numpy()]
        rows = [compare_cache.row(ws, challenger, r, cut) for r in labels[:DETAIL_ROWS]]
        return comparison_html(comparison, rows)

    left, right, _ = st.columns([1, 1, 2])
    left.download_button(
        "Comparison report (HTML)", data=report,
        file_name="model-comparison.html", mime="text/html", on_click="ignore",
        icon=":material/download:", key="cmp_html",
    )  # fmt: skip
    right.download_button(
        "Every row (CSV)", data=lambda: to_csv_text(comparison.disagreements.table),
        file_name="model-comparison.csv", mime="text/csv", on_click="ignore",
        icon=":material/download:", key="cmp_csv",
    )  # fmt: skip
