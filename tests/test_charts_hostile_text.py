"""Every chart builder shows text from the data as written, never as Plotly markup.

Plotly draws ``<b>``, ``<span style=...>`` (whose ``background-image`` the
browser fetches) and ``<a href>`` in every label, title, legend, hover and
table cell, and fills ``%{...}`` in hover and text templates. Each builder of
``dashboard.charts``, ``health_charts``, ``analysis_charts`` and
``compare_charts`` gets results whose column names, category values, class
labels, group names, row ids and output names carry such markup; walking the
figure's JSON, no markup from the data may survive, and its escaped form must
be there (the data did reach the figure).
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import analysis_charts, charts, compare_charts, health_charts
from dashboard.text import escape_plotly
from explainers.data_quality import check_data_quality
from explainers.drift import attribution_drift, data_drift
from explainers.error_analysis import error_heatmap, error_tree
from explainers.fairness import attribution_by_group, group_fairness
from explainers.model_comparison import compare_fairness, compare_importance, compare_performance
from explainers.partial_dependence import FeatureDependence
from explainers.performance import (
    binary_performance,
    compare_splits,
    multiclass_performance,
    regression_performance,
    threshold_sweep,
)
from explainers.results import Attribution, global_importance

MODULES = (charts, health_charts, analysis_charts, compare_charts)
FIELD = "%{injected}"  # a template field no builder uses


def hostile(tag: str) -> str:
    """Markup Plotly would draw (bold, a fetched background image) and a template field."""
    url = f"http://127.0.0.1:9/{tag}.png"
    return f'<b>data-{tag}</b><span style="background-image:url({url})">s</span>{FIELD}'


N = 120
RNG = np.random.default_rng(0)
NUMBER, CATEGORY, OTHER = hostile("num"), hostile("cat"), hostile("other")
LABELS = np.array([hostile("yes"), hostile("no")], dtype=object)
VALUES = np.array([hostile("north"), hostile("south"), "east"], dtype=object)
Y = RNG.integers(0, 2, N)
SCORE = np.clip(0.4 * Y + 0.6 * RNG.random(N), 0, 1)
X = pd.DataFrame(
    {
        NUMBER: RNG.normal(size=N).round(3),
        CATEGORY: VALUES[np.arange(N) % 3],
        OTHER: RNG.integers(0, 50, N),
    },
    index=pd.Index([hostile(f"row{i}") for i in range(N)]),
)
GROUPS = pd.Series(VALUES[np.arange(N) % 3], name=hostile("group"))


def attribution(seed: int = 0) -> Attribution:
    plain = Attribution.from_values(
        np.random.default_rng(seed).normal(size=(N, 3)),
        base_values=0.5,
        data=X.to_numpy(dtype=object),
        feature_names=list(X.columns),
        method="TreeSHAP",
        output_space="probability",
        output_label=hostile("output"),
    )
    return dataclasses.replace(plain, row_ids=tuple(X.index))


def dependence(categorical: bool) -> FeatureDependence:
    grid = VALUES if categorical else np.linspace(0, 1, 3)
    return FeatureDependence(
        feature=CATEGORY if categorical else NUMBER,
        grid=grid,
        average=np.array([0.2, 0.5, 0.7]),
        individual=RNG.random((4, 3)),
        row_ids=tuple(X.index[:4]),
        categorical=categorical,
        output_space="probability",
        output_label=hostile("output"),
        n_total=N,
    )


def _binary():
    return binary_performance(LABELS[Y], SCORE, positive_label=LABELS[1])


def _fairness():
    return group_fairness(
        Y, (SCORE > 0.5).astype(int), GROUPS, positive_outcome=hostile("approved")
    )


def _errors() -> np.ndarray:
    return (RNG.random(N) < np.where(X[CATEGORY] == VALUES[0], 0.6, 0.1)).astype(float)


DISPLAY = {OTHER: hostile("display")}
CASES: dict[str, Callable[[], go.Figure]] = {
    "importance_bar": lambda: charts.importance_bar(global_importance(attribution())),
    "beeswarm": lambda: charts.beeswarm(attribution(), display_names=DISPLAY),
    "dependence": lambda: charts.dependence(attribution(), CATEGORY, colour_by=NUMBER),
    "waterfall": lambda: charts.waterfall(attribution().row(0), title=hostile("title")),
    "contribution_bars": lambda: charts.contribution_bars(
        attribution().row(1), display_names=DISPLAY, title=hostile("title")
    ),
    "confusion_matrix_figure": lambda: health_charts.confusion_matrix_figure(
        multiclass_performance(LABELS[Y], np.c_[SCORE, 1 - SCORE], class_labels=list(LABELS))
    ),
    "roc_curve_figure": lambda: health_charts.roc_curve_figure(_binary()),
    "calibration_figure": lambda: health_charts.calibration_figure(_binary()),
    "threshold_sweep_figure": lambda: health_charts.threshold_sweep_figure(
        threshold_sweep(LABELS[Y], SCORE, positive_label=LABELS[1]), threshold=0.5
    ),
    "residual_figure": lambda: health_charts.residual_figure(
        regression_performance(SCORE, SCORE + RNG.normal(size=N))
    ),
    "split_comparison_figure": lambda: health_charts.split_comparison_figure(
        compare_splits(_binary(), _binary())
    ),
    "group_metric_figure": lambda: health_charts.group_metric_figure(_fairness()),
    "group_attribution_figure": lambda: health_charts.group_attribution_figure(
        attribution_by_group(attribution(), GROUPS), display_names=DISPLAY
    ),
    "data_quality_table": lambda: health_charts.data_quality_table(
        check_data_quality(X.assign(**{hostile("constant"): 1}))
    ),
    "data_quality_bar": lambda: health_charts.data_quality_bar(check_data_quality(X)),
    "psi_figure": lambda: health_charts.psi_figure(data_drift(X, X.iloc[::-1].head(80))),
    "distribution_figure": lambda: health_charts.distribution_figure(
        data_drift(X, X.head(80)).feature(CATEGORY), display_names=DISPLAY
    ),
    "attribution_drift_figure": lambda: health_charts.attribution_drift_figure(
        attribution_drift(attribution(0), attribution(1)), display_names=DISPLAY
    ),
    "error_tree_figure": lambda: analysis_charts.error_tree_figure(
        error_tree(X, _errors(), min_leaf_rows=10), display_names=DISPLAY
    ),
    "error_heatmap_figure": lambda: analysis_charts.error_heatmap_figure(
        error_heatmap(X, _errors(), (CATEGORY, OTHER)), display_names=DISPLAY
    ),
    "dependence_curves_figure": lambda: analysis_charts.dependence_curves_figure(
        dependence(categorical=True)
    ),
    "importance_pairs": lambda: compare_charts.importance_pairs(
        compare_importance(attribution(0), attribution(1)),
        name_a=hostile("model-a"),
        name_b=hostile("model-b"),
    ),
    "metric_differences": lambda: compare_charts.metric_differences(
        compare_performance(
            LABELS[Y],
            np.c_[1 - SCORE, SCORE],
            np.c_[0.9 - SCORE, SCORE + 0.1].clip(0, 1),
            task="binary",
            class_labels=list(LABELS),
            n_boot=50,
        )  # fmt: skip
    ),
    "group_rate_pairs": lambda: compare_charts.group_rate_pairs(
        compare_fairness(
            Y == 1, SCORE > 0.5, SCORE > 0.4, GROUPS, positive_outcome=hostile("approved")
        ),
        name_a=hostile("model-a"),
    ),
}
# Builders whose figures hold only whybox's own words and numbers.
NO_DATA_TEXT = {
    "residual_figure", "split_comparison_figure", "data_quality_bar", "metric_differences",
}  # fmt: skip
EXTRA_CASES = {
    "numeric dependence curves": lambda: analysis_charts.dependence_curves_figure(
        dependence(categorical=False)
    ),
    "dependence coloured by a category": lambda: charts.dependence(
        attribution(), NUMBER, colour_by=CATEGORY
    ),
    "binary confusion matrix": lambda: health_charts.confusion_matrix_figure(_binary()),
}
# Bold from the data, or any tag but whybox's own <b>, <br> and <extra>.
MARKUP = re.compile(r"<b>data-|<(?!/?(?:b|br|extra)>)")
ESCAPED = escape_plotly("<b>")


def builders() -> set[str]:
    """Every public function of the chart modules that returns a Plotly figure."""
    return {
        name
        for module in MODULES
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__
        and not name.startswith("_")
        and inspect.signature(function).return_annotation in ("go.Figure", go.Figure)
    }


def strings(node: object, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a figure's JSON with where it is (``customdata`` left out: see below)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key != "customdata" or _shown(node):
                yield from strings(value, f"{path}.{key}")
    elif isinstance(node, (list, tuple, np.ndarray)):
        for i, value in enumerate(node):
            yield from strings(value, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


def _shown(trace: dict[str, object]) -> bool:
    """Customdata is drawn only through a template; unshown, it carries raw row ids for clicks."""
    templates = (trace.get("hovertemplate"), trace.get("texttemplate"))
    return any("customdata" in str(template) for template in templates)


def test_every_builder_has_a_hostile_case() -> None:
    assert builders() == set(CASES)


@pytest.mark.parametrize("case", [*CASES, *EXTRA_CASES])
def test_text_from_the_data_is_never_markup(case: str) -> None:
    figure = {**CASES, **EXTRA_CASES}[case]()
    found = list(strings(figure.to_plotly_json()))
    markup = [(path, text) for path, text in found if MARKUP.search(text)]
    fields = [(path, text) for path, text in found if FIELD in text]
    assert markup == [] and fields == []
    if case not in NO_DATA_TEXT:
        assert any(ESCAPED in text for _, text in found), "no text from the data reached it"
