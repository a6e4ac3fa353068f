"""The bundled demos: a loan classifier and a small regression model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class Demo:
    """Files and defaults of one bundled demo."""

    key: str
    title: str
    model_file: str
    data_file: str
    target: str
    favourable_label: str | None
    description: str
    train_file: str | None = None
    test_file: str | None = None
    current_file: str | None = None
    display_names_file: str | None = None

    def path(self, name: str) -> Path:
        """Absolute path of one of this demo's files."""
        return HERE / name


DEMOS: dict[str, Demo] = {
    "loan": Demo(
        key="loan",
        title="Loan decisions (German credit)",
        model_file="loan_model.joblib",
        data_file="german_credit.csv",
        target="creditability",
        favourable_label="good",
        description="Predicts whether an applicant will repay (good) or default (bad).",
        train_file="loan_train.csv",
        test_file="loan_test.csv",
        current_file="loan_current.csv",
        display_names_file="loan_display_names.json",
    ),
    "diabetes": Demo(
        key="diabetes",
        title="Disease progression (diabetes regression)",
        model_file="diabetes_model.joblib",
        data_file="diabetes.csv",
        target="target",
        favourable_label=None,
        description="Predicts a measure of diabetes progression one year ahead.",
    ),
}
