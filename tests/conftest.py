"""Shared fixtures: tiny synthetic data, the bundled demo, a recording HTTP server."""

from __future__ import annotations

import http.server
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression

ROOT = Path(__file__).resolve().parents[1]
# No spare broker outlives a test's command (tests/test_spare_broker.py turns it on): tests
# run under many sandbox settings, and each would keep a warm sandbox for ten minutes.
os.environ.setdefault("WHYBOX_SPARE_IDLE_S", "0")


def shown(markdown: str) -> str:
    """What a reader sees of escaped Markdown: each backslash-escaped character as itself."""
    return re.sub(r"\\(.)", r"\1", markdown)


SAMPLES = ROOT / "sample_models"


def error_lines(stderr: str) -> list[str]:
    """A command's stderr less the one ``whybox:`` line that states the sandbox's protections."""
    from dashboard.cli_loading import PROTECTIONS_PREFIX

    return [line for line in stderr.splitlines() if not line.startswith(PROTECTIONS_PREFIX)]


@pytest.fixture(scope="session")
def clf_data() -> tuple[pd.DataFrame, np.ndarray]:
    X, y = make_classification(n_samples=200, n_features=6, n_informative=4, random_state=0)
    return pd.DataFrame(X, columns=[f"f{j}" for j in range(6)]), y


@pytest.fixture(scope="session")
def multiclass_data() -> tuple[pd.DataFrame, np.ndarray]:
    X, y = make_classification(
        n_samples=240, n_features=6, n_informative=4, n_classes=3, random_state=1
    )
    return pd.DataFrame(X, columns=[f"f{j}" for j in range(6)]), y


@pytest.fixture(scope="session")
def reg_data() -> tuple[pd.DataFrame, np.ndarray]:
    X, y = make_regression(n_samples=200, n_features=6, noise=5.0, random_state=2)
    return pd.DataFrame(X, columns=[f"f{j}" for j in range(6)]), y


@pytest.fixture(scope="session")
def loan_frame() -> pd.DataFrame:
    return pd.read_csv(SAMPLES / "german_credit.csv")


# Under pytest-xdist (tests/run.sh runs two workers) these tests stay on one worker, so the
# costly module fixture they share is made once: a browser module's server and Chromium,
# the bad-input corpus run as real processes. Every other test is dealt out on its own.
KEEP_TOGETHER = (
    "tests/test_browser",
    "tests/test_bad_inputs_cli.py::test_explain_as_a_real_process",
)


def work_unit(nodeid: str) -> str:
    """The unit of work a test belongs to: its module, its function or itself."""
    for prefix in KEEP_TOGETHER:
        if nodeid.startswith(prefix):
            return nodeid.split("[")[0] if "::" in prefix else nodeid.split("::")[0]
    return nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """``--dist load`` that keeps :data:`KEEP_TOGETHER` tests on one worker."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class KeepTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return KeepTogether(config, log)


class _Recorder(http.server.BaseHTTPRequestHandler):
    paths: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        type(self).paths.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server recording every path asked of it: (its URL, the paths)."""
    _Recorder.paths = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", _Recorder.paths
    finally:
        httpd.shutdown()
