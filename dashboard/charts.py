"""Plotly chart builders for explanations (no Streamlit: the report uses them too).

Every builder takes result objects, returns a ``go.Figure`` and never shows
it. Colours are one colour-blind-safe pair by sign (Okabe-Ito blue / vermillion)
and every axis names its output space.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from explainers.encoding import is_categorical
from explainers.results import Attribution, GlobalImportance

UP = "#0072B2"  # pushes the output up
DOWN = "#D55E00"  # pushes it down
NEUTRAL = "#999999"
FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=14)
SCALE = [[0.0, "#56B4E9"], [0.5, "#CCCCCC"], [1.0, "#E69F00"]]  # low → high feature value

_NOT_ONE_ROW = (
    "{name} needs a single row; got an Attribution with {n} rows. Use attribution.row(i)."
)


def axis_title(attribution: Attribution | GlobalImportance) -> str:
    """'Effect on <output> (<space>)': the unit every value is in."""
    units = {
        "probability": "probability, 0 to 1",
        "log-odds": "log-odds",
        "raw": "model units",
    }[attribution.output_space]
    return f"Effect on {attribution.output_label} ({units})"


def _label(name: str, display_names: Mapping[str, str] | None) -> str:
    return display_names.get(name, name) if display_names else name


def _layout(fig: go.Figure, *, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(
        title=dict(text=title, x=0, xanchor="left"),
        font=FONT,
        height=height,
        margin=dict(l=10, r=10, t=60, b=40),
        plot_bgcolor="white",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
    )
    fig.update_xaxes(showgrid=True, gridcolor="#EEEEEE", zeroline=True, zerolinecolor="#888888")
    return fig


def importance_bar(
    importance: GlobalImportance,
    *,
    top_n: int = 15,
    display_names: Mapping[str, str] | None = None,
) -> go.Figure:
    """Horizontal bars of mean |attribution|, with the standard error as error bars."""
    shown = importance.top(top_n)
    names = [_label(n, display_names) for n in shown.feature_names][::-1]
    fig = go.Figure(
        go.Bar(
            x=shown.mean_abs[::-1],
            y=names,
            orientation="h",
            marker_color=UP,
            error_x=dict(type="data", array=1.96 * shown.spread[::-1], color="#555555"),
            hovertemplate="%{y}: %{x:.4f}<extra></extra>",
            name="mean |effect|",
        )
    )
    fig.update_xaxes(title=f"Average size of effect on {importance.output_label}")
    return _layout(
        fig,
        title=f"What matters most (based on {importance.n_rows:,} rows)",
        height=max(300, 28 * len(names) + 120),
    )


def _colour_values(column: np.ndarray) -> np.ndarray:
    """Feature values scaled to 0..1 by rank (categories by code), NaN stays NaN."""
    series = pd.Series(column)
    if is_categorical(series.infer_objects()):
        codes = series.astype("category").cat.codes.astype(float).replace(-1, np.nan)
        top = codes.max()
        return (codes / top).to_numpy() if top and top > 0 else codes.to_numpy()
    ranks = pd.to_numeric(series, errors="coerce").rank(pct=True)
    return ranks.to_numpy(dtype=float)


def beeswarm(
    attribution: Attribution,
    *,
    top_n: int = 10,
    display_names: Mapping[str, str] | None = None,
    random_state: int = 0,
) -> go.Figure:
    """One dot per row and feature: x is its effect, colour its value (low → high).

    Each dot's ``customdata`` is the row's dataset id, so a click can open it.
    """
    order = np.argsort(-np.abs(attribution.values).mean(axis=0))[:top_n][::-1]
    rng = np.random.default_rng(random_state)
    fig = go.Figure()
    for position, j in enumerate(order):
        name = attribution.feature_names[j]
        values = attribution.values[:, j]
        jitter = rng.uniform(-0.3, 0.3, attribution.n_rows)
        raw = attribution.data[:, j]
        fig.add_trace(
            go.Scattergl(
                x=values,
                y=position + jitter,
                mode="markers",
                marker=dict(
                    size=5,
                    color=_colour_values(raw),
                    colorscale=SCALE,
                    cmin=0,
                    cmax=1,
                    showscale=position == len(order) - 1,
                    colorbar=dict(
                        title="feature value",
                        tickvals=[0, 1],
                        ticktext=["low", "high"],
                        len=0.6,
                    ),
                ),
                customdata=np.array(attribution.row_ids, dtype=object),
                text=[str(v) for v in raw],
                hovertemplate=f"{_label(name, display_names)} = %{{text}}<br>"
                "effect %{x:.4f}<br>row %{customdata}<extra></extra>",
                showlegend=False,
            )
        )
    fig.update_yaxes(
        tickvals=list(range(len(order))),
        ticktext=[_label(attribution.feature_names[j], display_names) for j in order],
    )
    fig.update_xaxes(title=axis_title(attribution))
    return _layout(
        fig,
        title=f"How each feature moves each prediction ({attribution.n_rows:,} rows)",
        height=max(360, 40 * len(order) + 140),
    )


def interaction_partner(attribution: Attribution, feature: str) -> str | None:
    """The feature whose values best explain the spread of ``feature``'s effect."""
    j = attribution.feature_names.index(feature)
    target = attribution.values[:, j]
    best, best_score = None, 0.0
    for k, name in enumerate(attribution.feature_names):
        if k == j:
            continue
        colour = _colour_values(attribution.data[:, k])
        mask = ~np.isnan(colour)
        if mask.sum() < 3 or np.nanstd(colour[mask]) == 0 or np.std(target[mask]) == 0:
            continue
        score = abs(float(np.corrcoef(colour[mask], target[mask])[0, 1]))
        if score > best_score:
            best, best_score = name, score
    return best


