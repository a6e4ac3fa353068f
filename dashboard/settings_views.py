"""The upload page's decision settings: guesses shown, edited, saved and loaded as JSON."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.text import escape_markdown as md
from dashboard.views import show_error
from explainers.decision_settings import (
    DecisionSettings,
    check_settings,
    guess_settings,
    settings_from_json,
)
from explainers.errors import ExplainerError
from explainers.model_bundle import ModelBundle

NONE = "(none)"
SETTINGS_UPLOAD = "upload_settings"


def settings_editor(
    bundle: ModelBundle, frame: pd.DataFrame, *, target: str | None, model_name: str
) -> DecisionSettings | None:
    """The settings form: a loaded file or the guesses, editable; None while they are invalid."""
    labels = bundle.output_labels if bundle.task != "regression" else ()
    st.subheader("Decision settings")
    upload = st.file_uploader(
        "Decision settings file (optional)", type=["json"], key=SETTINGS_UPLOAD,
        help="A JSON file saved from this page earlier, kept next to the model.",
    )  # fmt: skip
    base = guess_settings(
        frame, output_labels=labels, default_output=bundle.default_output, target=target,
        model_threshold=bundle.threshold,
    )  # fmt: skip
    source = "Guessed from the column names and classes: check them before you rely on them."
    if upload is not None:
        try:
            base = settings_from_json(upload.getvalue())
            check_settings(base, frame, output_labels=labels)
            source = f"Loaded from {upload.name}; edit them below if needed."
        except ExplainerError as error:
            show_error(error)
            return None
    st.caption(md(source))
    key = base.digest()[:12]  # a new file or new guesses start the widgets afresh
    columns = [str(c) for c in frame.columns if c != target]
    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(frame[c])]
    changes: dict[str, object] = {}
    if labels:
        a, b, c, d = st.columns(4)
        favourable = base.favourable if base.favourable in labels else labels[-1]
        changes["favourable"] = a.selectbox(
            "Favourable class", labels, index=labels.index(favourable), key=f"fav_{key}"
        )
        for where, name, label in (
            (b, "favourable_text", "Its outcome is called"),
            (c, "unfavourable_text", "The other outcome is called"),
            (d, "score_name", "The score is called"),
        ):
            default = str(getattr(base, name))
            changes[name] = where.text_input(label, default, key=f"{name}_{key}").strip() or default
    noun = st.text_input("Rows are called (plural)", base.noun, key=f"noun_{key}").strip()
    changes["noun"] = noun or base.noun
    left, right = st.columns(2)
    changes["fixed"] = _pick(left, "Never change (recourse)", columns, base.fixed, f"fixed_{key}")
    changes["increase_only"] = _pick(
        right, "May only rise", numeric, base.increase_only, f"up_{key}"
    )
    changes["decrease_only"] = _pick(
        right, "May only fall", numeric, base.decrease_only, f"down_{key}"
    )
    groups = [g.name for g in base.groups]
    changes["sensitive"] = _pick(
        left, "Sensitive (fairness)", groups + columns, base.sensitive, f"sens_{key}"
    )
    ids = [NONE, *columns]
    current = base.id_column if base.id_column in ids else NONE
    chosen = left.selectbox("ID column", ids, index=ids.index(current), key=f"id_{key}")
    changes["id_column"] = None if chosen == NONE else chosen
    if base.groups:
        right.caption(
            "Derived groups: "
            + "; ".join(f"{md(g.name)} (from {md(g.column)})" for g in base.groups)
            + ". Edit the file to change them."
        )
    names = pd.DataFrame(
        {"column": columns, "display name": [base.display_names.get(c, c) for c in columns]}
    )
    with st.expander("Display names"):
        edited = st.data_editor(
            names, hide_index=True, disabled=["column"], key=f"names_{key}",
            width="stretch",
        )  # fmt: skip
    changes["display_names"] = {
        str(r["column"]): str(r["display name"]).strip() or str(r["column"])
        for _, r in edited.iterrows()
    }
    settings = base.with_changes(**changes)
    try:
        check_settings(settings, frame, output_labels=labels)
    except ExplainerError as error:
        show_error(error)
        return None
    st.download_button(
        "Save settings (JSON)", settings.to_json(),
        file_name=f"{Path(model_name).stem}.settings.json", mime="application/json",
        icon=":material/download:", key="save_settings",
    )  # fmt: skip
    return settings


def _pick(
    where: st.delta_generator.DeltaGenerator,
    label: str,
    options: list[str],
    default: tuple[str, ...],
    key: str,
) -> tuple[str, ...]:
    chosen = where.multiselect(
        label, options, default=[d for d in default if d in options], key=key
    )
    return tuple(chosen)
