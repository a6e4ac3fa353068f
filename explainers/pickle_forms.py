"""The exact forms in which a model file may build its objects while it loads.

An allowlist of names is not enough: a pickle also chooses the arguments of
every call it makes (``REDUCE``, ``NEWOBJ``) and the state it hands to each
object (``BUILD``), and numpy's reconstructors parse those bytes in C. So the
unpicklers here (pure-Python ones, so that every opcode passes through whybox)
allow each allowlisted global only in the forms that scikit-learn, numpy,
pandas, scipy, xgboost, lightgbm and catboost themselves write:

* a class is created empty (``NEWOBJ`` with no arguments, or
  ``copyreg._reconstructor(cls, object, None)``) and then filled with a
  dictionary; it is never *called*, so ``Booster(None, None, path)`` or
  ``DatetimeIndex(..., tz="dateutil//path")`` cannot run;
* the few callables a pickle really calls (``numpy.dtype``, ``_reconstruct``,
  ``scalar``, ``_frombuffer``, ``Tree``, the random-state constructors, ...)
  are called only with the argument types and values their own ``__reduce__``
  produces; anything else is refused before the call;
* ``BUILD`` only fills an object this same file just created, with a state of
  the shape its class writes. A numpy dtype's state must be exactly the state
  numpy computes for that dtype (so its flags cannot hide object pointers),
  an array's bytes must match its shape and an object array is filled only from
  a list; a scikit-learn tree is checked node by node
  (:mod:`explainers.tree_checks`) before it exists;
* ``APPEND`` / ``SETITEM`` / ``ADDITEMS`` only fill plain lists, dicts and sets.

A refusal raises :class:`FormRefused`, whose ``what`` says in whybox's words
what the file tried. Nothing here imports a module a file names: globals are
resolved by the caller, only after the name check.
"""

from __future__ import annotations

import collections
import copyreg
import functools
import io
import json
import math
import pickle
import re
from collections.abc import Callable
from typing import Any

import numpy as np
from joblib.numpy_pickle import NumpyArrayWrapper, NumpyUnpickler

from explainers.tree_checks import (
    TreeCheckError,
    check_lightgbm_text,
    check_sklearn_tree,
    check_xgboost_model,
)
from explainers.ubjson import UBJSONError, ubjson_to_json

MAX_ARRAY_BYTES = 4 * 2**30
"""Largest array a model file may hold (also bounded by the file's own size)."""
MAX_DIMENSIONS = 32
MAX_COUNT = 10_000_000
"""Largest count (features, outputs, classes) a constructor may be asked to allocate for."""


class FormRefused(pickle.UnpicklingError):
    """A model file asked for a call or a state that models never write."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


# --------------------------------------------------------------------------- small checks


def _refuse(what: str) -> FormRefused:
    return FormRefused(what)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _count(value: object, what: str, *, low: int = 0, high: int = MAX_COUNT) -> int:
    if not _is_int(value) or not low <= value <= high:  # type: ignore[operator]
        raise _refuse(f"{what} out of range")
    return int(value)  # type: ignore[call-overload,no-any-return]


def _shape(value: object) -> tuple[int, ...]:
    if not isinstance(value, tuple) or len(value) > MAX_DIMENSIONS:
        raise _refuse("an array with a malformed shape")
    for n in value:
        if not _is_int(n) or n < 0:
            raise _refuse("an array with a malformed shape")
    return value


def _n_bytes(shape: tuple[int, ...], dtype: np.dtype[Any]) -> int:
    n = math.prod(shape) * dtype.itemsize
    if n > MAX_ARRAY_BYTES:
        raise _refuse("an array larger than whybox accepts")
    return n


def _plain_dtype(dtype: object) -> np.dtype[Any]:
    """A dtype that holds no Python objects (bytes may be copied into it)."""
    if not isinstance(dtype, np.dtype) or dtype.hasobject or dtype.itemsize == 0:
        raise _refuse("raw bytes read as Python objects")
    return dtype


def _buffer_length(buffer: object) -> int:
    if isinstance(buffer, (bytes, bytearray)):
        return len(buffer)
    if isinstance(buffer, pickle.PickleBuffer):
        return memoryview(buffer).nbytes
    raise _refuse("array data that is not bytes")


# --------------------------------------------------------------------------- dtypes

# Type strings numpy's dtype.__reduce__ writes: bool, ints, floats, complex,
# objects, text and bytes of a length, void (records), datetimes and timedeltas.
_DTYPE_SPEC = re.compile(r"(b1|[iu][1248]|f(2|4|8|12|16)|c(8|16|24|32)|O[48]?|[SUV]\d{1,8}|[mM]8)")
_ENDIAN = frozenset({"<", ">", "|", "="})
_ALIGNED_STRUCT = 128
_DATETIME_UNITS = frozenset(
    {b"Y", b"M", b"W", b"D", b"h", b"m", b"s", b"ms", b"us", b"ns", b"ps", b"fs", b"as", b"generic"}
)


def _make_dtype(spec: object, align: object = False, copy: object = True) -> np.dtype[Any]:
    if not isinstance(spec, str) or not _DTYPE_SPEC.fullmatch(spec):
        raise _refuse("numpy.dtype with a type string models never use")
    if align not in (False, True) or copy is not True:
        # copy=False would hand back numpy's shared dtype, which BUILD would then change.
        raise _refuse("numpy.dtype in a form numpy never writes")
    return np.dtype(spec, bool(align), True)


def _expected_dtype(current: np.dtype[Any], state: tuple[Any, ...]) -> np.dtype[Any]:
    """The dtype numpy itself makes from a state's fields, whatever flags the state claims."""
    version, endian, subarray, names, fields, elsize, alignment = state[:7]
    if subarray is not None or endian not in _ENDIAN:
        raise _refuse("a numpy dtype models never use")
    if names is None:
        if fields is not None:
            raise _refuse("a numpy dtype models never use")
        spec = current.str[1:] if current.kind in "mM" else current.char
        if current.kind in "mM":
            metadata = state[8] if version == 4 and len(state) == 9 else None
            if not (isinstance(metadata, tuple) and len(metadata) == 2 and metadata[0] is None):
                raise _refuse("a numpy datetime dtype in a form numpy never writes")
            unit, count, *_ = metadata[1]
            if unit not in _DATETIME_UNITS or not _is_int(count) or not 1 <= count < 2**31:
                raise _refuse("a numpy datetime dtype in a form numpy never writes")
            spec = f"{current.kind}8[{count if count != 1 else ''}{unit.decode()}]"
        if current.kind in "SUV":
            if not _is_int(elsize) or elsize < 0 or elsize % (4 if current.kind == "U" else 1):
                raise _refuse("a numpy dtype in a form numpy never writes")
            spec = f"{current.kind}{elsize // 4 if current.kind == 'U' else elsize}"
        base = np.dtype(spec)
        if endian in "<>" and base.byteorder not in ("|",):
            base = base.newbyteorder(endian)
        return base
    if not (isinstance(names, tuple) and isinstance(fields, dict) and set(names) == set(fields)):
        raise _refuse("a numpy record dtype in a form numpy never writes")
    formats, offsets = [], []
    for name in names:
        field = fields[name]
        if not (isinstance(name, str) and isinstance(field, tuple) and len(field) == 2):
            raise _refuse("a numpy record dtype in a form numpy never writes")
        if not isinstance(field[0], np.dtype) or not _is_int(field[1]):
            raise _refuse("a numpy record dtype in a form numpy never writes")
        formats.append(field[0])
        offsets.append(field[1])
    if not _is_int(elsize) or not 0 < elsize <= 2**20:
        raise _refuse("a numpy record dtype in a form numpy never writes")
    flags = state[7]
    aligned = _is_int(flags) and bool(flags & _ALIGNED_STRUCT)
    record: dict[str, Any] = {
        "names": list(names),
        "formats": formats,
        "offsets": offsets,
        "itemsize": elsize,
    }
    try:
        return np.dtype(record, align=aligned)  # type: ignore[call-overload,no-any-return]
    except (TypeError, ValueError) as exc:
        raise _refuse("a numpy record dtype in a form numpy never writes") from exc


