"""The data side of issue 12: sniffing in linear time, Parquet decoded within budget,
spreadsheet-safe CSV output, and markdown-safe text from uploads."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dashboard.cli import main
from dashboard.text import WORD_JOINER
from dashboard.text import escape_markdown as md
from explainers.csv_output import FORMULA_STARTS, spreadsheet_safe, write_csv
from explainers.data_loading import (
    NESTED_COLUMNS,
    NESTED_COLUMNS_HINT,
    OVER_MEMORY_BUDGET_HINT,
    _sniff_delimiter,
    load_dataset,
)
from explainers.errors import DataValidationError
from tests.bad_inputs import FEATURES, TARGET, fitted_model, frame
from tests.conftest import ROOT

# --------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize(
    "text",
    ['"a,' * 130_000 + "\n1\n", "a," * 200_000 + "\n" + "1," * 200_000 + "\n", '"' * 390_000],
    ids=["quotes-and-commas", "wide-header", "only-quotes"],
)
def test_sniffing_a_hostile_csv_takes_linear_time(text: str) -> None:
    """csv.Sniffer took over 120 s on a 390 KB file and 47 s on 60 KB of '"a,'."""
    start = time.perf_counter()
    try:
        load_dataset(text.encode(), "data.csv")
    except DataValidationError:
        pass
    assert time.perf_counter() - start < 5.0


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("age;income\n30;2000,5\n41;2500,25\n", ";"),  # decimal commas
        ("a,b,c\n1,2,3\n4,5,6\n", ","),
        ("a\tb\n1\t2\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ("only\n1\n2\n", ","),
        ('name,note\n"Smith; J",x\n"Doe; A",y\n', ","),
    ],
)
def test_delimiter_found(text: str, delimiter: str) -> None:
    assert _sniff_delimiter(text) == delimiter


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'a,b\n1,"x\ry"\n2,z\n', {"a": [1, 2], "b": ["x\ry", "z"]}),
        (b'a,"\r=3+4"\r\n1,2\r\n3,4\r\n', {"a": [1, 3], "\r=3+4": [2, 4]}),
        (b'a;b\r1;"x\ry"\r2;z\r', {"a": [1, 2], "b": ["x\ry", "z"]}),
    ],
    ids=["cr-in-a-cell", "cr-in-a-header", "cr-line-ends"],
)
def test_carriage_return_inside_quotes_is_read_as_written(
    raw: bytes, expected: dict[str, list[object]]
) -> None:
    """RFC 4180 allows CR in a quoted cell; the delimiter sniffer stopped on it (a fault)."""
    assert load_dataset(raw).to_dict("list") == expected


def test_whybox_explain_reads_a_csv_with_a_carriage_return_in_a_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import joblib

    model_path, data_path = tmp_path / "model.joblib", tmp_path / "data.csv"
    joblib.dump(fitted_model(), model_path)
    data = frame(6).assign(note="line one\rline two")
    data.to_csv(data_path, index=False, quoting=csv.QUOTE_NONNUMERIC)
    assert b'"line one\rline two"' in data_path.read_bytes()
    out = tmp_path / "explained.csv"

    status = main(["explain", str(model_path), str(data_path), "--out", str(out),
                   "--target", TARGET])  # fmt: skip

    assert status == 0, capsys.readouterr().err
    assert len(pd.read_csv(out)) == 6


# --------------------------------------------------------------------------- parquet


def _dictionary_bomb(n_rows: int = 30_000, value_bytes: int = 100_000) -> bytes:
    """One long text in the dictionary, repeated on every row: small file, gigabytes decoded."""
    values = pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(n_rows, dtype=np.int32)), pa.array(["x" * value_bytes])
    )
    table = pa.table({"note": values, "age": pa.array(np.arange(n_rows))})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd", store_schema=False)
    return buffer.getvalue()


_PARQUET_PROBE = """
import resource, sys
from explainers.data_loading import load_dataset
from explainers.errors import DataValidationError
raw = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    load_dataset(raw, "data.parquet", memory_budget=256 * 2**20)
    print("loaded")
