"""`whybox recourse` and settings-driven reports on uploaded models of our own.

Every option is checked against the model's own predict_proba, never only
against whybox's numbers: the option's changes are applied to the original
row and the model asked again.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard.cli import main
from explainers.batch_recourse import COLUMNS, recourse_table
from explainers.decision_settings import DecisionSettings, settings_from_json
from explainers.loading import load_files
from tests.conftest import error_lines
from tests.own_models import TITANIC_FEATURES, income_model, save, titanic_model

TITANIC_SETTINGS = {
    "favourable": "1",
    "favourable_text": "survives",
    "unfavourable_text": "does not survive",
    "score_name": "survival score",
    "fixed": ["Sex", "Age", "Pclass"],
    "increase_only": ["Fare"],
    "decrease_only": ["SibSp"],
    "display_names": {"Fare": "Ticket fare", "SibSp": "Siblings aboard"},
    "id_column": "PassengerId",
}
INCOME_SETTINGS = {
    "favourable": ">50K",
    "favourable_text": "high earner",
    "unfavourable_text": "low earner",
    "score_name": "high-income score",
    "fixed": ["age", "sex", "race", "native_country", "marital_status"],
    "decrease_only": ["hours_per_week"],
    "id_column": "person_id",
}


@pytest.fixture(scope="module")
def titanic(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, pd.DataFrame, Path, Path]:
    folder = tmp_path_factory.mktemp("titanic")
    model, frame = titanic_model()
    model_path, data_path = save(model, frame, folder, "titanic")
    return model, frame, model_path, data_path


def _write(folder: Path, settings: dict[str, object]) -> Path:
    path = folder / "my.settings.json"
    path.write_text(json.dumps(settings), encoding="utf-8")
    return path


def _check_against_the_model(
    table: pd.DataFrame,
    model: object,
    X: pd.DataFrame,
    ids: pd.Series,
    settings: DecisionSettings,
) -> int:
    """Each option, applied to its row, re-predicted by the model itself; returns the count."""
    k = list(model.classes_).index(  # type: ignore[attr-defined]
        type(model.classes_[0])(settings.favourable)  # type: ignore[attr-defined]
    )
    options = table.dropna(subset=["option"])
    position = {str(v): i for i, v in enumerate(ids)}
    n = 0
    for (row_id, _), changes in options.groupby(["row_id", "option"]):
        row = X.iloc[[position[str(row_id)]]].copy()
        for _, change in changes.iterrows():
            feature = change["feature"]
            assert feature not in settings.fixed
            old = row[feature].iloc[0]
            assert str(old) == str(change["from"]) or float(old) == float(change["from"])
            new = pd.Series([change["to"]]).astype(X[feature].dtype).iloc[0]
            if feature in settings.increase_only:
                assert float(new) > float(old)
            if feature in settings.decrease_only:
                assert float(new) < float(old)
            row[feature] = new
        score = model.predict_proba(row)[0, k]  # type: ignore[attr-defined]
        assert score >= settings.threshold
        np.testing.assert_allclose(changes["new_prediction"].to_numpy(float), score, rtol=1e-9)
        n += 1
    return n


def test_cli_recourse_for_refused_passengers_follows_the_settings(
    titanic: tuple[object, pd.DataFrame, Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    model, frame, model_path, data_path = titanic
    settings_path = _write(tmp_path, TITANIC_SETTINGS)
    out = tmp_path / "options.csv"
    argv = ["recourse", str(model_path), str(data_path), "--target", "Survived"]
    assert main([*argv, "--settings", str(settings_path), "--out", str(out)]) == 0
    assert "was predicted again and reaches “survives”" in capsys.readouterr().out
    table = pd.read_csv(out)
    assert list(table.columns) == list(COLUMNS)
    X = frame[TITANIC_FEATURES]
    refused = frame["PassengerId"][model.predict_proba(X)[:, 1] < 0.5]  # type: ignore[attr-defined]
    assert set(table["row_id"]) == set(refused)  # default --rows refused, by the ID column
    settings = settings_from_json(settings_path.read_text())
    n_options = _check_against_the_model(table, model, X, frame["PassengerId"], settings)
    assert n_options >= 50  # with sex, age and class fixed, many men in third class get none
    without = table[table["option"].isna()]
    assert without["note"].str.startswith("No combination of up to 3 changes").all()
    assert len(without) + table["row_id"][table["option"].notna()].nunique() == len(refused)
    assert set(table["new_label"].dropna()) == {"survives"}
    assert table["note"].dropna().str.contains("survival score").any()
    assert not table["feature"].isin(["Sex", "Age", "Pclass"]).any()


def test_recourse_table_for_chosen_income_rows(tmp_path: Path) -> None:
    model, frame = income_model()
    model_path, data_path = save(model, frame, tmp_path, "income")
    prepared = load_files(model_path, data_path, target="income")
    settings = settings_from_json(json.dumps(INCOME_SETTINGS))
    X = prepared.X
    refused = np.flatnonzero(model.predict_proba(X)[:, 1] < 0.5)
    chosen = list(X.index[refused[:6]])
    result = recourse_table(
        prepared.bundle, X, settings=settings, rows=chosen, row_names=frame["person_id"]
    )
    assert result.n_rows == 6 and result.n_with_options >= 5
    assert set(result.table["row_id"]) == set(frame["person_id"].iloc[chosen])
    checked = _check_against_the_model(result.table, model, X, frame["person_id"], settings)
    assert checked == result.n_options > 0


def test_cli_recourse_rows_by_id_and_bad_rows(
    titanic: tuple[object, pd.DataFrame, Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, frame, model_path, data_path = titanic
    settings_path = _write(tmp_path, TITANIC_SETTINGS)
    out = tmp_path / "some.csv"
    argv = ["recourse", str(model_path), str(data_path), "--settings", str(settings_path)]
    assert main([*argv, "--rows", "3,7", "--out", str(out)]) == 0
    assert set(pd.read_csv(out)["row_id"]) == {3, 7}
    capsys.readouterr()
    assert main([*argv, "--rows", "99999", "--out", str(out)]) == 2
    err = error_lines(capsys.readouterr().err.strip())
    assert len(err) == 1 and "No row of titanic.csv has PassengerId = '99999'" in err[0]
    assert main([*argv, "--out", str(tmp_path / "x.txt")]) == 2
    bad = _write(tmp_path, {**TITANIC_SETTINGS, "fixed": ["Agee"]})
    assert main([*argv[:3], "--settings", str(bad), "--out", str(out)]) == 2
    assert "key 'fixed' names 'Agee'" in capsys.readouterr().err


def test_report_with_settings_uses_their_wording(
    titanic: tuple[object, pd.DataFrame, Path, Path], tmp_path: Path
) -> None:
    model, frame, model_path, data_path = titanic
    settings_path = _write(tmp_path, TITANIC_SETTINGS)
    X = frame[TITANIC_FEATURES]
    score = model.predict_proba(X)[:, 1]  # type: ignore[attr-defined]
    near = (score < 0.5) & (score > 0.35)  # refused, but close enough for options to exist
    refused = frame["PassengerId"][near].iloc[0]
    out = tmp_path / "report.html"
    argv = ["report", str(model_path), str(data_path), "--target", "Survived"]
    assert main([*argv, "--settings", str(settings_path), "--row", str(refused),
                 "--out", str(out)]) == 0  # fmt: skip
    text = html.unescape(out.read_text(encoding="utf-8"))
    assert "Outcome: does not survive" in text and "survival score" in text
    assert "score for" not in text and "“1”" not in text
    options = re.findall(r"<li>([^<]*would be[^<]*)</li>", text)
    assert options, "a refused passenger gets options"
    for option in options:
        assert not re.search(r"\b(sex|age|pclass)\b", option, re.IGNORECASE), option


def test_report_without_settings_uses_the_guesses(
    titanic: tuple[object, pd.DataFrame, Path, Path], tmp_path: Path
) -> None:
    model, frame, model_path, data_path = titanic
    X = frame[TITANIC_FEATURES]
    refused = int(np.flatnonzero(model.predict_proba(X)[:, 1] < 0.5)[0])  # type: ignore[attr-defined]
    out = tmp_path / "guessed.html"
    argv = ["report", str(model_path), str(data_path), "--target", "Survived"]
    assert main([*argv, "--row", str(frame["PassengerId"].iloc[refused]), "--out", str(out)]) == 0
    text = html.unescape(out.read_text(encoding="utf-8"))
    assert "Outcome: not survived" in text and "“survived” score" in text
    assert "score for" not in text
    options = re.findall(r"<li>([^<]*would be[^<]*)</li>", text)
    for option in options:  # the guesses fix age and sex
        assert not re.search(r"\b(sex|age)\b", option, re.IGNORECASE), option


def test_explain_takes_the_favourable_class_from_the_settings(
    titanic: tuple[object, pd.DataFrame, Path, Path], tmp_path: Path
) -> None:
    model, frame, model_path, data_path = titanic
    settings_path = _write(tmp_path, {**TITANIC_SETTINGS, "favourable": "0"})
    out = tmp_path / "explained.csv"
    argv = ["explain", str(model_path), str(data_path), "--target", "Survived", "--rows", "5"]
    assert main([*argv, "--settings", str(settings_path), "--out", str(out)]) == 0
    table = pd.read_csv(out)
    expected = model.predict_proba(frame[TITANIC_FEATURES].iloc[:5])[:, 0]  # type: ignore[attr-defined]
    np.testing.assert_allclose(table["prediction"], expected, rtol=1e-6)
