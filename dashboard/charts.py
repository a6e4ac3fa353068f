"""Plotly chart builders for explanations (no Streamlit: the report uses them too).

Every builder takes result objects, returns a ``go.Figure`` and never shows
it. Text from the data (names, values, labels, row ids) enters a figure only
through :func:`dashboard.text.escape_plotly`, so Plotly shows it as written.
Colours and layout come from :mod:`dashboard.chart_style` (one colour-blind-safe
pair by sign, Okabe-Ito blue / vermillion), and every axis names its output space.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.chart_style import DOWN, IMPORTANCE, INK, NEUTRAL, SCALE, UP, WHISKER, layout
from dashboard.text import escape_plotly
from explainers.encoding import is_categorical
from explainers.naming import feature_label
from explainers.reasons import format_value
from explainers.results import Attribution, GlobalImportance, OutputSpace

LABEL_LIMIT = 40
"""Longest bar label ("name = value") before it is shortened with "…" (full text on hover)."""

_NOT_ONE_ROW = (
    "{name} needs a single row; got an Attribution with {n} rows. Use attribution.row(i)."
)


_UNITS: dict[OutputSpace, str] = {
    "probability": "probability",
    "log-odds": "log-odds",
    "margin": "decision-score units",
    "raw": "model units",
    "log": "log units",
}
_SPACE_NOTES: dict[OutputSpace, str] = {
    "margin": (
        "This classifier gives no probabilities, so its decision score is explained: a "
        "positive score means the class explained, a negative one the other class. Scores "
        "are not probabilities."
    ),
    "log": (
        "The model predicts the exponential of a sum (a log link), so SHAP explains the "
        "logarithm of its prediction: a contribution c multiplies the prediction by exp(c). "
        "The one-decision page also shows it in the prediction's own units, split "
        "proportionally."
    ),
}


def units_text(output_space: OutputSpace) -> str:
    """The unit of an output space in words, for captions ("probability units (0 to 1)").

    Examples
    --------
    >>> units_text("raw")
    "the model's own units"
    """
    return {
        "probability": "probability units (0 to 1)",
        "log-odds": "log-odds",
        "margin": "decision-score units",
        "raw": "the model's own units",
        "log": "log units of the prediction",
    }[output_space]


def space_note(output_space: OutputSpace) -> str:
    """What an output space means for reading the charts, or "" when it needs no words.

    Examples
    --------
    >>> space_note("raw")
    ''
    """
    return _SPACE_NOTES.get(output_space, "")


def output_title(attribution: Attribution | GlobalImportance) -> str:
    """The output's name with its space, said once: "probability of good", "target (model units)".

    Examples
    --------
    >>> att = Attribution.from_values([[1.0]], feature_names=["x"], output_space="raw",
    ...                               output_label="predicted value")
    >>> output_title(att)
    'predicted value (model units)'
    """
    units = _UNITS[attribution.output_space]
    label = attribution.output_label
    return label if units in label else f"{label} ({units})"


def axis_title(attribution: Attribution | GlobalImportance) -> str:
    """'Effect on <output>': short enough for a half-width chart, naming the output space."""
    return f"Effect on {output_title(attribution)}"


def _short(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1].rstrip() + "…"


def _wrap(text: str, width: int = 22) -> str:
    """Long category labels on several lines, so neighbouring ticks do not run together.

    Each line is escaped for Plotly; the ``<br>`` between them is markup.
    """
    return "<br>".join(escape_plotly(line) for line in textwrap.wrap(text, width)) or (
        escape_plotly(text)
    )


def _colour_bar(title: str) -> dict[str, object]:
    """A low → high colour bar whose title runs down its right side, clear of the ticks."""
    return dict(
        title=dict(text=escape_plotly(title), side="right"),
        tickvals=[0, 1],
        ticktext=["low", "high"],
        len=0.6,
    )


def importance_bar(
    importance: GlobalImportance,
    *,
    top_n: int = 15,
    display_names: Mapping[str, str] | None = None,
) -> go.Figure:
    """Horizontal bars of mean |attribution|, with the standard error as error bars."""
    shown = importance.top(top_n)
    names = [escape_plotly(feature_label(n, display_names)) for n in shown.feature_names][::-1]
    fig = go.Figure(
        go.Bar(
            x=shown.mean_abs[::-1],
            y=names,
            orientation="h",
            marker_color=IMPORTANCE,
            error_x=dict(type="data", array=1.96 * shown.spread[::-1], color=WHISKER),
            hovertemplate="%{y}: %{x:.4f}<extra></extra>",
            name="mean |effect|",
        )
    )
    fig.update_xaxes(title=escape_plotly(f"Average size of effect on {importance.output_label}"))
    return layout(
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
                    colorbar=_colour_bar("column value"),
                ),
                customdata=np.array(attribution.row_ids, dtype=object),  # for a click, not shown
                text=[escape_plotly(format_value(v)) for v in raw],
                hovertext=[escape_plotly(row_id) for row_id in attribution.row_ids],
                hovertemplate=f"{escape_plotly(feature_label(name, display_names))} = %{{text}}"
                "<br>effect %{x:.4f}<br>row %{hovertext}<extra></extra>",
                showlegend=False,
            )
        )
    fig.update_yaxes(
        tickvals=list(range(len(order))),
        ticktext=[
            escape_plotly(feature_label(attribution.feature_names[j], display_names)) for j in order
        ],
    )
    fig.update_xaxes(title=escape_plotly(axis_title(attribution)))
    return layout(
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
            colorbar=_colour_bar(_short(feature_label(colour_by, display_names))),
        )
    fig = go.Figure(
        go.Scattergl(
            x=[_wrap(format_value(v)) for v in x]
            if is_categorical(pd.Series(x).infer_objects())
            else x,
            y=attribution.values[:, j],
            mode="markers",
            marker=marker,
            customdata=np.array(attribution.row_ids, dtype=object),  # for a click, not shown
            hovertext=[escape_plotly(row_id) for row_id in attribution.row_ids],
            hovertemplate="value %{x}<br>effect %{y:.4f}<br>row %{hovertext}<extra></extra>",
        )
    )
    fig.update_xaxes(title=escape_plotly(feature_label(feature, display_names)))
    fig.update_yaxes(title=escape_plotly(axis_title(attribution)))
    return layout(fig, title=f"How {feature_label(feature, display_names)} changes the prediction")


def _single_row(attribution: Attribution, name: str) -> None:
    if attribution.n_rows != 1:
        raise TypeError(_NOT_ONE_ROW.format(name=name, n=attribution.n_rows))


def _value_text(value: float, output_space: OutputSpace, *, signed: bool) -> str:
    """A bar's value as text, never "-0".

    Probabilities and log-odds get three decimals ("+0.025"); raw outputs the
    reasons' readable numbers ("+35.24", "153"). ``signed`` adds "+" or "-".
    """
    size = abs(float(value)) if signed else float(value)
    text = format_value(size) if output_space == "raw" else f"{round(size, 3) + 0.0:.3f}"
    if not signed or set(text) <= set("0.,"):
        return text
    return ("+" if value > 0 else "-") + text


def _row_labels(
    attribution: Attribution, columns: np.ndarray, display_names: Mapping[str, str] | None
) -> list[str]:
    """Label each column of the single row "name = value", in the reasons' wording."""
    return [
        f"{feature_label(attribution.feature_names[j], display_names)} = "
        f"{format_value(attribution.data[0, j])}"
        for j in columns
    ]


