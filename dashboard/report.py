"""The one-decision report, as a self-contained HTML page or a PDF (no Streamlit).

Both formats show the same content in the order a person affected by the
decision reads it: the decision, the reasons as sentences, what would change
it, the breakdown chart, whether the explanation can be trusted, and what the
report was made from.

The HTML page makes no network request: its CSS is inline, it uses the
reader's system fonts, and the plotly.js bundle is embedded in the page. The
bundle holds URLs as text (SVG namespaces, map tile servers that only map
charts use, licence comments); they are written with JavaScript's ``\\/``
escape, which reads the same to the browser but leaves no ``http://`` or
``https://`` in the file. The PDF is drawn with fpdf2 (pure Python, no
browser) with the DejaVu Sans font that ships with matplotlib (a dependency of lime), so "≥", "€"
and "–" print.
"""

from __future__ import annotations

import functools
import html
import re
import string
from pathlib import Path

import matplotlib
import numpy as np
import plotly.io as pio
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from plotly.offline import get_plotlyjs

from dashboard import chart_style, charts
from dashboard.text import escape_plotly
from explainers.decision import Decision
from explainers.naming import feature_label
from explainers.reasons import Reason

SYSTEM_FONTS = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", '
    '"DejaVu Sans", sans-serif'
)
_PLOT_CONFIG = {
    "displayModeBar": False,
    "responsive": True,
    "topojsonURL": "./topojson/",  # never used (no maps); keeps the CDN default out of reach
}
_URL_SCHEME = re.compile(r"(https?):/")
_PDF_BARS = 8
_VERDICT_MARK = {"agree": "✔", "care": "!", "disagree": "✖"}

_CSS = string.Template("""
:root { color-scheme: light; }
body { font-family: $fonts; color: #1a1a1a; background: #f6f6f4; margin: 0;
       line-height: 1.5; font-size: 16px; }
main { max-width: 860px; margin: 0 auto; padding: 32px 28px 48px; background: #fff; }
header { border-bottom: 1px solid #ddd; margin-bottom: 24px; padding-bottom: 8px; }
header .kicker { color: #555; font-size: 0.9rem; margin: 0; }
h1 { font-size: 1.6rem; margin: 0.2rem 0 0; }
h2 { font-size: 1.2rem; margin: 2rem 0 0.6rem; }
.decision { border-left: 8px solid $down; background: #fdf3ec; padding: 16px 20px;
            border-radius: 4px; }
.decision.favourable { border-left-color: $up; background: #eaf3f9; }
.decision.neutral { border-left-color: #777; background: #f2f2f2; }
.decision .outcome { font-size: 1.5rem; font-weight: 700; margin: 0 0 6px; }
.decision p { margin: 0; font-size: 1.1rem; }
.columns { display: flex; gap: 28px; flex-wrap: wrap; }
.columns > div { flex: 1 1 320px; }
h3 { font-size: 1rem; margin: 0.4rem 0; }
h3.down { color: $down; } h3.up { color: $up; }
ul, ol { padding-left: 1.3rem; margin: 0.3rem 0; }
li { margin: 0.3rem 0; }
.note { color: #555; font-size: 0.88rem; }
.codes { background: #f7f7f7; padding: 10px 14px; border-radius: 4px; }
.verdict { font-weight: 600; }
.verdict.agree { color: #1b6b3a; } .verdict.care, .verdict.disagree { color: #8a4b00; }
table.about { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
table.about th { text-align: left; vertical-align: top; width: 26%; padding: 6px 10px 6px 0;
                 color: #444; font-weight: 600; }
table.about td { padding: 6px 0; vertical-align: top; }
table.about tr + tr { border-top: 1px solid #eee; }
footer { margin-top: 28px; color: #777; font-size: 0.8rem; }
@media print { body { background: #fff; } main { padding: 0; } .chart { break-inside: avoid; } }
""").substitute(fonts=SYSTEM_FONTS, up=chart_style.UP, down=chart_style.DOWN)


