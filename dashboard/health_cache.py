"""Cache wrappers and session state of the model-health pages.

Performance, fairness, data quality and drift need datasets beside the one the
workspace was loaded with: training data (to judge overfitting) and current
data (to measure drift). On the bundled loan demo they default to the shipped
``loan_train.csv`` / ``loan_test.csv`` / ``loan_current.csv``; otherwise the
user uploads them on the page, and they are held in ``st.session_state``
under :data:`TRAINING_DATA` / :data:`CURRENT_DATA`, tied to the workspace they
were uploaded for. Every cached result is keyed by the workspace key, the
sources' content digests and (where they matter) the settings, never by file
names; the workspace and sources travel as ``_``-prefixed arguments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import actions, cache, cohort_state
from dashboard.state import UploadedFile, Workspace
from explainers.cohorts import Cohort, CohortData, cohort_data, cohort_mask
from explainers.data_quality import DataQualityReport, check_data_quality
from explainers.decision_settings import sensitive_groups
from explainers.drift import (
    AttributionDrift,
    DataDrift,
    PredictionDrift,
    attribution_drift,
    data_drift,
    prediction_drift,
)
from explainers.errors import DataValidationError
from explainers.fairness import (
    GroupAttribution,
    GroupFairness,
    attribution_by_group,
    group_fairness,
)
from explainers.loading import prepare
from explainers.model_bundle import model_outputs
from explainers.model_calls import run_model_task
from explainers.naming import feature_label
from explainers.performance import (
    Performance,
    SplitComparison,
    ThresholdSweep,
    binary_performance,
    compare_splits,
    multiclass_performance,
    regression_performance,
    threshold_sweep,
)
from explainers.results import Attribution
from explainers.shap_attributions import global_sample
from sample_models import DEMOS

TRAINING_DATA = "whybox.health.training_data"
CURRENT_DATA = "whybox.health.current_data"
SPLIT = "whybox.health.split"
THRESHOLD = "whybox.health.threshold"
NONE = "(none)"

NO_TARGET = (
    "No target column is chosen, so there are no true outcomes to compare the model with. "
    "Reload the model on the upload page and pick the column that holds the true outcome."
)
NO_TARGET_COLUMN = "{name} has no column {target!r} with the true outcomes."
NO_TARGET_COLUMN_HINT = "Upload data with the same target column as the loaded dataset."
NO_TRAINING = (
    "To check for overfitting, upload the data the model was trained on above (or pick a "
    "column that marks training and test rows); training and test results then appear "
    "side by side."
)
NO_CURRENT = (
    "Drift compares the data the model was checked on with the data it sees now. Upload a "
    "current dataset with the same columns above to see what changed."
)
NOT_CLASSIFIER = (
    "Fairness here compares yes/no decisions between groups, and this model predicts a "
    "number. Fairness checks need a classification model."
)
MAX_GROUPS = 20
SourceKey = tuple[str, tuple[str, str] | None, str | None]


@dataclass(frozen=True, slots=True)
class Source:
    """One dataset a health page measures, optionally only the rows a split column marks.

    Attributes
    ----------
    upload : UploadedFile
        The file's bytes and digest.
    name : str
        How the page names it, e.g. ``"loan_test.csv (the demo's test split)"``.
    rows : tuple of (str, str) or None
        ``(column, value)``: keep only rows whose column reads ``value``.
    cohort : Cohort or None
        Keep only the rows of this cohort (the one the pages follow).
    """

    upload: UploadedFile
    name: str
    rows: tuple[str, str] | None = None
    cohort: Cohort | None = None

    @property
    def key(self) -> SourceKey:
        """What identifies the rows in a cache key."""
        cohort = None if self.cohort is None else json.dumps(self.cohort.to_json(), sort_keys=True)
        return self.upload.digest, self.rows, cohort

    def whole(self) -> Source:
        """The same dataset without the cohort."""
        return replace(self, cohort=None)


@dataclass(frozen=True, slots=True)
class Scored:
    """A dataset aligned to the model, with its true outcomes and model outputs."""

    frame: pd.DataFrame
    X: pd.DataFrame
    y_true: pd.Series | None
    outputs: np.ndarray


@dataclass(frozen=True, slots=True)
class PerformanceReport:
    """Test performance, the threshold sweep (binary) and the training comparison."""

    test: Performance
    sweep: ThresholdSweep | None
    comparison: SplitComparison | None
    test_name: str
    training_name: str | None


@dataclass(frozen=True, slots=True)
class FairnessReport:
    """Group rates and mean attribution per group for one sensitive feature."""

    rates: GroupFairness
    attribution: GroupAttribution
    n_attributed: int


@dataclass(frozen=True, slots=True)
class DriftReport:
    """Feature, prediction and attribution drift of current against reference data."""

    data: DataDrift
    prediction: PredictionDrift
    attribution: AttributionDrift
    reference_name: str
    current_name: str


def _demo_file(ws: Workspace, attribute: str) -> UploadedFile | None:
    demo = DEMOS.get(ws.is_demo or "")
    name = getattr(demo, attribute, None) if demo is not None else None
    return None if name is None else actions.uploaded(name, demo.path(name).read_bytes())


def stored(ws: Workspace, key: str) -> object | None:
    value = st.session_state.get(key)
    return value[1] if isinstance(value, tuple) and value[0] == ws.files_key else None


def test_source(ws: Workspace) -> Source:
    """The data performance, fairness and data quality are measured on (the cohort's rows)."""
    return replace(_test_source(ws), cohort=cohort_state.active())


def _test_source(ws: Workspace) -> Source:
    split = stored(ws, SPLIT)
    if isinstance(split, tuple):
        column, _, test = split
        return Source(ws.data, f"rows of {ws.data.name} marked {test!r}", (column, test))
    demo_test = _demo_file(ws, "test_file")
    if demo_test is not None:
        return Source(demo_test, f"{demo_test.name} (the demo's held-out test split)")
    return Source(ws.data, ws.data.name)


def _extra_source(
    ws: Workspace, key: str, demo_attribute: str, split: Source | None = None
) -> Source | None:
    """The upload stored under ``key``, else ``split``, else the demo's file (the cohort's rows)."""
    upload = stored(ws, key)
    if isinstance(upload, UploadedFile):
        source: Source | None = Source(upload, upload.name)
    elif split is not None:
        source = split
    else:
        demo = _demo_file(ws, demo_attribute)
        source = None if demo is None else Source(demo, f"{demo.name} (demo)")
    return None if source is None else replace(source, cohort=cohort_state.active())


def training_source(ws: Workspace) -> Source | None:
    """The data the model learned from: uploaded, a split, or the demo's (the cohort's rows)."""
    split = stored(ws, SPLIT)
    marked = None
    if isinstance(split, tuple):
        column, train, _ = split
        marked = Source(ws.data, f"rows of {ws.data.name} marked {train!r}", (column, train))
    return _extra_source(ws, TRAINING_DATA, "train_file", marked)


def current_source(ws: Workspace) -> Source | None:
    """The data the model sees now: uploaded, or the demo's shifted sample (the cohort's rows)."""
    return _extra_source(ws, CURRENT_DATA, "current_file")


def reference_source(ws: Workspace) -> Source:
    """The loaded dataset, which drift is measured against (the cohort's rows)."""
    return Source(ws.data, ws.data.name, cohort=cohort_state.active())


@st.cache_data(max_entries=32, show_spinner=False)
def _scored(
    key: str,
    source_key: SourceKey,
    groups_key: str | None,
    _ws: Workspace,
    _source: Source,
) -> Scored:
    if _source.cohort is not None:  # the whole dataset's outputs, filtered: no new predictions
        whole = scored(_ws, _source.whole())
        facts = cohort_facts(_ws, whole.frame, whole.outputs, whole.y_true)
        keep = cohort_mask(_source.cohort, facts)
        y_true = None if whole.y_true is None else whole.y_true[keep]
        return Scored(whole.frame[keep], whole.X[keep], y_true, whole.outputs[keep])
    frame = cache.dataset(_source.upload)
    if _source.rows is not None:
        column, value = _source.rows
        frame = frame[frame[column].astype(str) == value]
    target = _ws.target if _ws.target in frame.columns else None
    prepared = prepare(cache.prepared(_ws).bundle, frame, target=target)
    outputs = run_model_task(prepared.bundle, model_outputs, prepared.X)
    return Scored(frame, prepared.X, prepared.y_true, outputs)


def derived_groups(ws: Workspace, frame: pd.DataFrame) -> dict[str, pd.Series]:
    """The decision settings' derived groups (sex, age band…) the frame's columns allow."""
    return {
        group.name: group.derive(frame)
        for group in ws.settings.groups
        if group.column in frame and group.name not in frame
    }


def cohort_facts(
    ws: Workspace, frame: pd.DataFrame, outputs: np.ndarray, y_true: pd.Series | None
) -> CohortData:
    """What a cohort is evaluated on: columns, predicted labels, errors, outcomes, groups."""
    bundle = cache.prepared(ws).bundle
    return cohort_data(
        frame, predictions=bundle.labels_from_output(outputs), y_true=y_true,
        regression=bundle.task == "regression", groups=derived_groups(ws, frame),
    )  # fmt: skip


def n_whole(ws: Workspace, source: Source) -> int:
    """Rows of a source before the cohort is applied."""
    return len(scored(ws, source.whole()).X)


def workspace_rows(ws: Workspace) -> pd.Index:
    """Index labels of the loaded data's rows in the followed cohort (all rows without one)."""
    return scored(ws, reference_source(ws)).X.index


def follow_cohort(ws: Workspace, explained: Attribution) -> Attribution:
    """The rows of an attribution of the loaded data that are in the followed cohort."""
    if cohort_state.active() is None:
        return explained
    keep = set(workspace_rows(ws))
    return explained.rows([i for i, row in enumerate(explained.row_ids) if row in keep])


def scored(ws: Workspace, source: Source) -> Scored:
    """A dataset aligned to the workspace's model, with outputs (cached by content).

    A cohort's rows are cut from the whole dataset's outputs; the settings'
    derived groups are then part of the key, since a cohort may test them.
    """
    groups = None if source.cohort is None else repr(ws.settings.groups)
    return _scored(ws.key, source.key, groups, ws, source)


def _measure(ws: Workspace, source: Source, threshold: float) -> Performance:
    bundle, data = cache.prepared(ws).bundle, scored(ws, source)
    if data.y_true is None:
        raise DataValidationError(
            NO_TARGET_COLUMN.format(name=source.name, target=ws.target), NO_TARGET_COLUMN_HINT
        )
    known = data.y_true.notna().to_numpy()
    outputs = data.outputs[known]
    if bundle.task == "regression":
        return regression_performance(data.y_true[known].to_numpy(float), outputs[:, 0])
    y_true = data.y_true[known].astype(str).to_numpy()
    if bundle.task == "multiclass":
        return multiclass_performance(y_true, outputs, class_labels=bundle.output_labels)
    return binary_performance(
        y_true, outputs[:, cache.favourable_index(ws)],
        positive_label=cache.favourable_label(ws), threshold=threshold,
    )  # fmt: skip


@st.cache_data(max_entries=64, show_spinner=False)
def _performance(
    key: str,
    settings_key: str,
    test_key: SourceKey,
    training_key: SourceKey | None,
    threshold: float,
    _ws: Workspace,
) -> PerformanceReport:
    lw = cache.loaded(_ws)
    test, training = test_source(_ws), training_source(_ws)
    data = scored(_ws, test)
    result = _measure(_ws, test, threshold)
    sweep = None
    if result.task == "binary":
        known = data.y_true.notna().to_numpy()
        sweep = threshold_sweep(
            data.y_true[known].astype(str), data.outputs[known, lw.favourable],
            positive_label=lw.favourable_label,
        )  # fmt: skip
    comparison = None
    if training is not None:
        comparison = compare_splits(_measure(_ws, training, threshold), result)
    return PerformanceReport(
        result, sweep, comparison, test.name, None if training is None else training.name
    )


def performance(ws: Workspace, *, threshold: float = 0.5) -> PerformanceReport:
    """Performance on the test data, and against the training data when there is some."""
    training = training_source(ws)
    return _performance(
        ws.key, ws.settings_key, test_source(ws).key,
        None if training is None else training.key, threshold, ws,
    )  # fmt: skip


@st.cache_data(max_entries=32, show_spinner=False)
def _source_shap(
    key: str,
    source_key: SourceKey,
    output: int,
    _ws: Workspace,
    _source: Source,
) -> Attribution:
    return cache.shap_of_rows(_ws, global_sample(scored(_ws, _source).X), output)


def attribution(ws: Workspace, source: Source, output: int) -> Attribution:
    """SHAP on a source's rows (a fixed random sample when large), reusing the global view.

    A cohort's attributions are the whole dataset's rows that are in the cohort.
    """
    if source.cohort is not None:
        whole = attribution(ws, source.whole(), output)
        keep = set(scored(ws, source).X.index)
        return whole.rows([i for i, row in enumerate(whole.row_ids) if row in keep])
    if source == reference_source(ws).whole() and output == cache.output_index(ws):
        return cache.global_shap(ws)
    return _source_shap(ws.key, source.key, output, ws, source)


def sensitive_options(ws: Workspace) -> tuple[list[str], list[str]]:
    """Sensitive features on offer (the settings' derived groups first) and the ones picked.

    The defaults are the decision settings' ``sensitive`` features.
    """
    frame = scored(ws, test_source(ws)).frame
    derived = [g.name for g in ws.settings.groups if g.column in frame]
    raw = [str(c) for c in frame.columns if c != ws.target and frame[c].nunique() <= MAX_GROUPS]
    options = derived + [c for c in raw if c not in derived]
    return options, [s for s in ws.settings.sensitive if s in options]


@st.cache_data(max_entries=64, show_spinner=False)
def _fairness(
    key: str,
    settings_key: str,
    test_key: SourceKey,
    features: tuple[str, ...],
    threshold: float,
    _ws: Workspace,
) -> tuple[FairnessReport, ...]:
    lw = cache.loaded(_ws)
    source, index, favourable = test_source(_ws), lw.favourable, lw.favourable_label
    data = scored(_ws, source)
    if lw.bundle.task == "binary":
        approved = data.outputs[:, index] >= threshold
    else:
        approved = data.outputs.argmax(axis=1) == index
    y_true = None if data.y_true is None else data.y_true.astype(str).to_numpy() == favourable
    explained, names = attribution(_ws, source, index), cache.display_names(_ws)
    reports = []
    for feature in features:
        groups = sensitive_groups(_ws.settings, data.frame, feature)
        groups = groups.rename(feature_label(feature, names))
        rates = group_fairness(
            y_true, approved, groups, positive_label=True,
            positive_outcome=_ws.settings.favourable_text,
        )  # fmt: skip
        by_group = attribution_by_group(
            explained, groups.loc[list(explained.row_ids)], display_names=names
        )
        reports.append(FairnessReport(rates, by_group, explained.n_rows))
    return tuple(reports)


def fairness(
    ws: Workspace, features: tuple[str, ...], *, threshold: float = 0.5
) -> tuple[FairnessReport, ...]:
    """Group rates and mean attribution per group for each sensitive feature."""
    return _fairness(ws.key, ws.settings_key, test_source(ws).key, features, threshold, ws)


def quality_sources(ws: Workspace) -> dict[str, Source]:
    """The datasets the data-quality page can check, by the name it shows."""
    found = {"Test data": test_source(ws), "Training data": training_source(ws)}
    found["Current data"] = current_source(ws)
    return {label: source for label, source in found.items() if source is not None}


@st.cache_data(max_entries=32, show_spinner=False)
def _quality(
    key: str,
    source_key: SourceKey,
    training_key: SourceKey | None,
    _ws: Workspace,
    _source: Source,
    _training: Source | None,
) -> DataQualityReport:
    target = _ws.target
    data = scored(_ws, _source)
    features = data.frame.drop(columns=[c for c in (target,) if c in data.frame])
    X_train = None
    if _training is not None:
        train_frame = scored(_ws, _training).frame
        X_train = train_frame.drop(columns=[c for c in (target,) if c in train_frame])
    task = "regression" if cache.prepared(_ws).bundle.task == "regression" else "classification"
    return check_data_quality(features, y_true=data.y_true, X_train=X_train, task=task)


def quality(ws: Workspace, source: Source) -> DataQualityReport:
    """Data-quality findings; test data is also checked for rows shared with training data."""
    training = training_source(ws) if source == test_source(ws) else None
    training_key = None if training is None else training.key
    return _quality(ws.key, source.key, training_key, ws, source, training)


@st.cache_data(max_entries=16, show_spinner=False)
def _drift(
    key: str,
    settings_key: str,
    reference_key: SourceKey,
    current_key: SourceKey,
    _ws: Workspace,
    _current: Source,
) -> DriftReport:
    output = cache.output_index(_ws)
    reference, names = reference_source(_ws), cache.display_names(_ws)
    ref, cur = scored(_ws, reference), scored(_ws, _current)
    return DriftReport(
        data=data_drift(ref.X, cur.X, display_names=names),
        prediction=prediction_drift(ref.outputs[:, output], cur.outputs[:, output]),
        attribution=attribution_drift(
            attribution(_ws, reference, output),
            attribution(_ws, _current, output),
            display_names=names,
        ),
        reference_name=reference.name,
        current_name=_current.name,
    )


def drift(ws: Workspace, current: Source) -> DriftReport:
    """How the current data, the model's scores and its explanations moved."""
    return _drift(ws.key, ws.settings_key, reference_source(ws).key, current.key, ws, current)


def group_table(rates: GroupFairness) -> pd.DataFrame:
    """Per-group rows, rates and error rates as a table for display.

    The rates are percentages (0 to 100), to be shown as whole percents like the
    chart and the findings.
    """
    table = pd.DataFrame({"Group": rates.groups, "Rows": rates.count})
    table[f"Share {rates.positive_outcome}"] = 100 * rates.selection_rate
    for name, values in (
        ("True positive rate", rates.true_positive_rate),
        ("False positive rate", rates.false_positive_rate),
        ("Accuracy", rates.accuracy),
    ):
        if values is not None:
            table[name] = 100 * values
    return table