def dependence(
    attribution: Attribution,
    feature: str,
    *,
    colour_by: str | None = None,
    display_names: Mapping[str, str] | None = None,
) -> go.Figure:
    """A feature's value (x) against its effect (y), coloured by another feature."""
    j = attribution.feature_names.index(feature)
    x = attribution.data[:, j]
    marker: dict[str, object] = dict(size=7, color=UP)
    if colour_by is not None:
        k = attribution.feature_names.index(colour_by)
        marker = dict(
            size=7,
            color=_colour_values(attribution.data[:, k]),
            colorscale=SCALE,
            cmin=0,
            cmax=1,
            showscale=True,
            colorbar=dict(
                title=_label(colour_by, display_names), tickvals=[0, 1], ticktext=["low", "high"]
            ),
        )
    fig = go.Figure(
        go.Scattergl(
            x=[str(v) for v in x] if is_categorical(pd.Series(x).infer_objects()) else x,
            y=attribution.values[:, j],
            mode="markers",
            marker=marker,
            customdata=np.array(attribution.row_ids, dtype=object),
            hovertemplate="value %{x}<br>effect %{y:.4f}<br>row %{customdata}<extra></extra>",
        )
    )
    fig.update_xaxes(title=_label(feature, display_names))
    fig.update_yaxes(title=axis_title(attribution))
    return _layout(fig, title=f"How {_label(feature, display_names)} changes the prediction")


def _single_row(attribution: Attribution, name: str) -> None:
    if attribution.n_rows != 1:
        raise TypeError(_NOT_ONE_ROW.format(name=name, n=attribution.n_rows))


def _value_text(value: object) -> str:
    if isinstance(value, float | np.floating):
        return "missing" if np.isnan(value) else f"{value:,.4g}"
    return str(value)


def waterfall(
    attribution: Attribution,
    *,
    top_n: int = 10,
    display_names: Mapping[str, str] | None = None,
    title: str | None = None,
) -> go.Figure:
    """From the average prediction (base) to this row's prediction, one step per feature.

    Features beyond ``top_n`` are summed into one "other features" step.
    """
    _single_row(attribution, "waterfall")
    values = attribution.values[0]
    order = np.argsort(-np.abs(values))
    shown, rest = order[:top_n], order[top_n:]
    labels = [
        f"{_label(attribution.feature_names[j], display_names)} = "
        f"{_value_text(attribution.data[0, j])}"
        for j in shown
    ]
    steps = list(values[shown])
    if len(rest):
        labels.append(f"{len(rest)} other features")
        steps.append(float(values[rest].sum()))
    base = float(attribution.base_values[0])
    fig = go.Figure(
        go.Waterfall(
            orientation="h",
            measure=["absolute", *["relative"] * len(steps), "total"],
            y=["average prediction", *labels, "this prediction"],
            x=[base, *steps, float(attribution.output[0])],
            base=0,
            increasing=dict(marker=dict(color=UP)),
            decreasing=dict(marker=dict(color=DOWN)),
            totals=dict(marker=dict(color=NEUTRAL)),
            connector=dict(line=dict(color="#BBBBBB")),
            texttemplate="%{delta:+.3f}",
            textposition="auto",
            cliponaxis=False,
            hovertemplate="%{y}: %{delta:+.4f}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=attribution.output_label + f" ({attribution.output_space})")
    return _layout(
        fig,
        title=title or f"Why this prediction ({attribution.method})",
        height=max(360, 34 * (len(steps) + 2) + 120),
    )


def contribution_bars(
    attribution: Attribution,
    *,
    top_n: int = 10,
    display_names: Mapping[str, str] | None = None,
    title: str | None = None,
) -> go.Figure:
    """Signed bars for one row (used for LIME, whose parts do not add up to the output)."""
    _single_row(attribution, "contribution_bars")
    values = attribution.values[0]
    order = np.argsort(-np.abs(values))[:top_n][::-1]
    fig = go.Figure(
        go.Bar(
            x=values[order],
            y=[
                f"{_label(attribution.feature_names[j], display_names)} = "
                f"{_value_text(attribution.data[0, j])}"
                for j in order
            ],
            orientation="h",
            marker_color=[UP if v >= 0 else DOWN for v in values[order]],
            hovertemplate="%{y}: %{x:+.4f}<extra></extra>",
        )
    )
    fig.update_xaxes(title=axis_title(attribution))
    return _layout(fig, title=title or attribution.method, height=max(360, 34 * len(order) + 120))
