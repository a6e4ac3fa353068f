"""The one-decision report: summary, self-contained HTML, PDF, CLI and download cache."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dashboard import cache, report_cache
from dashboard.actions import demo_workspace
from dashboard.cli import main
from dashboard.report import report_html, report_pdf
from explainers.decision import Decision, find_row, summarise_decision
from explainers.errors import DataValidationError
from explainers.loading import PreparedData, load_files
from sample_models import DEMOS
from tests.conftest import ROOT, SAMPLES, error_lines

LOAN = DEMOS["loan"]
MODEL = str(SAMPLES / LOAN.model_file)
DATA = str(SAMPLES / LOAN.data_file)
CHROMIUM = Path("/usr/bin/chromium")
REFUSED_ROW = 1  # row 1 of german_credit.csv is refused
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.is_file(), reason="/usr/bin/chromium is not installed (apt-get install chromium)"
)
needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None,
    reason="pdftotext is not installed (apt-get install poppler-utils)",
)


@pytest.fixture(scope="module")
def prepared() -> PreparedData:
    return load_files(MODEL, DATA, target=LOAN.target)


SETTINGS = LOAN.settings()
DEMO_FIXED = SETTINGS.fixed


@pytest.fixture(scope="module")
def summary(prepared: PreparedData) -> Decision:
    return summarise_decision(
        prepared,
        REFUSED_ROW,
        settings=SETTINGS,
        model_card=LOAN.model_card(),
        data_name=LOAN.data_file,
    )


@pytest.fixture(scope="module")
def page(summary: Decision) -> str:
    return report_html(summary)


def _words(text: str) -> str:
    """Text with every run of whitespace as one space (PDF lines wrap anywhere)."""
    return re.sub(r"\s+", " ", text).strip()


def _pdf_text(path: Path) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    return _words(out.replace("\N{SOFT HYPHEN}", ""))


def _sentences(summary: Decision) -> list[str]:
    reasons = summary.reasons
    return [reasons.decision, *(r.sentence for r in reasons.against + reasons.supporting)]


# --- the summary ---------------------------------------------------------------------


def test_summary_of_a_refused_applicant(summary: Decision) -> None:
    assert summary.reasons.favourable is False
    assert summary.recourse is not None and summary.recourse.options
    assert not set(DEMO_FIXED) & {c.feature for o in summary.recourse.options for c in o.changes}
    assert summary.shap.n_rows == summary.lime.n_rows == 1
    assert summary.trust.lime_stability is not None
    about = summary.provenance
    assert about.model_name == "German credit loan model"
    assert about.training_data is not None and "loan_train.csv" in about.training_data
    assert (about.data_name, about.n_rows) == ("german_credit.csv", 1000)
    assert "SHAP" in about.method and "LIME" in about.method


def test_breakdown_is_in_the_points_of_the_reasons(summary: Decision) -> None:
    breakdown, reasons = summary.breakdown, summary.reasons
    assert breakdown.output_space == "raw"
    np.testing.assert_allclose(breakdown.output[0], reasons.score, rtol=1e-9)
    np.testing.assert_allclose(breakdown.base_values[0], reasons.base_score, rtol=1e-9)
    biggest = reasons.against[0]
    j = breakdown.feature_names.index(biggest.feature)
    np.testing.assert_allclose(breakdown.values[0, j], biggest.points, rtol=1e-9)


def test_favourable_applicant_gets_no_recourse(prepared: PreparedData) -> None:
    approved = summarise_decision(prepared, 0, settings=SETTINGS)
    assert approved.reasons.favourable is True
    assert approved.recourse is None


def test_unknown_row_says_how_to_find_ids(prepared: PreparedData) -> None:
    with pytest.raises(DataValidationError, match="There is no row '5000'") as info:
        summarise_decision(prepared, 5000)
    assert "--id-column" in info.value.hint and "0, 1, 2" in info.value.hint


def test_find_row_by_label_and_by_id_column(tmp_path: Path) -> None:
    frame = load_files(MODEL, DATA).frame.assign(applicant=lambda f: [f"A{i:04d}" for i in f.index])
    frame.loc[5, "applicant"] = "A0004"
    path = tmp_path / "with_ids.csv"
    frame.to_csv(path, index=False)
    with_ids = load_files(MODEL, path, target=LOAN.target)
    assert find_row(with_ids, " 7 ") == 7
    assert find_row(with_ids, "A0001", id_column="applicant") == 1
    with pytest.raises(DataValidationError, match="No row of"):
        find_row(with_ids, "B1", id_column="applicant")
    with pytest.raises(DataValidationError, match="2 rows of"):
        find_row(with_ids, "A0004", id_column="applicant")
    with pytest.raises(DataValidationError, match="no column called 'nope'"):
        find_row(with_ids, "1", id_column="nope")


# --- HTML ----------------------------------------------------------------------------


def test_html_has_no_external_url(page: str) -> None:
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"<(script|img|iframe)[^>]*\ssrc=", page)
    assert "<link" not in page and "@import" not in page and "@font-face" not in page


def test_html_reads_in_the_applicants_order(page: str, summary: Decision) -> None:
    text = html.unescape(page)
    for sentence in _sentences(summary):
        assert sentence in text
    order = [
        summary.reasons.decision,
        "What would change the decision",
        "The breakdown",
        "Can this explanation be trusted?",
        "About this report",
    ]
    positions = [text.index(heading) for heading in order]
    assert positions == sorted(positions)
    assert summary.recourse is not None
    assert summary.recourse.options[0].sentence in text
    assert "loan_train.csv" in text and "German credit loan model" in text


def test_html_embeds_the_plotly_bundle_and_waterfall(page: str) -> None:
    assert "Plotly.newPlot" in page and '"type":"waterfall"' in page
    assert len(page) > 1_000_000  # plotly.js is inlined, not loaded from a CDN


@needs_chromium
def test_html_renders_in_headless_chromium(page: str, tmp_path: Path) -> None:
    from PIL import Image

    source, shot = tmp_path / "report.html", tmp_path / "report.png"
    source.write_text(page, encoding="utf-8")
    subprocess.run(
        [
            str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--hide-scrollbars", "--window-size=1000,2400",
            f"--screenshot={shot}", source.as_uri(),
        ],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    image = Image.open(shot).convert("RGB")
    assert image.size == (1000, 2400)
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 20) or []}
    assert (0x00, 0x72, 0xB2) in colours and (0xD5, 0x5E, 0x00) in colours  # the drawn bars


@pytest.mark.browser
@needs_chromium
def test_html_makes_no_network_request(page: str, tmp_path: Path) -> None:
    """Every request Chromium makes is recorded; a control page proves the recorder works."""
    sync_api = pytest.importorskip("playwright.sync_api")
    report = tmp_path / "report.html"
    report.write_text(page, encoding="utf-8")
    control = tmp_path / "control.html"
    control.write_text(page.replace("</main>", '<img src="https://example.invalid/x.png"></main>'))
    requests: dict[str, list[str]] = {}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        for source in (report, control):
            context = browser.new_context()
            seen = requests.setdefault(source.name, [])
            context.on("request", lambda request, seen=seen: seen.append(request.url))
            tab = context.new_page()
            tab.goto(source.as_uri(), wait_until="load")
            tab.wait_for_selector(".js-plotly-plot .waterfalllayer .point", timeout=30_000)
            tab.mouse.move(500, 1200)  # hover the chart: nothing may load on interaction either
            tab.wait_for_timeout(1_000)
            bars = tab.locator(".js-plotly-plot .waterfalllayer .point").count()
            context.close()
        browser.close()
    assert requests["control.html"] == [control.as_uri(), "https://example.invalid/x.png"]
    assert requests["report.html"] == [report.as_uri()]
    assert bars >= 10


# --- PDF -----------------------------------------------------------------------------


def test_pdf_is_a_pdf(summary: Decision) -> None:
    data = report_pdf(summary)
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")


@needs_pdftotext
def test_pdf_has_the_reasons_text(summary: Decision, tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(report_pdf(summary))
    text = _pdf_text(path)
    for sentence in _sentences(summary):
        assert _words(sentence) in text
    assert summary.recourse is not None
    for option in summary.recourse.options:
        assert _words(option.sentence) in text
    for heading in ("What would change the decision", "The breakdown", "About this report"):
        assert heading in text
    assert _words(summary.trust.verdict) in text


@needs_pdftotext
def test_pdf_prints_non_latin_characters(prepared: PreparedData, tmp_path: Path) -> None:
    names = {"duration_in_month": "Duration – months (≥ 1, €)"}
    settings = SETTINGS.with_changes(display_names=names)
    unicode = summarise_decision(prepared, REFUSED_ROW, settings=settings)
    path = tmp_path / "unicode.pdf"
    path.write_bytes(report_pdf(unicode))
    assert "Duration – months (≥ 1, €)" in _pdf_text(path)


# --- CLI -----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".html", ".pdf"])
def test_cli_writes_the_report_of_a_refused_applicant(
    suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / f"report{suffix}"
    assert main(["report", MODEL, DATA, "--row", str(REFUSED_ROW), "--out", str(out)]) == 0
    assert f"wrote the report for row {REFUSED_ROW}" in capsys.readouterr().out
    data = out.read_bytes()
    if suffix == ".pdf":
        assert data.startswith(b"%PDF-")
    else:
        text = data.decode("utf-8")
        assert "approval score" in text and "https://" not in text


def test_cli_unknown_row_is_one_error_line(tmp_path: Path) -> None:
    out = tmp_path / "missing.pdf"
    result = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "report", MODEL, DATA, "--row", "5000",
         "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert result.returncode == 2
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: There is no row '5000'")
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--out", "report.txt"], "--out must end in .html or .pdf"),
        (["--out", "no/such/folder/r.pdf"], "Could not write"),
        (["--out", "r.pdf", "--id-column", "nope"], "no column called 'nope'"),
        (["--out", "r.pdf", "--class", "maybe"], "no class called 'maybe'"),
    ],
)
def test_cli_bad_input_exits_2(
    extra: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    assert main(["report", MODEL, DATA, "--row", "1", *extra]) == 2
    err = error_lines(capsys.readouterr().err.strip())
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]


# --- the dashboard's download -----------------------------------------------------------


def test_download_bytes_build_outside_a_script_run() -> None:
    """The download button builds the file in a separate thread, with no script context."""
    ws = demo_workspace("loan")
    pdf = report_cache.report_bytes(ws, REFUSED_ROW, "pdf")
    page = report_cache.report_bytes(ws, REFUSED_ROW, "html").decode("utf-8")
    assert pdf.startswith(b"%PDF-")
    assert "approval score" in page and "http://" not in page
    assert cache.decision(ws, REFUSED_ROW).reasons.favourable is False


def test_regression_report_states_the_prediction() -> None:
    ws = demo_workspace("diabetes")
    page = report_cache.report_bytes(ws, 0, "html").decode("utf-8")
    assert "Prediction:" in page and "What would change the decision" not in page
    assert report_cache.report_bytes(ws, 0, "pdf").startswith(b"%PDF-")
