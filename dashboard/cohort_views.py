"""Widgets of the Cohorts page: the condition builder and the list of saved cohorts."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard import cache, cohort_state
from dashboard import health_cache as hc
from dashboard.state import Workspace
from dashboard.text import escape_markdown
from dashboard.views import show_error
from explainers.cohorts import Cohort, Condition, Subject
from explainers.errors import DataValidationError, ExplainerError
from explainers.naming import feature_label

DRAFT = "whybox.cohort_draft"
NAME = "whybox.cohort_name"
SAVE_ERROR = "whybox.cohort_save_error"
MAX_CHOICES = 60
NUMBER_OPERATORS = ("<", "<=", ">", ">=", "==", "!=")
TEXT_OPERATORS = ("in", "not in")


@dataclass(frozen=True, slots=True)
class Target:
    """One thing a condition can test, as offered in the builder."""

    label: str
    subject: Subject
    column: str | None
    values: pd.Series  # what it takes on the loaded data, to offer sensible choices


def targets(ws: Workspace) -> list[Target]:
    """Every column, the prediction, the error, the true outcome and the derived groups."""
    frame, bundle = cache.frame(ws), cache.prepared(ws).bundle
    names = cache.display_names(ws)
    found = [
        Target(feature_label(str(c), names), "column", str(c), frame[c]) for c in frame.columns
    ]
    predicted = pd.Series(bundle.labels_from_output(cache.predictions(ws)))
    found.append(Target("The model's prediction", "prediction", None, predicted))
    if ws.target is not None:
        regression = bundle.task == "regression"
        error = pd.Series([0.0, 1.0]) if regression else pd.Series([True, False])
        found.append(Target("The model's error", "error", None, error))
        found.append(Target("The true outcome", "outcome", None, frame[ws.target]))
    for name, groups in hc.derived_groups(ws, frame).items():
        found.append(Target(f"{name} (group)", "group", name, groups))
    return found


def _is_number(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def condition_builder(ws: Workspace) -> Condition | None:
    """One row of widgets for a condition; returns it when "Add condition" is clicked."""
    options = targets(ws)
    what_col, op_col, value_col, add_col = st.columns([3, 1.2, 3, 1.4], vertical_alignment="bottom")
    picked = what_col.selectbox(
        "Condition on", range(len(options)), format_func=lambda i: options[i].label
    )
    target = options[picked]
    values = target.values
    if target.subject == "error" and not _is_number(values):
        wrong = value_col.radio("The model is", ("wrong", "right"), horizontal=True)
        operator, value = "==", wrong == "wrong"
    elif _is_number(values):
        operator = op_col.selectbox("Test", NUMBER_OPERATORS)
        median = float(values.median()) if values.notna().any() else 0.0
        value = value_col.number_input("Value", value=median, key=f"value_{target.label}")
    else:
        operator = op_col.selectbox(
            "Test", TEXT_OPERATORS, format_func=lambda o: o.replace("in", "is one of")
        )
        choices = sorted(values.dropna().astype(str).unique())[:MAX_CHOICES]
        value = tuple(value_col.multiselect("Values", choices, key=f"values_{target.label}"))
    if not add_col.button("Add condition", icon=":material/add:"):
        return None
    try:
        return Condition(target.subject, operator, value, column=target.column)  # type: ignore[arg-type]
    except DataValidationError as error:
        show_error(error)
        return None


def draft() -> list[Condition]:
    """The conditions of the cohort being written."""
    return st.session_state.setdefault(DRAFT, [])


def save_draft() -> None:
    """Button callback: save the draft under the typed name and follow it."""
    try:
        cohort = Cohort(str(st.session_state.get(NAME, "")).strip(), tuple(draft()))
    except ExplainerError as error:
        st.session_state[SAVE_ERROR] = error
        return
    cohort_state.save(cohort)
    draft().clear()
    st.session_state[NAME] = ""


def show_save_error() -> None:
    """The error of the last save, once."""
    error = st.session_state.pop(SAVE_ERROR, None)
    if isinstance(error, ExplainerError):
        show_error(error)


def saved_list(ws: Workspace) -> None:
    """The saved cohorts with their size on the loaded data, to follow or delete."""
    names = cache.display_names(ws)
    for cohort in cohort_state.saved():
        left, follow_col, delete_col = st.columns([6, 1.2, 1], vertical_alignment="center")
        try:
            n_in = len(hc.scored(ws, hc.Source(ws.data, ws.data.name, cohort=cohort)).X)
            size = f"{n_in:,} of {len(cache.prepared(ws).X):,} rows"
        except ExplainerError as error:
            size = error.user_message
        left.markdown(
            f"**{escape_markdown(cohort.name)}**: {escape_markdown(cohort.describe(names))}  \n"
            f"{escape_markdown(size)}"
        )
        follow_col.button(
            "Follow", key=f"follow_{cohort.name}", on_click=_follow, args=(cohort.name,)
        )
        delete_col.button("Delete", key=f"delete_{cohort.name}", on_click=cohort_state.delete,
                          args=(cohort.name,))  # fmt: skip


def _follow(name: str) -> None:
    st.session_state[cohort_state.ACTIVE] = name


def settings_download(ws: Workspace) -> None:
    """Download the decision settings, cohorts included, to load again with the model."""
    stem = ws.model.name.rsplit(".", 1)[0]
    st.download_button(
        "Download the decision settings with these cohorts", ws.settings.to_json(),
        file_name=f"{stem}.settings.json", mime="application/json", icon=":material/download:",
    )  # fmt: skip
