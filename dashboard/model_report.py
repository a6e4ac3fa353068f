"""The whole-model report, as a self-contained HTML page or a PDF (no Streamlit).

Both formats are drawn from one list of sections built by :func:`report_sections`
from a :class:`~explainers.model_summary.ModelSummary`: the model card,
performance and overfitting, what matters overall, fairness, data quality,
drift, and the cohorts where the model is most often wrong. Each section says
in a sentence what it shows and what to look for, so the PDF reads well for
someone who never saw the dashboard. The HTML page embeds plotly.js and its
charts (the decision report's offline bundle: no network request); the PDF,
drawn with fpdf2, has the same sentences with tables and native bars.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

import plotly.graph_objects as go
import plotly.io as pio
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from dashboard import analysis_charts, chart_style, charts, health_charts
from dashboard.report import (
    _HTML_END,
    _PLOT_CONFIG,
    SYSTEM_FONTS,
    _fit,
    _html_start,
    _ReportPDF,
    _rgb,
)
from explainers.data_quality import Finding
from explainers.model_summary import ModelSummary
from explainers.naming import feature_label
from explainers.performance import BinaryPerformance, RegressionPerformance

TOP_FEATURES = 12
TOP_ERROR_NODES = 6
TOP_DRIFT = 10
_EXTRA_CSS = """
table.data { border-collapse: collapse; width: 100%; font-size: 0.9rem; margin: 0.6rem 0; }
table.data th, table.data td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #eee; }
table.data th { color: #444; font-weight: 600; background: #fafafa; }
.finding { margin: 0.3rem 0; } .finding b { font-weight: 600; }
.finding.high b, .finding.medium b { color: #8a4b00; }
"""
_SEVERITY = {"high": "Warning", "medium": "Check", "low": "Note", "info": "Fine"}


@dataclass(frozen=True, slots=True)
class Table:
    """Rows of text under a header."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Bars:
    """Unsigned horizontal bars, largest first (drawn natively in the PDF)."""

    labels: tuple[str, ...]
    values: tuple[float, ...]
    unit: str


@dataclass(slots=True)
class Section:
    """One heading with its sentences, findings, charts (HTML) and tables or bars (both)."""

    title: str
    intro: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    figures: list[go.Figure] = field(default_factory=list)
    tables: list[Table | Bars] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _pct(value: float) -> str:
    return "n/a" if value != value else f"{value:.0%}"  # NaN: a group without positives


def _number(value: float) -> str:
    return f"{value:,.3f}"


def report_sections(summary: ModelSummary) -> list[Section]:
    """The report's sections, in reading order, for both formats."""
    names = dict(summary.settings.display_names)
    return [
        _card(summary),
        _performance(summary),
        _importance(summary, names),
        _fairness(summary),
        _quality(summary),
        _drift(summary, names),
        _errors(summary, names),
    ]


def _card(summary: ModelSummary) -> Section:
    card = summary.card
    task = {
        "binary": f"yes/no classification ({' or '.join(card.classes)})",
        "multiclass": f"classification into {len(card.classes)} classes",
        "regression": "regression (predicts a number)",
    }[card.task]
    rows = [
        ("Model", card.model_name),
        ("Estimator", card.model_type),
        ("Task", task),
        ("Favourable outcome", card.favourable or "not applicable"),
        ("Trained on", card.training_data or "not stated (no model card, no training data given)"),
        ("Checked on", f"{card.data_name} ({card.n_rows:,} rows)"),
        ("True outcome column", card.target or "none (performance not measured)"),
        ("Explanations", card.method),
        ("Made", f"{card.generated_at:%d %B %Y, %H:%M} UTC with whybox {card.whybox_version}"),
    ]
    if card.source:
        rows.append(("Data source", card.source))
    return Section(
        "The model",
        intro=[
            "What the model is, what it was checked on, and how this report was made. Every "
            "number below was computed on this computer from the files named here."
        ],
        tables=[Table(("", ""), tuple(rows))],
    )


def _performance(summary: ModelSummary) -> Section:
    section = Section("How well it predicts")
    result = summary.performance
    if result is None:
        section.notes.append(summary.notes.get("performance", ""))
        return section
    better = {True: "higher is better", False: "lower is better"}
    section.intro.append(
        f"Measured on {summary.card.data_name}: {result.n_rows:,} rows with a known outcome."
        + (
            f" A row counts as “{summary.card.favourable}” when its probability is at least "
            f"{summary.threshold:.2f}."
            if isinstance(result, BinaryPerformance)
            else ""
        )
    )
    section.tables.append(
        Table(
            ("Measure", "Value", ""),
            tuple((m.name, _number(m.value), better[m.higher_is_better]) for m in result.headline),
        )
    )
    if summary.comparison is not None:
        comparison = summary.comparison
        section.findings += comparison.findings
        section.figures.append(health_charts.split_comparison_figure(comparison))
        section.tables.append(
            Table(
                (
                    "Measure",
                    f"Training ({comparison.n_train:,} rows)",
                    f"Test ({comparison.n_test:,} rows)",
                ),
                tuple(
                    (name, _number(a), _number(b))
                    for name, a, b in zip(
                        comparison.metric_names, comparison.train, comparison.test, strict=True
                    )
                ),
            )
        )
    else:
        section.notes.append(summary.notes.get("overfitting", ""))
    if isinstance(result, BinaryPerformance):
        section.figures += [
            health_charts.roc_curve_figure(result),
            health_charts.calibration_figure(result),
        ]
    if isinstance(result, RegressionPerformance):
        section.figures.append(health_charts.residual_figure(result))
    else:
        section.figures.append(health_charts.confusion_matrix_figure(result))
    return section


def _importance(summary: ModelSummary, names: dict[str, str]) -> Section:
    importance = summary.importance.top(TOP_FEATURES)
    unit = charts.output_title(importance)
    return Section(
        "What matters overall",
        intro=[
            f"The average size of each feature's effect on the {unit}, over "
            f"{summary.attribution.n_rows:,} rows ({summary.card.method}). A long bar means the "
            "feature moves predictions a lot, in either direction."
        ],
        figures=[
            charts.importance_bar(summary.importance, top_n=TOP_FEATURES, display_names=names),
            charts.beeswarm(summary.attribution, display_names=names),
        ],
        tables=[
            Bars(
                tuple(feature_label(f, names) for f in importance.feature_names),
                tuple(float(v) for v in importance.mean_abs),
                unit,
            )
        ],
    )


def _fairness(summary: ModelSummary) -> Section:
    section = Section("Fairness across groups")
    if not summary.fairness:
        section.notes.append(summary.notes.get("fairness", ""))
        return section
    outcome = summary.settings.favourable_text
    section.intro.append(
        f"For each sensitive feature of the decision settings: the share of each group "
        f"{outcome}, and how often the model is right for each. The four-fifths rule asks that "
        "no group's share be below 80% of the best-treated group's."
    )
    for part in summary.fairness:
        rates = part.rates
        section.findings += rates.findings
        section.figures.append(health_charts.group_metric_figure(rates))
        rows = []
        for i, group in enumerate(rates.groups):
            row = [group, f"{int(rates.count[i]):,}", _pct(float(rates.selection_rate[i]))]
            row.append("n/a" if rates.accuracy is None else _pct(float(rates.accuracy[i])))
            rows.append(tuple(row))
        section.tables.append(
            Table((rates.feature, "Rows", f"Share {outcome}", "Share predicted right"), tuple(rows))
        )
        verdict = "passes" if rates.passes_four_fifths else "fails"
        section.notes.append(
            f"{rates.feature}: demographic parity difference "
            f"{rates.demographic_parity_difference:.3f}, "
            f"ratio {rates.demographic_parity_ratio:.3f}; the four-fifths rule {verdict}."
        )
    return section


def _quality(summary: ModelSummary) -> Section:
    report = summary.quality
    return Section(
        "Data quality",
        intro=[
            f"Checks of {summary.card.data_name} ({report.n_rows:,} rows, {report.n_columns} "
            "columns): missing values, constant columns, duplicates, rows also in the training "
            "data, and columns that give the answer away."
        ],
        findings=list(report.findings),
    )


def _drift(summary: ModelSummary, names: dict[str, str]) -> Section:
    section = Section("Drift: is today's data like the data it was checked on?")
    drift = summary.drift
    if drift is None:
        section.notes.append(summary.notes.get("drift", ""))
        return section
    section.intro.append(
        f"{drift.current_name} ({drift.data.n_current:,} rows) against {drift.reference_name} "
        f"({drift.data.n_reference:,} rows). PSI below 0.1 is stable, above 0.25 a major shift."
    )
    section.findings += list(drift.prediction.findings) + list(drift.data.findings)
    section.figures += [
        health_charts.psi_figure(drift.data, display_names=names),
        health_charts.distribution_figure(drift.prediction.drift),
    ]
    if drift.attribution is not None:
        section.findings += drift.attribution.findings
        section.figures.append(
            health_charts.attribution_drift_figure(drift.attribution, display_names=names)
        )
    section.tables.append(
        Table(
            ("Feature", "PSI", "Reading"),
            tuple(
                (feature_label(d.feature, names), f"{d.psi:.3f}", d.verdict)
                for d in drift.data.features[:TOP_DRIFT]
            ),
        )
    )
    return section


def _errors(summary: ModelSummary, names: dict[str, str]) -> Section:
    section = Section("Where the model is most often wrong")
    tree = summary.errors
    if tree is None:
        section.notes.append(summary.notes.get("performance", ""))
        return section
    overall = analysis_charts.error_text(tree.kind, tree.overall_error)
    section.intro.append(
        f"A shallow decision tree (scikit-learn) was fitted on each row's "
        f"{'mistake' if tree.kind == 'error rate' else 'absolute error'} over the input features, "
        f"to find the groups of rows where the model does worst. Overall: {overall} on "
        f"{tree.n_rows:,} rows. Each group can be opened as a cohort in the dashboard (its "
        "conditions, as written here)."
    )
    section.figures.append(analysis_charts.error_tree_figure(tree, display_names=names))
    rows = tuple(
        (
            node.label(names),
            f"{node.n_rows:,}",
            analysis_charts.error_text(tree.kind, node.error),
        )
        for node in tree.worst(TOP_ERROR_NODES)
    )
    section.tables.append(Table(("Cohort (conditions)", "Rows", "Error"), rows))
    return section


# --- HTML ----------------------------------------------------------------------------


def _figure_html(fig: go.Figure) -> str:
    fig.update_layout(font=dict(family=SYSTEM_FONTS, size=13))
    return pio.to_html(fig, include_plotlyjs=False, full_html=False, config=_PLOT_CONFIG)


def _table_html(table: Table | Bars) -> str:
    esc = html.escape
    if isinstance(table, Bars):
        table = Table(
            ("Feature", f"Average effect on the {table.unit}"),
            tuple(
                (label, f"{value:.4f}")
                for label, value in zip(table.labels, table.values, strict=True)
            ),
        )
    head = "".join(f"<th>{esc(h)}</th>" for h in table.header) if any(table.header) else ""
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>" for row in table.rows
    )
    css = "data" if head else "about"
    return f'<table class="{css}">' + (f"<tr>{head}</tr>" if head else "") + body + "</table>"


def _findings_html(findings: Sequence[Finding]) -> str:
    esc = html.escape
    return "".join(
        f'<p class="finding {f.severity}"><b>{esc(_SEVERITY[f.severity])}: {esc(f.title)}.</b> '
        f"{esc(f.sentence)}</p>"
        for f in findings
    )


def model_report_html(summary: ModelSummary) -> str:
    """The whole-model report as one self-contained HTML page.

    Returns
    -------
    str
        A complete HTML document with inline CSS, system fonts and plotly.js
        embedded; it contains no ``http://`` or ``https://`` and loads nothing.
    """
    esc = html.escape
    title = f"Model report: {summary.card.model_name}"
    parts = [
        *_html_start(title, _EXTRA_CSS),
        f'<header><p class="kicker">{esc(summary.card.model_type)}</p>',
        f"<h1>{esc(title)}</h1></header>",
    ]
    for section in report_sections(summary):
        parts.append(f"<h2>{esc(section.title)}</h2>")
        parts += [f"<p>{esc(text)}</p>" for text in section.intro]
        parts.append(_findings_html(section.findings))
        parts += [_table_html(t) for t in section.tables if not isinstance(t, Bars)]
        parts += [f'<div class="chart">{_figure_html(fig)}</div>' for fig in section.figures]
        parts += [f'<p class="note">{esc(text)}</p>' for text in section.notes if text]
    parts += _HTML_END
    return "\n".join(parts)


# --- PDF -----------------------------------------------------------------------------


class _ModelPDF(_ReportPDF):
    """The decision report's page, with tables and unsigned bars."""

    def table(self, table: Table) -> None:
        """fpdf2's table: text wraps in its cell, the header repeats on a new page."""
        if not table.rows:
            return
        n = len(table.header)
        first = 0.5 if n > 2 else 0.32
        widths = (first, *[(1 - first) / (n - 1)] * (n - 1))
        heading = any(table.header)
        self._font(8.5 if heading else 9)
        self.set_draw_color(*_rgb("#DDDDDD"))
        self.set_fill_color(255, 255, 255)
        with super().table(
            col_widths=widths, first_row_as_headings=heading, text_align="LEFT",
            borders_layout="HORIZONTAL_LINES" if heading else "NONE",
            line_height=4.6, padding=(1.2, 1.5),
            headings_style=FontFace(emphasis="BOLD", color=_rgb("#444444")),
        ) as grid:  # fmt: skip
            for row in (table.header, *table.rows) if heading else table.rows:
                cells = grid.row()
                for k, text in enumerate(row):
                    style = FontFace(emphasis="BOLD", color=_rgb("#444444"))
                    cells.cell(text, style=style if not heading and k == 0 else None)
        self.ln(2)

    def unsigned_bars(self, bars: Bars) -> None:
        label_w, row_h = 62.0, 5.8
        plot_w = self.epw - label_w - 20
        top_value = max(bars.values) or 1.0
        self.note(f"Average effect on the {bars.unit}:")
        for label, value in zip(bars.labels, bars.values, strict=True):
            if self.will_page_break(row_h):
                self.add_page()
            y = self.get_y()
            self._font(8.5)
            self.cell(label_w - 2, row_h, _fit(self, label, label_w - 2), align="R")
            self.set_fill_color(*_rgb(chart_style.IMPORTANCE))
            length = max(plot_w * value / top_value, 0.3)
            self.rect(self.l_margin + label_w, y + 1, length, row_h - 2, style="F")
            self.set_xy(self.l_margin + label_w + length + 1.5, y)
            self._font(8)
            self.cell(18, row_h, f"{value:.3f}")
            self.ln(row_h)
        self.ln(2)

    def findings(self, findings: Sequence[Finding]) -> None:
        for finding in findings:
            self._font(
                9.5,
                bold=True,
                colour="#8A4B00" if finding.severity in ("high", "medium") else "#1A1A1A",
            )
            self.multi_cell(
                0, 5, f"{_SEVERITY[finding.severity]}: {finding.title}.",
                new_x=XPos.LMARGIN, new_y=YPos.NEXT,
            )  # fmt: skip
            self._font(9.5)
            self.multi_cell(0, 5, finding.sentence, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(1)


def model_report_pdf(summary: ModelSummary) -> bytes:
    """The whole-model report as a PDF (A4): the same sections, with tables and bars."""
    title = f"Model report: {summary.card.model_name}"
    pdf = _ModelPDF(title, f"{title} · made by whybox")
    pdf.kicker(summary.card.model_type)
    pdf.heading(title, size=17)
    for section in report_sections(summary):
        pdf.heading(section.title)
        for text in section.intro:
            pdf.paragraph(text)
            pdf.ln(1)
        pdf.findings(section.findings)
        for table in section.tables:
            if isinstance(table, Bars):
                pdf.unsigned_bars(table)
            else:
                pdf.table(table)
        for text in section.notes:
            if text:
                pdf.note(text)
    return bytes(pdf.output())