def _fill_dtype(dtype: np.dtype[Any], state: object) -> None:
    """BUILD on a dtype: allowed only with the very state numpy writes for it."""
    if not isinstance(state, tuple) or len(state) not in (8, 9) or state[0] not in (3, 4):
        raise _refuse("a numpy dtype in a form numpy never writes")
    expected = _expected_dtype(dtype, state)
    if expected.names is not None and expected.hasobject:
        raise _refuse("a numpy record dtype holding Python objects")
    if expected.__reduce__()[2] != state:
        # The flags are what tell numpy an array holds object pointers.
        raise _refuse("a numpy dtype whose flags do not match its fields")
    dtype.__setstate__(state)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- arrays


def _reconstruct(subtype: object, shape: object, typecode: object) -> np.ndarray[Any, Any]:
    if subtype is not np.ndarray or shape != (0,) or typecode not in (b"b", "b"):
        raise _refuse(
            "numpy.ndarray created in a form numpy never writes (it would hold memory "
            "left over from elsewhere)"
        )
    return np.ndarray((0,), dtype=np.int8)


def _mareconstruct(subtype: object, baseclass: object, shape: object, typecode: object) -> object:
    if (
        subtype is not np.ma.MaskedArray
        or baseclass is not np.ndarray
        or shape != (0,)
        or typecode not in (b"b", "b")
    ):
        raise _refuse("numpy.ma.MaskedArray created in a form numpy never writes")
    return np.ma.core._mareconstruct(subtype, baseclass, (0,), "b")  # type: ignore[attr-defined]


def _check_array_state(state: object, *, n_extra: int) -> tuple[Any, ...]:
    if not isinstance(state, tuple) or len(state) != 5 + n_extra or state[0] != 1:
        raise _refuse("a numpy array in a form numpy never writes")
    _, shape, dtype, fortran, data = state[:5]
    shape = _shape(shape)
    if not isinstance(dtype, np.dtype) or fortran not in (True, False):
        raise _refuse("a numpy array in a form numpy never writes")
    n_items = math.prod(shape)
    if dtype.hasobject:
        if dtype.names is not None or not isinstance(data, list) or len(data) != n_items:
            raise _refuse("a numpy object array filled from raw bytes")
    elif _buffer_length(data) != _n_bytes(shape, dtype):
        raise _refuse("a numpy array whose data does not match its shape")
    return state


def _fill_array(array: np.ndarray[Any, Any], state: object) -> None:
    array.__setstate__(_check_array_state(state, n_extra=0))


def _fill_masked_array(array: np.ma.MaskedArray[Any, Any], state: object) -> None:
    checked = _check_array_state(state, n_extra=2)
    shape, dtype, mask = checked[1], checked[2], checked[5]
    mask_dtype = np.ma.make_mask_descr(dtype)
    if _buffer_length(mask) != _n_bytes(shape, mask_dtype):
        raise _refuse("a numpy masked array whose mask does not match its shape")
    array.__setstate__(checked)


def _scalar(dtype: object, *data: object) -> object:
    plain = _plain_dtype(dtype)
    if len(data) != 1 or not isinstance(data[0], bytes) or len(data[0]) != plain.itemsize:
        raise _refuse("a numpy scalar in a form numpy never writes")
    return np.frombuffer(data[0], dtype=plain)[0].copy()


def _frombuffer(buffer: object, dtype: object, shape: object, order: object) -> object:
    plain = _plain_dtype(dtype)
    checked = _shape(shape)
    if order not in ("C", "F") or _buffer_length(buffer) != _n_bytes(checked, plain):
        raise _refuse("a numpy array whose data does not match its shape")
    return np.frombuffer(buffer, dtype=plain).reshape(checked, order=order)  # type: ignore[call-overload]


