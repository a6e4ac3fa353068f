"""Raw xgboost and lightgbm ``Booster`` objects, given the methods whybox calls on a model.

``xgb.train`` and ``lightgbm.train`` return a ``Booster``, not a scikit-learn
estimator: it has no ``predict_proba``, no ``classes_``, and xgboost's wants a
``DMatrix``. :class:`XGBoostBooster` and :class:`LightGBMBooster` wrap one; its
*objective* decides the task (``binary:logistic`` / ``binary`` is a binary
classifier whose probability is the sigmoid of its margin, ``multi:softprob`` /
``multiclass`` a multiclass one, everything else a regression), and every
prediction uses the booster's own best iteration when early stopping recorded one.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

_XGB_BINARY = frozenset({"binary:logistic", "binary:logitraw"})
_XGB_MULTI = frozenset({"multi:softprob", "multi:softmax"})
_XGB_MARGIN_ONLY = frozenset({"binary:hinge"})
_LGB_BINARY = frozenset({"binary"})
_LGB_MULTI = frozenset({"multiclass", "softmax", "multiclassova", "multiclass_ova", "ova", "ovr"})


class XGBoostBooster:
    """A raw ``xgboost.Booster`` with ``predict`` / ``predict_proba`` / ``margin``.

    Parameters
    ----------
    booster : xgboost.Booster
        As returned by ``xgb.train`` or loaded from a JSON / UBJ model file.
    """

    def __init__(self, booster: Any) -> None:
        self.booster = booster
        config = json.loads(booster.save_config())
        learner = config["learner"]
        self.objective: str = learner["objective"]["name"]
        n_classes = int(learner["learner_model_param"].get("num_class", "0") or 0)
        names = booster.feature_names
        if names:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = int(booster.num_features())
        if self.objective in _XGB_BINARY | _XGB_MARGIN_ONLY:
            self.classes_ = np.array([0, 1])
        elif self.objective in _XGB_MULTI:
            self.classes_ = np.arange(n_classes)
        best = booster.attr("best_iteration")
        self.best_iteration: int | None = None if best is None else int(best)
        self.n_rounds = int(booster.num_boosted_rounds())

    @property
    def iteration_range(self) -> tuple[int, int]:
        """Rounds used: up to the best iteration if early stopping recorded one, else all."""
        return (0, 0) if self.best_iteration is None else (0, self.best_iteration + 1)

    @property
    def margin_only(self) -> bool:
        """True for objectives that give a score but no probability (``binary:hinge``)."""
        return self.objective in _XGB_MARGIN_ONLY

    def matrix(self, X: Any) -> Any:
        """A DMatrix of ``X``, native categorical columns included."""
        import xgboost

        return xgboost.DMatrix(X, enable_categorical=True)

    def margin(self, X: Any) -> FloatArray:
        """The booster's own untransformed output (log-odds, or the prediction)."""
        out = self.booster.predict(
            self.matrix(X), output_margin=True, iteration_range=self.iteration_range
        )
        return np.asarray(out, dtype=np.float64)

    def contributions(self, X: Any) -> FloatArray:
        """Exact TreeSHAP contributions, shape (n_rows, [n_outputs,] n_features + 1)."""
        out = self.booster.predict(
            self.matrix(X), pred_contribs=True, iteration_range=self.iteration_range
        )
        return np.asarray(out, dtype=np.float64)

    def predict(self, X: Any) -> npt.NDArray[Any]:
        """Class labels (classification) or the prediction (regression)."""
        if hasattr(self, "classes_"):
            margin = self.margin(X)
            if margin.ndim == 1:
                return np.asarray(self.classes_[(margin > 0).astype(int)])
            return np.asarray(self.classes_[margin.argmax(axis=1)])
        out = self.booster.predict(self.matrix(X), iteration_range=self.iteration_range)
        return np.asarray(out, dtype=np.float64)

    def decision_function(self, X: Any) -> FloatArray:
        """The margin: log-odds for logistic objectives, the score for hinge."""
        return self.margin(X)

    def predict_proba(self, X: Any) -> FloatArray:
        """Class probabilities: sigmoid (binary) or softmax (multiclass) of the margin."""
        from scipy.special import expit, softmax  # here: the server imports this module

        margin = self.margin(X)
        if margin.ndim == 1:
            p = expit(margin)
            return np.column_stack([1.0 - p, p])
        out: FloatArray = softmax(margin, axis=1)
        return out


class LightGBMBooster:
    """A raw ``lightgbm.Booster`` with ``predict`` / ``predict_proba`` / ``margin``.

    Parameters
    ----------
    booster : lightgbm.Booster
        As returned by ``lightgbm.train`` or loaded from a text model file.
    """

    def __init__(self, booster: Any) -> None:
        self.booster = booster
        objective = str(booster.dump_model().get("objective", "regression"))
        self.objective = objective.split(" ")[0]
        self.feature_names_in_ = np.asarray(booster.feature_name(), dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        n_models = int(booster.num_model_per_iteration())
        if self.objective in _LGB_BINARY:
            self.classes_ = np.array([0, 1])
        elif self.objective in _LGB_MULTI:
            self.classes_ = np.arange(n_models)
        self.best_iteration: int | None = int(booster.best_iteration) or None

    def margin(self, X: Any) -> FloatArray:
        """The raw score (log-odds for binary, one per class for multiclass)."""
        return np.asarray(self.booster.predict(X, raw_score=True), dtype=np.float64)

    def contributions(self, X: Any) -> FloatArray:
        """Exact TreeSHAP contributions, shape (n_rows, n_outputs * (n_features + 1))."""
        return np.asarray(self.booster.predict(X, pred_contrib=True), dtype=np.float64)

    def predict(self, X: Any) -> npt.NDArray[Any]:
        """Class labels (classification) or the prediction (regression)."""
        if hasattr(self, "classes_"):
            proba = self.predict_proba(X)
            return np.asarray(self.classes_[proba.argmax(axis=1)])
        return np.asarray(self.booster.predict(X), dtype=np.float64)

    def decision_function(self, X: Any) -> FloatArray:
        """The raw score."""
        return self.margin(X)

    def predict_proba(self, X: Any) -> FloatArray:
        """Class probabilities as the booster computes them."""
        out = np.asarray(self.booster.predict(X), dtype=np.float64)
        if out.ndim == 1:
            return np.column_stack([1.0 - out, out])
        return out


def wrap_booster(model: Any) -> Any:
    """The adapter for a raw xgboost / lightgbm Booster; any other model unchanged."""
    kind = f"{type(model).__module__}.{type(model).__name__}"
    if kind == "xgboost.core.Booster":
        return XGBoostBooster(model)
    if kind == "lightgbm.basic.Booster":
        return LightGBMBooster(model)
    return model


__all__ = ["LightGBMBooster", "XGBoostBooster", "wrap_booster"]
