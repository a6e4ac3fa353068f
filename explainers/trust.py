"""Trust signals: should this explanation be believed?

Compares SHAP and LIME on the same row (are they in the same units, are their
total sizes alike, do they push the same way, do they rank the factors alike),
reads LIME's local fit score, and measures LIME's stability across random seeds,
then states a plain verdict.

Signs and ranks alone are not enough: a Poisson model's SHAP values in log
units pushed the same way and ranked alike as LIME's in counts, with LIME's bars
a hundred times longer. Explanations in different output spaces cannot be
compared at all, so they disagree; so do explanations whose total sizes differ
by more than :data:`MAX_SIZE_RATIO`. Callers convert SHAP to the units LIME
reports in first (``explainers.reasons.display_view``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from explainers.errors import DataValidationError
from explainers.naming import feature_label
from explainers.results import Attribution

Verdict = Literal["agree", "care", "disagree"]
VERDICTS: frozenset[str] = frozenset({"agree", "care", "disagree"})

MIN_SIGN_AGREEMENT = 0.7
"""Below this share of top factors pushing the same way, the methods disagree."""
MIN_RANK_CORRELATION = 0.5
"""Below this Spearman correlation of the top factors' sizes, treat with care."""
MIN_FIT_SCORE = 0.3
"""Below this LIME local fit (R²), LIME's explanation may not describe the model here."""
MIN_STABILITY = 0.7
"""Below this LIME stability across seeds, treat with care."""
MAX_SIZE_RATIO = 3.0
"""When one method's attributions add up (in absolute value) to more than this many times
the other's, the methods disagree on how much the factors matter."""

AGREE = "The two methods agree: {detail}."
CARE = "Treat with care: {detail}."
DISAGREE = "Treat with care: the methods disagree on {detail}."

_NOT_ONE_ROW = "Expected a one-row {method} explanation, got {n} rows."
_FEATURES_DIFFER = "SHAP and LIME explain different features: {shap} versus {lime}."
_BAD_TOP_N = "top_n must be at least 1, got {top_n}."
_FEW_SEEDS = "At least two seeds are needed to measure stability, got {n}."
_BAD_VECTOR = "explain_fn returned shape {got} for seed {seed}; expected ({expected},)."


@dataclass(frozen=True, slots=True)
class TrustReport:
    """How far one row's SHAP and LIME explanations can be trusted.

    Parameters
    ----------
    features : tuple of str
        The union of both methods' ``top_n`` factors, in SHAP's order of size.
    sign_agreement : float
        Share of ``features`` on which both methods push the same way.
    spearman, kendall : float or None
        Rank correlation of the size (absolute attribution) of ``features``
        between the methods; None when it is undefined (fewer than two
        features, or all sizes equal in one method).
    opposite : tuple of str
        Features the methods push in opposite directions.
    surrogate_score : float or None
        LIME's local fit (R²) for the row, if it reported one.
    lime_stability : float or None
        LIME's stability across seeds, from :func:`lime_stability`, if given.
    same_units : bool
        Whether both explanations are in the same output space.
    size_ratio : float or None
        LIME's total absolute attribution over SHAP's (None when either is zero
        or the units differ).
    level : {"agree", "care", "disagree"}
        The verdict.
    verdict : str
        The verdict in a plain sentence, naming the features in doubt.
    """

    features: tuple[str, ...]
    sign_agreement: float
    spearman: float | None
    kendall: float | None
    opposite: tuple[str, ...]
    surrogate_score: float | None
    lime_stability: float | None
    level: Verdict
    verdict: str
    same_units: bool = True
    size_ratio: float | None = None

    @property
    def details(self) -> str:
        """The numbers behind the verdict in one sentence (the page and the reports show it)."""
        details = [
            f"The two methods push the same way on {self.sign_agreement:.0%} of the top factors"
        ]
        if self.spearman is not None:
            details.append(f"rank correlation {self.spearman:.2f}")
        if self.surrogate_score is not None:
            details.append(f"LIME's local fit R² {self.surrogate_score:.2f}")
        if self.lime_stability is not None:
            details.append(f"LIME's stability across seeds {self.lime_stability:.0%}")
        return "; ".join(details) + "."

    def __post_init__(self) -> None:
        if self.level not in VERDICTS:
            raise ValueError(f"level must be one of {sorted(VERDICTS)}, got {self.level!r}.")


