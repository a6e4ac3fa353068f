"""AppTest runs of the explanation pages on the demos and on uploaded models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import cache, state
from dashboard.actions import demo_workspace
from dashboard.decision_views import ALL, HIGHEST
from explainers.overview import describe_importance
from explainers.results import GlobalImportance
from explainers.what_if import controls_for
from tests.conftest import ROOT, shown

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
    return list(at.main.get("plotly_chart"))


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


def test_what_if_uses_a_select_box_for_a_two_value_column_and_plain_slider_values() -> None:
    at = _app(demo_workspace("diabetes"))
    at.switch_page("screens/what_if.py").run()
    assert not at.exception, at.exception
    assert "sex" in [s.label for s in at.selectbox]
    assert "sex" not in [s.label for s in at.slider]
    assert next(s for s in at.selectbox if s.label == "sex").options == ["1", "2"]
    # "%g" formats: "101", not "101.00" next to "87"; s5 keeps its four decimals
    assert {s.label: s.proto.format for s in at.slider if "g" in s.proto.format} == {
        "s5": "%.5g",
        "bmi": "%.3g",
        "bp": "%.5g",
        "s2": "%.4g",
        "s3": "%.3g",
        "s4": "%.3g",
    }


def test_controls_for_picks_select_boxes_and_steps_from_the_data() -> None:
    X = pd.DataFrame(
        {
            "sex": [1.0, 2.0] * 5,
            "rate": [1, 2, 3, 4, 1, 2, 3, 4, 1, 2],
            "s5": np.linspace(3.2581, 6.107, 10).round(4),
            "age": np.arange(20, 30),
            "kind": list("abababab") + ["c", "c"],
        }
    )
    controls = {c.column: c for c in controls_for(X)}
    assert controls["sex"].kind == "select" and controls["sex"].options == (1, 2)
    assert controls["rate"].options == (1, 2, 3, 4)
    assert (controls["s5"].kind, controls["s5"].step) == ("slider_float", 0.0001)
    assert (controls["age"].kind, controls["age"].low, controls["age"].high) == (
        "slider_int",
        20.0,
        29.0,
    )
    assert controls["kind"].options == ("a", "b", "c")


def test_regression_breakdown_filters_highest_predictions_and_speaks_in_model_units() -> None:
    at = _app(demo_workspace("diabetes"))
    at.switch_page("screens/breakdown.py").run()
    show = at.radio(key="row_filter_regression")
    assert show.value == ALL
    show.set_value(HIGHEST).run()
    assert not at.exception, at.exception
    scores = [float(o.rsplit(" ", 1)[1]) for o in at.selectbox(key="row_pick").options]
    assert scores == sorted(scores, reverse=True)
    assert 0 < len(scores) < len(cache.prepared(demo_workspace("diabetes")).X) / 2
    captions = " ".join(shown(c.value) for c in at.caption)
    assert "probability" not in captions
    assert "the model's own units" in captions
    decision = at.markdown[0].value
    assert "for predicted value" not in decision and "predicts" in decision


def test_overview_caption_counts_the_columns_shown() -> None:
    at = _app(demo_workspace("diabetes"))
    at.switch_page("screens/overview.py").run()
    assert "The eight columns that move" in " ".join(c.value for c in at.caption)
    six = GlobalImportance(
        feature_names=tuple("abcdef"),
        mean_abs=np.linspace(1, 0.5, 6),
        spread=np.zeros(6),
        n_rows=100,
        method="TreeSHAP",
        output_space="raw",
        output_label="predicted value",
    )
    assert describe_importance(six, top_n=8).startswith("The six columns that move")
    assert describe_importance(six.top(1), top_n=8).startswith("The column that moves")


def test_what_if_words_the_decision_as_the_settings_do_and_as_the_model_decides() -> None:
    import joblib

    from tests.conftest import SAMPLES

    ws = demo_workspace("loan")
    model = joblib.load(SAMPLES / "loan_model.joblib")  # whybox's own file: trusted here
    good = list(model.classes_).index("good")
    at = _app(ws)
    at.switch_page("screens/what_if.py").run()
    row = cache.frame(ws).loc[[at.selectbox(key="row_pick").value]]
    row = row.drop(columns=[ws.target])
    texts = [shown(m.value) for m in at.markdown]

    def outcome(frame: pd.DataFrame) -> str:
        return "approved" if model.predict_proba(frame)[0, good] >= 0.5 else "refused"

    rule = "(threshold 0.50 on the approval score)"
    assert f"Decision: {outcome(row)} {rule}." in texts
    checking = next(s for s in at.selectbox if s.label == "Checking account")
    column = "status_of_existing_checking_account"
    key = f"whatif_{row.index[0]}_{column}"
    tried = 0
    for option in checking.options:
        checking.set_value(option).run()
        edited = row.assign(**{column: at.session_state[key]})  # the value, not its label
        checking = next(s for s in at.selectbox if s.label == "Checking account")
        if edited[column].iloc[0] == row[column].iloc[0]:
            continue
        tried += 1
        texts = [shown(m.value) for m in at.markdown]
        if outcome(edited) != outcome(row):
            expected = f"The decision changes from {outcome(row)} to {outcome(edited)} {rule}."
        else:
            expected = f"The decision stays {outcome(row)} {rule}."
        assert expected in texts, (option, texts)
    assert tried == len(checking.options) - 1