except DataValidationError as exc:
    print(exc.user_message)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def _probe(raw: bytes, folder: Path) -> tuple[str, int]:
    """Load ``raw`` in a fresh process (256 MB budget): its message and memory growth in MB."""
    path = folder / "data.parquet"
    path.write_bytes(raw)
    result = subprocess.run(
        [sys.executable, "-c", _PARQUET_PROBE, str(path)],
        capture_output=True, text=True, timeout=300, check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    message, grown_mb = result.stdout.strip().splitlines()[-2:]
    return message, int(grown_mb)


def test_parquet_that_decodes_to_gigabytes_is_refused_while_small(tmp_path: Path) -> None:
    raw = _dictionary_bomb()
    assert len(raw) < 1_000_000
    metadata = pq.ParquetFile(io.BytesIO(raw)).metadata
    declared = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    assert declared < 256 * 2**20  # the footer alone would let it through
    message, grown_mb = _probe(raw, tmp_path)
    assert "this server allows 256 MB per dataset" in message
    assert grown_mb < 200


def _list_bomb(n_rows: int = 100, list_length: int = 400_000) -> bytes:
    """Long lists of zeros: a few kilobytes of file, hundreds of megabytes decoded at once."""
    offsets = pa.array(np.arange(n_rows + 1, dtype=np.int32) * list_length)
    values = pa.ListArray.from_arrays(offsets, pa.array(np.zeros(n_rows * list_length)))
    buffer = io.BytesIO()
    pq.write_table(pa.table({"readings": values, "age": np.arange(n_rows)}), buffer,
                   compression="zstd")  # fmt: skip
    return buffer.getvalue()


def test_parquet_with_list_columns_is_refused_before_decoding(tmp_path: Path) -> None:
    """A 6 KB file of 250 lists of a million took the server to 2.2 GB (red team F5)."""
    raw = _list_bomb()
    assert len(raw) < 100_000
    message, grown_mb = _probe(raw, tmp_path)
    assert message == NESTED_COLUMNS.format(names="readings")
    assert grown_mb < 100


@pytest.mark.parametrize(
    "column",
    [pa.array([{"a": 1}, {"a": 2}]), pa.array([[("k", 1)], []], pa.map_(pa.string(), pa.int64()))],
    ids=["struct", "map"],
)
def test_parquet_with_records_in_cells_is_refused(column: pa.Array) -> None:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"nested": column, "age": [1, 2]}), buffer)
    with pytest.raises(DataValidationError, match=re.escape(NESTED_COLUMNS_HINT)) as refused:
        load_dataset(buffer.getvalue(), "data.parquet")
    assert refused.value.user_message == NESTED_COLUMNS.format(names="nested")


def test_parquet_within_budget_reads_as_pandas_does() -> None:
    data = pd.DataFrame(
        {
            "region": ["north", None, "south", "north"],
            "grade": pd.Categorical(["a", "b", "a", None]),
            "income": [1.5, np.nan, -2.0, 3.0],
            "count": [1, 2, 3, 4],
            "flag": [True, False, True, True],
            "when": pd.to_datetime(["2020-01-01", "2021-02-03", None, "2022-03-04"]),
        }
    )
    raw = data.to_parquet(index=False)

    loaded = load_dataset(raw, "data.parquet", memory_budget=2**30)

    pd.testing.assert_frame_equal(loaded, pd.read_parquet(io.BytesIO(raw)))


def test_parquet_over_budget_names_the_budget() -> None:
    with pytest.raises(DataValidationError, match="this server allows 1.0 MB") as caught:
        load_dataset(_dictionary_bomb(2_000, 1_000), "data.parquet", memory_budget=2**20)
    assert caught.value.hint == OVER_MEMORY_BUDGET_HINT


# --------------------------------------------------------------------------- CSV output


