"""AppTest runs of the breakdown page in presenter mode, and of its report buttons."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import state
from dashboard.actions import demo_workspace
from dashboard.decision_views import FAVOURABLE
from tests.conftest import ROOT

APP = str(ROOT / "dashboard" / "app.py")
JARGON = re.compile(r"SHAP|LIME|log-odds|R²", re.IGNORECASE)


def _breakdown(demo: str, *, presenter: bool) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state[state.WORKSPACE] = demo_workspace(demo)
    at.session_state[state.PRESENTER] = presenter
    at.switch_page("screens/breakdown.py").run()
    assert not at.exception, at.exception
    return at


def _main_markdown(at: AppTest) -> list[str]:
    return [m.value for m in at.main.markdown] + [h.value for h in at.main.subheader]


def test_presenter_view_of_a_refused_applicant_speaks_plainly() -> None:
    at = _breakdown("loan", presenter=True)
    text = "\n".join(_main_markdown(at))
    assert "The approval score is" in text and "out of 100" in text
    assert "The main reasons" in text
    assert "What would change it" in text
    assert not JARGON.search(text), JARGON.findall(text)
    assert not at.main.get("plotly_chart"), "presenter mode shows no charts"


def test_presenter_view_has_no_method_names_in_any_markdown() -> None:
    at = _breakdown("loan", presenter=True)
    everything = [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert everything
    for value in everything:
        assert not JARGON.search(value), value


def test_presenter_view_of_an_approved_applicant_gives_reasons_without_recourse() -> None:
    at = _breakdown("loan", presenter=True)
    at.radio(key="row_filter").set_value(FAVOURABLE).run()
    assert not at.exception, at.exception
    text = "\n".join(_main_markdown(at))
    assert "so the outcome is “approved”" in text
    assert "What would change it" not in text
    assert not JARGON.search(text)


def test_switching_presenter_mode_on_replaces_the_charts_with_the_plain_view() -> None:
    at = _breakdown("loan", presenter=False)
    assert at.main.get("plotly_chart")
    at.session_state[state.PRESENTER] = True  # what the sidebar toggle sets
    at.run()
    assert not at.exception, at.exception
    assert not at.main.get("plotly_chart")
    assert "What would change it" in "\n".join(_main_markdown(at))


def test_presenter_view_of_a_regression_runs() -> None:
    at = _breakdown("diabetes", presenter=True)
    text = "\n".join(_main_markdown(at))
    assert "The model predicts" in text
    assert not JARGON.search(text)


@pytest.mark.parametrize("presenter", [False, True])
def test_report_buttons_only_in_the_full_view(presenter: bool) -> None:
    at = _breakdown("loan", presenter=presenter)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ([] if presenter else ["Download HTML", "Download PDF"])
