"""Group fairness: outcome rates per group, gap measures, and what drives the gap.

Per-group rates come from fairlearn's ``MetricFrame``; the gap measures are
fairlearn's ``demographic_parity_difference`` / ``_ratio`` and
``equalized_odds_difference``. Findings say in plain words what the numbers
mean, and say when a group is too small to trust.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.metrics import accuracy_score

from explainers.data_quality import Finding, sort_findings
from explainers.errors import DataValidationError
from explainers.naming import feature_label
from explainers.results import Attribution, FloatArray, _readonly

IntArray = npt.NDArray[np.int64]

FOUR_FIFTHS = 0.8
MISSING_GROUP = "missing"

_LENGTH_MISMATCH = "The sensitive feature has {n_groups} rows but the predictions have {n_pred}."
_LENGTH_HINT = "Take the sensitive feature from the same rows as the predictions."
_ONE_GROUP = (
    "Everyone in '{feature}' is in the same group ({group!r}), so there is nothing to compare."
)
_ONE_GROUP_HINT = "Pick a sensitive feature with at least two groups."


def _group_labels(sensitive: pd.Series | npt.ArrayLike) -> pd.Series:
    series = sensitive if isinstance(sensitive, pd.Series) else pd.Series(np.asarray(sensitive))
    labels = series.astype(object).where(series.notna(), MISSING_GROUP).astype(str)
    return pd.Series(labels.to_numpy(), name=str(series.name or "group"))


def _ordered(groups: pd.Series, sensitive: pd.Series | npt.ArrayLike) -> list[str]:
    """Group names in the categories' own order when ordered, else sorted."""
    present = set(groups)
    if isinstance(sensitive, pd.Series) and isinstance(sensitive.dtype, pd.CategoricalDtype):
        known = [str(c) for c in sensitive.cat.categories if str(c) in present]
        return known + sorted(present - set(known))
    return sorted(present)


@dataclass(frozen=True, slots=True)
class GroupFairness:
    """Outcome rates per group of one sensitive feature.

    Attributes
    ----------
    feature : str
        The sensitive feature, e.g. ``"sex"``.
    groups : tuple of str
        Group names, sorted (a categorical feature keeps its category order).
    count : array of shape (n_groups,)
        Rows in each group.
    selection_rate : array of shape (n_groups,)
        Share of each group predicted positive (approved).
    true_positive_rate, false_positive_rate, accuracy : array of shape (n_groups,) or None
        None when no target was given; NaN for a group with no true positives
        (TPR) or no true negatives (FPR).
    demographic_parity_difference, demographic_parity_ratio : float
        Largest minus smallest selection rate; smallest divided by largest.
    equalized_odds_difference : float or None
        The larger of the TPR and FPR gaps; None without a target.
    passes_four_fifths : bool
        True when the lowest selection rate is at least 80% of the highest.
    small_groups : tuple of str
        Groups with fewer rows than ``min_group_size``.
    positive_outcome : str
        Word for the positive prediction used in sentences, e.g. ``"approved"``.
    findings : tuple of Finding
        Plain-language conclusions, most severe first.
    """

    feature: str
    groups: tuple[str, ...]
    count: IntArray
    selection_rate: FloatArray
    true_positive_rate: FloatArray | None
    false_positive_rate: FloatArray | None
    accuracy: FloatArray | None
    demographic_parity_difference: float
    demographic_parity_ratio: float
    equalized_odds_difference: float | None
    passes_four_fifths: bool
    small_groups: tuple[str, ...]
    positive_outcome: str
    findings: tuple[Finding, ...]

    def __post_init__(self) -> None:
        n = len(self.groups)
        for name in (
            "count",
            "selection_rate",
            "true_positive_rate",
            "false_positive_rate",
            "accuracy",
        ):
            value = getattr(self, name)
            if value is None:
                continue
            array = _readonly(value, dtype=None)
            if array.shape != (n,):
                raise ValueError(f"{name} has shape {array.shape}, expected ({n},).")
            object.__setattr__(self, name, array)

    @property
    def has_target(self) -> bool:
        """Whether true outcomes were given (error rates are available)."""
        return self.true_positive_rate is not None