# --------------------------------------------------------------------------- random state


@functools.cache
def _bit_generators() -> dict[str, type]:
    from numpy.random import MT19937, PCG64, PCG64DXSM, SFC64, Philox

    return {cls.__name__: cls for cls in (MT19937, PCG64, PCG64DXSM, Philox, SFC64)}


def _bit_generator_ctor(bit_generator: object = "MT19937") -> object:
    classes = _bit_generators()
    if isinstance(bit_generator, str) and bit_generator in classes:
        return classes[bit_generator]()
    if isinstance(bit_generator, type) and bit_generator in classes.values():
        return bit_generator()
    raise _refuse("a random generator of a kind numpy does not have")


def _bit_generator(name: object, ctor: object) -> object:
    from numpy.random import BitGenerator
    from numpy.random import _pickle as random_pickle

    if ctor is not _NO_ARGUMENT and ctor is not random_pickle.__bit_generator_ctor:
        # numpy would call whatever the file passes here with the name.
        raise _refuse("a random state built by a function numpy never uses for it")
    if isinstance(name, BitGenerator) and type(name) in _bit_generators().values():
        return name
    return _bit_generator_ctor(name)


_NO_ARGUMENT = object()


def _randomstate_ctor(name: object = "MT19937", ctor: object = _NO_ARGUMENT) -> object:
    return np.random.RandomState(_bit_generator(name, ctor))  # type: ignore[arg-type]


def _generator_ctor(name: object = "PCG64", ctor: object = _NO_ARGUMENT) -> object:
    return np.random.Generator(_bit_generator(name, ctor))  # type: ignore[arg-type]


def _fill_bit_generator(generator: Any, state: object) -> None:
    from numpy.random import SeedSequence

    if not (isinstance(state, tuple) and len(state) == 2 and isinstance(state[0], dict)):
        raise _refuse("a random generator in a form numpy never writes")
    if state[1] is not None and type(state[1]) is not SeedSequence:
        raise _refuse("a random generator in a form numpy never writes")
    generator.__setstate__(state)


def _fill_seed_sequence(sequence: Any, state: object) -> None:
    if not (isinstance(state, tuple) and len(state) == 5):
        raise _refuse("a random seed in a form numpy never writes")
    pool, pool_size = state[2], state[3]
    if not (isinstance(pool, np.ndarray) and pool.dtype == np.uint32 and pool.ndim == 1):
        raise _refuse("a random seed in a form numpy never writes")
    if pool_size != pool.shape[0]:
        raise _refuse("a random seed whose size does not match its data")
    sequence.__setstate_cython__(state)


def _unpickle_seed_sequence(cls: object, checksum: object, state: object) -> object:
    from numpy.random import SeedSequence
    from numpy.random.bit_generator import __pyx_unpickle_SeedSequence  # type: ignore[attr-defined]

    if cls is not SeedSequence or not _is_int(checksum) or state is not None:
        raise _refuse("a random seed in a form numpy never writes")
    return __pyx_unpickle_SeedSequence(cls, checksum, None)


# --------------------------------------------------------------------------- scikit-learn


def _tree(n_features: object, n_classes: object, n_outputs: object) -> object:
    from sklearn.tree._tree import Tree

    outputs = _count(n_outputs, "a tree's number of outputs", low=1)
    _count(n_features, "a tree's number of features", low=1)
    if not (
        isinstance(n_classes, np.ndarray)
        and n_classes.dtype == np.intp
        and n_classes.shape == (outputs,)
        and np.all((n_classes >= 1) & (n_classes <= MAX_COUNT))
    ):
        # Tree reads n_outputs entries of n_classes in C.
        raise _refuse("a tree whose class counts do not match its outputs")
    return Tree(n_features, n_classes, outputs)


def _fill_tree(tree: Any, state: object) -> None:
    from sklearn.tree._tree import NODE_DTYPE

    if not (
        isinstance(state, dict) and {"max_depth", "node_count", "nodes", "values"} <= set(state)
    ):
        raise _refuse("a tree in a form scikit-learn never writes")
    nodes, values = state["nodes"], state["values"]
    if not isinstance(nodes, np.ndarray) or nodes.dtype != NODE_DTYPE or nodes.ndim != 1:
        raise _refuse("a tree in a form scikit-learn never writes")
    if state["node_count"] != nodes.shape[0] or not _is_int(state["max_depth"]):
        raise _refuse("a tree whose node count does not match its nodes")
    expected = (nodes.shape[0], tree.n_outputs, tree.max_n_classes)
    if not isinstance(values, np.ndarray) or values.shape != expected:
        raise _refuse("a tree whose values do not match its nodes")
    try:
        check_sklearn_tree(nodes, n_features=tree.n_features, max_depth=state["max_depth"])
    except TreeCheckError as exc:
        raise _refuse(str(exc)) from exc
    tree.__setstate__(state)


def _float_args(cls: type, *args: object) -> object:
    if len(args) > 1 or not all(isinstance(a, (int, float)) for a in args):
        raise _refuse(f"{cls.__name__} in a form scikit-learn never writes")
    return cls(*args)


def _pyx_unpickle(
    real: Callable[..., object], classes: Callable[[], tuple[type, ...]]
) -> Callable[..., object]:
    """Cython's ``__pyx_unpickle_X(cls, checksum, state)``: only for its own classes."""

    def call(cls: object, checksum: object, state: object = None) -> object:
        if (
            cls not in classes()
            or not _is_int(checksum)
            or not isinstance(state, (tuple, type(None)))
        ):
            raise _refuse("a compiled object in a form its library never writes")
        return real(cls, checksum, state)

    return call


