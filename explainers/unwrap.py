"""The model a user means, when what they saved wraps it.

- A search (``GridSearchCV``, ``RandomizedSearchCV``, the halving searches)
  predicts with its ``best_estimator_``, so that is what is explained.
- An imbalanced-learn ``Pipeline``'s samplers (SMOTE, undersamplers) act only
  while training; at prediction imbalanced-learn skips them, and so does whybox:
  the pipeline is explained as the scikit-learn Pipeline of its other steps.
- A raw xgboost / lightgbm ``Booster`` gets an adapter
  (:mod:`explainers.boosters`) whose objective decides the task.

Each unwrapping adds a sentence to ``notes``, which the pages and the CLI show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sklearn.pipeline import Pipeline

from explainers.boosters import LightGBMBooster, XGBoostBooster, wrap_booster
from explainers.errors import UnsupportedModelError

SEARCH_NOTE = (
    "This {search} is explained through its best_estimator_, the model it refitted with "
    "the best parameters ({params}); its predictions are the search's own."
)
NO_REFIT = "This {search} was run with refit=False, so it holds no trained model to explain."
NO_REFIT_HINT = "Run the search with refit=True, or save search.best_estimator_ itself."
SAMPLERS_NOTE = (
    "The imbalanced-learn sampler(s) {names} act only while training; predictions skip "
    "them, so the pipeline is explained through its other steps."
)
BEST_ITERATION_NOTE = (
    "Explained with the model's best iteration ({used} of {total} boosting rounds), which "
    "its early stopping chose and its predictions use."
)
_MAX_UNWRAPS = 8


@dataclass(frozen=True, slots=True)
class Unwrapped:
    """The model to explain, its description (empty: the default) and notes."""

    model: Any
    name: str
    notes: tuple[str, ...]


def describe_model(model: Any) -> str:
    """A short human description of an estimator."""
    if isinstance(model, Pipeline):
        steps = " → ".join(type(step).__name__ for _, step in model.steps)
        return f"{type(model.steps[-1][1]).__name__} in a Pipeline ({steps})"
    if isinstance(model, XGBoostBooster | LightGBMBooster):
        library = "xgboost" if isinstance(model, XGBoostBooster) else "lightgbm"
        return f"{library} Booster (objective {model.objective})"
    return type(model).__name__


def unwrap_model(model: Any) -> Unwrapped:
    """Peel searches, imbalanced-learn samplers and raw Boosters off ``model``.

    Raises
    ------
    UnsupportedModelError
        A search run with ``refit=False`` (it holds no trained model).
    """
    notes: list[str] = []
    suffix = ""
    for _ in range(_MAX_UNWRAPS):
        if hasattr(model, "cv_results_") and hasattr(model, "estimator"):
            search = type(model).__name__
            if not hasattr(model, "best_estimator_"):
                raise UnsupportedModelError(NO_REFIT.format(search=search), NO_REFIT_HINT)
            best = getattr(model, "best_params_", {})
            params = ", ".join(f"{k}={v!r}" for k, v in sorted(best.items()))
            notes.append(SEARCH_NOTE.format(search=search, params=params or "its defaults"))
            suffix = suffix or f", the best model of a {search}"
            model = model.best_estimator_
            continue
        samplers = _samplers(model)
        if samplers:
            names = ", ".join(type(step).__name__ for _, step in model.steps if step in samplers)
            notes.append(SAMPLERS_NOTE.format(names=names))
            kept = [(n, s) for n, s in model.steps if s not in samplers]
            model = Pipeline(kept)
            suffix = suffix or ", from an imbalanced-learn Pipeline without its samplers"
            continue
        break
    model = wrap_booster(model)
    notes.extend(_iteration_notes(model))
    return Unwrapped(model, describe_model(model) + suffix if suffix else "", tuple(notes))


def _samplers(model: Any) -> list[Any]:
    """The resampling steps of an imbalanced-learn pipeline (none for anything else)."""
    if not type(model).__module__.startswith("imblearn") or not hasattr(model, "steps"):
        return []
    return [step for _, step in model.steps if hasattr(step, "fit_resample")]


def _iteration_notes(model: Any) -> list[str]:
    """A note when early stopping left the model predicting with fewer rounds than it has."""
    final = model.steps[-1][1] if isinstance(model, Pipeline) else model
    module = type(final).__module__
    used = total = None
    if isinstance(final, XGBoostBooster):
        used, total = final.best_iteration, final.n_rounds
    elif module.startswith("xgboost"):
        used = getattr(final, "best_iteration", None)
        total = final.get_booster().num_boosted_rounds() if used is not None else None
    elif isinstance(final, LightGBMBooster):
        used, total = final.best_iteration, final.booster.current_iteration()
    elif module.startswith("lightgbm"):
        used = getattr(final, "best_iteration_", None) or None
        total = final.booster_.current_iteration() if used is not None else None
    if used is None or total is None:
        return []
    # xgboost counts from 0, lightgbm from 1
    rounds = used + 1 if "xgboost" in module or isinstance(final, XGBoostBooster) else used
    return [BEST_ITERATION_NOTE.format(used=rounds, total=total)] if rounds < total else []


def stored_categories(model: Any) -> tuple[tuple[str, tuple[object, ...]], ...]:
    """Native categorical columns and the categories the model stored for them.

    lightgbm keeps ``pandas_categorical`` (one list per categorical column, in
    column order); xgboost marks categorical columns with feature type ``"c"``
    and, from version 3.1, stores their categories. Empty for every other model.
    """
    module = type(model).__module__
    if isinstance(model, LightGBMBooster) or module.startswith("lightgbm"):
        booster = model.booster if isinstance(model, LightGBMBooster) else model.booster_
        return _lightgbm_categories(booster)
    if isinstance(model, XGBoostBooster) or module.startswith("xgboost"):
        booster = model.booster if isinstance(model, XGBoostBooster) else model.get_booster()
        return _xgboost_categories(booster)
    return ()


def _lightgbm_categories(booster: Any) -> tuple[tuple[str, tuple[object, ...]], ...]:
    stored = getattr(booster, "pandas_categorical", None) or []
    infos = booster.dump_model().get("feature_infos", {})
    columns = [name for name, info in infos.items() if info.get("values")]
    if len(columns) != len(stored):
        return ()
    return tuple((str(c), tuple(cats)) for c, cats in zip(columns, stored, strict=True))


def _xgboost_categories(booster: Any) -> tuple[tuple[str, tuple[object, ...]], ...]:
    types = booster.feature_types or []
    names = booster.feature_names or []
    columns = [str(n) for n, t in zip(names, types, strict=False) if t == "c"]
    if not columns:
        return ()
    stored: dict[str, tuple[object, ...]] = {}
    try:
        for name, array in booster.get_categories(export_to_arrow=True).to_arrow():
            if array is not None:
                stored[str(name)] = tuple(array.to_pylist())
    except (AttributeError, TypeError, ValueError):  # xgboost < 3.1 stores no categories
        pass
    return tuple((c, stored.get(c, ())) for c in columns)


__all__ = ["Unwrapped", "describe_model", "stored_categories", "unwrap_model"]
