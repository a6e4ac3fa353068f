"""Drift between a reference dataset and a current one: features, predictions, attributions.

Each feature gets a population stability index (PSI) and a statistical test
(Kolmogorov-Smirnov for numbers, chi-square for categories). The PSI level
follows the usual rule of thumb: below 0.1 stable, 0.1-0.25 moderate, above
0.25 major. A warning needs both a PSI above 0.1 and a significant test,
because with small samples the PSI alone drifts by chance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from explainers.data_quality import Finding, Severity, sort_findings
from explainers.errors import DataValidationError
from explainers.naming import feature_label
from explainers.results import Attribution, FloatArray, _readonly, global_importance

DriftLevel = Literal["stable", "moderate", "major"]
FeatureKind = Literal["numeric", "categorical"]
FEATURE_KINDS: frozenset[str] = frozenset({"numeric", "categorical"})
PSI_MODERATE = 0.1
PSI_MAJOR = 0.25
MISSING_BIN = "missing"
PREDICTION = "model prediction"

_NO_SHARED_COLUMNS = "The reference and current datasets have no columns in common."
_NO_SHARED_HINT = "Upload current data with the same columns as the reference data."
_EMPTY = "The {which} data has no rows."
_EMPTY_HINT = "Upload a dataset with at least one row."
_FEATURES_DIFFER = "The two attributions explain different features: {only}."
_FEATURES_DIFFER_HINT = "Explain both datasets with the same model."
_SPACES_DIFFER = "One attribution is in {a} units and the other in {b} units."
_SPACES_DIFFER_HINT = "Explain both datasets with the same method and output space."
_BAD_KIND = "kind must be one of {options}, got {got!r}."


def drift_level(psi_value: float) -> DriftLevel:
    """Rule-of-thumb reading of a PSI: "stable", "moderate" or "major"."""
    if psi_value > PSI_MAJOR:
        return "major"
    return "moderate" if psi_value >= PSI_MODERATE else "stable"


def _edge_labels(inner: FloatArray, *, whole: bool) -> list[str]:
    """Readable bin labels: as few decimals as keep the edges distinct and near their value.

    Edges of whole-number data are written rounded down, which is exact for its values
    (a value is at most 27.5 exactly when it is at most 27). Other edges get the fewest
    decimals (at most 6) that keep them distinct and within a quarter of the narrowest bin.
    """
    if not inner.size:
        return ["all values"]
    if whole:
        inner, decimals = np.floor(inner), 0
    else:
        slack = 0.25 * float(np.min(np.diff(inner))) if inner.size > 1 else 0.05 * abs(inner[0])
        decimals = next(
            (
                d
                for d in range(7)
                if np.unique(np.round(inner, d)).size == inner.size
                and np.max(np.abs(np.round(inner, d) - inner)) <= slack
            ),
            6,
        )

    def text(value: float) -> str:
        written = f"{round(value, decimals) + 0.0:,.{decimals}f}"  # + 0.0: no "-0"
        return written.rstrip("0").rstrip(".") if "." in written else written

    labels = [f"≤ {text(inner[0])}"]
    labels += [f"{text(lo)} to {text(hi)}" for lo, hi in zip(inner[:-1], inner[1:], strict=True)]
    return [*labels, f"> {text(inner[-1])}"]


def _is_numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _bin_counts(
    reference: pd.Series, current: pd.Series, *, kind: FeatureKind, n_bins: int
) -> tuple[tuple[str, ...], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Bin labels and the reference and current counts per bin."""
    if kind == "numeric":
        ref = reference.to_numpy(dtype=float)
        cur = current.to_numpy(dtype=float)
        known = ref[~np.isnan(ref)]
        inner = (
            np.unique(np.quantile(known, np.linspace(0, 1, n_bins + 1))[1:-1])
            if known.size
            else np.empty(0)
        )
        labels = _edge_labels(inner, whole=bool(np.all(known == np.round(known))))

        def count(values: FloatArray) -> npt.NDArray[np.int64]:
            present = values[~np.isnan(values)]
            ids = np.searchsorted(inner, present, side="left")
            counts = np.bincount(ids, minlength=len(labels))
            return np.append(counts, np.isnan(values).sum()).astype(np.int64)

        ref_counts, cur_counts = count(ref), count(cur)
        labels.append(MISSING_BIN)
    else:
        ref_labels = reference.astype(object).where(reference.notna(), MISSING_BIN).astype(str)
        cur_labels = current.astype(object).where(current.notna(), MISSING_BIN).astype(str)
        labels = sorted(set(ref_labels) | set(cur_labels))
        ref_counts = ref_labels.value_counts().reindex(labels, fill_value=0).to_numpy(np.int64)
        cur_counts = cur_labels.value_counts().reindex(labels, fill_value=0).to_numpy(np.int64)
    keep = (ref_counts + cur_counts) > 0
    return (
        tuple(label for label, k in zip(labels, keep, strict=True) if k),
        ref_counts[keep],
        cur_counts[keep],
    )


