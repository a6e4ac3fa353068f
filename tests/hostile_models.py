"""Exploit-shaped model files that name only allowlisted globals, one builder per attack.

Each :class:`Hostile` writes the bytes of a model file whose every global is
on whybox's allowlist, but which calls, creates or fills something in a form
no library writes: the attacks of issue 12 (forged dtype flags, raw bytes
read as object pointers, ``bytes`` over an object array, random-state
constructors called with a function of the file's choosing, Booster
constructors reading a server path, time zones opened by name, arrays without
data, out-of-range tree indices, huge counts and thread counts, bombs, deep
nesting, a module imported for its side effect) and more. Most hide the
payload inside a working LogisticRegression, as an attacker would.

``message`` is a fragment whybox's refusal must contain. Builders take the
folder the case runs in, so a payload can name the planted secret there.
"""

from __future__ import annotations

import io
import pickle
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import joblib
import lightgbm
import numpy as np
import pandas as pd
import scipy.sparse
import xgboost
from sklearn.cluster import KMeans
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier
from sklearn.tree._tree import Tree

SECRET_NAME = "planted_secret.txt"
SECRET_TEXT = "WHYBOX-PLANTED-SECRET-7Q"
FORM = "not shaped like a saved model"
TREES = "trees are inconsistent"
FEATURES = ("age", "income", "score")


class Reduce:
    """Pickles as ``func(*args)`` (then ``BUILD state`` if a state is given)."""

    def __init__(self, func: object, args: tuple[object, ...], state: object = None) -> None:
        self.func, self.args, self.state = func, args, state

    def __reduce__(self) -> tuple[object, ...]:
        if self.state is None:
            return self.func, self.args
        return self.func, self.args, self.state


def plant_secret(folder: Path) -> Path:
    """A file no upload may read: its path is what the probing payloads name."""
    path = folder / SECRET_NAME
    path.write_text(SECRET_TEXT + "\n")
    return path


def _training() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(1)
    X = pd.DataFrame(
        {
            "age": rng.integers(18, 80, 200),
            "income": rng.normal(3_000, 800, 200).round(2),
            "score": rng.normal(0, 1, 200).round(3),
        }
    )
    y = np.where(X["score"] + X["income"] / 1_000 > 3, "yes", "no")
    return X, y


def _working_model() -> LogisticRegression:
    X, y = _training()
    return LogisticRegression(max_iter=1_000).fit(X, y)


def _carrying(payload: object, protocol: int = 4) -> bytes:
    """A working LogisticRegression with the payload as one of its attributes."""
    model = _working_model()
    model.notes_ = {"audit": [payload]}
    return pickle.dumps(model, protocol=protocol)


_OBJECT_DTYPE_NO_FLAGS = Reduce(
    np.dtype, ("O8", False, True), (3, "|", None, None, None, -1, -1, 0)
)
_ADDRESS = (0x4141414141).to_bytes(8, "little")


def forged_dtype_array(folder: Path) -> bytes:
    # An object dtype whose BUILD drops its reference-count flags, then an
    # array of it filled from raw bytes: a forged object pointer.
    array = Reduce(
        np._core.multiarray._reconstruct,
        (np.ndarray, (0,), b"b"),
        (1, (1,), _OBJECT_DTYPE_NO_FLAGS, False, _ADDRESS),
    )
    return _carrying(array)


def forged_dtype_alone(folder: Path) -> bytes:
    return _carrying(_OBJECT_DTYPE_NO_FLAGS)


def scalar_from_bytes(folder: Path) -> bytes:
    return _carrying(Reduce(np._core.multiarray.scalar, (np.dtype("O"), _ADDRESS)))


def frombuffer_objects(folder: Path) -> bytes:
    return _carrying(Reduce(np._core.numeric._frombuffer, (_ADDRESS, np.dtype("O"), (1,), "C")))


def bytes_over_object_array(folder: Path) -> bytes:
    # bytes(object array) reads the array's pointers: addresses for the next stage.
    return _carrying(Reduce(bytes, (np.array([object(), "x"], dtype=object)[1:],)))


def bytearray_of_a_count(folder: Path) -> bytes:
    return _carrying(Reduce(bytearray, (2**31,)))


