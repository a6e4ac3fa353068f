"""The exported reports show markup from the data and the settings file as text, offline.

A dataset whose column names, categories and classes carry ``<b>`` and a
``<span>`` with a background image, and a settings file that puts the same
into a display name, the score's name and the favourable wording, go through
``whybox report`` and ``whybox model-report``. Opened in Chromium, each report
makes no request but its own file (a control page with one image proves the
recorder) and no chart draws the data's bold.
"""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from dashboard.cli import main
from tests.bad_inputs import TARGET, frame
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]
URL = "http://127.0.0.1:9"
SPAN = '<b>BOLD</b><span style="background-image:url(' + URL + '/{name}.png)">s</span>'
_BOLD_FROM_DATA = """() => [...document.querySelectorAll('.js-plotly-plot tspan')]
    .filter(t => /bold/.test(t.getAttribute('style') || '') && t.textContent === 'BOLD').length"""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str]:
    """Model, dataset and settings file, each carrying markup."""
    folder = tmp_path_factory.mktemp("hostile-report")
    column = SPAN.format(name="column")
    data = frame(200).rename(columns={"income": column})
    data["region"] = np.array([SPAN.format(name="category"), "north", "south"])[
        np.arange(len(data)) % 3
    ]
    data[TARGET] = data[TARGET].replace("yes", SPAN.format(name="class"))
    features = ["age", column, "score", "region"]
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["region"]), remainder="passthrough"),
        LogisticRegression(max_iter=2_000),
    ).fit(data[features], data[TARGET])
    settings = {
        "favourable": SPAN.format(name="class"),
        "favourable_text": SPAN.format(name="favourable"),
        "score_name": SPAN.format(name="score"),
        "display_names": {"age": SPAN.format(name="display")},
    }
    paths = folder / "model.joblib", folder / "data.csv", folder / "settings.json"
    joblib.dump(model, paths[0])
    data.to_csv(paths[1], index=False)
    paths[2].write_text(json.dumps(settings), encoding="utf-8")
    return str(paths[0]), str(paths[1]), str(paths[2])


def _opened(report: Path) -> tuple[list[str], int, str]:
    """Requests the page made, bold data text drawn in its charts, and its visible text."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1200, "height": 2400})
        seen: list[str] = []
        context.on("request", lambda request: seen.append(request.url))
        tab = context.new_page()
        tab.goto(report.as_uri(), wait_until="load")
        tab.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
        tab.mouse.move(500, 900)  # a hover label draws text too
        tab.wait_for_timeout(1_000)
        bold, text = tab.evaluate(_BOLD_FROM_DATA), tab.inner_text("body")
        browser.close()
    return seen, bold, text


@pytest.mark.parametrize(
    "command",
    [["report", "--row", "0"], ["model-report"]],
    ids=["decision-report", "model-report"],
)
def test_report_fetches_nothing_and_shows_markup_as_text(
    command: list[str], files: tuple[str, str, str], tmp_path: Path
) -> None:
    model, data, settings = files
    out = tmp_path / "report.html"
    argv = [command[0], model, data, *command[1:], "--target", TARGET, "--settings", settings]
    assert main([*argv, "--out", str(out)]) == 0
    control = tmp_path / "control.html"
    control.write_text(
        out.read_text(encoding="utf-8").replace("</main>", f'<img src="{URL}/control.png"></main>'),
        encoding="utf-8",
    )

    requests, bold, text = _opened(out)

    assert requests == [out.as_uri()]
    assert bold == 0
    assert "<b>BOLD</b><span" in text  # shown, as written
    assert _opened(control)[0] == [control.as_uri(), f"{URL}/control.png"]