def _psi_from_counts(
    ref_counts: npt.NDArray[np.int64], cur_counts: npt.NDArray[np.int64], epsilon: float
) -> float:
    ref_share = np.clip(ref_counts / max(ref_counts.sum(), 1), epsilon, None)
    cur_share = np.clip(cur_counts / max(cur_counts.sum(), 1), epsilon, None)
    return float(np.sum((cur_share - ref_share) * np.log(cur_share / ref_share)))


def psi(
    reference: pd.Series | npt.ArrayLike,
    current: pd.Series | npt.ArrayLike,
    *,
    kind: FeatureKind | None = None,
    n_bins: int = 10,
    epsilon: float = 1e-4,
) -> float:
    """Population stability index of one feature between two samples.

    PSI = Σ (current share − reference share) × ln(current share / reference share),
    over quantile bins of the reference (numbers) or over categories, with a
    "missing" bin; shares below ``epsilon`` are raised to it.

    Parameters
    ----------
    reference, current : array of shape (n_reference,) and (n_current,)
        The feature's values in each dataset.
    kind : {"numeric", "categorical"}, optional
        Inferred from the reference's dtype when omitted.
    n_bins : int, default 10
        Quantile bins for numbers (fewer when values repeat).
    epsilon : float, default 1e-4
        Floor on each share, so an empty bin does not give an infinite PSI.

    Returns
    -------
    float

    Examples
    --------
    >>> psi(["a", "a", "b", "b"], ["a", "a", "b", "b"])
    0.0
    """
    ref, cur = pd.Series(reference), pd.Series(current)
    chosen = _kind(ref, cur) if kind is None else kind
    if chosen not in FEATURE_KINDS:
        raise ValueError(_BAD_KIND.format(options=sorted(FEATURE_KINDS), got=chosen))
    _, ref_counts, cur_counts = _bin_counts(ref, cur, kind=chosen, n_bins=n_bins)
    return _psi_from_counts(ref_counts, cur_counts, epsilon)


def _kind(reference: pd.Series, current: pd.Series) -> FeatureKind:
    return "numeric" if _is_numeric(reference) and _is_numeric(current) else "categorical"


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    """How one feature (or the model's prediction) changed.

    Attributes
    ----------
    feature : str
        Column name, or "model prediction".
    kind : {"numeric", "categorical"}
        How it was binned and tested.
    psi : float
        Population stability index.
    level : {"stable", "moderate", "major"}
        Rule-of-thumb reading of ``psi``.
    test : {"Kolmogorov-Smirnov", "chi-square"}
        The statistical test used.
    statistic, p_value : float
        The test's result; a small p-value means the change is unlikely to be chance.
    significant : bool
        Whether ``p_value`` is below the significance level the comparison used.
    psi_noise : float
        PSI expected from sampling alone with these sample sizes, about
        (n_bins − 1) × (1/n_reference + 1/n_current).
    bin_labels : tuple of str
        The bins (numbers) or categories compared, "missing" included when present.
    reference_share, current_share : array of shape (n_bins,)
        Share of each dataset in each bin.
    reference_mean, current_mean : float or None
        Means of numeric features (None for categories).
    n_reference, n_current : int
        Rows in each dataset.
    """

    feature: str
    kind: FeatureKind
    psi: float
    level: DriftLevel
    test: Literal["Kolmogorov-Smirnov", "chi-square"]
    statistic: float
    p_value: float
    significant: bool
    psi_noise: float
    bin_labels: tuple[str, ...]
    reference_share: FloatArray
    current_share: FloatArray
    reference_mean: float | None
    current_mean: float | None
    n_reference: int
    n_current: int

    def __post_init__(self) -> None:
        n = len(self.bin_labels)
        for name in ("reference_share", "current_share"):
            array = _readonly(getattr(self, name))
            if array.shape != (n,):
                raise ValueError(f"{name} has shape {array.shape}, expected ({n},).")
            object.__setattr__(self, name, array)

    @property
    def verdict(self) -> str:
        """The reading the findings use: "stable", "possible shift", "moderate shift" or
        "major shift" ("possible" when the PSI moved but the test is not significant)."""
        if self.level == "stable":
            return "stable"
        return f"{self.level} shift" if self.significant else "possible shift"


