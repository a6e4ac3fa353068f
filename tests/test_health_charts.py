"""Chart builders: right traces, labels and reference lines from result objects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard import health_charts as charts
from dashboard.chart_style import OKABE_ITO
from explainers.data_quality import check_data_quality
from explainers.drift import attribution_drift, data_drift, prediction_drift
from explainers.fairness import attribution_by_group, group_fairness
from explainers.performance import (
    binary_performance,
    compare_splits,
    multiclass_performance,
    regression_performance,
    threshold_sweep,
)
from explainers.results import Attribution

RNG = np.random.default_rng(0)
Y = RNG.integers(0, 2, 200)
SCORE = np.clip(0.3 * Y + 0.7 * RNG.random(200), 0, 1)
PALETTE = set(OKABE_ITO.values())


@pytest.fixture(scope="module")
def binary():
    return binary_performance(Y, SCORE, positive_label=1)


def test_confusion_matrix(binary):
    fig = charts.confusion_matrix_figure(binary)
    np.testing.assert_array_equal(fig.data[0].z, binary.confusion)
    assert fig.layout.xaxis.title.text == "Predicted class"
    named = np.array(["no", "yes"])[Y]
    multi = multiclass_performance(named, np.c_[1 - SCORE, SCORE], class_labels=["no", "yes"])
    assert list(charts.confusion_matrix_figure(multi).data[0].x) == ["no", "yes"]


def test_roc_and_calibration(binary):
    roc = charts.roc_curve_figure(binary)
    assert f"{binary.roc_auc:.3f}" in roc.data[1].name
    np.testing.assert_allclose(roc.data[1].x, binary.roc_fpr)
    cal = charts.calibration_figure(binary)
    np.testing.assert_allclose(cal.data[1].y, binary.calibration_observed)
    assert "Brier" in cal.layout.title.text


def test_threshold_sweep_marks_threshold():
    sweep = threshold_sweep(Y, SCORE)
    fig = charts.threshold_sweep_figure(sweep, threshold=0.4)
    assert [t.yaxis for t in fig.data] == [None, "y2", "y2"]
    assert fig.layout.shapes[0].x0 == 0.4
    assert {t.line.color for t in fig.data} <= PALETTE
    rows = fig.layout.yaxis2  # whole-number row ticks on the left axis's five gridlines
    assert isinstance(rows.dtick, int) and rows.range == (0, 5 * rows.dtick)
    assert rows.range[1] >= max(sweep.false_approvals.max(), sweep.false_refusals.max())


def test_residuals_are_thinned():
    result = regression_performance(RNG.normal(size=1000), RNG.normal(size=1000))
    fig = charts.residual_figure(result, max_points=100)
    assert len(fig.data[0].x) == 100
    assert "every 10th row" in fig.layout.title.text


def test_split_comparison(binary):
    fig = charts.split_comparison_figure(compare_splits(binary, binary))
    assert len(fig.data) == 2 and fig.layout.barmode == "group"
    assert fig.data[0].x[0] == "ROC AUC<br>(higher is better)"
    assert {t.textposition for t in fig.data} == {"outside"}
    assert fig.layout.yaxis.range[1] > max(fig.data[0].y)  # room for the labels


def test_group_metric_has_four_fifths_line():
    group = pd.Series(np.repeat(["a", "b"], [180, 20]), name="sex")
    fairness = group_fairness(Y, (SCORE > 0.5).astype(int), group)
    fig = charts.group_metric_figure(fairness)
    assert fig.layout.shapes[0].y0 == pytest.approx(0.8 * fairness.selection_rate.max())
    assert "small groups" in fig.layout.title.text
    assert len(set(fig.data[0].marker.color)) == 2
    assert fig.data[0].name == "Share approved" and not fig.layout.annotations
    assert fig.data[1].name.startswith("Four-fifths of the highest rate")
    other = group_fairness(Y, (SCORE > 0.5).astype(int), group, positive_outcome="predicted gold")
    assert charts.group_metric_figure(other).layout.title.text.startswith("Share predicted gold,")
    no_target = group_fairness(None, (SCORE > 0.5).astype(int), group)
    with pytest.raises(ValueError, match="true outcomes"):
        charts.group_metric_figure(no_target, metric="true_positive_rate")


def test_group_attribution():
    group = pd.Series(np.repeat(["a", "b"], 100), name="g")
    result = attribution_by_group(Attribution.from_values(RNG.normal(size=(200, 12))), group)
    fig = charts.group_attribution_figure(result, top_n=5)
    assert len(fig.data) == 2 and len(fig.data[0].y) == 5
    assert fig.data[0].y[-1] == result.feature_names[0]
    named = charts.group_attribution_figure(result, display_names={result.feature_names[0]: "Top"})
    assert named.data[0].y[-1] == "Top"


def test_data_quality_charts():
    report = check_data_quality(pd.DataFrame({"a": [1.0, None, 2.0, 3.0], "b": 1}))
    table = charts.data_quality_table(report)
    words = [charts.SEVERITY_WORDS[f.severity] for f in report.findings]
    assert list(table.data[0].cells.values[0]) == words
    assert "#F0E442" not in table.data[0].cells.fill.color[0]  # tinted, so text stays readable
    assert table.layout.height < 450  # sized to the rows, not Plotly's default
    bar = charts.data_quality_bar(report)
    assert list(bar.data[0].x) == ["High concern", "Medium concern", "Minor", "For information"]
    assert sum(bar.data[0].y) == len(report.findings)
    assert bar.layout.yaxis.dtick == 1  # counts: no 0.2 ticks


def test_drift_charts():
    ref = pd.DataFrame({"x": RNG.normal(size=500), "y": RNG.normal(size=500)})
    cur = ref.assign(x=ref.x + 1)
    drift = data_drift(ref, cur)
    fig = charts.psi_figure(drift, display_names={"x": "Ex"})
    assert sorted(s.x0 for s in fig.layout.shapes) == [0.1, 0.25]
    assert not fig.layout.annotations  # the thresholds are named in the legend
    bars = {t.name: list(t.y) for t in fig.data if t.type == "bar"}
    assert bars == {
        charts.VERDICT_LEGEND["major shift"]: ["Ex"],
        charts.VERDICT_LEGEND["stable"]: ["y"],
    }
    assert list(fig.layout.yaxis.categoryarray) == ["y", "Ex"] and fig.layout.yaxis.dtick == 1
    many = data_drift(
        pd.DataFrame(RNG.normal(size=(100, 20))), pd.DataFrame(RNG.normal(size=(100, 20)))
    )
    assert charts.psi_figure(many).layout.height > fig.layout.height  # room for 20 names
    dist = charts.distribution_figure(drift.feature("x"), display_names={"x": "Ex"})
    np.testing.assert_allclose(dist.data[0].y, drift.feature("x").reference_share)
    assert dist.layout.yaxis.title.text == "Share of rows"
    assert dist.layout.title.text.startswith("Ex: ") and "major shift)" in dist.layout.title.text


def test_prediction_title_agrees_with_the_finding():
    possible = prediction_drift(RNG.beta(2, 2, 60), RNG.beta(2, 3, 20), alpha=1e-12)
    title = charts.distribution_figure(possible.drift).layout.title.text
    assert title.startswith("Model prediction: ")
    assert "possible shift, too few rows to be sure" in title and "major" not in title
    assert possible.findings[0].title == "Possible shift in model prediction"


def test_attribution_drift_chart():
    before = Attribution.from_values(RNG.normal(size=(50, 3)) * [3, 2, 1])
    after = Attribution.from_values(RNG.normal(size=(50, 3)) * [1, 2, 3])
    fig = charts.attribution_drift_figure(
        attribution_drift(before, after), display_names={"x0": "A"}
    )
    assert len(fig.data) == 3
    assert fig.layout.yaxis.autorange == "reversed"
    assert list(fig.data[0].y) == [1, 3] and list(fig.data[0].text) == ["A", "A"]
    assert fig.data[1].line.color == charts.UNCHANGED_RANK_COLOUR


def test_wrong_result_type_is_refused(binary):
    with pytest.raises(TypeError, match="roc_curve_figure takes BinaryPerformance"):
        charts.roc_curve_figure(threshold_sweep(Y, SCORE))