def report_html(summary: Decision, *, challenger: Decision | None = None) -> str:
    """The decision report as one self-contained HTML page.

    Parameters
    ----------
    summary : Decision
        The decision, from :func:`explainers.decision.summarise_decision`;
        its decision settings give the wording and the readable names.
    challenger : Decision, optional
        The same row decided by a second model: adds a section comparing the
        two decisions and their reasons side by side.

    Returns
    -------
    str
        A complete HTML document with inline CSS, system fonts and the
        plotly.js bundle embedded; it contains no ``http://`` or ``https://``
        and loads nothing from the network.

    Examples
    --------
    >>> Path("report.html").write_text(report_html(summary), encoding="utf-8")  # doctest: +SKIP
    """
    esc = html.escape
    reasons = summary.reasons
    tone = {True: "favourable", False: "unfavourable", None: "neutral"}[reasons.favourable]
    parts = [
        *_html_start(_title(summary)),
        f'<header><p class="kicker">{esc(summary.provenance.model_name)}</p>',
        f"<h1>{esc(_title(summary))}</h1></header>",
        f'<section class="decision {tone}"><p class="outcome">{esc(_outcome(summary))}</p>',
        f"<p>{esc(reasons.decision)}</p></section>",
        "<h2>Why</h2>",
        '<div class="columns">',
        _html_reasons("What lowered the score", reasons.against, "down"),
        _html_reasons("What raised the score", reasons.supporting, "up"),
        "</div>",
    ]
    if reasons.reason_codes:
        codes = "".join(f"<li>{esc(code)}</li>" for code in reasons.reason_codes)
        parts.append(
            '<div class="codes"><strong>Principal reasons for the decision</strong>'
            f"<ol>{codes}</ol></div>"
        )
    if summary.recourse is not None:
        options = "".join(f"<li>{esc(o.sentence)}</li>" for o in summary.recourse.options)
        parts += [
            "<h2>What would change the decision</h2>",
            f"<ol>{options}</ol>" if options else "",
            f'<p class="note">{esc(summary.recourse.message)}</p>',
        ]
    parts += [
        "<h2>The breakdown</h2>",
        f'<p class="note">{esc(_chart_caption(summary))}</p>',
        f'<div class="chart">{_chart_html(summary)}</div>',
        f'<p class="note">{esc(reasons.points_explanation)}</p>',
        *([] if challenger is None else _html_comparison(summary, challenger)),
        "<h2>Can this explanation be trusted?</h2>",
        f'<p class="verdict {summary.trust.level}">{esc(summary.trust.verdict)}</p>',
        f'<p class="note">{esc(summary.trust.details)}</p>',
        "<h2>About this report</h2>",
        '<table class="about">',
        *(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in _about(summary)),
        "</table>",
        *_HTML_END,
    ]
    return "\n".join(parts)


def report_pdf(summary: Decision, *, challenger: Decision | None = None) -> bytes:
    """The decision report as a PDF (A4), with the breakdown drawn natively.

    Parameters
    ----------
    summary : Decision
        The decision, from :func:`explainers.decision.summarise_decision`.
    challenger : Decision, optional
        The same row decided by a second model (adds the comparison section).

    Returns
    -------
    bytes
        The PDF file.

    Examples
    --------
    >>> Path("report.pdf").write_bytes(report_pdf(summary))  # doctest: +SKIP
    """
    reasons = summary.reasons
    pdf = _ReportPDF(_title(summary), f"{_title(summary)} · {summary.provenance.model_name}")
    pdf.kicker(summary.provenance.model_name)
    pdf.heading(_title(summary), size=17)
    tone = {True: chart_style.UP, False: chart_style.DOWN, None: "#777777"}[reasons.favourable]
    pdf.decision_box(_outcome(summary), reasons.decision, tone)
    pdf.heading("Why")
    pdf.reason_list("What lowered the score", reasons.against, chart_style.DOWN)
    pdf.reason_list("What raised the score", reasons.supporting, chart_style.UP)
    if reasons.reason_codes:
        pdf.subheading("Principal reasons for the decision", "#1A1A1A")
        pdf.numbered(reasons.reason_codes)
    if summary.recourse is not None:
        pdf.heading("What would change the decision")
        pdf.numbered([o.sentence for o in summary.recourse.options])
        pdf.note(summary.recourse.message)
    pdf.heading("The breakdown")
    pdf.note(_chart_caption(summary))
    pdf.bars(summary)
    pdf.note(reasons.points_explanation)
    if challenger is not None:
        pdf.heading(_COMPARISON_TITLE)
        pdf.paragraph(_comparison_sentence(summary, challenger), bold=True)
        for side, label in ((summary, "Champion"), (challenger, "Challenger")):
            pdf.subheading(f"{label}: {side.provenance.model_name}", "#1A1A1A")
            pdf.paragraph(side.reasons.decision)
            pdf.bullets([r.sentence for r in _main_reasons(side)] or ["Nothing."])
    pdf.heading("Can this explanation be trusted?")
    pdf.paragraph(f"{_VERDICT_MARK[summary.trust.level]} {summary.trust.verdict}", bold=True)
    pdf.note(summary.trust.details)
    pdf.heading("About this report")
    pdf.about(_about(summary))
    return bytes(pdf.output())


