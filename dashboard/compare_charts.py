"""Chart builders for two models compared (no Streamlit: the comparison report uses them too).

The champion is always blue and the challenger orange (Okabe-Ito), bars in
pairs on the same features in the same order. Text from the data (and the
model names) enters a figure only through :func:`dashboard.text.escape_plotly`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from dashboard.chart_style import OKABE_ITO, layout
from dashboard.charts import units_text
from dashboard.text import escape_plotly
from explainers.model_comparison import (
    CONFIDENCE,
    FairnessComparison,
    ImportanceComparison,
    PerformanceComparison,
)
from explainers.naming import feature_label

CHAMPION = OKABE_ITO["blue"]
CHALLENGER = OKABE_ITO["orange"]


def importance_pairs(
    importance: ImportanceComparison,
    *,
    name_a: str = "Champion (A)",
    name_b: str = "Challenger (B)",
    display_names: Mapping[str, str] | None = None,
    top_n: int = 15,
) -> go.Figure:
    """Mean |SHAP| of both models, paired bars per feature, most important at the top."""
    names = [
        escape_plotly(feature_label(n, display_names)) for n in importance.feature_names[:top_n]
    ][::-1]
    fig = go.Figure()
    for values, ranks, name, colour in (
        (importance.importance_a, importance.rank_a, name_a, CHAMPION),
        (importance.importance_b, importance.rank_b, name_b, CHALLENGER),
    ):
        fig.add_bar(
            x=values[:top_n][::-1], y=names, orientation="h", name=escape_plotly(name),
            marker_color=colour, customdata=ranks[:top_n][::-1],
            hovertemplate="%{y}: %{x:.3g} (rank %{customdata})<extra>"
            + escape_plotly(name) + "</extra>",
        )  # fmt: skip
    fig.update_layout(barmode="group", bargap=0.25)
    fig.update_xaxes(title_text=f"mean |SHAP| ({units_text(importance.output_space)})")  # type: ignore[arg-type]
    return layout(fig, title="What matters to each model", height=max(360, 44 * len(names)))


def metric_differences(performance: PerformanceComparison) -> go.Figure:
    """Each metric's difference B − A with its bootstrap interval; right of zero: B higher."""
    metrics = performance.metrics[::-1]
    fig = go.Figure()
    fig.add_scatter(
        x=[m.difference for m in metrics],
        y=[escape_plotly(m.name) for m in metrics],
        mode="markers",
        marker=dict(
            size=11, color=[CHALLENGER if m.challenger_better else CHAMPION for m in metrics]
        ),  # fmt: skip
        error_x=dict(
            type="data",
            symmetric=False,
            array=[m.high - m.difference for m in metrics],
            arrayminus=[m.difference - m.low for m in metrics],
            color="#333333",
        ),  # fmt: skip
        hovertemplate="%{y}: B − A = %{x:+.4f}<extra></extra>",
        showlegend=False,
    )
    fig.add_vline(x=0, line_color="#888888")
    fig.update_xaxes(
        title_text=f"challenger minus champion, with its {CONFIDENCE:.0%} paired bootstrap "
        f"interval ({performance.n_boot:,} draws)"
    )
    return layout(fig, title="How far apart the two are", height=120 + 60 * len(metrics))


def group_rate_pairs(
    fairness: FairnessComparison, *, name_a: str = "Champion (A)", name_b: str = "Challenger (B)"
) -> go.Figure:
    """Share of each group decided favourably by each model, bars in pairs."""
    fig = go.Figure()
    for result, name, colour in ((fairness.a, name_a, CHAMPION), (fairness.b, name_b, CHALLENGER)):
        fig.add_bar(
            x=[escape_plotly(g) for g in result.groups], y=np.asarray(result.selection_rate),
            name=escape_plotly(name), marker_color=colour,
            text=[f"{v:.0%}" for v in result.selection_rate], textposition="outside",
            hovertemplate="%{x}: %{y:.1%}<extra>" + escape_plotly(name) + "</extra>",
        )  # fmt: skip
    fig.update_layout(barmode="group")
    fig.update_yaxes(
        title_text=escape_plotly(f"share {fairness.a.positive_outcome}"), tickformat=".0%"
    )
    return layout(fig, title=f"Share {fairness.a.positive_outcome}, by {fairness.feature}")
