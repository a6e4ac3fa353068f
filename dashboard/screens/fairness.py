"""Fairness: outcome and error rates per group of a sensitive feature, and what drives the gaps."""

import streamlit as st

from dashboard import analysis_views, cache, health_charts
from dashboard import health_cache as hc
from dashboard import health_views as hv
from dashboard.text import escape_markdown as md
from dashboard.views import explain_chart, require_probabilities, require_workspace, show_error
from explainers.errors import ExplainerError
from explainers.naming import feature_label

ws, prepared = require_workspace()
st.title("Fairness")
require_probabilities(prepared.bundle)
if prepared.bundle.task == "regression":
    st.info(hc.NOT_CLASSIFIER, icon=":material/balance:")
    st.stop()
try:
    options, defaults = hc.sensitive_options(ws)
except ExplainerError as error:
    show_error(error)
    st.stop()
names = cache.display_names(ws)
features = st.multiselect(
    "Sensitive features to compare groups by", options, default=defaults, key="fairness_features",
    help="Groups derived in the decision settings (e.g. age bands) come first; the defaults "
    "are the settings' sensitive features.",
    format_func=lambda feature: feature_label(feature, names),
)  # fmt: skip
label = cache.favourable_label(ws)
threshold = 0.5
if prepared.bundle.task == "binary":
    threshold = hv.threshold_slider(
        f"Decide “{md(label)}” when its probability is at least",
        key="fairness_threshold",
    )
if not features:
    st.info("Pick at least one sensitive feature to compare groups.", icon=":material/touch_app:")
    st.stop()
if ws.target is None:
    st.info(
        f"Without a target column only approval rates are compared. {hc.NO_TARGET}",
        icon=":material/target:",
    )
try:
    with st.spinner("Comparing groups…"):
        reports = hc.fairness(ws, tuple(features), threshold=threshold)
except ExplainerError as error:
    show_error(error)
    st.stop()
st.caption(f"Measured on {md(hc.test_source(ws).name)} at threshold {threshold:.2f}.")
analysis_views.source_caption(ws, hc.test_source(ws))

for tab, report in zip(st.tabs([r.rates.feature for r in reports]), reports, strict=True):
    rates, by_group = report.rates, report.attribution
    with tab:
        hv.show_findings(rates.findings)
        a, b, c, d = st.columns(4)
        a.metric("Demographic parity difference", f"{rates.demographic_parity_difference:.3f}")
        b.metric("Demographic parity ratio", f"{rates.demographic_parity_ratio:.3f}")
        eo = rates.equalized_odds_difference
        c.metric("Equalized odds difference", "n/a" if eo is None else f"{eo:.3f}")
        d.metric("Four-fifths rule", "passes" if rates.passes_four_fifths else "fails")
        st.plotly_chart(health_charts.group_metric_figure(rates), key=f"rates_{rates.feature}")
        explain_chart(
            f"Share of each group {rates.positive_outcome}; a group below the dashed "
            "line gets less than four-fifths of the best-treated group's rate."
        )
        table = hc.group_table(rates)
        percent = st.column_config.NumberColumn(format="%.0f%%")
        st.dataframe(
            table, hide_index=True, column_config=dict.fromkeys(table.columns[2:], percent)
        )
        explain_chart(
            f"True positive rate: share {rates.positive_outcome} among rows whose true outcome is "
            f"“{label}”; false positive rate: the same share among all other rows."
        )
        hv.show_findings(by_group.findings)
        figure = health_charts.group_attribution_figure(by_group, display_names=names)
        st.plotly_chart(figure, key=f"attribution_{rates.feature}")
        explain_chart(
            f"Average push of each feature on the score within each group ({report.n_attributed:,}"
            " rows explained); features with the widest gaps between groups come first."
        )
