"""Decision settings: what makes a model's output a decision, kept as data beside the model.

A small, human-readable JSON file says which class is the favourable one and
how outcomes are worded, which features a person cannot change (or may only
raise or lower), which are sensitive for fairness, the ID column, readable
names and saved cohorts. Reasons, recourse, presenter mode, fairness and both
reports read these settings; no code branches on which model is loaded.

Example file::

    {"favourable": "good", "favourable_text": "approved", "unfavourable_text": "refused",
     "score_name": "approval score", "fixed": ["age", "personal_status_sex"],
     "increase_only": ["age"], "decrease_only": [], "sensitive": ["personal_status_sex"],
     "display_names": {"duration": "Loan duration (months)"}, "id_column": "application_id",
     "cohorts": [{"name": "young", "conditions": [...]}]}

``cohorts`` is a list of ``{"name": str, "conditions": [object, ...]}``, read
and written by :mod:`explainers.cohorts`. ``groups`` derives a
sensitive grouping from a column: ``{"name": "age band", "column": "age",
"bands": [25, 35, 50, 65]}`` cuts numbers into bands, ``{"name": "sex",
"column": "personal_status", "text_before": ":"}`` keeps the text before a
separator.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from explainers.cohorts import Cohort, cohorts_from_json, cohorts_to_json
from explainers.errors import DataValidationError
from explainers.naming import feature_label

Direction = Literal["up", "down", "any"]

NOT_JSON = "The decision settings file is not valid JSON ({detail})."
NOT_JSON_HINT = "Save the settings from the upload page, or fix the file in a text editor."
TOO_DEEP = "The decision settings file nests lists or objects far too deeply to be settings."
NOT_OBJECT = "The decision settings must be one JSON object ({{...}}), got {got}."
UNKNOWN_KEY = "The decision settings have an unknown key {key!r}."
UNKNOWN_KEY_HINT = "Known keys: {known}."
BAD_TYPE = "The decision settings key {key!r} must be {expected}, got {got}."
BAD_TYPE_HINT = "Fix that key in the settings file (see the example in the README)."
BAD_THRESHOLD = "The decision settings key 'threshold' must be between 0 and 1, got {got}."
BOTH_DIRECTIONS = (
    "The decision settings list {names} under both 'increase_only' and 'decrease_only'."
)
BOTH_DIRECTIONS_HINT = "A feature may only rise or only fall; keep it under one of the two keys."
UNKNOWN_COLUMNS = "The decision settings key {key!r} names {names}, not a column of {data}."
UNKNOWN_COLUMNS_HINT = "The columns are: {columns}."
NOT_NUMERIC = "The decision settings key {key!r} names {names}, which {verb} not numeric."
NOT_NUMERIC_HINT = "Only numbers can be told to only rise or only fall; fix the key or the data."
UNKNOWN_CLASS = "The decision settings say the favourable class is {got!r}; the model has {labels}."
UNKNOWN_CLASS_HINT = "Set 'favourable' to one of the model's classes."
BAD_GROUP = "The decision settings group {name!r} must give either 'bands' or 'text_before'."
BAD_GROUP_HINT = (
    'For example {"name": "age band", "column": "age", "bands": [25, 35, 50, 65]} or '
    '{"name": "sex", "column": "personal_status", "text_before": ":"}.'
)
GROUP_NOT_NUMERIC = "The group {name!r} cuts {column!r} into bands, but it is not numeric."

_FIXED_PATTERNS = (
    "age",
    "sex",
    "gender",
    "personal status",
    "foreign",
    "race",
    "ethnic",
    "ethnicity",
    "nationality",
    "native country",
    "marital",
    "religion",
    "birth",
    "disability",
    "pregnant",
)
"""Name patterns of features a person cannot (or should not be asked to) change."""
_SENSITIVE_PATTERNS = (
    "age",
    "sex",
    "gender",
    "personal status",
    "foreign",
    "race",
    "ethnic",
    "ethnicity",
    "nationality",
    "native country",
    "marital",
    "religion",
    "disability",
)
"""Name patterns of features fairness should compare groups by."""
_INCREASE_PATTERNS = ("age",)
_ID_PATTERNS = ("id", "identifier", "key", "number")
_FAVOURABLE_WORDS = (
    "good",
    "approved",
    "approve",
    "accepted",
    "accept",
    "granted",
    "yes",
    "y",
    "true",
    "1",
    "pass",
    "paid",
    "repaid",
    "survived",
    "positive",
    "success",
)
_YES_LIKE = frozenset({"1", "1.0", "true", "yes", "y"})
AGE_BANDS: tuple[float, ...] = (25, 35, 50, 65)
MAX_GROUPS = 20


@dataclass(frozen=True, slots=True)
class DerivedGroup:
    """A sensitive grouping derived from one column (age bands, sex from a combined column).

    Parameters
    ----------
    name : str
        The group feature's name on the fairness page, e.g. ``"age band"``.
    column : str
        The column it is derived from.
    bands : tuple of float
        Lower bounds of every band but the first (numeric columns); empty
        when ``text_before`` is used.
    text_before : str or None
        Keep the text before this separator, lower-cased (``"male : single"``
        with ``":"`` gives ``"male"``).
    """

    name: str
    column: str
    bands: tuple[float, ...] = ()
    text_before: str | None = None

    def derive(self, frame: pd.DataFrame) -> pd.Series:
        """The group of each row of ``frame`` (missing stays missing).

        Raises
        ------
        DataValidationError
            If the column is missing, or not numeric when bands are asked for.
        """
        if self.column not in frame.columns:
            raise DataValidationError(
                UNKNOWN_COLUMNS.format(key="groups", names=repr(self.column), data="the data"),
                UNKNOWN_COLUMNS_HINT.format(columns=_listing(frame.columns)),
            )
        values = frame[self.column]
        if self.bands:
            if not _is_numeric(values):
                raise DataValidationError(
                    GROUP_NOT_NUMERIC.format(name=self.name, column=self.column), BAD_GROUP_HINT
                )
            edges = list(self.bands)
            labels = [f"under {_number(edges[0])}"]
            labels += [
                f"{_number(lo)}-{_number(hi - 1)}"
                for lo, hi in zip(edges[:-1], edges[1:], strict=True)
            ]
            labels.append(f"{_number(edges[-1])} and over")
            cut = pd.cut(values, [-np.inf, *edges, np.inf], labels=labels, right=False)
            return cut.rename(self.name)
        separator = self.text_before or ""
        text = values.astype(object).where(values.notna())
        part = text.map(lambda v: v if pd.isna(v) else str(v).split(separator)[0].strip().lower())
        return part.rename(self.name)


@dataclass(frozen=True, slots=True)
class DecisionSettings:
    """What makes a model's output a decision: wording, actionable features, fairness groups.

    Parameters
    ----------
    favourable : str or None
        The favourable class label as text (None: regression, or the model's
        default positive class).
    favourable_text, unfavourable_text : str
        How the two outcomes are worded, e.g. ``"approved"`` / ``"refused"``:
        words that read after "the outcome is" and in "62 applicants approved
        by the challenger and refused by the champion".
    score_name : str
        What the favourable class's score is called, e.g. ``"approval score"``.
    noun : str
        What the rows are, in the plural, e.g. ``"applicants"``.
    threshold : float
        Probability of the favourable class at or above which it is decided.
    fixed : tuple of str
        Features recourse never changes.
    increase_only, decrease_only : tuple of str
        Numeric features recourse may only raise, or only lower.
    sensitive : tuple of str
        Columns (or names of ``groups``) fairness compares groups by.
    groups : tuple of DerivedGroup
        Sensitive groupings derived from a column.
    display_names : dict of str to str
        Readable names of columns.
    id_column : str or None
        A column with one unique ID per row.
    cohorts : tuple of Cohort
        Saved cohorts.
    """

    favourable: str | None = None
    favourable_text: str = "favourable"
    unfavourable_text: str = "unfavourable"
    score_name: str = "score"
    noun: str = "rows"
    threshold: float = 0.5
    fixed: tuple[str, ...] = ()
    increase_only: tuple[str, ...] = ()
    decrease_only: tuple[str, ...] = ()
    sensitive: tuple[str, ...] = ()
    groups: tuple[DerivedGroup, ...] = ()
    display_names: dict[str, str] = field(default_factory=dict)
    id_column: str | None = None
    cohorts: tuple[Cohort, ...] = ()

    @property
    def directions(self) -> dict[str, Direction]:
        """Allowed direction of change per feature, for recourse (fixed features left out)."""
        out: dict[str, Direction] = {}
        for name in self.increase_only:
            out[name] = "up"
        for name in self.decrease_only:
            out[name] = "down"
        return {k: v for k, v in out.items() if k not in self.fixed}

    def outcome_text(self, favourable: bool) -> str:
        """The wording of one outcome."""
        return self.favourable_text if favourable else self.unfavourable_text

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready data (the file's layout)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "groups":
                value = [_group_dict(g) for g in value]
            elif f.name == "cohorts":
                value = cohorts_to_json(value)
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, dict):
                value = dict(value)
            out[f.name] = value
        return out

    def to_json(self) -> str:
        """The settings file's text (indented, keys in a stable order)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def digest(self) -> str:
        """A content hash, for cache keys."""
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    def with_changes(self, **changes: Any) -> DecisionSettings:
        """A copy with some keys changed."""
        return replace(self, **changes)


