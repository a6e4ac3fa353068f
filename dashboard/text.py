"""Text helpers for what pages write with Markdown (no Streamlit)."""

from __future__ import annotations

import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~$:])")


def escape_markdown(text: str) -> str:
    r"""Text from the data, safe inside Markdown: every character Markdown reads is escaped.

    Examples
    --------
    >>> print(escape_markdown("0 <= ... < 200 DM"))
    0 \<= \.\.\. \< 200 DM
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
