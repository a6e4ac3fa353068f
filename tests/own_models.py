"""Models of the test's own, made the way users make them, saved as upload files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import skops.io as sio
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from tests.datasets import income_like, titanic_like

TITANIC_FEATURES = ["Pclass", "Sex", "Age", "SibSp", "Fare", "Embarked"]


def _encoder(
    categorical: list[str], numeric: list[str], *, scale: bool = False
) -> ColumnTransformer:
    return ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
            ("num", StandardScaler() if scale else "passthrough", numeric),
        ],
        verbose_feature_names_out=False,
    )


def titanic_model(*, challenger: bool = False) -> tuple[Pipeline, pd.DataFrame]:
    """A Titanic-like pipeline (gradient boosting; the challenger a random forest) and its data."""
    frame = titanic_like()
    X = frame[TITANIC_FEATURES]
    estimator = (
        RandomForestClassifier(n_estimators=60, max_depth=5, random_state=0)
        if challenger
        else GradientBoostingClassifier(n_estimators=60, max_depth=2, random_state=0)
    )
    model = make_pipeline(
        _encoder(["Sex", "Embarked"], ["Pclass", "Age", "SibSp", "Fare"]), estimator
    ).fit(X, frame["Survived"])
    return model, frame


def income_model() -> tuple[Pipeline, pd.DataFrame]:
    """An adult-income-like logistic regression pipeline and its data (with an ID column)."""
    frame = income_like()
    X = frame.drop(columns=["income"])
    categorical = ["marital_status", "sex", "race", "native_country"]
    numeric = ["age", "education_num", "hours_per_week", "capital_gain"]
    model = make_pipeline(
        _encoder(categorical, numeric, scale=True), LogisticRegression(max_iter=2_000)
    ).fit(X, frame["income"])
    frame.insert(0, "person_id", [f"P{i:04d}" for i in range(len(frame))])
    return model, frame


def save(model: object, frame: pd.DataFrame, folder: Path, stem: str) -> tuple[Path, Path]:
    """Write the model as skops and the data as CSV; returns both paths."""
    model_path, data_path = folder / f"{stem}.skops", folder / f"{stem}.csv"
    sio.dump(model, model_path)
    frame.to_csv(data_path, index=False)
    return model_path, data_path
