"""Plotly chart builders for the model-health pages: performance, fairness, data quality, drift.

Every builder takes a result object from ``explainers`` and returns a
``go.Figure`` (never shown here), so the pages and the exported report draw
the same charts. No Streamlit import. Text from the data enters a figure only
through :func:`dashboard.text.escape_plotly`. Palette and layout are
:mod:`dashboard.chart_style`'s, as for every other chart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import plotly.graph_objects as go

from dashboard.chart_style import OKABE_ITO, SERIES_COLOURS, layout
from dashboard.text import escape_plotly
from explainers.data_quality import SEVERITIES, DataQualityReport
from explainers.drift import PSI_MAJOR, PSI_MODERATE, AttributionDrift, DataDrift, FeatureDrift
from explainers.fairness import FOUR_FIFTHS, GroupAttribution, GroupFairness
from explainers.naming import feature_label
from explainers.performance import (
    BinaryPerformance,
    MulticlassPerformance,
    RegressionPerformance,
    SplitComparison,
    ThresholdSweep,
)

SEVERITY_COLOURS: dict[str, str] = {
    "high": OKABE_ITO["vermillion"],
    "medium": OKABE_ITO["orange"],
    "low": OKABE_ITO["yellow"],
    "info": OKABE_ITO["sky blue"],
}
SEVERITY_WORDS: dict[str, str] = {
    "high": "High concern",
    "medium": "Medium concern",
    "low": "Minor",
    "info": "For information",
}
# Drift verdicts (FeatureDrift.verdict), in the order the legend lists them.
VERDICT_COLOURS: dict[str, str] = {
    "major shift": OKABE_ITO["vermillion"],
    "moderate shift": OKABE_ITO["orange"],
    "possible shift": OKABE_ITO["sky blue"],
    "stable": OKABE_ITO["bluish green"],
}
VERDICT_LEGEND: dict[str, str] = {
    "major shift": f"Major shift (PSI above {PSI_MAJOR})",
    "moderate shift": f"Moderate shift (PSI {PSI_MODERATE} to {PSI_MAJOR})",
    "possible shift": "Possible shift (too few rows to be sure)",
    "stable": f"Stable (PSI below {PSI_MODERATE})",
}
UNCHANGED_RANK_COLOUR = "#B0B0B0"
GroupMetric = Literal["selection_rate", "true_positive_rate", "false_positive_rate", "accuracy"]
# ``{outcome}`` is GroupFairness.positive_outcome, a participle phrase ("approved",
# "predicted bronze"), so the labels read "Share approved", "Share predicted bronze".
GROUP_METRICS: dict[str, str] = {
    "selection_rate": "Share {outcome}",
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


def _nice_step(raw: float) -> int:
    """The smallest whole step of 1, 2 or 5 times a power of ten that is at least ``raw``."""
    magnitude = 10 ** int(np.floor(np.log10(max(raw, 1.0))))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def _tint(colour: str, share: float = 0.35) -> str:
    """``colour`` mixed with white, light enough for dark text on top."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 - share * (255 - c)):02X}" for c in rgb)


def _legend_line(fig: go.Figure, name: str, dash: str) -> None:
    """A legend entry for a reference line drawn as a shape (shapes have no legend)."""
    fig.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="lines",
            name=name,
            line={"color": OKABE_ITO["black"], "dash": dash},
            hoverinfo="skip",
        )  # fmt: skip
    )


def confusion_matrix_figure(result: BinaryPerformance | MulticlassPerformance) -> go.Figure:
    """Heatmap of true against predicted classes, with the count in each cell."""
    _check(result, (BinaryPerformance, MulticlassPerformance), "confusion_matrix_figure")
    if isinstance(result, BinaryPerformance):
        labels = [
            escape_plotly(f"not {result.positive_label}"),
            escape_plotly(result.positive_label),
        ]
        subtitle = f" (threshold {result.threshold:.2f})"
    else:
        labels = [escape_plotly(label) for label in result.class_labels]
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
    return layout(
        fig,
        title=f"Predicted against true class{subtitle}",
        x_title="Predicted class",
        y_title="True class",
    )


