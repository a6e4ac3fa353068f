"""Two models compared: numbers against scikit-learn and fairlearn computed directly,
the disagreement list against a direct count, the CLI, the page and the report section."""

from __future__ import annotations

import html
import re
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from fairlearn.metrics import MetricFrame, selection_rate, true_positive_rate
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    log_loss,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)
from streamlit.testing.v1 import AppTest

from dashboard import state
from dashboard.actions import demo_workspace
from dashboard.cli import main
from dashboard.report import report_html
from explainers.decision import summarise_decision
from explainers.decision_settings import sensitive_groups
from explainers.errors import DataValidationError
from explainers.loading import load_files
from explainers.model_comparison import (
    CSV_COLUMNS,
    REGRESSION_TOLERANCE,
    check_comparable,
    compare_models,
    compare_performance,
    find_disagreements,
)
from explainers.results import Attribution, global_importance
from sample_models import DEMOS
from tests.conftest import ROOT, SAMPLES, error_lines

LOAN, DIABETES = DEMOS["loan"], DEMOS["diabetes"]
SETTINGS = LOAN.settings()
APP = str(ROOT / "dashboard" / "app.py")


def _skops(path: Path) -> object:
    return sio.load(path, trusted=sio.get_untrusted_types(file=path))


@pytest.fixture(scope="module")
def loan() -> dict[str, object]:
    """Both loan models' probabilities of "good" on the held-out rows, straight from sklearn."""
    test = pd.read_csv(SAMPLES / "loan_test.csv")
    X = test.drop(columns=[LOAN.target])
    champion = joblib.load(SAMPLES / LOAN.model_file)  # our own bundled file
    challenger = _skops(SAMPLES / "loan_challenger.skops")
    k = list(champion.classes_).index("good")
    return {
        "frame": test,
        "y": test[LOAN.target].to_numpy(str),
        "a": champion.predict_proba(X),
        "b": challenger.predict_proba(X),
        "k": k,
        "labels": tuple(str(c) for c in champion.classes_),
    }


def test_binary_metrics_equal_scikit_learn(loan: dict) -> None:
    y, a, b, k = loan["y"], loan["a"], loan["b"], loan["k"]
    result = compare_performance(
        y, a, b, task="binary", class_labels=loan["labels"], favourable_index=k,
        threshold_a=0.5, threshold_b=0.6, n_boot=200,
    )  # fmt: skip
    positive = y == "good"
    expected = {
        "AUC": (roc_auc_score(positive, a[:, k]), roc_auc_score(positive, b[:, k])),
        "Accuracy at each model's threshold": (
            accuracy_score(positive, a[:, k] >= 0.5),
            accuracy_score(positive, b[:, k] >= 0.6),
        ),
        "Brier score (calibration)": (
            brier_score_loss(positive, a[:, k]),
            brier_score_loss(positive, b[:, k]),
        ),
        "Log loss": (log_loss(positive, a[:, k]), log_loss(positive, b[:, k])),
    }
    assert [m.name for m in result.metrics] == list(expected)
    for m in result.metrics:
        np.testing.assert_allclose((m.a, m.b), expected[m.name], rtol=1e-12)
        assert m.low <= m.difference <= m.high or not m.certain


def test_paired_bootstrap_equals_a_plain_loop_over_scikit_learn(loan: dict) -> None:
    """The vectorised bootstrap scores the same draws as sklearn would, one by one."""
    y, a, b, k = loan["y"], loan["a"], loan["b"], loan["k"]
    n_boot = 200
    result = compare_performance(
        y, a, b, task="binary", class_labels=loan["labels"], favourable_index=k, n_boot=n_boot,
        random_state=3,
    )  # fmt: skip
    draws = np.random.default_rng(3).integers(0, len(y), size=(n_boot, len(y)))
    positive = y == "good"
    diffs = [
        roc_auc_score(positive[d], b[d, k]) - roc_auc_score(positive[d], a[d, k]) for d in draws
    ]
    auc = result.metrics[0]
    np.testing.assert_allclose((auc.low, auc.high), np.quantile(diffs, [0.025, 0.975]), rtol=1e-9)


