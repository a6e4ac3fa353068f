"""The per-name allowlist check agrees exactly with the enumerated allowlist."""

from __future__ import annotations

import pytest

from explainers.pickle_allowlist import allowed_globals, is_allowed


def test_every_enumerated_name_is_allowed_one_by_one() -> None:
    assert all(is_allowed(name) for name in allowed_globals())


@pytest.mark.parametrize(
    "name",
    [
        "sklearn.base.BaseEstimator",
        "sklearn.pipeline.make_pipeline",
        "sklearn.utils._testing.TempMemmap",
        "sklearn.ensemble._forest.BaseForest",
        "sklearn.utils.tests.test_pprint.LogisticRegression",
        "sklearn.linear_model.LogisticRegression",  # re-export, not where the class lives
        "sklearn.nonexistent.Thing",
        "sklearnx.Evil",
        "posix.system",
        "builtins.getattr",
    ],
)
def test_names_outside_the_list_are_refused(name: str) -> None:
    assert not is_allowed(name)
    assert name not in allowed_globals()
