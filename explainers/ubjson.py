"""A strict reader of the UBJSON that xgboost writes (``.ubj`` files, pickled Boosters).

xgboost's own UBJSON parser trusts the lengths in the file: a ``.ubj`` file
cut off part way crashed the process (SIGSEGV) or asked for impossible
allocations (``std::bad_alloc``) in 2 of 39 cut points tried. whybox
therefore reads UBJSON itself, in Python, where every length is checked
against the bytes that are left, and hands xgboost the same model as JSON
(whose parser refused all 39 cut points cleanly). Floats are read as
float32 and written back with Python's shortest round-trip repr, so the
model xgboost rebuilds is bit for bit the same.
"""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import numpy as np

MAX_DEPTH = 64


class UBJSONError(ValueError):
    """The bytes are not well-formed UBJSON of the kind xgboost writes."""


_INTS = {b"i": ">b", b"U": ">B", b"I": ">h", b"l": ">i", b"L": ">q"}
_FLOATS = {b"d": ">f", b"D": ">d"}
_SIZES = {**{k: struct.calcsize(v) for k, v in _INTS.items()}, b"d": 4, b"D": 8}


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise UBJSONError("the data ends early")
        chunk = bytes(self.data[self.pos : self.pos + n])
        self.pos += n
        return chunk

    def marker(self) -> bytes:
        return self.take(1)

    def count(self) -> int:
        kind = self.marker()
        if kind not in _INTS:
            raise UBJSONError("a length that is not an integer")
        (n,) = struct.unpack(_INTS[kind], self.take(_SIZES[kind]))
        if n < 0 or n > len(self.data) - self.pos:
            # Every element takes at least one byte: no count can exceed what is left.
            raise UBJSONError("a length longer than the data")
        return int(n)

    def scalar(self, kind: bytes) -> Any:
        if kind in _INTS:
            return struct.unpack(_INTS[kind], self.take(_SIZES[kind]))[0]
        if kind in _FLOATS:
            value = struct.unpack(_FLOATS[kind], self.take(_SIZES[kind]))[0]
            if not math.isfinite(value):
                return str(value)  # json has no NaN; xgboost writes none in models
            return value
        if kind == b"S":
            return self.take(self.count()).decode("utf-8")
        if kind == b"T":
            return True
        if kind == b"F":
            return False
        if kind == b"Z":
            return None
        raise UBJSONError("an unknown value type")

    def numbers(self, kind: bytes, count: int) -> list[Any]:
        """A typed array of numbers, read in one go (models hold millions of them)."""
        dtype = np.dtype(_INTS.get(kind) or _FLOATS[kind])
        values = np.frombuffer(self.take(count * dtype.itemsize), dtype=dtype)
        if kind in _FLOATS and not np.all(np.isfinite(values)):
            raise UBJSONError("a number that is not finite")
        return values.astype(np.float64 if kind in _FLOATS else np.int64).tolist()  # type: ignore[no-any-return]

    def value(self, kind: bytes, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise UBJSONError("nested too deeply")
        if kind == b"{":
            return self.container(depth, is_object=True)
        if kind == b"[":
            return self.container(depth, is_object=False)
        return self.scalar(kind)

    def container(self, depth: int, *, is_object: bool) -> Any:
        element_type: bytes | None = None
        count: int | None = None
        peek = self.marker()
        if peek == b"$":
            element_type = self.marker()
            if self.marker() != b"#":
                raise UBJSONError("a typed container without a count")
            count = self.count()
            if element_type in _SIZES and not is_object:
                return self.numbers(element_type, count)
        elif peek == b"#":
            count = self.count()
        else:
            self.pos -= 1
        items: list[Any] = []
        pairs: dict[str, Any] = {}
        index = 0
        while True:
            if count is not None and index == count:
                break
            if count is None:
                kind = self.marker()
                if kind == (b"}" if is_object else b"]"):
                    break
                self.pos -= 1
            if is_object:
                key = self.take(self.count()).decode("utf-8")
            kind = element_type if element_type is not None else self.marker()
            item = self.value(kind, depth + 1)
            if is_object:
                pairs[key] = item
            else:
                items.append(item)
            index += 1
        return pairs if is_object else items


def ubjson_to_json(data: bytes) -> bytes:
    """Decode UBJSON strictly and return the same document as JSON bytes.

    Raises
    ------
    UBJSONError
        If the bytes are cut off, have lengths longer than the data, unknown
        types, nesting deeper than :data:`MAX_DEPTH`, or trailing bytes.
    """
    reader = _Reader(data)
    document = reader.value(reader.marker(), 0)
    if reader.pos != len(data):
        raise UBJSONError("bytes after the end of the document")
    return json.dumps(document, separators=(",", ":")).encode()
