"""Cohorts: name a group of rows by conditions; every page then shows only those rows."""

import streamlit as st

from dashboard import cache, cohort_state, cohort_views
from dashboard.text import escape_markdown
from dashboard.views import require_workspace

ws, prepared = require_workspace()
st.title("Cohorts")
st.write(
    "A cohort is a named group of rows, such as young renters or the applicants the model got "
    "wrong. Pick one in the sidebar and every page (importance, performance, fairness, drift, "
    "one decision) shows only its rows. The Error analysis page finds cohorts where the model "
    "is weakest."
)
st.subheader("New cohort")
draft = cohort_views.draft()
condition = cohort_views.condition_builder(ws)
if condition is not None:
    draft.append(condition)
names = cache.display_names(ws)
if draft:
    described = (escape_markdown(c.describe(names)) for c in draft)
    st.markdown("A row is in the cohort when " + " **and** ".join(described))
    if st.button("Clear conditions"):
        draft.clear()
        st.rerun()
name_col, save_col = st.columns([3, 1], vertical_alignment="bottom")
name_col.text_input("Cohort name", placeholder="young renters", key=cohort_views.NAME)
save_col.button("Save and follow", type="primary", disabled=not draft,
                on_click=cohort_views.save_draft)  # fmt: skip
cohort_views.show_save_error()

st.subheader("Saved cohorts")
if not cohort_state.saved():
    st.caption("None yet.")
cohort_views.saved_list(ws)
st.caption(
    'Cohorts are saved in the decision settings (their "cohorts" list); load the file again '
    "next to the model on the upload page."
)
cohort_views.settings_download(ws)
