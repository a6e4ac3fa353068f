"""The bundled demos: a loan classifier and a small regression model."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: `whybox --help` stays instant
    from explainers.decision_settings import DecisionSettings

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class Demo:
    """Files and defaults of one bundled demo."""

    key: str
    title: str
    model_file: str
    data_file: str
    target: str
    description: str
    settings_file: str
    train_file: str | None = None
    test_file: str | None = None
    current_file: str | None = None
    challenger_file: str | None = None

    def path(self, name: str) -> Path:
        """Absolute path of one of this demo's files."""
        return HERE / name

    def settings(self) -> DecisionSettings:
        """The demo's decision settings (its JSON file)."""
        from explainers.decision_settings import load_settings

        return load_settings(self.path(self.settings_file))

    def model_card(self) -> dict[str, object] | None:
        """This demo's entry of ``model_card.json`` (name, training data, source…)."""
        card = json.loads(self.path("model_card.json").read_text(encoding="utf-8"))
        entry = card.get("models", {}).get(self.key)
        return dict(entry) if isinstance(entry, dict) else None


START_DEMO = "loan"
"""The demo ``whybox demo`` opens."""
DEMOS: dict[str, Demo] = {
    "loan": Demo(
        key="loan",
        title="Loan decisions (German credit)",
        model_file="loan_model.joblib",
        data_file="german_credit.csv",
        target="creditability",
        description="Predicts whether an applicant will repay (good) or default (bad).",
        settings_file="loan_model.settings.json",
        train_file="loan_train.csv",
        test_file="loan_test.csv",
        current_file="loan_current.csv",
        challenger_file="loan_challenger.skops",
    ),
    "diabetes": Demo(
        key="diabetes",
        title="Disease progression (diabetes regression)",
        model_file="diabetes_model.joblib",
        data_file="diabetes.csv",
        target="target",
        description="Predicts a measure of diabetes progression one year ahead.",
        settings_file="diabetes_model.settings.json",
        challenger_file="diabetes_challenger.skops",
    ),
}
