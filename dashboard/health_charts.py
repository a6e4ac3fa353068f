"""Plotly chart builders for the model-health pages: performance, fairness, data quality, drift.

Every builder takes a result object from ``explainers`` and returns a
``go.Figure`` (never shown here), so the pages and the exported report draw
the same charts. No Streamlit import. Colours are the Okabe-Ito palette,
which stays distinguishable with the common colour-vision deficiencies.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import plotly.graph_objects as go

from explainers.data_quality import SEVERITIES, DataQualityReport
from explainers.drift import PSI_MAJOR, PSI_MODERATE, AttributionDrift, DataDrift, FeatureDrift
from explainers.fairness import FOUR_FIFTHS, GroupAttribution, GroupFairness
from explainers.performance import (
    BinaryPerformance,
    MulticlassPerformance,
    RegressionPerformance,
    SplitComparison,
    ThresholdSweep,
)

OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}
SERIES_COLOURS: tuple[str, ...] = (
    OKABE_ITO["blue"],
    OKABE_ITO["orange"],
    OKABE_ITO["bluish green"],
    OKABE_ITO["reddish purple"],
    OKABE_ITO["sky blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["yellow"],
    OKABE_ITO["black"],
)
SEVERITY_COLOURS: dict[str, str] = {
    "high": OKABE_ITO["vermillion"],
    "medium": OKABE_ITO["orange"],
    "low": OKABE_ITO["yellow"],
    "info": OKABE_ITO["sky blue"],
}
LEVEL_COLOURS: dict[str, str] = {
    "stable": OKABE_ITO["bluish green"],
    "moderate": OKABE_ITO["orange"],
    "major": OKABE_ITO["vermillion"],
}
GroupMetric = Literal["selection_rate", "true_positive_rate", "false_positive_rate", "accuracy"]
GROUP_METRICS: dict[str, str] = {
    "selection_rate": "Share predicted {outcome}",
    "true_positive_rate": "Share {outcome} among true positives",
    "false_positive_rate": "Share {outcome} among true negatives",
    "accuracy": "Share predicted correctly",
}

_WRONG_RESULT = "{builder} takes {expected}, got {got}."
_NO_TARGET_METRIC = "{metric} needs true outcomes, but this fairness result was computed without."


def _check(result: object, expected: type | tuple[type, ...], builder: str) -> None:
    if not isinstance(result, expected):
        names = (
            " or ".join(t.__name__ for t in expected)
            if isinstance(expected, tuple)
            else expected.__name__
        )
        raise TypeError(
            _WRONG_RESULT.format(builder=builder, expected=names, got=type(result).__name__)
        )


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(
        title=title,
        xaxis_title=x_title,
        yaxis_title=y_title,
        template="plotly_white",
        legend_title_text="",
    )
    return fig


def confusion_matrix_figure(result: BinaryPerformance | MulticlassPerformance) -> go.Figure:
    """Heatmap of true against predicted classes, with the count in each cell."""
    _check(result, (BinaryPerformance, MulticlassPerformance), "confusion_matrix_figure")
    if isinstance(result, BinaryPerformance):
        labels = [f"not {result.positive_label}", result.positive_label]
        subtitle = f" (threshold {result.threshold:.2f})"
    else:
        labels = list(result.class_labels)
        subtitle = ""
    counts = result.confusion
    fig = go.Figure(
        go.Heatmap(
            z=counts,
            x=labels,
            y=labels,
            text=counts,
            texttemplate="%{text}",
            colorscale=[[0.0, "#FFFFFF"], [1.0, OKABE_ITO["blue"]]],
            hovertemplate="True: %{y}<br>Predicted: %{x}<br>Rows: %{z}<extra></extra>",
            colorbar={"title": "Rows"},
        )
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, f"Predicted against true class{subtitle}", "Predicted class", "True class")


def roc_curve_figure(result: BinaryPerformance) -> go.Figure:
    """ROC curve with the chance diagonal; the legend gives the AUC."""
    _check(result, BinaryPerformance, "roc_curve_figure")
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name="Guessing at random",
            line={"color": OKABE_ITO["black"], "dash": "dash"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=result.roc_fpr,
            y=result.roc_tpr,
            mode="lines",
            name=f"Model (AUC {result.roc_auc:.3f})",
            line={"color": OKABE_ITO["blue"]},
        )
    )
    return _layout(
        fig,
        "How well the model separates the two classes (ROC curve)",
        f"Share of not-{result.positive_label} wrongly predicted {result.positive_label}",
        f"Share of {result.positive_label} correctly predicted",
    )


def calibration_figure(result: BinaryPerformance) -> go.Figure:
    """Predicted probability against observed frequency, per bin, with the ideal line."""
    _check(result, BinaryPerformance, "calibration_figure")
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name="Perfectly calibrated",
            line={"color": OKABE_ITO["black"], "dash": "dash"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=result.calibration_predicted,
            y=result.calibration_observed,
            mode="lines+markers",
            name="Model",
            customdata=result.calibration_count,
            hovertemplate="Predicted %{x:.2f}<br>Observed %{y:.2f}<br>%{customdata} rows"
            "<extra></extra>",
            line={"color": OKABE_ITO["blue"]},
        )
    )
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(range=[0, 1])
    return _layout(
        fig,
        f"Do predicted probabilities match reality? (Brier score {result.brier:.3f})",
        f"Predicted probability of {result.positive_label}",
        f"Observed share of {result.positive_label}",
    )


def threshold_sweep_figure(sweep: ThresholdSweep, *, threshold: float | None = None) -> go.Figure:
    """Approval rate (left axis) and both error counts (right axis) against the threshold."""
    _check(sweep, ThresholdSweep, "threshold_sweep_figure")
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=sweep.thresholds,
            y=sweep.approval_rate,
            name="Approval rate",
            line={"color": OKABE_ITO["blue"]},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=sweep.thresholds,
            y=sweep.false_approvals,
            name=f"False approvals (approved, not {sweep.positive_label})",
            yaxis="y2",
            line={"color": OKABE_ITO["vermillion"], "dash": "dot"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=sweep.thresholds,
            y=sweep.false_refusals,
            name=f"False refusals (refused, but {sweep.positive_label})",
            yaxis="y2",
            line={"color": OKABE_ITO["orange"], "dash": "dash"},
        )
    )
    fig.update_layout(
        yaxis={"range": [0, 1], "tickformat": ".0%"},
        yaxis2={"title": "Rows", "overlaying": "y", "side": "right", "rangemode": "tozero"},
        legend={"orientation": "h", "yanchor": "top", "y": -0.2},
    )
    if threshold is not None:
        fig.add_vline(
            x=threshold,
            line={"color": OKABE_ITO["black"], "dash": "dash"},
            annotation_text=f"threshold {threshold:.2f}",
        )
    return _layout(
        fig,
        f"What each threshold would do ({sweep.n_rows:,} rows)",
        f"Threshold on the probability of {sweep.positive_label}",
        "Share approved",
    )


def residual_figure(result: RegressionPerformance, *, max_points: int = 5000) -> go.Figure:
    """Residuals against predictions, thinned evenly to ``max_points`` for large data."""
    _check(result, RegressionPerformance, "residual_figure")
    step = max(1, int(np.ceil(result.n_rows / max_points)))
    shown = slice(None, None, step)
    fig = go.Figure(
        go.Scatter(
            x=result.y_pred[shown],
            y=result.residuals[shown],
            mode="markers",
            name="Rows",
            marker={"color": OKABE_ITO["blue"], "opacity": 0.6},
        )
    )
    fig.add_hline(y=0, line={"color": OKABE_ITO["black"], "dash": "dash"})
    note = f", every {step}th row shown" if step > 1 else ""
    return _layout(
        fig,
        f"Errors against predictions (RMSE {result.rmse:.4g}, R² {result.r2:.3f}{note})",
        "Predicted value",
        "True minus predicted value",
    )


def split_comparison_figure(comparison: SplitComparison) -> go.Figure:
    """Each headline metric on training and test data, side by side."""
    _check(comparison, SplitComparison, "split_comparison_figure")
    labels = [
        f"{name} ({'higher' if up else 'lower'} is better)"
        for name, up in zip(comparison.metric_names, comparison.higher_is_better, strict=True)
    ]
    fig = go.Figure()
    for name, values, colour in (
        (f"Training data ({comparison.n_train:,} rows)", comparison.train, OKABE_ITO["orange"]),
        (f"Test data ({comparison.n_test:,} rows)", comparison.test, OKABE_ITO["blue"]),
    ):
        fig.add_trace(
            go.Bar(
                x=labels,
                y=values,
                name=name,
                marker_color=colour,
                text=[f"{v:.3f}" for v in values],
            )
        )
    fig.update_layout(barmode="group")
    return _layout(fig, "Training against test performance", "Metric", "Value")


def group_metric_figure(
    fairness: GroupFairness, *, metric: GroupMetric = "selection_rate"
) -> go.Figure:
    """One rate per group; for approval rates, a line at four-fifths of the highest."""
    _check(fairness, GroupFairness, "group_metric_figure")
    if metric not in GROUP_METRICS:
        raise ValueError(f"metric must be one of {sorted(GROUP_METRICS)}, got {metric!r}.")
    values = getattr(fairness, metric)
    label = GROUP_METRICS[metric].format(outcome=fairness.positive_outcome)
    if values is None:
        raise ValueError(_NO_TARGET_METRIC.format(metric=label))
    small = set(fairness.small_groups)
    colours = [OKABE_ITO["sky blue"] if g in small else OKABE_ITO["blue"] for g in fairness.groups]
    fig = go.Figure(
        go.Bar(
            x=[f"{g} ({n:,} rows)" for g, n in zip(fairness.groups, fairness.count, strict=True)],
            y=values,
            marker_color=colours,
            text=[f"{v:.0%}" for v in values],
            name=label,
        )
    )
    if metric == "selection_rate":
        line = FOUR_FIFTHS * float(np.nanmax(values))
        fig.add_hline(
            y=line,
            line={"color": OKABE_ITO["vermillion"], "dash": "dash"},
            annotation_text="four-fifths of the highest rate",
        )
    fig.update_yaxes(range=[0, 1], tickformat=".0%")
    title = f"{label}, by {fairness.feature}"
    if small:
        title += " (lighter bars: small groups, treat as rough)"
    return _layout(fig, title, fairness.feature.capitalize(), label)


def group_attribution_figure(group_attribution: GroupAttribution, *, top_n: int = 10) -> go.Figure:
    """Mean attribution per group for the features that differ most between groups."""
    _check(group_attribution, GroupAttribution, "group_attribution_figure")
    names = list(group_attribution.feature_names[:top_n])[::-1]
    fig = go.Figure()
    for i, group in enumerate(group_attribution.groups):
        fig.add_trace(
            go.Bar(
                y=names,
                x=group_attribution.mean[i, :top_n][::-1],
                orientation="h",
                name=f"{group} ({group_attribution.count[i]:,} rows)",
                marker_color=SERIES_COLOURS[i % len(SERIES_COLOURS)],
            )
        )
    fig.update_layout(barmode="group")
    return _layout(
        fig,
        f"Which features push each group of {group_attribution.feature} differently",
        f"Average effect on the {group_attribution.output_label} "
        f"({group_attribution.output_space} units)",
        "Feature",
    )


def data_quality_table(report: DataQualityReport) -> go.Figure:
    """Every finding as a table row, coloured by severity."""
    _check(report, DataQualityReport, "data_quality_table")
    findings = report.findings
    fig = go.Figure(
        go.Table(
            columnwidth=[1, 2, 2, 6],
            header={"values": ["Severity", "Column", "Finding", "What it means"]},
            cells={
                "values": [
                    [f.severity for f in findings],
                    [f.column or "(whole table)" for f in findings],
                    [f.title for f in findings],
                    [f.sentence for f in findings],
                ],
                "fill_color": [[SEVERITY_COLOURS[f.severity] for f in findings], "white"],
                "align": "left",
            },
        )
    )
    fig.update_layout(
        title=f"Data checks on {report.n_rows:,} rows and {report.n_columns} columns",
        template="plotly_white",
    )
    return fig


def data_quality_bar(report: DataQualityReport) -> go.Figure:
    """Number of findings at each severity."""
    _check(report, DataQualityReport, "data_quality_bar")
    counts = report.counts
    fig = go.Figure(
        go.Bar(
            x=list(SEVERITIES),
            y=[counts[s] for s in SEVERITIES],
            marker_color=[SEVERITY_COLOURS[s] for s in SEVERITIES],
            text=[counts[s] for s in SEVERITIES],
            name="Findings",
        )
    )
    return _layout(fig, "Data findings by severity", "Severity", "Number of findings")


def psi_figure(drift: DataDrift, *, top_n: int = 20) -> go.Figure:
    """PSI per feature, most drifted on top, with the 0.1 and 0.25 thresholds."""
    _check(drift, DataDrift, "psi_figure")
    shown = list(drift.features[:top_n])[::-1]
    fig = go.Figure(
        go.Bar(
            y=[d.feature for d in shown],
            x=[d.psi for d in shown],
            orientation="h",
            marker_color=[LEVEL_COLOURS[d.level] for d in shown],
            customdata=[[d.level, d.test, d.p_value] for d in shown],
            hovertemplate="%{y}: PSI %{x:.3f} (%{customdata[0]})<br>"
            "%{customdata[1]} p = %{customdata[2]:.2g}<extra></extra>",
            name="PSI",
        )
    )
    for value, text in ((PSI_MODERATE, "moderate shift"), (PSI_MAJOR, "major shift")):
        fig.add_vline(
            x=value, line={"color": OKABE_ITO["black"], "dash": "dash"}, annotation_text=text
        )
    return _layout(
        fig,
        f"How much each feature changed ({drift.n_reference:,} reference rows, "
        f"{drift.n_current:,} current rows)",
        "Population stability index (PSI)",
        "Feature",
    )


def distribution_figure(drift: FeatureDrift) -> go.Figure:
    """Share of reference and current rows in each bin (or category) of one feature."""
    _check(drift, FeatureDrift, "distribution_figure")
    fig = go.Figure()
    for name, shares, colour in (
        (f"Reference ({drift.n_reference:,} rows)", drift.reference_share, OKABE_ITO["blue"]),
        (f"Current ({drift.n_current:,} rows)", drift.current_share, OKABE_ITO["orange"]),
    ):
        fig.add_trace(
            go.Bar(x=list(drift.bin_labels), y=shares, name=name, marker_color=colour, opacity=0.8)
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%")
    kind = "Range of values" if drift.kind == "numeric" else "Category"
    return _layout(
        fig,
        f"{drift.feature}: reference against current (PSI {drift.psi:.2f}, {drift.level})",
        kind,
        "Share of rows",
    )


def attribution_drift_figure(drift: AttributionDrift, *, top_n: int = 15) -> go.Figure:
    """Slope chart of each feature's importance rank, reference to current."""
    _check(drift, AttributionDrift, "attribution_drift_figure")
    keep = np.minimum(drift.reference_rank, drift.current_rank) <= top_n
    fig = go.Figure()
    for j in np.flatnonzero(keep):
        moved = int(drift.rank_change[j])
        colour = (
            OKABE_ITO["vermillion"]
            if moved < 0
            else OKABE_ITO["bluish green"]
            if moved > 0
            else OKABE_ITO["black"]
        )
        fig.add_trace(
            go.Scatter(
                x=["Reference data", "Current data"],
                y=[int(drift.reference_rank[j]), int(drift.current_rank[j])],
                mode="lines+markers+text",
                text=[drift.feature_names[j], drift.feature_names[j]],
                textposition=["middle left", "middle right"],
                name=drift.feature_names[j],
                line={"color": colour},
                hovertemplate=f"{drift.feature_names[j]}<br>rank %{{y}}<br>"
                f"mean |effect| {drift.reference_mean_abs[j]:.3g} → "
                f"{drift.current_mean_abs[j]:.3g}<extra></extra>",
                showlegend=False,
            )
        )
    fig.update_yaxes(autorange="reversed", dtick=1)
    fig.update_xaxes(range=[-1.2, 2.2])  # room for the feature names beside both ends
    return _layout(
        fig,
        "Feature importance rank, reference against current (green: more important now, red: less)",
        "Dataset",
        "Importance rank (1 = most important)",
    )
