"""Load an uploaded model file without running code whybox does not trust.

Loading a pickle runs code: the file names classes and functions and the
unpickler imports and calls them. whybox therefore never hands an upload to
plain ``pickle.load`` or ``joblib.load``. It first lists every global the
file needs, without loading anything, and refuses the file unless each one is
an exact name of :func:`explainers.pickle_allowlist.allowed_globals` (checked one name at
a time by :func:`~explainers.pickle_allowlist.is_allowed`). It then
loads it with a checked unpickler (:mod:`explainers.pickle_forms`) that resolves
only those names, so a name missed by the listing is still refused, and that
lets each of them be called, created or filled only in the forms the libraries
write. The loaded object is checked last (:mod:`explainers.model_checks`):
counts, trees, thread counts and nesting. Every failure is a ModelLoadError in
whybox's words; a library's own message goes to the log.

Model files that are data (xgboost JSON / UBJ, the lightgbm text model, catboost
``.cbm``) are recognised by their first bytes and read by their library's own
parser, in memory (:mod:`explainers.model_formats`).

* Plain pickles (protocols 0 to 5) are listed with a :mod:`pickletools`
  opcode walk that follows the stack and the memo, so ``STACK_GLOBAL`` names
  built from memoized strings are seen too.
* joblib files are decompressed first (zlib, gzip, bz2, lzma, xz). joblib
  writes raw array bytes into the stream after each ``NumpyArrayWrapper``,
  which an opcode walk cannot step over, so they are listed by a dry run of
  joblib's own unpickler in which every global except the few needed to find
  the array bytes (``numpy.dtype``, ``numpy.ndarray``, the wrapper) resolves
  to an inert placeholder (those few are checked as in a real load). Object
  arrays, which joblib stores as nested pickles, go through the same checks.
* skops files are listed from their ``schema.json`` and
  :func:`skops.io.get_untrusted_types`, and loaded with :func:`skops.io.loads`
  trusting only allowlisted names.

The person who runs the server, and only they, may pass ``trust_unknown=True``
to load files that need other names with the ordinary loaders; such a file can
run any code it likes on the server. It must never be a choice offered to a
remote browser user.
"""

from __future__ import annotations

import _compat_pickle
import bz2
import copyreg
import importlib
import io
import json
import logging
import lzma
import math
import pickle
import pickletools
import struct
import sys
import threading
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Literal

import joblib
import numpy as np
from joblib.numpy_pickle import NumpyArrayWrapper
from sklearn.exceptions import InconsistentVersionWarning

from explainers.errors import ModelLoadError
from explainers.limits import MAX_UPLOAD_BYTES, TOO_LARGE_HINT, refuse_if_too_large
from explainers.model_checks import check_loaded_model
from explainers.model_formats import detect, load_data_format
from explainers.pickle_allowlist import JOBLIB_ARRAY_WRAPPER, is_allowed
from explainers.pickle_forms import (
    MAX_DIMENSIONS,
    CheckedNumpyUnpickler,
    CheckedUnpickler,
    FormRefused,
    Inert,
    nested_unpickler,
)

FileFormat = Literal["pickle", "joblib", "skops", "xgboost", "lightgbm", "catboost"]

