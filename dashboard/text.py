"""Text helpers for what pages write with Markdown (no Streamlit).

Column names, category labels, class labels, file names and the names a
refused model file asked for are chosen by whoever made the upload. Rendered
as Markdown they could draw images (which the browser fetches from any
server, so data would leave the machine), links, or Streamlit's colour and
icon directives.
"""

from __future__ import annotations

import re

# Every ASCII punctuation character: CommonMark shows a backslash-escaped one as itself.
_MARKDOWN_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")
_LINE_BREAKS = re.compile(r"[\r\n\t\f\v]+")


def escape_markdown(text: object) -> str:
    r"""Text from the data, safe inside Markdown: shown exactly as written, never as markup.

    Every ASCII punctuation character is escaped and line breaks become spaces
    (so no heading, list or code block can start).

    Examples
    --------
    >>> print(escape_markdown("0 <= ... < 200 DM"))
    0 \<\= \.\.\. \< 200 DM
    >>> print(escape_markdown("![x](http://example.com/a.png)"))
    \!\[x\]\(http\:\/\/example\.com\/a\.png\)
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _LINE_BREAKS.sub(" ", str(text)))
