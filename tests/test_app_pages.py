"""AppTest runs of the explanation pages on the demos and on uploaded models."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import state
from dashboard.actions import demo_workspace
from tests.conftest import ROOT

APP = str(ROOT / "dashboard" / "app.py")
EXPLAIN_PAGES = [
    "screens/overview.py",
    "screens/global_importance.py",
    "screens/breakdown.py",
    "screens/what_if.py",
]


def _app(ws: state.Workspace | None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if ws is not None:
        at.session_state[state.WORKSPACE] = ws
    return at


def _charts(at: AppTest) -> list:
    return list(at.get("plotly_chart"))


def test_upload_page_offers_the_demos() -> None:
    at = _app(None).run()
    assert not at.exception
    labels = [b.label for b in at.button]
    assert labels.count("Open this demo") == 2


def test_opening_the_loan_demo_lands_on_overview_with_a_chart() -> None:
    at = _app(None).run()
    at.button(key="demo_loan").click().run()
    assert not at.exception
    assert isinstance(at.session_state[state.WORKSPACE], state.Workspace)
    assert at.title[0].value == "Overview"
    assert _charts(at)


@pytest.mark.parametrize("demo", ["loan", "diabetes"])
@pytest.mark.parametrize("page", EXPLAIN_PAGES)
def test_every_explain_page_runs_on_the_demos(demo: str, page: str) -> None:
    at = _app(demo_workspace(demo))
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert _charts(at), f"{page} drew no chart"


def test_breakdown_of_a_refused_applicant_gives_reasons_and_recourse() -> None:
    at = _app(demo_workspace("loan"))
    at.switch_page("screens/breakdown.py").run()
    text = " ".join(m.value for m in at.markdown)
    assert "lowered the approval score" in text
    assert "What would change the decision?" in text
    assert len(_charts(at)) == 2  # SHAP waterfall and LIME, side by side


def test_what_if_edit_changes_the_prediction() -> None:
    at = _app(demo_workspace("loan"))
    at.switch_page("screens/what_if.py").run()
    before = at.metric[0].value
    checking = next(s for s in at.selectbox if s.label == "Checking account")
    options = [o for o in checking.options if o != checking.value]
    checking.set_value(options[-1]).run()
    assert not at.exception
    assert at.metric[0].value != before
    assert "Changed: Checking account" in " ".join(c.value for c in at.caption)
