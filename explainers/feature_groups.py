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
    n_out = base.shape[1]
    owners: list[set[int]] = [set() for _ in range(n_out)]
    rng = np.random.default_rng(random_state)
    for j, column in enumerate(X.columns):
        probe = sample.copy()
        values = sample[column].to_numpy()
        probe[column] = values[_derangement(rng, len(values))]
        changed = ~np.isclose(to_dense(preprocessor.transform(probe)), base, equal_nan=True)
        for changed_output in np.flatnonzero(changed.any(axis=0)):
            owners[int(changed_output)].add(j)
    names = transformed_names(preprocessor, n_out)
    matrix = np.zeros((n_out, X.shape[1]))
    for k, owner in enumerate(owners):
        if len(owner) > 1:
            raise UnsupportedModelError(MIXED_COLUMNS.format(name=names[k]))
        j = owner.pop() if owner else _match_by_name(names[k], list(X.columns))
        matrix[k, j] = 1.0
    return matrix


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