def group_fairness(
    y_true: npt.ArrayLike | None,
    y_pred: npt.ArrayLike,
    sensitive: pd.Series | npt.ArrayLike,
    *,
    positive_label: object = 1,
    min_group_size: int = 30,
    positive_outcome: str = "approved",
) -> GroupFairness:
    """Compare predicted outcomes and error rates across the groups of one feature.

    Parameters
    ----------
    y_true : array of shape (n_rows,) or None
        True labels; without them only selection rates and demographic
        parity are computed.
    y_pred : array of shape (n_rows,)
        Predicted labels (after the decision threshold).
    sensitive : Series or array of shape (n_rows,)
        Group of each row; its name becomes ``feature``. Missing values form
        a group called "missing".
    positive_label : object, default 1
        The favourable label in ``y_true`` and ``y_pred``.
    min_group_size : int, default 30
        Groups smaller than this are flagged as too small to trust.
    positive_outcome : str, default "approved"
        How sentences name the positive prediction.

    Returns
    -------
    GroupFairness

    Raises
    ------
    DataValidationError
        Lengths differ or there is only one group.

    Examples
    --------
    >>> result = group_fairness(None, [1, 0, 1, 1], pd.Series(["a", "a", "b", "b"], name="g"))
    >>> result.selection_rate.tolist(), result.passes_four_fifths
    ([0.5, 1.0], False)
    """
    pred = np.array([v == positive_label for v in np.asarray(y_pred, dtype=object)], dtype=int)
    groups = _group_labels(sensitive)
    if len(groups) != len(pred):
        raise DataValidationError(
            _LENGTH_MISMATCH.format(n_groups=len(groups), n_pred=len(pred)), _LENGTH_HINT
        )
    feature = str(groups.name)
    if groups.nunique() < 2:
        raise DataValidationError(
            _ONE_GROUP.format(feature=feature, group=groups.iloc[0] if len(groups) else ""),
            _ONE_GROUP_HINT,
        )
    has_target = y_true is not None
    truth = (
        np.array([v == positive_label for v in np.asarray(y_true, dtype=object)], dtype=int)
        if y_true is not None
        else pred
    )
    if len(truth) != len(pred):
        raise DataValidationError(
            _LENGTH_MISMATCH.format(n_groups=len(truth), n_pred=len(pred)), _LENGTH_HINT
        )
    metrics = {"count": count, "selection_rate": selection_rate}
    if has_target:
        metrics |= {
            "true_positive_rate": true_positive_rate,
            "false_positive_rate": false_positive_rate,
            "accuracy": accuracy_score,
        }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = MetricFrame(
            metrics=metrics, y_true=truth, y_pred=pred, sensitive_features=groups.to_numpy()
        ).by_group
        dp_difference = float(demographic_parity_difference(truth, pred, sensitive_features=groups))
        dp_ratio = float(demographic_parity_ratio(truth, pred, sensitive_features=groups))
        eo_difference = (
            float(equalized_odds_difference(truth, pred, sensitive_features=groups))
            if has_target
            else None
        )
    frame = frame.reindex(_ordered(groups, sensitive))
    names = tuple(str(g) for g in frame.index)
    sizes = frame["count"].to_numpy(dtype=np.int64)
    rates: dict[str, FloatArray | None] = dict.fromkeys(
        ("true_positive_rate", "false_positive_rate", "accuracy")
    )
    if has_target:
        positives = pd.Series(truth).groupby(groups.to_numpy()).sum().reindex(names).to_numpy()
        tpr = frame["true_positive_rate"].to_numpy(dtype=float)
        fpr = frame["false_positive_rate"].to_numpy(dtype=float)
        rates["true_positive_rate"] = np.where(positives > 0, tpr, np.nan)
        rates["false_positive_rate"] = np.where(sizes - positives > 0, fpr, np.nan)
        rates["accuracy"] = frame["accuracy"].to_numpy(dtype=float)
    selection = frame["selection_rate"].to_numpy(dtype=float)
    small = tuple(g for g, n in zip(names, sizes, strict=True) if n < min_group_size)
    findings = _fairness_findings(
        feature,
        names,
        selection,
        sizes,
        dp_ratio=dp_ratio,
        eo_difference=eo_difference,
        tpr=rates["true_positive_rate"],
        fpr=rates["false_positive_rate"],
        small=small,
        positive_outcome=positive_outcome,
    )
    return GroupFairness(
        feature=feature,
        groups=names,
        count=sizes,
        selection_rate=selection,
        true_positive_rate=rates["true_positive_rate"],
        false_positive_rate=rates["false_positive_rate"],
        accuracy=rates["accuracy"],
        demographic_parity_difference=dp_difference,
        demographic_parity_ratio=dp_ratio,
        equalized_odds_difference=eo_difference,
        passes_four_fifths=bool(dp_ratio >= FOUR_FIFTHS),
        small_groups=small,
        positive_outcome=positive_outcome,
        findings=findings,
    )


