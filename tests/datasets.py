"""Small datasets the tests make themselves, so no package exists only to ship one."""

from __future__ import annotations

import numpy as np
import pandas as pd

_SPECIES = ("Adelie", "Chinstrap", "Gentoo")
# Per species: mean bill length, bill depth, flipper length (mm), body mass (g).
_MEANS = {
    "Adelie": (38.8, 18.3, 190.0, 3700.0),
    "Chinstrap": (48.8, 18.4, 196.0, 3730.0),
    "Gentoo": (47.5, 15.0, 217.0, 5080.0),
}
_ISLANDS = {
    "Adelie": ("Biscoe", "Dream", "Torgersen"),
    "Chinstrap": ("Dream",),
    "Gentoo": ("Biscoe",),
}


def penguin_like(n_rows: int = 330, *, random_state: int = 0) -> pd.DataFrame:
    """A penguin-shaped table: three species, two text columns, missing values.

    Shaped like the Palmer penguins data that tutorials use (numeric
    measurements, ``island`` and ``sex`` as text, some cells missing), made
    here with a fixed seed.

    Returns
    -------
    pandas.DataFrame of shape (n_rows, 7)
        ``species`` (the target), ``island``, ``bill_length_mm``,
        ``bill_depth_mm``, ``flipper_length_mm``, ``body_mass_g``, ``sex``.
    """
    rng = np.random.default_rng(random_state)
    species = rng.choice(_SPECIES, size=n_rows, p=[0.44, 0.2, 0.36])
    means = np.array([_MEANS[s] for s in species])
    spread = np.array([2.5, 1.1, 6.5, 420.0])
    numbers = means + rng.normal(size=means.shape) * spread
    frame = pd.DataFrame(
        {
            "species": species,
            "island": [rng.choice(_ISLANDS[s]) for s in species],
            "bill_length_mm": numbers[:, 0].round(1),
            "bill_depth_mm": numbers[:, 1].round(1),
            "flipper_length_mm": numbers[:, 2].round(0),
            "body_mass_g": numbers[:, 3].round(-1),
            "sex": rng.choice(["male", "female"], size=n_rows),
        }
    )
    frame.loc[rng.random(n_rows) < 0.03, "sex"] = np.nan
    frame.loc[rng.random(n_rows) < 0.01, ["bill_length_mm", "body_mass_g"]] = np.nan
    return frame
