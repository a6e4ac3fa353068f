"""The cohorts of this session: the saved ones, the one every page follows, the sidebar picker.

Cohorts are kept in ``st.session_state`` (saved with the decision settings
as their ``cohorts`` list); the chosen one's name is the sidebar selector's
value. Pages ask :func:`active` which cohort to follow and show
:func:`show_caption` so the reader always knows which rows they see.
"""

from __future__ import annotations

import streamlit as st

from explainers.cohorts import ALL_ROWS, Cohort, cohort_caption

COHORTS = "whybox.cohorts"
ACTIVE = "whybox.active_cohort"


def saved() -> tuple[Cohort, ...]:
    """The cohorts defined in this session, in the order they were saved."""
    value = st.session_state.get(COHORTS, ())
    return tuple(value)


def save(cohort: Cohort, *, follow: bool = True) -> None:
    """Keep a cohort (replacing one of the same name); by default every page then follows it.

    Following changes the sidebar picker's value, so call this from a widget's
    callback (``on_click``), before the picker is drawn.
    """
    kept = [c for c in saved() if c.name != cohort.name]
    st.session_state[COHORTS] = (*kept, cohort)
    if follow:
        st.session_state[ACTIVE] = cohort.name


def replace_all(cohorts: tuple[Cohort, ...]) -> None:
    """Replace the saved cohorts (from a settings file); a followed one that is gone is let go."""
    st.session_state[COHORTS] = cohorts


def delete(name: str) -> None:
    """Forget a cohort; if it was followed, the picker goes back to all rows on the next run."""
    st.session_state[COHORTS] = tuple(c for c in saved() if c.name != name)


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


def show_caption(n_in: int, n_total: int) -> None:
    """Say which rows a page shows: all of them, or the cohort's."""
    cohort = active()
    if cohort is None:
        return
    st.info(
        f"{cohort_caption(cohort, n_in, n_total)} ({cohort.describe()})",
        icon=":material/filter_alt:",
    )