def randomstate_ctor_with_function(folder: Path) -> bytes:
    # numpy calls bit_generator_ctor(name): any allowlisted callable, with a file-chosen name.
    ctor = np.random._pickle.__randomstate_ctor
    return _carrying(Reduce(ctor, ("MT19937", np.random._pickle.__generator_ctor)))


def generator_ctor_with_function(folder: Path) -> bytes:
    ctor = np.random._pickle.__generator_ctor
    return _carrying(Reduce(ctor, ("PCG64", LogisticRegression)))


def bit_generator_ctor_any_class(folder: Path) -> bytes:
    return _carrying(Reduce(np.random._pickle.__bit_generator_ctor, (KMeans,)))


def xgboost_booster_path(folder: Path) -> bytes:
    return _carrying(Reduce(xgboost.Booster, (None, None, str(plant_secret(folder)))))


def lightgbm_booster_path(folder: Path) -> bytes:
    return _carrying(Reduce(lightgbm.Booster, ({}, None, str(plant_secret(folder)))))


def datetime_index_dateutil_path(folder: Path) -> bytes:
    tz = f"dateutil/{plant_secret(folder)}"
    return _carrying(Reduce(pd.DatetimeIndex, (["2020-01-01"], None, tz)))


def new_datetime_index_with_tz(folder: Path) -> bytes:
    from pandas.core.indexes.datetimes import _new_DatetimeIndex

    tz = f"dateutil/{plant_secret(folder)}"
    data = np.array(["2020-01-01"], dtype="M8[ns]")
    return _carrying(Reduce(_new_DatetimeIndex, (pd.DatetimeIndex, {"data": data, "tz": tz})))


def ndarray_without_data(folder: Path) -> bytes:
    return _carrying(Reduce(np.ndarray, ((4096,), np.dtype("f8"))))


def reconstruct_with_shape(folder: Path) -> bytes:
    return _carrying(Reduce(np._core.multiarray._reconstruct, (np.ndarray, (2**28,), b"b")))


def dtype_shared_by_numpy(folder: Path) -> bytes:
    # copy=False hands back numpy's own float64, which BUILD would then rewrite.
    return _carrying(Reduce(np.dtype, ("f8", False, False), (3, "<", None, None, None, -1, -1, 63)))


def kmeans_kernel_call(folder: Path) -> bytes:
    from sklearn.cluster._kmeans import _kmeans_single_lloyd

    X = np.zeros((4, 2))
    return _carrying(
        Reduce(_kmeans_single_lloyd, (X, np.ones(4), X[:2].copy(), 1, 0, 1e-4, 100_000))
    )


def _tree_model() -> DecisionTreeClassifier:
    X, y = _training()
    return DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)


class _EditedTree:
    """Pickles exactly as a scikit-learn Tree does, with its node array edited."""

    def __init__(self, tree: Tree, edit: Callable[[np.ndarray], None]) -> None:
        state = tree.__getstate__()
        nodes = state["nodes"].copy()
        edit(nodes)
        self.args = (tree.n_features, np.asarray(tree.n_classes, dtype=np.intp), tree.n_outputs)
        self.state = {**state, "nodes": nodes}

    def __reduce__(self) -> tuple[object, ...]:
        return Tree, self.args, self.state


def _with_edited_tree(edit: Callable[[np.ndarray], None]) -> bytes:
    model = _tree_model()
    model.__dict__["tree_"] = _EditedTree(model.tree_, edit)
    return pickle.dumps(model, protocol=4)


def tree_child_out_of_range(folder: Path) -> bytes:
    def edit(nodes: np.ndarray) -> None:
        nodes["left_child"][0] = 1_000_000

    return _with_edited_tree(edit)


def tree_child_loops_back(folder: Path) -> bytes:
    def edit(nodes: np.ndarray) -> None:
        nodes["right_child"][1] = 0

    return _with_edited_tree(edit)


def tree_feature_out_of_range(folder: Path) -> bytes:
    def edit(nodes: np.ndarray) -> None:
        nodes["feature"][0] = 10_000

    return _with_edited_tree(edit)


def tree_deeper_than_it_says(folder: Path) -> bytes:
    model = _tree_model()
    tree = _EditedTree(model.tree_, lambda nodes: None)
    tree.state["max_depth"] = 1
    model.__dict__["tree_"] = tree
    return pickle.dumps(model, protocol=4)


