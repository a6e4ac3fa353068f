"""Map the columns a Pipeline's preprocessing produces back to the uploaded columns.

The mapping is found by probing, not by reading transformer internals: each
original column is shuffled in turn and the transformed columns that change
belong to it. This works for ColumnTransformer, OneHotEncoder, imputers with
missing indicators, scalers, and user transformers alike. Transformed
columns that never change on this data (for example the one-hot column of a
category absent from it) are matched by name.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from explainers.errors import UnsupportedModelError

_PROBE_ROWS = 2_000
_PROBE_CELLS = 4_000_000  # transformed cells per probing call (32 MB as float64)
MIXED_COLUMNS = (
    "The model's preprocessing mixes several uploaded columns into one ({name}), "
    "so its effect cannot be split between them."
)


def to_dense(Z: Any) -> npt.NDArray[np.float64]:
    """Transformed output as a dense float array (sparse and frames included)."""
    if hasattr(Z, "toarray"):
        Z = Z.toarray()
    return np.asarray(Z, dtype=np.float64)


def transformed_names(preprocessor: Any, n_outputs: int) -> list[str]:
    """The preprocessor's output names, or positional names if it has none."""
    try:
        return [str(n) for n in preprocessor.get_feature_names_out()]
    except Exception:  # not every transformer implements it
        return [f"t{k}" for k in range(n_outputs)]


def group_matrix(
    preprocessor: Any, X: pd.DataFrame, *, random_state: int = 0
) -> npt.NDArray[np.float64]:
    """0/1 matrix of shape (n_transformed, n_original): which column each output came from.

    Multiplying transformed-space attributions by it sums them per original column.

    Raises
    ------
    UnsupportedModelError
        If an output depends on more than one original column.
    """
    sample = X.iloc[:_PROBE_ROWS]
    base = to_dense(preprocessor.transform(sample))
    n_rows, n_out = base.shape
    owners = np.zeros((n_out, X.shape[1]), dtype=bool)
    rng = np.random.default_rng(random_state)
    # One transform call per batch of probes: a call's fixed cost (pandas checks in
    # every encoder) was most of the time when each column had its own call.
    per_call = max(1, _PROBE_CELLS // max(1, n_rows * n_out))
    for start in range(0, X.shape[1], per_call):
        columns = list(X.columns[start : start + per_call])
        probes = pd.concat([_shuffled(sample, c, rng) for c in columns], ignore_index=True)
        probed = to_dense(preprocessor.transform(probes)).reshape(len(columns), n_rows, n_out)
        changed = ~np.isclose(probed, base, equal_nan=True)
        owners[:, start : start + len(columns)] = changed.any(axis=1).T
    names = transformed_names(preprocessor, n_out)
    matrix = np.zeros((n_out, X.shape[1]))
    for k, owner in enumerate(owners):
        if owner.sum() > 1:
            raise UnsupportedModelError(MIXED_COLUMNS.format(name=names[k]))
        j = (
            int(np.flatnonzero(owner)[0])
            if owner.any()
            else _match_by_name(names[k], list(X.columns))
        )
        matrix[k, j] = 1.0
    return matrix


def _shuffled(sample: pd.DataFrame, column: Any, rng: np.random.Generator) -> pd.DataFrame:
    """``sample`` with one column's values moved so that every row gets another's."""
    probe = sample.copy()
    values = sample[column].to_numpy()
    probe[column] = values[_derangement(rng, len(values))]
    return probe


def _derangement(rng: np.random.Generator, n: int) -> npt.NDArray[np.int_]:
    """A permutation that moves every position (a cyclic shift of a shuffle)."""
    if n < 2:
        return np.arange(n)
    order = rng.permutation(n)
    shifted = np.empty(n, dtype=int)
    shifted[order] = np.roll(order, 1)
    return shifted


def _match_by_name(output_name: str, columns: list[str]) -> int:
    """The longest original column name contained in a transformed column's name."""
    stem = output_name.split("__", 1)[-1]
    hits = [(len(c), j) for j, c in enumerate(columns) if stem.startswith(str(c))]
    hits = hits or [(len(c), j) for j, c in enumerate(columns) if str(c) in output_name]
    if not hits:
        raise UnsupportedModelError(MIXED_COLUMNS.format(name=output_name))
    return max(hits)[1]
