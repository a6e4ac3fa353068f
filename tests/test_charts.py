"""Chart builders: labels readable at half width, value text as the reasons write it."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard import charts
from dashboard.chart_style import INK
from explainers.results import Attribution, global_importance

LOAN_NAMES = ["checking", "duration", "personal_status_and_sex", "age"]
LOAN_ROW = ["0 <= ... < 200 DM", 48, "male : divorced/separated/married/widowed", 22]
DISPLAY = {"checking": "Checking account", "duration": "Loan duration (months)"}


def loan_row(values: list[float], *, base: float = 0.7) -> Attribution:
    return Attribution.from_values(
        [values],
        base_values=base,
        data=[LOAN_ROW],
        feature_names=LOAN_NAMES,
        method="TreeSHAP",
        output_space="probability",
        output_label="probability of good",
    )


def diabetes_row() -> Attribution:
    return Attribution.from_values(
        [[35.236, -9.709, 4.511, -0.809]],
        base_values=152.63,
        data=[[32.1, 101.0, 38.0, 2.0]],
        feature_names=["bmi", "bp", "s3", "sex"],
        method="TreeSHAP",
        output_space="raw",
        output_label="predicted value",
    )


def many_rows(n_rows: int = 60) -> Attribution:
    rng = np.random.default_rng(0)
    return Attribution.from_values(
        rng.normal(size=(n_rows, 3)),
        data=np.column_stack(
            [
                rng.choice(["... < 0 DM", "0 <= ... < 200 DM"], n_rows),
                rng.integers(6, 60, n_rows),
                rng.normal(size=n_rows),
            ]
        ),
        feature_names=["checking", "duration", "amount"],
        output_space="log-odds",
        output_label="log-odds of good",
    )


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_importance_bars_carry_no_text_and_whiskers_stand_out_on_the_bars() -> None:
    fig = charts.importance_bar(global_importance(many_rows()), display_names=DISPLAY)
    (bar,) = fig.data
    assert bar.text is None and bar.texttemplate is None
    assert _contrast(bar.marker.color, bar.error_x.color) >= 4.5
    assert "Checking account" in bar.y


@pytest.mark.parametrize("build", ["beeswarm", "dependence"])
def test_colour_bar_titles_run_beside_the_low_high_ticks(build: str) -> None:
    attribution = many_rows()
    fig = (
        charts.beeswarm(attribution)
        if build == "beeswarm"
        else charts.dependence(attribution, "duration", colour_by="amount")
    )
    bars = [t.marker.colorbar for t in fig.data if t.marker.showscale]
    assert len(bars) == 1
    assert bars[0].title.side == "right"
    assert list(bars[0].ticktext) == ["low", "high"]


def test_dependence_writes_category_values_as_the_reasons_do() -> None:
    fig = charts.dependence(many_rows(), "checking", display_names=DISPLAY)
    assert set(fig.data[0].x) == {"below 0 DM", "0 to under 200 DM"}
    rows = Attribution.from_values(
        [[0.1], [0.2]], data=[["... >= 200 DM / salary assignments"], ["no checking account"]]
    )
    wrapped = charts.dependence(rows, "x0").data[0].x
    assert wrapped[0] == "200 DM or more /<br>salary assignments"
    assert fig.layout.xaxis.title.text == "Checking account"


def test_axis_titles_are_short_and_name_the_output_space_once() -> None:
    probability = loan_row([-0.2, 0.1, 0.05, -0.1])
    assert charts.axis_title(probability) == "Effect on probability of good"
    assert charts.output_title(probability) == "probability of good"
    assert charts.axis_title(diabetes_row()) == "Effect on predicted value (model units)"
    assert charts.units_text("raw") == "the model's own units"
    fig = charts.waterfall(probability)
    assert fig.layout.xaxis.title.text == "probability of good"


def test_waterfall_labels_use_the_reasons_value_text_and_display_names() -> None:
    fig = charts.waterfall(loan_row([-0.2, 0.1, 0.05, -0.1]), display_names=DISPLAY)
    (trace,) = fig.data
    assert trace.y[0] == "average prediction" and trace.y[-1] == "this prediction"
    assert trace.y[1] == "Checking account = 0 to under 200 DM"
    assert "Loan duration (months) = 48" in trace.y
    assert list(trace.text) == ["0.700", "-0.200", "+0.100", "-0.100", "+0.050", "0.550"]
    assert trace.texttemplate == "%{text}"


def test_waterfall_shortens_long_labels_and_keeps_the_full_text_for_hover() -> None:
    (trace,) = charts.waterfall(loan_row([-0.2, 0.1, 0.05, -0.1])).data
    long = "Personal status and sex = male : divorced/separated/married/widowed"
    assert long in trace.hovertext
    shortened = trace.y[list(trace.hovertext).index(long)]
    assert len(shortened) <= charts.LABEL_LIMIT and shortened.endswith("…")
    assert all(len(label) <= charts.LABEL_LIMIT for label in trace.y)
    assert len(set(trace.y)) == len(trace.y)


def test_waterfall_of_raw_outputs_fits_the_axis_to_the_values() -> None:
    fig = charts.waterfall(diabetes_row())
    (trace,) = fig.data
    low, high = fig.layout.xaxis.range
    path = 152.63 + np.cumsum([0.0, 35.236, -9.709, 4.511, -0.809])
    assert 0 < low < path.min() and high > path.max()
    room = 0.2 * (path.max() - path.min())
    assert path.min() - low >= room and high - path.max() >= room  # text beside the bars fits
    assert trace.cliponaxis is True  # bars from zero are cut at the axis, not drawn over labels
    assert list(trace.text) == ["153", "+35.24", "-9.71", "+4.51", "-0.809", "182"]
    assert fig.layout.xaxis.title.text == "predicted value (model units)"


def test_waterfall_of_probabilities_starts_at_zero() -> None:
    fig = charts.waterfall(loan_row([-0.2, 0.1, 0.05, -0.1]))
    low, high = fig.layout.xaxis.range
    assert low == 0.0 and high > 0.7


def test_waterfall_makes_room_left_of_a_short_fall_near_zero() -> None:
    # the largest step comes first: a short fall from 0.05 to 0.005, then seven rises
    row = Attribution.from_values(
        [[-0.045] + [0.04] * 7], base_values=0.05, output_space="probability"
    )
    fig = charts.waterfall(row)
    assert fig.data[0].textposition[1] == "outside"
    assert fig.layout.xaxis.range[0] < 0


def test_waterfall_text_sits_inside_wide_steps_and_beside_short_ones() -> None:
    (trace,) = charts.waterfall(diabetes_row()).data
    positions = dict(zip(trace.text, trace.textposition, strict=True))
    assert positions["+35.24"] == "inside" and positions["-0.809"] == "outside"
    colours = dict(zip(trace.text, trace.textfont.color, strict=True))
    assert colours["+35.24"] == "white" and colours["-0.809"] == INK


def test_half_width_charts_grow_their_margins_for_labels() -> None:
    row = loan_row([-0.2, 0.1, 0.05, -0.1])
    for fig in (charts.waterfall(row), charts.contribution_bars(row)):
        assert fig.layout.xaxis.automargin is True and fig.layout.yaxis.automargin is True


def test_contribution_bars_use_readable_labels_and_a_short_axis_title() -> None:
    fig = charts.contribution_bars(diabetes_row())
    (bar,) = fig.data
    assert "sex = 2" in bar.y and "bmi = 32.1" in bar.y
    assert fig.layout.xaxis.title.text == "Effect on predicted value (model units)"


@pytest.mark.parametrize("value", [-0.0, -1e-9])
@pytest.mark.parametrize("space", ["probability", "raw"])
def test_step_text_never_shows_minus_zero(value: float, space: str) -> None:
    row = Attribution.from_values([[0.3, value]], base_values=-1e-9, output_space=space)
    (trace,) = charts.waterfall(row).data
    assert "-0" not in trace.text and "-0.000" not in trace.text
    assert trace.text[-1] in {"0.300", "0.3"}


def test_single_row_builders_refuse_many_rows() -> None:
    with pytest.raises(TypeError, match="needs a single row"):
        charts.waterfall(many_rows())
