"""Session-state keys and the per-session workspace (what this user has loaded)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import streamlit as st

from explainers.decision_settings import DecisionSettings

WORKSPACE = "whybox.workspace"
SELECTED_ROW = "whybox.selected_row"
PRESENTER = "whybox.presenter"
WHAT_IF_ROW = "whybox.what_if_row"
SECOND_DATA = "whybox.second_data"
CHALLENGER = "whybox.challenger"


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """Bytes held in this session's memory, with their content hash."""

    name: str
    digest: str
    raw: bytes
    scope: str = ""
    """Who the file belongs to: a session for an uploaded model (its sandbox is its own)."""


@dataclass(frozen=True, slots=True)
class Workspace:
    """Everything one session has loaded; replaced whole, never mutated."""

    model: UploadedFile
    data: UploadedFile
    target: str | None = None
    output_label: str | None = None
    title: str = "Uploaded model"
    is_demo: str | None = None
    settings: DecisionSettings = DecisionSettings()

    @property
    def id_column(self) -> str | None:
        """The column of IDs rows are found by (from the decision settings)."""
        return self.settings.id_column

    @property
    def files_key(self) -> tuple[str, str]:
        """The model's and the data's content hashes: what session choices tied to these
        files (the picked row, extra datasets, a challenger) belong to."""
        return self.model.digest, self.data.digest

    @property
    def key(self) -> str:
        """One key for every cache entry of this model on this data: content hashes of both
        files, the target and the class explained (the settings have :attr:`settings_key`)."""
        parts = (*self.files_key, self.target, self.output_label)
        return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()

    @property
    def settings_key(self) -> str:
        """The decision settings' content hash, for cache keys."""
        return self.settings.digest()

    def with_options(self, **changes: Any) -> Workspace:
        """A copy with some choices changed."""
        return replace(self, **changes)


def demo_button_key(demo: str) -> str:
    """Widget key of the upload page's "Open this demo" button for one demo."""
    return f"demo_{demo}"


def demo_button_pressed(demos: Iterable[str]) -> bool:
    """True during the run a click on one of the demo buttons started."""
    return any(st.session_state.get(demo_button_key(d)) for d in demos)


def workspace() -> Workspace | None:
    """The current session's workspace, if a model and data are loaded."""
    value = st.session_state.get(WORKSPACE)
    return value if isinstance(value, Workspace) else None


def set_workspace(value: Workspace) -> None:
    """Replace the workspace; a new one forgets the picked row and what-if edits."""
    previous = workspace()
    st.session_state[WORKSPACE] = value
    if previous is None or previous.files_key != value.files_key:
        for key in (SELECTED_ROW, WHAT_IF_ROW, SECOND_DATA):
            st.session_state.pop(key, None)


def selected_row() -> object | None:
    """The dataset index label of the row the user picked last, if any."""
    return st.session_state.get(SELECTED_ROW)


def select_row(row_id: object) -> None:
    """Remember a row (for the breakdown and what-if pages)."""
    st.session_state[SELECTED_ROW] = row_id
    st.session_state.pop(WHAT_IF_ROW, None)
