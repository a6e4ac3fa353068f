"""Rendering of one decision: row picker, reasons, charts, trust verdict, presenter view.

Every view renders the row's :class:`~explainers.decision.Decision` (from
:func:`dashboard.cache.decision`); none computes anything of its own.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import cache, charts, cohort_state, health_cache, report_cache, state
from dashboard.text import escape_markdown as md
from dashboard.views import explain_chart, report_buttons
from explainers.decision import Decision
from explainers.reasons import Reasons
from explainers.recourse import RecourseResult
from explainers.trust import TrustReport

ALL, UNFAVOURABLE, FAVOURABLE = "All rows", "Refused / unfavourable", "Approved / favourable"
HIGHEST, LOWEST = "Highest predictions", "Lowest predictions"
EXTREME_SHARE = 0.25
"""Share of rows "Highest predictions" and "Lowest predictions" show for a regression."""
_VERDICT_ICON = {
    "agree": ":material/check_circle:",
    "care": ":material/warning:",
    "disagree": ":material/report:",
}


def _filtered_rows(ws: state.Workspace, X: pd.DataFrame, scores: np.ndarray) -> pd.Index:
    """The "Show" filter: refused or approved rows, or a regression's highest or lowest."""
    bundle = cache.prepared(ws).bundle
    if bundle.task != "regression":
        k = cache.favourable_index(ws)
        favourable = (
            scores.argmax(axis=1) == k  # decision scores: the class the model predicts
            if bundle.output_kind == "margin"
            else scores[:, k] >= ws.settings.threshold
        )
        choice = st.radio("Show", (UNFAVOURABLE, FAVOURABLE, ALL), key="row_filter")
        if choice == ALL:
            return X.index
        return X.index[~favourable if choice == UNFAVOURABLE else favourable]
    share = f"{EXTREME_SHARE:.0%}"
    choice = st.radio(
        "Show",
        (HIGHEST, LOWEST, ALL),
        index=2,
        captions=(f"top {share}, highest first", f"bottom {share}, lowest first", ""),
        key="row_filter_regression",
    )
    if choice == ALL:
        return X.index
    order = np.argsort(scores[:, cache.output_index(ws)], kind="stable")
    n_shown = max(1, math.ceil(EXTREME_SHARE * len(order)))
    return X.index[order[::-1][:n_shown] if choice == HIGHEST else order[:n_shown]]


def open_row(row_id: object) -> None:
    """Show one row on "One decision" (from a chart click), whatever the filter was."""
    state.select_row(row_id)
    st.session_state["row_filter"] = ALL
    st.session_state.pop("row_filter_regression", None)  # its default is "All rows"
    st.switch_page("screens/breakdown.py")


def pick_row(ws: state.Workspace, X: pd.DataFrame) -> object:
    """Row picker: a filter, then a row by index or ID. Returns the row's index label.

    Only the rows of the followed cohort are offered (and said so).
    """
    scores = cache.predictions(ws)
    if cohort_state.active() is not None:
        inside = X.index.isin(health_cache.workspace_rows(ws))
        cohort_state.show_caption(int(inside.sum()), len(X), cache.display_names(ws))
        X, scores = X[inside], scores[inside]
    left, middle, right = st.columns([1, 2, 1])
    with left:
        candidates = _filtered_rows(ws, X, scores)
    k = cache.output_index(ws)
    ids = cache.frame(ws)[ws.id_column] if ws.id_column else None
    score_of = dict(zip(X.index, scores[:, k], strict=True))

    def label(row_id: object) -> str:
        shown = f"ID {ids.loc[row_id]}" if ids is not None else f"row {row_id}"
        return f"{shown} · predicted {score_of[row_id]:.2f}"

    search = right.text_input("Find by ID or row number", key="row_search")
    if search:
        keys = ids.astype(str) if ids is not None else pd.Series(X.index.astype(str), X.index)
        hits = keys.index[keys == search.strip()]
        if len(hits):
            state.select_row(hits[0])
            candidates = hits
        else:
            right.warning(f"No row with ID {md(repr(search))}.")
    if len(candidates) == 0:
        st.info("No rows match this filter.")
        st.stop()
    current = state.selected_row()
    options = list(candidates)
    index = options.index(current) if current in options else 0
    chosen = middle.selectbox("Row", options, index=index, format_func=label, key="row_pick")
    if chosen != current:
        state.select_row(chosen)
    return chosen


