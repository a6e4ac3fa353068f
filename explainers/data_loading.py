"""Read an uploaded dataset (CSV or Parquet) into a validated DataFrame."""

from __future__ import annotations

import collections
import csv
import io
import itertools
import math
import zipfile
from collections.abc import Mapping

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from explainers.errors import DataValidationError

MAX_COLUMNS = 2_000
SNIFF_BYTES = 64 * 1024
"""How much of a CSV file is read to find its delimiter."""
DECIMAL_COMMA = r"[+-]?(?:\d+|\d{1,3}(?:\.\d{3})+)(?:,\d+)?"
"""A number written with a decimal comma and optional thousands dots: "1.234,5", "-0,25"."""
_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
_DELIMITERS = ",;\t|"
_PARQUET_MAGIC = b"PAR1"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
MEMORY_BUDGET_ENV = "WHYBOX_MEMORY_BUDGET_MB"
"""Environment variable the server operator sets: the most memory one dataset may take."""
DEFAULT_MEMORY_BUDGET_MB = 2_048
_PARQUET_BATCH_ROWS = 8_192

EMPTY_FILE = "The dataset file is empty."
EMPTY_FILE_HINT = "Upload a CSV or Parquet file with a header row and at least one data row."
SPREADSHEET = "This file is an Excel spreadsheet, not a CSV or Parquet file."
SPREADSHEET_HINT = "In Excel use File > Save As > CSV, then upload the CSV."
ARCHIVE = "This file is a ZIP archive, not a CSV or Parquet file."
ARCHIVE_HINT = "Unzip it and upload the CSV or Parquet file inside."
BINARY = "This file is not a CSV or Parquet dataset (it holds binary data)."
UNREADABLE = "The dataset could not be read as a table: {reason}."
NO_ROWS = "The dataset has a header but no rows."
NO_ROWS_HINT = "Upload a file with at least one data row."
DUPLICATE_COLUMNS = "The dataset has duplicate column names: {names}."
DUPLICATE_COLUMNS_HINT = "Give every column a unique name in the header row."
TOO_MANY_COLUMNS = "The dataset has {n:,} columns; whybox explains at most {limit:,}."
TOO_MANY_COLUMNS_HINT = "Keep only the columns the model uses."
NESTED_COLUMNS = (
    "The Parquet file has columns that hold lists, maps or records in each cell: {names}."
)
NESTED_COLUMNS_HINT = (
    "A model takes one value per cell: flatten those columns into plain columns, or leave "
    "them out, and upload again."
)
OVER_MEMORY_BUDGET = (
    "This dataset needs about {need_mb} MB of memory once loaded; this server allows "
    "{budget_mb} MB per dataset."
)
OVER_MEMORY_BUDGET_HINT = (
    "Upload a random sample of the rows (for example df.sample(100_000)), or explain the whole "
    "file in batch with `whybox explain MODEL DATA --out FILE`."
)


