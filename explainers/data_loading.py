"""Read an uploaded dataset (CSV or Parquet) into a validated DataFrame."""

from __future__ import annotations

import csv
import io

import pandas as pd

from explainers.errors import DataValidationError

MAX_COLUMNS = 2_000
_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
_DELIMITERS = ",;\t|"
_PARQUET_MAGIC = b"PAR1"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"

EMPTY_FILE = "The dataset file is empty."
EMPTY_FILE_HINT = "Upload a CSV or Parquet file with a header row and at least one data row."
SPREADSHEET = "This file is an Excel spreadsheet, not a CSV or Parquet file."
SPREADSHEET_HINT = "In Excel use File > Save As > CSV, then upload the CSV."
BINARY = "This file is not a CSV or Parquet dataset (it holds binary data)."
UNREADABLE = "The dataset could not be read as a table: {reason}."
NO_ROWS = "The dataset has a header but no rows."
NO_ROWS_HINT = "Upload a file with at least one data row."
DUPLICATE_COLUMNS = "The dataset has duplicate column names: {names}."
DUPLICATE_COLUMNS_HINT = "Give every column a unique name in the header row."
TOO_MANY_COLUMNS = "The dataset has {n:,} columns; whybox explains at most {limit:,}."
TOO_MANY_COLUMNS_HINT = "Keep only the columns the model uses."


def load_dataset(raw: bytes, filename: str = "data.csv") -> pd.DataFrame:
    """Read CSV or Parquet bytes, sniffing delimiter and text encoding.

    Parameters
    ----------
    raw : bytes
        File contents.
    filename : str
        Original name; only used to prefer Parquet when it ends in ``.parquet``.

    Returns
    -------
    pandas.DataFrame
        With unique string column names and at least one row.

    Raises
    ------
    DataValidationError
        If the file is empty, binary, a spreadsheet, or has no rows.
    """
    if not raw or not raw.strip():
        raise DataValidationError(EMPTY_FILE, EMPTY_FILE_HINT)
    if raw.startswith(_PARQUET_MAGIC):
        frame = _read_parquet(raw)
    elif raw.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        raise DataValidationError(SPREADSHEET, SPREADSHEET_HINT)
    elif b"\x00" in raw[:4096]:
        raise DataValidationError(BINARY)
    else:
        frame = _read_csv(raw)
    return validate_frame(frame)


def validate_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Check shape and column names of a loaded table."""
    names = [str(c) for c in frame.columns]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DataValidationError(
            DUPLICATE_COLUMNS.format(names=", ".join(duplicates)), DUPLICATE_COLUMNS_HINT
        )
    if frame.shape[1] > MAX_COLUMNS:
        raise DataValidationError(
            TOO_MANY_COLUMNS.format(n=frame.shape[1], limit=MAX_COLUMNS), TOO_MANY_COLUMNS_HINT
        )
    if len(frame) == 0:
        raise DataValidationError(NO_ROWS, NO_ROWS_HINT)
    frame = frame.copy()
    frame.columns = names
    return frame


def _read_parquet(raw: bytes) -> pd.DataFrame:
    try:
        return pd.read_parquet(io.BytesIO(raw))
    except Exception as exc:  # pyarrow raises many types for corrupt files
        raise DataValidationError(UNREADABLE.format(reason="the Parquet file is damaged")) from exc


def _decode(raw: bytes) -> str:
    for encoding in _ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataValidationError(UNREADABLE.format(reason="unknown text encoding"))  # pragma: no cover


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        counts = {d: header.count(d) for d in _DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _read_csv(raw: bytes) -> pd.DataFrame:
    text = _decode(raw)
    delimiter = _sniff_delimiter(text)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, skipinitialspace=False)
    except pd.errors.EmptyDataError as exc:
        raise DataValidationError(EMPTY_FILE, EMPTY_FILE_HINT) from exc
    except (pd.errors.ParserError, ValueError) as exc:
        reason = str(exc).splitlines()[0]
        raise DataValidationError(UNREADABLE.format(reason=reason)) from exc
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed: ")]
    if unnamed and len(unnamed) == 1 and frame.columns[0] == unnamed[0]:
        frame = frame.set_index(unnamed[0])
        frame.index.name = None
    return frame
