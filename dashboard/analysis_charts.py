"""Chart builders for error analysis and partial dependence (no Streamlit: the report uses them).

Each builder takes a result object from ``explainers`` and returns a Plotly
figure, in the dashboard's one layout and palette (:mod:`dashboard.charts`).
Text from the data enters a figure only through :func:`dashboard.text.escape_plotly`
(``_wrap`` escapes each line).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from dashboard.chart_style import DOWN, INK, NEUTRAL, UP, layout
from dashboard.charts import _wrap
from dashboard.text import escape_plotly
from explainers.error_analysis import ErrorHeatmap, ErrorTree
from explainers.naming import feature_label
from explainers.partial_dependence import FeatureDependence
from explainers.reasons import format_value

ERROR_SCALE = [[0.0, "#F7F7F7"], [0.5, "#F0B27A"], [1.0, DOWN]]
ICE_LINES = 40
ICE_COLOUR = "rgba(0, 114, 178, 0.18)"


def error_text(kind: str, value: float) -> str:
    """An error in words for a hover or a table: "23% wrong" or "mean error 4.1"."""
    return f"{value:.0%} wrong" if kind == "error rate" else f"mean error {value:,.3g}"


def error_tree_figure(
    tree: ErrorTree, *, display_names: Mapping[str, str] | None = None
) -> go.Figure:
    """The error tree as an icicle: each box a node, its width its rows, its colour its error."""
    ids = [str(n.node_id) for n in tree.nodes]
    parents = ["" if n.parent < 0 else str(n.parent) for n in tree.nodes]
    labels = [
        "All rows" if not n.conditions else _wrap(n.conditions[-1].describe(display_names), 28)
        for n in tree.nodes
    ]
    top = max(n.error for n in tree.nodes) or 1.0
    fig = go.Figure(
        go.Icicle(
            ids=ids,
            parents=parents,
            labels=labels,
            values=[n.n_rows for n in tree.nodes],
            branchvalues="total",
            marker=dict(
                colors=[n.error for n in tree.nodes],
                colorscale=ERROR_SCALE,
                cmin=0.0,
                cmax=top,
                showscale=True,
                colorbar=dict(title=dict(text=tree.kind, side="right"), len=0.7),
            ),
            customdata=[
                [
                    n.n_rows,
                    error_text(tree.kind, n.error),
                    escape_plotly(n.label(dict(display_names or {}))),
                ]
                for n in tree.nodes
            ],
            texttemplate="%{label}<br>%{customdata[0]:,} rows · %{customdata[1]}",
            hovertemplate="%{customdata[2]}<br>%{customdata[0]:,} rows, %{customdata[1]}"
            "<extra></extra>",
            tiling=dict(orientation="v"),
            root=dict(color="#FFFFFF"),
        )
    )
    title = f"Where the errors are ({error_text(tree.kind, tree.overall_error)} overall)"
    return layout(fig, title=title, height=460)


def error_heatmap_figure(
    heat: ErrorHeatmap, *, display_names: Mapping[str, str] | None = None
) -> go.Figure:
    """Error by the bins of two features, each cell labelled with its count."""
    text = [
        [
            ""
            if heat.counts[y, x] == 0
            else f"{error_text(heat.kind, heat.error[y, x])}<br>{heat.counts[y, x]:,} rows"
            for x in range(len(heat.x_bins))
        ]
        for y in range(len(heat.y_bins))
    ]
    fig = go.Figure(
        go.Heatmap(
            z=heat.error,
            x=[_wrap(b, 16) for b in heat.x_bins],
            y=[_wrap(b, 16) for b in heat.y_bins],
            text=text,
            texttemplate="%{text}",
            colorscale=ERROR_SCALE,
            zmin=0.0,
            colorbar=dict(title=dict(text=heat.kind, side="right")),
            hovertemplate="%{x} · %{y}<br>%{text}<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    across, down = (feature_label(f, display_names) for f in heat.features)
    fig.update_xaxes(title=escape_plotly(across), showgrid=False, zeroline=False, type="category")
    fig.update_yaxes(title=escape_plotly(down), showgrid=False, type="category")
    return layout(fig, title=f"{heat.kind.capitalize()} by {across} and {down}", height=440)


def dependence_curves_figure(
    dependence: FeatureDependence,
    *,
    display_names: Mapping[str, str] | None = None,
    n_lines: int = ICE_LINES,
    random_state: int = 0,
) -> go.Figure:
    """PDP (thick) over a sample of ICE lines (thin); categories as boxes of ICE values."""
    name = feature_label(dependence.feature, display_names)
    rng = np.random.default_rng(random_state)
    shown = rng.permutation(dependence.n_rows)[: min(n_lines, dependence.n_rows)]
    fig = go.Figure()
    if dependence.categorical:
        labels = [_wrap(format_value(v), 16) for v in dependence.grid]
        for j, label in enumerate(labels):
            fig.add_trace(
                go.Box(
                    y=dependence.individual[:, j],
                    name=label,
                    marker_color=UP,
                    line_color=UP,
                    boxpoints=False,
                    showlegend=False,
                    hovertemplate=f"{label}<br>%{{y:.3f}}<extra>rows (ICE)</extra>",
                )  # fmt: skip
            )
        fig.add_trace(
            go.Scatter(
                x=labels,
                y=dependence.average,
                mode="markers",
                name="average (PDP)",
                marker=dict(symbol="diamond", size=13, color=INK),
            )  # fmt: skip
        )
        fig.update_xaxes(type="category")
    else:
        grid = dependence.grid.astype(float)
        for i, row in enumerate(shown):
            fig.add_trace(
                go.Scatter(
                    x=grid,
                    y=dependence.individual[row],
                    mode="lines",
                    line=dict(color=ICE_COLOUR, width=1),
                    hoverinfo="skip",
                    name=f"one row each ({len(shown)} of {dependence.n_rows}, ICE)",
                    legendgroup="ice",
                    showlegend=i == 0,
                )  # fmt: skip
            )
        fig.add_trace(
            go.Scatter(
                x=grid,
                y=dependence.average,
                mode="lines",
                name="average (PDP)",
                line=dict(color=INK, width=3.5),
                hovertemplate=f"{escape_plotly(name)} %{{x:,.4g}}<br>average %{{y:.3f}}"
                "<extra></extra>",
            )  # fmt: skip
        )
    fig.update_xaxes(title=escape_plotly(name))
    fig.update_yaxes(
        title=escape_plotly(f"Predicted {dependence.output_label}"), zerolinecolor=NEUTRAL
    )
    return layout(fig, title=f"What the model predicts as {name} changes", height=420)