def _new_obj(classes: Callable[[], tuple[type, ...]]) -> Callable[..., object]:
    """scikit-learn's Cython ``newObj(cls)``: ``cls.__new__(cls)`` for its own classes."""

    def call(cls: object) -> object:
        if cls not in classes():
            raise _refuse("a compiled object of a class that does not belong there")
        return cls.__new__(cls)  # type: ignore[call-overload]

    return call


@functools.cache
def _distance_metrics() -> tuple[type, ...]:
    from sklearn.metrics import _dist_metrics

    return tuple(
        cls
        for name, cls in vars(_dist_metrics).items()
        if isinstance(cls, type)
        and name.endswith(("Distance32", "Distance64"))
        and not name.startswith("PyFunc")
    )


@functools.cache
def _kd_trees() -> tuple[type, ...]:
    from sklearn.neighbors import _kd_tree

    return tuple(
        getattr(_kd_tree, n) for n in ("KDTree", "KDTree32", "KDTree64") if hasattr(_kd_tree, n)
    )


@functools.cache
def _ball_trees() -> tuple[type, ...]:
    from sklearn.neighbors import _ball_tree

    return tuple(
        getattr(_ball_tree, n)
        for n in ("BallTree", "BallTree32", "BallTree64")
        if hasattr(_ball_tree, n)
    )


def _fill_distance_metric(metric: Any, state: object) -> None:
    if not (isinstance(state, tuple) and len(state) == 3 and isinstance(state[0], (int, float))):
        raise _refuse("a distance metric in a form scikit-learn never writes")
    vec, mat = state[1], state[2]
    if not (
        isinstance(vec, np.ndarray)
        and isinstance(mat, np.ndarray)
        and vec.ndim == 1
        and mat.ndim == 2
    ):
        raise _refuse("a distance metric in a form scikit-learn never writes")
    if mat.size and mat.shape[0] != mat.shape[1]:
        raise _refuse("a distance metric whose matrix is not square")
    metric.__setstate__(state)


def _metric_width(metric: Any) -> int | None:
    """How many columns a weighted metric's own vector or matrix covers (None: unweighted)."""
    _, vec, mat = metric.__getstate__()
    name = type(metric).__name__
    if name.startswith("Mahalanobis"):
        return int(mat.shape[0])
    if name.startswith("SEuclidean") or (name.startswith("Minkowski") and vec.size):
        return int(vec.shape[0])
    return None


def _fill_binary_tree(tree: Any, state: object) -> None:
    """KDTree / BallTree: every index the query code follows must stay inside its arrays."""
    if not (isinstance(state, tuple) and len(state) == 13):
        raise _refuse("a neighbour search tree in a form scikit-learn never writes")
    data, idx_array, node_data, node_bounds = state[:4]
    n_levels, n_nodes, metric, sample_weight = state[5], state[6], state[11], state[12]
    arrays = (data, idx_array, node_data, node_bounds)
    if (
        not all(isinstance(a, np.ndarray) for a in arrays)
        or data.ndim != 2
        or node_bounds.ndim != 3
    ):
        raise _refuse("a neighbour search tree in a form scikit-learn never writes")
    n_samples, n_features = data.shape
    if type(metric) not in _distance_metrics() or _metric_width(metric) not in (None, n_features):
        raise _refuse("a neighbour search tree whose metric does not fit its data")
    if not (
        idx_array.shape == (n_samples,)
        and np.issubdtype(idx_array.dtype, np.integer)
        and np.all((idx_array >= 0) & (idx_array < n_samples))
    ):
        raise _refuse("a neighbour search tree pointing outside its data")
    if node_data.dtype.names != ("idx_start", "idx_end", "is_leaf", "radius"):
        raise _refuse("a neighbour search tree in a form scikit-learn never writes")
    start, end = node_data["idx_start"], node_data["idx_end"]
    if (
        not _is_int(n_nodes)
        or not _is_int(n_levels)
        or node_data.shape != (n_nodes,)
        or n_nodes != 2**n_levels - 1
        or node_bounds.shape[1:] != (n_nodes, n_features)
        or np.any((start < 0) | (start > end) | (end > n_samples))
    ):
        raise _refuse("a neighbour search tree pointing outside its data")
    if sample_weight is not None and (
        not isinstance(sample_weight, np.ndarray) or sample_weight.shape != (n_samples,)
    ):
        raise _refuse("a neighbour search tree whose weights do not match its data")
    tree.__setstate__(state)


_CHECK_ARRAY_KWARGS = {"ensure_all_finite": False}


def _partial(func: object, *args: object) -> object:
    """functools.partial: only scikit-learn's own ``partial(check_array, ...)``."""
    from sklearn.utils.validation import check_array

    if func is not check_array or args:
        raise _refuse("functools.partial of anything but scikit-learn's check_array")
    return functools.partial(check_array)  # type: ignore[arg-type,misc,operator]


def _fill_partial(partial: functools.partial[Any], state: object) -> None:
    """HistGradientBoosting's ``partial(check_array, dtype=[float64], ensure_all_finite=False)``."""
    from sklearn.utils.validation import check_array

    if not (isinstance(state, tuple) and len(state) == 4):
        raise _refuse("functools.partial in a form scikit-learn never writes")
    func, args, kwargs, namespace = state
    dtype = kwargs.get("dtype") if isinstance(kwargs, dict) else None
    if (
        func is not check_array
        or args != ()
        or namespace not in (None, {})
        or set(kwargs) != {"dtype", "ensure_all_finite"}
        or kwargs["ensure_all_finite"] is not False
        or not (
            isinstance(dtype, list) and len(dtype) == 1 and dtype[0] in (np.float64, np.float32)
        )
    ):
        raise _refuse("functools.partial in a form scikit-learn never writes")
    partial.__setstate__(state)  # type: ignore[attr-defined]