def assess_agreement(
    shap_row: Attribution,
    lime_row: Attribution,
    *,
    top_n: int = 5,
    lime_stability: float | None = None,
    display_names: Mapping[str, str] | None = None,
) -> TrustReport:
    """Compare one row's SHAP and LIME explanations and give a verdict.

    Both must be in the same output space (convert SHAP first, e.g. log-odds
    to probability points); explanations in different spaces, or whose total
    sizes differ by more than :data:`MAX_SIZE_RATIO`, disagree.

    Parameters
    ----------
    shap_row, lime_row : Attribution
        One-row attributions of the same row over the same features.
    top_n : int, default 5
        Factors taken from each method (largest absolute attribution).
    lime_stability : float, optional
        LIME's stability across seeds (see :func:`lime_stability`).
    display_names : mapping of str to str, optional
        Human-readable names used in the verdict.

    Returns
    -------
    TrustReport
        ``"disagree"`` when the output spaces differ, the total sizes differ by
        more than :data:`MAX_SIZE_RATIO`, fewer than :data:`MIN_SIGN_AGREEMENT`
        of the top factors push the same way or the rank correlation is negative;
        ``"care"`` when any factor is pushed in opposite directions, the rank
        correlation is below :data:`MIN_RANK_CORRELATION`, LIME's fit is below
        :data:`MIN_FIT_SCORE` or its stability below :data:`MIN_STABILITY`;
        ``"agree"`` otherwise.

    Raises
    ------
    DataValidationError
        If either attribution has more than one row or the features differ.
    ValueError
        If ``top_n`` < 1.

    Examples
    --------
    >>> a = Attribution.from_values([[0.3, -0.2, 0.1]])
    >>> assess_agreement(a, a).verdict
    'The two methods agree: all 3 top factors push the same way (rank correlation 1.00).'
    """
    for method, att in (("SHAP", shap_row), ("LIME", lime_row)):
        if att.n_rows != 1:
            raise DataValidationError(_NOT_ONE_ROW.format(method=method, n=att.n_rows))
    if shap_row.feature_names != lime_row.feature_names:
        raise DataValidationError(
            _FEATURES_DIFFER.format(shap=shap_row.feature_names, lime=lime_row.feature_names)
        )
    if top_n < 1:
        raise ValueError(_BAD_TOP_N.format(top_n=top_n))

    shap_values, lime_values = shap_row.values[0], lime_row.values[0]
    top = _top(shap_values, top_n) + _top(lime_values, top_n)
    index = list(dict.fromkeys(top))  # SHAP's top first, then LIME's additions
    a, b = shap_values[index], lime_values[index]
    names = tuple(shap_row.feature_names[j] for j in index)
    sign_agreement = float(np.mean(np.sign(a) == np.sign(b)))
    opposite = tuple(n for n, x, y in zip(names, a, b, strict=True) if x * y < 0)
    from scipy import stats  # here: the server imports this module

    spearman = _correlation(stats.spearmanr, np.abs(a), np.abs(b))
    kendall = _correlation(stats.kendalltau, np.abs(a), np.abs(b))
    fit = None if lime_row.surrogate_score is None else float(lime_row.surrogate_score[0])
    same_units = shap_row.output_space == lime_row.output_space
    shap_size, lime_size = float(np.abs(shap_values).sum()), float(np.abs(lime_values).sum())
    ratio = lime_size / shap_size if same_units and shap_size > 0 and lime_size > 0 else None

    level, verdict = _verdict(
        n=len(names),
        sign_agreement=sign_agreement,
        spearman=spearman,
        opposite=[feature_label(f, display_names) for f in opposite],
        fit=fit,
        stability=lime_stability,
    )
    units = _units_problem(shap_row, lime_row, ratio)
    if units:
        level, verdict = "disagree", DISAGREE.format(detail=units)
    return TrustReport(
        features=names,
        sign_agreement=sign_agreement,
        spearman=spearman,
        kendall=kendall,
        opposite=opposite,
        surrogate_score=fit,
        lime_stability=lime_stability,
        level=level,
        verdict=verdict,
        same_units=same_units,
        size_ratio=ratio,
    )


