"""Text helpers for what pages write with Markdown, and charts with Plotly (no Streamlit).

Column names, category labels, class labels, file names and the names a
refused model file asked for are chosen by whoever made the upload. Rendered
as Markdown they could draw images (which the browser fetches from any
server, so data would leave the machine), links, or Streamlit's colour and
icon directives; in a Plotly figure, ``<span style>``, ``<a href>`` and
``<b>`` tags.
"""

from __future__ import annotations

import re

# Every ASCII punctuation character: CommonMark shows a backslash-escaped one as itself.
_MARKDOWN_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")
_LINE_BREAKS = re.compile(r"[\r\n\t\f\v]+")
# Where GitHub-flavoured Markdown turns plain text into a link: "http://", "www.", "a@b.c".
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)
WORD_JOINER = "\u2060"
"""Invisible; put inside ``://``, ``www.`` and after ``@`` so no link is made of them."""


def escape_markdown(text: object) -> str:
    r"""Text from the data, safe inside Markdown: shown exactly as written, never as markup.

    Every ASCII punctuation character is escaped and line breaks become spaces
    (so no heading, list or code block can start). A backslash does not stop
    GitHub's autolinks (they are found in the text after escapes), so an
    invisible :data:`WORD_JOINER` breaks ``://``, ``www.`` and ``@``.

    Examples
    --------
    >>> print(escape_markdown("0 <= ... < 200 DM"))
    0 \<\= \.\.\. \< 200 DM
    >>> print(escape_markdown("![x](http://example.com/a.png)").replace(WORD_JOINER, "+"))
    \!\[x\]\(http\:+\/\/example\.com\/a\.png\)
    """
    text = _AUTOLINK.sub(WORD_JOINER, _LINE_BREAKS.sub(" ", str(text)))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


_PLOTLY_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape_plotly(text: object) -> str:
    """Text from the data, safe inside a Plotly label, title or template: shown as written.

    Plotly reads ``<b>``, ``<span style=...>``, ``<a href=...>`` and ``<br>`` in
    every text it draws and decodes ``&lt;``-style entities; ``%{...}`` in a
    hover or text template names a field. So ``&``, ``<`` and ``>`` become
    entities and the ``%`` of ``%{`` becomes ``&#37;``. Whybox's own markup
    around the escaped text keeps working.

    Examples
    --------
    >>> print(escape_plotly('<b>x</b> & %{y}'))
    &lt;b&gt;x&lt;/b&gt; &amp; &#37;{y}
    """
    return str(text).translate(_PLOTLY_ENTITIES).replace("%{", "&#37;{")