def _fill_bspline(spline: Any, state: object) -> None:
    """scipy's BSpline evaluates in C with the lengths of t and c that it is given."""
    if not isinstance(state, dict):
        raise _refuse("a spline in a form scipy never writes")
    t, c, k = state.get("_t", state.get("t")), state.get("_c", state.get("c")), state.get("k")
    if not (isinstance(k, int) and isinstance(t, np.ndarray) and isinstance(c, np.ndarray)):
        raise _refuse("a spline in a form scipy never writes")
    if not 0 <= k <= 20:
        raise _refuse("a spline in a form scipy never writes")
    if t.ndim != 1 or c.ndim < 1 or t.shape[0] < 2 * k + 2 or c.shape[0] < t.shape[0] - k - 1:
        raise _refuse("a spline whose knots do not match its coefficients")
    spline.__dict__.update(state)


# --------------------------------------------------------------------------- boosting libraries


def _fill_lightgbm_booster(booster: Any, state: object) -> None:
    """A pickled lightgbm Booster holds its text model, checked before lightgbm reads it."""
    if not isinstance(state, dict):
        raise _refuse("a lightgbm model in a form lightgbm never writes")
    handle = state.get("_handle", state.get("handle"))
    if handle is not None:
        if not isinstance(handle, str):
            raise _refuse("a lightgbm model in a form lightgbm never writes")
        try:
            check_lightgbm_text(handle)
        except TreeCheckError as exc:
            raise _refuse(str(exc)) from exc
    booster.__setstate__(state)


def _fill_xgboost_booster(booster: Any, state: object) -> None:
    """A pickled xgboost Booster holds UBJSON, read strictly before xgboost's own parser sees it.

    xgboost's parser trusts the lengths in the bytes (a cut-off model crashed
    the process); well-formed bytes whose trees stay inside themselves are
    handed on unchanged.
    """
    if not isinstance(state, dict) or not isinstance(
        state.get("handle"), (bytes, bytearray, type(None))
    ):
        raise _refuse("an xgboost model in a form xgboost never writes")
    if state.get("handle") is not None:
        try:
            document = json.loads(ubjson_to_json(bytes(state["handle"])))
            check_xgboost_model(document["Model"])
        except (UBJSONError, KeyError, TypeError) as exc:
            raise _refuse("an xgboost model in a form xgboost never writes") from exc
        except TreeCheckError as exc:
            raise _refuse(str(exc)) from exc
    booster.__setstate__(state)


# --------------------------------------------------------------------------- pandas


_INDEX_KEYS = frozenset({"data", "name", "names", "freq", "dtype", "start", "stop", "step"})


def _new_index(real: Callable[..., object], classes: tuple[str, ...]) -> Callable[..., object]:
    def call(cls: object, d: object) -> object:
        import pandas as pd

        allowed = tuple(getattr(pd, name) for name in classes)
        if cls not in allowed or not isinstance(d, dict) or not set(d) <= _INDEX_KEYS:
            raise _refuse("a pandas index in a form pandas never writes")
        if d.get("freq") is not None or getattr(d.get("data"), "tz", None) is not None:
            # A time zone is looked up by name, which can open files.
            raise _refuse("a pandas index with a time zone")
        return real(cls, d)

    return call


def _unpickle_block(values: object, placement: object, ndim: object) -> object:
    from pandas._libs.internals import _unpickle_block as real

    if not isinstance(values, np.ndarray) and type(values).__module__.split(".")[0] != "pandas":
        raise _refuse("a pandas block in a form pandas never writes")
    if not isinstance(placement, (slice, np.ndarray)) or ndim not in (1, 2):
        raise _refuse("a pandas block in a form pandas never writes")
    return real(values, placement, ndim)


def _block_manager(*args: object) -> object:
    """pandas' BlockManager(blocks, axes), which verifies that blocks and axes fit."""
    import pandas as pd
    from pandas.core.internals.blocks import Block
    from pandas.core.internals.managers import BlockManager

    if not (
        len(args) == 2
        and isinstance(args[0], tuple)
        and all(isinstance(block, Block) for block in args[0])
        and isinstance(args[1], list)
        and all(isinstance(axis, pd.Index) for axis in args[1])
    ):
        raise _refuse("a pandas table in a form pandas never writes")
    return BlockManager(args[0], args[1], verify_integrity=True)


@functools.cache
def _pandas_backed() -> tuple[type, ...]:
    import pandas as pd

    return (pd.arrays.DatetimeArray, pd.arrays.StringArray, pd.Categorical)


# --------------------------------------------------------------------------- the tables


def _unpickle_ndarray_backed(*args: object) -> object:
    from pandas._libs.arrays import __pyx_unpickle_NDArrayBacked

    return _pyx_unpickle(__pyx_unpickle_NDArrayBacked, _pandas_backed)(*args)


def _codecs_encode(text: object, encoding: object = "utf-8") -> bytes:
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise _refuse("_codecs.encode in a form pickle never writes")
    return text.encode("latin-1")


def _bytes_like(cls: type) -> Callable[..., object]:
    """bytes() / bytearray(): never over an object (an object array would leak its pointers)."""

    def call(*args: object) -> object:
        if args == ():
            return cls()
        if len(args) == 1 and type(args[0]) in (bytes, bytearray):
            return cls(args[0])
        if len(args) == 2 and isinstance(args[0], str) and args[1] in ("latin1", "latin-1"):
            return cls(args[0], "latin-1")
        raise _refuse(f"builtins.{cls.__name__} called on something that is not text or bytes")

    return call


def _slice(*args: object) -> slice:
    if len(args) > 3 or not all(a is None or _is_int(a) for a in args):
        raise _refuse("builtins.slice in a form pickle never writes")
    return slice(*args)


def _set_like(cls: type) -> Callable[..., object]:
    def call(*args: object) -> object:
        if args == ():
            return cls()
        if len(args) == 1 and type(args[0]) is list:
            return cls(args[0])
        raise _refuse(f"builtins.{cls.__name__} in a form pickle never writes")

    return call


