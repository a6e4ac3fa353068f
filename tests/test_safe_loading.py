"""The restricted model loader: hostile files are refused unrun, real models round-trip."""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import os
import pickle
import re
import runpy
import subprocess
import sys
import time
import warnings
import zipfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import joblib
import lightgbm
import numpy as np
import numpy.testing._private.utils as numpy_test_utils
import pandas as pd
import pytest
import scipy.sparse
import sklearn
import sklearn.base
import skops.io as skops_io
import xgboost
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from explainers.errors import ModelLoadError, describe
from explainers.limits import TOO_LARGE
from explainers.pickle_allowlist import EXTRA_GLOBALS, allowed_globals, sklearn_estimator_globals
from explainers.safe_loading import (
    EMPTY_FILE,
    LZ4_UNSUPPORTED,
    MISSING_LIBRARY,
    TOO_LARGE_UNPACKED,
    TRUNCATED,
    TRUSTED_ANYWAY,
    UNTRUSTED_HINT,
    VERSION_MISMATCH,
    LoadedModel,
    list_pickle_globals,
    load_model_bytes,
)
from tests.conftest import ROOT
from tests.hostile_models import (
    HOSTILE,
    PATCHED_ATTRIBUTE,
    SECRET_NAME,
    Hostile,
    build_on_a_class,
    forged_dtype_alone,
    leaks,
    n_features_huge,
    tree_child_out_of_range,
    xgboost_booster_path,
)

N_ROWS = 200
COMPRESSIONS = ["zlib", "gzip", "bz2", "lzma", "xz"]
PICKLE_PROTOCOLS = list(range(pickle.HIGHEST_PROTOCOL + 1))
UNTRUSTED_PREFIX = "This file asks to run code whybox does not trust: "
NOT_A_MODEL_PREFIX = "This is not a model file"


# --------------------------------------------------------------------------- data and models


def _frame() -> tuple[pd.DataFrame, np.ndarray]:
    X, y = make_classification(n_samples=N_ROWS, n_features=5, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(5)])
    frame["region"] = np.array(["north", "south", "east"], dtype=object)[np.arange(N_ROWS) % 3]
    frame.loc[::9, "x1"] = np.nan
    return frame, y


def _preprocessor() -> ColumnTransformer:
    numeric = make_pipeline(SimpleImputer(), StandardScaler())
    return ColumnTransformer(
        [
            ("num", numeric, [f"x{j}" for j in range(5)]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["region"]),
        ]
    )


MODEL_FACTORIES: dict[str, Callable[[], Any]] = {
    "logistic_regression": LogisticRegression,
    "random_forest": lambda: RandomForestClassifier(n_estimators=5, random_state=0),
    "hist_gradient_boosting": lambda: HistGradientBoostingClassifier(max_iter=5, random_state=0),
    "hist_gradient_boosting_regressor": lambda: HistGradientBoostingRegressor(max_iter=5),
    "gradient_boosting": lambda: GradientBoostingClassifier(n_estimators=5, random_state=0),
    "mlp": lambda: MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0),
    "svc": lambda: SVC(probability=True, random_state=0),
    "knn": KNeighborsClassifier,
    "decision_tree": lambda: DecisionTreeClassifier(random_state=0),
    "ridge": Ridge,
    "xgboost": lambda: xgboost.XGBClassifier(n_estimators=5, max_depth=2, n_jobs=1),
    "lightgbm": lambda: lightgbm.LGBMClassifier(n_estimators=5, verbose=-1, n_jobs=1),
    "pipeline_logistic": lambda: Pipeline(
        [("pre", _preprocessor()), ("clf", LogisticRegression())]
    ),
    "pipeline_hgb": lambda: Pipeline(
        [("pre", _preprocessor()), ("clf", HistGradientBoostingClassifier(max_iter=5))]
    ),
    "pipeline_lightgbm": lambda: Pipeline(
        [("pre", _preprocessor()), ("clf", lightgbm.LGBMClassifier(n_estimators=5, verbose=-1))]
    ),
}


@pytest.fixture(scope="session")
def frame() -> tuple[pd.DataFrame, np.ndarray]:
    return _frame()


