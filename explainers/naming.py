"""How a column is named to a reader: the one naming helper of every page, chart and report."""

from __future__ import annotations

from collections.abc import Mapping


def feature_label(feature: str, display_names: Mapping[str, str] | None = None) -> str:
    """The human-readable name of a column.

    A name from ``display_names`` wins. Otherwise underscores become spaces
    and the first letter a capital, except that short or abbreviated names
    (at most three characters, or with a digit or a capital letter, like
    "bmi", "s6" or "BP") are kept exactly as written rather than turned into
    "Bmi" or "S6".

    Examples
    --------
    >>> feature_label("duration_in_month"), feature_label("purpose"), feature_label("bmi")
    ('Duration in month', 'Purpose', 'bmi')
    """
    if display_names and feature in display_names:
        return display_names[feature]
    words = feature.replace("_", " ").strip()
    abbreviated = len(words) <= 3 or any(c.isdigit() or c.isupper() for c in words)
    return words if abbreviated else words[:1].upper() + words[1:]
