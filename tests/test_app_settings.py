"""AppTest runs on uploaded models of our own, with guessed and with loaded decision settings."""

from __future__ import annotations

import json
import re

import numpy as np
from streamlit.testing.v1 import AppTest

from dashboard import state
from dashboard.actions import uploaded
from explainers.decision_settings import guess_settings, settings_from_json
from tests.conftest import ROOT
from tests.own_models import TITANIC_FEATURES, income_model, titanic_model

APP = str(ROOT / "dashboard" / "app.py")


def _workspace(model: object, frame, target: str, settings) -> state.Workspace:  # type: ignore[no-untyped-def]
    import io

    import skops.io as sio

    raw = sio.dumps(model)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return state.Workspace(
        model=uploaded("model.skops", raw),
        data=uploaded("data.csv", buffer.getvalue().encode()),
        target=target,
        output_label=settings.favourable,
        settings=settings,
    )


def _run(ws: state.Workspace, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state[state.WORKSPACE] = ws
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def test_uploaded_titanic_without_settings_reads_with_the_guesses() -> None:
    model, frame = titanic_model()
    settings = guess_settings(frame, output_labels=("0", "1"), default_output=1, target="Survived")
    ws = _workspace(model, frame, "Survived", settings)
    at = _run(ws, "screens/breakdown.py")
    text = " ".join(m.value for m in at.markdown)
    assert "“survived” score" in text and "score for" not in text
    score = model.predict_proba(frame[TITANIC_FEATURES].iloc[[0]])[0, 1]
    assert ("“not survived”" in text) == (score < 0.5)
    options = [m.value for m in at.markdown if re.match(r"\d\. .*would be", m.value)]
    assert options or score >= 0.5
    assert not [o for o in options if re.search(r"\b(age|sex)\b", o, re.IGNORECASE)]


def test_uploaded_income_model_with_a_settings_file_on_fairness_and_presenter() -> None:
    model, frame = income_model()
    settings = settings_from_json(
        json.dumps(
            {
                "favourable": ">50K", "favourable_text": "high earner",
                "unfavourable_text": "low earner", "score_name": "high-income score",
                "fixed": ["age", "sex", "race"], "sensitive": ["sex", "race"],
                "id_column": "person_id",
            }
        )
    )  # fmt: skip
    ws = _workspace(model, frame, "income", settings)
    at = _run(ws, "screens/fairness.py")
    assert at.multiselect(key="fairness_features").value == ["sex", "race"]
    presenter = AppTest.from_file(APP, default_timeout=180)
    presenter.session_state[state.WORKSPACE] = ws
    presenter.session_state[state.PRESENTER] = True
    low = int(np.argmin(model.predict_proba(frame.drop(columns=["income", "person_id"]))[:, 1]))
    presenter.session_state[state.SELECTED_ROW] = low
    presenter.switch_page("screens/breakdown.py").run()
    assert not presenter.exception
    text = " ".join(m.value for m in presenter.markdown)
    assert "high-income score" in text and "“low earner”" in text


def test_a_score_name_from_a_settings_file_is_shown_as_text() -> None:
    """The points caption is filled with the settings' score_name: escaped, no image, no link."""
    import dataclasses

    from dashboard.text import WORD_JOINER

    model, frame = titanic_model()
    guessed = guess_settings(frame, output_labels=("0", "1"), default_output=1, target="Survived")
    hostile = "![s](http://127.0.0.1:9/score.png) http://127.0.0.1:9/link"
    settings = dataclasses.replace(guessed, score_name=hostile)
    at = _run(_workspace(model, frame, "Survived", settings), "screens/breakdown.py")
    (caption,) = [c.value for c in at.caption if c.value.startswith("Points are points")]
    assert "![" not in caption and "://" not in caption
    assert hostile in re.sub(r"\\(.)", r"\1", caption).replace(WORD_JOINER, "")