def _feature_drift(
    name: str,
    reference: pd.Series,
    current: pd.Series,
    *,
    n_bins: int,
    alpha: float,
    epsilon: float,
) -> FeatureDrift:
    kind = _kind(reference, current)
    labels, ref_counts, cur_counts = _bin_counts(reference, current, kind=kind, n_bins=n_bins)
    if kind == "numeric":
        ref = reference.dropna().to_numpy(dtype=float)
        cur = current.dropna().to_numpy(dtype=float)
        if ref.size and cur.size:
            result = stats.ks_2samp(ref, cur)
            statistic, p_value = float(result.statistic), float(result.pvalue)
        else:
            statistic, p_value = 0.0, 1.0
        test: Literal["Kolmogorov-Smirnov", "chi-square"] = "Kolmogorov-Smirnov"
        means = (
            float(ref.mean()) if ref.size else None,
            float(cur.mean()) if cur.size else None,
        )
    else:
        if len(labels) > 1:
            chi2, p, _, _ = stats.chi2_contingency(np.vstack([ref_counts, cur_counts]))
            statistic, p_value = float(chi2), float(p)
        else:
            statistic, p_value = 0.0, 1.0
        test = "chi-square"
        means = (None, None)
    n_ref, n_cur = len(reference), len(current)
    value = _psi_from_counts(ref_counts, cur_counts, epsilon)
    return FeatureDrift(
        feature=name,
        kind=kind,
        psi=value,
        level=drift_level(value),
        test=test,
        statistic=statistic,
        p_value=p_value,
        significant=p_value < alpha,
        psi_noise=(len(labels) - 1) * (1 / max(n_ref, 1) + 1 / max(n_cur, 1)),
        bin_labels=labels,
        reference_share=ref_counts / max(n_ref, 1),
        current_share=cur_counts / max(n_cur, 1),
        reference_mean=means[0],
        current_mean=means[1],
        n_reference=n_ref,
        n_current=n_cur,
    )


def _number(value: float) -> str:
    """Three significant digits, without exponents for large numbers (3,270 not 3.27e+03)."""
    return f"{float(f'{value:.3g}'):,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _drift_finding(drift: FeatureDrift, name: str) -> Finding | None:
    if drift.level == "stable":
        return None
    subject = "The model's predictions" if drift.feature == PREDICTION else f"'{name}'"
    change = (
        f", from a mean of {_number(drift.reference_mean)} to {_number(drift.current_mean)}"
        if drift.reference_mean is not None and drift.current_mean is not None
        else ""
    )
    p_value = "p < 0.001" if drift.p_value < 0.001 else f"p = {drift.p_value:.2g}"
    numbers = (
        f"PSI {drift.psi:.2f}; {drift.test} test {p_value}; about "
        f"{drift.psi_noise:.2f} is expected from chance with {drift.n_reference:,} and "
        f"{drift.n_current:,} rows"
    )
    column = None if drift.feature == PREDICTION else drift.feature
    if not drift.significant:
        return Finding(
            "low",
            f"{drift.verdict.capitalize()} in {name}",
            f"{subject} look{'' if drift.feature == PREDICTION else 's'} different in the current "
            f"data{change}, but the samples are too small to be sure ({numbers}).",
            column,
        )
    severity: Severity = "high" if drift.level == "major" else "medium"
    return Finding(
        severity,
        f"{drift.verdict.capitalize()} in {name}",
        f"{subject} {'have' if drift.feature == PREDICTION else 'has'} changed "
        f"{'a lot' if drift.level == 'major' else 'noticeably'} since the reference data"
        f"{change} ({numbers}). Explanations and performance measured on the reference data "
        "may no longer hold.",
        column,
    )


@dataclass(frozen=True, slots=True)
class DataDrift:
    """Drift of every shared feature, most drifted (highest PSI) first.

    Attributes
    ----------
    features : tuple of FeatureDrift
        One per column found in both datasets.
    missing_in_current, new_in_current : tuple of str
        Columns found in only one of the datasets.
    findings : tuple of Finding
        Plain-language findings, most severe first ("info" when all is stable).
    n_reference, n_current : int
        Rows in each dataset.
    """

    features: tuple[FeatureDrift, ...]
    missing_in_current: tuple[str, ...]
    new_in_current: tuple[str, ...]
    findings: tuple[Finding, ...]
    n_reference: int
    n_current: int

    def feature(self, name: str) -> FeatureDrift:
        """The drift of one feature; raises KeyError if it was not compared."""
        for drift in self.features:
            if drift.feature == name:
                return drift
        raise KeyError(name)


