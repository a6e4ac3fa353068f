"""The one chart style of whybox: palette, font and layout of every figure (no Streamlit).

Explanation, health, analysis and comparison charts, on the pages and in the
reports, take their colours from the Okabe-Ito palette (distinguishable with
the common colour-vision deficiencies) and their layout from :func:`layout`.
"""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.text import escape_plotly

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
UP = OKABE_ITO["blue"]  # pushes the output up
DOWN = OKABE_ITO["vermillion"]  # pushes it down
NEUTRAL = "#999999"
IMPORTANCE = OKABE_ITO["sky blue"]  # unsigned importance: dark whiskers stay readable on it
WHISKER = "#333333"
INK = "#222222"  # text on the grey total bars and beside the bars
SCALE = [[0.0, OKABE_ITO["sky blue"]], [0.5, "#CCCCCC"], [1.0, OKABE_ITO["orange"]]]
"""Low → high feature value."""
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
"""Colours of series that have no sign (groups, splits, models), in order."""
FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=14)


def layout(
    fig: go.Figure,
    *,
    title: str,
    x_title: str | None = None,
    y_title: str | None = None,
    height: int | None = None,
) -> go.Figure:
    """Give ``fig`` whybox's layout: title on the left, font, margins, light grid, legend on top.

    The titles are plain text (escaped here), never markup. ``height`` (pixels) is set
    when given; a figure that sized itself or placed its legend keeps them. Returns ``fig``.
    """
    fig.update_layout(
        title=dict(text=escape_plotly(title), x=0, xanchor="left"),
        font=FONT,
        margin=dict(l=10, r=10, t=60, b=40),
        plot_bgcolor="white",
    )
    if not fig.layout.legend.to_plotly_json():  # a figure that placed its legend keeps it
        fig.update_layout(
            legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1)
        )
    fig.update_layout(legend_title_text="")
    if height is not None:
        fig.update_layout(height=height)
    fig.update_xaxes(
        showgrid=True,
        gridcolor="#EEEEEE",
        zeroline=True,
        zerolinecolor="#888888",
        automargin=True,
        title_font_size=13,
    )
    fig.update_yaxes(automargin=True, title_font_size=13)
    if x_title is not None:  # the main axes only: a second y axis keeps its own title
        fig.update_layout(xaxis_title=escape_plotly(x_title))
    if y_title is not None:
        fig.update_layout(yaxis_title=escape_plotly(y_title))
    return fig