EMPTY_FILE = "The model file is empty."
TOO_LARGE_UNPACKED = (
    "The model file unpacks to more than {limit_mb:g} MB; whybox accepts models up to that size."
)
NOT_A_MODEL = (
    "This is not a model file: expected a pickle, joblib or skops file, or an xgboost, "
    "lightgbm or catboost model file, got {got}."
)
TRUNCATED = (
    "The model file ends before the model does; it was probably cut off while saving or uploading."
)
UNREADABLE = "The model file is damaged or was not written by pickle, joblib or skops."
TOO_BIG_TO_LOAD = "The model in this file needs more memory than this server can give it."
FORM_REFUSED = (
    "This file is not shaped like a saved model ({what}). "
    "whybox stopped reading it there, before using anything from it."
)
FORM_REFUSED_HINT = (
    "Save the fitted model again with joblib.dump or skops, or as an xgboost, lightgbm or "
    "catboost model file, and upload the new file."
)
LZ4_UNSUPPORTED = "This joblib file is compressed with lz4, which whybox does not read."
LZ4_HINT = "Save it again with joblib.dump(model, path, compress=3), which uses zlib."
MISSING_LIBRARY = "This model needs the Python package '{package}', which is not installed here."
MISSING_LIBRARY_HINT = (
    "Ask the person who runs this server to install it, then upload the file again."
)
UNTRUSTED = "This file asks to run code whybox does not trust: {names}. Nothing from it was run."
UNTRUSTED_HINT = (
    "Upload a model made only of scikit-learn, xgboost or lightgbm objects, or ask the person "
    "who runs this server to allow untrusted model files if they know where this one came from."
)
LIBRARY_PARTS_HINT = (
    "These are parts of {libraries} that whybox's list of safe names does not hold yet (it "
    "holds what common models need). Ask the person who runs this server to allow untrusted "
    "model files if they know where this one came from; the model still runs in its sandbox."
)
# Modules whose names in a refusal are the model's own libraries, not foreign code.
_MODEL_LIBRARIES = {"sklearn": "scikit-learn", "xgboost": "xgboost", "lightgbm": "lightgbm",
                    "catboost": "catboost", "imblearn": "imbalanced-learn"}  # fmt: skip
VERSION_MISMATCH = (
    "This model was saved with scikit-learn {saved}; you have {current}. "
    "Its predictions may differ."
)
TRUSTED_ANYWAY = (
    "This file uses code outside whybox's allowlist ({names}); it was loaded only because the "
    "server is set to trust such files."
)