def test_fairness_side_by_side_equals_fairlearn(loan: dict) -> None:
    frame, a, b, k = loan["frame"], loan["a"], loan["b"], loan["k"]
    groups = {f: sensitive_groups(SETTINGS, frame, f) for f in SETTINGS.sensitive}
    comparison = compare_models(
        name_a="A", name_b="B", task="binary", class_labels=loan["labels"],
        row_ids=list(frame.index), outputs_a=a, outputs_b=b, settings=SETTINGS,
        y_true=frame[LOAN.target], groups=groups, threshold_a=0.5, threshold_b=0.55, n_boot=50,
    )  # fmt: skip
    truth = loan["y"] == "good"
    assert [f.feature for f in comparison.fairness] == ["sex", "Age band"]  # as pages name them
    for feature, fairness in zip(SETTINGS.sensitive, comparison.fairness, strict=True):
        sensitive = groups[feature].astype(str)
        for result, outputs, threshold in ((fairness.a, a, 0.5), (fairness.b, b, 0.55)):
            decided = outputs[:, k] >= threshold
            frame_ = MetricFrame(
                metrics={"sel": selection_rate, "tpr": true_positive_rate},
                y_true=truth, y_pred=decided, sensitive_features=sensitive,
            )  # fmt: skip
            by_group = frame_.by_group.loc[list(result.groups)]
            np.testing.assert_allclose(result.selection_rate, by_group["sel"], rtol=1e-12)
            np.testing.assert_allclose(result.true_positive_rate, by_group["tpr"], rtol=1e-12)
        assert "selection rate A" in fairness.table().columns


def test_disagreements_equal_a_direct_count(loan: dict) -> None:
    a, b, k = loan["a"], loan["b"], loan["k"]
    result = find_disagreements(
        list(range(len(a))), a, b, task="binary", class_labels=loan["labels"], settings=SETTINGS,
        threshold_a=0.5, threshold_b=0.5,
    )  # fmt: skip
    approve_a, approve_b = a[:, k] >= 0.5, b[:, k] >= 0.5
    only_b = int(np.sum(approve_b & ~approve_a))
    only_a = int(np.sum(approve_a & ~approve_b))
    assert (result.n_only_b_favourable, result.n_only_a_favourable) == (only_b, only_a)
    assert result.n_differ == only_a + only_b > 0
    assert result.sentences[0] == (
        f"{only_b} applicants approved by the challenger and refused by the champion."
    )
    assert list(result.table.columns) == list(CSV_COLUMNS)
    np.testing.assert_array_equal(result.table["differs"], approve_a != approve_b)
    np.testing.assert_allclose(result.table["prediction_b"], b[:, k])
    assert set(result.table["label_a"]) <= {"good", "bad"}


def test_regression_comparison_equals_scikit_learn() -> None:
    data = pd.read_csv(SAMPLES / DIABETES.data_file)
    X, y = data.drop(columns=["target"]), data["target"].to_numpy(float)
    a = joblib.load(SAMPLES / DIABETES.model_file).predict(X)[:, None]
    b = _skops(SAMPLES / "diabetes_challenger.skops").predict(X)[:, None]
    result = compare_performance(y, a, b, task="regression", n_boot=100)
    expected = {
        "Mean absolute error": (mean_absolute_error(y, a), mean_absolute_error(y, b)),
        "Root mean squared error": (root_mean_squared_error(y, a), root_mean_squared_error(y, b)),
        "R²": (r2_score(y, a), r2_score(y, b)),
    }
    for m in result.metrics:
        np.testing.assert_allclose((m.a, m.b), expected[m.name], rtol=1e-12)
    differences = find_disagreements(list(data.index), a, b, task="regression")
    tolerance = REGRESSION_TOLERANCE * np.std(a[:, 0])
    assert differences.n_differ == int(np.sum(np.abs(a[:, 0] - b[:, 0]) > tolerance))


def test_importance_side_by_side_keeps_features_and_order() -> None:
    names = ["a", "b", "c"]
    att_a = Attribution.from_values([[3.0, 1.0, 0.0], [-3.0, 1.0, 0.5]], feature_names=names)
    att_b = Attribution.from_values([[0.5, 2.0, 4.0], [0.5, -2.0, 4.0]], feature_names=names)
    comparison = compare_models(
        name_a="A", name_b="B", task="regression", class_labels=(), row_ids=[0, 1],
        outputs_a=np.zeros((2, 1)), outputs_b=np.zeros((2, 1)), settings=SETTINGS,
        attribution_a=att_a, attribution_b=att_b,
    )  # fmt: skip
    importance = comparison.importance
    assert importance is not None
    assert importance.feature_names == ("c", "a", "b")  # by the larger of the two
    ga = dict(
        zip(*(lambda g: (g.feature_names, g.mean_abs))(global_importance(att_a)), strict=True)
    )
    np.testing.assert_allclose(importance.importance_a, [ga["c"], ga["a"], ga["b"]])
    np.testing.assert_array_equal(importance.rank_a, [3, 1, 2])
    np.testing.assert_array_equal(importance.rank_b, [1, 3, 2])
    assert any("moved from 1st (champion) to 3rd (challenger)" in f for f in importance.findings)