def _fairness_findings(
    feature: str,
    groups: tuple[str, ...],
    selection: FloatArray,
    sizes: IntArray,
    *,
    dp_ratio: float,
    eo_difference: float | None,
    tpr: FloatArray | None,
    fpr: FloatArray | None,
    small: tuple[str, ...],
    positive_outcome: str,
) -> tuple[Finding, ...]:
    low, high = int(np.argmin(selection)), int(np.argmax(selection))
    if low == high:  # argmin and argmax agree only when every group has the same rate
        rates = f"every group is {positive_outcome} {selection[low]:.0%} of the time"
    else:
        rates = (
            f"'{groups[low]}' is {positive_outcome} {selection[low]:.0%} of the time and "
            f"'{groups[high]}' {selection[high]:.0%}"
        )
    uncertain = [groups[i] for i in {low, high} if groups[i] in small]
    if uncertain:
        rates += (
            " ("
            + " and ".join(f"'{g}'" for g in sorted(uncertain))
            + " "
            + ("is a small group" if len(uncertain) == 1 else "are small groups")
            + ", so this gap is uncertain)"
        )
    found: list[Finding] = []
    if dp_ratio < FOUR_FIFTHS:
        found.append(
            Finding(
                "high",
                f"Unequal chances of being {positive_outcome} by {feature}",
                f"By {feature}, {rates}: the lower rate is {dp_ratio:.0%} of the higher, below "
                "the four-fifths (80%) rule of thumb used to flag possible adverse impact.",
                feature,
            )
        )
    else:
        found.append(
            Finding(
                "info",
                f"Chances of being {positive_outcome} by {feature} are within the four-fifths rule",
                f"By {feature}, {rates}: the lower rate is {dp_ratio:.0%} of the higher, within "
                "the four-fifths (80%) rule of thumb.",
                feature,
            )
        )
    if eo_difference is not None and tpr is not None and fpr is not None:
        if eo_difference > 0.1:
            found.append(
                Finding(
                    "high" if eo_difference > 0.2 else "medium",
                    f"Errors fall unevenly by {feature}",
                    f"Among people with the same true outcome, the chance of being "
                    f"{positive_outcome} differs by up to {eo_difference * 100:.0f} percentage "
                    f"points between groups of {feature} "
                    f"(true positive rates {_listing(groups, tpr)}; "
                    f"false positive rates {_listing(groups, fpr)}).",
                    feature,
                )
            )
        undefined = [g for g, t, f in zip(groups, tpr, fpr, strict=True) if np.isnan(t + f)]
        if undefined:
            found.append(
                Finding(
                    "low",
                    "Some error rates cannot be measured",
                    "Group(s) " + ", ".join(f"'{g}'" for g in undefined) + " hold only one true "
                    "outcome, so their true or false positive rate is undefined and the "
                    "equalized-odds gap leaves them out of one side of the comparison.",
                    feature,
                )
            )
    for group in small:
        n = int(sizes[groups.index(group)])
        found.append(
            Finding(
                "low",
                f"Small group: {group}",
                f"Only {n} rows are in group '{group}' of {feature}. Its rates could change "
                "a lot with a few more cases; treat them as rough.",
                feature,
            )
        )
    return sort_findings(found)


def _listing(groups: tuple[str, ...], values: FloatArray) -> str:
    return ", ".join(
        f"{g}: {'n/a' if np.isnan(v) else format(v, '.0%')}"
        for g, v in zip(groups, values, strict=True)
    )


