"""Text from uploads, made safe for Streamlit's markdown (``st.markdown``, ``st.error``, labels).

Column names, category labels, class labels, file names and the names a
refused model file asked for are chosen by whoever made the upload. Rendered
as markdown they could draw images (which the browser fetches from any
server, so data would leave the machine), links, or Streamlit's colour and
icon directives. :func:`md` escapes every ASCII punctuation character, which
CommonMark then shows as itself, and turns line breaks into spaces.
"""

from __future__ import annotations

import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_LINE_BREAKS = re.compile(r"[\r\n\t\f\v]+")


def md(text: object) -> str:
    """``text`` as literal markdown: shown exactly as written, never as markup.

    Examples
    --------
    >>> md("![x](http://example.com/a.png)")
    '\\\\!\\\\[x\\\\]\\\\(http\\\\:\\\\/\\\\/example\\\\.com\\\\/a\\\\.png\\\\)'
    """
    return _PUNCTUATION.sub(r"\\\1", _LINE_BREAKS.sub(" ", str(text)))
