"""The cohorts of this workspace: the saved ones, the one every page follows, the sidebar picker.

Saved cohorts live in the workspace's decision settings (their ``cohorts``
list), so they are saved and loaded with the settings file; the followed
one's name is the sidebar picker's value. Pages ask :func:`active` which
cohort to follow and show :func:`show_caption` so the reader always knows
which rows they see.
"""

from __future__ import annotations

import streamlit as st

from dashboard import state
from dashboard.text import escape_markdown
from explainers.cohorts import ALL_ROWS, Cohort, cohort_caption

ACTIVE = "whybox.active_cohort"


def saved() -> tuple[Cohort, ...]:
    """The cohorts of the workspace's decision settings, in the order they were saved."""
    ws = state.workspace()
    return () if ws is None else ws.settings.cohorts


def replace_all(cohorts: tuple[Cohort, ...]) -> None:
    """Replace the saved cohorts; a followed one that is gone is let go on the next run."""
    ws = state.workspace()
    if ws is not None:
        state.set_workspace(ws.with_options(settings=ws.settings.with_changes(cohorts=cohorts)))


def save(cohort: Cohort, *, follow: bool = True) -> None:
    """Keep a cohort (replacing one of the same name); by default every page then follows it.

    Following changes the sidebar picker's value, so call this from a widget's
    callback (``on_click``), before the picker is drawn.
    """
    replace_all((*(c for c in saved() if c.name != cohort.name), cohort))
    if follow:
        st.session_state[ACTIVE] = cohort.name


def delete(name: str) -> None:
    """Forget a cohort; if it was followed, the picker goes back to all rows on the next run."""
    replace_all(tuple(c for c in saved() if c.name != name))


def active() -> Cohort | None:
    """The cohort every page follows, or None for all rows."""
    name = st.session_state.get(ACTIVE, ALL_ROWS)
    return next((c for c in saved() if c.name == name), None)


def selector() -> None:
    """The sidebar's cohort picker (on every page once a model is loaded)."""
    names = [ALL_ROWS, *(c.name for c in saved())]
    if st.session_state.get(ACTIVE) not in names:
        st.session_state[ACTIVE] = ALL_ROWS
    st.selectbox(
        "Cohort", names, key=ACTIVE,
        help="Every page shows only the rows of this cohort. Define cohorts on the Cohorts page.",
    )  # fmt: skip


def show_caption(n_in: int, n_total: int, display_names: dict[str, str] | None = None) -> None:
    """Say which rows a page shows: all of them, or the cohort's (with its conditions)."""
    cohort = active()
    if cohort is None:
        return
    text = f"{cohort_caption(cohort, n_in, n_total)} ({cohort.describe(display_names)})"
    st.info(escape_markdown(text), icon=":material/filter_alt:")


def show_counts(counts: str, display_names: dict[str, str] | None = None) -> None:
    """The cohort line for several datasets: "Showing cohort 'x': 12 of 40 rows of a.csv and …"."""
    cohort = active()
    if cohort is None:
        return
    text = f"Showing cohort '{cohort.name}': {counts}. ({cohort.describe(display_names)})"
    st.info(escape_markdown(text), icon=":material/filter_alt:")
