"""The "One decision" page and the decision reports show the same decision.

The page is driven with AppTest; the reports are read from ``report_html``:
the one the page's download button builds and the one ``whybox report``
writes from the files alone. Sentences (decision, reasons, reason codes,
recourse) and the trust verdict with its numbers must be the same, word for
word, in all three.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import report_cache, state
from dashboard.actions import demo_workspace
from dashboard.cli import main
from dashboard.decision_views import FAVOURABLE
from sample_models import DEMOS
from tests.conftest import ROOT, SAMPLES, shown

APP = str(ROOT / "dashboard" / "app.py")
_ORDERED = re.compile(r"^\d+\. ")
_R2_TITLE = re.compile(r"LIME \(local fit R² = (-?\d+\.\d\d)\)")


@dataclass(frozen=True)
class Shown:
    """What one view of a decision says."""

    decision: str
    reasons: tuple[str, ...]
    codes: tuple[str, ...]
    options: tuple[str, ...]
    verdict: str
    details: str


def _page(demo: str, *, approved: bool = False) -> tuple[Shown, object, str | None]:
    """The page's decision, the row it shows and the LIME fit in its chart title."""
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state[state.WORKSPACE] = demo_workspace(demo)
    at.switch_page("screens/breakdown.py").run()
    if approved:
        at.radio(key="row_filter").set_value(FAVOURABLE).run()
    assert not at.exception, at.exception
    texts = [shown(m.value) for m in at.main.markdown]
    captions = [c.value for c in at.main.caption]
    decision = next(t.removeprefix("#### ") for t in texts if t.startswith("#### "))
    codes = next((t for t in texts if t.startswith("**Principal reasons")), "")
    verdict = next(t for t in texts if t.startswith(":material/"))
    titles = [
        str(json.loads(c.proto.spec)["layout"]["title"]["text"])
        for c in at.main.get("plotly_chart")
    ]
    r2 = next((m.group(1) for t in titles if (m := _R2_TITLE.search(t))), None)
    page = Shown(
        decision=decision,
        reasons=tuple(t.removeprefix("- ") for t in texts if t.startswith("- ")),
        codes=tuple(codes.split(":** ", 1)[1].split("; ")) if codes else (),
        options=tuple(_ORDERED.sub("", t) for t in texts if _ORDERED.match(t)),
        verdict=verdict.split("**")[1],
        details=next(c for c in captions if c.startswith("The two methods")),
    )
    return page, at.session_state[state.SELECTED_ROW], r2


def _items(block: str) -> tuple[str, ...]:
    return tuple(html.unescape(i) for i in re.findall(r"<li>(.*?)</li>", block))


def _report(page: str) -> Shown:
    """What a report page says (the same parts, read from its HTML)."""
    columns = re.search(r'<div class="columns">(.*?)</div>\s*</div>', page, re.S)
    assert columns is not None
    codes = re.search(r'<div class="codes">(.*?)</div>', page, re.S)
    options = re.search(r"<h2>What would change the decision</h2>\s*<ol>(.*?)</ol>", page, re.S)
    decision = re.search(r'<section class="decision[^"]*">.*?</p>\s*<p>(.*?)</p>', page, re.S)
    verdict = re.search(r'<p class="verdict [a-z]+">(.*?)</p>\s*<p class="note">(.*?)</p>', page)
    assert decision is not None and verdict is not None
    return Shown(
        decision=html.unescape(decision.group(1)),
        reasons=tuple(r for r in _items(columns.group(1)) if r != "Nothing."),
        codes=_items(codes.group(1)) if codes else (),
        options=_items(options.group(1)) if options else (),
        verdict=html.unescape(verdict.group(1)),
        details=html.unescape(verdict.group(2)),
    )


@pytest.mark.parametrize(
    ("demo", "approved"), [("loan", False), ("loan", True), ("diabetes", False)]
)
def test_page_and_downloaded_report_say_the_same(demo: str, approved: bool) -> None:
    page, row_id, r2 = _page(demo, approved=approved)
    report = _report(
        report_cache.report_bytes(demo_workspace(demo), row_id, "html").decode("utf-8")
    )
    assert page == report
    assert page.reasons and page.verdict
    assert bool(page.options) == (demo == "loan" and not approved)
    assert r2 is not None and f"LIME's local fit R² {r2}" in report.details


def test_page_and_the_command_line_report_say_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``whybox report`` computes the decision from the files alone: the same numbers."""
    loan = DEMOS["loan"]
    page, row_id, _ = _page("loan")
    out = tmp_path / "report.html"
    monkeypatch.chdir(tmp_path)
    model, data = str(SAMPLES / loan.model_file), str(SAMPLES / loan.data_file)
    assert main(["report", model, data, "--row", str(row_id), "--out", str(out)]) == 0
    assert _report(out.read_text(encoding="utf-8")) == page