def _inputs(name: str, frame: tuple[pd.DataFrame, np.ndarray]) -> pd.DataFrame | np.ndarray:
    X = frame[0]
    return X if name.startswith("pipeline") else X.drop(columns="region").fillna(0).to_numpy()


@pytest.fixture(scope="session")
def fitted(frame: tuple[pd.DataFrame, np.ndarray]) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings from tiny fits
        return {
            name: factory().fit(_inputs(name, frame), frame[1])
            for name, factory in MODEL_FACTORIES.items()
        }


# --------------------------------------------------------------------------- serialisers


def _pickle(obj: object, protocol: int) -> bytes:
    return pickle.dumps(obj, protocol=protocol)


def _joblib(obj: object, compress: str | None, protocol: int | None = None) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(obj, buffer, compress=(compress, 3) if compress else 0, protocol=protocol)
    return buffer.getvalue()


SERIALISERS: dict[str, Callable[[object], bytes]] = {
    **{f"pickle-{p}": partial(_pickle, protocol=p) for p in PICKLE_PROTOCOLS},
    "joblib": partial(_joblib, compress=None),
    "joblib-protocol-2": partial(_joblib, compress=None, protocol=2),
    **{f"joblib-{c}": partial(_joblib, compress=c) for c in COMPRESSIONS},
}


def _expected_format(serialiser: str, raw: bytes) -> str:
    if serialiser.startswith("joblib") and raw.startswith(b"\x80"):
        # Uncompressed joblib without numpy arrays is byte for byte a pickle.
        return "joblib" if b"NumpyArrayWrapper" in raw else "pickle"
    return serialiser.partition("-")[0]


# --------------------------------------------------------------------------- real models


# Middle pickle protocols only on pipelines, to keep the suite fast.
ROUND_TRIPS = [
    (model_name, serialiser)
    for model_name in MODEL_FACTORIES
    for serialiser in [*SERIALISERS, "skops"]
    if model_name.startswith("pipeline") or serialiser not in ("pickle-1", "pickle-2", "pickle-3")
]


@pytest.mark.parametrize(("model_name", "serialiser"), ROUND_TRIPS)
def test_real_models_round_trip(
    model_name: str,
    serialiser: str,
    fitted: dict[str, Any],
    frame: tuple[pd.DataFrame, np.ndarray],
) -> None:
    model = fitted[model_name]
    raw = skops_io.dumps(model) if serialiser == "skops" else SERIALISERS[serialiser](model)

    loaded = load_model_bytes(raw, "upload.bin")

    assert isinstance(loaded, LoadedModel)
    assert loaded.file_format == _expected_format(serialiser, raw)
    assert loaded.warnings == ()
    assert set(loaded.globals_needed) <= allowed_globals()
    X = _inputs(model_name, frame)
    restored: Any = loaded.model
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


def test_globals_listed_for_pipeline(fitted: dict[str, Any]) -> None:
    raw = _joblib(fitted["pipeline_logistic"], "zlib")

    names = list_pickle_globals(raw)

    assert "sklearn.pipeline.Pipeline" in names
    assert "sklearn.preprocessing._encoders.OneHotEncoder" in names
    assert "joblib.numpy_pickle.NumpyArrayWrapper" in names
    assert names == tuple(sorted(names))


def test_uncompressed_joblib_without_arrays_is_named_by_extension() -> None:
    raw = _joblib({"threshold": 0.5}, None)

    assert load_model_bytes(raw, "model.joblib").file_format == "joblib"
    assert load_model_bytes(raw, "model.pkl").file_format == "pickle"


def test_numpy_backed_dataframe_loads() -> None:
    data = pd.DataFrame({"a": [1.0, 2.0], "b": pd.Categorical([3, 4])})
    data.columns = pd.Index(["a", "b"], dtype=object)  # str dtype would need pyarrow

    loaded = load_model_bytes(_pickle(data, 5), "frame.pkl")

    pd.testing.assert_frame_equal(loaded.model, data)


# --------------------------------------------------------------------------- version mismatch


