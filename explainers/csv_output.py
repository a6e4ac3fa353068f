"""CSV files whybox writes, safe to open in a spreadsheet.

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is read by Excel, LibreOffice and Google Sheets as a formula
(``=cmd|' /C calc'!A0``), and IDs and category labels come from uploads. As
OWASP recommends for CSV injection, such a cell is written with a leading
single quote, which spreadsheets show as text. Only text cells (and the
header) are changed: numbers, including negative ones, are written as numbers,
and so is text that is exactly a plain number (a label ``-1``, written as text),
which a spreadsheet reads as that number, never as a formula.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(value: object) -> object:
    """A text value a spreadsheet would run, quoted so it reads as text; anything else as is.

    Examples
    --------
    >>> neutralise("=1+1"), neutralise("-3 years"), neutralise("-3"), neutralise("north")
    ("'=1+1", "'-3 years", '-3', 'north')
    """
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def spreadsheet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` whose text cells and column names cannot run as formulas."""
    safe = table.copy()
    safe.columns = [neutralise(str(name)) for name in table.columns]
    for position in range(safe.shape[1]):
        column = safe.iloc[:, position]
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            safe.isetitem(position, column.map(neutralise, na_action="ignore"))
        elif isinstance(column.dtype, pd.CategoricalDtype):
            safe.isetitem(position, column.astype(object).map(neutralise, na_action="ignore"))
    return safe


def to_csv_text(table: pd.DataFrame) -> str:
    """The table as spreadsheet-safe CSV text (for downloads)."""
    return str(spreadsheet_safe(table).to_csv(index=False))


def write_csv(table: pd.DataFrame, path: str | Path) -> None:
    """Write the table as spreadsheet-safe CSV."""
    spreadsheet_safe(table).to_csv(path, index=False)
