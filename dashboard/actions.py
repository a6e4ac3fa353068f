"""Loading things into the session: validate first, then replace the workspace.

A failed load raises before ``set_workspace``, so whatever was loaded before
stays loaded.
"""

from __future__ import annotations

from dashboard import cache
from dashboard.state import UploadedFile, Workspace, set_workspace
from explainers.decision_settings import check_settings
from explainers.limits import refuse_if_too_large
from explainers.loading import digest
from sample_models import DEMOS


def uploaded(name: str, raw: bytes, *, scope: str = "") -> UploadedFile:
    """Wrap uploaded bytes with their SHA-256, refusing files over the limit.

    ``scope`` (a session id, for an uploaded model) is written into the digest,
    so every cache entry made with that model belongs to that session alone.
    """
    refuse_if_too_large(name, len(raw))
    key = digest(raw) if not scope else f"{digest(raw)}.{scope}"
    return UploadedFile(name=name, digest=key, raw=raw, scope=scope)


def session_scope() -> str:
    """The id of the browser session running this script (a model upload's scope)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx()
    return context.session_id if context is not None else "no-session"


def demo_workspace(key: str) -> Workspace:
    """The workspace of a bundled demo (files read from the package)."""
    demo = DEMOS[key]
    model_path, data_path = demo.path(demo.model_file), demo.path(demo.data_file)
    settings = demo.settings()
    return Workspace(
        model=uploaded(model_path.name, model_path.read_bytes()),
        data=uploaded(data_path.name, data_path.read_bytes()),
        target=demo.target,
        output_label=settings.favourable,
        title=demo.title,
        is_demo=key,
        settings=settings,
    )


def activate(ws: Workspace) -> Workspace:
    """Check that model and data work together, then make ``ws`` current.

    Raises
    ------
    ExplainerError
        Nothing is replaced when loading or aligning fails.
    """
    prepared = cache.prepared(ws)
    if ws.output_label is not None:
        prepared.bundle.output_index(ws.output_label)
    check_settings(
        ws.settings,
        cache.frame(ws),
        output_labels=prepared.bundle.output_labels if prepared.bundle.task != "regression" else (),
        data_name=ws.data.name,
    )
    set_workspace(ws)
    return ws


def guess_target(columns: list[str], feature_names: tuple[str, ...]) -> str | None:
    """The one column the model does not use, if there is exactly one."""
    extra = [c for c in columns if c not in feature_names]
    return extra[0] if len(extra) == 1 and feature_names else None
