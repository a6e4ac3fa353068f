"""Model files that are data: xgboost JSON / UBJ, lightgbm text, catboost .cbm.

Each is loaded in memory by its own library, gives the same predictions as
the same model pickled, and ``whybox explain`` writes exactly what it writes
for the pickled twin. A native file whose trees point outside themselves is
refused in whybox's words, and one that is damaged too.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import catboost
import joblib
import lightgbm
import numpy as np
import pandas as pd
import pytest
import xgboost
from sklearn.datasets import make_classification

from dashboard.cli import main
from explainers.errors import ModelLoadError, describe
from explainers.model_formats import HOW_TO_SAVE, MODEL_FILE_TYPES, detect
from explainers.safe_loading import load_model_bytes
from tests.conftest import ROOT
from tests.hostile_models import leaks

N_FEATURES = 4
COLUMNS = [f"f{j}" for j in range(N_FEATURES)]


def _data() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    X, y = make_classification(
        n_samples=300, n_features=N_FEATURES, n_informative=3, n_redundant=0, random_state=0
    )
    y_reg = X[:, 0] * 3 + X[:, 1] - X[:, 2]
    return pd.DataFrame(X, columns=COLUMNS), y, y_reg


def _xgboost(objective: str) -> tuple[Any, Callable[[Any], bytes]]:
    X, y, y_reg = _data()
    label = y if objective.startswith("binary") else y_reg
    booster = xgboost.train(
        {"objective": objective, "max_depth": 3, "nthread": 1},
        xgboost.DMatrix(X, label=label),
        num_boost_round=8,
    )
    return booster, lambda b: bytes(b.save_raw("ubj"))


def _xgboost_json() -> tuple[Any, Callable[[Any], bytes]]:
    booster, _ = _xgboost("binary:logistic")
    return booster, lambda b: bytes(b.save_raw("json"))


def _lightgbm(objective: str) -> tuple[Any, Callable[[Any], bytes]]:
    X, y, y_reg = _data()
    label = y if objective == "binary" else y_reg
    params = {"objective": objective, "num_leaves": 7, "verbose": -1, "num_threads": 1}
    booster = lightgbm.train(params, lightgbm.Dataset(X, label=label), num_boost_round=8)
    return booster, lambda b: b.model_to_string().encode()


def _catboost(classifier: bool, loss: str | None = None) -> tuple[Any, Callable[[Any], bytes]]:
    X, y, y_reg = _data()
    kind = catboost.CatBoostClassifier if classifier else catboost.CatBoostRegressor
    model = kind(iterations=8, depth=3, verbose=0, thread_count=1, allow_writing_files=False)
    if loss is None:
        model.fit(X, y if classifier else y_reg)
    else:  # a log-link loss: counts as the target
        model.set_params(loss_function=loss)
        model.fit(X, np.round(np.abs(y_reg) / np.abs(y_reg).mean() * 3))

    def save(fitted: Any) -> bytes:
        with tempfile.TemporaryDirectory() as folder:  # catboost saves .cbm to a path only
            path = Path(folder) / "model.cbm"
            fitted.save_model(str(path))
            return path.read_bytes()

    return model, save


MODELS: dict[str, Callable[[], tuple[Any, Callable[[Any], bytes]]]] = {
    "xgboost-ubj-binary": lambda: _xgboost("binary:logistic"),
    "xgboost-ubj-regression": lambda: _xgboost("reg:squarederror"),
    "xgboost-json-binary": _xgboost_json,
    "lightgbm-txt-binary": lambda: _lightgbm("binary"),
    "lightgbm-txt-regression": lambda: _lightgbm("regression"),
    "catboost-cbm-classifier": lambda: _catboost(True),
    "catboost-cbm-regressor": lambda: _catboost(False),
    # predicts exp(margin): a .cbm loaded without its loss predicted the margin (model zoo P0)
    "catboost-cbm-poisson": lambda: _catboost(False, "Poisson"),
    "catboost-cbm-tweedie": lambda: _catboost(False, "Tweedie:variance_power=1.5"),
}
SUFFIX = {
    "xgboost-ubj": ".ubj",
    "xgboost-json": ".json",
    "lightgbm-txt": ".txt",
    "catboost-cbm": ".cbm",
}


def _suffix(name: str) -> str:
    return SUFFIX[name.rsplit("-", 1)[0]]


def _predict(model: Any, X: pd.DataFrame) -> np.ndarray:
    if isinstance(model, xgboost.Booster):
        return np.asarray(model.predict(xgboost.DMatrix(X)))
    if isinstance(model, catboost.CatBoostClassifier):
        return np.asarray(model.predict_proba(X))
    return np.asarray(model.predict(X))


@pytest.mark.parametrize("name", list(MODELS))
def test_native_file_loads_as_data_and_predicts_as_its_pickled_twin(name: str) -> None:
    model, save = MODELS[name]()
    raw = save(model)
    X = _data()[0]

    native = load_model_bytes(raw, "model" + _suffix(name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        twin = load_model_bytes(pickle.dumps(model, protocol=5), "model.pkl")

    assert native.file_format == name.split("-")[0]
    assert native.globals_needed == () and native.warnings == ()
    np.testing.assert_array_equal(_predict(native.model, X), _predict(twin.model, X))
    np.testing.assert_array_equal(_predict(native.model, X), _predict(model, X))


@pytest.mark.parametrize("name", list(MODELS))
def test_whybox_explain_writes_the_same_for_the_native_file_and_the_pickle(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model, save = MODELS[name]()
    native_path = tmp_path / ("model" + _suffix(name))
    native_path.write_bytes(save(model))
    twin_path = tmp_path / "model.joblib"
    joblib.dump(model, twin_path)
    data_path = tmp_path / "data.csv"
    _data()[0].head(40).to_csv(data_path, index=False)

    tables = []
    for path in (native_path, twin_path):
        out = tmp_path / f"{path.suffix[1:]}-explained.csv"
        status = main(["explain", str(path), str(data_path), "--out", str(out)])
        assert status == 0, capsys.readouterr().err
        tables.append(pd.read_csv(out))

    assert len(tables[0]) == 40
    pd.testing.assert_frame_equal(tables[0], tables[1])


def _edit_first_child(raw: bytes, name: str) -> bytes:
    if name.startswith("lightgbm"):
        start = raw.index(b"left_child=") + len(b"left_child=")
        return raw[:start] + b"9" + raw[start + 1 :]
    start = raw.index(b'"left_children":[') + len(b'"left_children":[')
    return raw[:start] + b"1000000" + raw[raw.index(b",", start) :]


@pytest.mark.parametrize("name", ["lightgbm-txt-binary", "xgboost-json-binary"])
def test_native_file_with_a_child_outside_its_tree_is_refused(name: str, tmp_path: Path) -> None:
    model, save = MODELS[name]()
    raw = _edit_first_child(save(model), name)

    with pytest.raises(ModelLoadError, match="child outside the tree") as caught:
        load_model_bytes(raw, "model" + _suffix(name))
    assert leaks(describe(caught.value), tmp_path) == []


@pytest.mark.parametrize("name", list(MODELS))
def test_damaged_native_file_is_refused_in_whybox_words(name: str, tmp_path: Path) -> None:
    model, save = MODELS[name]()
    raw = save(model)
    cut = raw[: len(raw) // 2]
    assert detect(cut) is not None

    with pytest.raises(ModelLoadError) as caught:
        load_model_bytes(cut, "model" + _suffix(name))
    message = describe(caught.value)
    assert leaks(message, tmp_path) == []
    assert "save_model" in message or "trees" in message or "damaged" in message


def test_upload_pages_accept_and_recommend_the_data_formats() -> None:
    assert {"ubj", "json", "txt", "cbm", "skops"} <= set(MODEL_FILE_TYPES)
    assert [library for library, _ in HOW_TO_SAVE] == [
        "xgboost", "lightgbm", "catboost", "scikit-learn"
    ]  # fmt: skip


_CUT_PROBE = """
import sys
from explainers.errors import ModelLoadError
from explainers.safe_loading import load_model_bytes
from tests.test_model_formats import MODELS, _suffix
name, n_cuts = sys.argv[1], int(sys.argv[2])
model, save = MODELS[name]()
raw = save(model)
refused = 0
for i in range(1, n_cuts):
    try:
        load_model_bytes(raw[: len(raw) * i // n_cuts], "model" + _suffix(name))
    except ModelLoadError:
        refused += 1
print(refused)
"""


@pytest.mark.parametrize(
    "name",
    ["xgboost-ubj-binary", "xgboost-json-binary", "lightgbm-txt-binary", "catboost-cbm-classifier"],
)
def test_a_native_file_cut_anywhere_never_crashes_the_process(name: str) -> None:
    """Cut at 100 points: xgboost's UBJSON parser and lightgbm's text parser both crashed
    (SIGSEGV) on some before whybox read those formats itself first."""
    result = subprocess.run(
        [sys.executable, "-c", _CUT_PROBE, name, "100"],
        capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.strip().splitlines()[-1]) >= 90  # the rest still hold a whole model
