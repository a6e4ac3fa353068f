"""Hostile uploads through a real browser: refused in whybox's words, server still serving,
and text from the data never makes the browser fetch anything.

A sample of :mod:`tests.hostile_models` goes through the upload page's real
file inputs of a real Streamlit server; the rest of the corpus goes through
the same page in ``tests/test_bad_inputs_app.py``. A dataset whose column
names and category labels are Markdown images pointing at a local HTTP server
is uploaded with a model trained on it and every page is opened: the server
must see no request (a control page with a real image proves it would).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import joblib
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from dashboard.text import WORD_JOINER
from tests.bad_inputs import HOSTILE_MARKER, frame
from tests.browser_support import (
    ARTIFACTS,
    CHROMIUM,
    ERROR_ALERT,
    EXCEPTION,
    RUN_TIMEOUT_S,
    VIEWPORT,
    Server,
    assert_clean,
    go_to,
    launch_chromium,
    open_app,
    screenshot,
    settle,
    streamlit_server,
    upload,
    upload_model,
)
from tests.hostile_models import HOSTILE, SECRET_TEXT, leaks

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Debian's Chromium is not installed at {CHROMIUM} (tests/run.sh installs it)",
    ),
]

SAMPLE = (
    "forged_dtype_array",
    "xgboost_booster_path",
    "tree_child_out_of_range",
    "deep_nesting",
    "randomstate_ctor_with_function",
)
BY_ID = {hostile.id: hostile for hostile in HOSTILE}
PAGES = ("Overview", "What matters overall", "One decision", "Data quality", "What if…")
EVERY_PAGE = (
    *PAGES, "Compare models", "Performance", "Fairness", "Drift", "Error analysis", "Cohorts",
)  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with streamlit_server(demo=False, log=ARTIFACTS / "server-hostile.log") as running:
        yield running


def _new_page(browser: Browser) -> Page:
    return browser.new_context(viewport=VIEWPORT).new_page()


@pytest.mark.parametrize("hostile_id", SAMPLE)
def test_hostile_upload_is_refused_and_the_server_keeps_serving(
    hostile_id: str, browser: Browser, server: Server, tmp_path: Path
) -> None:
    hostile = BY_ID[hostile_id]
    model = tmp_path / f"model{hostile.suffix}"
    model.write_bytes(hostile.build(tmp_path))
    data = tmp_path / "data.csv"
    frame().to_csv(data, index=False)
    page = _new_page(browser)
    open_app(page, server)

    upload(page, "Model file", model)
    upload(page, "Dataset", data)

    alert = page.locator(ERROR_ALERT)
    expect(alert.first).to_be_visible(timeout=RUN_TIMEOUT_S * 1000)
    assert alert.count() == 1 and page.locator(EXCEPTION).count() == 0
    message = alert.first.inner_text()
    assert hostile.message in message.replace("\n", " ")
    assert leaks(message, tmp_path) == []
    assert SECRET_TEXT not in page.content()
    assert not (Path.cwd() / HOSTILE_MARKER).exists()
    screenshot(page, f"hostile-{hostile_id}")
    page.context.close()

    other = _new_page(browser)  # another person, right after
    open_app(other, server)
    expect(other.locator("h1").first).to_have_text("Load a model")
    other.context.close()


def test_the_demo_asks_nothing_of_any_other_host(browser: Browser, server: Server) -> None:
    """Every request the browser makes, favicon and fonts included, goes to the app itself."""
    page = _new_page(browser)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    open_app(page, server)
    page.locator(".st-key-demo_loan").get_by_role("button", name="Open this demo").click()
    expect(page.locator("h1").first).to_have_text("Overview", timeout=RUN_TIMEOUT_S * 1000)
    settle(page)
    for link in EVERY_PAGE:
        go_to(page, link)
        assert_clean(page, link)
    page.wait_for_timeout(1_000)  # late favicon and font requests
    assert any(url.startswith(f"{server.url}/") for url in requested)  # the recorder works
    outside = [url for url in requested if not url.startswith((f"{server.url}/", "data:"))]
    assert outside == []
    page.context.close()


_DATA_LINKS = """url => [...document.querySelectorAll('a[href]')]
    .map(a => a.href).filter(href => href.startsWith(url))"""
_BOLD_FROM_DATA = """() => [...document.querySelectorAll('.js-plotly-plot tspan')]
    .filter(t => /bold/.test(t.getAttribute('style') || '') && t.textContent === 'BOLD').length"""


def _markdown_files(folder: Path, url: str) -> tuple[Path, Path, str]:
    """A model and a dataset whose column names, categories and classes are Markdown and HTML.

    Markdown images and links for the pages' text; bold and a ``<span>`` with a
    background image for Plotly's labels; a bare URL for GitHub's autolinks.
    """
    span = '<b>BOLD</b><span style="background-image:url({url}/{name}.png)">s</span>'
    column = f"![c]({url}/column.png){span.format(url=url, name='column-span')}"
    labels = np.array(
        [f"![r]({url}/label.png)", span.format(url=url, name="category"), f"{url}/autolink"]
    )
    target = "approved"
    data = frame(200).rename(columns={"income": column})
    data["region"] = labels[np.arange(len(data)) % 3]
    data[target] = data[target].replace("yes", span.format(url=url, name="class"))
    features = ["age", column, "score", "region"]
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["region"]), remainder="passthrough"
        ),
        LogisticRegression(max_iter=2_000),
    ).fit(data[features], data[target])
    model_path, data_path = folder / "model.joblib", folder / "data.csv"
    joblib.dump(model, model_path)
    data.to_csv(data_path, index=False)
    return model_path, data_path, target


def test_text_from_the_data_makes_the_browser_fetch_nothing(
    browser: Browser, server: Server, tmp_path: Path, recorder: tuple[str, list[str]]
) -> None:
    url, requests = recorder
    model, data, target = _markdown_files(tmp_path, url)
    page = _new_page(browser)
    open_app(page, server)
    upload(page, "Model file", model)
    upload(page, "Dataset", data)
    assert requests == [], "upload page"
    upload_model(page, model, data, target=target)

    texts = []
    for link in EVERY_PAGE:
        go_to(page, link)
        assert_clean(page, link)
        settle(page)
        assert requests == [], link
        assert page.evaluate(_DATA_LINKS, url) == [], f"{link}: a link made of the data"
        assert page.evaluate(_BOLD_FROM_DATA) == 0, f"{link}: a chart drew the data's <b>"
        texts.append(page.locator('[data-testid="stApp"]').inner_text().replace(WORD_JOINER, ""))
        if link == "What matters overall":
            screenshot(page, "hostile-markup-what-matters")
    assert any(f"![c]({url}/column.png)<b>BOLD</b>" in text for text in texts)  # shown, as text
    assert any(f"{url}/autolink" in text for text in texts)

    page.set_content(f'<img src="{url}/control.png">')  # control: a real image is fetched
    page.wait_for_timeout(500)
    assert requests == ["/control.png"]
    page.context.close()
