"""The model's own public outputs, in each output space an explanation may be in.

An explanation is only as right as the number it adds up to. whybox checks
attributions against what the model itself returns on the user's frame, never
against its own recomputation:

==============  ==============================================================
space           the model's own output
==============  ==============================================================
probability     ``predict_proba``
log-odds        the margin (``decision_function``, xgboost ``output_margin``,
                lightgbm ``raw_score``, catboost ``RawFormulaVal``), verified
                at planning time to give ``predict_proba`` through a sigmoid
                (binary) or softmax (multiclass)
margin          the decision score of a classifier without probabilities
raw             ``predict``
log             ``log(predict)`` (or a booster's margin), for log-link models
==============  ==============================================================

Boosters use their own iteration range: the scikit-learn wrappers of xgboost
and lightgbm predict with the best iteration after early stopping, and so do
whybox's adapters of raw Boosters (:mod:`explainers.boosters`).

Tolerance (:func:`tolerance`): a float64 computation must add up to 1e-6
relative to the size of the terms. xgboost and lightgbm add their trees in
float32, whose unit roundoff is ``u = 2**-24``; recursive summation of ``n``
terms can be off by up to ``gamma_n * sum(|terms|)`` with
``gamma_n = n * u / (1 - n * u)`` (Higham, *Accuracy and Stability of Numerical
Algorithms*, 2nd ed., eq. 4.4). Both the model's margin (a float32 sum over the
trees) and each contribution (a float32 sum per tree) carry such an error, so the
bound is ``gamma_n`` times the sizes of the base, the contributions and the
output, with ``n`` the trees plus the contributions summed.
"""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt
import pandas as pd

from explainers.boosters import LightGBMBooster, XGBoostBooster
from explainers.errors import UnsupportedModelError
from explainers.model_bundle import ModelBundle, explain_predict_failure
from explainers.results import OutputSpace

FloatArray = npt.NDArray[np.float64]

FLOAT64_RTOL = 1e-6
FLOAT32_UNIT_ROUNDOFF = 2.0**-24
NO_MARGIN = "This model gives no decision score, so it cannot be explained in {space}."


def public_margin(bundle: ModelBundle, X: pd.DataFrame) -> FloatArray | None:
    """The model's own untransformed score, shape (n_rows, n_raw), or None if it has none.

    ``decision_function``; for boosting libraries their margin with their own
    iteration range (xgboost ``output_margin``, lightgbm ``raw_score``, catboost
    ``RawFormulaVal``), through the whole Pipeline.

    Raises
    ------
    DataValidationError
        If the model cannot predict on ``X``.
    """
    from sklearn.pipeline import Pipeline  # here: the command line imports this module

    model = bundle.model
    final = model.steps[-1][1] if isinstance(model, Pipeline) else model
    module = type(final).__module__
    data = bundle.model_input(X)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if isinstance(final, XGBoostBooster | LightGBMBooster):
                out = model.margin(data)
            elif module.startswith("xgboost"):
                out = model.predict(data, output_margin=True)
            elif module.startswith("lightgbm"):
                out = model.predict(data, raw_score=True)
            elif module.startswith("catboost"):
                out = model.predict(data, prediction_type="RawFormulaVal")
            elif hasattr(model, "decision_function"):
                out = model.decision_function(data)
            else:
                return None
    except Exception as exc:  # models raise anything; the user gets one clear sentence
        raise explain_predict_failure(exc, X) from exc
    margin = np.asarray(out, dtype=np.float64)
    return margin.reshape(len(X), -1)