def load_dataset(
    raw: bytes, filename: str = "data.csv", *, memory_budget: int | None = None
) -> pd.DataFrame:
    """Read CSV or Parquet bytes, sniffing delimiter and text encoding.

    Parameters
    ----------
    raw : bytes
        File contents. The format is detected from them, not from the name.
    filename : str
        Original name; the format is detected from the content, not the name.
    memory_budget : int or None, default=None
        Most bytes the loaded table may take in memory (see
        :func:`estimate_memory_bytes`); None for no limit. A file that plainly
        needs more is refused before it is parsed.

    Returns
    -------
    pandas.DataFrame
        With unique string column names and at least one row.

    Raises
    ------
    DataValidationError
        If the file is empty, binary, a spreadsheet or other archive, has
        duplicate column names, too many columns, no rows, or would not fit
        ``memory_budget``.

    Examples
    --------
    >>> load_dataset(b"a;b\\n1;2\\n").columns.tolist()
    ['a', 'b']
    """
    if not raw or not raw.strip():
        raise DataValidationError(EMPTY_FILE, EMPTY_FILE_HINT)
    if raw.startswith(_PARQUET_MAGIC):
        _check_budget(_parquet_size(raw), memory_budget)
        frame = _read_parquet(raw, memory_budget)
    elif raw.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        if raw.startswith(_ZIP_MAGIC) and not _is_workbook(raw):
            raise DataValidationError(ARCHIVE, ARCHIVE_HINT)
        raise DataValidationError(SPREADSHEET, SPREADSHEET_HINT)
    elif raw.startswith(_UTF16_BOMS):
        _check_budget(len(raw) // 2, memory_budget)  # two bytes a character
        frame = _read_csv(raw, encodings=("utf-16",))
    elif b"\x00" in raw[:4096]:
        raise DataValidationError(BINARY)
    else:
        _check_budget(len(raw), memory_budget)  # the decoded text alone takes this much
        frame = _read_csv(raw)
    frame = validate_frame(frame)
    _check_budget(estimate_memory_bytes(frame), memory_budget)
    return frame


def estimate_memory_bytes(frame: pd.DataFrame) -> int:
    """Bytes a table takes in memory, text cells included (pandas' deep memory usage).

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    int

    Examples
    --------
    >>> estimate_memory_bytes(pd.DataFrame({"x": [1.0, 2.0]})) >= 16
    True
    """
    return int(frame.memory_usage(index=True, deep=True).sum())


def memory_budget_from_env(environ: Mapping[str, str]) -> int:
    """The per-dataset memory budget in bytes, from ``WHYBOX_MEMORY_BUDGET_MB``.

    Parameters
    ----------
    environ : mapping of str to str
        Usually ``os.environ``. A missing, non-numeric or non-positive value
        means the default, :data:`DEFAULT_MEMORY_BUDGET_MB`.

    Returns
    -------
    int
        Bytes.

    Examples
    --------
    >>> memory_budget_from_env({"WHYBOX_MEMORY_BUDGET_MB": "512"})
    536870912
    """
    try:
        megabytes = float(environ.get(MEMORY_BUDGET_ENV, ""))
    except ValueError:
        megabytes = DEFAULT_MEMORY_BUDGET_MB
    if not (math.isfinite(megabytes) and megabytes > 0):
        megabytes = DEFAULT_MEMORY_BUDGET_MB
    return int(megabytes * 2**20)


def _check_budget(need: int, budget: int | None) -> None:
    if budget is not None and need > budget:
        raise DataValidationError(
            OVER_MEMORY_BUDGET.format(need_mb=_megabytes(need), budget_mb=_megabytes(budget)),
            OVER_MEMORY_BUDGET_HINT,
        )


def _megabytes(n_bytes: int) -> str:
    megabytes = n_bytes / 2**20
    return f"{megabytes:,.0f}" if megabytes >= 10 else f"{megabytes:.1f}"


def _parquet_size(raw: bytes) -> int:
    """Uncompressed size from the Parquet footer; 0 when the footer is unreadable."""
    try:
        metadata = pq.ParquetFile(io.BytesIO(raw)).metadata
    except Exception:  # a damaged file is reported by _read_parquet
        return 0
    return sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))