def _units_problem(shap_row: Attribution, lime_row: Attribution, ratio: float | None) -> str:
    """Why the two explanations' sizes do not match, or "" when they do."""
    if shap_row.output_space != lime_row.output_space:
        return (
            f"their units (SHAP is in {shap_row.output_space}, LIME in "
            f"{lime_row.output_space}, so their sizes cannot be compared)"
        )
    if ratio is not None and not 1 / MAX_SIZE_RATIO <= ratio <= MAX_SIZE_RATIO:
        bigger, times = ("LIME's", ratio) if ratio > 1 else ("SHAP's", 1 / ratio)
        return (
            f"how much the factors matter in total ({bigger} contributions add up to "
            f"{times:.1f} times the other's)"
        )
    return ""


def lime_stability(
    explain_fn: Callable[[int], npt.ArrayLike],
    seeds: Iterable[int] = (0, 1, 2, 3, 4),
    *,
    top_n: int = 5,
) -> float:
    """How much LIME's top factors stay the same when only its random seed changes.

    Parameters
    ----------
    explain_fn : callable
        Takes a seed and returns LIME's attributions for one row, an array
        of shape (n_features,).
    seeds : iterable of int, default (0, 1, 2, 3, 4)
        At least two seeds.
    top_n : int, default 5
        Size of the top set compared.

    Returns
    -------
    float
        Mean over pairs of seeds of the share of the ``top_n`` factors (by
        absolute attribution) found in both runs with the same sign; 1.0
        means every run names the same top factors pushing the same way.

    Raises
    ------
    ValueError
        If fewer than two seeds are given, ``top_n`` < 1, or the runs return
        vectors of different shapes.

    Examples
    --------
    >>> lime_stability(lambda seed: [3.0, -2.0, 1.0, 0.5], top_n=2)
    1.0
    """
    seeds = list(seeds)
    if len(seeds) < 2:
        raise ValueError(_FEW_SEEDS.format(n=len(seeds)))
    if top_n < 1:
        raise ValueError(_BAD_TOP_N.format(top_n=top_n))
    runs: list[set[tuple[int, float]]] = []
    n_features: int | None = None
    for seed in seeds:
        values = np.asarray(explain_fn(seed), dtype=np.float64)
        n_features = values.shape[0] if n_features is None else n_features
        if values.shape != (n_features,):
            raise ValueError(_BAD_VECTOR.format(got=values.shape, seed=seed, expected=n_features))
        runs.append({(j, float(np.sign(values[j]))) for j in _top(values, top_n)})
    k = min(top_n, n_features or 0) or 1
    overlaps = [len(x & y) / k for x, y in itertools.combinations(runs, 2)]
    return float(np.mean(overlaps))


def _top(values: npt.NDArray[np.float64], top_n: int) -> list[int]:
    return [int(j) for j in np.argsort(-np.abs(values), kind="stable")[:top_n]]


def _correlation(
    method: Callable[..., object], a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]
) -> float | None:
    if a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    statistic = float(method(a, b).statistic)  # type: ignore[attr-defined]
    return None if math.isnan(statistic) else statistic


def _verdict(
    *,
    n: int,
    sign_agreement: float,
    spearman: float | None,
    opposite: list[str],
    fit: float | None,
    stability: float | None,
) -> tuple[Verdict, str]:
    problems: list[str] = []
    if opposite:
        problems.append(f"{_join(opposite)} (they push in opposite directions)")
    if spearman is not None and spearman < MIN_RANK_CORRELATION:
        problems.append(f"how much each factor matters (rank correlation {spearman:.2f})")
    disagree = sign_agreement < MIN_SIGN_AGREEMENT or (spearman is not None and spearman < 0)
    if disagree and not problems:
        problems.append("which factors count at all (one method gives several of them no weight)")
    if disagree:
        return "disagree", DISAGREE.format(detail="; and ".join(problems))

    cautions = [f"the methods disagree on {p}" for p in problems]
    if fit is not None and fit < MIN_FIT_SCORE:
        cautions.append(
            f"LIME's local fit is weak (R² {fit:.2f}), so its explanation may not "
            "describe the model near this case"
        )
    if stability is not None and stability < MIN_STABILITY:
        cautions.append(f"LIME's top factors change when it is rerun (stability {stability:.2f})")
    if cautions:
        return "care", CARE.format(detail="; ".join(cautions))
    ranks = "" if spearman is None else f" (rank correlation {spearman:.2f})"
    same = (
        f"all {n} top factors push the same way"
        if sign_agreement == 1.0
        else (f"none of the {n} top factors is pushed in opposite directions")
    )
    return "agree", AGREE.format(detail=same + ranks)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
