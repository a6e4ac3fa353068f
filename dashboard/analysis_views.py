"""Rendering helpers shared by pages: the PDP/ICE panel and the cohort line of a page."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from dashboard import analysis_cache, analysis_charts, cache, cohort_state
from dashboard import health_cache as hc
from dashboard.state import Workspace
from dashboard.text import escape_markdown as md
from dashboard.views import explain_chart, show_error
from explainers.errors import ExplainerError
from explainers.naming import feature_label
from explainers.results import Attribution


def pdp_panel(ws: Workspace, feature: str, names: Mapping[str, str]) -> None:
    """PDP with a sample of ICE lines for one feature, its output space stated."""
    try:
        with st.spinner(f"Varying {md(feature_label(feature, names))} for each sampled row…"):
            result = analysis_cache.dependence(ws, feature)
    except ExplainerError as error:
        show_error(error)
        return
    figure = analysis_charts.dependence_curves_figure(result, display_names=names)
    st.plotly_chart(figure, key="pdp")
    shape = "box of rows" if result.categorical else "thin line per row"
    lines = min(analysis_charts.ICE_LINES, result.n_rows)
    drawn = "" if result.categorical else f" ({lines} of them drawn)"
    units = "probabilities (0 to 1)" if result.output_space == "probability" else "model units"
    explain_chart(
        f"Partial dependence (scikit-learn): the model's {result.output_label} with "
        f"{feature_label(feature, names)} set to each value, averaged over {result.n_rows:,} "
        f"sampled rows of {result.n_total:,} (thick); ICE: one {shape}{drawn}. Values are "
        f"{units}, not SHAP effects."
    )


def follow_cohort(ws: Workspace, attribution: Attribution, n_total: int) -> Attribution:
    """The attribution's rows in the followed cohort, with the page's cohort line; stops if none."""
    if cohort_state.active() is None:
        return attribution
    followed = hc.follow_cohort(ws, attribution)
    cohort_state.show_caption(len(hc.workspace_rows(ws)), n_total, cache.display_names(ws))
    if followed.n_rows == 0:
        st.info("No explained row is in this cohort.", icon=":material/filter_alt_off:")
        st.stop()
    return followed


def source_caption(ws: Workspace, source: hc.Source, *also: hc.Source) -> None:
    """The cohort line for a health page's datasets (nothing when all rows are shown).

    With more than one dataset (drift), each one's count is named after it.
    """
    if source.cohort is None:
        return
    try:
        counts = [
            (len(hc.scored(ws, s).X), hc.n_whole(ws, s), s.upload.name) for s in (source, *also)
        ]
    except ExplainerError as error:
        show_error(error)
        st.stop()
    names = cache.display_names(ws)
    if not also:
        cohort_state.show_caption(counts[0][0], counts[0][1], names)
        return
    cohort_state.show_counts(
        " and ".join(f"{n_in:,} of {n_total:,} rows of {name}" for n_in, n_total, name in counts),
        names,
    )