def data_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    n_bins: int = 10,
    alpha: float = 0.01,
    epsilon: float = 1e-4,
    display_names: Mapping[str, str] | None = None,
) -> DataDrift:
    """Compare every column of a current dataset with the reference dataset.

    Parameters
    ----------
    reference, current : DataFrame
        The data the model was checked on, and the data it now sees.
    n_bins : int, default 10
        Quantile bins of the reference for numeric PSI.
    alpha : float, default 0.01
        Significance level: a PSI above 0.1 whose test p-value is not below
        it is reported as "possible" (severity "low") only.
    epsilon : float, default 1e-4
        Floor on bin shares in the PSI.
    display_names : mapping of str to str, optional
        Human-readable column names for the findings; results keep the column names.

    Returns
    -------
    DataDrift

    Raises
    ------
    DataValidationError
        A dataset is empty or they share no column.
    """
    for which, frame in (("reference", reference), ("current", current)):
        if len(frame) == 0:
            raise DataValidationError(_EMPTY.format(which=which), _EMPTY_HINT)
    shared = [c for c in reference.columns if c in current.columns]
    if not shared:
        raise DataValidationError(_NO_SHARED_COLUMNS, _NO_SHARED_HINT)
    drifts = sorted(
        (
            _feature_drift(
                str(c), reference[c], current[c], n_bins=n_bins, alpha=alpha, epsilon=epsilon
            )
            for c in shared
        ),
        key=lambda d: -d.psi,
    )
    missing = tuple(str(c) for c in reference.columns if c not in current.columns)
    new = tuple(str(c) for c in current.columns if c not in reference.columns)
    findings = [
        f
        for d in drifts
        if (f := _drift_finding(d, feature_label(d.feature, display_names))) is not None
    ]
    findings += [
        Finding(
            "high",
            f"{feature_label(c, display_names)} is missing",
            f"'{feature_label(c, display_names)}' is in the reference data but not in the current "
            "data; the model cannot score the current data without it.",
            c,
        )
        for c in missing
    ]
    if not findings:
        findings.append(
            Finding(
                "info",
                "No drift found",
                f"All {len(drifts)} shared columns look stable (PSI below {PSI_MODERATE} or "
                "no significant change).",
            )
        )
    return DataDrift(
        features=tuple(drifts),
        missing_in_current=missing,
        new_in_current=new,
        findings=sort_findings(findings),
        n_reference=len(reference),
        n_current=len(current),
    )


@dataclass(frozen=True, slots=True)
class PredictionDrift:
    """Drift of the model's scores, with its finding."""

    drift: FeatureDrift
    findings: tuple[Finding, ...]


def prediction_drift(
    reference_scores: npt.ArrayLike,
    current_scores: npt.ArrayLike,
    *,
    n_bins: int = 10,
    alpha: float = 0.01,
    epsilon: float = 1e-4,
) -> PredictionDrift:
    """Compare the model's scores on the reference and the current data.

    Parameters
    ----------
    reference_scores, current_scores : array of shape (n_reference,) and (n_current,)
        Predicted probabilities (or regression outputs) on each dataset.
    n_bins, alpha, epsilon
        As in :func:`data_drift`.

    Returns
    -------
    PredictionDrift
    """
    ref = pd.Series(np.asarray(reference_scores, dtype=np.float64).ravel())
    cur = pd.Series(np.asarray(current_scores, dtype=np.float64).ravel())
    for which, values in (("reference", ref), ("current", cur)):
        if len(values) == 0:
            raise DataValidationError(_EMPTY.format(which=which), _EMPTY_HINT)
    drift = _feature_drift(PREDICTION, ref, cur, n_bins=n_bins, alpha=alpha, epsilon=epsilon)
    finding = _drift_finding(drift, PREDICTION) or Finding(
        "info",
        "Predictions are stable",
        f"The model's predictions are distributed much as before (PSI {drift.psi:.2f}).",
    )
    return PredictionDrift(drift=drift, findings=(finding,))