# --- shared text -----------------------------------------------------------------------


def _title(summary: Decision) -> str:
    return f"Decision report for {summary.row_label}"


def _outcome(summary: Decision) -> str:
    favourable = summary.reasons.favourable
    if favourable is None:
        return f"Prediction: {_score(summary, summary.reasons.score)}"
    return f"Outcome: {summary.settings.outcome_text(favourable)}"


def _score(summary: Decision, value: float) -> str:
    return f"{value:,.4g}" if summary.task == "regression" else f"{value:.1f}"


def _score_unit(summary: Decision) -> str:
    return "in the model's units" if summary.task == "regression" else "in points out of 100"


def _chart_caption(summary: Decision) -> str:
    reasons = summary.reasons
    return (
        f"Each bar is one factor's push on the {summary.breakdown.output_label}, "
        f"{_score_unit(summary)}: up in blue, down in orange. They lead from the average "
        f"case ({_score(summary, reasons.base_score)}) to this case "
        f"({_score(summary, reasons.score)})."
    )


def _about(summary: Decision) -> list[tuple[str, str]]:
    p = summary.provenance
    return [
        ("Model", f"{p.model_name} ({p.model_type})"),
        ("Trained on", p.training_data or "not stated (no model card)"),
        ("Case", f"{summary.row_label} of {p.data_name} ({p.n_rows:,} rows)"),
        ("Explained on", p.generated_at.strftime("%d %B %Y, %H:%M UTC")),
        ("Method", p.method),
        ("Made with", f"whybox {p.whybox_version}"),
    ]


_COMPARISON_TITLE = "Two models compared on this case"


def _comparison_sentence(summary: Decision, challenger: Decision) -> str:
    a, b = summary.reasons, challenger.reasons
    if a.favourable is None or b.favourable is None:
        return (
            f"The champion predicts {_score(summary, a.score)}; the challenger predicts "
            f"{_score(challenger, b.score)} ({_score(summary, b.score - a.score)} apart)."
        )
    settings = summary.settings
    verdict = "decide the same" if a.favourable == b.favourable else "decide differently"
    return (
        f"The two models {verdict}: the champion says {settings.outcome_text(a.favourable)} "
        f"({a.score:.0f} out of 100), the challenger {settings.outcome_text(b.favourable)} "
        f"({b.score:.0f} out of 100)."
    )


def _main_reasons(summary: Decision) -> tuple[Reason, ...]:
    """The reasons on the side of the outcome (against a refusal, for an approval)."""
    reasons = summary.reasons
    main = reasons.against if reasons.favourable is False else reasons.supporting
    return main or reasons.against


# --- HTML ----------------------------------------------------------------------------


def _html_comparison(summary: Decision, challenger: Decision) -> list[str]:
    esc = html.escape
    columns = []
    for side, label in ((summary, "Champion"), (challenger, "Challenger")):
        items = "".join(f"<li>{esc(r.sentence)}</li>" for r in _main_reasons(side))
        columns.append(
            f"<div><h3>{esc(label)}: {esc(side.provenance.model_name)}</h3>"
            f"<p><strong>{esc(_outcome(side))}</strong></p><p>{esc(side.reasons.decision)}</p>"
            f"<ul>{items or '<li>Nothing.</li>'}</ul></div>"
        )
    return [
        f"<h2>{_COMPARISON_TITLE}</h2>",
        f"<p><strong>{esc(_comparison_sentence(summary, challenger))}</strong></p>",
        f'<div class="columns">{"".join(columns)}</div>',
    ]