def _span(path: np.ndarray, *, include_zero: bool) -> tuple[float, float]:
    """The lowest and highest point the waterfall's running total reaches (and zero)."""
    low, high = float(path.min()), float(path.max())
    return (min(low, 0.0), max(high, 0.0)) if include_zero else (low, high)


def _fitted_range(
    path: np.ndarray, steps: list[float], inside: list[bool], *, include_zero: bool
) -> list[float]:
    """An axis range around the waterfall's ``path`` with room for the text beside the bars.

    ``path`` is the running total before each step and after the last. The
    left edge stays at zero when zero is included, the whole path is
    positive and no falling step with its text outside ends near zero.
    """
    low, high = _span(path, include_zero=include_zero)
    pad = 0.25 * ((high - low) or abs(high) or 1.0)
    falling_ends = [
        float(path[i + 1])
        for i, (step, within) in enumerate(zip(steps, inside, strict=True))
        if step < 0 and not within
    ]
    keep_zero = include_zero and low == 0.0 and all(end >= pad for end in falling_ends)
    return [0.0 if keep_zero else low - pad, high + pad]


def waterfall(
    attribution: Attribution,
    *,
    top_n: int = 10,
    display_names: Mapping[str, str] | None = None,
    title: str | None = None,
) -> go.Figure:
    """From the average prediction (base) to this row's prediction, one step per feature.

    Features beyond ``top_n`` are summed into one "other features" step. Bars
    are labelled "name = value" in the wording of the reasons (long labels are
    shortened, the full text is on hover) and each step carries its signed
    size. Outputs in probability or log-odds keep zero on the axis; raw model
    outputs get an axis fitted to the values, so the steps are not squeezed
    against a far-away zero.
    """
    _single_row(attribution, "waterfall")
    values = attribution.values[0]
    order = np.argsort(-np.abs(values))
    shown, rest = order[:top_n], order[top_n:]
    full = _row_labels(attribution, shown, display_names)
    steps = list(values[shown])
    if len(rest):
        full.append(f"{len(rest)} other features")
        steps.append(float(values[rest].sum()))
    base, output = float(attribution.base_values[0]), float(attribution.output[0])
    path = np.append(base + np.cumsum([0.0, *steps]), output)
    include_zero = attribution.output_space != "raw"
    low, high = _span(path, include_zero=include_zero)
    inside = [abs(step) >= 0.3 * (high - low) for step in steps]  # wide enough for its text
    x_range = _fitted_range(path, steps, inside, include_zero=include_zero)
    full = ["average prediction", *full, "this prediction"]
    fig = go.Figure(
        go.Waterfall(
            orientation="h",
            measure=["absolute", *["relative"] * len(steps), "total"],
            y=[escape_plotly(_short(label)) for label in full],
            x=[base, *steps, output],
            base=0,
            increasing=dict(marker=dict(color=UP)),
            decreasing=dict(marker=dict(color=DOWN)),
            totals=dict(marker=dict(color=NEUTRAL)),
            connector=dict(line=dict(color="#BBBBBB")),
            text=[
                _value_text(base, attribution.output_space, signed=False),
                *(_value_text(v, attribution.output_space, signed=True) for v in steps),
                _value_text(output, attribution.output_space, signed=False),
            ],
            texttemplate="%{text}",
            textposition=["inside", *("inside" if i else "outside" for i in inside), "inside"],
            insidetextanchor="end",
            textfont=dict(size=12, color=[INK, *("white" if i else INK for i in inside), INK]),
            cliponaxis=True,
            hovertext=[escape_plotly(label) for label in full],
            hovertemplate="%{hovertext}: %{text}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=escape_plotly(output_title(attribution)), range=x_range)
    return layout(
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
    full = _row_labels(attribution, order, display_names)
    fig = go.Figure(
        go.Bar(
            x=values[order],
            y=[escape_plotly(_short(label)) for label in full],
            orientation="h",
            marker_color=[UP if v >= 0 else DOWN for v in values[order]],
            hovertext=[escape_plotly(label) for label in full],
            hovertemplate="%{hovertext}: %{x:+.4f}<extra></extra>",
        )
    )
    fig.update_xaxes(title=escape_plotly(axis_title(attribution)))
    return layout(fig, title=title or attribution.method, height=max(360, 34 * len(order) + 120))
