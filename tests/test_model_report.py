"""The whole-model report: CLI, HTML (offline in Chromium), PDF, numbers against the model."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from dashboard.cli import main
from dashboard.cli_model_report import build_summary
from dashboard.model_report import model_report_html, model_report_pdf, report_sections
from explainers.cohorts import cohort_data, cohort_mask
from explainers.model_summary import ModelSummary
from tests.browser_support import ARTIFACTS, CHROMIUM
from tests.conftest import SAMPLES

needs_chromium = pytest.mark.skipif(not CHROMIUM.is_file(), reason="needs /usr/bin/chromium")
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext")
LOAN = SAMPLES / "loan_model.joblib"
HEADINGS = (
    "The model",
    "How well it predicts",
    "What matters overall",
    "Fairness across groups",
    "Data quality",
    "Drift: is today's data like the data it was checked on?",
    "Where the model is most often wrong",
)


@pytest.fixture(scope="module")
def loan() -> ModelSummary:
    return build_summary(
        LOAN, SAMPLES / "loan_test.csv", target="creditability",
        train=SAMPLES / "loan_train.csv", current=SAMPLES / "loan_current.csv",
    )  # fmt: skip


@pytest.fixture(scope="module")
def page(loan: ModelSummary) -> str:
    return model_report_html(loan)


def test_numbers_are_the_models_own(loan: ModelSummary) -> None:
    import joblib  # the bundled demo, a trusted file of this repository

    model = joblib.load(LOAN)
    test = pd.read_csv(SAMPLES / "loan_test.csv")
    X = test.drop(columns=["creditability"])
    good = list(model.classes_).index("good")
    auc = roc_auc_score(test["creditability"] == "good", model.predict_proba(X)[:, good])
    assert loan.performance is not None
    headline = {m.name: m.value for m in loan.performance.headline}
    assert headline["ROC AUC"] == pytest.approx(auc)
    # the error cohorts hold the rows the model gets wrong, at the stated rates
    assert loan.errors is not None and loan.errors_X is not None
    wrong = (model.predict(X) != test["creditability"]).to_numpy()
    assert loan.errors.overall_error == pytest.approx(wrong.mean())
    worst = loan.errors.worst(1)[0]
    inside = cohort_mask(worst.cohort(), cohort_data(test))
    assert inside.sum() == worst.n_rows and wrong[inside].mean() == pytest.approx(worst.error)


def test_every_section_is_there(loan: ModelSummary, page: str) -> None:
    assert [s.title for s in report_sections(loan)] == list(HEADINGS)
    for heading in HEADINGS:
        assert f"<h2>{heading}</h2>".replace("'", "&#x27;") in page
    assert loan.comparison is not None and loan.drift is not None and loan.fairness
    assert not re.search(r"https?://", page)


@pytest.mark.browser
@needs_chromium
def test_html_opens_offline_in_chromium(page: str, tmp_path: Path) -> None:
    """Every request is recorded; a control page with one outside image proves the recorder."""
    sync_api = pytest.importorskip("playwright.sync_api")
    report = tmp_path / "model-report.html"
    report.write_text(page, encoding="utf-8")
    control = tmp_path / "control.html"
    control.write_text(page.replace("</main>", '<img src="https://example.invalid/x.png"></main>'))
    requests: dict[str, list[str]] = {}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        for source in (report, control):
            context = browser.new_context(viewport={"width": 1000, "height": 1400})
            seen = requests.setdefault(source.name, [])
            context.on("request", lambda request, seen=seen: seen.append(request.url))
            tab = context.new_page()
            tab.goto(source.as_uri(), wait_until="load")
            tab.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
            tab.mouse.move(400, 700)
            tab.wait_for_timeout(1_000)
            if source is report:
                n_charts = tab.locator(".js-plotly-plot").count()
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                tab.screenshot(path=str(ARTIFACTS / "model_report.png"), full_page=True)
            context.close()
        browser.close()
    assert requests["control.html"] == [control.as_uri(), "https://example.invalid/x.png"]
    assert requests["model-report.html"] == [report.as_uri()]
    assert n_charts >= 12  # comparison, ROC, calibration, confusion, 2 importance, 2×2 fairness,
    # PSI, prediction, attribution drift, error tree


@needs_pdftotext
def test_pdf_reads_without_the_dashboard(loan: ModelSummary, tmp_path: Path) -> None:
    path = tmp_path / "model-report.pdf"
    path.write_bytes(model_report_pdf(loan))
    text = " ".join(
        subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True,
            text=True,
        ).stdout.split()
    )  # fmt: skip
    for heading in HEADINGS:
        assert heading in text
    assert "German credit loan model" in text and "ROC AUC" in text
    assert loan.errors is not None
    worst = loan.errors.worst(1)[0].label(dict(loan.settings.display_names))
    assert " ".join(worst.split()[:4]) in text
    for part in loan.fairness:
        for group in part.rates.groups:
            assert group in text


def test_cli_writes_both_formats_and_refuses_bad_input(tmp_path: Path, capsys) -> None:
    common = [str(LOAN), str(SAMPLES / "loan_test.csv"), "--target", "creditability"]
    out = tmp_path / "r.pdf"
    assert main(["model-report", *common, "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF-")
    assert "drift" not in capsys.readouterr().out.split("(")[-1]  # no --current: no drift section
    assert main(["model-report", *common, "--out", str(tmp_path / "r.docx")]) == 2
    assert capsys.readouterr().err.startswith("error: --out must end in .html or .pdf.")
    missing = ["--current", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "r.html")]
    assert main(["model-report", *common, *missing]) == 2
    assert "error: No file at" in capsys.readouterr().err


def test_regression_report(tmp_path: Path) -> None:
    summary = build_summary(SAMPLES / "diabetes_model.joblib", SAMPLES / "diabetes.csv",
                            target="target")  # fmt: skip
    assert summary.errors is not None and summary.errors.kind == "absolute error"
    assert "predicts a number" in summary.notes["fairness"]
    page = model_report_html(summary)
    assert "mean error" in page and not re.search(r"https?://", page)
    assert model_report_pdf(summary).startswith(b"%PDF-")
    assert np.isfinite(summary.errors.overall_error)