def _html_reasons(title: str, reasons: tuple[Reason, ...], side: str) -> str:
    items = "".join(f"<li>{html.escape(r.sentence)}</li>" for r in reasons) or "<li>Nothing.</li>"
    return f'<div><h3 class="{side}">{html.escape(title)}</h3><ul>{items}</ul></div>'


def _chart_html(summary: Decision) -> str:
    breakdown = summary.breakdown
    display_names = summary.settings.display_names
    names = {f: feature_label(f, display_names) for f in breakdown.feature_names}
    fig = charts.waterfall(
        breakdown, display_names=names, title=f"From the average case to {summary.row_label}"
    )
    trace = fig.data[0]
    steps = [f"{v:+.1f}" for v in trace.x[1:-1]]
    fig.update_traces(
        y=["average case", *trace.y[1:-1], escape_plotly(summary.row_label)],
        text=[_score(summary, trace.x[0]), *steps, _score(summary, trace.x[-1])],
        texttemplate="%{text}",
        textposition=["inside", *["outside"] * len(steps), "inside"],
        insidetextfont=dict(color="white"),
        hovertemplate="%{y}: %{text}<extra></extra>",
    )
    fig.update_xaxes(title=escape_plotly(f"{breakdown.output_label} ({_score_unit(summary)})"))
    fig.update_layout(font=dict(family=SYSTEM_FONTS, size=13), margin=dict(l=10, r=40, t=50, b=40))
    return pio.to_html(fig, include_plotlyjs=False, full_html=False, config=_PLOT_CONFIG)


_HTML_END = (
    "<footer>Made by whybox on this computer; nothing in this report was sent to an "
    "outside service. The page works offline.</footer>",
    "</main></body></html>",
)
"""How every report page ends, after :func:`_html_start` and its content."""


def _html_start(title: str, extra_css: str = "") -> list[str]:
    """A report page up to ``<main>``: its title, inline CSS and the embedded plotly.js."""
    return [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_CSS}{extra_css}</style>",
        f"<script>{_offline_plotlyjs()}</script>",
        "</head><body><main>",
    ]


@functools.cache
def _offline_plotlyjs() -> str:
    """plotly.js with every ``http://`` / ``https://`` written as ``http:\\/``."""
    return _URL_SCHEME.sub(r"\1:\\/", get_plotlyjs()).replace("</script", "<\\/script")


# --- PDF -----------------------------------------------------------------------------


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


