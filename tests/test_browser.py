"""The dashboard in a real browser: a Streamlit server on 127.0.0.1 driven by headless Chromium.

Models and data go in through the real file inputs, every page is reached by
clicking its sidebar link, and each page is saved as a screenshot under
``tests/artifacts/``. Measured timings go to ``tests/artifacts/timings.txt``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from tests.browser_support import (
    ARTIFACTS,
    CHROMIUM,
    METRIC_VALUE,
    RUN_TIMEOUT_S,
    VIEWPORT,
    Server,
    Timings,
    assert_clean,
    charts,
    choose,
    go_to,
    launch_chromium,
    open_app,
    options_of,
    screenshot,
    selected,
    settle,
    sidebar,
    streamlit_server,
    upload,
    upload_model,
    wait_for_charts,
)
from tests.conftest import SAMPLES

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Debian's Chromium is not installed at {CHROMIUM} (tests/run.sh installs it)",
    ),
]

LOAN_TITLE = "Loan decisions (German credit)"
# Sidebar link -> the fewest charts its page draws once it has finished.
EXPLAIN_PAGES = {"Overview": 1, "What matters overall": 3, "One decision": 2, "What if…": 1}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def empty_server() -> Iterator[Server]:
    with streamlit_server(demo=False, log=ARTIFACTS / "server-empty.log") as server:
        yield server


@pytest.fixture(scope="module")
def demo_server() -> Iterator[Server]:
    with streamlit_server(demo=True, log=ARTIFACTS / "server-demo.log") as server:
        yield server


@pytest.fixture(scope="module")
def timings() -> Timings:
    return Timings(ARTIFACTS / "timings.txt")


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def upload_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A one-hot + random forest Pipeline (3 classes), its CSV, and shifted current data."""
    X, y = make_classification(
        n_samples=260, n_features=4, n_informative=3, n_redundant=0, n_classes=3,
        n_clusters_per_class=1, random_state=0,
    )  # fmt: skip
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(X, columns=["length", "depth", "weight", "age"]).round(2)
    frame["region"] = np.where(X[:, 0] + rng.normal(0, 1, len(X)) > 0, "north", "south")
    frame["sex"] = rng.choice(["female", "male"], len(X))
    frame["tier"] = np.array(["bronze", "silver", "gold"])[y]
    loaded, current = frame.iloc[:180], frame.iloc[180:].assign(weight=lambda f: f.weight + 1)
    encode = ColumnTransformer(
        [("categories", OneHotEncoder(handle_unknown="ignore"), ["region", "sex"])],
        remainder="passthrough",
    )
    forest = RandomForestClassifier(n_estimators=25, max_depth=4, random_state=0)
    model = Pipeline([("encode", encode), ("forest", forest)])
    model.fit(loaded.drop(columns=["tier"]), loaded["tier"])
    folder = tmp_path_factory.mktemp("upload")
    paths = folder / "tier_model.joblib", folder / "tiers.csv", folder / "tiers_now.csv"
    joblib.dump(model, paths[0])
    loaded.to_csv(paths[1], index=False)
    current.to_csv(paths[2], index=False)
    return paths


def slug(title: str) -> str:
    return re.sub(r"[^a-z]+", "-", title.lower()).strip("-")


def visit(
    page: Page, link: str, n_charts: int, shot: str, then: Callable[[Page], None] | None = None
) -> None:
    """Click a sidebar link; the page must finish cleanly with at least ``n_charts`` charts.

    ``then`` acts on the finished page before its screenshot is taken.
    """
    go_to(page, link)
    wait_for_charts(page, n_charts, link)
    if then is not None:
        then(page)
    screenshot(page, shot)


