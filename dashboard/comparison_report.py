"""The comparison report: two models on the same rows, as one self-contained HTML page.

It renders a :class:`~explainers.model_comparison.ModelComparison` (the same
object the "Compare models" page shows) with the same chart builders, embeds
plotly.js and loads nothing from the network, like the decision report.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import plotly.graph_objects as go
import plotly.io as pio

from dashboard import charts, compare_charts
from dashboard.report import _HTML_END, _PLOT_CONFIG, SYSTEM_FONTS, _html_start
from explainers.model_comparison import CONFIDENCE, ModelComparison, RowComparison
from explainers.reasons import Reasons

MAX_TABLE_ROWS = 50
ROW_CHART_WIDTH = 390
"""Pixels: two breakdowns side by side in the report's 860-pixel column."""
_EXTRA_CSS = """
table.grid { border-collapse: collapse; width: 100%; font-size: 0.9rem; margin: 0.6rem 0; }
table.grid th, table.grid td { padding: 4px 8px; border-bottom: 1px solid #eee; text-align: left; }
table.grid td.num { text-align: right; font-variant-numeric: tabular-nums; }
.counts p { font-size: 1.15rem; margin: 0.3rem 0; }
details { border: 1px solid #ddd; border-radius: 4px; padding: 6px 12px; margin: 8px 0; }
summary { cursor: pointer; font-weight: 600; }
"""


def comparison_html(comparison: ModelComparison, rows: Sequence[RowComparison] = ()) -> str:
    """The comparison as one HTML page that opens offline.

    Parameters
    ----------
    comparison : ModelComparison
        From :func:`explainers.model_comparison.compare_models`.
    rows : sequence of RowComparison, default ()
        Rows decided differently, each opened with both breakdowns and reasons.

    Returns
    -------
    str
        A complete HTML document; it contains no ``http://`` or ``https://``.
    """
    esc = html.escape
    a, b = f"Champion (A): {comparison.name_a}", f"Challenger (B): {comparison.name_b}"
    title = "Two models compared"
    d = comparison.disagreements
    parts = [
        *_html_start(title, _EXTRA_CSS),
        f'<header><p class="kicker">{esc(comparison.data_name)}, {d.n_rows:,} rows</p>',
        f"<h1>{esc(title)}</h1><p>{esc(a)}<br>{esc(b)}</p></header>",
        "<h2>Where they decide differently</h2>",
        '<div class="counts">',
        *(f"<p>{esc(s)}</p>" for s in d.sentences),
        "</div>",
    ]
    if comparison.performance is not None:
        perf = comparison.performance
        head = ["Metric", "Champion (A)", "Challenger (B)", "B − A", f"{CONFIDENCE:.0%} interval"]
        body = [
            [m.name, f"{m.a:.4f}", f"{m.b:.4f}", f"{m.difference:+.4f}",
             f"{m.low:+.4f} to {m.high:+.4f}"]
            for m in perf.metrics
        ]  # fmt: skip
        threshold = ""
        if perf.threshold_a is not None:
            threshold = f" Thresholds: A {perf.threshold_a:.2f}, B {perf.threshold_b:.2f}."
        parts += [
            "<h2>Performance</h2>",
            f'<p class="note">On {perf.n_rows:,} labelled rows; the interval is a paired '
            f"bootstrap of the difference ({perf.n_boot:,} draws of the same rows for both)."
            f"{esc(threshold)}</p>",
            _table(head, body),
            "<ul>",
            *(f"<li>{esc(f)}</li>" for f in perf.findings),
            "</ul>",
            _figure(compare_charts.metric_differences(perf)),
        ]
    for fairness in comparison.fairness:
        table = fairness.table()
        parts += [
            f"<h2>Fairness by {esc(fairness.feature)}</h2>",
            _figure(compare_charts.group_rate_pairs(fairness)),
            _table(
                list(table.columns),
                [[_cell(v) for v in row] for row in table.itertuples(index=False)],
            ),
        ]
    if comparison.importance is not None:
        importance = comparison.importance
        figure = compare_charts.importance_pairs(
            importance, display_names=comparison.settings.display_names
        )
        parts += [
            "<h2>What matters to each model</h2>",
            _figure(figure),
            "<ul>",
            *(f"<li>{esc(f)}</li>" for f in importance.findings),
            "</ul>",
        ]
    differing = d.table[d.table["differs"]].head(MAX_TABLE_ROWS)
    parts += [
        f"<h2>The rows decided differently ({d.n_differ:,})</h2>",
        _table(
            ["Row", "Prediction A", "Prediction B", "Label A", "Label B"],
            [
                [
                    _cell(r.row_id),
                    f"{r.prediction_a:.3f}",
                    f"{r.prediction_b:.3f}",
                    _cell(r.label_a),
                    _cell(r.label_b),
                ]
                for r in differing.itertuples()
            ],
        ),  # fmt: skip
    ]
    if d.n_differ > MAX_TABLE_ROWS:
        parts.append(f'<p class="note">The first {MAX_TABLE_ROWS} of {d.n_differ:,}.</p>')
    for row in rows:
        parts.append(_row_details(row, comparison))
    parts += _HTML_END
    return "\n".join(parts)


def _row_details(row: RowComparison, comparison: ModelComparison) -> str:
    esc = html.escape
    names = comparison.settings.display_names
    columns = []
    for label, reasons, shap in (
        ("Champion (A)", row.reasons_a, row.shap_a),
        ("Challenger (B)", row.reasons_b, row.shap_b),
    ):
        figure = charts.waterfall(shap, display_names=names, title=label)
        figure.update_layout(width=ROW_CHART_WIDTH, autosize=False)  # drawn while folded away
        columns.append(
            f"<div><h3>{esc(label)}</h3><p><strong>{esc(reasons.decision)}</strong></p>"
            f"{_reason_list(reasons)}{_figure(figure)}</div>"
        )
    return (
        f"<details><summary>{esc(row.row_label)}: {esc(_outcome(row.reasons_a, comparison))} "
        f"by A, {esc(_outcome(row.reasons_b, comparison))} by B</summary>"
        f'<div class="columns">{"".join(columns)}</div></details>'
    )


def _outcome(reasons: Reasons, comparison: ModelComparison) -> str:
    if reasons.favourable is None:
        return f"{reasons.score:,.4g}"
    return comparison.settings.outcome_text(reasons.favourable)


def _reason_list(reasons: Reasons) -> str:
    main = reasons.against if reasons.favourable is False else reasons.supporting
    items = "".join(f"<li>{html.escape(r.sentence)}</li>" for r in (main or reasons.against))
    return f"<ul>{items or '<li>Nothing.</li>'}</ul>"


def _figure(fig: go.Figure) -> str:
    fig.update_layout(font=dict(family=SYSTEM_FONTS, size=13))
    body = pio.to_html(fig, include_plotlyjs=False, full_html=False, config=_PLOT_CONFIG)
    return f'<div class="chart">{body}</div>'


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    esc = html.escape
    header = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f'<table class="grid"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 1_000 else f"{value:,.0f}"
    return str(value)