def show_reasons(reasons: Reasons) -> None:
    """The decision sentence and the ranked factors on each side."""
    st.markdown(f"#### {md(reasons.decision)}")
    against, supporting = st.columns(2)
    with against:
        st.markdown("**Pushed it down**")
        for reason in reasons.against:
            st.markdown(f"- {md(reason.sentence)}")
    with supporting:
        st.markdown("**Pushed it up**")
        for reason in reasons.supporting:
            st.markdown(f"- {md(reason.sentence)}")
    if reasons.reason_codes:
        st.markdown(
            "**Principal reasons for the decision:** " + md("; ".join(reasons.reason_codes))
        )
    st.caption(md(reasons.points_explanation))  # names the settings' score_name


def show_decision(decision: Decision) -> None:
    """The full view: reasons, SHAP waterfall beside LIME, the trust verdict, recourse."""
    names = dict(decision.settings.display_names)
    show_reasons(decision.reasons)
    shap_col, lime_col = st.columns(2)
    with shap_col:
        shown = decision.shap_shown
        st.plotly_chart(charts.waterfall(shown, display_names=names), key="waterfall")
        explain_chart(
            f"SHAP ({shown.method}): from the average {shown.output_label} at the top to this "
            f"row's at the bottom; each bar is one column's push, in "
            f"{charts.units_text(shown.output_space)}. {charts.space_note(shown.output_space)}"
        )
    with lime_col:
        lime = decision.lime
        score = float(lime.surrogate_score[0]) if lime.surrogate_score is not None else 0.0
        st.plotly_chart(
            charts.contribution_bars(
                lime, display_names=names, title=f"LIME (local fit R² = {score:.2f})"
            ),
            key="lime",
        )
        explain_chart(
            "LIME fits a simple model around this row; bars are its weights in "
            f"{charts.units_text(lime.output_space)}. It is approximate: a low fit R² means it "
            "describes this row poorly."
        )
    show_trust(decision.trust)
    if decision.recourse is not None:
        show_recourse(decision.recourse)


def show_trust(report: TrustReport) -> None:
    """The one-line agreement verdict with its numbers."""
    st.markdown(f"{_VERDICT_ICON[report.level]} **{md(report.verdict)}**")
    st.caption(report.details)


def show_recourse(result: RecourseResult) -> None:
    """Options that would change the decision, each verified by predicting again."""
    st.markdown(f"**What would change the decision?** {md(result.message)}")
    for number, option in enumerate(result.options, start=1):
        st.markdown(f"{number}. {md(option.sentence)}")


_BIG = "<div style='font-size:{size}rem;margin:0.6rem 0;{extra}'>{text}</div>"


def _big(text: str, *, size: float = 1.5, bold: bool = False) -> None:
    """Large text for presenter mode (escaped: values come from uploaded data)."""
    extra = "font-weight:700;line-height:1.2" if bold else ""
    st.markdown(_BIG.format(size=size, extra=extra, text=html.escape(text)), unsafe_allow_html=True)


def presenter_view(decision: Decision) -> None:
    """Large, jargon-free view: the decision, three reasons, what would change it."""
    reasons, result = decision.reasons, decision.recourse
    _big(reasons.decision, size=2.2, bold=True)
    main = reasons.against if reasons.favourable is False else reasons.supporting
    st.subheader("The main reasons" if main else "Reasons")
    for reason in (main or reasons.against)[:3]:
        _big(f"• {reason.sentence}")
    if result is not None and result.options:
        st.subheader("What would change it")
        for option in result.options:
            _big(f"• {option.sentence}")


def report_downloads(ws: state.Workspace, row_id: object) -> None:
    """Download buttons for this decision's report (built only when clicked)."""
    st.markdown("**Report for this decision** (opens offline; nothing is sent anywhere)")
    report_buttons(
        lambda fmt: report_cache.report_bytes(ws, row_id, fmt),
        stem=f"decision-report-row-{row_id}", key="report", mime=report_cache.MIME,
    )  # fmt: skip
