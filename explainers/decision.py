"""One decision, assembled once: prediction, reasons, breakdown, recourse, trust, provenance.

:func:`summarise_decision` is the single place that puts a decision together:
the dashboard's "One decision" page, its presenter mode, its report downloads
and the ``whybox report`` command all render the :class:`Decision` it
returns, so a page, a downloaded report and one written on the command line
say the same.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from explainers.decision_settings import DecisionSettings
from explainers.errors import DataValidationError
from explainers.lime_attributions import comparable_space, explain_lime
from explainers.loading import PreparedData
from explainers.model_bundle import ModelBundle, Task
from explainers.model_calls import run_model_task
from explainers.naming import feature_label
from explainers.reasons import (
    Reasons,
    display_view,
    explain_in_words,
    format_value,
    to_probability_points,
)
from explainers.recourse import RecourseResult, find_recourse
from explainers.results import Attribution
from explainers.shap_attributions import (
    ShapPlan,
    background_sample,
    explain_planned,
    global_sample,
    plan_shap,
)
from explainers.trust import TrustReport, assess_agreement, lime_stability

STABILITY_SEEDS: tuple[int, ...] = (0, 1, 2)

UNKNOWN_ROW = "There is no row {row_id!r} in {data_name}."
UNKNOWN_ROW_HINT = (
    "Row IDs are the dataset's row labels ({examples}); the first data row is {first!r}. "
    "To look a person up by a column of IDs instead, name that column as the ID column "
    "(--id-column on the command line)."
)
UNKNOWN_ID = "No row of {data_name} has {id_column} = {value!r}."
UNKNOWN_ID_HINT = "Check the ID; the column holds values such as {examples}."
DUPLICATE_ID = (
    "{n} rows of {data_name} have {id_column} = {value!r}, so the report would be ambiguous."
)
DUPLICATE_ID_HINT = "Pick an ID column whose values are unique, or give the row label instead."
NO_ID_COLUMN = "The dataset has no column called {id_column!r}."
NO_ID_COLUMN_HINT = "Pick one of its columns: {columns}."


@dataclass(frozen=True, slots=True)
class Provenance:
    """What a decision was computed from, and how.

    Parameters
    ----------
    model_name : str
        The model's name, e.g. from its model card.
    model_type : str
        The estimator, e.g. ``"GradientBoostingClassifier in a Pipeline (...)"``.
    training_data : str or None
        What the model was trained on, when a model card says so.
    data_name : str
        The dataset the row was taken from (a file name).
    n_rows : int
        Rows in that dataset.
    whybox_version : str
        The installed whybox version.
    generated_at : datetime
        When the explanation was computed (UTC).
    method : str
        The methods used, in a few plain sentences.
    """

    model_name: str
    model_type: str
    training_data: str | None
    data_name: str
    n_rows: int
    whybox_version: str
    generated_at: datetime
    method: str


@dataclass(frozen=True, slots=True)
class Decision:
    """Everything one decision shows, computed once: page, presenter mode and reports.

    Parameters
    ----------
    row_id : object
        The dataset index label of the row.
    row_label : str
        How the row is named to a reader, e.g. ``"row 1"`` or ``"ID 1234"``.
    task : {"binary", "multiclass", "regression"}
    favourable_label : str or None
        The class the person hopes for (recourse aims at it); None for regression.
    settings : DecisionSettings
        The decision settings the summary was made with (wording, names).
    shap : Attribution
        The one-row SHAP explanation, in the method's own output space (its
        output named in the settings' words, see :func:`worded`).
    breakdown : Attribution
        The same explanation in points a reader follows (probability points
        0 to 100, or the model's units for regression), with feature values
        as readable text: what the breakdown chart draws.
    lime : Attribution
        The one-row LIME explanation (the second opinion).
    reasons : Reasons
        The decision sentence and the reasons on each side.
    trust : TrustReport
        Whether SHAP and LIME agree, with LIME's fit and stability.
    recourse : RecourseResult or None
        Changes that would flip an unfavourable classification; None when
        the outcome is favourable or the task is regression.
    provenance : Provenance
        Model, data, version, date and method.
    """

    row_id: object
    row_label: str
    task: Task
    favourable_label: str | None
    settings: DecisionSettings
    shap: Attribution
    breakdown: Attribution
    lime: Attribution
    reasons: Reasons
    trust: TrustReport
    recourse: RecourseResult | None
    provenance: Provenance

    @property
    def shap_shown(self) -> Attribution:
        """The SHAP row in the units a person reads the prediction in (the page's waterfall)."""
        return display_view(self.shap, binary=self.task == "binary")


def worded(
    attribution: Attribution, settings: DecisionSettings, explained_label: str | None
) -> Attribution:
    """The attribution with its output also named in the settings' words.

    "probability of 1" becomes "probability of 1 (“survives”)" when the class
    explained (``explained_label``; None for regression) is the favourable one
    and its wording differs from its label.
    """
    label = explained_label
    if label is None or label != settings.favourable or settings.favourable_text == label:
        return attribution
    return replace(
        attribution, output_label=f"{attribution.output_label} (“{settings.favourable_text}”)"
    )


def find_row(
    prepared: PreparedData,
    row: str,
    *,
    id_column: str | None = None,
    data_name: str = "the dataset",
) -> object:
    """The index label of the row a person asked for by text.

    Parameters
    ----------
    prepared : PreparedData
        The model and its aligned dataset.
    row : str
        The dataset index label written as text (``"1"``), or, with
        ``id_column``, a value of that column.
    id_column : str, optional
        A column of the dataset holding a unique ID per row.
    data_name : str, default "the dataset"
        How the dataset is named in messages.

    Returns
    -------
    object
        The index label of the row in ``prepared.X``.

    Raises
    ------
    DataValidationError
        If no row matches, several rows share the ID, or ``id_column`` is
        not a column of the dataset.

    Examples
    --------
    >>> find_row(prepared, "1")  # doctest: +SKIP
    1
    """
    text = row.strip()
    if id_column is None:
        hits = prepared.X.index[prepared.X.index.astype(str) == text]
        if len(hits) == 0:
            raise _unknown_row(prepared.X.index, text, data_name)
        return hits[0]
    frame = prepared.frame
    if id_column not in frame.columns:
        columns = ", ".join(str(c) for c in frame.columns[:12])
        raise DataValidationError(
            NO_ID_COLUMN.format(id_column=id_column), NO_ID_COLUMN_HINT.format(columns=columns)
        )
    hits = frame.index[frame[id_column].astype(str).str.strip() == text]
    if len(hits) == 0:
        examples = ", ".join(repr(str(v)) for v in frame[id_column].head(3))
        raise DataValidationError(
            UNKNOWN_ID.format(data_name=data_name, id_column=id_column, value=text),
            UNKNOWN_ID_HINT.format(examples=examples),
        )
    if len(hits) > 1:
        raise DataValidationError(
            DUPLICATE_ID.format(n=len(hits), data_name=data_name, id_column=id_column, value=text),
            DUPLICATE_ID_HINT,
        )
    return hits[0]


def summarise_decision(
    prepared: PreparedData,
    row_id: object,
    *,
    output: int | None = None,
    plan: ShapPlan | None = None,
    settings: DecisionSettings | None = None,
    model_name: str | None = None,
    model_card: Mapping[str, object] | None = None,
    data_name: str = "the dataset",
    row_label: str | None = None,
) -> Decision:
    """Explain one row completely, for a page or a report a non-specialist can read.

    SHAP explains the row with ``plan``, or with the plan the dashboard makes
    for the dataset (:func:`plan_for`: a background of
    :data:`~explainers.shap_attributions.DEFAULT_BACKGROUND` rows sampled
    from ``prepared.X``, seed 0); LIME is fitted on
    ``prepared.X`` and rerun with :data:`STABILITY_SEEDS` to measure its
    stability; the two are compared for the trust verdict. Recourse is
    searched only for an unfavourable classification.

    Parameters
    ----------
    prepared : PreparedData
        The model and its aligned dataset.
    row_id : object
        The dataset index label of the row (see :func:`find_row`).
    output : int, optional
        Output column explained; defaults to the settings' favourable class
        if they name one, else the model's default output (the positive class).
        Recourse always aims at the favourable class.
    plan : ShapPlan, optional
        The SHAP plan made once for the dataset and ``output``.
    settings : DecisionSettings, optional
        The favourable class and its wording, readable names, the threshold,
        and the features recourse must not change or may move only one way.
        Defaults to plain settings (nothing fixed, generic wording).
    model_name : str, optional
        The model's name; defaults to the model card's ``"name"``, else the
        estimator's description.
    model_card : mapping, optional
        The model's card; its ``"name"`` and ``"training_data"`` are used.
    data_name : str, default "the dataset"
        The dataset's name (its file name).
    row_label : str, optional
        How the row is named to a reader; defaults to ``"row <row_id>"``.

    Returns
    -------
    Decision

    Raises
    ------
    DataValidationError
        If ``row_id`` is not a row of the dataset, the class names are
        unknown, or recourse options are invalid.
    AttributionError
        If the SHAP explanation fails its additivity check.

    Examples
    --------
    >>> prepared = load_files("loan_model.skops", "german_credit.csv")  # doctest: +SKIP
    >>> summary = summarise_decision(prepared, 1, settings=settings)  # doctest: +SKIP
    >>> summary.reasons.favourable  # doctest: +SKIP
    False
    """
    if row_id not in prepared.X.index:
        raise _unknown_row(prepared.X.index, row_id, data_name)
    return run_model_task(
        prepared.bundle, decide, prepared.X, row_id, output=output, plan=plan, settings=settings,
        model_name=model_name, model_card=model_card, data_name=data_name, row_label=row_label,
    )  # fmt: skip


def decide(
    bundle: ModelBundle,
    X: pd.DataFrame,
    row_id: object,
    *,
    output: int | None = None,
    plan: ShapPlan | None = None,
    settings: DecisionSettings | None = None,
    model_name: str | None = None,
    model_card: Mapping[str, object] | None = None,
    data_name: str = "the dataset",
    row_label: str | None = None,
) -> Decision:
    """:func:`summarise_decision` where the model lives (``X``: the aligned dataset).

    A model-touching function: call it through
    :func:`~explainers.model_calls.run_model_task`.
    """
    if row_id not in X.index:
        raise _unknown_row(X.index, row_id, data_name)
    settings = settings or DecisionSettings()
    regression = bundle.task == "regression"
    favourable_label = None if regression else settings.favourable
    k = bundle.output_index(favourable_label) if output is None else output
    label = None if regression else favourable_label or bundle.output_labels[k]
    explained = None if regression else bundle.output_labels[k]
    score_name = settings.score_name
    display_names = settings.display_names
    fixed = settings.fixed
    threshold = settings.threshold
    row = X.loc[[row_id]]

    if plan is None or plan.output != k:
        plan = plan_for(bundle, X, output=k)
    shap_row = worded(explain_planned(bundle, plan, row), settings, explained)
    lime_space = comparable_space(bundle, shap_row.output_space)
    lime_runs = {
        seed: worded(
            explain_lime(bundle, row, output=k, X_reference=X, random_state=seed, space=lime_space),
            settings,
            explained,
        )
        for seed in STABILITY_SEEDS
    }
    lime_row = lime_runs[STABILITY_SEEDS[0]]
    stability = lime_stability(lambda seed: lime_runs[seed].values[0], seeds=STABILITY_SEEDS)
    trust = assess_agreement(
        display_view(shap_row, binary=bundle.task == "binary"),
        lime_row,
        lime_stability=stability,
        display_names=display_names,
    )
    reasons = explain_in_words(
        shap_row,
        0,
        display_names=display_names,
        favourable_label=settings.favourable_text,
        unfavourable_label=settings.unfavourable_text,
        threshold=threshold,
        score_name=score_name,
        multiclass=bundle.task == "multiclass",
    )
    recourse = None
    if label is not None and reasons.favourable is False:
        aim = bundle.output_index(label)
        recourse = find_recourse(
            lambda frame: bundle.predict_output(frame)[:, aim],
            row,
            X,
            threshold=threshold,
            fixed=fixed,
            directions=settings.directions,
            display_names=display_names,
            score_name=score_name,
        )
    card = model_card or {}
    provenance = Provenance(
        model_name=model_name or str(card.get("name") or bundle.name),
        model_type=bundle.name,
        training_data=None if card.get("training_data") is None else str(card["training_data"]),
        data_name=data_name,
        n_rows=len(X),
        whybox_version=_version(),
        generated_at=datetime.now(UTC),
        method=_method_text(shap_row, recourse, fixed, display_names),
    )
    return Decision(
        row_id=row_id,
        row_label=row_label or f"row {row_id}",
        task=bundle.task,
        favourable_label=label,
        settings=settings,
        shap=shap_row,
        breakdown=_in_points(shap_row, reasons, score_name),
        lime=lime_row,
        reasons=reasons,
        trust=trust,
        recourse=recourse,
        provenance=provenance,
    )


def plan_for(bundle: ModelBundle, X: pd.DataFrame, *, output: int) -> ShapPlan:
    """The SHAP plan of a dataset, as the dashboard makes it once per workspace.

    Planned on :func:`~explainers.shap_attributions.global_sample` of ``X``
    against :func:`~explainers.shap_attributions.background_sample` of ``X``.
    A model-touching function (run it where the model lives).
    """
    return plan_shap(bundle, global_sample(X), output=output, background=background_sample(X))


def _unknown_row(index: pd.Index, row_id: object, data_name: str) -> DataValidationError:
    shown = [str(v) for v in index[:3]]
    examples = ", ".join(shown) + (f", … {index[-1]}" if len(index) > 3 else "")
    first = str(index[0]) if len(index) else "none"
    return DataValidationError(
        UNKNOWN_ROW.format(row_id=str(row_id), data_name=data_name),
        UNKNOWN_ROW_HINT.format(examples=examples, first=first),
    )


def _in_points(shap_row: Attribution, reasons: Reasons, score_name: str) -> Attribution:
    """The SHAP row in the reasons' points (what the sentences say), values as text."""
    points = to_probability_points(
        shap_row.values[0],
        base_value=float(shap_row.base_values[0]),
        output_space=shap_row.output_space,
    )
    return Attribution(
        values=points[None, :],
        base_values=np.array([reasons.base_score]),
        data=np.array([[format_value(v) for v in shap_row.data[0]]], dtype=object),
        feature_names=shap_row.feature_names,
        row_ids=shap_row.row_ids,
        method=shap_row.method,
        exact=shap_row.exact,
        output_space="raw",
        output_label=score_name,
        background_size=shap_row.background_size,
    )


def _method_text(
    shap_row: Attribution,
    recourse: RecourseResult | None,
    fixed: Collection[str],
    display_names: Mapping[str, str] | None,
) -> str:
    exactness = "exact" if shap_row.exact else "estimated"
    background = (
        f", against {shap_row.background_size} reference rows" if shap_row.background_size else ""
    )
    parts = [
        f"The breakdown uses SHAP ({shap_row.method}, {exactness}{background}), which splits "
        f"the model's {shap_row.output_label} into one share per input.",
        "LIME, an approximate second method, was fitted around this case and rerun with "
        f"{len(STABILITY_SEEDS)} random seeds to check the breakdown.",
    ]
    if recourse is not None:
        kept = ", ".join(feature_label(f, display_names) for f in fixed)
        parts.append(
            "The options that would change the decision were found by trying changes to the "
            "inputs and asking the model again"
            + (f"; these were never changed: {kept}." if kept else ".")
        )
    return " ".join(parts)


def _version() -> str:
    try:
        return importlib.metadata.version("whybox")
    except importlib.metadata.PackageNotFoundError:
        return "development copy (not installed)"
