"""The sandbox's wire format: plain data in, the same plain data out, nothing else built."""

from __future__ import annotations

import json
import pickle
import struct
import sys
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from explainers import wire
from explainers.errors import DataValidationError, ExplainerError
from explainers.model_bundle import ModelBundle
from explainers.results import Attribution
from explainers.wire import WireError, decode_bytes, encode_bytes


def _roundtrip(value, bundle=None):
    return decode_bytes(encode_bytes(value), bundle=bundle)


def _frame(tree: object, buffers: bytes = b"") -> bytes:
    text = json.dumps(tree).encode()
    return wire.HEADER.pack(wire.MAGIC, len(text), len(buffers)) + text + buffers


def test_plain_values_and_containers_come_back_equal() -> None:
    value = {
        "a": [1, 2.5, None, True, "x"],
        3: (1, "two", frozenset({4})),
        (1, 2): {"nested": [float("inf")]},
        "when": datetime(2026, 12, 2, 6, 0, tzinfo=UTC),
        "ts": pd.Timestamp("2026-01-02 03:04"),
        "raw": b"\x00\x01bytes",
        "np": (np.float64(0.25), np.int64(-3), np.bool_(True)),
    }
    back = _roundtrip(value)
    assert back == value
    assert type(back["np"][0]) is np.float64 and type(back["np"][1]) is np.int64


@pytest.mark.parametrize(
    "array",
    [
        np.arange(12, dtype=np.float64).reshape(3, 4),
        np.array([[1, 2], [3, 4]], dtype=np.int32),
        np.array([True, False]),
        np.array(["2026-01-01", "NaT"], dtype="datetime64[ns]"),
        np.zeros((0, 5), dtype=np.float32),
        np.array([[1, "a"], [None, 2.5]], dtype=object),
    ],
)
def test_arrays_keep_dtype_shape_and_values(array: np.ndarray) -> None:
    back = _roundtrip(array)
    assert back.dtype == array.dtype and back.shape == array.shape
    if array.dtype == object:
        assert back.tolist() == array.tolist()
    else:
        np.testing.assert_array_equal(back, array)


def test_frames_keep_every_column_dtype_and_the_index() -> None:
    frame = pd.DataFrame(
        {
            "f": [1.5, np.nan, 3.0],
            "i": np.array([1, 2, 3], dtype=np.int64),
            "b": [True, False, True],
            "s": pd.array(["a", None, "c"], dtype="str"),
            "c": pd.Categorical(["x", "y", "x"], categories=["y", "x"], ordered=True),
            "n": pd.array([1, None, 3], dtype="Int64"),
            "o": pd.Series([1, "mixed", None], dtype=object),
        },
        index=pd.Index([10, 20, 30], name="id"),
    )
    back = _roundtrip(frame)
    pd.testing.assert_frame_equal(back, frame)
    pd.testing.assert_frame_equal(_roundtrip(frame.iloc[1:]), frame.iloc[1:])
    series = frame["s"].rename("text")
    pd.testing.assert_series_equal(_roundtrip(series), series)


def test_a_result_type_comes_back_through_its_constructor() -> None:
    attribution = Attribution.from_values(
        np.array([[0.1, -0.2]]), base_values=0.5, data=np.array([["a", 3]], dtype=object)
    )
    back = _roundtrip(attribution)
    assert isinstance(back, Attribution)
    np.testing.assert_array_equal(back.values, attribution.values)
    assert back.data.tolist() == [["a", 3]] and not back.values.flags.writeable


def test_a_bundle_crosses_as_metadata_and_the_receiver_supplies_the_model() -> None:
    bundle = ModelBundle(
        model=object(), task="binary", class_labels=("no", "yes"), feature_names=("a", "b"),
        name="LogisticRegression", uses_feature_names=True, warnings=("careful",),
    )  # fmt: skip
    frame = encode_bytes(bundle)
    assert b"object at" not in frame
    back = decode_bytes(frame, bundle=lambda meta: ModelBundle(model="here", **meta))
    assert back.model == "here" and back.class_labels == ("no", "yes")
    with pytest.raises(WireError, match="no model bundle"):
        decode_bytes(frame)


def test_errors_keep_class_message_and_hint() -> None:
    back = _roundtrip(DataValidationError("Column x is missing.", "Add it."))
    assert type(back) is DataValidationError
    assert (back.user_message, back.hint) == ("Column x is missing.", "Add it.")


def test_values_the_format_does_not_carry_are_refused_when_sending() -> None:
    for value in (object(), lambda: 1, {1, 2}, np.array([1 + 2j]).astype("V16")):
        with pytest.raises(WireError):
            encode_bytes(value)


