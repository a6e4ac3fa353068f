"""``predicted_label`` is what the model's own ``predict`` says, threshold included."""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import FixedThresholdClassifier

from dashboard.cli import main


@pytest.mark.parametrize("threshold, pos_label", [(0.2, None), (0.7, "bad")])
def test_labels_are_the_models_own_thresholded_predictions(
    threshold, pos_label, tmp_path: Path
) -> None:
    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal(size=(300, 4)), columns=["a", "b", "c", "d"])
    y = np.where(X["a"] - X["b"] + rng.normal(0, 1, 300) > 0, "good", "bad")
    model = FixedThresholdClassifier(
        LogisticRegression(), threshold=threshold, pos_label=pos_label
    ).fit(X, y)
    joblib.dump(model, tmp_path / "m.joblib")
    X.assign(y=y).to_csv(tmp_path / "d.csv", index=False)
    out = tmp_path / "o.csv"
    args = ["explain", str(tmp_path / "m.joblib"), str(tmp_path / "d.csv"), "--target", "y"]
    assert main([*args, "--out", str(out), "--jobs", "1"]) == 0
    table = pd.read_csv(out)
    own = model.predict(X)
    most_probable = model.classes_[model.predict_proba(X).argmax(axis=1)]
    assert (own != most_probable).sum() > 10  # the threshold matters on this data
    assert list(table["predicted_label"]) == list(own)


@pytest.mark.parametrize("favourable_index, expected", [(1, 0.2), (0, 0.8)])
def test_guessed_settings_decide_at_the_models_own_threshold(favourable_index, expected) -> None:
    from explainers.decision_settings import guess_settings

    frame = pd.DataFrame({"a": [1.0, 2.0], "y": ["no", "yes"]})
    labels = ("no", "yes") if favourable_index == 1 else ("yes", "no")
    settings = guess_settings(
        frame, output_labels=labels, default_output=1, target="y", model_threshold=(1, 0.2)
    )
    assert settings.favourable == "yes"
    assert settings.threshold == pytest.approx(expected)