def tree_class_counts_short(folder: Path) -> bytes:
    model = _tree_model()
    tree = _EditedTree(model.tree_, lambda nodes: None)
    tree.args = (tree.args[0], np.array([], dtype=np.intp), 50)
    model.__dict__["tree_"] = tree
    return pickle.dumps(model, protocol=4)


def hist_gradient_boosting_child_out_of_range(folder: Path) -> bytes:
    X, y = _training()
    model = HistGradientBoostingClassifier(max_iter=3, random_state=0).fit(X, y)
    model._predictors[0][0].nodes["left"][0] = 1_000_000
    return joblib_bytes(model)


def kneighbors_index_out_of_range(folder: Path) -> bytes:
    X, y = _training()
    model = KNeighborsClassifier(algorithm="kd_tree").fit(X, y)
    model._tree.get_arrays()[1][0] = 10**9  # idx_array
    return pickle.dumps(model, protocol=4)


def sparse_index_out_of_range(folder: Path) -> bytes:
    matrix = scipy.sparse.csr_matrix(np.eye(3))
    matrix.indices[0] = 10**6
    return _carrying(matrix)


def lightgbm_child_out_of_range(folder: Path) -> bytes:
    X, y = _training()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = lightgbm.LGBMClassifier(n_estimators=3, num_leaves=4, verbose=-1).fit(X, y)
    raw = pickle.dumps(model, protocol=2)
    # The booster's text model sits in the pickle as is; 9 has the length of the
    # first child index and points past the tree's three split nodes.
    start = raw.index(b"left_child=") + len(b"left_child=")
    return raw[:start] + b"9" + raw[start + 1 :]


def n_features_huge(folder: Path) -> bytes:
    model = _working_model()
    model.n_features_in_ = 10**9
    return pickle.dumps(model, protocol=4)


def classes_count_huge(folder: Path) -> bytes:
    model = _working_model()
    model.n_classes_ = 10**12
    return pickle.dumps(model, protocol=4)


def deep_nesting(folder: Path) -> bytes:
    # 100,000 nested lists cost 2 bytes each; copying them to a worker overflows the stack.
    depth = 100_000
    nested = b"]" * depth + b"a" * (depth - 1)
    raw = _carrying("DEEP-PLACEHOLDER", protocol=2)
    placeholder = b"X" + len(b"DEEP-PLACEHOLDER").to_bytes(4, "little") + b"DEEP-PLACEHOLDER"
    start = raw.index(placeholder)
    return raw[:start] + nested + raw[start + len(placeholder) :]


def _global(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def module_import_side_effect(folder: Path) -> bytes:
    # The old check imported any sklearn.* module a file named to look the class up;
    # this one changes scikit-learn when imported.
    module = "sklearn.experimental.enable_iterative_imputer"
    return b"\x80\x02" + _global(module, "IterativeImputer") + b")\x81."


PATCHED_ATTRIBUTE = "whybox_patched_by_upload"


def build_on_a_class(folder: Path) -> bytes:
    # BUILD on an allowlisted class itself would patch it for every session.
    state = pickle.dumps((None, {PATCHED_ATTRIBUTE: True}), protocol=2)[2:-1]
    return b"\x80\x02" + _global("scipy.sparse._csr", "csr_matrix") + state + b"b."


def defaultdict_with_factory(folder: Path) -> bytes:
    import collections

    return _carrying(Reduce(collections.defaultdict, (LogisticRegression,)))


def partial_of_check_array_with_arguments(folder: Path) -> bytes:
    import functools

    from sklearn.utils.validation import check_array

    return _carrying(Reduce(functools.partial, (check_array, np.zeros(3))))


def joblib_bytes(model: object, compress: int = 0) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=compress)
    return buffer.getvalue()


def joblib_forged_dtype(folder: Path) -> bytes:
    """The dtype forgery inside a compressed joblib file (read by joblib's own unpickler)."""
    model = _working_model()
    model.notes_ = [_OBJECT_DTYPE_NO_FLAGS, np.arange(3.0)]
    return joblib_bytes(model, compress=3)