_KEYS: tuple[str, ...] = tuple(f.name for f in fields(DecisionSettings))


def settings_from_json(text: str | bytes) -> DecisionSettings:
    """Read decision settings from a JSON file's text.

    Keys left out take their defaults; unknown keys and wrong types are
    refused with a message naming the key.

    Parameters
    ----------
    text : str or bytes
        The file's content.

    Returns
    -------
    DecisionSettings

    Raises
    ------
    DataValidationError
        If the text is not JSON, not an object, has an unknown key or a
        value of the wrong type.

    Examples
    --------
    >>> settings_from_json('{"favourable": "good", "fixed": ["age"]}').fixed
    ('age',)
    """
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataValidationError(NOT_JSON.format(detail=exc), NOT_JSON_HINT) from exc
    except RecursionError as exc:  # thousands of nested brackets
        raise DataValidationError(TOO_DEEP, NOT_JSON_HINT) from exc
    return settings_from_dict(data)


def settings_from_dict(data: object) -> DecisionSettings:
    """Decision settings from parsed JSON (see :func:`settings_from_json`)."""
    if not isinstance(data, dict):
        raise DataValidationError(NOT_OBJECT.format(got=_kind(data)), NOT_JSON_HINT)
    for key in data:
        if key not in _KEYS:
            raise DataValidationError(
                UNKNOWN_KEY.format(key=key), UNKNOWN_KEY_HINT.format(known=", ".join(_KEYS))
            )
    values: dict[str, Any] = {}
    for key in ("favourable", "id_column"):
        if key in data:
            values[key] = _optional_text(data[key], key)
    for key in ("favourable_text", "unfavourable_text", "score_name", "noun"):
        if key in data:
            values[key] = _text(data[key], key)
    for key in ("fixed", "increase_only", "decrease_only", "sensitive"):
        if key in data:
            values[key] = _names(data[key], key)
    if "threshold" in data:
        values["threshold"] = _threshold(data["threshold"])
    if "display_names" in data:
        values["display_names"] = _display_names(data["display_names"])
    if "groups" in data:
        values["groups"] = tuple(_group(g) for g in _list(data["groups"], "groups"))
    if "cohorts" in data:
        values["cohorts"] = cohorts_from_json(data["cohorts"])
    both = sorted(set(values.get("increase_only", ())) & set(values.get("decrease_only", ())))
    if both:
        raise DataValidationError(BOTH_DIRECTIONS.format(names=_quoted(both)), BOTH_DIRECTIONS_HINT)
    return DecisionSettings(**values)


