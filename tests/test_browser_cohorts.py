"""Cohorts, error analysis, PDP/ICE and the whole-model report in a real browser.

The demo and an upload of our own (a model poor on one planted region) are
clicked through; every page is saved as a screenshot under ``tests/artifacts/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from tests.browser_support import (
    ARTIFACTS,
    CHROMIUM,
    RUN_TIMEOUT_S,
    VIEWPORT,
    choose,
    go_to,
    launch_chromium,
    open_app,
    screenshot,
    settle,
    sidebar,
    streamlit_server,
    upload_model,
    wait_for_charts,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Debian's Chromium at {CHROMIUM}"),
]
COHORT_LINE = re.compile(r"Showing cohort '(.+?)': [\d,]+ of [\d,]+ rows")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    yield context.new_page()
    context.close()


def main_text(page: Page) -> str:
    """The page's text, with Markdown's typographic ≤ and ≥ read back as <= and >=."""
    text = page.locator('[data-testid="stMain"]').inner_text()
    return text.replace("≤", "<=").replace("≥", ">=")


def cohort_shown(page: Page) -> str:
    """The cohort the page says it shows (fails if it says none)."""
    found = COHORT_LINE.search(main_text(page))
    assert found, "the page does not say which cohort it shows"
    return found.group(1)


def test_demo_error_analysis_cohort_followed_by_every_page(page: Page) -> None:
    with streamlit_server(demo=True, log=ARTIFACTS / "server-cohorts-demo.log") as server:
        open_app(page, server)
        go_to(page, "Error analysis")
        wait_for_charts(page, 2, "Error analysis")
        screenshot(page, "cohorts-demo-error-analysis")
        page.get_by_role("button", name="Open as cohort").first.click()
        settle(page)
        followed = sidebar(page).get_by_role("combobox", name="Cohort").input_value()
        assert followed.startswith("Errors: ")
        for link, n_charts in (
            ("What matters overall", 4),
            ("Performance", 3),
            ("Fairness", 2),
            ("Drift", 3),
            ("One decision", 2),
        ):
            go_to(page, link)
            wait_for_charts(page, n_charts, link)
            assert cohort_shown(page) == followed, link
            screenshot(page, f"cohorts-demo-{re.sub('[^a-z]+', '-', link.lower())}")
        go_to(page, "What matters overall")
        wait_for_charts(page, 4, "importance")
        pdp = page.locator('[data-testid="stMain"] .js-plotly-plot').nth(3)
        expect(pdp).to_contain_text("average (PDP)")
        expect(page.locator('[data-testid="stMain"]')).to_contain_text("probabilities (0 to 1)")

        choose(page, "Cohort", "All rows")  # the report covers every row anyway
        go_to(page, "Overview")
        page.get_by_role("button", name="Prepare the report").click()
        button = page.get_by_role("button", name="Download HTML")
        expect(button).to_be_visible(timeout=RUN_TIMEOUT_S * 1000)
        settle(page)
        screenshot(page, "cohorts-demo-overview-report")
        with page.expect_download(timeout=RUN_TIMEOUT_S * 1000) as download:
            button.click()
        saved = ARTIFACTS / "cohorts-demo-model-report.html"
        download.value.save_as(saved)
        text = saved.read_text(encoding="utf-8")
        assert "Where the model is most often wrong" in text and not re.search(r"https?://", text)


@pytest.fixture(scope="module")
def weak_upload(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A model trained without one region (x0 above 1 in the east), where the truth is reversed."""
    rng = np.random.default_rng(0)

    def frame(n: int) -> pd.DataFrame:
        X = pd.DataFrame(
            {
                "x0": rng.uniform(-2, 2, n).round(3),
                "x1": rng.uniform(-2, 2, n).round(3),
                "region": rng.choice(["north", "south", "east", "west"], n),
            }
        )
        planted = (X["x0"] > 1) & (X["region"] == "east")
        X["outcome"] = np.where((X["x1"] > 0) ^ planted, "yes", "no")
        return X

    train, test = frame(3000), frame(1200)
    train = train[~((train["x0"] > 1) & (train["region"] == "east"))]
    encode = ColumnTransformer([("r", OneHotEncoder(), ["region"])], remainder="passthrough")
    model = make_pipeline(encode, LogisticRegression()).fit(
        train.drop(columns="outcome"), train["outcome"]
    )
    folder = tmp_path_factory.mktemp("weak")
    paths = folder / "weak_model.joblib", folder / "weak_test.csv"
    joblib.dump(model, paths[0])
    test.to_csv(paths[1], index=False)
    return paths


def test_upload_error_analysis_finds_the_planted_region_and_a_cohort_is_built(
    page: Page, weak_upload: tuple[Path, Path]
) -> None:
    model, data = weak_upload
    with streamlit_server(demo=False, log=ARTIFACTS / "server-cohorts-upload.log") as server:
        open_app(page, server)
        upload_model(page, model, data, target="outcome")
        go_to(page, "Error analysis")
        wait_for_charts(page, 2, "Error analysis (upload)")
        weakest = (
            page.locator('[data-testid="stMain"] [data-testid="stMarkdownContainer"]')
            .filter(has_text="wrong (")
            .first.inner_text()
        )
        assert "region is one of east" in weakest.lower() and "x0 > " in weakest.lower(), weakest
        screenshot(page, "cohorts-upload-error-analysis")

        go_to(page, "Cohorts")
        choose(page, "Condition on", "Region")
        choose(page, "Values", "east")
        page.get_by_role("button", name="Add condition").click()
        settle(page)
        page.get_by_label("Cohort name").fill("the east")
        page.get_by_label("Cohort name").press("Enter")
        settle(page)
        page.get_by_role("button", name="Save and follow").click()
        settle(page)
        screenshot(page, "cohorts-upload-cohorts-page")
        assert sidebar(page).get_by_role("combobox", name="Cohort").input_value() == "the east"
        go_to(page, "Performance")
        wait_for_charts(page, 1, "Performance (cohort)")
        assert cohort_shown(page) == "the east"
        screenshot(page, "cohorts-upload-performance")
        go_to(page, "What matters overall")
        wait_for_charts(page, 4, "importance (cohort)")
        assert cohort_shown(page) == "the east"
        screenshot(page, "cohorts-upload-importance")
        expect(page.locator('[data-testid="stMain"]')).to_contain_text("Partial dependence")

        go_to(page, "Overview")
        page.get_by_role("button", name="Prepare the report").click()
        button = page.get_by_role("button", name="Download PDF")
        expect(button).to_be_visible(timeout=RUN_TIMEOUT_S * 1000)
        settle(page)
        with page.expect_download(timeout=RUN_TIMEOUT_S * 1000) as download:
            button.click()
        saved = ARTIFACTS / "cohorts-upload-model-report.pdf"
        download.value.save_as(saved)
        assert saved.read_bytes().startswith(b"%PDF-")
