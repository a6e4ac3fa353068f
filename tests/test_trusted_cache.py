"""The trusted cache holds what it saves computing; sandboxes see it read-only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from explainers import sandbox_launch, trusted_cache

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(trusted_cache.CACHE_ENV, str(folder))
    monkeypatch.delenv(trusted_cache.NUMBA_ENV, raising=False)
    trusted_cache._kernels_marker.cache_clear()
    trusted_cache.sklearn_estimators.cache_clear()
    yield folder
    trusted_cache._kernels_marker.cache_clear()
    trusted_cache.sklearn_estimators.cache_clear()


def test_warming_fills_the_cache_with_kernels_and_the_estimator_list(cache: Path) -> None:
    assert not trusted_cache.is_warm()
    subprocess.run(
        [sys.executable, "-m", "explainers.trusted_cache"],
        check=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=300,
    )  # fmt: skip
    assert trusted_cache.is_warm()
    assert list((cache / "numba").glob("explainers_*/tree_kernels.explain-*.nbi"))
    (listed,) = cache.glob("sklearn-*-estimators.json")
    # all_estimators depends on what a process enabled (experimental searches): ask a fresh one
    live = subprocess.run(
        [sys.executable, "-c", LIVE], check=True, cwd=ROOT, capture_output=True, text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=300,
    ).stdout  # fmt: skip
    assert json.loads(listed.read_text()) == json.loads(live)


LIVE = """
import json
from explainers import trusted_cache
print(json.dumps(trusted_cache.live_sklearn_estimators()))
"""


def test_the_listed_estimators_come_from_the_cache_file(cache: Path) -> None:
    cache.mkdir()
    made_up = [["sklearn.made_up", "Estimator", "Estimator"]]
    trusted_cache._estimators_file().write_text(json.dumps(made_up))
    assert trusted_cache.sklearn_estimators() == (("sklearn.made_up", "Estimator", "Estimator"),)


def test_a_damaged_list_is_computed_again(cache: Path) -> None:
    cache.mkdir()
    trusted_cache._estimators_file().write_text("[1, 2")
    assert trusted_cache.sklearn_estimators() == trusted_cache.live_sklearn_estimators()


SKOPS_NAMES = """
import sys
if sys.argv[1] == "whybox":
    from explainers.safe_loading import import_skops
    import_skops()
import skops.io._trusted_types as trusted
print(sorted(trusted.SKLEARN_ESTIMATOR_TYPE_NAMES))
"""


def test_skops_trusts_the_same_classes_when_its_list_comes_from_the_cache() -> None:
    def names(how: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", SKOPS_NAMES, how], check=True, cwd=ROOT, capture_output=True,
            text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=300,
        ).stdout  # fmt: skip

    theirs = names("skops")
    assert "RandomForestClassifier" in theirs
    assert names("whybox") == theirs


def test_a_sandbox_sees_the_trusted_cache_read_only(cache: Path) -> None:
    args = sandbox_launch.bwrap_args()
    pairs = {(args[i + 1], args[i + 2]) for i, a in enumerate(args) if a == "--ro-bind-try"}
    assert (str(cache), sandbox_launch.TRUSTED_CACHE) in pairs
    assert (str(cache / "numba"), sandbox_launch.KERNEL_CACHE) in pairs
    env = sandbox_launch.environment(1, "bwrap")
    assert env[trusted_cache.CACHE_ENV] == sandbox_launch.TRUSTED_CACHE
    assert env[trusted_cache.NUMBA_ENV] == sandbox_launch.KERNEL_CACHE