def load_settings(path: str | Path) -> DecisionSettings:
    """Read a decision settings file.

    Raises
    ------
    DataValidationError
        If the file cannot be read or is not valid settings.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise DataValidationError(
            f"Could not read the decision settings file {path}: {exc.strerror or exc}.",
            "Check the path and try again.",
        ) from exc
    return settings_from_json(raw)


def check_settings(
    settings: DecisionSettings,
    frame: pd.DataFrame,
    *,
    output_labels: Sequence[str] = (),
    data_name: str = "the data",
) -> None:
    """Check that the settings fit a dataset and a model's classes.

    Parameters
    ----------
    settings : DecisionSettings
    frame : DataFrame
        The dataset as uploaded (all columns).
    output_labels : sequence of str, default ()
        The model's class labels (empty for regression).
    data_name : str, default "the data"
        How the dataset is named in messages.

    Raises
    ------
    DataValidationError
        Naming the key: a column that is not in the data, a direction on a
        non-numeric column, or a favourable class the model does not have.
    """
    columns = [str(c) for c in frame.columns]
    group_names = {g.name for g in settings.groups}
    named: list[tuple[str, Sequence[str]]] = [
        ("fixed", settings.fixed),
        ("increase_only", settings.increase_only),
        ("decrease_only", settings.decrease_only),
        ("sensitive", [s for s in settings.sensitive if s not in group_names]),
        ("display_names", list(settings.display_names)),
        ("groups", [g.column for g in settings.groups]),
        ("id_column", [] if settings.id_column is None else [settings.id_column]),
    ]
    for key, names in named:
        unknown = [n for n in names if n not in columns]
        if unknown:
            raise DataValidationError(
                UNKNOWN_COLUMNS.format(key=key, names=_quoted(unknown), data=data_name),
                UNKNOWN_COLUMNS_HINT.format(columns=_listing(columns)),
            )
    for key in ("increase_only", "decrease_only"):
        bad = [n for n in getattr(settings, key) if not _is_numeric(frame[n])]
        if bad:
            verb = "is" if len(bad) == 1 else "are"
            raise DataValidationError(
                NOT_NUMERIC.format(key=key, names=_quoted(bad), verb=verb), NOT_NUMERIC_HINT
            )
    for group in settings.groups:
        if group.bands and not _is_numeric(frame[group.column]):
            raise DataValidationError(
                GROUP_NOT_NUMERIC.format(name=group.name, column=group.column), BAD_GROUP_HINT
            )
    if output_labels and settings.favourable is not None:
        if settings.favourable not in output_labels:
            raise DataValidationError(
                UNKNOWN_CLASS.format(got=settings.favourable, labels=_quoted(output_labels)),
                UNKNOWN_CLASS_HINT,
            )


def sensitive_groups(settings: DecisionSettings, frame: pd.DataFrame, feature: str) -> pd.Series:
    """The group of each row for one sensitive feature (a column, or one of ``groups``).

    Raises
    ------
    DataValidationError
        If ``feature`` is neither a column of ``frame`` nor a derived group.
    """
    for group in settings.groups:
        if group.name == feature and feature not in frame:
            return group.derive(frame)
    if feature not in frame.columns:
        raise DataValidationError(
            UNKNOWN_COLUMNS.format(key="sensitive", names=repr(feature), data="the data"),
            UNKNOWN_COLUMNS_HINT.format(columns=_listing(frame.columns)),
        )
    return frame[feature].rename(feature)


def guess_settings(
    frame: pd.DataFrame,
    *,
    output_labels: Sequence[str] = (),
    default_output: int = 0,
    target: str | None = None,
    model_threshold: tuple[int, float] | None = None,
) -> DecisionSettings:
    """Sensible settings for an upload that came without any, from names and values.

    The favourable class is one whose label reads favourable ("good", "yes",
    "1", "approved", ...), else the model's default (positive) class.
    Features whose names read as age, sex, personal status, foreign worker,
    race, nationality and the like are fixed and sensitive; age may only
    rise; a column named like an ID with a unique value per row is the ID
    column. Every column gets a readable name.

    Parameters
    ----------
    frame : DataFrame
        The dataset as uploaded (all columns).
    output_labels : sequence of str, default ()
        The model's class labels (empty for regression).
    default_output : int, default 0
        The model's default output column (its positive class).
    target : str, optional
        The target column, if known (left out of every guess but the wording).
    model_threshold : (int, float), optional
        A binary model's own threshold (``ModelBundle.threshold``): the
        threshold becomes the one it decides with, for the favourable class.

    Returns
    -------
    DecisionSettings

    Examples
    --------
    >>> frame = pd.DataFrame({"Age": [30, 40], "Fare": [7.5, 20.0], "Survived": [0, 1]})
    >>> s = guess_settings(frame, output_labels=("0", "1"), default_output=1, target="Survived")
    >>> s.favourable, s.favourable_text, s.fixed
    ('1', 'survived', ('Age',))
    """
    columns = [str(c) for c in frame.columns if c != target]
    fixed = tuple(c for c in columns if _matches(c, _FIXED_PATTERNS))
    increase = tuple(
        c for c in columns if _matches(c, _INCREASE_PATTERNS) and _is_numeric(frame[c])
    )
    groups: list[DerivedGroup] = []
    sensitive: list[str] = []
    for c in columns:
        if not _matches(c, _SENSITIVE_PATTERNS):
            continue
        if _is_numeric(frame[c]) and frame[c].nunique() > MAX_GROUPS:
            band = DerivedGroup(f"{feature_label(c).lower()} band", column=c, bands=AGE_BANDS)
            if _matches(c, ("age",)) and band.derive(frame).nunique() >= 2:  # ages in years
                groups.append(band)
                sensitive.append(band.name)
        elif frame[c].nunique() <= MAX_GROUPS:
            sensitive.append(c)
    id_column = next(
        (
            c
            for c in columns
            if _matches(c, _ID_PATTERNS) and frame[c].notna().all() and frame[c].is_unique
        ),
        None,
    )
    values: dict[str, Any] = {
        "fixed": fixed,
        "increase_only": increase,
        "sensitive": tuple(sensitive),
        "groups": tuple(groups),
        "display_names": {c: feature_label(c) for c in frame.columns.astype(str)},
        "id_column": id_column,
    }
    if output_labels:
        values.update(_guess_wording(output_labels, default_output, target))
        if model_threshold is not None and len(output_labels) == 2:
            k, at = model_threshold
            values["threshold"] = at if output_labels[k] == values["favourable"] else 1.0 - at
    else:
        values.update(favourable=None, favourable_text="higher", unfavourable_text="lower",
                      score_name="prediction")  # fmt: skip
    return DecisionSettings(**values)


def _guess_wording(
    labels: Sequence[str], default_output: int, target: str | None
) -> dict[str, Any]:
    lowered = [str(label).strip().lower() for label in labels]
    favourable = str(labels[default_output])
    for word in _FAVOURABLE_WORDS:
        if word in lowered:
            favourable = str(labels[lowered.index(word)])
            break
    others = [str(label) for label in labels if str(label) != favourable]
    if favourable.strip().lower() in _YES_LIKE:
        text = feature_label(target).lower() if target else "positive"
        other = f"not {text}"
    else:
        text = favourable
        other = others[0] if len(others) == 1 else f"not {favourable}"
    return {
        "favourable": favourable,
        "favourable_text": text,
        "unfavourable_text": other,
        "score_name": f"“{text}” score",
    }


def _tokens(name: str) -> str:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    return " " + " ".join(re.findall(r"[a-z0-9]+", spaced.lower())) + " "


def _matches(name: str, patterns: Sequence[str]) -> bool:
    tokens = _tokens(name)
    return any(f" {p} " in tokens for p in patterns)


def _is_numeric(column: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column))


def _number(value: float) -> str:
    return f"{value:g}"


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _bad(key: str, expected: str, value: object) -> DataValidationError:
    return DataValidationError(
        BAD_TYPE.format(key=key, expected=expected, got=_kind(value)), BAD_TYPE_HINT
    )


def _text(value: object, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(key, "a non-empty text", value)
    return value.strip()


def _optional_text(value: object, key: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _bad(key, "a text (or null)", value)
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    return text or None


def _list(value: object, key: str) -> list[Any]:
    if not isinstance(value, list):
        raise _bad(key, "a list", value)
    return value


def _names(value: object, key: str) -> tuple[str, ...]:
    items = _list(value, key)
    if not all(isinstance(v, str) and v for v in items):
        raise _bad(key, "a list of column names (texts)", value)
    return tuple(dict.fromkeys(items))


def _threshold(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad("threshold", "a number between 0 and 1", value)
    if not 0.0 < float(value) < 1.0:
        raise DataValidationError(BAD_THRESHOLD.format(got=value), BAD_TYPE_HINT)
    return float(value)


def _display_names(value: object) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _bad("display_names", 'an object of column: name texts ({"col": "Name"})', value)
    return {k: v.strip() or k for k, v in value.items()}


def _group(value: object) -> DerivedGroup:
    if not isinstance(value, dict):
        raise _bad("groups", "a list of objects", value)
    name, column = value.get("name"), value.get("column")
    if not isinstance(name, str) or not isinstance(column, str) or not name or not column:
        raise _bad("groups", 'objects with a "name" and a "column"', value)
    extra = set(value) - {"name", "column", "bands", "text_before"}
    bands, before = value.get("bands"), value.get("text_before")
    if extra or (bands is None) == (before is None):
        raise DataValidationError(BAD_GROUP.format(name=name), BAD_GROUP_HINT)
    if bands is not None:
        if (
            not isinstance(bands, list)
            or not bands
            or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bands)
            or sorted(bands) != bands
        ):
            raise _bad("groups", "bands as a rising list of numbers", bands)
        return DerivedGroup(name=name, column=column, bands=tuple(float(b) for b in bands))
    if not isinstance(before, str) or not before:
        raise _bad("groups", "text_before as a non-empty text", before)
    return DerivedGroup(name=name, column=column, text_before=before)


def _group_dict(group: DerivedGroup) -> dict[str, Any]:
    out: dict[str, Any] = {"name": group.name, "column": group.column}
    if group.bands:
        out["bands"] = [int(b) if float(b).is_integer() else b for b in group.bands]
    else:
        out["text_before"] = group.text_before
    return out


def _quoted(names: Sequence[str] | Mapping[str, object]) -> str:
    return ", ".join(repr(str(n)) for n in names)


def _listing(columns: Sequence[object] | pd.Index) -> str:
    shown = [str(c) for c in list(columns)[:15]]
    more = len(columns) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")
