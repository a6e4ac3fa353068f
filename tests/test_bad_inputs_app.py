"""Every bad-input case through the dashboard's upload page, with the loan demo loaded.

Each test seeds the loan demo as this session's workspace, opens the upload
page and puts the case's files into its two ``st.file_uploader`` widgets
(AppTest sets uploader values since Streamlit 1.60), picks the target, and
clicks "Load model and data" when the page offers it. A bad case must show
one ``st.error`` with the plain message (no exception element, no traceback
text) and leave the loan demo loaded, its Overview page still working. A
good case must load and land on the Overview of the new model.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import cache, state
from dashboard.actions import demo_workspace
from dashboard.text import escape_markdown as md
from explainers.data_loading import (
    DEFAULT_MEMORY_BUDGET_MB,
    MEMORY_BUDGET_ENV,
    OVER_MEMORY_BUDGET_HINT,
    estimate_memory_bytes,
    load_dataset,
    memory_budget_from_env,
)
from explainers.errors import DataValidationError
from explainers.loading import digest
from tests.bad_inputs import CASES, HOSTILE_MARKER, Case, Files, frame
from tests.conftest import ROOT, shown
from tests.hostile_models import leaks

APP = str(ROOT / "dashboard" / "app.py")
NONE = "(none)"
LOAD = "Load model and data"
TARGET_LABEL = "Target column (optional)"


def _texts(at: AppTest) -> list[str]:
    """Every piece of text on the page, to search for traceback fragments."""
    elements = [*at.error, *at.warning, *at.markdown, *at.caption, *at.text, *at.exception]
    return [str(element.value) for element in elements]


def _upload(at: AppTest, files: Files) -> AppTest:
    at.file_uploader(key="upload_model").set_value(
        (files.model.name, files.model.read_bytes(), "application/octet-stream")
    )
    at.file_uploader(key="upload_data").set_value(
        (files.data.name, files.data.read_bytes(), "text/csv")
    )
    return at.run()


def _submit(at: AppTest, case: Case) -> AppTest:
    """Pick the target and press Load, if the page got that far."""
    buttons = [b for b in at.button if b.label == LOAD]
    if not buttons:
        return at
    target = next(s for s in at.selectbox if s.label == TARGET_LABEL)
    target.set_value(case.target or NONE)
    return next(b for b in at.button if b.label == LOAD).click().run()


@pytest.fixture(scope="module")
def loan() -> state.Workspace:
    return demo_workspace("loan")


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_upload(
    case: Case, loan: state.Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where a hostile pickle would leave its marker
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    files = case.build(tmp_path)
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state[state.WORKSPACE] = loan
    at.switch_page("screens/upload.py").run()
    at = _submit(_upload(at, files), case)

    assert not at.exception, [e.value for e in at.exception]
    assert not any("Traceback" in text for text in _texts(at))
    assert not (tmp_path / HOSTILE_MARKER).exists()
    current = at.session_state[state.WORKSPACE]
    if case.expect == "error":
        messages = [shown(e.value) for e in at.error]
        assert len(messages) == 1, messages
        assert case.message in messages[0]
        if case.hostile:
            assert leaks(messages[0], tmp_path) == []
        assert (current.model.digest, current.data.digest) == (loan.model.digest, loan.data.digest)
        assert [s.value for s in at.success] == [
            f"Loaded: **{md(loan.title)}** ({md(loan.model.name)}, {md(loan.data.name)})"
        ]
        at.switch_page("screens/overview.py").run()
        assert not at.exception and not at.error
        assert at.title[0].value == "Overview"
        assert at.main.get("plotly_chart")
    else:
        assert not at.error, [e.value for e in at.error]
        assert current.data.digest == digest(files.data.read_bytes())
        # an uploaded model's cache key is its content hash within this session
        assert current.model.scope
        assert current.model.digest == f"{digest(files.model.read_bytes())}.{current.model.scope}"
        assert current.target == case.target
        assert at.title[0].value == "Overview"


# --------------------------------------------------------------------------- memory guard


@pytest.mark.parametrize(
    ("setting", "expected_mb"),
    [
        (None, DEFAULT_MEMORY_BUDGET_MB),
        ("512", 512),
        ("0.5", 0.5),
        ("lots", DEFAULT_MEMORY_BUDGET_MB),
        ("-1", DEFAULT_MEMORY_BUDGET_MB),
        ("inf", DEFAULT_MEMORY_BUDGET_MB),
    ],
)
def test_the_operator_sets_the_memory_budget(setting: str | None, expected_mb: float) -> None:
    environ = {} if setting is None else {MEMORY_BUDGET_ENV: setting}
    assert memory_budget_from_env(environ) == int(expected_mb * 2**20)


def test_the_dashboard_reads_the_budget_on_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MEMORY_BUDGET_ENV, "64")
    assert cache.memory_budget() == 64 * 2**20


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_a_plainly_too_big_file_is_refused_before_it_is_parsed(
    file_format: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = frame(60_000)  # 1.2 MB of CSV, 0.7 MB of Parquet unpacked, 2 MB loaded
    raw = data.to_parquet() if file_format == "parquet" else data.to_csv(index=False).encode()

    def must_not_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed a file the budget should have refused")

    monkeypatch.setattr(pd, "read_csv", must_not_parse)
    monkeypatch.setattr(pd, "read_parquet", must_not_parse)
    with pytest.raises(DataValidationError, match="this server allows 0.5 MB") as caught:
        load_dataset(raw, f"data.{file_format}", memory_budget=2**19)
    assert caught.value.hint == OVER_MEMORY_BUDGET_HINT
    assert "whybox explain" in caught.value.hint


def test_within_budget_loads_and_no_budget_means_no_limit() -> None:
    raw = frame(5_000).to_csv(index=False).encode()
    loaded = load_dataset(raw, "data.csv", memory_budget=estimate_memory_bytes(frame(5_000)) * 2)
    assert loaded.shape == (5_000, 4)
    assert load_dataset(raw, "data.csv").shape == (5_000, 4)