@dataclass(frozen=True, slots=True)
class GroupAttribution:
    """Mean signed attribution of each feature within each group.

    Attributes
    ----------
    feature : str
        The sensitive feature the rows were grouped by.
    groups : tuple of str
        Group names, sorted (a categorical feature keeps its category order).
    count : array of shape (n_groups,)
        Rows in each group.
    feature_names : tuple of str
        Features, ordered by ``spread`` (largest first).
    mean : array of shape (n_groups, n_features)
        Mean attribution per group and feature, in ``output_space`` units.
    spread : array of shape (n_features,)
        Largest minus smallest group mean: how much the feature separates groups.
    output_space, output_label : str
        Units of the attributions (from the Attribution).
    findings : tuple of Finding
        Which features drive the difference between groups.
    """

    feature: str
    groups: tuple[str, ...]
    count: IntArray
    feature_names: tuple[str, ...]
    mean: FloatArray
    spread: FloatArray
    output_space: str
    output_label: str
    findings: tuple[Finding, ...]

    def __post_init__(self) -> None:
        n_groups, n_features = len(self.groups), len(self.feature_names)
        for name, shape in (
            ("count", (n_groups,)),
            ("mean", (n_groups, n_features)),
            ("spread", (n_features,)),
        ):
            array = _readonly(getattr(self, name), dtype=None)
            if array.shape != shape:
                raise ValueError(f"{name} has shape {array.shape}, expected {shape}.")
            object.__setattr__(self, name, array)


def attribution_by_group(
    attribution: Attribution,
    sensitive: pd.Series | npt.ArrayLike,
    *,
    top_n: int = 3,
    display_names: Mapping[str, str] | None = None,
) -> GroupAttribution:
    """Mean attribution per group, to show which features drive a gap between groups.

    Parameters
    ----------
    attribution : Attribution
        Attributions whose rows align with ``sensitive``.
    sensitive : Series or array of shape (n_rows,)
        Group of each row.
    top_n : int, default 3
        Features named in the finding.
    display_names : mapping of str to str, optional
        Human-readable feature names for the finding; the result keeps the feature names.

    Returns
    -------
    GroupAttribution

    Raises
    ------
    DataValidationError
        ``sensitive`` does not have one value per attribution row, or there
        is only one group.
    """
    groups = _group_labels(sensitive)
    if len(groups) != attribution.n_rows:
        raise DataValidationError(
            _LENGTH_MISMATCH.format(n_groups=len(groups), n_pred=attribution.n_rows),
            _LENGTH_HINT,
        )
    feature = str(groups.name)
    if groups.nunique() < 2:
        raise DataValidationError(
            _ONE_GROUP.format(feature=feature, group=groups.iloc[0]), _ONE_GROUP_HINT
        )
    frame = pd.DataFrame(attribution.values, columns=list(attribution.feature_names))
    grouped = frame.groupby(groups.to_numpy(), sort=True)
    order_of_groups = _ordered(groups, sensitive)
    means = grouped.mean().reindex(order_of_groups)
    sizes = grouped.size().reindex(order_of_groups).to_numpy(dtype=np.int64)
    spread = (means.max(axis=0) - means.min(axis=0)).to_numpy()
    order = np.argsort(-spread, kind="stable")
    names = tuple(attribution.feature_names[j] for j in order)
    mean = means.to_numpy()[:, order]
    group_names = tuple(str(g) for g in means.index)
    drivers = []
    for j in range(min(top_n, len(names))):
        hi, lo = int(np.argmax(mean[:, j])), int(np.argmin(mean[:, j]))
        label = feature_label(names[j], display_names)
        drivers.append(
            f"'{label}' (on average {mean[hi, j]:+.3g} for '{group_names[hi]}' against "
            f"{mean[lo, j]:+.3g} for '{group_names[lo]}')"
        )
    finding = Finding(
        "info",
        f"What separates the groups of {feature}",
        f"The features whose average effect on the {attribution.output_label} differs most "
        f"between groups of {feature} are " + "; ".join(drivers) + f" ({attribution.output_space}"
        " units). A feature can carry a group difference even when the group itself is not "
        "a model input.",
        feature,
    )
    return GroupAttribution(
        feature=feature,
        groups=group_names,
        count=sizes,
        feature_names=names,
        mean=mean,
        spread=spread[order],
        output_space=attribution.output_space,
        output_label=attribution.output_label,
        findings=(finding,),
    )
