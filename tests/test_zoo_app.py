"""A sample of the zoo through the dashboard's upload page, checked against each model.

Each model and its training frame are put into the upload page's two file
uploaders (AppTest), the target is picked and the model loaded; the Overview
and One decision pages must run without an exception or an error, say how the
model is explained when that is not the uploaded object itself (a search's
best estimator, skipped samplers), and the decision page's waterfall must end
at the model's own prediction for the row, in the units the page states
(probability, decision score, or the prediction itself for a log-link GLM).
With a log-link GLM and a margin model loaded, every other page runs as well.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, shown
from tests.test_zoo import save_data, save_model
from tests.zoo import CASES, built

APP = str(ROOT / "dashboard" / "app.py")
ROW = 3
SAMPLE = {
    "poisson": "log link",
    "linear_svc": "gives no probabilities",
    "grid_search": "best_estimator_",
    "imblearn_smote_logistic": "sampler(s) SMOTE",
    "lgbm_booster_binary": "",
    "xgb_native_categorical_csv": "",
    "catboost_text_categories": "",
    "transformed_target_missing_text": "",
    "svc_linear_proba_3class": "",
}


def _page_text(at: AppTest) -> str:
    elements = [*at.markdown, *at.caption, *at.info, *at.warning, *at.error]
    return " ".join(shown(str(e.value)) for e in elements)


def _waterfall_end(at: AppTest) -> float:
    for chart in at.main.get("plotly_chart"):
        figure = json.loads(chart.proto.spec)
        for trace in figure.get("data", []):
            if trace.get("type") == "waterfall":
                return float(trace["x"][-1])
    raise AssertionError("no waterfall on the page")


# These two also run every other page (a log-link GLM and a model without probabilities
# are where a page is most likely to state the wrong units).
EVERY_PAGE = ("poisson", "linear_svc")


@pytest.mark.parametrize("name", sorted(SAMPLE))
def test_zoo_model_through_the_upload_page(name: str, tmp_path: Path) -> None:
    case, b = CASES[name], built(name)
    model_path, data_path = save_model(case, b.model, tmp_path), save_data(case, b.frame, tmp_path)
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page("screens/upload.py").run()
    at.file_uploader(key="upload_model").set_value(
        (model_path.name, model_path.read_bytes(), "application/octet-stream")
    )
    at.file_uploader(key="upload_data").set_value(
        (data_path.name, data_path.read_bytes(), "text/csv")
    )
    at.run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    next(s for s in at.selectbox if s.label.startswith("Target column")).set_value(b.target)
    next(button for button in at.button if button.label == "Load model and data").click().run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    assert at.title[0].value == "Overview"
    assert SAMPLE[name] in _page_text(at)

    at.switch_page("screens/breakdown.py").run()
    at.text_input(key="row_search").set_value(str(ROW)).run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    assert "Traceback" not in _page_text(at)
    assert case.prediction is not None
    expected = case.prediction(b.model, b.frame)[ROW]
    np.testing.assert_allclose(_waterfall_end(at), expected, rtol=1e-5, atol=1e-6)
    if name in EVERY_PAGE:
        _every_page_runs(at, name)


def _every_page_runs(at: AppTest, name: str) -> None:
    """Every page but the upload page, on the model ``at`` has loaded: no exception, no error."""
    pages = sorted(p.name for p in (ROOT / "dashboard" / "screens").glob("*.py"))
    for page in pages:
        if page in ("__init__.py", "upload.py"):
            continue
        at.switch_page(f"screens/{page}").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])
    if name == "linear_svc":
        at.switch_page("screens/performance.py").run()
        assert "decision scores, not probabilities" in _page_text(at)
