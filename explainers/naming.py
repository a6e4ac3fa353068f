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


def counted(n: int, plural: str) -> str:
    """``n`` and the noun, singular when ``n`` is 1 ("1 applicant", "2 applicants").

    The settings name rows in the plural only; the singular drops a final "s"
    ("ies" becomes "y", "people" becomes "person"); other words are kept.

    Examples
    --------
    >>> counted(1, "applicants"), counted(1, "companies"), counted(1, "people"), counted(3, "rows")
    ('1 applicant', '1 company', '1 person', '3 rows')
    """
    if n != 1:
        return f"{n:,} {plural}"
    words = plural.rsplit(" ", 1)
    last = words[-1]
    if last.lower() == "people":
        last = last[0] + "erson"
    elif last.endswith("ies") and len(last) > 4:
        last = last[:-3] + "y"
    elif last.endswith("s") and not last.endswith("ss"):
        last = last[:-1]
    return f"1 {' '.join([*words[:-1], last])}"