def _is_workbook(raw: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            return any(name.startswith("xl/") for name in archive.namelist())
    except zipfile.BadZipFile:
        return True  # a damaged .xlsx is still most likely a spreadsheet


def validate_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Check shape and column names of a loaded table."""
    names = [str(c) for c in frame.columns]
    _check_unique(names)
    if frame.shape[1] > MAX_COLUMNS:
        raise DataValidationError(
            TOO_MANY_COLUMNS.format(n=frame.shape[1], limit=MAX_COLUMNS), TOO_MANY_COLUMNS_HINT
        )
    if len(frame) == 0:
        raise DataValidationError(NO_ROWS, NO_ROWS_HINT)
    frame = frame.copy()
    frame.columns = names
    return frame


def _check_unique(names: list[str]) -> None:
    counts = collections.Counter(names)  # names.count() per name was quadratic in the width
    duplicates = sorted(name for name, count in counts.items() if count > 1)
    if duplicates:
        raise DataValidationError(
            DUPLICATE_COLUMNS.format(names=", ".join(duplicates)), DUPLICATE_COLUMNS_HINT
        )


def _read_parquet(raw: bytes, budget: int | None = None) -> pd.DataFrame:
    """Decode a Parquet file batch by batch, refusing it as soon as it outgrows the budget.

    The footer's sizes are those of the encoded data: a column that stores one
    long text once in its dictionary and repeats it on every row declares
    kilobytes and decodes to gigabytes (a 0.8 MB file decoded to 3 GB). Text
    columns are therefore read with their dictionary kept, their decoded size
    counted from the dictionary's value lengths, and expanded only once the
    whole table fits.
    """
    try:
        schema = pq.ParquetFile(io.BytesIO(raw)).schema_arrow
        # A list column repeats its values unseen by the footer's sizes (a 6 KB file of
        # 250 lists of a million decoded to gigabytes); no model takes one anyway.
        nested = [f.name for f in schema if pa.types.is_nested(f.type)]
        if nested:
            names = ", ".join(nested[:5]) + (", …" if len(nested) > 5 else "")
            raise DataValidationError(NESTED_COLUMNS.format(names=names), NESTED_COLUMNS_HINT)
        text = [f.name for f in schema if _is_text(f.type)]
        parquet = pq.ParquetFile(io.BytesIO(raw), read_dictionary=text)
        batches, need = [], 0
        for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH_ROWS):
            need += sum(_decoded_bytes(column) for column in batch.columns)
            _check_budget(need, budget)
            batches.append(batch)
        table = pa.Table.from_batches(batches, schema=parquet.schema_arrow)
        for name in text:
            index = table.schema.get_field_index(name)
            table = table.set_column(index, name, table.column(name).cast(schema.field(name).type))
        return table.to_pandas()
    except DataValidationError:
        raise
    except Exception as exc:  # pyarrow raises many types for corrupt files
        raise DataValidationError(UNREADABLE.format(reason="the Parquet file is damaged")) from exc


def _is_text(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
    )


def _decoded_bytes(column: pa.Array) -> int:
    """Bytes a column takes once decoded: a dictionary's values counted on every row using them."""
    if not pa.types.is_dictionary(column.type):
        return int(column.nbytes)
    lengths = pc.binary_length(column.dictionary)
    total = pc.sum(pc.take(lengths, column.indices)).as_py() or 0
    return int(total) + 8 * len(column)


def _decode(raw: bytes, encodings: tuple[str, ...] = _ENCODINGS) -> str:
    for encoding in encodings:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataValidationError(UNREADABLE.format(reason="unknown text encoding"))


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same number of fields, most of all.

    Reads only the first :data:`SNIFF_BYTES` characters and parses them once per
    candidate with :mod:`csv`, so it takes time linear in that sample.
    ``csv.Sniffer`` was quadratic: a 390 KB one-line file held the server for
    over two minutes, and 60 KB of ``"a,`` took 47 s.
    """
    sample = text[:SNIFF_BYTES]
    if len(text) > SNIFF_BYTES and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # whole lines only
    best, best_score = ",", (0.0, 0)
    for delimiter in _DELIMITERS:
        try:  # newline="": a CR inside a quoted cell stays in its cell (RFC 4180)
            reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            rows = list(itertools.islice(reader, 50))
        except csv.Error:  # not this delimiter: a quote or line break out of place for it
            continue
        rows = [row for row in rows if row]
        if not rows or len(rows[0]) < 2:
            continue
        consistent = sum(len(row) == len(rows[0]) for row in rows) / len(rows)
        score = (consistent, len(rows[0]))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _has_decimal_commas(frame: pd.DataFrame) -> bool:
    """Whether some text column holds only numbers written with a decimal comma."""
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        values = series.dropna().astype(str).str.strip()
        if (
            len(values)
            and values.str.fullmatch(DECIMAL_COMMA).all()
            and (values.str.contains(",", regex=False).any())
        ):
            return True
    return False


def _read_csv(raw: bytes, encodings: tuple[str, ...] = _ENCODINGS) -> pd.DataFrame:
    text = _decode(raw, encodings)
    delimiter = _sniff_delimiter(text)
    # pandas renames repeated headers ("age", "age.1"); catch them in the header itself.
    try:
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error as exc:  # e.g. a field longer than the csv module's limit
        raise DataValidationError(UNREADABLE.format(reason="a cell is far too long")) from exc
    if len(header) > MAX_COLUMNS:
        raise DataValidationError(
            TOO_MANY_COLUMNS.format(n=len(header), limit=MAX_COLUMNS), TOO_MANY_COLUMNS_HINT
        )
    _check_unique([name.strip() for name in header if name.strip()])
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, skipinitialspace=False)
        if delimiter != "," and _has_decimal_commas(frame):
            # a European export: "1.234,5" means 1234.5; read the numbers as such
            frame = pd.read_csv(
                io.StringIO(text), sep=delimiter, skipinitialspace=False, decimal=",",
                thousands=".",
            )  # fmt: skip
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