def test_model_from_other_sklearn_version_loads_with_warning(
    monkeypatch: pytest.MonkeyPatch, fitted: dict[str, Any]
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(sklearn.base, "__version__", "1.2.0")
        raw = _pickle(fitted["pipeline_logistic"], 5)

    loaded = load_model_bytes(raw, "old.pkl")

    expected = VERSION_MISMATCH.format(saved="1.2.0", current=sklearn.__version__)
    assert loaded.warnings == (expected,)
    assert "1.2.0" in expected and "Its predictions may differ." in expected


# --------------------------------------------------------------------------- hostile corpus


class _Reduce:
    """Pickles as ``func(*args)``; the loader would call it."""

    def __init__(self, func: object, *args: object) -> None:
        self.func = func
        self.args = args

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return self.func, self.args

    def __call__(self) -> None:  # pickle insists that a reduce callable be callable
        raise AssertionError("only ever unpickled")


def _touch_code(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').close()"


def _script(marker: Path) -> Path:
    return marker.parent / "payload_script.py"


def _payloads(marker: Path) -> dict[str, tuple[_Reduce, set[str]]]:
    """Each payload creates ``marker`` if it runs; with the names a refusal must list."""
    script = _script(marker)
    command = f"touch {marker}"
    system = f"{os.system.__module__}.system"
    return {
        "os.system": (_Reduce(os.system, command), {system}),
        "subprocess.Popen": (
            _Reduce(subprocess.Popen, ["touch", str(marker)]),
            {"subprocess.Popen"},
        ),
        "subprocess.call": (_Reduce(subprocess.call, ["touch", str(marker)]), {"subprocess.call"}),
        "builtins.eval": (_Reduce(eval, _touch_code(marker)), {"builtins.eval"}),
        "builtins.exec": (_Reduce(exec, _touch_code(marker)), {"builtins.exec"}),
        "__import__+getattr": (
            _Reduce(_Reduce(getattr, _Reduce(__import__, "os"), "system"), command),
            {"builtins.__import__", "builtins.getattr"},
        ),
        "importlib.import_module": (
            _Reduce(_Reduce(getattr, _Reduce(importlib.import_module, "os"), "system"), command),
            {"importlib.import_module", "builtins.getattr"},
        ),
        "runpy.run_path": (_Reduce(runpy.run_path, str(script)), {"runpy.run_path"}),
        # functools.partial is allowed only as scikit-learn's partial(check_array).
        "functools.partial": (_Reduce(_Reduce(partial, os.system, command)), {system}),
        "numpy runstring": (
            _Reduce(numpy_test_utils.runstring, _touch_code(marker), {}),
            {"numpy.testing._private.utils.runstring"},
        ),
    }


PAYLOAD_NAMES = list(_payloads(Path("marker")))


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    """Where a payload would leave its mark; the runpy payload's script sits beside it."""
    path = tmp_path / "HOSTILE_CODE_RAN"
    _script(path).write_text(_touch_code(path) + "\n")
    return path


def _nested(payload: _Reduce) -> LogisticRegression:
    """A fitted estimator carrying the payload as one of its attributes."""
    X, y = make_classification(n_samples=40, n_features=3, n_redundant=0, random_state=0)
    model = LogisticRegression().fit(X, y)
    model.calibration_ = {"notes": [payload]}
    return model


def _assert_refused(raw: bytes, wanted: set[str], marker: Path) -> None:
    assert wanted <= set(list_pickle_globals(raw))
    with pytest.raises(ModelLoadError, match=re.escape(UNTRUSTED_PREFIX)) as caught:
        load_model_bytes(raw, "model.joblib")
    for name in wanted:
        assert name in caught.value.user_message
    assert caught.value.user_message.endswith("Nothing from it was run.")
    time.sleep(0.05)  # a payload that spawned a process would have had time to touch
    assert not marker.exists()


@pytest.mark.parametrize("serialiser", list(SERIALISERS))
@pytest.mark.parametrize("payload_name", PAYLOAD_NAMES)
def test_hostile_file_refused_and_never_run(
    payload_name: str, serialiser: str, marker: Path
) -> None:
    payload, wanted = _payloads(marker)[payload_name]
    raw = SERIALISERS[serialiser](_nested(payload))

    _assert_refused(raw, wanted, marker)


@pytest.mark.parametrize("compress", [None, "zlib"])
def test_hostile_object_array_in_joblib_refused(compress: str | None, marker: Path) -> None:
    payload, wanted = _payloads(marker)["os.system"]
    model = _nested(payload)
    model.classes_ = np.array([0, payload], dtype=object)  # joblib nests a pickle for it

    _assert_refused(_joblib(model, compress), wanted, marker)


@pytest.mark.parametrize("payload_name", PAYLOAD_NAMES)
def test_payloads_are_live_when_operator_trusts_them(payload_name: str, marker: Path) -> None:
    """Proves the corpus is real: with the operator's opt-in each payload runs."""
    payload, wanted = _payloads(marker)[payload_name]

    loaded = load_model_bytes(_pickle(_nested(payload), 5), "model.pkl", trust_unknown=True)

    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)  # subprocess.Popen touches the marker asynchronously
    assert marker.exists()
    untrusted = ", ".join(sorted(wanted))
    assert loaded.warnings[0] == TRUSTED_ANYWAY.format(names=untrusted)


def _hand_written(marker: Path, module: bytes, name: bytes, computed: bool) -> bytes:
    """Protocol 4 that memoizes the module and name strings before STACK_GLOBAL uses them."""
    command = f"touch {marker}".encode()

    def unicode(text: bytes) -> bytes:
        return b"\x8c" + bytes([len(text)]) + text

    if computed:  # the module name is the result of str(...) at load time
        module_op = b"cbuiltins\nstr\n" + unicode(module) + b"\x85R"
    else:
        module_op = unicode(module)
    return (
        b"\x80\x04"
        + module_op
        + b"\x94"  # MEMOIZE -> memo 0
        + b"0"  # POP
        + unicode(name)
        + b"\x94"  # MEMOIZE -> memo 1
        + b"0"  # POP
        + b"h\x00h\x01"  # BINGET 0, BINGET 1
        + b"\x93"  # STACK_GLOBAL
        + unicode(command)
        + b"\x85R."  # TUPLE1, REDUCE, STOP
    )


@pytest.mark.parametrize("computed", [False, True], ids=["memoized", "computed"])
def test_stack_global_from_memo_is_seen(computed: bool, marker: Path) -> None:
    system_module = os.system.__module__.encode()
    raw = _hand_written(marker, system_module, b"system", computed)
    wanted = {"<a name computed while loading>"} if computed else {f"{os.system.__module__}.system"}

    _assert_refused(raw, wanted, marker)
    pickle.loads(raw)  # the hand-written stream is a working exploit
    assert marker.exists()


@pytest.mark.parametrize(
    ("raw", "wanted"),
    [
        (b"c__builtin__\neval\n(S'1'\ntR.", "builtins.eval"),  # Python 2 name
        (b"\x80\x04\x8c\x05numpy\x8c\x20testing._private.utils.runstring\x93.", "numpy:"),
        (b"\x80\x02\x82\x01.", "<pickle extension code 1>"),
        (b"(cos\nsystem\nS'true'\ni__main__\nNope\n.", "__main__.Nope"),  # INST
    ],
    ids=["python2-name", "dotted-attribute", "extension-code", "inst"],
)
def test_unusual_global_opcodes_refused(raw: bytes, wanted: str) -> None:
    names = list_pickle_globals(raw)

    assert any(name.startswith(wanted) for name in names)
    with pytest.raises(ModelLoadError, match=re.escape(UNTRUSTED_PREFIX)):
        load_model_bytes(raw, "model.pkl")


# --------------------------------------------------------------------------- skops


class MarkerOnSetstate:
    """A custom class whose loading creates the marker file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __setstate__(self, state: dict[str, str]) -> None:
        Path(state["path"]).touch()
        self.__dict__.update(state)


def _rewrite_skops(raw: bytes, replace: dict[str, str], by: dict[str, str]) -> bytes:
    """Rewrite every schema node whose keys match ``replace`` to carry ``by`` instead."""

    def edit(node: object) -> object:
        if isinstance(node, dict):
            if all(node.get(key) == value for key, value in replace.items()):
                node = {**node, **by}
            return {key: edit(value) for key, value in node.items()}
        if isinstance(node, list):
            return [edit(item) for item in node]
        return node

    source = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "schema.json":
                data = json.dumps(edit(json.loads(data))).encode()
            target.writestr(info, data)
    return out.getvalue()


def test_skops_custom_class_refused_and_never_run(marker: Path) -> None:
    model = LogisticRegression().fit(*make_classification(n_samples=40, random_state=0))
    model.extra_ = MarkerOnSetstate(str(marker))
    raw = skops_io.dumps(model)
    wanted = {f"{MarkerOnSetstate.__module__}.MarkerOnSetstate"}

    _assert_refused(raw, wanted, marker)
    load_model_bytes(raw, "model.skops", trust_unknown=True)
    assert marker.exists()  # the class really runs code when trusted


@pytest.mark.parametrize(
    ("module", "name"),
    [
        (os.system.__module__, "system"),
        ("builtins", "eval"),
        ("builtins", "exec"),
        ("subprocess", "Popen"),
        ("runpy", "run_path"),
        ("importlib", "import_module"),
    ],
)
def test_skops_hostile_function_refused(module: str, name: str, marker: Path) -> None:
    model = FunctionTransformer(np.log1p).fit(np.ones((3, 2)))
    log1p = {"__class__": "log1p", "__module__": "numpy"}
    hostile = {"__class__": name, "__module__": module}
    raw = _rewrite_skops(skops_io.dumps(model), log1p, hostile)

    _assert_refused(raw, {f"{module}.{name}"}, marker)


# --------------------------------------------------------------------------- bad files


def test_empty_file() -> None:
    with pytest.raises(ModelLoadError, match=re.escape(EMPTY_FILE)):
        load_model_bytes(b"", "model.pkl")


def test_file_over_size_limit(fitted: dict[str, Any]) -> None:
    raw = _pickle(fitted["random_forest"], 5)
    message = TOO_LARGE.format(name="model.pkl", size_mb=len(raw) / 2**20, limit_mb=1000 / 2**20)

    with pytest.raises(ModelLoadError, match=re.escape(message)):
        load_model_bytes(raw, "model.pkl", max_bytes=1000)


@pytest.mark.parametrize("compress", ["zlib", "gzip", "bz2", "xz"])
def test_decompression_bomb_refused(compress: str) -> None:
    raw = _joblib(np.zeros(2**20), compress)  # 8 MiB of zeros packs very small
    limit = 2**20

    assert len(raw) < limit
    with pytest.raises(ModelLoadError, match=re.escape(TOO_LARGE_UNPACKED.format(limit_mb=1))):
        load_model_bytes(raw, "model.joblib", max_bytes=limit)


@pytest.mark.parametrize("serialiser", ["pickle-0", "pickle-2", "pickle-5", "joblib", "joblib-xz"])
@pytest.mark.parametrize("keep", [0.5, 0.9, -1])
def test_truncated_file(serialiser: str, keep: float, fitted: dict[str, Any]) -> None:
    raw = SERIALISERS[serialiser](fitted["pipeline_logistic"])
    cut = raw[:keep] if isinstance(keep, int) else raw[: int(len(raw) * keep)]

    with pytest.raises(ModelLoadError, match=re.escape(TRUNCATED)):
        load_model_bytes(cut, "model.pkl")


@pytest.mark.parametrize("serialiser", ["pickle-5", "joblib"])
def test_a_file_cut_off_anywhere_is_called_cut_off(serialiser: str, fitted: dict[str, Any]) -> None:
    raw = SERIALISERS[serialiser](fitted["pipeline_logistic"])
    told = set()
    for end in range(1, len(raw), 3):  # every third cut point (a third were "damaged" before)
        with pytest.raises(ModelLoadError) as caught:
            load_model_bytes(raw[:end], "model.pkl")
        told.add(caught.value.user_message)
    assert told == {TRUNCATED}


@pytest.mark.parametrize(
    "raw",
    [
        b"age,income,approved\n34,52000,1\n",
        b'{"model": "not really"}',
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"\x00\x01\x02\x03",
    ],
    ids=["csv", "json", "png", "binary"],
)
def test_not_a_model_file(raw: bytes) -> None:
    with pytest.raises(ModelLoadError, match=re.escape(NOT_A_MODEL_PREFIX)):
        load_model_bytes(raw, "model.pkl")


def test_lz4_joblib_refused_with_hint() -> None:
    with pytest.raises(ModelLoadError, match=re.escape(LZ4_UNSUPPORTED)) as caught:
        load_model_bytes(b'\x04"M\x18' + bytes(32), "model.joblib.lz4")
    assert "compress=3" in caught.value.hint


def test_allowlisted_but_missing_library() -> None:
    if importlib.util.find_spec("catboost") is not None:
        pytest.skip("catboost is installed")
    raw = b"ccatboost.core\nCatBoostClassifier\n)R."

    with pytest.raises(ModelLoadError, match=re.escape(MISSING_LIBRARY.format(package="catboost"))):
        load_model_bytes(raw, "model.pkl")


# --------------------------------------------------------------------------- the allowlist


FORBIDDEN = [
    "builtins.eval",
    "builtins.exec",
    "builtins.compile",
    "builtins.getattr",
    "builtins.setattr",
    "builtins.__import__",
    "builtins.open",
    "builtins.type",
    "builtins.globals",
    "posix.system",
    "os.system",
    "subprocess.Popen",
    "importlib.import_module",
    "runpy.run_path",
    "operator.attrgetter",
    "operator.methodcaller",
    "pickle.loads",
    "numpy.load",
    "numpy._core._ufunc_reconstruct",
    "numpy.testing._private.utils.runstring",
    "joblib.numpy_pickle_compat.NDArrayWrapper",
    "sklearn.metrics._dist_metrics.PyFuncDistance64",
    "pyarrow.lib._restore_array",
]
ALLOWED_ROOTS = {
    "builtins",
    "copyreg",
    "_codecs",
    "collections",
    "joblib",
    "numpy",
    "scipy",
    "pandas",
    "sklearn",
    "xgboost",
    "lightgbm",
    "catboost",
    "imblearn",
    "functools",  # only functools.partial, and only in one form (FORM_ONLY_GLOBALS)
}


@pytest.mark.parametrize("name", FORBIDDEN)
def test_dangerous_names_not_allowed(name: str) -> None:
    assert name not in allowed_globals()


def test_allowlist_is_exact_names_under_known_libraries() -> None:
    names = allowed_globals()

    assert all(name.partition(".")[0] in ALLOWED_ROOTS for name in names)
    assert not any("*" in name or name.endswith(".") for name in names)
    assert "sklearn.ensemble._forest.RandomForestClassifier" in sklearn_estimator_globals()


def test_every_extra_name_resolves() -> None:
    unresolved = []
    for name in sorted(EXTRA_GLOBALS):
        module, _, attribute = name.rpartition(".")
        if module.startswith("catboost") and importlib.util.find_spec("catboost") is None:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # numpy.core shims
            if not hasattr(importlib.import_module(module), attribute):
                unresolved.append(name)
    assert unresolved == []


# --------------------------------------------------------------------------- exploit-shaped files


@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.id for h in HOSTILE])
def test_exploit_shaped_file_refused_in_whybox_words(
    hostile: Hostile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    raw = hostile.build(tmp_path)
    try:
        names = set(list_pickle_globals(raw))
    except ModelLoadError:  # a joblib file is listed by a dry run, which checks forms too
        names = set()

    with pytest.raises(ModelLoadError) as caught:
        load_model_bytes(raw, "model" + hostile.suffix)

    message = describe(caught.value)
    assert hostile.message in message
    assert leaks(message, tmp_path) == []
    assert not hasattr(scipy.sparse.csr_matrix, PATCHED_ATTRIBUTE)
    if hostile.message != "does not trust":
        # Only allowlisted names: the name check alone would have let it through.
        assert names <= allowed_globals()


def test_the_exploits_are_live_under_plain_pickle(tmp_path: Path) -> None:
    """Controls: what each refused file does when loaded without whybox's checks."""
    forged = pickle.loads(forged_dtype_alone(tmp_path)).notes_["audit"][0]
    assert forged.kind == "O" and not forged.hasobject  # an object dtype claiming no objects

    with pytest.raises(xgboost.core.XGBoostError, match="Invalid model format") as probe:
        pickle.loads(xgboost_booster_path(tmp_path))
    assert str(tmp_path / SECRET_NAME) in str(probe.value)  # the server path, echoed back
    assert "(W vs" in str(probe.value)  # ... with the secret's first byte

    tree = pickle.loads(tree_child_out_of_range(tmp_path)).tree_
    assert tree.children_left[0] == 1_000_000  # scikit-learn accepts it; predict would crash

    assert pickle.loads(n_features_huge(tmp_path)).n_features_in_ == 10**9
    try:
        pickle.loads(build_on_a_class(tmp_path))
        assert getattr(scipy.sparse.csr_matrix, PATCHED_ATTRIBUTE) is True  # for every session
    finally:
        delattr(scipy.sparse.csr_matrix, PATCHED_ATTRIBUTE)


_MEMORY_PROBE = """
import resource, sys
from pathlib import Path
from explainers.errors import ModelLoadError, describe
from explainers.safe_loading import load_model_bytes
from tests import hostile_models as h
folder = Path(sys.argv[1])
files = [getattr(h, name)(folder) for name in sys.argv[2:]]
load_model_bytes(h._carrying(None), "warm.pkl")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for raw in files:
    try:
        load_model_bytes(raw, "model.joblib")
    except ModelLoadError:
        pass
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def test_small_files_asking_for_huge_allocations_stay_small(tmp_path: Path) -> None:
    """A 91-byte file once grew the server by 2.1 GB before it was refused."""
    builders = [
        "bytearray_of_a_count",
        "reconstruct_with_shape",
        "ndarray_without_data",
        "n_features_huge",
        "deep_nesting",
    ]
    result = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(tmp_path), *builders],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    grown_mb = int(result.stdout.strip().splitlines()[-1])
    assert grown_mb < 100, grown_mb


_IMPORT_PROBE = """
import sys
from explainers.errors import ModelLoadError, describe
from explainers.safe_loading import load_model_bytes
from tests.hostile_models import module_import_side_effect
try:
    load_model_bytes(module_import_side_effect(None), "model.pkl")
except ModelLoadError as exc:
    print(exc.user_message)
print("sklearn.experimental.enable_iterative_imputer" in sys.modules)
"""


def test_checking_a_name_never_imports_its_module() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    refusal, imported = result.stdout.strip().splitlines()[-2:]
    assert "sklearn.experimental.enable_iterative_imputer.IterativeImputer" in refusal
    assert imported == "False"


def test_thread_counts_from_the_file_are_clamped_to_this_machine() -> None:
    """_kmeans_single_lloyd(..., n_threads=100000) crashed at predict; a count is never trusted."""
    X = np.random.default_rng(0).normal(size=(60, 3))
    kmeans = KMeans(n_clusters=2, n_init=1, random_state=0).fit(X)
    kmeans._n_threads = 100_000
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, X[:, 0] > 0)
    forest.n_jobs = 100_000  # predict would start that many threads

    loaded_kmeans = load_model_bytes(_pickle(kmeans, 5), "kmeans.pkl").model
    loaded_forest = load_model_bytes(_joblib(forest, "zlib"), "forest.joblib").model

    cores = os.cpu_count() or 1
    assert loaded_kmeans._n_threads == cores and loaded_forest.n_jobs == cores
    np.testing.assert_array_equal(loaded_kmeans.predict(X), kmeans.predict(X))


def test_refused_library_parts_are_named_as_such_not_as_foreign_code() -> None:
    """A model made only of scikit-learn, refused for a part the list lacks, is told so truly."""
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer

    X, y = make_classification(n_samples=80, n_features=4, random_state=0)
    model = make_pipeline(IterativeImputer(max_iter=3), LogisticRegression()).fit(X, y)
    with pytest.raises(ModelLoadError) as refused:
        load_model_bytes(pickle.dumps(model), "model.pkl")
    assert "parts of scikit-learn" in refused.value.hint
    assert "made only of scikit-learn" not in str(refused.value)
    with pytest.raises(ModelLoadError) as foreign:
        load_model_bytes(pickle.dumps(print), "model.pkl")
    assert foreign.value.hint == UNTRUSTED_HINT
