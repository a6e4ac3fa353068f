"""AppTest runs of the model-health pages: performance, fairness, data quality, drift."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import health_cache, state
from dashboard.actions import demo_workspace, uploaded
from explainers.fairness import group_fairness
from tests.conftest import ROOT, SAMPLES, shown

APP = str(ROOT / "dashboard" / "app.py")
HEALTH_PAGES = [
    "screens/performance.py",
    "screens/fairness.py",
    "screens/data_quality.py",
    "screens/drift.py",
]


def _run(ws: state.Workspace, page: str, **session: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state[state.WORKSPACE] = ws
    for key, value in session.items():
        at.session_state[key] = value
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> str:
    boxes = [*at.warning, *at.info, *at.success, *at.markdown, *at.caption]
    return "\n".join(shown(str(box.value)) for box in boxes)


def _csv(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


def _stored_for(ws: state.Workspace, value: object) -> tuple[tuple[str, str], object]:
    return (ws.model.digest, ws.data.digest), value


@pytest.mark.parametrize("page", HEALTH_PAGES)
def test_every_health_page_runs_on_the_loan_demo_without_errors(page: str) -> None:
    at = _run(demo_workspace("loan"), page)
    assert not at.error, [e.value for e in at.error]
    assert at.main.get("plotly_chart"), f"{page} drew no chart"
    assert at.caption, "every chart needs its sentence"


def test_performance_on_the_loan_demo_flags_overfitting_and_has_the_threshold() -> None:
    at = _run(demo_workspace("loan"), "screens/performance.py")
    assert len(at.main.get("plotly_chart")) == 5  # comparison, sweep, ROC, calibration, confusion
    assert [m.label for m in at.metric] == [
        "ROC AUC", "Accuracy", "Precision", "Recall", "F1", "Brier score",
    ]  # fmt: skip
    text = _texts(at)
    assert "The model looks overfitted" in text
    assert "loan_test.csv" in text and "loan_train.csv" in text
    assert len(at.slider) == 1
    assert "At threshold **0.50**" in text


def test_the_threshold_slider_changes_the_approval_rate() -> None:
    at = _run(demo_workspace("loan"), "screens/performance.py")
    before = [m.value for m in at.markdown if "At threshold" in m.value][0]
    at.slider[0].set_value(0.8).run()
    assert not at.exception
    after = [m.value for m in at.markdown if "At threshold" in m.value][0]
    assert "**0.80**" in after and after != before
    assert at.session_state[health_cache.THRESHOLD] == pytest.approx(0.8)


def test_the_threshold_carries_over_to_the_fairness_page() -> None:
    at = _run(demo_workspace("loan"), "screens/performance.py")
    at.slider(key="performance_threshold").set_value(0.7).run()
    at.switch_page("screens/fairness.py").run()
    assert not at.exception
    assert at.slider(key="fairness_threshold").value == pytest.approx(0.7)
    assert "at threshold 0.70" in _texts(at)


def test_performance_on_the_regression_demo_shows_residuals() -> None:
    at = _run(demo_workspace("diabetes"), "screens/performance.py")
    assert not at.error
    assert [m.label for m in at.metric] == ["R²", "RMSE", "MAE"]
    assert len(at.main.get("plotly_chart")) == 1
    assert not at.slider
    assert health_cache.NO_TRAINING in _texts(at)
    assert [box.icon for box in at.info] == [":material/attach_file:"]


def test_uploaded_training_data_is_compared_with_the_test_data() -> None:
    ws = demo_workspace("diabetes")
    frame = pd.read_csv(SAMPLES / "diabetes.csv")
    training = uploaded("diabetes_train.csv", _csv(frame.iloc[:300]))
    stored = {health_cache.TRAINING_DATA: _stored_for(ws, training)}
    at = _run(ws, "screens/performance.py", **stored)
    assert not at.error
    assert len(at.main.get("plotly_chart")) == 2
    assert "diabetes_train.csv" in _texts(at)
    assert health_cache.NO_TRAINING not in _texts(at)


def test_a_column_marking_the_split_gives_training_against_test() -> None:
    frame = pd.read_csv(SAMPLES / "diabetes.csv")
    frame["split"] = ["train" if i % 3 else "test" for i in range(len(frame))]
    ws = demo_workspace("diabetes").with_options(data=uploaded("marked.csv", _csv(frame)))
    at = _run(ws, "screens/performance.py")
    at.selectbox(key="health_split_column").set_value("split").run()
    assert not at.exception
    at.selectbox(key="health_split_test").set_value("test").run()
    at.selectbox(key="health_split_train").set_value("train").run()
    assert not at.error
    text = _texts(at)
    assert "rows of marked.csv marked 'test'" in text
    assert "148 rows with a known outcome" in text
    assert len(at.main.get("plotly_chart")) == 2


@pytest.mark.parametrize("page", ["screens/performance.py", "screens/fairness.py"])
def test_without_a_target_the_pages_say_what_to_pick(page: str) -> None:
    at = _run(demo_workspace("loan").with_options(target=None), page)
    assert not at.error
    assert health_cache.NO_TARGET in _texts(at)


def test_fairness_on_the_loan_demo_compares_sex_and_age_bands() -> None:
    at = _run(demo_workspace("loan"), "screens/fairness.py")
    picker = at.multiselect(key="fairness_features")
    assert picker.value == ["sex", "age band"]
    assert "Personal status and sex" in picker.options  # display names, not column names
    assert len(at.main.get("plotly_chart")) == 4  # rates and attribution per feature
    assert len(at.dataframe) == 2
    text = _texts(at)
    assert "Unequal chances of being approved by Age band" in text  # the picker's name
    assert "within the four-fifths rule" in text  # sex
    assert "Small group: 65 and over" in text
    assert "What separates the groups of sex" in text
    assert "'Loan duration (months)'" in text and "duration_in_month" not in text
    assert "Share of each group approved;" in text and "predicted approved" not in text
    labels = [m.label for m in at.metric]
    assert labels.count("Four-fifths rule") == 2
    assert "fails" in [m.value for m in at.metric]


def test_fairness_without_a_feature_asks_for_one() -> None:
    at = _run(demo_workspace("loan"), "screens/fairness.py")
    at.multiselect(key="fairness_features").set_value([]).run()
    assert not at.exception
    assert not at.main.get("plotly_chart")
    assert "Pick at least one sensitive feature" in _texts(at)


def test_fairness_on_a_regression_model_explains_why_not() -> None:
    at = _run(demo_workspace("diabetes"), "screens/fairness.py")
    assert health_cache.NOT_CLASSIFIER in _texts(at)
    assert not at.main.get("plotly_chart")


@pytest.mark.parametrize("demo", ["loan", "diabetes"])
def test_data_quality_shows_findings_with_severity(demo: str) -> None:
    at = _run(demo_workspace(demo), "screens/data_quality.py")
    assert not at.error
    assert len(at.main.get("plotly_chart")) == 2
    assert [m.label for m in at.metric] == [
        ":material/error: High concern", ":material/warning: Medium concern",
        ":material/info: Minor", ":material/check_circle: For information",
    ]  # fmt: skip
    text = _texts(at)
    if demo == "loan":
        assert "**Minor: Extreme values in credit_amount.**" in text
        assert "against training data loan_train.csv" in text
        assert at.radio(key="quality_source").options == [
            "Test data", "Training data", "Current data",
        ]  # fmt: skip
    else:
        assert "No data problems found" in text
        assert not at.radio  # only the test data to check: no choice to offer


def test_data_quality_can_check_the_current_data() -> None:
    at = _run(demo_workspace("loan"), "screens/data_quality.py")
    at.radio(key="quality_source").set_value("Current data").run()
    assert not at.exception and not at.error
    assert "Checked loan_current.csv (demo): 400 rows" in _texts(at)


def test_drift_on_the_loan_demo_finds_the_shift() -> None:
    at = _run(demo_workspace("loan"), "screens/drift.py")
    assert len(at.main.get("plotly_chart")) == 4  # PSI, one feature, predictions, attribution ranks
    text = _texts(at)
    assert "Major shift in Loan duration (months)" in text
    assert "duration_in_month" not in text
    assert "Major shift in model prediction" in text
    assert "Share of rows in each range or category of Loan duration (months)" in text
    assert "german_credit.csv" in text and "loan_current.csv" in text
    assert at.selectbox(key="drift_feature").value == "duration_in_month"


def test_drift_without_current_data_says_what_to_upload() -> None:
    at = _run(demo_workspace("diabetes"), "screens/drift.py")
    assert not at.error
    assert health_cache.NO_CURRENT in _texts(at)
    assert not at.main.get("plotly_chart")


def test_drift_on_uploaded_current_data() -> None:
    ws = demo_workspace("diabetes")
    frame = pd.read_csv(SAMPLES / "diabetes.csv")
    shifted = frame.assign(bmi=frame["bmi"] + frame["bmi"].std())
    current = uploaded("diabetes_now.csv", _csv(shifted))
    at = _run(ws, "screens/drift.py", **{health_cache.CURRENT_DATA: _stored_for(ws, current)})
    assert not at.error
    assert len(at.main.get("plotly_chart")) == 4
    assert "Major shift in bmi" in _texts(at)


def test_current_data_missing_model_columns_gives_a_plain_error() -> None:
    ws = demo_workspace("diabetes")
    frame = pd.read_csv(SAMPLES / "diabetes.csv").drop(columns=["bmi"])
    current = uploaded("broken.csv", _csv(frame))
    at = _run(ws, "screens/drift.py", **{health_cache.CURRENT_DATA: _stored_for(ws, current)})
    assert [e.value for e in at.error] and "bmi" in at.error[0].value


def test_uploads_for_another_workspace_are_ignored() -> None:
    ws = demo_workspace("diabetes")
    other = uploaded("other.csv", _csv(pd.read_csv(SAMPLES / "diabetes.csv")))
    at = _run(ws, "screens/drift.py", **{health_cache.CURRENT_DATA: (("x", "y"), other)})
    assert health_cache.NO_CURRENT in _texts(at)


def test_group_table_gives_whole_percent_values() -> None:
    group = pd.Series(["a"] * 40 + ["b"] * 40, name="g")
    rates = group_fairness([1, 0] * 40, [1, 1, 0, 1] * 20, group)
    table = health_cache.group_table(rates)
    assert list(table.columns) == [
        "Group", "Rows", "Share approved", "True positive rate", "False positive rate", "Accuracy",
    ]  # fmt: skip
    assert table["Share approved"].tolist() == pytest.approx([75.0, 75.0])


@pytest.mark.parametrize(
    "path", [*HEALTH_PAGES, "health_views.py", "health_charts.py", "health_cache.py"]
)
def test_health_pages_use_no_emoji(path: str) -> None:
    """Emoji need a font the browser may lack (an empty box); icons are :material/...: names."""
    text = (ROOT / "dashboard" / path).read_text(encoding="utf-8")
    emoji = [c for c in text if 0x2600 <= ord(c) <= 0x27BF or ord(c) >= 0x1F000 or c == "\ufe0f"]
    assert not emoji, f"{path} uses {emoji}"