def zlib_bomb(folder: Path) -> bytes:
    """About 200 KB of zlib that unpacks to 201 MiB, past the 200 MiB limit."""
    import zlib

    packer = zlib.compressobj(9)
    chunk = bytes(2**20)
    parts = [packer.compress(b"\x80\x04" + chunk)]
    parts.extend(packer.compress(chunk) for _ in range(200))
    return b"".join(parts) + packer.flush()


@dataclass(frozen=True, slots=True)
class Hostile:
    """One exploit-shaped file: its builder and a fragment of the refusal."""

    id: str
    build: Callable[[Path], bytes]
    message: str
    suffix: str = ".pkl"


HOSTILE: tuple[Hostile, ...] = (
    Hostile("forged_dtype_array", forged_dtype_array, "flags do not match"),
    Hostile("forged_dtype_alone", forged_dtype_alone, "flags do not match"),
    Hostile("joblib_forged_dtype", joblib_forged_dtype, "flags do not match", ".joblib"),
    Hostile("scalar_from_bytes", scalar_from_bytes, "raw bytes read as Python objects"),
    Hostile("frombuffer_objects", frombuffer_objects, "raw bytes read as Python objects"),
    Hostile("bytes_over_object_array", bytes_over_object_array, "builtins.bytes called on"),
    Hostile("bytearray_of_a_count", bytearray_of_a_count, "builtins.bytearray called on"),
    Hostile("randomstate_ctor_with_function", randomstate_ctor_with_function, "random state"),
    Hostile("generator_ctor_with_function", generator_ctor_with_function, "random state"),
    Hostile("bit_generator_ctor_any_class", bit_generator_ctor_any_class, "random generator"),
    Hostile("xgboost_booster_path", xgboost_booster_path, "only name and never call"),
    Hostile("lightgbm_booster_path", lightgbm_booster_path, "only name and never call"),
    Hostile("datetime_index_dateutil", datetime_index_dateutil_path, "never call"),
    Hostile("new_datetime_index_tz", new_datetime_index_with_tz, "pandas index"),
    Hostile("ndarray_without_data", ndarray_without_data, "never call"),
    Hostile("reconstruct_with_shape", reconstruct_with_shape, "memory left over"),
    Hostile("dtype_shared_by_numpy", dtype_shared_by_numpy, "numpy.dtype in a form"),
    Hostile("kmeans_kernel_threads", kmeans_kernel_call, "never call"),
    Hostile("tree_child_out_of_range", tree_child_out_of_range, "child outside the tree"),
    Hostile("tree_child_loops_back", tree_child_loops_back, "child outside the tree"),
    Hostile("tree_feature_out_of_range", tree_feature_out_of_range, "column the model does not"),
    Hostile("tree_deeper_than_it_says", tree_deeper_than_it_says, "deeper than it says"),
    Hostile("tree_class_counts_short", tree_class_counts_short, "class counts"),
    Hostile("hgb_child_out_of_range", hist_gradient_boosting_child_out_of_range, TREES, ".joblib"),
    Hostile("kneighbors_index_out_of_range", kneighbors_index_out_of_range, "outside its data"),
    Hostile("sparse_index_out_of_range", sparse_index_out_of_range, "sparse matrix"),
    Hostile("n_features_in_huge", n_features_huge, "at most 1,000,000"),
    Hostile("n_classes_huge", classes_count_huge, "at most 100,000"),
    Hostile("deep_nesting", deep_nesting, "nests its objects"),
    Hostile("defaultdict_factory", defaultdict_with_factory, "defaultdict"),
    Hostile("partial_with_arguments", partial_of_check_array_with_arguments, "functools.partial"),
    Hostile("zlib_bomb", zlib_bomb, "unpacks to more than", ".joblib"),
    Hostile("lightgbm_child_out_of_range", lightgbm_child_out_of_range, "child outside the tree"),
    Hostile("module_import_side_effect", module_import_side_effect, "does not trust"),
    Hostile("build_on_a_class", build_on_a_class, "did not just create"),
)


LIBRARY_TRACES = ("Traceback", "Error:", "Exception", "0x", "site-packages", "/usr/", ".py", "[bt]")


def leaks(message: str, folder: Path) -> list[str]:
    """What in a message shown to an uploader would come from a library or the server."""
    found = [trace for trace in LIBRARY_TRACES if trace in message]
    found += [text for text in (SECRET_TEXT, str(folder), SECRET_NAME) if text in message]
    return found
