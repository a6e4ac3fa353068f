"""AppTest runs of cohorts, error analysis and PDP: every page follows the chosen cohort."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import cohort_state, cohort_views, state
from dashboard.actions import demo_workspace
from explainers.cohorts import Cohort, Condition
from tests.conftest import ROOT

APP = str(ROOT / "dashboard" / "app.py")
YOUNG = Cohort("young applicants", (Condition("column", "<", 30, column="age_in_years"),))
FOLLOWING = [
    "screens/global_importance.py",
    "screens/breakdown.py",
    "screens/performance.py",
    "screens/fairness.py",
    "screens/drift.py",
    "screens/data_quality.py",
]


def _app(demo: str, cohort: Cohort | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    ws = demo_workspace(demo)
    if cohort is not None:
        ws = ws.with_options(settings=ws.settings.with_changes(cohorts=(cohort,)))
        at.session_state[cohort_state.ACTIVE] = cohort.name
    at.session_state[state.WORKSPACE] = ws
    return at


def _infos(at: AppTest) -> str:
    """The info boxes' text as a reader sees it (Markdown's escapes removed)."""
    return re.sub(r"\\(.)", r"\1", " ".join(i.value for i in at.info))


@pytest.mark.parametrize("page", FOLLOWING)
def test_every_page_follows_the_cohort_and_says_so(page: str) -> None:
    at = _app("loan", YOUNG)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert "Showing cohort 'young applicants': " in _infos(at)


def test_one_decision_offers_only_the_cohort_rows() -> None:
    young = pd.read_csv(ROOT / "sample_models" / "german_credit.csv")["age_in_years"] < 30
    at = _app("loan", YOUNG)
    at.switch_page("screens/breakdown.py").run()
    at.radio(key="row_filter").set_value("All rows").run()
    offered = {o.split(" · ")[0] for o in at.selectbox(key="row_pick").options}
    assert offered == {f"row {i}" for i in young[young].index}
    assert f"{young.sum():,} of 1,000 rows" in _infos(at)


def test_importance_counts_only_cohort_rows() -> None:
    at = _app("loan", YOUNG)
    at.switch_page("screens/global_importance.py").run()
    captions = re.sub(r"\\(.)", r"\1", " ".join(c.value for c in at.caption))
    assert "rows of the cohort among all 1,000 rows" in captions
    assert len(at.main.get("plotly_chart")) == 4  # bars, beeswarm, SHAP dependence, PDP/ICE
    assert "Partial dependence (scikit-learn)" in captions and "probabilities (0 to 1)" in captions


@pytest.mark.parametrize("demo", ["loan", "diabetes"])
def test_error_analysis_opens_a_node_as_a_cohort(demo: str) -> None:
    at = _app(demo)
    at.switch_page("screens/error_analysis.py").run()
    assert not at.exception, at.exception
    assert len(at.main.get("plotly_chart")) == 2  # the tree and the heat map
    at.button(key=next(b.key for b in at.button if b.key.startswith("open_node_"))).click().run()
    assert not at.exception, at.exception
    followed = at.session_state[cohort_state.ACTIVE]
    assert followed.startswith("Errors: ")
    at.switch_page("screens/performance.py").run()
    assert not at.exception and f"Showing cohort '{followed}'" in _infos(at)


def test_cohort_builder_saves_and_follows() -> None:
    at = _app("loan")
    at.switch_page("screens/cohorts.py").run()
    what = next(s for s in at.selectbox if s.label == "Condition on")
    housing = next(i for i, o in enumerate(what.options) if o == "Housing")
    what.set_value(housing).run()
    at.multiselect[0].set_value(["rent"]).run()
    next(b for b in at.button if b.label == "Add condition").click().run()
    at.text_input(key=cohort_views.NAME).set_value("renters").run()
    next(b for b in at.button if b.label == "Save and follow").click().run()
    assert not at.exception, at.exception
    assert at.session_state[cohort_state.ACTIVE] == "renters"
    saved = at.session_state[state.WORKSPACE].settings
    assert [c.name for c in saved.cohorts] == ["renters"]  # saved with the decision settings
    assert '"cohorts": [' in saved.to_json()
    assert "renters" in " ".join(m.value for m in at.markdown)


def test_a_cohort_on_a_derived_group_and_the_error_follows_on_fairness() -> None:
    wrong_women = Cohort(
        "women the model got wrong",
        (Condition("group", "in", ("female",), column="sex"), Condition("error", "==", True)),
    )
    test = pd.read_csv(ROOT / "sample_models" / "loan_test.csv")
    at = _app("loan", wrong_women)
    at.switch_page("screens/performance.py").run()
    assert not at.exception, at.exception
    shown = _infos(at)
    assert f"of {len(test):,} rows" in shown
    # every row of this cohort is an error: accuracy on it is 0
    accuracy = next(m for m in at.metric if m.label.lower().startswith("accuracy"))
    assert float(accuracy.value) == 0.0


@pytest.mark.parametrize("demo", ["loan", "diabetes"])
def test_overview_prepares_the_whole_model_report(demo: str) -> None:
    from dashboard import model_report_cache

    at = _app(demo)
    at.switch_page("screens/overview.py").run()
    assert not at.exception
    assert not [b for b in at.get("download_button") if b.label == "Download PDF"]
    next(b for b in at.button if b.label == "Prepare the report").click().run()
    assert not at.exception, at.exception
    assert {b.label for b in at.get("download_button")} >= {"Download HTML", "Download PDF"}
    ws = at.session_state[state.WORKSPACE]
    data = model_report_cache.model_report_bytes(ws, model_report_cache.report_sources(ws), "pdf")
    assert data.startswith(b"%PDF-")