def test_text_cells_that_would_run_in_a_spreadsheet_are_quoted() -> None:
    table = pd.DataFrame(
        {
            "row_id": ["=cmd|' /C calc'!A0", "+1+1", "-2)", "@SUM(A1)", "\tx", "\rx", "C-1", None],
            "attribution": [-0.5, 0.25, -1e-9, 0.0, -3.0, 1.0, 2.0, np.nan],
            "count": [-1, 2, 3, 4, 5, 6, 7, 8],
        }
    )
    safe = spreadsheet_safe(table)

    for original, written in zip(table["row_id"], safe["row_id"], strict=True):
        if isinstance(original, str) and original.startswith(FORMULA_STARTS):
            assert written == "'" + original
        else:
            assert written == original or (pd.isna(written) and pd.isna(original))
    pd.testing.assert_series_equal(safe["attribution"], table["attribution"])
    pd.testing.assert_series_equal(safe["count"], table["count"])


def test_text_that_is_a_plain_number_is_written_as_is() -> None:
    numbers = ["-1", "-0.2915", "+3", "-1e-05", "-.5", "-2E+3"]
    formulas = ["-1+1", "-A1", "+1)", "-1e", "--1", "-1 ", "-", "-inf", "-0x1"]
    safe = spreadsheet_safe(pd.DataFrame({"label": numbers + formulas}))
    assert list(safe["label"]) == numbers + ["'" + f for f in formulas]


def test_formula_header_is_quoted(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_csv(pd.DataFrame({"=HYPERLINK(1)": [1.0]}), path)
    assert path.read_text().splitlines()[0] == "'=HYPERLINK(1)"


def test_whybox_explain_csv_neutralises_ids_but_keeps_negative_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import joblib

    model_path = tmp_path / "model.joblib"
    joblib.dump(fitted_model(), model_path)
    data = frame(6)
    data.index = ["=cmd|' /C calc'!A0", "@x", "+1", "-7", "-7+1", "C0005"]
    data_path = tmp_path / "data.csv"
    data.to_csv(data_path)  # the IDs become the first, unnamed column: whybox's row_id
    out = tmp_path / "explained.csv"

    status = main(["explain", str(model_path), str(data_path), "--out", str(out),
                   "--target", TARGET])  # fmt: skip

    assert status == 0, capsys.readouterr().err
    written = pd.read_csv(out, dtype={"row_id": str})
    assert written["row_id"].tolist() == [
        "'=cmd|' /C calc'!A0",
        "'@x",
        "+1",  # a plain number reads as that number: never quoted
        "-7",
        "'-7+1",
        "C0005",
    ]
    attributions = written[list(FEATURES)].to_numpy(dtype=float)
    assert (attributions < 0).any()  # negative numbers are still numbers


# --------------------------------------------------------------------------- markdown


@pytest.mark.parametrize(
    "text",
    [
        "![x](http://127.0.0.1:9/leak.png)",
        "[click](javascript:alert(1))",
        ":red[alarm] :material/home:",
        "<img src=http://127.0.0.1:9/x>",
        "**bold** _it_ `code` $x^2$",
        "# heading\n- item",
        "http://127.0.0.1:9/a www.example.com me@example.com HTTPS://X",
    ],
)
def test_markdown_escaping_leaves_no_markup(text: str) -> None:
    escaped = md(text)
    assert not re.search(r"://|www\\?\.|@\w", re.sub(r"\\(.)", r"\1", escaped), re.I)  # no autolink
    assert "\n" not in escaped  # no block structure (headings, lists) across lines
    # CommonMark shows a backslash-escaped ASCII punctuation character as itself.
    unescaped = re.sub(r"\\[!-/:-@\[-`{-~]", "", escaped)
    assert not re.search(r"[!-/:-@\[-`{-~]", unescaped), unescaped
    shown = re.sub(r"\\(.)", r"\1", escaped).replace(WORD_JOINER, "")
    assert shown == text.replace("\n", " ")
