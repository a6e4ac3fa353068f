"""The whole model, assembled once: card, performance, importance, fairness, quality, drift, errors.

:func:`summarise_model` puts together what the whole-model report shows from
results already computed (model outputs and SHAP values), so the
``whybox model-report`` command and the dashboard's Overview download say the
same. It calls no model: the caller gets outputs and attributions through
:func:`explainers.model_calls.run_model_task` (the CLI) or the dashboard's
caches (worker pool), then hands them in as :class:`ScoredData`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import pandas as pd

from explainers.data_quality import DataQualityReport, check_data_quality
from explainers.decision import _version
from explainers.decision_settings import DecisionSettings
from explainers.drift import (
    AttributionDrift,
    DataDrift,
    PredictionDrift,
    attribution_drift,
    data_drift,
    prediction_drift,
)
from explainers.error_analysis import ErrorTree, error_tree, prediction_errors
from explainers.errors import ExplainerError
from explainers.fairness import (
    GroupAttribution,
    GroupFairness,
    attribution_by_group,
    group_fairness,
)
from explainers.model_bundle import ModelBundle, Task
from explainers.naming import feature_label
from explainers.performance import (
    Performance,
    SplitComparison,
    binary_performance,
    compare_splits,
    multiclass_performance,
    regression_performance,
)
from explainers.results import Attribution, FloatArray, GlobalImportance, global_importance


def model_outputs(bundle: ModelBundle, X: pd.DataFrame) -> FloatArray:
    """The model's outputs for ``X`` (a model task: run it through ``run_model_task``)."""
    return bundle.predict_output(X)


@dataclass(frozen=True, slots=True)
class ScoredData:
    """One dataset with the model's outputs: what every section is computed from.

    Parameters
    ----------
    name : str
        How the report names it, e.g. ``"loan_test.csv"``.
    frame : pandas.DataFrame
        Every column as uploaded (sensitive and ID columns included).
    X : pandas.DataFrame
        The model's input columns, aligned with ``frame``.
    y_true : pandas.Series or None
        True outcomes, when the data has a target.
    outputs : array of shape (n_rows, n_outputs)
        The model's probabilities (classification) or predictions.
    attribution : Attribution or None
        SHAP values of (a sample of) its rows for the output explained.
    """

    name: str
    frame: pd.DataFrame
    X: pd.DataFrame
    y_true: pd.Series | None
    outputs: FloatArray
    attribution: Attribution | None = None


@dataclass(frozen=True, slots=True)
class ModelCard:
    """What the model is, what it was checked on, and how the report was made."""

    model_name: str
    model_type: str
    task: Task
    classes: tuple[str, ...]
    favourable: str | None
    training_data: str | None
    data_name: str
    n_rows: int
    target: str | None
    method: str
    whybox_version: str
    generated_at: datetime
    source: str | None = None


@dataclass(frozen=True, slots=True)
class FairnessSection:
    """Group rates and mean attribution per group for one sensitive feature."""

    rates: GroupFairness
    attribution: GroupAttribution


@dataclass(frozen=True, slots=True)
class DriftSection:
    """How current data, the model's scores and its explanations moved from the reference."""

    data: DataDrift
    prediction: PredictionDrift
    attribution: AttributionDrift | None
    reference_name: str
    current_name: str


@dataclass(frozen=True, slots=True)
class ModelSummary:
    """Everything the whole-model report shows; ``None`` marks a section without its inputs.

    ``notes`` says, per section, why one is missing (no target, no training data…).
    """

    card: ModelCard
    settings: DecisionSettings
    attribution: Attribution
    importance: GlobalImportance
    performance: Performance | None
    comparison: SplitComparison | None
    training_name: str | None
    fairness: tuple[FairnessSection, ...]
    quality: DataQualityReport
    drift: DriftSection | None
    errors: ErrorTree | None
    errors_X: pd.DataFrame | None
    threshold: float
    notes: Mapping[str, str]


def _labels(task: Task, classes: tuple[str, ...], outputs: FloatArray) -> npt.NDArray[np.object_]:
    if task == "regression":
        return np.asarray(outputs[:, 0], dtype=object)
    return np.asarray(np.asarray(classes, dtype=object)[outputs.argmax(axis=1)], dtype=object)


def _performance(
    task: Task, classes: tuple[str, ...], data: ScoredData, favourable: int, threshold: float
) -> Performance:
    assert data.y_true is not None
    known = data.y_true.notna().to_numpy()
    outputs = data.outputs[known]
    if task == "regression":
        return regression_performance(data.y_true[known].to_numpy(float), outputs[:, 0])
    y_true = data.y_true[known].astype(str).to_numpy()
    if task == "multiclass":
        return multiclass_performance(y_true, outputs, class_labels=classes)
    return binary_performance(
        y_true, outputs[:, favourable], positive_label=classes[favourable], threshold=threshold
    )


def sensitive_groups(settings: DecisionSettings, frame: pd.DataFrame, feature: str) -> pd.Series:
    """The group of each row for one sensitive feature (a column, or a derived group)."""
    for group in settings.groups:
        if group.name == feature and feature not in frame:
            return group.derive(frame)
    return frame[feature].rename(feature)


