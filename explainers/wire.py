"""A data-only wire format between the server and a model's sandbox process.

The server never unpickles what a sandbox sends: a sandbox runs an uploaded
model, so it may be hostile. A message is one length-prefixed frame::

    b"WBX1" | u32 length of the JSON | u64 length of the buffers | JSON | buffers

The JSON describes the value as a tree of tagged nodes; numpy arrays of plain
dtypes (bool, integers, floats, complex, datetime64, timedelta64) travel as raw
buffers that the JSON points into. What a frame can hold, and nothing else:

- ``None``, ``bool``, ``int``, ``float``, ``str``, ``bytes``; ``list``, ``tuple``,
  ``dict`` (any wire keys), ``frozenset``; ``datetime`` and ``pandas.Timestamp``;
- numpy arrays and scalars of the dtypes in :data:`DTYPES` (by a fixed code,
  never a dtype string parsed from the frame), and object arrays whose items
  are themselves wire values;
- pandas ``Index`` / ``RangeIndex``, ``Series`` and ``DataFrame``, with
  columns of those dtypes, categoricals, and the pandas string, nullable
  integer, float and boolean dtypes of :data:`EXTENSION_DTYPES`;
- frozen dataclasses named in :data:`WIRE_TYPES` (whybox's own result types),
  rebuilt through their constructors, so their own checks run;
- a :class:`~explainers.model_bundle.ModelBundle`, as its metadata only: the
  receiving side supplies the model (the real one in the sandbox, a handle on
  the server);
- whybox errors (:data:`WIRE_ERRORS`) as class name, message and hint.

Decoding builds only those types; any other tag, type name, dtype code, an
inconsistent buffer or a frame over the caps raises :class:`WireError`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import importlib
import json
import math
import struct
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from explainers.errors import ExplainerError

MAGIC = b"WBX1"
HEADER = struct.Struct(">4sIQ")
MAX_JSON_BYTES = 256 * 2**20
MAX_BUFFER_BYTES = 2 * 2**30
MAX_DEPTH = 64
MAX_TEXT = 4_000
MAX_REPLY_ITEMS = 8_000_000
"""Most JSON values a reply from a sandbox may hold (its commas, ``{`` and ``[``, counted
before parsing): parsing builds every one as a Python object in the server, so a reply
costs the server at most about 0.3 GB (310 MB measured for 8 million floats), whatever it
holds, instead of some 26 times its JSON."""
"""Longest error message or hint taken from a sandbox (characters)."""

# Every dtype a buffer may have, by a code of whybox's own: the decoder looks the
# code up here and never parses a dtype description it was sent.
DTYPES: dict[str, np.dtype[Any]] = {
    code: np.dtype(code)
    for code in (
        "?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "c8", "c16",
        *(f"M8[{u}]" for u in ("s", "ms", "us", "ns", "D")),
        *(f"m8[{u}]" for u in ("s", "ms", "us", "ns", "D")),
    )
}  # fmt: skip
_CODES = {dtype.newbyteorder("="): code for code, dtype in DTYPES.items()}

EXTENSION_DTYPES: tuple[str, ...] = (
    "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64",
    "Float32", "Float64", "boolean",
)  # fmt: skip
"""pandas' nullable dtypes a column may have (strings and categories have their own nodes)."""

WIRE_TYPES: tuple[str, ...] = (
    "explainers.batch.TableSettings",
    "explainers.batch_recourse.RecourseTable",
    "explainers.cohorts.Cohort",
    "explainers.cohorts.CohortData",
    "explainers.cohorts.Condition",
    "explainers.dask_batch.DaskRun",
    "explainers.data_quality.DataQualityReport",
    "explainers.data_quality.Finding",
    "explainers.decision.Decision",
    "explainers.decision.Provenance",
    "explainers.decision_settings.DecisionSettings",
    "explainers.decision_settings.DerivedGroup",
    "explainers.drift.AttributionDrift",
    "explainers.drift.DataDrift",
    "explainers.drift.FeatureDrift",
    "explainers.drift.PredictionDrift",
    "explainers.error_analysis.ErrorHeatmap",
    "explainers.error_analysis.ErrorNode",
    "explainers.error_analysis.ErrorTree",
    "explainers.error_analysis.ModelErrors",
    "explainers.fairness.GroupAttribution",
    "explainers.fairness.GroupFairness",
    "explainers.loading.PreparedData",
    "explainers.model_comparison.Disagreements",
    "explainers.model_comparison.FairnessComparison",
    "explainers.model_comparison.ImportanceComparison",
    "explainers.model_comparison.MetricDifference",
    "explainers.model_comparison.ModelComparison",
    "explainers.model_comparison.PerformanceComparison",
    "explainers.model_comparison.RowComparison",
    "explainers.model_summary.DriftSection",
    "explainers.model_summary.FairnessSection",
    "explainers.model_summary.ModelCard",
    "explainers.model_summary.ModelSummary",
    "explainers.model_summary.ScoredData",
    "explainers.parallel.JobStatus",
    "explainers.parallel.JobTicket",
    "explainers.partial_dependence.FeatureDependence",
    "explainers.performance.BinaryPerformance",
    "explainers.performance.Metric",
    "explainers.performance.MulticlassPerformance",
    "explainers.performance.RegressionPerformance",
    "explainers.performance.SplitComparison",
    "explainers.performance.ThresholdSweep",
    "explainers.reasons.Reason",
    "explainers.reasons.Reasons",
    "explainers.recourse.Change",
    "explainers.recourse.RecourseOption",
    "explainers.recourse.RecourseResult",
    "explainers.results.Attribution",
    "explainers.results.GlobalImportance",
    "explainers.sandbox_protocol.SandboxInfo",
    "explainers.shap_attributions.ShapPlan",
    "explainers.trust.TrustReport",
    "explainers.what_if.Control",
)
"""The frozen dataclasses that may cross the wire, as ``module.Class``.

Add a result type here when a new model-touching function returns it.
"""

WIRE_ERRORS: tuple[str, ...] = (
    "explainers.errors.ExplainerError",
    "explainers.errors.ModelLoadError",
    "explainers.errors.DataValidationError",
    "explainers.errors.UnsupportedModelError",
    "explainers.errors.AttributionError",
    "explainers.errors.ExplanationCancelled",
)
"""whybox errors a sandbox may report; any other becomes an :class:`ExplainerError`."""

_TEXTS = ("class_labels", "feature_names", "warnings", "notes")

BundleFactory = Callable[[dict[str, Any]], Any]


class WireError(Exception):
    """A frame that is not a well-formed whybox message (or a value that cannot be sent)."""


def bundle_fields() -> tuple[str, ...]:
    """The ModelBundle fields that cross the wire: all but the model itself."""
    from explainers.model_bundle import ModelBundle

    return tuple(f.name for f in dataclasses.fields(ModelBundle) if f.name != "model")


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _resolve(name: str, allowed: tuple[str, ...]) -> type:
    """The class of a registered name: the module is imported only if the name is listed."""
    if name not in allowed:
        raise WireError(f"type {name[:80]!r} may not cross the wire")
    module, _, attribute = name.rpartition(".")
    cls = getattr(importlib.import_module(module), attribute)
    if not isinstance(cls, type) or _qualname(cls) != name:
        raise WireError(f"{name} is not a class")
    return cls


# ---------------------------------------------------------------- encoding


class _Encoder:
    def __init__(self) -> None:
        self.buffers: list[bytes | memoryview] = []
        self.size = 0

    def buffer(self, array: np.ndarray) -> list[int]:
        flat = np.ascontiguousarray(array).reshape(-1)
        plain: Any = flat.view(np.uint8) if flat.dtype.kind in "mM" else flat
        data = memoryview(plain).cast("B")
        where = [self.size, data.nbytes]
        self.buffers.append(data)
        self.size += data.nbytes
        return where

    def value(self, obj: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise WireError("value nested too deeply")
        d = depth + 1
        if obj is None or isinstance(obj, bool | str):
            return obj
        if isinstance(obj, int) and not isinstance(obj, np.integer):
            return obj
        if isinstance(obj, float) and not isinstance(obj, np.floating):
            return obj
        if isinstance(obj, np.ndarray):
            return self.array(obj, d)
        if isinstance(obj, np.generic):
            code = _code(obj.dtype)
            if code is None:
                raise WireError(f"numpy scalar of dtype {obj.dtype} cannot be sent")
            return {"t": "ns", "d": code, "b": self.buffer(np.asarray(obj).reshape(1))}
        if isinstance(obj, pd.DataFrame):
            return {
                "t": "df",
                "i": self.index(obj.index, d),
                "c": self.index(obj.columns, d),
                "v": [self.column(column, d) for _, column in obj.items()],
            }
        if isinstance(obj, pd.Series):
            return {
                "t": "series",
                "i": self.index(obj.index, d),
                "v": self.column(obj, d),
                "n": self.value(obj.name, d),
            }
        if isinstance(obj, pd.Index):
            return self.index(obj, d)
        if isinstance(obj, pd.Timestamp):
            return {"t": "ts", "v": obj.isoformat()}
        if isinstance(obj, _dt.datetime):
            return {"t": "dt", "v": obj.isoformat()}
        if obj is pd.NA:
            return {"t": "na"}
        if isinstance(obj, bytes | bytearray):
            return {"t": "bytes", "b": self.buffer(np.frombuffer(obj, dtype=np.uint8))}
        if isinstance(obj, list):
            return {"t": "list", "v": [self.value(v, d) for v in obj]}
        if isinstance(obj, tuple):
            return {"t": "tuple", "v": [self.value(v, d) for v in obj]}
        if isinstance(obj, frozenset):
            return {"t": "fset", "v": [self.value(v, d) for v in obj]}
        if isinstance(obj, Mapping):
            items = list(obj.items())
            return {
                "t": "dict",
                "k": [self.value(k, d) for k, _ in items],
                "v": [self.value(v, d) for _, v in items],
            }
        if isinstance(obj, ExplainerError):
            return error_node(obj)
        cls = type(obj)
        if _qualname(cls) == "explainers.model_bundle.ModelBundle":
            return {
                "t": "bundle",
                "f": {f: self.value(getattr(obj, f), d) for f in bundle_fields()},
            }
        if dataclasses.is_dataclass(obj) and _qualname(cls) in WIRE_TYPES:
            fields = {
                f.name: self.value(getattr(obj, f.name), d)
                for f in dataclasses.fields(obj)
                if f.init
            }
            return {"t": "dc", "n": _qualname(cls), "f": fields}
        raise WireError(f"a {cls.__module__}.{cls.__qualname__} cannot be sent")

    def array(self, array: np.ndarray, depth: int) -> dict[str, Any]:
        shape = list(array.shape)
        if array.dtype == object:
            return {"t": "ond", "s": shape, "v": [self.value(v, depth) for v in array.ravel()]}
        code = _code(array.dtype)
        if code is None:
            raise WireError(f"an array of dtype {array.dtype} cannot be sent")
        return {"t": "nd", "d": code, "s": shape, "b": self.buffer(array.astype(DTYPES[code]))}

    def column(self, series: pd.Series, depth: int) -> dict[str, Any]:
        dtype = series.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            return {
                "t": "cat",
                "codes": self.array(np.asarray(series.cat.codes), depth),
                "cats": self.index(dtype.categories, depth),
                "o": bool(dtype.ordered),
            }
        if isinstance(dtype, pd.StringDtype):
            items = series.to_numpy(dtype=object, na_value=None).tolist()
            values = [v if v is None or type(v) is str else str(v) for v in items]
            na = "nan" if dtype.na_value is not pd.NA else "NA"
            return {"t": "str", "st": dtype.storage, "na": na, "v": values}
        if isinstance(dtype, pd.api.extensions.ExtensionDtype):
            if str(dtype) not in EXTENSION_DTYPES:
                return self.array(series.to_numpy(dtype=object), depth)
            mask = series.isna().to_numpy()
            items = zip(series.to_numpy(dtype=object), mask, strict=True)
            values = [None if m else v.item() if isinstance(v, np.generic) else v for v, m in items]
            return {"t": "ext", "d": str(dtype), "v": values}
        return self.array(series.to_numpy(), depth)

    def index(self, index: pd.Index, depth: int) -> dict[str, Any]:
        if isinstance(index, pd.MultiIndex):
            raise WireError("a MultiIndex cannot be sent")
        name = self.value(index.name, depth)
        if isinstance(index, pd.RangeIndex):
            return {"t": "range", "a": index.start, "b": index.stop, "c": index.step, "n": name}
        return {"t": "index", "v": self.column(pd.Series(index, copy=False), depth), "n": name}


def _code(dtype: np.dtype[Any]) -> str | None:
    return _CODES.get(dtype.newbyteorder("=")) if dtype.isnative else None


def error_node(error: ExplainerError) -> dict[str, Any]:
    """An error as a wire node: its registered class (or the base class), message and hint."""
    name = _qualname(type(error))
    return {
        "t": "err",
        "n": name if name in WIRE_ERRORS else "explainers.errors.ExplainerError",
        "m": str(error.user_message),
        "h": str(error.hint),
    }


def encode(obj: Any) -> list[bytes | memoryview]:
    """One frame holding ``obj``, as pieces to write in order.

    Raises
    ------
    WireError
        If ``obj`` holds a value the format cannot carry.
    """
    encoder = _Encoder()
    text = json.dumps(encoder.value(obj), separators=(",", ":")).encode("utf-8")
    if len(text) > MAX_JSON_BYTES or encoder.size > MAX_BUFFER_BYTES:
        raise WireError("message over the size limit")
    return [HEADER.pack(MAGIC, len(text), encoder.size), text, *encoder.buffers]


def encode_bytes(obj: Any) -> bytes:
    """:func:`encode` joined into one ``bytes`` (tests, small messages)."""
    return b"".join(bytes(piece) for piece in encode(obj))


# ---------------------------------------------------------------- decoding


def read_header(
    header: bytes, *, max_json: int = MAX_JSON_BYTES, max_buffers: int = MAX_BUFFER_BYTES
) -> tuple[int, int]:
    """(JSON length, buffer length) of a frame, checked against the caps before any read."""
    if len(header) != HEADER.size:
        raise WireError("truncated frame header")
    magic, n_json, n_buffers = HEADER.unpack(header)
    if magic != MAGIC:
        raise WireError("not a whybox frame")
    if n_json > max_json or n_buffers > max_buffers:
        raise WireError(f"frame of {n_json + n_buffers:,} bytes is over the size limit")
    return n_json, n_buffers


class _Decoder:
    def __init__(self, buffers: memoryview, bundle: BundleFactory | None) -> None:
        self.buffers = buffers
        self.bundle = bundle

    def buffer(self, where: Any, dtype: np.dtype[Any], shape: tuple[int, ...]) -> np.ndarray:
        if not (isinstance(where, list) and len(where) == 2 and all(_is_int(v) for v in where)):
            raise WireError("bad buffer reference")
        offset, n_bytes = where
        count = math.prod(shape)
        if offset < 0 or n_bytes != count * dtype.itemsize or offset + n_bytes > len(self.buffers):
            raise WireError("buffer reference out of range")
        raw = dtype if dtype.kind not in "mM" else np.dtype(np.int64)
        flat = np.frombuffer(self.buffers, dtype=raw, count=count, offset=offset)
        return flat.reshape(shape).copy().view(dtype)

    def value(self, node: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise WireError("value nested too deeply")
        if node is None or isinstance(node, bool | str | float) or _is_int(node):
            return node
        if not isinstance(node, dict):
            raise WireError("bad node")
        d = depth + 1
        tag = node.get("t")
        if tag == "list":
            return [self.value(v, d) for v in _list(node, "v")]
        if tag == "tuple":
            return tuple(self.value(v, d) for v in _list(node, "v"))
        if tag == "fset":
            return frozenset(self.value(v, d) for v in _list(node, "v"))
        if tag == "dict":
            keys, values = _list(node, "k"), _list(node, "v")
            if len(keys) != len(values):
                raise WireError("bad dict")
            return {self.value(k, d): self.value(v, d) for k, v in zip(keys, values, strict=True)}
        if tag in ("nd", "ond"):
            return self.array(node, d)
        if tag == "ns":
            return self.buffer(node.get("b"), _dtype(node.get("d")), (1,))[0]
        if tag == "df":
            index, columns = self.index(node.get("i"), d), self.index(node.get("c"), d)
            values = [self.column(v, d) for v in _list(node, "v")]
            if len(values) != len(columns) or any(len(v) != len(index) for v in values):
                raise WireError("bad frame shape")
            frame = pd.DataFrame(
                {j: pd.Series(v, index=index, copy=False) for j, v in enumerate(values)},
                index=index,
            )
            frame.columns = columns
            return frame
        if tag == "series":
            index, values = self.index(node.get("i"), d), self.column(node.get("v"), d)
            if len(values) != len(index):
                raise WireError("bad series shape")
            return pd.Series(values, index=index, name=self.value(node.get("n"), d), copy=False)
        if tag in ("range", "index"):
            return self.index(node, d)
        if tag == "ts":
            return pd.Timestamp(_text(node, "v"))
        if tag == "dt":
            return _dt.datetime.fromisoformat(_text(node, "v"))
        if tag == "na":
            return pd.NA
        if tag == "bytes":
            where = node.get("b")
            n = where[1] if isinstance(where, list) and len(where) == 2 else -1
            return self.buffer(where, DTYPES["u1"], (n,) if _is_int(n) else (-1,)).tobytes()
        if tag == "bundle":
            return self.model_bundle(node, d)
        if tag == "dc":
            return self.dataclass(node, d)
        if tag == "err":
            return decode_error(node)
        raise WireError(f"unknown node {str(tag)[:40]!r}")

    def array(self, node: dict[str, Any], depth: int) -> np.ndarray:
        shape = _shape(node.get("s"))
        if node["t"] == "nd":
            return self.buffer(node.get("b"), _dtype(node.get("d")), shape)
        items = _list(node, "v")
        if len(items) != math.prod(shape):
            raise WireError("bad object array")
        out = np.empty(len(items), dtype=object)
        for i, item in enumerate(items):
            out[i] = self.value(item, depth)
        return out.reshape(shape)

    def column(self, node: Any, depth: int) -> Any:
        if not isinstance(node, dict):
            raise WireError("bad column")
        tag = node.get("t")
        if tag in ("nd", "ond"):
            array = self.array(node, depth)
            if array.ndim != 1:
                raise WireError("a column must be 1-D")
            return array
        if tag == "cat":
            codes = self.array(_dict(node, "codes"), depth)
            categories = self.index(node.get("cats"), depth)
            if codes.ndim != 1 or codes.dtype.kind != "i":
                raise WireError("bad categorical codes")
            if len(codes) and (codes.min() < -1 or codes.max() >= len(categories)):
                raise WireError("categorical code out of range")
            return pd.Categorical.from_codes(
                codes, categories=categories, ordered=bool(node.get("o"))
            )
        if tag == "str":
            storage, na = node.get("st"), node.get("na")
            if storage not in ("python", "pyarrow") or na not in ("nan", "NA"):
                raise WireError("bad string dtype")
            values = _list(node, "v")
            if not all(v is None or isinstance(v, str) for v in values):
                raise WireError("bad string column")
            dtype = pd.StringDtype(storage=storage, na_value=np.nan if na == "nan" else pd.NA)
            return pd.array(values, dtype=dtype)
        if tag == "ext":
            name = node.get("d")
            if name not in EXTENSION_DTYPES:
                raise WireError("dtype not allowed")
            values = _list(node, "v")
            if not all(v is None or isinstance(v, bool | int | float) for v in values):
                raise WireError("bad nullable column")
            return pd.array(values, dtype=name)
        raise WireError("bad column")

    def index(self, node: Any, depth: int) -> pd.Index:
        if not isinstance(node, dict):
            raise WireError("bad index")
        name = self.value(node.get("n"), depth)
        if node.get("t") == "range":
            start, stop, step = node.get("a"), node.get("b"), node.get("c")
            if not all(_is_int(v) for v in (start, stop, step)) or step == 0:
                raise WireError("bad range index")
            return pd.RangeIndex(start, stop, step, name=name)
        if node.get("t") != "index":
            raise WireError("bad index")
        return pd.Index(self.column(node.get("v"), depth), name=name, copy=False)

    def model_bundle(self, node: dict[str, Any], depth: int) -> Any:
        if self.bundle is None:
            raise WireError("no model bundle expected here")
        fields = _dict(node, "f")
        if set(fields) != set(bundle_fields()):
            raise WireError("bad model bundle")
        meta = {k: self.value(v, depth) for k, v in fields.items()}
        if meta["task"] not in ("binary", "multiclass", "regression"):
            raise WireError("bad model task")
        if meta["output_kind"] not in ("probability", "margin", "value"):
            raise WireError("bad model output kind")
        for key in _TEXTS:
            if not (isinstance(meta[key], tuple) and all(isinstance(s, str) for s in meta[key])):
                raise WireError(f"bad model {key}")
        if not isinstance(meta["name"], str) or not isinstance(meta["uses_feature_names"], bool):
            raise WireError("bad model bundle")
        categories = meta["categories"]
        if not (
            isinstance(categories, tuple)
            and all(
                isinstance(c, tuple) and len(c) == 2 and isinstance(c[0], str)
                and isinstance(c[1], tuple)
                for c in categories
            )
        ):  # fmt: skip
            raise WireError("bad model categories")
        return self.bundle(meta)

    def dataclass(self, node: dict[str, Any], depth: int) -> Any:
        name = node.get("n")
        cls = _resolve(name if isinstance(name, str) else "", WIRE_TYPES)
        if not dataclasses.is_dataclass(cls):
            raise WireError(f"{name} is not a dataclass")
        fields = _dict(node, "f")
        init = {f.name for f in dataclasses.fields(cls) if f.init}
        if not set(fields) <= init:
            raise WireError(f"unknown fields for {name}")
        try:
            return cls(**{k: self.value(v, depth) for k, v in fields.items()})
        except WireError:
            raise
        except Exception as exc:  # the class's own checks refused the values
            raise WireError(f"invalid {name}: {type(exc).__name__}") from exc


def decode_error(node: Any) -> ExplainerError:
    """A whybox error from its wire node (unknown classes become the base class)."""
    if not isinstance(node, dict):
        raise WireError("bad error")
    name = node.get("n")
    cls = _resolve(name, WIRE_ERRORS) if name in WIRE_ERRORS else ExplainerError
    if not issubclass(cls, ExplainerError):
        raise WireError("bad error class")
    message, hint = _text(node, "m")[:MAX_TEXT], _text(node, "h")[:MAX_TEXT]
    error = cls.__new__(cls)
    ExplainerError.__init__(error, message, hint)
    return error


def decode(
    text: bytes | bytearray | memoryview,
    buffers: bytes | bytearray | memoryview,
    *,
    bundle: BundleFactory | None = None,
    max_items: int | None = None,
) -> Any:
    """The value of a frame's JSON and buffers.

    Parameters
    ----------
    text, buffers
        The frame's two parts, read after :func:`read_header`.
    bundle : callable, optional
        Makes the receiving side's ModelBundle from its metadata (a dict of
        :func:`bundle_fields`); without it a bundle in the frame is refused.
    max_items : int, optional
        Refuse, before parsing, JSON that could hold more values than this
        (the server reading a sandbox's reply: :data:`MAX_REPLY_ITEMS`).

    Raises
    ------
    WireError
        For anything that is not a well-formed whybox value.
    """
    raw = bytes(text)
    if max_items is not None and sum(raw.count(c) for c in (b",", b"{", b"[")) > max_items:
        raise WireError("frame holds too many values")
    try:
        tree = json.loads(raw)
        return _Decoder(memoryview(buffers).cast("B"), bundle).value(tree)
    except WireError:
        raise
    except (ValueError, TypeError, KeyError, RecursionError, OverflowError, MemoryError) as exc:
        raise WireError(f"malformed frame ({type(exc).__name__})") from exc


def decode_bytes(frame: bytes, *, bundle: BundleFactory | None = None) -> Any:
    """Decode one whole frame held in memory (tests, small messages)."""
    n_json, n_buffers = read_header(frame[: HEADER.size])
    body = memoryview(frame)[HEADER.size :]
    if len(body) != n_json + n_buffers:
        raise WireError("frame length does not match its header")
    return decode(body[:n_json], body[n_json:], bundle=bundle)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _list(node: dict[str, Any], key: str) -> list[Any]:
    value = node.get(key)
    if not isinstance(value, list):
        raise WireError("bad list")
    return value


def _dict(node: dict[str, Any], key: str) -> dict[str, Any]:
    value = node.get(key)
    if not isinstance(value, dict):
        raise WireError("bad node")
    return value


def _text(node: dict[str, Any], key: str) -> str:
    value = node.get(key)
    if not isinstance(value, str):
        raise WireError("bad text")
    return value


def _dtype(code: Any) -> np.dtype[Any]:
    if not isinstance(code, str) or code not in DTYPES:
        raise WireError("dtype not allowed")
    return DTYPES[code]


def _shape(shape: Any) -> tuple[int, ...]:
    if not (isinstance(shape, list) and len(shape) <= 8 and all(_is_int(s) for s in shape)):
        raise WireError("bad shape")
    if any(s < 0 for s in shape):
        raise WireError("bad shape")
    return tuple(shape)


__all__ = [
    "DTYPES",
    "WIRE_ERRORS",
    "WIRE_TYPES",
    "WireError",
    "decode",
    "decode_bytes",
    "encode",
    "encode_bytes",
    "read_header",
]