@dataclass(frozen=True, slots=True)
class AttributionDrift:
    """How each feature's importance changed between two attributions.

    Attributes
    ----------
    feature_names : tuple of str
        Features, ordered by reference importance (most important first).
    reference_mean_abs, current_mean_abs : array of shape (n_features,)
        Mean |attribution| in each dataset, in ``output_space`` units.
    reference_rank, current_rank : array of shape (n_features,)
        Importance rank in each dataset (1 = most important).
    output_space : str
        Units of the attributions.
    findings : tuple of Finding
        Features whose importance changed markedly.
    """

    feature_names: tuple[str, ...]
    reference_mean_abs: FloatArray
    current_mean_abs: FloatArray
    reference_rank: npt.NDArray[np.int64]
    current_rank: npt.NDArray[np.int64]
    output_space: str
    findings: tuple[Finding, ...]

    def __post_init__(self) -> None:
        n = len(self.feature_names)
        for name in ("reference_mean_abs", "current_mean_abs", "reference_rank", "current_rank"):
            array = _readonly(getattr(self, name), dtype=None)
            if array.shape != (n,):
                raise ValueError(f"{name} has shape {array.shape}, expected ({n},).")
            object.__setattr__(self, name, array)

    @property
    def change(self) -> FloatArray:
        """Current minus reference mean |attribution|."""
        out: FloatArray = self.current_mean_abs - self.reference_mean_abs
        return out

    @property
    def rank_change(self) -> npt.NDArray[np.int64]:
        """Reference rank minus current rank: positive means more important now."""
        out: npt.NDArray[np.int64] = self.reference_rank - self.current_rank
        return out


def attribution_drift(
    reference: Attribution,
    current: Attribution,
    *,
    relative_change: float = 0.5,
    top_n: int = 5,
    display_names: Mapping[str, str] | None = None,
) -> AttributionDrift:
    """Compare feature importance (mean |attribution|) between two datasets.

    Parameters
    ----------
    reference, current : Attribution
        Attributions of the same model on the reference and the current data.
    relative_change : float, default 0.5
        A top feature whose mean |attribution| changes by more than this share
        is reported.
    top_n : int, default 5
        Features counted as "top" (in either dataset) for the findings.
    display_names : mapping of str to str, optional
        Human-readable feature names for the findings; results keep the feature names.

    Returns
    -------
    AttributionDrift

    Raises
    ------
    DataValidationError
        The attributions explain different features or use different units.
    """
    if set(reference.feature_names) != set(current.feature_names):
        only = sorted(set(reference.feature_names) ^ set(current.feature_names))
        raise DataValidationError(
            _FEATURES_DIFFER.format(only=", ".join(only)), _FEATURES_DIFFER_HINT
        )
    if reference.output_space != current.output_space:
        raise DataValidationError(
            _SPACES_DIFFER.format(a=reference.output_space, b=current.output_space),
            _SPACES_DIFFER_HINT,
        )
    ref_imp, cur_imp = global_importance(reference), global_importance(current)
    names = ref_imp.feature_names
    cur_position = {name: i for i, name in enumerate(cur_imp.feature_names)}
    cur_mean = np.array([cur_imp.mean_abs[cur_position[n]] for n in names])
    ref_rank = np.arange(1, len(names) + 1, dtype=np.int64)
    cur_rank = np.array([cur_position[n] + 1 for n in names], dtype=np.int64)
    findings = []
    for j, name in enumerate(names):
        if min(ref_rank[j], cur_rank[j]) > top_n:
            continue
        before, after = ref_imp.mean_abs[j], cur_mean[j]
        ratio = (after - before) / before if before > 0 else np.inf
        if abs(ratio) > relative_change or abs(int(ref_rank[j] - cur_rank[j])) >= 3:
            label = feature_label(name, display_names)
            findings.append(
                Finding(
                    "medium",
                    f"{label} matters {'more' if after > before else 'less'} now",
                    f"'{label}' moved from rank {ref_rank[j]} to rank {cur_rank[j]} among the "
                    f"features driving the model; its average effect went from {before:.3g} "
                    f"to {after:.3g} ({reference.output_space} units).",
                    name,
                )
            )
    if not findings:
        findings.append(
            Finding(
                "info",
                "The same features drive the model",
                f"The top {min(top_n, len(names))} features and their average effects are "
                "much the same in both datasets.",
            )
        )
    return AttributionDrift(
        feature_names=names,
        reference_mean_abs=ref_imp.mean_abs,
        current_mean_abs=cur_mean,
        reference_rank=ref_rank,
        current_rank=cur_rank,
        output_space=reference.output_space,
        findings=tuple(findings),
    )
