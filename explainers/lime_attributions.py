"""LIME explanations on the uploaded columns, with each row's local fit score.

LIME fits a weighted linear surrogate around one row. whybox runs it in
regression mode on the single output being explained, so its weights are in
the units of the model's own predictions: probabilities, the decision score of a
classifier without probabilities, or regression units.
With LIME's default discretisation the explained row has every indicator at
1, so each feature's weight is its contribution and the intercept is the base;
base + sum equals the surrogate's prediction, not the model's (LIME is
approximate, and says so).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from explainers.encoding import ColumnCodec
from explainers.model_bundle import ModelBundle
from explainers.model_output import own_output
from explainers.results import Attribution, OutputSpace
from explainers.shap_attributions import agnostic_space, output_column, output_label

if TYPE_CHECKING:  # lime is imported where it is used (0.4 s the SHAP-only path saves)
    from lime.lime_tabular import LimeTabularExplainer

DEFAULT_SAMPLES = 1_000
_TRAINING_ROWS = 2_000


def prediction_space(bundle: ModelBundle) -> OutputSpace:
    """The units of the model's own predictions, which LIME explains by default."""
    return agnostic_space(bundle)


def comparable_space(bundle: ModelBundle, shap_space: OutputSpace) -> OutputSpace | None:
    """The space LIME should explain to be compared with SHAP in ``shap_space``.

    None (the model's predictions) when SHAP can be shown in those units (a
    binary model's log-odds as probability points, a log link's log units as
    the prediction); SHAP's own space when it cannot (a multiclass model's
    log-odds are one class's softmax margin, which no sigmoid turns into
    that class's probability).
    """
    if shap_space == "log-odds" and bundle.task == "multiclass":
        return "log-odds"
    return None


def make_lime_explainer(
    X_reference: pd.DataFrame, *, random_state: int = 0
) -> tuple[LimeTabularExplainer, ColumnCodec, npt.NDArray[np.float64]]:
    """A LIME explainer fitted on reference rows, its codec, and column fill values.

    Missing numbers are filled with the column median (LIME cannot take NaN).
    """
    from lime.lime_tabular import LimeTabularExplainer

    reference = X_reference.iloc[:_TRAINING_ROWS]
    codec = ColumnCodec.fit(X_reference)
    codes = codec.encode(reference)
    fill = np.nan_to_num(np.nanmedian(codes, axis=0), nan=0.0)
    codes = np.where(np.isnan(codes), fill, codes)
    explainer = LimeTabularExplainer(
        codes,
        mode="regression",
        feature_names=list(codec.columns),
        categorical_features=codec.categorical_positions,
        categorical_names={j: [str(c) for c in cats] for j, cats in codec.categories.items()},
        discretize_continuous=True,
        random_state=random_state,
    )
    return explainer, codec, fill


def explain_lime(
    bundle: ModelBundle,
    X: pd.DataFrame,
    *,
    output: int | None = None,
    X_reference: pd.DataFrame | None = None,
    num_samples: int = DEFAULT_SAMPLES,
    random_state: int = 0,
    space: OutputSpace | None = None,
) -> Attribution:
    """Explain each row of ``X`` with LIME for one model output.

    Parameters
    ----------
    bundle : ModelBundle
    X : DataFrame of shape (n_rows, n_features)
        Rows to explain.
    output : int, optional
        Output (class) to explain; defaults to ``bundle.default_output``.
    X_reference : DataFrame, optional
        Rows LIME learns feature distributions from; defaults to ``X``.
    num_samples : int
        Perturbed samples per row.
    random_state : int
        Seed; the same seed gives the same explanation.
    space : {"probability", "log-odds", "margin", "raw", "log"}, optional
        Explain this output of the model (:func:`explainers.model_output.own_output`)
        instead of its predictions, to compare with SHAP in units SHAP cannot be
        converted out of (see :func:`comparable_space`).

    Returns
    -------
    Attribution
        ``exact=False``; ``surrogate_score`` holds each row's local R².
    """
    k = bundle.default_output if output is None else output
    reference = X if X_reference is None else X_reference
    explainer, codec, fill = make_lime_explainer(reference, random_state=random_state)

    def predict(codes: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        frame = codec.decode(codes)
        if space is None:
            return bundle.predict_output(frame)[:, k]
        return output_column(bundle, own_output(bundle, frame, space), k)

    codes = codec.encode(X)
    codes = np.where(np.isnan(codes), fill, codes)
    n_rows, n_features = codes.shape
    values = np.zeros((n_rows, n_features))
    base = np.zeros(n_rows)
    scores = np.zeros(n_rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(n_rows):
            # a fresh seed per row, shared with the discretiser: a row's result never
            # depends on the rows explained before it (so chunked == one by one)
            explainer.random_state = np.random.RandomState(random_state)
            if explainer.discretizer is not None:
                explainer.discretizer.random_state = explainer.random_state
            exp = explainer.explain_instance(
                codes[i], predict, num_features=n_features, num_samples=num_samples
            )
            # in regression mode LIME stores the fit under label 1 (label 0 is negated)
            for j, weight in exp.local_exp[1]:
                values[i, j] = weight
            base[i] = float(exp.intercept[1])
            scores[i] = float(exp.score)
    explained = space or prediction_space(bundle)
    label = output_label(bundle, k, explained)
    return Attribution(
        values=values,
        base_values=base,
        data=X.to_numpy(dtype=object),
        feature_names=tuple(str(c) for c in X.columns),
        row_ids=tuple(X.index),
        method="LIME (local surrogate, approximate)",
        exact=False,
        output_space=explained,
        output_label=label,
        surrogate_score=scores,
        background_size=min(len(reference), _TRAINING_ROWS),
    )
