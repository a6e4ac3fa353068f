"""No ordinary model is refused by the loader's checks: every kind, every way of saving it.

Each model of :mod:`tests.legit_models` is saved with pickle (protocols 0,
2, 4, 5) and joblib (uncompressed and each compression), loaded through
:func:`explainers.safe_loading.load_model_bytes`, and must predict exactly
what the original predicts.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from explainers.safe_loading import load_model_bytes
from tests.legit_models import MODELS, SERIALISERS, fit_all, predictions


@pytest.fixture(scope="module")
def fitted() -> dict[str, tuple[Any, Any]]:
    return fit_all()


@pytest.mark.parametrize("serialiser", list(SERIALISERS))
@pytest.mark.parametrize("model_name", list(MODELS))
def test_ordinary_model_loads_and_predicts_the_same(
    model_name: str, serialiser: str, fitted: dict[str, tuple[Any, Any]]
) -> None:
    model, X = fitted[model_name]
    raw = SERIALISERS[serialiser](model)
    name = "model.joblib" if serialiser.startswith("joblib") else "model.pkl"

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. lightgbm's own notes on load
        loaded = load_model_bytes(raw, name)

    assert loaded.warnings == ()
    np.testing.assert_array_equal(predictions(loaded.model, X), predictions(model, X))


def test_the_zoo_covers_the_families() -> None:
    assert len(MODELS) >= 60
    for family in ("xgboost", "lightgbm", "catboost", "pipeline", "forest", "search"):
        assert any(family in name for name in MODELS), family
