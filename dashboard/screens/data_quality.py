"""Data quality: every finding about the data as a sentence, with its severity."""

import streamlit as st

from dashboard import analysis_views, health_charts
from dashboard import health_cache as hc
from dashboard import health_views as hv
from dashboard.text import escape_markdown as md
from dashboard.views import explain_chart, require_workspace, show_error
from explainers.errors import ExplainerError

ws, prepared = require_workspace()
st.title("Data quality")
sources = hc.quality_sources(ws)
which = next(iter(sources))
if len(sources) > 1:
    which = st.radio("Data to check", list(sources), horizontal=True, key="quality_source")
source = sources[which]
try:
    with st.spinner("Checking the data…"):
        report = hc.quality(ws, source)
except ExplainerError as error:
    show_error(error)
    st.stop()
compared = hc.training_source(ws) if which == "Test data" else None
st.caption(
    f"Checked {md(source.name)}: {report.n_rows:,} rows and {report.n_columns} columns"
    + (f", against training data {md(compared.name)} for shared rows." if compared else ".")
    + ("" if ws.target else " Pick a target column to also check class balance and leaks.")
)
analysis_views.source_caption(ws, source)
counts = report.counts
columns = st.columns(4)
for column, (severity, (_, icon, word)) in zip(columns, hv.SEVERITY_STYLE.items(), strict=True):
    column.metric(f"{icon} {word}", counts[severity])

hv.show_findings(report.findings)
st.plotly_chart(health_charts.data_quality_bar(report), key="quality_bar")
explain_chart("How many findings there are at each severity; high ones deserve a look first.")
st.plotly_chart(health_charts.data_quality_table(report), key="quality_table")
explain_chart("Every finding with the column it concerns, for reading or copying into a report.")
