"""Model files that are data, not code: xgboost JSON / UBJ, lightgbm text, catboost ``.cbm``.

Each library reads its own format with its own parser, in memory (never from
a path), and builds its model from numbers; nothing in the file is run as
Python. xgboost and lightgbm files become the library's raw ``Booster``; a
catboost file becomes a ``CatBoostClassifier`` or ``CatBoostRegressor`` as its
loss function says. Tree indices are checked before anything predicts
(:mod:`explainers.tree_checks`, :mod:`explainers.model_checks`).

How to save one (also shown on the upload page): :data:`HOW_TO_SAVE`.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

from explainers.errors import ModelLoadError
from explainers.tree_checks import TreeCheckError, check_lightgbm_text, check_xgboost_model
from explainers.ubjson import ubjson_to_json

DataFormat = Literal["xgboost", "lightgbm", "catboost"]

HOW_TO_SAVE = (
    ("xgboost", "booster.save_model('model.ubj')  (or .json; for XGBClassifier: model.save_model)"),
    (
        "lightgbm",
        "booster.save_model('model.txt')  (for LGBMClassifier: model.booster_.save_model)",
    ),
    ("catboost", "model.save_model('model.cbm')"),
    ("scikit-learn", "skops.io.dump(model, 'model.skops')"),
)
"""One line per library: the call that writes a model file whybox loads as data."""

MODEL_FILE_TYPES = ("skops", "ubj", "json", "txt", "cbm", "joblib", "pkl", "pickle")
"""File name endings the upload pages accept, the formats that are data first."""

DATA_FORMAT_DAMAGED = "This {library} model file is damaged or was cut off."
DATA_FORMAT_HINT = "Save the model again with {call} and upload the new file."
LIBRARY_MISSING = "This is a {library} model file, and {library} is not installed here."
LIBRARY_MISSING_HINT = "Ask the person who runs this server to install it, then upload again."
BAD_TREES = "The model's trees are inconsistent: {what}. Predicting with them could crash."

_LOG = logging.getLogger(__name__)
_LIGHTGBM_START = b"tree\nversion="
_CATBOOST_MAGIC = b"CBM1"
_XGBOOST_JSON_START = b'{"learner"'
_XGBOOST_UBJ_START = b"{L\x00\x00\x00\x00\x00\x00\x00\x07learner"
_CATBOOST_CLASSIFIER_LOSSES = ("Logloss", "CrossEntropy", "MultiClass", "MultiClassOneVsAll")


def detect(raw: bytes) -> DataFormat | None:
    """Which data format a file is in, from its first bytes; None for anything else."""
    start = raw[:64].lstrip()
    if start.startswith(_XGBOOST_JSON_START) or start.startswith(_XGBOOST_UBJ_START):
        return "xgboost"
    if raw.startswith(_LIGHTGBM_START):
        return "lightgbm"
    if raw.startswith(_CATBOOST_MAGIC):
        return "catboost"
    return None


def _call_for(library: str) -> str:
    return next(call for name, call in HOW_TO_SAVE if name == library).split("  ")[0]


def _damaged(library: str, exc: BaseException) -> ModelLoadError:
    _LOG.warning("%s model file refused: %s: %s", library, type(exc).__name__, exc)
    return ModelLoadError(
        DATA_FORMAT_DAMAGED.format(library=library),
        DATA_FORMAT_HINT.format(call=_call_for(library)),
    )


def load_data_format(raw: bytes, data_format: DataFormat) -> object:
    """Load a model file of one of the data formats, in memory.

    Parameters
    ----------
    raw : bytes
        The file.
    data_format : {"xgboost", "lightgbm", "catboost"}
        As :func:`detect` found it.

    Returns
    -------
    object
        ``xgboost.Booster``, ``lightgbm.Booster``, or a catboost classifier or regressor.

    Raises
    ------
    ModelLoadError
        The library is not installed, or its parser refused the file, or its
        trees point outside themselves.
    """
    try:
        if data_format == "xgboost":
            return _load_xgboost(raw)
        if data_format == "lightgbm":
            return _load_lightgbm(raw)
        return _load_catboost(raw)
    except ModuleNotFoundError as exc:
        _LOG.warning("model file needs %s: %s", data_format, exc)
        raise ModelLoadError(
            LIBRARY_MISSING.format(library=data_format), LIBRARY_MISSING_HINT
        ) from None
    except ModelLoadError:
        raise
    except Exception as exc:  # each library raises its own error types
        raise _damaged(data_format, exc) from None


def _load_xgboost(raw: bytes) -> Any:
    import xgboost

    try:
        # xgboost's UBJSON parser trusts the file's lengths (a cut-off file crashed
        # the process); whybox reads it strictly and gives xgboost JSON instead.
        text = ubjson_to_json(raw) if raw.lstrip().startswith(_XGBOOST_UBJ_START) else raw
        check_xgboost_model(json.loads(text))
    except TreeCheckError as exc:
        raise ModelLoadError(
            BAD_TREES.format(what=exc), DATA_FORMAT_HINT.format(call=_call_for("xgboost"))
        ) from None
    booster = xgboost.Booster()
    booster.load_model(bytearray(text))  # a bytearray is read as the model itself, not a path
    return booster


def _load_lightgbm(raw: bytes) -> Any:
    import lightgbm

    text = raw.decode("utf-8")
    try:
        check_lightgbm_text(text)
    except TreeCheckError as exc:
        raise ModelLoadError(
            BAD_TREES.format(what=exc), DATA_FORMAT_HINT.format(call=_call_for("lightgbm"))
        ) from None
    return lightgbm.Booster(model_str=text)


def _load_catboost(raw: bytes) -> Any:
    import catboost

    probe = catboost.CatBoost()
    probe.load_model(blob=raw)
    loss = str(probe.get_all_params().get("loss_function", ""))
    is_classifier = loss.startswith(_CATBOOST_CLASSIFIER_LOSSES)
    # A regressor predicts in its loss's units (exp(margin) for Poisson, Tweedie)
    # only when it knows the loss; load_model alone leaves it predicting the margin.
    model = (
        catboost.CatBoostClassifier()
        if is_classifier
        else catboost.CatBoostRegressor(loss_function=loss)
    )
    model.load_model(blob=raw)
    return model
