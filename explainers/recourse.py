"""Recourse: the smallest changes a person can make that would flip a decision.

The search is a beam search over the original columns, written here rather
than taken from dice-ml (see :func:`find_recourse` for why). Every option it
returns has been re-predicted with the caller's model and reaches the
threshold, never touches a fixed feature, moves numeric features only in the
allowed direction, and keeps every value inside what the reference data shows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from explainers.errors import DataValidationError
from explainers.naming import feature_label
from explainers.reasons import format_value

Direction = Literal["up", "down", "any"]
DIRECTIONS: frozenset[str] = frozenset({"up", "down", "any"})

CATEGORY_CHANGE_COST = 1.0
"""Cost of switching a category; a numeric change costs its share of the observed range."""

ALREADY_FAVOURABLE = "The decision is already favourable, so nothing needs to change."
NOTHING_ACTIONABLE = "Every feature is fixed or missing, so there is nothing to change."
NOTHING_FOUND = (
    "No combination of up to {max_changes} changes to the features you allowed, within the "
    "ranges seen in the data, reaches the threshold."
)
FOUND_ONE = "1 option found; it was checked by predicting again."
FOUND = "{n} options found; each was checked by predicting again."

_NOT_ONE_ROW = "Expected one row to find recourse for, got {n}."
_COLUMNS_DIFFER = "The row and the reference data must have the same columns; {detail}."
_UNKNOWN_FEATURES = "Unknown feature(s) in {what}: {names}."
_BAD_DIRECTION = "Direction for {feature!r} must be one of {expected}, got {got!r}."
_DIRECTION_ON_CATEGORY = (
    "A direction can only be given for a numeric feature; {feature!r} is a category."
)
_BAD_SCORES = "predict_score returned {got} scores for {expected} rows."
_BAD_COUNT = "{name} must be at least 1, got {value}."
_BAD_THRESHOLD = "threshold must be strictly between 0 and 1, got {threshold}."

_GRID_SIZE = 20  # candidate values per numeric feature
_REFINE_STEPS = 16  # values tried between the original and a flipping value
_BEAM_WIDTH = 12  # partial change sets carried to the next depth
_REFINE_PER_DEPTH = 4  # flipping change sets refined per depth, per option asked for


@dataclass(frozen=True, slots=True)
class Change:
    """One feature changed from its current value to a new one."""

    feature: str
    from_value: object
    to_value: object


@dataclass(frozen=True, slots=True)
class RecourseOption:
    """A set of changes that flips the decision, verified by predicting again.

    Parameters
    ----------
    changes : tuple of Change
        The changes, in column order.
    score : float
        The model's favourable-outcome score with the changes applied.
    cost : float
        Size of the change: for each changed feature, the share of the
        observed range it moves through (numeric) or
        :data:`CATEGORY_CHANGE_COST` (category), summed.
    sentence : str
        The option in words, e.g.
        ``"Lower credit amount from 5,951 to 3,200; the score would be 52%."``
    """

    changes: tuple[Change, ...]
    score: float
    cost: float
    sentence: str

    @property
    def features(self) -> frozenset[str]:
        """The names of the changed features."""
        return frozenset(c.feature for c in self.changes)


@dataclass(frozen=True, slots=True)
class RecourseResult:
    """The outcome of a recourse search for one row.

    Parameters
    ----------
    options : tuple of RecourseOption
        Up to ``max_options`` options on different feature sets, fewest
        changes first, then smallest cost. Empty when none was found or
        none was needed.
    original_score : float
        The row's score before any change.
    threshold : float
        The score an option must reach.
    fixed : tuple of str
        The features that were not allowed to change.
    n_evaluated : int
        How many candidate rows were scored by the model.
    message : str
        A plain-language summary of the result.
    """

    options: tuple[RecourseOption, ...]
    original_score: float
    threshold: float
    fixed: tuple[str, ...]
    n_evaluated: int
    message: str


@dataclass(frozen=True, slots=True)
class _Feature:
    name: str
    numeric: bool
    integer: bool
    low: float
    high: float
    current: object
    candidates: tuple[object, ...]

    def cost(self, value: object) -> float:
        if not self.numeric:
            return CATEGORY_CHANGE_COST
        span = self.high - self.low
        return abs(float(value) - float(self.current)) / span if span > 0 else 0.0  # type: ignore[arg-type]


_State = dict[str, object]


class _Scorer:
    """Scores change sets applied to the row, counting the rows scored."""

    def __init__(self, predict_score: Callable[[pd.DataFrame], np.ndarray], row: pd.DataFrame):
        self._predict = predict_score
        self._row = row.reset_index(drop=True)
        self.n_evaluated = 0

    def frame(self, states: list[_State]) -> pd.DataFrame:
        batch = self._row.loc[self._row.index.repeat(len(states))].reset_index(drop=True)
        touched = sorted({f for s in states for f in s})
        for f in touched:
            column = batch[f].to_numpy(dtype=object, copy=True)
            for i, state in enumerate(states):
                if f in state:
                    column[i] = state[f]
            batch[f] = pd.Series(column).astype(self._row[f].dtype)
        return batch

    def __call__(self, states: list[_State]) -> np.ndarray:
        if not states:
            return np.empty(0)
        scores = np.asarray(self._predict(self.frame(states)), dtype=np.float64).reshape(-1)
        if scores.shape[0] != len(states):
            raise ValueError(_BAD_SCORES.format(got=scores.shape[0], expected=len(states)))
        self.n_evaluated += len(states)
        return scores


def find_recourse(
    predict_score: Callable[[pd.DataFrame], np.ndarray],
    row: pd.DataFrame,
    X_reference: pd.DataFrame,
    *,
    threshold: float = 0.5,
    fixed: Collection[str] = (),
    directions: Mapping[str, Direction] | None = None,
    max_options: int = 3,
    max_changes: int = 3,
    display_names: Mapping[str, str] | None = None,
    score_name: str = "score",
    random_state: int = 0,
) -> RecourseResult:
    """Find up to ``max_options`` small, different sets of changes that flip a decision.

    The search starts from single changes (every allowed feature, a grid of
    values from the reference data) and widens to pairs and triples by beam
    search: the partial change sets that raise the score most are carried on,
    half of them the best, half drawn at random (seeded by ``random_state``)
    among the rest so the options stay diverse. Each change set that reaches
    the threshold is then shrunk: every change is moved back towards the
    original value, or dropped, as far as the score stays at or above the
    threshold. Finally the options are scored again and only those that
    still reach the threshold are returned.

    dice-ml 0.12 does run on this stack, but its methods do not fit:
    "random" returns arbitrary values inside the range (not the smallest
    change), "genetic" is slower, "kdtree" only proposes rows of the
    training data, none supports an "up only" direction, and it needs the
    model object and outcome column rather than a scoring function.

    Parameters
    ----------
    predict_score : callable
        Takes a DataFrame with the columns of ``row`` (same dtypes) and
        returns an array of shape (n_rows,) with the favourable-outcome score.
    row : DataFrame of shape (1, n_features)
        The case to find recourse for.
    X_reference : DataFrame of shape (n_rows, n_features)
        Data giving the observed range of each numeric feature and the
        categories of each categorical one.
    threshold : float, default 0.5
        The score an option must reach.
    fixed : collection of str, default ()
        Features that must not change (the decision settings' ``fixed``).
    directions : mapping of str to {"up", "down", "any"}, optional
        Allowed direction per numeric feature; others may move either way.
    max_options : int, default 3
        Most options returned; they differ in which features they change.
    max_changes : int, default 3
        Most features changed by one option.
    display_names : mapping of str to str, optional
        Human-readable names used in the sentences.
    score_name : str, default "score"
        What the score is called in the sentences (e.g. "approval score").
    random_state : int, default 0
        Seed of the random half of the beam.

    Returns
    -------
    RecourseResult

    Raises
    ------
    DataValidationError
        If ``row`` is not one row, the columns differ, or ``fixed`` or
        ``directions`` name unknown features or give a bad direction.
    ValueError
        If ``threshold``, ``max_options`` or ``max_changes`` is out of range,
        or ``predict_score`` returns the wrong number of scores.

    Examples
    --------
    >>> X = pd.DataFrame({"amount": [1000, 2000, 3000, 4000], "age": [20, 30, 40, 50]})
    >>> score = lambda df: (df["amount"].to_numpy() <= 2500).astype(float)
    >>> result = find_recourse(score, X.iloc[[3]], X, fixed=["age"])
    >>> result.options[0].sentence
    'Lower amount from 4,000 to 2,500; the score would be 100% (needed: 50%).'
    """
    directions = {} if directions is None else directions
    features = _prepare(row, X_reference, fixed=fixed, directions=directions)
    if not 0.0 < threshold < 1.0:
        raise ValueError(_BAD_THRESHOLD.format(threshold=threshold))
    for name, value in (("max_options", max_options), ("max_changes", max_changes)):
        if value < 1:
            raise ValueError(_BAD_COUNT.format(name=name, value=value))

    scorer = _Scorer(predict_score, row)
    original_score = float(scorer([{}])[0])
    fixed_names = tuple(c for c in row.columns if c in set(fixed))

    def result(options: tuple[RecourseOption, ...], message: str) -> RecourseResult:
        return RecourseResult(
            options=options,
            original_score=original_score,
            threshold=threshold,
            fixed=fixed_names,
            n_evaluated=scorer.n_evaluated,
            message=message,
        )

    if original_score >= threshold:
        return result((), ALREADY_FAVOURABLE)
    if not features:
        return result((), NOTHING_ACTIONABLE)

    by_name = {f.name: f for f in features}
    rng = np.random.default_rng(random_state)
    found: dict[frozenset[str], _State] = {}
    beam: list[_State] = [{}]
    for _ in range(max_changes):
        expansions = _expand(beam, features, found)
        if not expansions:
            break
        scores = scorer(expansions)
        flipping = [s for s, p in zip(expansions, scores, strict=True) if p >= threshold]
        cheapest: dict[frozenset[str], _State] = {}
        for state in sorted(flipping, key=lambda s: _cost(s, by_name)):
            cheapest.setdefault(frozenset(state), state)
        for state in list(cheapest.values())[: _REFINE_PER_DEPTH * max_options]:
            refined = _refine(state, by_name, scorer, threshold)
            found.setdefault(frozenset(refined), refined)
        if len(_select(found, by_name, max_options)) >= max_options:
            break
        rest = [(s, p) for s, p in zip(expansions, scores, strict=True) if p < threshold]
        beam = _next_beam(rest, rng)

    chosen = _select(found, by_name, max_options)
    verified = scorer(chosen)
    options = tuple(
        _option(state, float(score), by_name, threshold, display_names, score_name)
        for state, score in zip(chosen, verified, strict=True)
        if score >= threshold
    )
    if not options:
        return result((), NOTHING_FOUND.format(max_changes=max_changes))
    return result(options, FOUND_ONE if len(options) == 1 else FOUND.format(n=len(options)))


def _prepare(
    row: pd.DataFrame,
    X_reference: pd.DataFrame,
    *,
    fixed: Collection[str],
    directions: Mapping[str, str],
) -> list[_Feature]:
    if len(row) != 1:
        raise DataValidationError(_NOT_ONE_ROW.format(n=len(row)))
    if list(row.columns) != list(X_reference.columns):
        missing = sorted(set(X_reference.columns) - set(row.columns))
        extra = sorted(set(row.columns) - set(X_reference.columns))
        detail = f"missing from the row: {missing}, not in the reference: {extra}"
        if not missing and not extra:
            detail = "they are in a different order"
        raise DataValidationError(_COLUMNS_DIFFER.format(detail=detail))
    columns = set(row.columns)
    for what, names in (("fixed", set(fixed)), ("directions", set(directions))):
        if unknown := sorted(names - columns):
            raise DataValidationError(_UNKNOWN_FEATURES.format(what=what, names=unknown))
    for name, direction in directions.items():
        if direction not in DIRECTIONS:
            raise DataValidationError(
                _BAD_DIRECTION.format(feature=name, expected=sorted(DIRECTIONS), got=direction)
            )
        if direction != "any" and not _is_numeric(row[name]):
            raise DataValidationError(_DIRECTION_ON_CATEGORY.format(feature=name))

    features: list[_Feature] = []
    for name in row.columns:
        current = row[name].iloc[0]
        observed = X_reference[name].dropna()
        if name in fixed or pd.isna(current) or observed.empty:
            continue
        if _is_numeric(row[name]):
            feature = _numeric_feature(
                name,
                current,
                observed,
                directions.get(name, "any"),
                integer=pd.api.types.is_integer_dtype(row[name]),
            )
        else:
            categories = tuple(v for v in pd.unique(observed) if v != current)
            feature = _Feature(name, False, False, 0.0, 0.0, current, categories)
        if feature.candidates:
            features.append(feature)
    return features


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _numeric_feature(
    name: str, current: object, observed: pd.Series, direction: str, *, integer: bool
) -> _Feature:
    values = observed.to_numpy(dtype=np.float64)
    low, high = float(values.min()), float(values.max())
    unique = np.unique(values)
    grid = (
        unique if unique.size <= _GRID_SIZE else np.quantile(values, np.linspace(0, 1, _GRID_SIZE))
    )
    if integer:
        grid = np.unique(np.round(grid))
    now = float(current)  # type: ignore[arg-type]
    if direction == "up":
        grid = grid[grid > now]
    elif direction == "down":
        grid = grid[grid < now]
    else:
        grid = grid[grid != now]
    candidates = tuple(_as_value(v, integer=integer) for v in grid)
    return _Feature(name, True, integer, low, high, current, candidates)


def _as_value(value: float, *, integer: bool) -> object:
    return int(round(value)) if integer else float(value)


def _cost(state: _State, by_name: Mapping[str, _Feature]) -> float:
    return sum(by_name[f].cost(v) for f, v in state.items())


def _expand(
    beam: list[_State], features: list[_Feature], found: Mapping[frozenset[str], _State]
) -> list[_State]:
    """Every state of the beam with one more feature changed, without repeats.

    Change sets that contain an option already found are skipped: they can
    only be larger versions of it.
    """
    seen: set[frozenset[tuple[str, object]]] = set()
    expansions = []
    for state in beam:
        for feature in features:
            if feature.name in state:
                continue
            for value in feature.candidates:
                new = {**state, feature.name: value}
                key = frozenset(new.items())
                if key in seen or any(k <= new.keys() for k in found):
                    continue
                seen.add(key)
                expansions.append(new)
    return expansions


def _next_beam(scored: list[tuple[_State, float]], rng: np.random.Generator) -> list[_State]:
    """The best-scoring state of each feature set: the best half, and a random half of the rest."""
    best_per_set: dict[frozenset[str], _State] = {}
    for state, _ in sorted(scored, key=lambda sp: -sp[1]):
        best_per_set.setdefault(frozenset(state), state)
    ranked = list(best_per_set.values())
    best = ranked[: _BEAM_WIDTH // 2]
    rest = ranked[_BEAM_WIDTH // 2 :]
    n_random = min(_BEAM_WIDTH - len(best), len(rest))
    picked = np.sort(rng.choice(len(rest), size=n_random, replace=False))
    return best + [rest[int(i)] for i in picked]


def _refine(
    state: _State, by_name: Mapping[str, _Feature], scorer: _Scorer, threshold: float
) -> _State:
    """Move each change back towards the original value while the decision stays flipped."""
    refined = dict(state)
    for name in sorted(state, key=lambda f: -by_name[f].cost(state[f])):
        feature = by_name[name]
        target = refined[name]
        if feature.numeric:
            steps = np.linspace(float(feature.current), float(target), _REFINE_STEPS + 1)  # type: ignore[arg-type]
            steps = np.clip(steps[1:], feature.low, feature.high)
            tries = list(dict.fromkeys(_as_value(v, integer=feature.integer) for v in steps))
        else:
            tries = [target]
        without = {f: v for f, v in refined.items() if f != name}
        candidates = [without] + [{**refined, name: v} for v in tries]
        scores = scorer(candidates)
        refined = next(
            (c for c, p in zip(candidates, scores, strict=True) if p >= threshold), refined
        )
    return refined


def _select(
    found: Mapping[frozenset[str], _State], by_name: Mapping[str, _Feature], max_options: int
) -> list[_State]:
    """Fewest changes first, then cheapest; skip any that contains a chosen option."""
    chosen: list[_State] = []
    for state in sorted(found.values(), key=lambda s: (len(s), _cost(s, by_name))):
        if state and not any(c.keys() <= state.keys() for c in chosen):
            chosen.append(state)
        if len(chosen) == max_options:
            break
    return chosen


def _option(
    state: _State,
    score: float,
    by_name: Mapping[str, _Feature],
    threshold: float,
    display_names: Mapping[str, str] | None,
    score_name: str,
) -> RecourseOption:
    order = list(by_name)
    changes = tuple(
        Change(name, by_name[name].current, state[name]) for name in sorted(state, key=order.index)
    )
    phrases = []
    for change in changes:
        name = _lower_first(feature_label(change.feature, display_names))
        old, new = format_value(change.from_value), format_value(change.to_value)
        if by_name[change.feature].numeric:
            up = float(change.to_value) > float(change.from_value)  # type: ignore[arg-type]
            phrases.append(f"{'raise' if up else 'lower'} {name} from {old} to {new}")
        else:
            phrases.append(f"change {name} from “{old}” to “{new}”")
    joined = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    outcome = f"the {score_name} would be {score:.0%} (needed: {threshold:.0%})"
    sentence = f"{joined[0].upper()}{joined[1:]}; {outcome}."
    return RecourseOption(changes, score, _cost(state, by_name), sentence)


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[1].islower():
        return text[0].lower() + text[1:]
    return text