def _complex(real: object, imag: object = 0.0) -> complex:
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (real, imag)):
        raise _refuse("builtins.complex in a form pickle never writes")
    return complex(real, imag)  # type: ignore[call-overload,no-any-return]


def _ordered_dict(*args: object) -> object:
    if args:
        raise _refuse("collections.OrderedDict in a form pickle never writes")
    return collections.OrderedDict()


_DEFAULT_FACTORIES = (list, dict, set, int, float, str, collections.OrderedDict)


def _defaultdict(*args: object) -> object:
    if len(args) > 1 or (args and args[0] is not None and args[0] not in _DEFAULT_FACTORIES):
        # The factory is called, with no arguments, on every missing key.
        raise _refuse("collections.defaultdict with a factory other than a plain container")
    return collections.defaultdict(*args)


def _loss_classes(*names: str) -> Callable[[], tuple[type, ...]]:
    def classes() -> tuple[type, ...]:
        from sklearn._loss import _loss

        return tuple(getattr(_loss, n) for n in names if hasattr(_loss, n))

    return classes


@functools.cache
def _sgd_losses() -> tuple[type, ...]:
    from sklearn.linear_model import _sgd_fast

    names = (
        "Hinge",
        "ModifiedHuber",
        "SquaredHinge",
        "EpsilonInsensitive",
        "SquaredEpsilonInsensitive",
        "Huber",
        "SquaredLoss",
        "Log",
    )
    return tuple(getattr(_sgd_fast, n) for n in names if hasattr(_sgd_fast, n))


def _lazy(
    module: str, name: str, wrap: Callable[[Callable[..., object]], Callable[..., object]]
) -> Callable[..., object]:
    def call(*args: object) -> object:
        import importlib

        return wrap(getattr(importlib.import_module(module), name))(*args)

    return call


def _reconstructor(cls: object, base: object, state: object) -> object:
    """copyreg._reconstructor: an empty instance of a class (protocols 0 and 1)."""
    if not isinstance(cls, type) or cls in _NEVER_EMPTY:
        raise _refuse("copyreg._reconstructor on something that is not a model class")
    if base is object and state is None:
        return copyreg._reconstructor(cls, object, None)  # type: ignore[attr-defined]
    if base in (dict, list, set, frozenset, tuple, int, float, str) and type(state) is base:
        if not issubclass(cls, base):
            raise _refuse("copyreg._reconstructor with a base its class does not have")
        return copyreg._reconstructor(cls, base, state)  # type: ignore[attr-defined]
    raise _refuse("copyreg._reconstructor in a form pickle never writes")


CALLS: dict[str, Callable[..., object]] = {
    "copyreg._reconstructor": _reconstructor,
    "_codecs.encode": _codecs_encode,
    "builtins.bytes": _bytes_like(bytes),
    "builtins.bytearray": _bytes_like(bytearray),
    "builtins.slice": _slice,
    "builtins.set": _set_like(set),
    "builtins.frozenset": _set_like(frozenset),
    "builtins.complex": _complex,
    "collections.OrderedDict": _ordered_dict,
    "collections.defaultdict": _defaultdict,
    "numpy.dtype": _make_dtype,
    "numpy._core.multiarray._reconstruct": _reconstruct,
    "numpy._core.multiarray.scalar": _scalar,
    "numpy._core.numeric._frombuffer": _frombuffer,
    "numpy.ma.core._mareconstruct": _mareconstruct,
    "numpy.random._pickle.__randomstate_ctor": _randomstate_ctor,
    "numpy.random._pickle.__generator_ctor": _generator_ctor,
    "numpy.random._pickle.__bit_generator_ctor": _bit_generator_ctor,
    "numpy.random.bit_generator.__pyx_unpickle_SeedSequence": _unpickle_seed_sequence,
    "sklearn.tree._tree.Tree": _tree,
    "functools.partial": _partial,
    "sklearn.metrics._dist_metrics.newObj": _new_obj(_distance_metrics),
    "sklearn.neighbors._kd_tree.newObj": _new_obj(_kd_trees),
    "sklearn.neighbors._ball_tree.newObj": _new_obj(_ball_trees),
    "sklearn.metrics._dist_metrics.__pyx_unpickle_DistanceMetric": _lazy(
        "sklearn.metrics._dist_metrics",
        "__pyx_unpickle_DistanceMetric",
        lambda real: _pyx_unpickle(real, _distance_metrics),
    ),
    "sklearn._loss._loss.__pyx_unpickle_CyHalfMultinomialLoss": _lazy(
        "sklearn._loss._loss",
        "__pyx_unpickle_CyHalfMultinomialLoss",
        lambda real: _pyx_unpickle(real, _loss_classes("CyHalfMultinomialLoss")),
    ),
    "sklearn.linear_model._sgd_fast.__pyx_unpickle_Classification": _lazy(
        "sklearn.linear_model._sgd_fast",
        "__pyx_unpickle_Classification",
        lambda real: _pyx_unpickle(real, _sgd_losses),
    ),
    "sklearn.linear_model._sgd_fast.__pyx_unpickle_Regression": _lazy(
        "sklearn.linear_model._sgd_fast",
        "__pyx_unpickle_Regression",
        lambda real: _pyx_unpickle(real, _sgd_losses),
    ),
    "pandas.core.indexes.base._new_Index": _lazy(
        "pandas.core.indexes.base",
        "_new_Index",
        lambda real: _new_index(real, ("Index", "RangeIndex")),
    ),
    "pandas.core.indexes.datetimes._new_DatetimeIndex": _lazy(
        "pandas.core.indexes.datetimes",
        "_new_DatetimeIndex",
        lambda real: _new_index(real, ("DatetimeIndex",)),
    ),
    "pandas._libs.internals._unpickle_block": _unpickle_block,
    "pandas.core.internals.managers.BlockManager": _block_manager,
    "pandas._libs.arrays.__pyx_unpickle_NDArrayBacked": _unpickle_ndarray_backed,
}
"""Every global a model file may call, each with the check of its arguments."""

