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


def titanic_like(n_rows: int = 400, *, random_state: int = 0) -> pd.DataFrame:
    """A Titanic-shaped table: ``Survived`` (0/1) from class, sex, age and fare.

    Returns
    -------
    pandas.DataFrame of shape (n_rows, 8)
        ``PassengerId`` (unique), ``Pclass``, ``Sex``, ``Age``, ``SibSp``,
        ``Fare``, ``Embarked`` and the target ``Survived``.
    """
    rng = np.random.default_rng(random_state)
    pclass = rng.choice([1, 2, 3], size=n_rows, p=[0.25, 0.2, 0.55])
    sex = rng.choice(["male", "female"], size=n_rows, p=[0.65, 0.35])
    age = np.clip(rng.normal(30, 13, n_rows), 1, 80).round(0)
    fare = np.round(rng.gamma(2.0, 12.0, n_rows) * (4 - pclass), 2)
    sibsp = rng.choice([0, 1, 2, 3], size=n_rows, p=[0.65, 0.25, 0.07, 0.03])
    logit = 1.2 * (sex == "female") - 0.9 * (pclass - 2) - 0.02 * (age - 30) + 0.01 * fare - 0.6
    survived = (rng.random(n_rows) < 1 / (1 + np.exp(-2 * logit))).astype(int)
    return pd.DataFrame(
        {
            "PassengerId": np.arange(1, n_rows + 1),
            "Pclass": pclass,
            "Sex": sex,
            "Age": age,
            "SibSp": sibsp,
            "Fare": fare,
            "Embarked": rng.choice(["S", "C", "Q"], size=n_rows, p=[0.7, 0.2, 0.1]),
            "Survived": survived,
        }
    )


def income_like(n_rows: int = 500, *, random_state: int = 0) -> pd.DataFrame:
    """An adult-income-shaped table: ``income`` (``<=50K`` / ``>50K``).

    Returns
    -------
    pandas.DataFrame of shape (n_rows, 9)
        ``age``, ``education_num``, ``hours_per_week``, ``capital_gain``,
        ``marital_status``, ``sex``, ``race``, ``native_country`` and the
        target ``income``.
    """
    rng = np.random.default_rng(random_state)
    age = rng.integers(18, 75, n_rows)
    education = rng.integers(4, 17, n_rows)
    hours = np.clip(rng.normal(40, 11, n_rows), 5, 90).round(0).astype(int)
    gain = np.where(rng.random(n_rows) < 0.1, rng.integers(1_000, 20_000, n_rows), 0)
    married = rng.choice(["Married", "Never-married", "Divorced"], size=n_rows, p=[0.5, 0.35, 0.15])
    logit = (
        0.35 * (education - 10) + 0.05 * (hours - 40) + 0.03 * (age - 40)
        + 1.0 * (married == "Married") + gain / 5_000 - 1.0
    )  # fmt: skip
    rich = rng.random(n_rows) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame(
        {
            "age": age,
            "education_num": education,
            "hours_per_week": hours,
            "capital_gain": gain,
            "marital_status": married,
            "sex": rng.choice(["Male", "Female"], size=n_rows),
            "race": rng.choice(["White", "Black", "Asian-Pac-Islander", "Other"], size=n_rows),
            "native_country": rng.choice(["United-States", "Mexico", "India"], size=n_rows),
            "income": np.where(rich, ">50K", "<=50K"),
        }
    )