def own_output(bundle: ModelBundle, X: pd.DataFrame, space: OutputSpace) -> FloatArray:
    """What an explanation in ``space`` must add up to: the model's own output.

    Parameters
    ----------
    bundle : ModelBundle
    X : DataFrame of shape (n_rows, n_features)
    space : {"probability", "log-odds", "margin", "raw", "log"}

    Returns
    -------
    array of shape (n_rows, n_raw)
        One column per model output (a binary margin has a single column,
        the positive class's).

    Raises
    ------
    UnsupportedModelError
        If the space needs a decision score the model does not give.
    """
    if space in ("probability", "raw"):
        return bundle.predict_output(X)
    margin = public_margin(bundle, X)
    if space == "log":
        return margin if margin is not None else np.log(bundle.predict_output(X))
    if margin is None:
        raise UnsupportedModelError(NO_MARGIN.format(space=space))
    return margin


def tolerance(
    values: FloatArray,
    base: FloatArray,
    output: FloatArray,
    *,
    n_terms: int | None = None,
) -> FloatArray:
    """Largest gap allowed between base + sum(values) and ``output``, per row.

    Parameters
    ----------
    values : array of shape (n_rows, n_features[, n_outputs])
    base, output : arrays of shape (n_rows[, n_outputs])
    n_terms : int, optional
        Terms the library summed in float32 (trees plus contributions); None
        for a float64 computation.

    Returns
    -------
    array shaped like ``output``
        ``1e-6 * max(1, |output|, |base| + sum|values|)``, plus for float32
        ``gamma_n * (|base| + sum|values| + |output|)``.

    Examples
    --------
    >>> float(tolerance(np.array([[1.0, 2.0]]), np.array([3.0]), np.array([6.0]))[0])
    6e-06
    """
    magnitude = np.abs(base) + np.abs(values).sum(axis=1)
    bound = FLOAT64_RTOL * np.maximum(np.maximum(1.0, np.abs(output)), magnitude)
    if n_terms is not None:
        nu = n_terms * FLOAT32_UNIT_ROUNDOFF
        bound = bound + nu / (1.0 - nu) * (magnitude + np.abs(output))
    out: FloatArray = bound
    return out


def matching_space(
    bundle: ModelBundle,
    X: pd.DataFrame,
    values: FloatArray,
    base: FloatArray,
    *,
    n_terms: int | None = None,
) -> OutputSpace | None:
    """Which of the model's own outputs an exact explanation of ``X`` adds up to.

    Parameters
    ----------
    bundle : ModelBundle
    X : DataFrame of shape (n_rows, n_features)
    values : array of shape (n_rows, n_inputs, n_raw)
    base : array of shape (n_rows, n_raw)
    n_terms : int, optional
        As :func:`tolerance`.

    Returns
    -------
    {"probability", "log-odds", "margin", "raw", "log"} or None
        None when it adds up to none of them (the explanation is then not exact
        for anything the model shows, and the model-agnostic method is used).
    """
    total = base + values.sum(axis=1)  # (n_rows, n_raw)
    predicted = bundle.predict_output(X)  # (n_rows, n_outputs)
    n_raw = total.shape[1]
    binary_margin = n_raw == 1 and bundle.task == "binary"

    def close(target: FloatArray, explained: FloatArray) -> bool:
        limit = tolerance(values, base, target, n_terms=n_terms)
        return bool(np.all(np.abs(explained - target) <= limit))

    if bundle.output_kind == "value":
        if n_raw != 1:
            return None
        if close(predicted, total):
            return "raw"
        if np.all(predicted > 0) and close(np.log(predicted), total):
            return "log"
        return None
    if bundle.output_kind == "margin":
        scores = predicted[:, 1:] if binary_margin else predicted
        return "margin" if scores.shape == total.shape and close(scores, total) else None
    if n_raw == predicted.shape[1] and close(predicted, total):
        return "probability"
    margin = public_margin(bundle, X)
    if margin is None or margin.shape != total.shape or not close(margin, total):
        return None
    from scipy.special import expit, softmax

    linked = expit(total[:, 0])[:, None] if binary_margin else softmax(total, axis=1)
    expected = predicted[:, 1:] if binary_margin else predicted
    if linked.shape == expected.shape and np.allclose(linked, expected, rtol=1e-5, atol=1e-6):
        return "log-odds"
    return None
