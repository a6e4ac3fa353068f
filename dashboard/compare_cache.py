"""Cache wrappers and session state of the "Compare models" page.

The challenger is a second model on the workspace's own data, target and
decision settings: a copy of the workspace with another model
(:func:`challenger_workspace`), so every cached view of one model (outputs,
global SHAP, one row's SHAP) serves it unchanged. It is remembered in
``st.session_state`` under :data:`dashboard.state.CHALLENGER`, tied to the
workspace it was chosen for.
"""

from __future__ import annotations

import streamlit as st

from dashboard import actions, cache, state
from dashboard.state import UploadedFile, Workspace
from explainers.decision_settings import sensitive_groups
from explainers.model_comparison import (
    ModelComparison,
    RowComparison,
    check_comparable,
    compare_models,
    compare_rows,
)
from explainers.reasons import probability_view
from sample_models import DEMOS


def bundled_challenger(ws: Workspace) -> UploadedFile | None:
    """The retrained challenger shipped with a bundled demo, if it has one."""
    demo = DEMOS.get(ws.is_demo or "")
    if demo is None or demo.challenger_file is None:
        return None
    return actions.uploaded(demo.challenger_file, demo.path(demo.challenger_file).read_bytes())


def challenger_workspace(ws: Workspace, upload: UploadedFile) -> Workspace:
    """The workspace with the challenger as its model; checks the two can be compared.

    Raises
    ------
    ExplainerError
        If the challenger does not load, does not fit the data, or predicts
        something else than the champion.
    """
    challenger = ws.with_options(model=upload, title=f"Challenger: {upload.name}", is_demo=None)
    a, b = cache.prepared(ws).bundle, cache.prepared(challenger).bundle
    check_comparable(a.task, a.output_labels, b.task, b.output_labels)
    return challenger


def chosen(ws: Workspace) -> Workspace | None:
    """The challenger picked for this workspace, if any."""
    value = st.session_state.get(state.CHALLENGER)
    if isinstance(value, tuple) and value[0] == ws.files_key:
        return value[1] if isinstance(value[1], Workspace) else None
    return None


def choose(ws: Workspace, challenger: Workspace) -> None:
    """Remember the challenger for this workspace."""
    st.session_state[state.CHALLENGER] = (ws.files_key, challenger)


def row_ids(ws: Workspace) -> list[object]:
    """How rows are named in the comparison: the settings' ID column, else the row label."""
    prepared = cache.prepared(ws)
    if ws.id_column is not None:
        return list(prepared.frame[ws.id_column])
    return list(prepared.X.index)


@st.cache_data(max_entries=16, show_spinner=False)
def _comparison(
    key: str,
    challenger_key: str,
    settings_key: str,
    thresholds: tuple[float, float],
    _ws: Workspace,
    _challenger: Workspace,
) -> ModelComparison:
    prepared, bundle = cache.prepared(_ws), cache.prepared(_ws).bundle
    settings, task = _ws.settings, bundle.task
    shap = []
    for side in (_ws, _challenger):
        explained = cache.global_shap(side)
        shap.append(probability_view(explained) if task == "binary" else explained)
    groups = {}
    if task != "regression":
        groups = {f: sensitive_groups(settings, prepared.frame, f) for f in settings.sensitive}
    return compare_models(
        name_a=_ws.model.name, name_b=_challenger.model.name, task=task,
        class_labels=bundle.class_labels, row_ids=row_ids(_ws),
        outputs_a=cache.predictions(_ws), outputs_b=cache.predictions(_challenger),
        settings=settings, y_true=prepared.y_true, groups=groups,
        attribution_a=shap[0], attribution_b=shap[1],
        threshold_a=thresholds[0], threshold_b=thresholds[1], data_name=_ws.data.name,
    )  # fmt: skip


def comparison(
    ws: Workspace, challenger: Workspace, thresholds: tuple[float, float]
) -> ModelComparison:
    """The whole comparison of champion and challenger (cached by content and settings)."""
    return _comparison(ws.key, challenger.key, ws.settings_key, thresholds, ws, challenger)


def row(
    ws: Workspace, challenger: Workspace, row_id: object, thresholds: tuple[float, float]
) -> RowComparison:
    """One row under both models: both breakdowns and both sets of reasons."""
    frame = cache.row_frame(ws, row_id)
    label = f"ID {cache.frame(ws).loc[row_id, ws.id_column]}" if ws.id_column else f"row {row_id}"
    (result,) = compare_rows(
        cache.row_shap(ws, frame), cache.row_shap(challenger, frame), settings=ws.settings,
        task=cache.prepared(ws).bundle.task, row_labels=[label],
        threshold_a=thresholds[0], threshold_b=thresholds[1],
    )  # fmt: skip
    return result