class _ReportPDF(FPDF):
    """A4 page with the report's few building blocks."""

    FONT = "DejaVu"

    def __init__(self, title: str, footer: str) -> None:
        super().__init__(format="A4")
        fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        self.add_font(self.FONT, "", str(fonts / "DejaVuSans.ttf"))
        self.add_font(self.FONT, "B", str(fonts / "DejaVuSans-Bold.ttf"))
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=16)
        self.set_title(title)
        self.set_creator("whybox")
        self.footer_text = footer
        self.add_page()

    def footer(self) -> None:
        self.set_y(-12)
        self._font(7.5, colour="#777777")
        self.cell(0, 5, f"{self.footer_text} · page {self.page_no()}/{{nb}}", align="C")

    def _font(self, size: float, *, bold: bool = False, colour: str = "#1A1A1A") -> None:
        self.set_font(self.FONT, "B" if bold else "", size)
        self.set_text_color(*_rgb(colour))

    def kicker(self, text: str) -> None:
        self._font(9, colour="#555555")
        self.cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(self, text: str, *, size: float = 12.5) -> None:
        self.ln(3 if size > 13 else 4)
        if self.will_page_break(22):
            self.add_page()
        self._font(size, bold=True)
        self.multi_cell(0, size * 0.55, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)

    def subheading(self, text: str, colour: str) -> None:
        self._font(10, bold=True, colour=colour)
        self.cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def paragraph(self, text: str, *, bold: bool = False) -> None:
        self._font(10, bold=bold)
        self.multi_cell(0, 5.2, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def note(self, text: str) -> None:
        self._font(8.5, colour="#555555")
        self.multi_cell(0, 4.4, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def decision_box(self, outcome: str, sentence: str, colour: str) -> None:
        top = self.get_y() + 2
        width = self.epw
        self.set_xy(self.l_margin + 6, top + 3)
        self._font(14, bold=True)
        self.multi_cell(width - 10, 7, outcome, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_x(self.l_margin + 6)
        self._font(10.5)
        self.multi_cell(width - 10, 5.4, sentence, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        bottom = self.get_y() + 3
        r, g, b = _rgb(colour)
        self.set_fill_color(r, g, b)
        self.rect(self.l_margin, top, 2.5, bottom - top, style="F")
        self.set_draw_color(r, g, b)
        self.set_line_width(0.2)
        self.rect(self.l_margin, top, width, bottom - top)
        self.set_y(bottom + 1)

    def reason_list(self, title: str, reasons: tuple[Reason, ...], colour: str) -> None:
        self.subheading(title, colour)
        self.bullets([r.sentence for r in reasons] or ["Nothing."])
        self.ln(1)

    def bullets(self, items: list[str]) -> None:
        self._font(10)
        for item in items:
            self.set_x(self.l_margin + 2)
            self.cell(4, 5.2, "•")
            self.multi_cell(0, 5.2, item, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def numbered(self, items: list[str] | tuple[str, ...]) -> None:
        self._font(10)
        for number, item in enumerate(items, start=1):
            self.set_x(self.l_margin + 2)
            self.cell(6, 5.2, f"{number}.")
            self.multi_cell(0, 5.2, item, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def bars(self, summary: Decision) -> None:
        """Signed horizontal bars of the largest contributions, the rest summed."""
        breakdown = summary.breakdown
        display_names = summary.settings.display_names
        values = breakdown.values[0]
        order = np.argsort(-np.abs(values), kind="stable")
        shown, rest = order[:_PDF_BARS], order[_PDF_BARS:]
        rows = [
            (
                f"{feature_label(breakdown.feature_names[j], display_names)}: "
                f"{breakdown.data[0, j]}",
                float(values[j]),
            )
            for j in shown
        ]
        if len(rest):
            rows.append((f"{len(rest)} other factors together", float(values[rest].sum())))
        row_h, label_w, value_w = 6.5, 68.0, 12.0
        height = row_h * len(rows) + 12
        if self.will_page_break(height):
            self.add_page()
        top = self.get_y() + 1
        plot_left = self.l_margin + label_w + value_w
        plot_w = self.epw - label_w - 2 * value_w
        extent = max(abs(v) for _, v in rows) or 1.0
        zero = plot_left + plot_w / 2
        scale = (plot_w / 2) / extent
        self.set_draw_color(*_rgb("#888888"))
        self.set_line_width(0.3)
        self.line(zero, top, zero, top + row_h * len(rows))
        for i, (label, value) in enumerate(rows):
            y = top + i * row_h
            self._font(8.5)
            self.set_xy(self.l_margin, y)
            self.cell(label_w - 2, row_h, _fit(self, label, label_w - 2), align="R")
            self.set_fill_color(*_rgb(chart_style.UP if value >= 0 else chart_style.DOWN))
            length = abs(value) * scale
            x = zero if value >= 0 else zero - length
            self.rect(x, y + 1.2, max(length, 0.3), row_h - 2.4, style="F")
            self._font(8, bold=True)
            text = f"{value:+.1f}"
            text_x = (
                zero + length + 1 if value >= 0 else zero - length - 1 - self.get_string_width(text)
            )
            self.set_xy(text_x, y)
            self.cell(self.get_string_width(text), row_h, text)
        self._font(7.5, colour="#555555")
        axis_y = top + row_h * len(rows) + 1
        self.set_xy(plot_left, axis_y)
        self.cell(plot_w / 2, 4, "◀ lowered the score", align="L")
        self.cell(plot_w / 2, 4, "raised the score ▶", align="R")
        self.set_y(axis_y + 6)

    def about(self, rows: list[tuple[str, str]]) -> None:
        for key, value in rows:
            self._font(9, bold=True, colour="#444444")
            y = self.get_y()
            self.cell(32, 4.8, key)
            self._font(9)
            self.set_xy(self.l_margin + 32, y)
            self.multi_cell(0, 4.8, value, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(1)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """``text`` shortened with an ellipsis to fit ``width`` mm in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"