def main_text(page: Page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def chart_text(page: Page, index: int) -> str:
    return charts(page).nth(index).inner_text()


def pick_another_row(page: Page) -> None:
    """On "One decision": choose a row other than the shown one; its breakdown must change."""
    before_row, before_chart = selected(page, "Row"), chart_text(page, 0)
    other = next(o for o in options_of(page, "Row") if o != before_row)
    choose(page, "Row", other)
    wait_for_charts(page, 2, "One decision, another row")
    assert selected(page, "Row") == other
    assert chart_text(page, 0) != before_chart, "the waterfall did not change with the row"


def edit_top_slider(page: Page) -> None:
    """On "What if…": the most important numeric column to its minimum changes the prediction."""
    before = page.locator(METRIC_VALUE).inner_text()
    slider = page.locator('[data-testid="stMain"] input[type="range"]').first
    column = slider.get_attribute("aria-label")
    slider.press("Home")
    settle(page)
    expect(page.locator(METRIC_VALUE)).not_to_have_text(before)
    expect(page.locator('[data-testid="stMain"]')).to_contain_text(f"Changed: {column}")
    assert_clean(page, "What if… after an edit")


def upload_current(page: Page, current: Path) -> None:
    """On "Drift": upload current data through the file input; the drift charts appear."""
    upload(page, "Current data", current)
    wait_for_charts(page, 4, "Drift with current data")


def fairness_by_sex(page: Page) -> None:
    """On "Fairness": groups by sex, which the guessed decision settings pick by default."""
    expect(page.locator('[data-tag][aria-label="sex"]')).to_be_visible()
    wait_for_charts(page, 1, "Fairness by sex")


def open_loan_demo(page: Page) -> None:
    """On "Load a model": click the loan demo's "Open this demo"; it lands on Overview."""
    page.locator(".st-key-demo_loan").get_by_role("button", name="Open this demo").click()
    expect(page.locator("h1").first).to_have_text("Overview", timeout=RUN_TIMEOUT_S * 1000)
    settle(page)


def test_upload_a_pipeline_and_csv_then_use_every_page(
    page: Page, empty_server: Server, upload_files: tuple[Path, Path, Path]
) -> None:
    model, data, current = upload_files
    open_app(page, empty_server)
    expect(page.locator("h1").first).to_have_text("Load a model")
    expect(sidebar(page)).to_contain_text("No model is loaded yet.")
    screenshot(page, "upload-load-a-model")

    upload_model(page, model, data, target="tier")
    expect(sidebar(page)).to_contain_text("tier_model.joblib")
    assert_clean(page, "after loading")

    actions = {
        "One decision": pick_another_row,
        "What if…": edit_top_slider,
        "Fairness": fairness_by_sex,
        "Drift": lambda page: upload_current(page, current),
    }
    pages = {**EXPLAIN_PAGES, "Performance": 1, "Fairness": 0, "Data quality": 2, "Drift": 0}
    for link, n_charts in pages.items():
        visit(page, link, n_charts, f"upload-{slug(link)}", actions.get(link))


def test_demo_starts_with_a_chart_and_presenter_mode_hides_the_jargon(
    page: Page, demo_server: Server, timings: Timings
) -> None:
    page.goto(demo_server.url)
    wait_for_charts(page, 1, "demo start")
    cold_start = time.monotonic() - demo_server.started_at
    timings.record("cold start (server start -> first demo chart)", cold_start)
    settle(page)
    expect(page.locator("h1").first).to_have_text("Overview")
    expect(sidebar(page)).to_contain_text(LOAN_TITLE)
    assert_clean(page, "demo start")
    screenshot(page, "demo-overview")

    visit(page, "What matters overall", 3, "demo-what-matters-overall")
    clicked = time.monotonic()
    go_to(page, "One decision")
    wait_for_charts(page, 2, "One decision")
    timings.record("one row's breakdown after clicking One decision", time.monotonic() - clicked)
    assert "SHAP" in main_text(page) and "LIME" in main_text(page)
    decision = page.locator('[data-testid="stMain"] h4').first.inner_text().strip()
    screenshot(page, "demo-one-decision")
    for link, n_charts in (
        ("What if…", 1), ("Performance", 5), ("Fairness", 1), ("Data quality", 2), ("Drift", 4)
    ):  # fmt: skip
        visit(page, link, n_charts, f"demo-{slug(link)}")

    go_to(page, "One decision")
    sidebar(page).get_by_text("Presenter mode").click()
    settle(page)
    assert_clean(page, "presenter mode")
    expect(charts(page)).to_have_count(0)
    text = main_text(page)
    assert "SHAP" not in text and "LIME" not in text, text
    shown = page.locator('[data-testid="stMain"]').get_by_text(decision, exact=True)
    size = shown.evaluate("element => parseFloat(getComputedStyle(element).fontSize)")
    assert size >= 30, f"the presenter view shows the decision at {size}px, not large"
    screenshot(page, "demo-one-decision-presenter")


def test_two_people_on_one_server_never_see_each_others_work(
    browser: Browser, empty_server: Server
) -> None:
    first, second = browser.new_context(viewport=VIEWPORT), browser.new_context(viewport=VIEWPORT)
    try:
        a, b = first.new_page(), second.new_page()
        open_app(a, empty_server)
        open_loan_demo(a)
        expect(sidebar(a)).to_contain_text(LOAN_TITLE)

        open_app(b, empty_server)
        expect(b.locator("h1").first).to_have_text("Load a model")
        expect(sidebar(b)).to_contain_text("No model is loaded yet.")
        expect(sidebar(b)).not_to_contain_text("Loan decisions")
        expect(b.locator('[data-testid="stMain"]')).not_to_contain_text("Loaded:")

        upload_model(
            b, SAMPLES / "diabetes_model.joblib", SAMPLES / "diabetes.csv", target="target"
        )
        expect(sidebar(b)).to_contain_text("diabetes_model.joblib")
        expect(sidebar(b)).not_to_contain_text("Loan decisions")

        go_to(a, "One decision")
        pick_another_row(a)
        picked = selected(a, "Row")
        expect(sidebar(a)).to_contain_text(LOAN_TITLE)
        expect(sidebar(a)).not_to_contain_text("diabetes")

        go_to(b, "Load a model")
        open_loan_demo(b)
        go_to(b, "One decision")
        assert selected(b, "Row") != picked, "B sees the row A picked"
        assert_clean(a, "first person")
        assert_clean(b, "second person")
    finally:
        first.close()
        second.close()


def test_upload_the_regression_demo_files_every_page_is_clean(
    page: Page, empty_server: Server
) -> None:
    open_app(page, empty_server)
    upload_model(page, SAMPLES / "diabetes_model.joblib", SAMPLES / "diabetes.csv", target="target")
    pages = {**EXPLAIN_PAGES, "Performance": 1, "Fairness": 0, "Data quality": 2, "Drift": 0}
    for link, n_charts in pages.items():
        visit(page, link, n_charts, f"diabetes-{slug(link)}")
    expect(page.locator('[data-testid="stMain"]')).to_contain_text("Upload a current dataset")


def test_clicking_a_beeswarm_dot_opens_that_row(page: Page, demo_server: Server) -> None:
    open_app(page, demo_server)
    go_to(page, "What matters overall")
    wait_for_charts(page, 3, "what matters overall")
    # the pixel of one dot of the top feature, from plotly's own axes
    dot = page.evaluate(
        """() => {
          const gd = document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot')[1];
          const trace = gd._fullData[gd._fullData.length - 1];
          const i = 5, layout = gd._fullLayout, box = gd.getBoundingClientRect();
          return {
            x: box.left + layout._size.l + layout.xaxis.l2p(trace.x[i]),
            y: box.top + layout._size.t + layout.yaxis.l2p(trace.y[i]),
            row: String(trace.customdata[i]),
          };
        }"""
    )
    page.mouse.click(dot["x"], dot["y"])
    heading = page.locator('[data-testid="stMain"] h1')
    expect(heading.first).to_have_text("One decision", timeout=60_000)
    settle(page)
    assert_clean(page, "one decision after a click")
    assert selected(page, "Row").startswith(f"row {dot['row']} ")