# ------------------------------------------------------------ forged frames


def test_a_pickle_is_not_a_frame() -> None:
    with pytest.raises(WireError, match="not a whybox frame"):
        decode_bytes(pickle.dumps({"ok": True}))


@pytest.mark.parametrize(
    "name",
    [
        "subprocess.Popen",
        "os.system",
        "builtins.eval",
        "explainers.sandbox.Sandbox",
        "explainers.results.Attribution.rows",
        "http.server.HTTPServer",
    ],
)
def test_a_forged_type_name_builds_nothing_and_imports_nothing(name: str) -> None:
    before = set(sys.modules)
    tree = {"t": "dc", "n": name, "f": {"args": "touch /tmp/whybox-forged"}}
    with pytest.raises(WireError, match="may not cross"):
        decode_bytes(_frame(tree))
    assert set(sys.modules) - before == set()


@pytest.mark.parametrize(
    "tree",
    [
        {"t": "pickle", "v": "gASV"},
        {"t": "nd", "d": "O", "s": [1], "b": [0, 8]},
        {"t": "nd", "d": "<f8", "s": [1], "b": [0, 8]},
        {"t": "nd", "d": "f8", "s": [2], "b": [0, 8]},
        {"t": "nd", "d": "f8", "s": [1], "b": [4, 8]},
        {"t": "nd", "d": "f8", "s": [-1], "b": [0, 8]},
        {"t": "nd", "d": "f8", "s": [2**62, 4], "b": [0, 0]},
        {"t": "ond", "s": [3], "v": [1]},
        {"t": "err", "n": "subprocess.CalledProcessError", "m": 1, "h": "x"},
        {"t": "dc", "n": "explainers.results.Attribution", "f": {"values": "zz"}},
        {"t": "dc", "n": "explainers.results.Attribution", "f": {"__class__": 1}},
        {"t": "df", "i": {"t": "range", "a": 0, "b": 2, "c": 1, "n": None}, "c": 5, "v": []},
        {"t": "cat", "codes": {"t": "nd", "d": "i1", "s": [1], "b": [0, 1]}},
        {"t": "bundle", "f": {"task": "binary"}},
        [1, 2, 3],
    ],
)
def test_malformed_nodes_are_refused(tree: object) -> None:
    with pytest.raises(WireError):
        decode_bytes(_frame(tree, b"\x00" * 8), bundle=lambda meta: meta)


def test_a_categorical_code_out_of_range_is_refused() -> None:
    column = {
        "t": "cat",
        "codes": {"t": "nd", "d": "i1", "s": [1], "b": [0, 1]},
        "cats": {"t": "range", "a": 0, "b": 2, "c": 1, "n": None},
        "o": False,
    }
    tree = {"t": "series", "i": {"t": "range", "a": 0, "b": 1, "c": 1, "n": None}, "v": column}
    with pytest.raises(WireError, match="out of range"):
        decode_bytes(_frame(tree, bytes([7])))


def test_an_unknown_error_class_becomes_whybox_base_error_with_capped_text() -> None:
    tree = {"t": "err", "n": "builtins.SystemExit", "m": "x" * 10_000, "h": "hint"}
    error = decode_bytes(_frame(tree))
    assert type(error) is ExplainerError and len(error.user_message) == wire.MAX_TEXT


def test_deep_nesting_and_oversized_headers_are_refused() -> None:
    deep: object = 1
    for _ in range(wire.MAX_DEPTH + 5):
        deep = {"t": "list", "v": [deep]}
    with pytest.raises(WireError, match="nested"):
        decode_bytes(_frame(deep))
    text = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(WireError, match="malformed"):
        decode_bytes(wire.HEADER.pack(wire.MAGIC, len(text), 0) + text)
    huge = struct.pack(">4sIQ", wire.MAGIC, 10, 2**40)
    with pytest.raises(WireError, match="over the size limit"):
        wire.read_header(huge)


def test_a_reply_with_too_many_values_is_refused_before_it_is_parsed() -> None:
    import tracemalloc

    from explainers.wire import MAX_REPLY_ITEMS

    text = b"[" + b"{}," * (MAX_REPLY_ITEMS // 2 + 1) + b"0]"  # about 26x its size if parsed
    tracemalloc.start()
    try:
        with pytest.raises(WireError, match="too many values"):
            wire.decode(text, b"", max_items=MAX_REPLY_ITEMS)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20
    fine = b'{"t":"list","v":[' + b"1," * 1_000 + b"0]}"
    assert wire.decode(fine, b"", max_items=MAX_REPLY_ITEMS)[-1] == 0