def _diagonal_figure(ideal: str, model: go.Scatter) -> go.Figure:
    """A dashed black line from (0, 0) to (1, 1) named ``ideal``, then the model's line."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name=ideal,
            line={"color": OKABE_ITO["black"], "dash": "dash"},
        )
    )
    fig.add_trace(model)
    return fig


def roc_curve_figure(result: BinaryPerformance) -> go.Figure:
    """ROC curve with the chance diagonal; the legend gives the AUC."""
    _check(result, BinaryPerformance, "roc_curve_figure")
    model = go.Scatter(
        x=result.roc_fpr,
        y=result.roc_tpr,
        mode="lines",
        name=f"Model (AUC {result.roc_auc:.3f})",
        line={"color": OKABE_ITO["blue"]},
    )
    return layout(
        _diagonal_figure("Guessing at random", model),
        title="How well the model separates the two classes (ROC curve)",
        x_title=f"Share of not-{result.positive_label} wrongly predicted {result.positive_label}",
        y_title=f"Share of {result.positive_label} correctly predicted",
    )


def calibration_figure(result: BinaryPerformance) -> go.Figure:
    """Predicted probability against observed frequency, per bin, with the ideal line."""
    _check(result, BinaryPerformance, "calibration_figure")
    model = go.Scatter(
        x=result.calibration_predicted,
        y=result.calibration_observed,
        mode="lines+markers",
        name="Model",
        customdata=result.calibration_count,
        hovertemplate="Predicted %{x:.2f}<br>Observed %{y:.2f}<br>%{customdata} rows"
        "<extra></extra>",
        line={"color": OKABE_ITO["blue"]},
    )
    fig = _diagonal_figure("Perfectly calibrated", model)
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(range=[0, 1])
    return layout(
        fig,
        title=f"Do predicted probabilities match reality? (Brier score {result.brier:.3f})",
        x_title=f"Predicted probability of {result.positive_label}",
        y_title=f"Observed share of {result.positive_label}",
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
            name=escape_plotly(f"False approvals (approved, not {sweep.positive_label})"),
            yaxis="y2",
            line={"color": OKABE_ITO["vermillion"], "dash": "dot"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=sweep.thresholds,
            y=sweep.false_refusals,
            name=escape_plotly(f"False refusals (refused, but {sweep.positive_label})"),
            yaxis="y2",
            line={"color": OKABE_ITO["orange"], "dash": "dash"},
        )
    )
    # Five whole-number steps on the right, so its ticks sit on the left axis's 20% gridlines.
    most = float(max(np.max(sweep.false_approvals), np.max(sweep.false_refusals), 1))
    step = _nice_step(most / 5)
    fig.update_layout(
        yaxis={"range": [0, 1], "tickformat": ".0%", "dtick": 0.2},
        yaxis2={
            "title": "Rows", "overlaying": "y", "side": "right", "range": [0, 5 * step],
            "tickmode": "linear", "tick0": 0, "dtick": step, "showgrid": False,
        },
        legend={"orientation": "h", "yanchor": "top", "y": -0.2},
    )  # fmt: skip
    if threshold is not None:
        fig.add_vline(
            x=threshold,
            line={"color": OKABE_ITO["black"], "dash": "dash"},
            annotation_text=f"threshold {threshold:.2f}",
        )
    return layout(
        fig,
        title=f"What each threshold would do ({sweep.n_rows:,} rows)",
        x_title=f"Threshold on the probability of {sweep.positive_label}",
        y_title="Share approved",
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
    return layout(
        fig,
        title=f"Errors against predictions (RMSE {result.rmse:.4g}, R² {result.r2:.3f}{note})",
        x_title="Predicted value",
        y_title="True minus predicted value",
    )


def split_comparison_figure(comparison: SplitComparison) -> go.Figure:
    """Each headline metric on training and test data, side by side."""
    _check(comparison, SplitComparison, "split_comparison_figure")
    labels = [
        f"{escape_plotly(name)}<br>({'higher' if up else 'lower'} is better)"
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
                textposition="outside",
                cliponaxis=False,
            )
        )
    top = float(np.nanmax([*comparison.train, *comparison.test, 0.0]))
    fig.update_layout(barmode="group", uniformtext={"minsize": 10, "mode": "show"})
    fig.update_yaxes(range=[0, top * 1.15 if top > 0 else 1])  # room for the labels above
    return layout(fig, title="Training against test performance", x_title="Metric", y_title="Value")


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
            x=[
                escape_plotly(f"{g} ({n:,} rows)")
                for g, n in zip(fairness.groups, fairness.count, strict=True)
            ],
            y=values,
            marker_color=colours,
            text=[f"{v:.0%}" for v in values],
            textposition="outside",  # above the bar, clear of the dashed line inside it
            cliponaxis=False,
            name=escape_plotly(label),
        )
    )
    if metric == "selection_rate":
        line = FOUR_FIFTHS * float(np.nanmax(values))
        fig.add_hline(y=line, line={"color": OKABE_ITO["black"], "dash": "dash"})
        _legend_line(fig, f"Four-fifths of the highest rate ({line:.0%})", "dash")
    fig.update_layout(legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0})
    fig.update_yaxes(range=[0, 1.08], tickformat=".0%", dtick=0.2)
    title = f"{label}, by {fairness.feature}"
    if small:
        title += " (lighter bars: small groups, treat as rough)"
    return layout(fig, title=title, x_title=fairness.feature.capitalize(), y_title=label)


def group_attribution_figure(
    group_attribution: GroupAttribution,
    *,
    top_n: int = 10,
    display_names: Mapping[str, str] | None = None,
) -> go.Figure:
    """Mean attribution per group for the features that differ most between groups.

    Parameters
    ----------
    group_attribution : GroupAttribution
        Mean attribution per group, features ordered by their spread between groups.
    top_n : int, default 10
        Features shown, widest spread on top.
    display_names : mapping of str to str, optional
        Human-readable feature names for the axis.

    Returns
    -------
    go.Figure
    """
    _check(group_attribution, GroupAttribution, "group_attribution_figure")
    names = [
        escape_plotly(feature_label(n, display_names))
        for n in group_attribution.feature_names[:top_n]
    ][::-1]
    fig = go.Figure()
    for i, group in enumerate(group_attribution.groups):
        fig.add_trace(
            go.Bar(
                y=names,
                x=group_attribution.mean[i, :top_n][::-1],
                orientation="h",
                name=escape_plotly(f"{group} ({group_attribution.count[i]:,} rows)"),
                marker_color=SERIES_COLOURS[i % len(SERIES_COLOURS)],
            )
        )
    fig.update_layout(barmode="group")
    return layout(
        fig,
        title=f"Which features push each group of {group_attribution.feature} differently",
        x_title=f"Average effect on the {group_attribution.output_label} "
        f"({group_attribution.output_space} units)",
        y_title="Feature",
    )


def data_quality_table(report: DataQualityReport) -> go.Figure:
    """Every finding as a table row, coloured by severity."""
    _check(report, DataQualityReport, "data_quality_table")
    findings = report.findings
    fig = go.Figure(
        go.Table(
            columnwidth=[2, 2, 2, 6],
            header={
                "values": [
                    "<b>Severity</b>",
                    "<b>Column</b>",
                    "<b>Finding</b>",
                    "<b>What it means</b>",
                ],
                "fill_color": "#F0F2F6",
                "align": "left",
                "font": {"color": "#262730"},
            },
            cells={
                "values": [
                    [SEVERITY_WORDS[f.severity] for f in findings],
                    [escape_plotly(f.column or "(whole table)") for f in findings],
                    [escape_plotly(f.title) for f in findings],
                    [escape_plotly(f.sentence) for f in findings],
                ],
                "fill_color": [[_tint(SEVERITY_COLOURS[f.severity]) for f in findings], "white"],
                "font": {"color": "#262730", "size": 13},
                "align": "left",
                "height": 24,
            },
        )  # fmt: skip
    )
    # Rows wrap; size the figure to roughly fit them instead of Plotly's fixed 450 px.
    lines = [
        max(1, -(-len(f.sentence) // 70), -(-len(f.title) // 22), -(-len(f.column or "") // 22))
        for f in findings
    ]
    fig.update_layout(
        title=f"Data checks on {report.n_rows:,} rows and {report.n_columns} columns",
        template="plotly_white",
        height=110 + sum(18 * n + 8 for n in lines),
        margin={"t": 60, "b": 10},
    )
    return fig


def data_quality_bar(report: DataQualityReport) -> go.Figure:
    """Number of findings at each severity."""
    _check(report, DataQualityReport, "data_quality_bar")
    counts = report.counts
    fig = go.Figure(
        go.Bar(
            x=[SEVERITY_WORDS[s] for s in SEVERITIES],
            y=[counts[s] for s in SEVERITIES],
            marker_color=[SEVERITY_COLOURS[s] for s in SEVERITIES],
            text=[counts[s] for s in SEVERITIES],
            textposition="outside",
            cliponaxis=False,
            name="Findings",
        )
    )
    most = max(counts.values(), default=0)
    step = _nice_step(most / 5)  # whole-number ticks: findings are counted, not measured
    fig.update_yaxes(range=[0, max(most, 1) * 1.15], tick0=0, dtick=step, tickformat=",d")
    fig.update_layout(height=340)
    return layout(
        fig, title="Data findings by severity", x_title="Severity", y_title="Number of findings"
    )


def psi_figure(
    drift: DataDrift, *, top_n: int = 20, display_names: Mapping[str, str] | None = None
) -> go.Figure:
    """PSI per feature, most drifted on top, coloured by the findings' verdict.

    Parameters
    ----------
    drift : DataDrift
        Drift of every shared feature.
    top_n : int, default 20
        Features shown; every one gets its name, and the figure grows to fit them.
    display_names : mapping of str to str, optional
        Human-readable feature names for the axis.

    Returns
    -------
    go.Figure
        One bar trace per verdict present, and dashed lines at PSI 0.1 and 0.25.
    """
    _check(drift, DataDrift, "psi_figure")
    shown = list(drift.features[:top_n])[::-1]
    labels = [escape_plotly(feature_label(d.feature, display_names)) for d in shown]
    fig = go.Figure()
    for verdict, colour in VERDICT_COLOURS.items():
        rows = [(label, d) for label, d in zip(labels, shown, strict=True) if d.verdict == verdict]
        if not rows:
            continue
        fig.add_trace(
            go.Bar(
                y=[label for label, _ in rows],
                x=[d.psi for _, d in rows],
                orientation="h",
                marker_color=colour,
                customdata=[[d.verdict, d.test, d.p_value] for _, d in rows],
                hovertemplate="%{y}: PSI %{x:.3f} (%{customdata[0]})<br>"
                "%{customdata[1]} p = %{customdata[2]:.2g}<extra></extra>",
                name=VERDICT_LEGEND[verdict],
            )
        )
    for value in (PSI_MODERATE, PSI_MAJOR):
        fig.add_vline(x=value, line={"color": OKABE_ITO["black"], "dash": "dash"})
    _legend_line(fig, f"PSI {PSI_MODERATE} and {PSI_MAJOR}", "dash")
    fig.update_yaxes(categoryorder="array", categoryarray=labels, dtick=1)
    fig.update_layout(height=160 + 24 * len(shown))
    return layout(
        fig,
        title=f"How much each feature changed ({drift.n_reference:,} reference rows, "
        f"{drift.n_current:,} current rows)",
        x_title="Population stability index (PSI)",
        y_title="Feature",
    )


def distribution_figure(
    drift: FeatureDrift, *, display_names: Mapping[str, str] | None = None
) -> go.Figure:
    """Share of reference and current rows in each bin (or category) of one feature.

    Parameters
    ----------
    drift : FeatureDrift
        One feature's drift, or the model prediction's.
    display_names : mapping of str to str, optional
        Human-readable feature names for the title.

    Returns
    -------
    go.Figure
        Reference and current bars side by side; the title gives the PSI and the
        verdict the findings use.
    """
    _check(drift, FeatureDrift, "distribution_figure")
    fig = go.Figure()
    for name, shares, colour in (
        (f"Reference ({drift.n_reference:,} rows)", drift.reference_share, OKABE_ITO["blue"]),
        (f"Current ({drift.n_current:,} rows)", drift.current_share, OKABE_ITO["orange"]),
    ):
        fig.add_trace(
            go.Bar(
                x=[escape_plotly(b) for b in drift.bin_labels],
                y=shares,
                name=name,
                marker_color=colour,
                opacity=0.8,
            )  # fmt: skip
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%")
    kind = "Range of values" if drift.kind == "numeric" else "Category"
    label = feature_label(drift.feature, display_names)
    verdict = drift.verdict
    if verdict == "possible shift":
        verdict += ", too few rows to be sure"
    return layout(
        fig,
        title=f"{label[:1].upper()}{label[1:]}: reference against current "
        f"(PSI {drift.psi:.2f}, {verdict})",
        x_title=kind,
        y_title="Share of rows",
    )


def attribution_drift_figure(
    drift: AttributionDrift,
    *,
    top_n: int = 10,
    display_names: Mapping[str, str] | None = None,
) -> go.Figure:
    """Slope chart of each feature's importance rank, reference to current.

    Parameters
    ----------
    drift : AttributionDrift
        Importance ranks in both datasets.
    top_n : int, default 10
        A feature is shown when it ranks this high in either dataset.
    display_names : mapping of str to str, optional
        Human-readable feature names beside the lines.

    Returns
    -------
    go.Figure
        One line per feature: green when more important now, red when less,
        grey when unchanged.
    """
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
            else UNCHANGED_RANK_COLOUR
        )
        name = escape_plotly(feature_label(drift.feature_names[j], display_names))
        fig.add_trace(
            go.Scatter(
                x=["Reference data", "Current data"],
                y=[int(drift.reference_rank[j]), int(drift.current_rank[j])],
                mode="lines+markers+text",
                text=[name, name],
                textposition=["middle left", "middle right"],
                name=name,
                line={"color": colour, "width": 3 if moved else 1.5},
                hovertemplate=f"{name}<br>rank %{{y}}<br>"
                f"mean |effect| {drift.reference_mean_abs[j]:.3g} → "
                f"{drift.current_mean_abs[j]:.3g}<extra></extra>",
                showlegend=False,
            )
        )
    lowest = int(max(drift.reference_rank[keep].max(), drift.current_rank[keep].max()))
    fig.update_yaxes(autorange="reversed", dtick=1)
    fig.update_xaxes(range=[-1.2, 2.2])  # room for the feature names beside both ends
    fig.update_layout(height=160 + 28 * lowest)
    return layout(
        fig,
        title=(
            "Feature importance rank, reference against current "
            "(green: more important now, red: less)"
        ),
        x_title="Dataset",
        y_title="Importance rank (1 = most important)",
    )
