"""Sizes whybox accepts, and the refusal of a file over them (imports only the error type:
the server and the CLI read these before anything heavy loads)."""

from __future__ import annotations

from explainers.errors import ModelLoadError

MAX_UPLOAD_MB = 200
"""The largest file whybox takes, model or data (the server's upload widget says the same)."""
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 2**20
REFERENCE_ROWS = 10_000
"""The first rows of a dataset that its SHAP background and batch settings are drawn from."""
TOO_LARGE = "The file {name} is {size_mb:,.1f} MB; whybox accepts files up to {limit_mb:g} MB."
TOO_LARGE_HINT = (
    "Use a smaller file (explain a large dataset in batch with `whybox explain`), or ask "
    "the person who runs this server to raise the limit."
)


def refuse_if_too_large(name: str, size: int, *, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    """Refuse a file (model or data) of ``size`` bytes over the upload limit.

    Raises
    ------
    ModelLoadError
        With :data:`TOO_LARGE` naming the file, its size and the limit.
    """
    if size > max_bytes:
        message = TOO_LARGE.format(name=name, size_mb=size / 2**20, limit_mb=max_bytes / 2**20)
        raise ModelLoadError(message, TOO_LARGE_HINT)