# Compiled classes that pickle as a call to the class itself with a few numbers.
_CALLABLE_CLASSES = {
    **{
        f"sklearn._loss._loss.{name}": name
        for name in (
            "CyAbsoluteError",
            "CyExponentialLoss",
            "CyHalfBinomialLoss",
            "CyHalfGammaLoss",
            "CyHalfMultinomialLoss",
            "CyHalfPoissonLoss",
            "CyHalfSquaredError",
            "CyHalfTweedieLoss",
            "CyHalfTweedieLossIdentity",
            "CyHuberLoss",
            "CyPinballLoss",
        )
    },
    **{
        f"sklearn.linear_model._sgd_fast.{name}": name
        for name in (
            "Hinge",
            "ModifiedHuber",
            "SquaredHinge",
            "EpsilonInsensitive",
            "SquaredEpsilonInsensitive",
        )
    },
}

# Calls whose result is a plain value, never filled afterwards.
_VALUES = frozenset(
    {
        "_codecs.encode",
        "builtins.bytes",
        "builtins.bytearray",
        "builtins.slice",
        "builtins.set",
        "builtins.frozenset",
        "builtins.complex",
        "numpy._core.multiarray.scalar",
        "numpy._core.numeric._frombuffer",
    }
)

# Types that must never be created empty and filled by a file.
_NEVER_EMPTY = (np.ndarray, np.dtype, np.ma.MaskedArray, np.generic, type, functools.partial)

FILLS: dict[str, Callable[[Any, object], None]] = {
    "numpy.ndarray": _fill_array,
    "numpy.ma.MaskedArray": _fill_masked_array,
    "functools.partial": _fill_partial,
    "sklearn.tree._tree.Tree": _fill_tree,
    "numpy.random.bit_generator.SeedSequence": _fill_seed_sequence,
    "scipy.interpolate._bsplines.BSpline": _fill_bspline,
    "lightgbm.basic.Booster": _fill_lightgbm_booster,
    "xgboost.core.Booster": _fill_xgboost_booster,
}
"""BUILD checks by the exact type of the object being filled (``module.qualname``)."""


def _type_name(obj: object) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def canonical_name(qualified: str) -> str:
    """numpy 1.x module names (``numpy.core.*``) as numpy 2 names them."""
    if qualified.startswith("numpy.core."):
        return "numpy._core." + qualified[len("numpy.core.") :]
    return qualified


# --------------------------------------------------------------------------- the unpicklers