def _fairness(
    bundle: ModelBundle, data: ScoredData, settings: DecisionSettings, favourable: int,
    threshold: float, display_names: Mapping[str, str],
) -> tuple[FairnessSection, ...]:  # fmt: skip
    if bundle.task == "binary":
        approved = data.outputs[:, favourable] >= threshold
    else:
        approved = data.outputs.argmax(axis=1) == favourable
    label = bundle.output_labels[favourable]
    y_true = None if data.y_true is None else data.y_true.astype(str).to_numpy() == label
    sections = []
    assert data.attribution is not None
    for feature in settings.sensitive:
        if feature not in data.frame and feature not in {g.name for g in settings.groups}:
            continue
        groups = sensitive_groups(settings, data.frame, feature)
        groups = groups.rename(feature_label(feature, display_names))
        rates = group_fairness(
            y_true, approved, groups, positive_label=True,
            positive_outcome=settings.favourable_text,
        )  # fmt: skip
        by_group = attribution_by_group(
            data.attribution, groups.loc[list(data.attribution.row_ids)],
            display_names=display_names,
        )  # fmt: skip
        sections.append(FairnessSection(rates, by_group))
    return tuple(sections)


def summarise_model(
    bundle: ModelBundle,
    test: ScoredData,
    *,
    settings: DecisionSettings,
    output: int,
    train: ScoredData | None = None,
    current: ScoredData | None = None,
    reference: ScoredData | None = None,
    model_name: str | None = None,
    model_card: Mapping[str, object] | None = None,
) -> ModelSummary:
    """Assemble the whole-model report from outputs and attributions already computed.

    Parameters
    ----------
    bundle : ModelBundle
        Only its description (task, class labels, name) is read; no model is called.
    test : ScoredData
        The data the model is judged on, with its attribution (importance, fairness).
    settings : DecisionSettings
        Favourable class, wording, sensitive features, display names, threshold.
    output : int
        The output explained (the favourable class for classification).
    train : ScoredData, optional
        The training data, for the overfitting comparison.
    current : ScoredData, optional
        Data the model sees now, for drift (with its attribution, for explanation drift).
    reference : ScoredData, optional
        What drift is measured against; ``test`` by default.
    model_name : str, optional
    model_card : mapping, optional
        A model card entry (``name``, ``training_data``, ``source``).

    Returns
    -------
    ModelSummary

    Raises
    ------
    ExplainerError
        If ``test`` has no attribution.
    """
    if test.attribution is None:
        raise ExplainerError("The report needs SHAP values of the test data.", "")
    names = dict(settings.display_names)
    card_entry = dict(model_card or {})
    notes: dict[str, str] = {}
    threshold = settings.threshold
    performance = comparison = None
    errors = errors_X = None
    if test.y_true is not None and test.y_true.notna().any():
        performance = _performance(bundle.task, bundle.class_labels, test, output, threshold)
        if train is not None and train.y_true is not None:
            comparison = compare_splits(
                _performance(bundle.task, bundle.class_labels, train, output, threshold),
                performance,
            )
        else:
            notes["overfitting"] = "No training data was given, so overfitting was not checked."
        found = prediction_errors(
            _labels(bundle.task, bundle.class_labels, test.outputs), test.y_true,
            regression=bundle.task == "regression",
        )  # fmt: skip
        errors_X = test.X.loc[list(found.row_ids)]
        errors = error_tree(errors_X, found.errors, kind=found.kind)
    else:
        notes["performance"] = (
            "The data has no target column, so performance and error analysis were not measured."
        )
    fairness: tuple[FairnessSection, ...] = ()
    if bundle.task == "regression":
        notes["fairness"] = "Fairness compares yes/no decisions; this model predicts a number."
    else:
        fairness = _fairness(bundle, test, settings, output, threshold, names)
        if not fairness:
            notes["fairness"] = "The decision settings name no sensitive feature in this data."
    X_train = None if train is None else train.frame.drop(columns=_target(test), errors="ignore")
    quality = check_data_quality(
        test.frame.drop(columns=_target(test), errors="ignore"), y_true=test.y_true,
        X_train=X_train, task="regression" if bundle.task == "regression" else "classification",
    )  # fmt: skip
    drift = None
    base = reference or test
    if current is not None:
        explained = None
        if base.attribution is not None and current.attribution is not None:
            explained = attribution_drift(
                base.attribution, current.attribution, display_names=names
            )
        drift = DriftSection(
            data_drift(base.X, current.X, display_names=names),
            prediction_drift(base.outputs[:, output], current.outputs[:, output]),
            explained, base.name, current.name,
        )  # fmt: skip
    else:
        notes["drift"] = "No current data was given, so drift was not measured."
    attribution = test.attribution
    card = ModelCard(
        model_name=str(card_entry.get("name") or model_name or bundle.name),
        model_type=bundle.name,
        task=bundle.task,
        classes=bundle.class_labels,
        favourable=bundle.output_labels[output] if bundle.task != "regression" else None,
        training_data=_text(card_entry.get("training_data"))
        or (None if train is None else f"{train.name} ({len(train.X):,} rows)"),
        data_name=test.name,
        n_rows=len(test.X),
        target=None if test.y_true is None else str(test.y_true.name),
        method=f"SHAP ({attribution.method}{'' if attribution.exact else ', estimated'}) on "
        f"{attribution.n_rows:,} of {len(test.X):,} rows; values in units of the "
        f"{attribution.output_label}",
        whybox_version=_version(),
        generated_at=datetime.now(UTC),
        source=_text(card_entry.get("source")),
    )
    return ModelSummary(
        card=card, settings=settings, attribution=attribution,
        importance=global_importance(attribution), performance=performance,
        comparison=comparison, training_name=None if train is None else train.name,
        fairness=fairness, quality=quality, drift=drift, errors=errors, errors_X=errors_X,
        threshold=threshold, notes=notes,
    )  # fmt: skip


def _target(data: ScoredData) -> list[str]:
    return [] if data.y_true is None else [str(data.y_true.name)]


def _text(value: object) -> str | None:
    return None if value is None else str(value)


__all__ = [
    "DriftSection",
    "FairnessSection",
    "ModelCard",
    "ModelSummary",
    "ScoredData",
    "model_outputs",
    "sensitive_groups",
    "summarise_model",
]