_LOG = logging.getLogger(__name__)
_MAX_NAMES_SHOWN = 8
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# joblib's compressor prefixes (joblib.compressor); lz4 last, as it is refused.
_COMPRESSION_MAGIC = (
    (b"x", "zlib"),
    (b"\x1f\x8b", "gzip"),
    (b"BZ", "bz2"),
    (b"]\x00", "lzma"),
    (b"\xfd7zXZ", "xz"),
    (b'\x04"M\x18', "lz4"),
)
_JOBLIB_SUFFIXES = (".joblib", ".jbl", ".jl", ".z", ".gz", ".bz2", ".xz", ".lzma")
_PICKLE_OPCODES = frozenset(op.code.encode("latin-1") for op in pickletools.opcodes)
_STRING_OPCODES = frozenset(
    {"UNICODE", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8"}
    | {"STRING", "BINSTRING", "SHORT_BINSTRING"}
)
_GET_OPCODES = frozenset({"GET", "BINGET", "LONG_BINGET"})
_PUT_OPCODES = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})
_EXT_OPCODES = frozenset({"EXT1", "EXT2", "EXT4"})
_UNRESOLVED = "<a name computed while loading>"
# Stack entries of the opcode walk other than strings.
_MARK = object()
_UNKNOWN = object()
# How pickletools.genops reports a stream that stops early.
_TRUNCATION_SIGNS = ("exhausted before seeing STOP", "not enough data", "bytes in a", "no newline")
# Warnings about the library code itself rather than about the model.
_DEVELOPER_WARNINGS = (DeprecationWarning, PendingDeprecationWarning)
# warnings.catch_warnings changes process-wide state; loads take turns.
_LOAD_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class LoadedModel:
    """A model object read from an uploaded file, and what loading it involved.

    Parameters
    ----------
    model : object
        The unpickled object, not yet checked to be a usable model.
    file_format : {"pickle", "joblib", "skops", "xgboost", "lightgbm", "catboost"}
        How the file was written, as detected from its content.
    globals_needed : tuple of str
        Every ``module.name`` the file imported, sorted.
    warnings : tuple of str
        Plain sentences for the user, e.g. about a scikit-learn version mismatch.
    """

    model: object
    file_format: FileFormat
    globals_needed: tuple[str, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Listing:
    """What a walk found: the names, which loader applies, and any parse failure."""

    names: tuple[str, ...]
    has_joblib_arrays: bool
    error: ModelLoadError | None
    not_a_pickle: bool = False
    skops_flagged: tuple[str, ...] = ()
    """What skops's own audit flags in a skops file (loaded as ``trusted`` once allowed)."""


class _RefusedGlobal(pickle.UnpicklingError):
    """An unpickler was asked for a name outside the allowlist."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _qualify(module: str, name: str) -> str:
    """``module.name`` after Python 2 renames; dotted attribute paths never match the list."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        module, name = _compat_pickle.NAME_MAPPING[(module, name)]
    elif module in _compat_pickle.IMPORT_MAPPING:
        module = _compat_pickle.IMPORT_MAPPING[module]
    return f"{module}:{name}" if "." in name else f"{module}.{name}"


def _untrusted(names: Iterable[str]) -> list[str]:
    return sorted(name for name in set(names) if not is_allowed(name))


def _refusal(names: Sequence[str]) -> ModelLoadError:
    shown = ", ".join(names[:_MAX_NAMES_SHOWN])
    if len(names) > _MAX_NAMES_SHOWN:
        shown += f" and {len(names) - _MAX_NAMES_SHOWN} more"
    libraries = {_MODEL_LIBRARIES.get(name.split(".", 1)[0]) for name in names}
    if None in libraries:
        return ModelLoadError(UNTRUSTED.format(names=shown), UNTRUSTED_HINT)
    hint = LIBRARY_PARTS_HINT.format(libraries=" and ".join(sorted(str(n) for n in libraries)))
    return ModelLoadError(UNTRUSTED.format(names=shown), hint)


def _unreadable(exc: BaseException) -> ModelLoadError:
    """whybox's own sentence for a library's exception; the library's text goes to the log."""
    _LOG.warning("model file refused: %s: %s", type(exc).__name__, exc)
    # The pure-Python unpickler reads a cut-off number with struct.unpack, a cut-off
    # opcode past the end (IndexError), a cut-off frame or joblib array as below.
    cut_off = ("truncated", "exhausted before end of frame", "EOF: reading array data")
    if isinstance(exc, (EOFError, struct.error, IndexError)) or any(
        sign in str(exc) for sign in cut_off
    ):
        return ModelLoadError(TRUNCATED)
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        package = exc.name.partition(".")[0]
        return ModelLoadError(MISSING_LIBRARY.format(package=package), MISSING_LIBRARY_HINT)
    if isinstance(exc, MemoryError):
        return ModelLoadError(TOO_BIG_TO_LOAD, TOO_LARGE_HINT)
    return ModelLoadError(UNREADABLE)


def _form_refusal(exc: FormRefused) -> ModelLoadError:
    _LOG.warning("model file refused: %s", exc.what)
    return ModelLoadError(FORM_REFUSED.format(what=exc.what), FORM_REFUSED_HINT)


def _resolve(module: str, name: str) -> tuple[str, object]:
    """Import an allowlisted global; refuse anything else before importing it."""
    qualified = _qualify(module, name)
    if not is_allowed(qualified):
        raise _RefusedGlobal(qualified)
    if qualified == JOBLIB_ARRAY_WRAPPER:
        return qualified, _CheckedArrayWrapper
    real_module, _, attribute = qualified.rpartition(".")
    return qualified, getattr(importlib.import_module(real_module), attribute)


# --------------------------------------------------------------------------- joblib arrays


class _CheckedArrayWrapper(NumpyArrayWrapper):  # type: ignore[misc]
    """joblib's array placeholder, checked before it reads, restricted for object arrays.

    joblib < 1.6 reads object arrays with plain ``pickle.load``; this class
    reads them with a checked unpickler sharing its parent's lookups.
    """

    def read_array(self, unpickler: Any, ensure_native_byte_order: bool) -> Any:
        handle: io.BytesIO = unpickler.file_handle
        self._check(handle)
        if self.dtype.hasobject:
            return nested_unpickler(handle, unpickler).load()
        return super().read_array(unpickler, ensure_native_byte_order)

    def _check(self, handle: io.BytesIO) -> None:
        shape = self.shape
        if (
            getattr(self, "subclass", np.ndarray) is not np.ndarray
            or not isinstance(self.dtype, np.dtype)
            or not isinstance(shape, tuple)
            or len(shape) > MAX_DIMENSIONS
            or not all(type(n) is int and n >= 0 for n in shape)
            or self.order not in ("C", "F")
        ):
            raise FormRefused("a joblib array in a form joblib never writes")
        if not self.dtype.hasobject:
            if self.dtype.itemsize == 0:
                raise FormRefused("a joblib array in a form joblib never writes")
            n_bytes = math.prod(shape) * self.dtype.itemsize
            if n_bytes > handle.getbuffer().nbytes - handle.tell():
                raise EOFError("ran out of array data")


# --------------------------------------------------------------------------- listing


# The only real objects a dry run needs to find where each array's bytes end.
_DRY_RUN_TYPES: dict[str, object] = {
    JOBLIB_ARRAY_WRAPPER: _CheckedArrayWrapper,
    "numpy.dtype": np.dtype,
    "numpy.ndarray": np.ndarray,
    "copyreg._reconstructor": copyreg._reconstructor,  # type: ignore[attr-defined]
    "builtins.object": object,
}


def _record_joblib(data: bytes) -> _Listing:
    """List a joblib file's globals with a dry run of the checked joblib unpickler.

    Every global but the few needed to find where each array's bytes end
    resolves to an inert placeholder; those few are checked as in a real load.
    """
    names: dict[str, None] = {}

    def record(module: str, name: str) -> tuple[str, object]:
        qualified = _qualify(module, name)
        names[qualified] = None
        return qualified, _DRY_RUN_TYPES.get(qualified, Inert)

    error: ModelLoadError | None = None
    try:
        CheckedNumpyUnpickler(data, record, dry_run=True).load()
    except FormRefused as exc:
        error = _form_refusal(exc)
    except Exception as exc:  # a hostile or damaged stream may fail anywhere
        error = _unreadable(exc)
    return _Listing(tuple(sorted(names)), True, error)


def _apply_stack_effect(
    op: pickletools.OpcodeInfo, arg: Any, stack: list[object], memo: dict[int, object]
) -> None:
    """Pop and push as the unpickler would, keeping string values and memo contents."""
    if op.name in _PUT_OPCODES or op.name == "MEMOIZE":
        if not stack:
            raise ValueError("memoizes from an empty stack")
        memo[arg if op.name in _PUT_OPCODES else len(memo)] = stack[-1]
        return
    if op.name == "DUP":
        if not stack:
            raise ValueError("duplicates from an empty stack")
        stack.append(stack[-1])
        return
    before = op.stack_before
    if pickletools.markobject in before or (op.name == "POP" and stack and stack[-1] is _MARK):
        while stack and stack[-1] is not _MARK:
            stack.pop()
        if not stack:
            raise ValueError("no mark on the stack")
        stack.pop()
        n_pop = before.index(pickletools.markobject) if pickletools.markobject in before else 0
    else:
        n_pop = len(before)
    if n_pop > len(stack):
        raise ValueError(f"{op.name} pops {n_pop} items from a stack of {len(stack)}")
    del stack[len(stack) - n_pop :]
    if op.name == "MARK":
        stack.append(_MARK)
    elif op.name in _STRING_OPCODES:
        stack.append(arg)
    elif op.name in _GET_OPCODES:
        if arg not in memo:
            raise ValueError(f"memo key {arg} missing")
        stack.append(memo[arg])
    else:
        stack.extend(_UNKNOWN for _ in op.stack_after)


def _walk_opcodes(data: bytes) -> _Listing:
    """List globals with a pickletools opcode walk; stop at joblib's first array."""
    names: dict[str, None] = {}
    stack: list[object] = []
    memo: dict[int, object] = {}
    try:
        for op, arg, _ in pickletools.genops(data):
            if op.name in ("GLOBAL", "INST"):
                module, _, name = str(arg).partition(" ")
                qualified = _qualify(module, name)
            elif op.name == "STACK_GLOBAL":
                if len(stack) < 2:
                    raise ValueError("STACK_GLOBAL on a short stack")
                name_item, module_item = stack.pop(), stack.pop()
                qualified = _UNRESOLVED
                if isinstance(module_item, str) and isinstance(name_item, str):
                    qualified = _qualify(module_item, name_item)
                stack.append(_UNKNOWN)
            elif op.name in _EXT_OPCODES:
                key = copyreg._inverted_registry.get(arg)  # type: ignore[attr-defined]
                qualified = _qualify(*key) if key else f"<pickle extension code {arg}>"
            else:
                _apply_stack_effect(op, arg, stack, memo)
                continue
            names[qualified] = None
            if qualified == JOBLIB_ARRAY_WRAPPER:
                return _Listing((), True, None)
            if op.name != "STACK_GLOBAL":
                _apply_stack_effect(op, arg, stack, memo)
    except ValueError as exc:
        found = tuple(sorted(names))
        truncated = any(sign in str(exc) for sign in _TRUNCATION_SIGNS)
        # Protocol 0 and 1 pickles are mostly printable, so text files parse for a
        # while; count the file as a pickle only if it named something familiar.
        if not data.startswith(b"\x80") and not (truncated and any(is_allowed(n) for n in found)):
            error = ModelLoadError(NOT_A_MODEL.format(got=_describe_start(data)))
            return _Listing(found, False, error, not_a_pickle=True)
        _LOG.warning("model file refused: %s", exc)
        error = ModelLoadError(TRUNCATED if truncated else UNREADABLE)
        return _Listing(found, False, error)
    return _Listing(tuple(sorted(names)), False, None)


def _list_stream(data: bytes) -> _Listing:
    listing = _walk_opcodes(data)
    return _record_joblib(data) if listing.has_joblib_arrays else listing


def import_skops() -> Any:
    """skops.io, imported on first use (most uploads are pickles).

    Importing it calls :func:`sklearn.utils.all_estimators` for the names of
    the classes skops trusts, which imports all of scikit-learn (about a
    second); the same names come from :mod:`explainers.trusted_cache` here.
    """
    if "skops.io" not in sys.modules:
        import sklearn.utils

        from explainers.trusted_cache import sklearn_estimators

        # skops reads only a listed class's __module__ and __name__
        listed = [
            (name, SimpleNamespace(__module__=module, __name__=name))
            for module, _, name in sklearn_estimators()
        ]
        original = sklearn.utils.all_estimators
        sklearn.utils.all_estimators = lambda *args, **kwargs: listed
        try:
            import skops.io._trusted_types as trusted_types
        finally:
            sklearn.utils.all_estimators = original
        trusted_types.all_estimators = original
    import skops.io

    return skops.io


def _skops_listing(raw: bytes, max_bytes: int) -> _Listing:
    """Every type a skops file names in its schema, plus what skops itself flags.

    :func:`skops.io.get_untrusted_types` (about 0.2 s for the loan demo) runs
    once, here; the loader passes its result as ``trusted`` (``skops.io.loads``
    still audits the file itself).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            if sum(info.file_size for info in archive.infolist()) > max_bytes:
                limit_mb = max_bytes / 2**20
                raise ModelLoadError(TOO_LARGE_UNPACKED.format(limit_mb=limit_mb), TOO_LARGE_HINT)
            schema = json.loads(archive.read("schema.json"))
        flagged = import_skops().get_untrusted_types(data=raw)
    except ModelLoadError:
        raise
    except Exception as exc:  # zipfile, json and skops raise many types
        raise _unreadable(exc) from exc
    flagged_names = tuple(str(n) for n in flagged)
    names = set(flagged_names)
    pending: list[object] = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if "__class__" in node and "__module__" in node:
                names.add(f"{node['__module__']}.{node['__class__']}")
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return _Listing(tuple(sorted(names)), False, None, skops_flagged=flagged_names)


# --------------------------------------------------------------------------- detection


def _decompress(raw: bytes, method: str, max_bytes: int) -> bytes:
    if method == "lz4":
        raise ModelLoadError(LZ4_UNSUPPORTED, LZ4_HINT)
    decompressor: Any
    if method in ("zlib", "gzip"):
        decompressor = zlib.decompressobj(wbits=zlib.MAX_WBITS | (16 if method == "gzip" else 0))
    elif method == "bz2":
        decompressor = bz2.BZ2Decompressor()
    else:
        decompressor = lzma.LZMADecompressor()
    try:
        data: bytes = decompressor.decompress(raw, max_bytes + 1)
    except (zlib.error, OSError, lzma.LZMAError, EOFError) as exc:
        raise _unreadable(exc) from exc
    if len(data) > max_bytes:
        raise ModelLoadError(TOO_LARGE_UNPACKED.format(limit_mb=max_bytes / 2**20), TOO_LARGE_HINT)
    if not decompressor.eof:
        raise ModelLoadError(TRUNCATED)
    return data


def _describe_start(raw: bytes) -> str:
    start = raw[:64].lstrip()
    if start[:1] in (b"{", b"["):
        return "what looks like JSON"
    if all(32 <= b < 127 or b in (9, 10, 13) for b in start):
        return "what looks like text"
    return "a file in an unknown binary format"


def is_data_file(raw: bytes) -> bool:
    """Whether a model file is data, not a program: skops, xgboost, lightgbm or catboost."""
    return raw.startswith(_ZIP_MAGIC) or detect(raw) is not None


def _open(raw: bytes, filename: str, max_bytes: int) -> tuple[FileFormat, bytes]:
    """Detect the format from the bytes; return it and the (decompressed) pickle stream."""
    if not raw:
        raise ModelLoadError(EMPTY_FILE)
    refuse_if_too_large(filename, len(raw), max_bytes=max_bytes)
    if raw.startswith(_ZIP_MAGIC):
        return "skops", raw
    for magic, method in _COMPRESSION_MAGIC:
        if raw.startswith(magic):
            return "joblib", _decompress(raw, method, max_bytes)
    if raw[:1] in _PICKLE_OPCODES:
        joblib_name = filename.lower().endswith(_JOBLIB_SUFFIXES)
        return ("joblib" if joblib_name else "pickle"), raw
    raise ModelLoadError(NOT_A_MODEL.format(got=_describe_start(raw)))


def list_pickle_globals(raw: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> tuple[str, ...]:
    """List every global a model file would import, without loading anything.

    Parameters
    ----------
    raw : bytes
        The file: a pickle (protocol 0 to 5), a joblib file (uncompressed or
        compressed with zlib, gzip, bz2, lzma or xz), or a skops file.
    max_bytes : int, default=200 MiB
        Largest file accepted, and the largest a compressed file may unpack to.

    Returns
    -------
    tuple of str
        Sorted ``module.name`` strings, e.g. ``"posix.system"``. A name the
        file builds at load time is listed as ``"<a name computed while loading>"``;
        a dotted attribute path as ``"module:attr.path"``.

    Raises
    ------
    ModelLoadError
        If the file is empty, too large, not a pickle, joblib or skops file, cut
        off or damaged.

    Examples
    --------
    >>> import pickle
    >>> list_pickle_globals(pickle.dumps(slice(1, 2)))
    ('builtins.slice',)
    """
    file_format, data = _open(raw, "", max_bytes)
    if file_format == "skops":
        return _skops_listing(data, max_bytes).names
    listing = _list_stream(data)
    if listing.error is not None:
        raise listing.error
    return listing.names


# --------------------------------------------------------------------------- loading


def _plain_sentence(message: warnings.WarningMessage) -> str:
    warning = message.message
    if isinstance(warning, InconsistentVersionWarning):
        return VERSION_MISMATCH.format(
            saved=warning.original_sklearn_version, current=warning.current_sklearn_version
        )
    return str(warning)


def _load_capturing_warnings(load: Callable[[], object]) -> tuple[object, tuple[str, ...]]:
    with _LOAD_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = load()
    sentences = (
        _plain_sentence(m) for m in caught if not issubclass(m.category, _DEVELOPER_WARNINGS)
    )
    return model, tuple(dict.fromkeys(sentences))


def _restricted_loader(file_format: FileFormat, data: bytes, listing: _Listing) -> object:
    if file_format == "skops":
        return import_skops().loads(data, trusted=list(listing.skops_flagged))
    if listing.has_joblib_arrays:
        return CheckedNumpyUnpickler(data, _resolve).load()
    return CheckedUnpickler(io.BytesIO(data), _resolve).load()


def _trusting_loader(file_format: FileFormat, raw: bytes, listing: _Listing) -> object:
    if file_format == "skops":
        return import_skops().loads(raw, trusted=list(listing.skops_flagged))
    if file_format == "joblib":
        return joblib.load(io.BytesIO(raw))
    return pickle.loads(raw)


def load_model_bytes(
    raw: bytes,
    filename: str,
    *,
    trust_unknown: bool = False,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> LoadedModel:
    """Load an uploaded model file, refusing any that needs code outside the allowlist.

    Parameters
    ----------
    raw : bytes
        The uploaded file. Its format is detected from the content.
    filename : str
        The uploaded name; only used to tell an uncompressed joblib file that
        holds no numpy arrays (byte for byte a pickle) from a pickle.
    trust_unknown : bool, default=False
        Load files that need names outside the allowlist with the ordinary
        pickle, joblib or skops loaders. Such a file can run any code on the
        server. Only the person who runs the server may turn this on (a
        command-line flag or configuration setting); never a browser user.
    max_bytes : int, default=200 MiB
        Largest file accepted, and the largest a compressed file may unpack to.

    Returns
    -------
    LoadedModel
        The object (not yet checked to be a usable model), the detected format,
        the globals it needed and plain-language warnings.

    Raises
    ------
    ModelLoadError
        If the file is empty, too large, not a model file, cut off, damaged,
        needs a package that is not installed, or needs names outside the
        allowlist (naming them) while ``trust_unknown`` is False.

    Examples
    --------
    >>> import pickle
    >>> from sklearn.linear_model import LogisticRegression
    >>> loaded = load_model_bytes(pickle.dumps(LogisticRegression()), "model.pkl")
    >>> loaded.file_format
    'pickle'
    """
    if len(raw) > max_bytes:
        _open(raw, filename, max_bytes)  # refuses it as too large
    data_format = detect(raw)
    if data_format is not None:
        model = load_data_format(raw, data_format)
        check_loaded_model(model)
        return LoadedModel(model=model, file_format=data_format, globals_needed=(), warnings=())
    file_format, data = _open(raw, filename, max_bytes)
    if file_format == "skops":
        listing = _skops_listing(data, max_bytes)
    else:
        listing = _list_stream(data)
        if listing.has_joblib_arrays:
            file_format = "joblib"
    if listing.not_a_pickle and listing.error is not None:
        raise listing.error
    untrusted = _untrusted(listing.names)
    if untrusted and not trust_unknown:
        raise _refusal(untrusted)
    if listing.error is not None:
        raise listing.error

    outside = ", ".join(untrusted)
    try:
        if untrusted:
            model, messages = _load_capturing_warnings(
                lambda: _trusting_loader(file_format, raw, listing)
            )
        else:
            try:
                model, messages = _load_capturing_warnings(
                    lambda: _restricted_loader(file_format, data, listing)
                )
            except FormRefused as exc:
                if not trust_unknown:
                    raise _form_refusal(exc) from None
                outside = exc.what
                model, messages = _load_capturing_warnings(
                    lambda: _trusting_loader(file_format, raw, listing)
                )
        check_loaded_model(model)
    except ModelLoadError:
        raise
    except _RefusedGlobal as exc:
        raise _refusal([exc.name]) from None
    except FormRefused as exc:
        raise _form_refusal(exc) from None
    except Exception as exc:  # unpicklers and libraries raise almost any type on bad input
        raise _unreadable(exc) from exc
    if outside:
        messages = (TRUSTED_ANYWAY.format(names=outside), *messages)
    return LoadedModel(
        model=model,
        file_format=file_format,
        globals_needed=listing.names,
        warnings=messages,
    )