class Inert:
    """Stands in for every global during a dry run: accepts any call, does nothing."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def __call__(self, *args: object, **kwargs: object) -> Inert:
        return Inert()


class _Checks:
    """What one load has seen: the globals it resolved and the objects it may still fill."""

    def __init__(self, *, dry_run: bool = False) -> None:
        self.globals: dict[int, tuple[str, object]] = {}
        self.fillable: dict[int, object] = {}
        self.dry_run = dry_run

    def record_global(self, resolved: tuple[str, object]) -> object:
        qualified, obj = resolved
        self.globals[id(obj)] = (canonical_name(qualified), obj)
        return obj

    def global_name(self, obj: object) -> str | None:
        entry = self.globals.get(id(obj))
        return entry[0] if entry is not None and entry[1] is obj else None

    def made(self, obj: object) -> object:
        self.fillable[id(obj)] = obj
        return obj

    def call(self, func: object, args: object) -> object:
        if self.dry_run and (func is Inert or isinstance(func, Inert)):
            return Inert()
        name = self.global_name(func)
        if not isinstance(args, tuple):
            raise _refuse("a call whose arguments are not a tuple")
        if name in _CALLABLE_CLASSES:
            return self.made(_float_args(func, *args))  # type: ignore[arg-type]
        check = CALLS.get(name or "")
        if check is None:
            shown = name or "an object built by the file itself"
            raise _refuse(f"a call to {shown}, which model files only name and never call")
        result = check(*args)
        return result if name in _VALUES else self.made(result)

    def new(self, cls: object, args: object, kwargs: object = None) -> object:
        if self.dry_run and cls is Inert:
            return Inert()
        name = self.global_name(cls)
        if name is None or not isinstance(cls, type) or issubclass(cls, _NEVER_EMPTY):
            raise _refuse("an object of something that is not a model class")
        if args != () or kwargs not in (None, {}):
            raise _refuse(f"{name} created with arguments, which model files never pass")
        return self.made(cls.__new__(cls))

    def fill(self, inst: object, state: object) -> None:
        if self.dry_run and isinstance(inst, Inert):
            return
        if self.fillable.pop(id(inst), None) is not inst:
            raise _refuse("a change to an object the file did not just create")
        if isinstance(inst, np.dtype):
            _fill_dtype(inst, state)
            return
        check = FILLS.get(_type_name(inst))
        if check is not None:
            check(inst, state)
        elif isinstance(inst, np.random.BitGenerator):
            _fill_bit_generator(inst, state)
        elif type(inst) in _distance_metrics():
            _fill_distance_metric(inst, state)
        elif type(inst) in (*_kd_trees(), *_ball_trees()):
            _fill_binary_tree(inst, state)
        else:
            _fill_object(inst, state)


def _fill_object(inst: object, state: object) -> None:
    """An ordinary object: a dictionary of attributes with text keys, nothing else."""
    if isinstance(state, tuple) and len(state) == 2 and state[1] is None:
        state = state[0]
    setstate = getattr(inst, "__setstate__", None)
    if isinstance(state, dict) and all(isinstance(key, str) for key in state):
        if setstate is not None:
            setstate(state)
        else:
            inst.__dict__.update(state)
        return
    if setstate is not None and _type_name(inst).startswith(
        ("sklearn.", "pandas.", "numpy.random.")
    ):
        # Compiled scikit-learn objects and pandas internals keep their state in
        # a tuple, which their own __setstate__ reads with typed (checked) fields.
        setstate(state)
        return
    raise _refuse(f"{_type_name(inst)} filled in a form its library never writes")


_CONTAINER_SETITEM = (dict.__setitem__, collections.OrderedDict.__setitem__)


class _CheckedOpcodes:
    """Opcode handlers shared by both unpicklers (``self`` is a ``pickle._Unpickler``)."""

    checks: _Checks
    stack: list[Any]
    append: Callable[[object], None]
    pop_mark: Callable[[], list[Any]]

    def load_reduce(self) -> None:
        args = self.stack.pop()
        self.stack[-1] = self.checks.call(self.stack[-1], args)

    def load_newobj(self) -> None:
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(self.checks.new(cls, args))

    def load_newobj_ex(self) -> None:
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(self.checks.new(cls, args, kwargs))

    def load_build_checked(self) -> None:
        state = self.stack.pop()
        self.checks.fill(self.stack[-1], state)

    def load_append(self) -> None:
        value = self.stack.pop()
        if not isinstance(self.stack[-1], Inert):
            _plain(self.stack[-1], list).append(value)

    def load_appends(self) -> None:
        items = self.pop_mark()
        if not isinstance(self.stack[-1], Inert):
            _plain(self.stack[-1], list).extend(items)

    def load_setitem(self) -> None:
        value = self.stack.pop()
        key = self.stack.pop()
        if not isinstance(self.stack[-1], Inert):
            _mapping(self.stack[-1])[key] = value

    def load_setitems(self) -> None:
        items = self.pop_mark()
        if isinstance(self.stack[-1], Inert):
            return
        target = _mapping(self.stack[-1])
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]

    def load_additems(self) -> None:
        items = self.pop_mark()
        if not isinstance(self.stack[-1], Inert):
            _plain(self.stack[-1], set).update(items)

    def load_refused(self) -> None:
        raise _refuse("a pickle instruction model files never use")


def _plain(target: object, cls: type) -> Any:
    if type(target) is not cls:
        raise _refuse(f"items added to something that is not a plain {cls.__name__}")
    return target


def _mapping(target: object) -> Any:
    if not isinstance(target, dict) or type(target).__setitem__ not in _CONTAINER_SETITEM:
        raise _refuse("items set on something that is not a plain dictionary")
    return target


def _dispatch(base: dict[int, Callable[..., None]], build: Callable[..., None]) -> dict[int, Any]:
    table = dict(base)
    handlers = {
        pickle.REDUCE: _CheckedOpcodes.load_reduce,
        pickle.NEWOBJ: _CheckedOpcodes.load_newobj,
        pickle.NEWOBJ_EX: _CheckedOpcodes.load_newobj_ex,
        pickle.BUILD: build,
        pickle.APPEND: _CheckedOpcodes.load_append,
        pickle.APPENDS: _CheckedOpcodes.load_appends,
        pickle.SETITEM: _CheckedOpcodes.load_setitem,
        pickle.SETITEMS: _CheckedOpcodes.load_setitems,
        pickle.ADDITEMS: _CheckedOpcodes.load_additems,
        pickle.INST: _CheckedOpcodes.load_refused,
        pickle.OBJ: _CheckedOpcodes.load_refused,
        pickle.PERSID: _CheckedOpcodes.load_refused,
        pickle.BINPERSID: _CheckedOpcodes.load_refused,
    }
    for opcode, handler in handlers.items():
        table[opcode[0]] = handler
    return table


Resolve = Callable[[str, str], tuple[str, object]]
"""Looks a global up after the allowlist check: (module, name) -> (qualified name, object)."""


class CheckedUnpickler(_CheckedOpcodes, pickle._Unpickler):
    """A plain pickle, every call and state checked (see the module docstring).

    Parameters
    ----------
    file : file-like
    resolve : callable (module, name) -> object
        Looks up a global after the allowlist check; its result is recorded so
        that calls can be matched to their exact name.
    """

    dispatch = _dispatch(pickle._Unpickler.dispatch, _CheckedOpcodes.load_build_checked)

    def __init__(self, file: io.BytesIO, resolve: Resolve, checks: _Checks | None = None) -> None:
        super().__init__(file)
        self.checks = checks if checks is not None else _Checks()
        self._resolve = resolve

    def find_class(self, module: str, name: str) -> object:
        return self.checks.record_global(self._resolve(module, name))


class CheckedNumpyUnpickler(_CheckedOpcodes, NumpyUnpickler):  # type: ignore[misc]
    """joblib's unpickler (arrays stored after their wrapper), every call and state checked."""

    def load_build_joblib(self) -> None:
        _CheckedOpcodes.load_build_checked(self)
        if isinstance(self.stack[-1], NumpyArrayWrapper):
            wrapper = self.stack.pop()
            self.stack.append(wrapper.read(self, self.ensure_native_byte_order))

    dispatch = _dispatch(NumpyUnpickler.dispatch, load_build_joblib)

    def __init__(self, data: bytes, resolve: Resolve, *, dry_run: bool = False) -> None:
        super().__init__("", io.BytesIO(data), ensure_native_byte_order=True)
        self.checks = _Checks(dry_run=dry_run)
        self._resolve = resolve

    def find_class(self, module: str, name: str) -> object:
        return self.checks.record_global(self._resolve(module, name))


def nested_unpickler(file: io.BytesIO, parent: Any) -> CheckedUnpickler:
    """The checked unpickler for a joblib object array's nested pickle, sharing its lookups."""
    unpickler = CheckedUnpickler(file, parent._resolve, parent.checks)
    return unpickler
