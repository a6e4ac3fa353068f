"""Decision settings and two models compared, in a real browser (Streamlit + headless Chromium).

Models, data and a settings file go in through the real file inputs; each
step is saved as a screenshot under ``tests/artifacts/``. The counts the page
shows are checked against the models' own predictions counted here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser_support import (
    ARTIFACTS,
    CHROMIUM,
    RUN_TIMEOUT_S,
    VIEWPORT,
    Server,
    choose,
    go_to,
    launch_chromium,
    open_app,
    screenshot,
    selected,
    settle,
    streamlit_server,
    upload,
    wait_for_charts,
)
from tests.conftest import SAMPLES
from tests.own_models import TITANIC_FEATURES, save, titanic_model

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Debian's Chromium is not installed at {CHROMIUM} (tests/run.sh installs it)",
    ),
]
MAIN = '[data-testid="stMain"]'


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def empty_server() -> Iterator[Server]:
    with streamlit_server(demo=False, log=ARTIFACTS / "server-compare-empty.log") as server:
        yield server


@pytest.fixture(scope="module")
def demo_server() -> Iterator[Server]:
    with streamlit_server(demo=True, log=ARTIFACTS / "server-compare-demo.log") as server:
        yield server


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def titanic_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("titanic")
    champion, frame = titanic_model()
    challenger, _ = titanic_model(challenger=True)
    model_path, data_path = save(champion, frame, folder, "titanic")
    challenger_path = folder / "titanic_challenger.joblib"
    joblib.dump(challenger, challenger_path)
    settings_path = folder / "titanic.settings.json"
    settings_path.write_text(
        json.dumps(
            {"favourable": "1", "favourable_text": "rescued",
             "unfavourable_text": "not rescued", "score_name": "survival score",
             "noun": "passengers", "fixed": ["Sex", "Age", "Pclass"],
             "id_column": "PassengerId"}
        ),
        encoding="utf-8",
    )  # fmt: skip
    X = frame[TITANIC_FEATURES]
    a, b = champion.predict_proba(X)[:, 1], challenger.predict_proba(X)[:, 1]
    return {
        "model": model_path, "data": data_path, "challenger": challenger_path,
        "settings": settings_path, "only_b": int(np.sum((b >= 0.5) & (a < 0.5))),
        "only_a": int(np.sum((a >= 0.5) & (b < 0.5))),
    }  # fmt: skip


def _text_input(page: Page, label: str) -> str:
    return page.get_by_label(label, exact=True).input_value()


def test_upload_shows_guesses_loads_a_settings_file_and_compares_a_challenger(
    page: Page, empty_server: Server, titanic_files: dict[str, object]
) -> None:
    open_app(page, empty_server)
    upload(page, "Model file", titanic_files["model"])  # type: ignore[arg-type]
    upload(page, "Dataset", titanic_files["data"])  # type: ignore[arg-type]
    choose(page, "Target column (optional)", "Survived")
    expect(page.locator(MAIN)).to_contain_text("Decision settings")
    assert selected(page, "Favourable class") == "1"
    assert _text_input(page, "Its outcome is called") == "survived"
    assert _text_input(page, "The other outcome is called") == "not survived"
    expect(page.locator('[data-tag][aria-label="Age"]').first).to_be_visible()
    screenshot(page, "settings-guessed")

    upload(page, "Decision settings file (optional)", titanic_files["settings"])  # type: ignore[arg-type]
    expect(page.get_by_label("Its outcome is called", exact=True)).to_have_value("rescued")
    assert _text_input(page, "The score is called") == "survival score"
    assert selected(page, "ID column") == "PassengerId"
    screenshot(page, "settings-loaded")
    page.get_by_role("button", name="Load model and data").click()
    expect(page.locator(f"{MAIN} h1").first).to_have_text("Overview", timeout=RUN_TIMEOUT_S * 1000)
    settle(page)

    go_to(page, "One decision")
    wait_for_charts(page, 2, "One decision with settings")
    text = page.locator(MAIN).inner_text()
    assert "survival score" in text and "score for" not in text
    screenshot(page, "settings-one-decision")

    go_to(page, "Compare models")
    upload(page, "Challenger model file", titanic_files["challenger"])  # type: ignore[arg-type]
    wait_for_charts(page, 4, "Compare models (titanic)")
    main = page.locator(MAIN)
    only_b, only_a = titanic_files["only_b"], titanic_files["only_a"]
    expect(main).to_contain_text(
        f"{only_b} passengers rescued by the challenger and not rescued by the champion."
    )
    expect(main).to_contain_text(
        f"{only_a} passengers rescued by the champion and not rescued by the challenger."
    )
    screenshot(page, "compare-titanic")


def test_demo_against_its_bundled_challenger(page: Page, demo_server: Server) -> None:
    open_app(page, demo_server)
    go_to(page, "Compare models")
    page.get_by_role("button", name="Use the bundled retrained challenger").click()
    settle(page)
    wait_for_charts(page, 5, "Compare models (loan demo)")
    main = page.locator(MAIN)
    data = pd.read_csv(SAMPLES / "german_credit.csv").drop(columns=["creditability"])
    champion = joblib.load(SAMPLES / "loan_model.joblib")
    import skops.io as sio

    path = SAMPLES / "loan_challenger.skops"
    challenger = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    a, b = champion.predict_proba(data)[:, 1], challenger.predict_proba(data)[:, 1]
    only_b = int(np.sum((b >= 0.5) & (a < 0.5)))
    expect(main).to_contain_text(
        f"{only_b} applicants approved by the challenger and refused by the champion."
    )
    expect(main).to_contain_text("AUC")
    expect(main).to_contain_text("Champion (A)")
    screenshot(page, "compare-loan-demo")


def test_two_regressors_compared(page: Page, empty_server: Server) -> None:
    open_app(page, empty_server)
    upload(page, "Model file", SAMPLES / "diabetes_model.skops")
    upload(page, "Dataset", SAMPLES / "diabetes.csv")
    choose(page, "Target column (optional)", "target")
    page.get_by_role("button", name="Load model and data").click()
    expect(page.locator(f"{MAIN} h1").first).to_have_text("Overview", timeout=RUN_TIMEOUT_S * 1000)
    settle(page)
    go_to(page, "Compare models")
    upload(page, "Challenger model file", SAMPLES / "diabetes_challenger.skops")
    wait_for_charts(page, 4, "Compare models (regressors)")
    main = page.locator(MAIN)
    expect(main).to_contain_text("Mean absolute error")
    expect(main).to_contain_text("get predictions more than")
    screenshot(page, "compare-regressors")


def test_comparison_report_makes_no_network_request(
    browser: Browser, tmp_path: Path, titanic_files: dict[str, object]
) -> None:
    """Every request Chromium makes is recorded; a control page proves the recorder works."""
    from dashboard.cli import main

    report = tmp_path / "comparison.html"
    argv = ["compare", str(titanic_files["model"]), str(titanic_files["challenger"]),
            str(titanic_files["data"]), "--target", "Survived",
            "--settings", str(titanic_files["settings"]), "--out", str(report)]  # fmt: skip
    assert main(argv) == 0
    control = tmp_path / "control.html"
    control.write_text(
        report.read_text(encoding="utf-8").replace(
            "</main>", '<img src="https://example.invalid/x.png"></main>'
        ),
        encoding="utf-8",
    )
    requests: dict[str, list[str]] = {}
    for source in (report, control):
        context = browser.new_context(viewport=VIEWPORT)
        seen = requests.setdefault(source.name, [])
        context.on("request", lambda request, seen=seen: seen.append(request.url))
        tab = context.new_page()
        tab.goto(source.as_uri(), wait_until="load")
        tab.wait_for_selector(".js-plotly-plot .barlayer .point", timeout=30_000)
        tab.locator("details summary").first.click()  # open a row: nothing may load then either
        tab.wait_for_timeout(1_000)
        if source is report:
            tab.screenshot(path=ARTIFACTS / "compare-report.png", full_page=True)
        context.close()
    assert requests["control.html"] == [control.as_uri(), "https://example.invalid/x.png"]
    assert requests["comparison.html"] == [report.as_uri()]