def test_models_that_cannot_be_compared_are_refused() -> None:
    with pytest.raises(DataValidationError, match="a binary classifier and a regressor"):
        check_comparable("binary", ("bad", "good"), "regression", ("prediction",))
    with pytest.raises(DataValidationError, match="different classes"):
        check_comparable("binary", ("bad", "good"), "binary", ("no", "yes"))


def test_cli_compare_writes_csv_and_an_offline_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], loan: dict
) -> None:
    models = [str(SAMPLES / LOAN.model_file), str(SAMPLES / "loan_challenger.skops")]
    data = str(SAMPLES / "loan_test.csv")
    out = tmp_path / "cmp.csv"
    assert main(["compare", *models, data, "--target", LOAN.target, "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == list(CSV_COLUMNS) and len(table) == len(loan["y"])
    k = loan["k"]
    direct = int(np.sum((loan["a"][:, k] >= 0.5) != (loan["b"][:, k] >= 0.5)))
    assert int(table["differs"].sum()) == direct
    assert "applicants approved by the challenger" in capsys.readouterr().out
    page = tmp_path / "cmp.html"
    assert main(["compare", *models, data, "--target", LOAN.target, "--out", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text
    assert not re.search(r"<(script|img|iframe|link)[^>]*\s(src|href)=", text)
    plain = html.unescape(text)
    for heading in ("Performance", "Fairness by sex", "What matters to each model",
                    f"The rows decided differently ({direct})"):  # fmt: skip
        assert heading in plain
    assert plain.count("<details>") == min(direct, 10)


def test_cli_compare_refuses_a_classifier_against_a_regressor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["compare", str(SAMPLES / LOAN.model_file), str(SAMPLES / DIABETES.model_file),
            str(SAMPLES / LOAN.data_file), "--out", str(tmp_path / "x.csv")]  # fmt: skip
    assert main(argv) == 2
    err = error_lines(capsys.readouterr().err.strip())
    assert len(err) == 1 and err[0].startswith("error: ")
    assert main([*argv[:-1], str(tmp_path / "x.txt")]) == 2


def test_decision_report_gets_a_comparison_section() -> None:
    champion = load_files(SAMPLES / LOAN.model_file, SAMPLES / LOAN.data_file, target=LOAN.target)
    challenger = load_files(
        SAMPLES / "loan_challenger.skops", SAMPLES / LOAN.data_file, target=LOAN.target
    )
    a = champion.bundle.predict_output(champion.X)[:, 1]
    b = challenger.bundle.predict_output(challenger.X)[:, 1]
    row = int(np.flatnonzero((a < 0.5) & (b >= 0.5))[0])
    first = summarise_decision(champion, row, settings=SETTINGS)
    second = summarise_decision(challenger, row, settings=SETTINGS)
    text = html.unescape(report_html(first, challenger=second))
    assert "Two models compared on this case" in text
    assert "The two models decide differently: the champion says refused" in text
    assert "the challenger approved" in text


@pytest.mark.parametrize("demo", ["loan", "diabetes"])
def test_compare_page_with_the_bundled_challenger(demo: str) -> None:
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state[state.WORKSPACE] = demo_workspace(demo)
    at.switch_page("screens/compare.py").run()
    assert not at.exception
    at.button(key="bundled_challenger").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    text = " ".join(m.value for m in at.markdown)
    noun = "applicants" if demo == "loan" else "patients"
    assert noun in text
    charts = at.get("plotly_chart")
    assert len(charts) >= (6 if demo == "loan" else 4)  # metrics, groups, importance, two rows


def test_cli_report_with_a_challenger(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "two.html"
    argv = ["report", str(SAMPLES / LOAN.model_file), str(SAMPLES / LOAN.data_file), "--row", "17",
            "--challenger", str(SAMPLES / "loan_challenger.skops"), "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    text = html.unescape(out.read_text(encoding="utf-8"))
    assert "Two models compared on this case" in text and "loan_challenger.skops" in text
    argv[argv.index("--challenger") + 1] = str(SAMPLES / DIABETES.model_file)
    capsys.readouterr()
    assert main(argv) == 2
    err = error_lines(capsys.readouterr().err.strip())
    assert len(err) == 1 and err[0].startswith("error: The dataset is missing"), err


def test_one_disagreement_is_worded_in_the_singular() -> None:
    a = np.array([[0.6, 0.4], [0.3, 0.7], [0.8, 0.2]])
    b = np.array([[0.4, 0.6], [0.3, 0.7], [0.8, 0.2]])  # only the first row changes side
    result = find_disagreements(
        [0, 1, 2], a, b, task="binary", class_labels=("bad", "good"), settings=SETTINGS,
        threshold_a=0.5, threshold_b=0.5,
    )  # fmt: skip
    assert result.sentences[:2] == (
        "1 applicant approved by the challenger and refused by the champion.",
        "0 applicants approved by the champion and refused by the challenger.",
    )
