"""Real payloads uploaded through the browser stay in their sandbox (operator opt-in).

The server runs with the operator's --trust-unknown-pickles, so the files
below do run their code when loaded: in the model's sandbox, never in the
server. One session uploads them while another uses the loan demo.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from dashboard.text import WORD_JOINER
from explainers import sandbox
from explainers.model_bundle import PREDICT_FAILED
from tests import sandbox_payloads
from tests.browser_support import (
    ARTIFACTS,
    CHROMIUM,
    ERROR_ALERT,
    RUN_TIMEOUT_S,
    VIEWPORT,
    Server,
    assert_clean,
    go_to,
    launch_chromium,
    open_app,
    options_of,
    screenshot,
    sidebar,
    streamlit_server,
    upload,
    wait_for_charts,
)
from tests.test_sandbox import Listener

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
    pytest.mark.skipif(sandbox.mode() != "bwrap", reason="bubblewrap cannot start a sandbox"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def trusting_server() -> Iterator[Server]:
    with streamlit_server(demo=False, log=ARTIFACTS / "server-sandbox.log", trust=True) as server:
        yield server


def _open_demo(page: Page, server: Server) -> None:
    open_app(page, server)
    page.locator(".st-key-demo_loan").get_by_role("button", name="Open this demo").click()
    expect(page.locator("h1").first).to_have_text("Overview", timeout=RUN_TIMEOUT_S * 1000)
    wait_for_charts(page, 1, "Overview of the demo")


def _upload(page: Page, server: Server, model: Path, data: Path) -> None:
    open_app(page, server)
    upload(page, "Model file", model)
    upload(page, "Dataset", data)


def test_a_segfaulting_upload_leaves_the_server_and_other_sessions_working(
    browser: Browser, trusting_server: Server, tmp_path: Path
) -> None:
    data = tmp_path / "data.csv"
    pd.DataFrame({"x0": [0.0, 1.0, 2.0]}).to_csv(data, index=False)
    contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(3)]
    try:
        a, b, c = (context.new_page() for context in contexts)
        _open_demo(a, trusting_server)
        _upload(b, trusting_server, sandbox_payloads.segfault(tmp_path), data)
        error = b.get_by_test_id("stAlertContentError")
        expect(error).to_contain_text(sandbox.CRASHED_LOADING, timeout=RUN_TIMEOUT_S * 1000)
        screenshot(b, "sandbox-segfault-upload")
        go_to(a, "One decision")  # the session that was already working goes on
        wait_for_charts(a, 2, "One decision after another session's crash")
        assert_clean(a, "the demo session after the crash")
        _open_demo(c, trusting_server)  # and a new session starts as usual
        expect(sidebar(c)).to_contain_text("Loan decisions")
    finally:
        for context in contexts:
            context.close()


def test_a_payload_uploaded_in_the_browser_stays_contained(
    browser: Browser, trusting_server: Server, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the-server-secret-42")
    outside, listener = tmp_path / "escaped.txt", Listener()
    try:
        model = sandbox_payloads.probe(
            tmp_path, secret=secret, port=listener.port, outside=outside, home=Path.home()
        )
        data = tmp_path / "data.csv"
        pd.DataFrame({"x0": [0.0, 1.0, 2.0]}).to_csv(data, index=False)
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        _upload(page, trusting_server, model, data)
        found = sandbox_payloads.outcomes(tuple(options_of(page, "Class to explain")))
        screenshot(page, "sandbox-probe-upload")
        context.close()
    finally:
        listener.close()
    for attempt in ("secret", "socket", "write", "program"):
        assert found[attempt].startswith("blocked:"), found
    assert found["tmp"] == "written", found
    assert listener.connections == 0 and not outside.exists()
    assert "the-server-secret-42" not in trusting_server.log.read_text(encoding="utf-8")


def test_text_a_sandbox_sends_back_is_shown_as_text_and_fetches_nothing(
    browser: Browser, trusting_server: Server, tmp_path: Path, recorder: tuple[str, list[str]]
) -> None:
    url, requests = recorder
    column = f"![f]({url}/feature.png)"
    labels = (f"![l]({url}/label.png)", f'<img src="{url}/html.png">', f"[link]({url}/link)")
    data = tmp_path / "data.csv"
    pd.DataFrame({column: np.arange(30, dtype=float)}).to_csv(data, index=False)
    page = browser.new_context(viewport=VIEWPORT).new_page()
    _upload(page, trusting_server, sandbox_payloads.hostile_labels(tmp_path, column=column,
            labels=labels), data)  # fmt: skip
    assert set(options_of(page, "Class to explain")) == set(labels)  # the labels, as text
    page.get_by_role("button", name="Load model and data").click()
    expect(page.locator("h1").first).to_have_text("Overview", timeout=RUN_TIMEOUT_S * 1000)
    shown = []
    for link in ("Overview", "What matters overall", "One decision", "What if…"):
        go_to(page, link)
        assert_clean(page, link)
        assert requests == [], link
        shown.append(
            page.locator('[data-testid="stAppViewContainer"]').inner_text().replace(WORD_JOINER, "")
        )
    assert labels[0] in shown[0] and column in shown[1]  # sidebar and chart text, literally
    screenshot(page, "sandbox-hostile-labels")

    secret = "at 0xdeadbeef in /srv/whybox/secret.key"
    raising = sandbox_payloads.raising_text(
        tmp_path, text=f"![e]({url}/error.png) {secret}", column=column
    )
    message, hint = f"![m]({url}/message.png) **loud**", f'<img src="{url}/hint.png">'
    refusing = sandbox_payloads.refusing_text(tmp_path, message=message, hint=hint)
    for model, expected in ((raising, [PREDICT_FAILED]), (refusing, [message, hint])):
        _upload(page, trusting_server, model, data)
        if model == raising:  # it loads; its first predictions fail
            page.get_by_role("button", name="Load model and data").click()
        alert = page.locator(ERROR_ALERT)
        expect(alert.first).to_be_visible(timeout=RUN_TIMEOUT_S * 1000)
        text = alert.first.inner_text().replace("\n", " ").replace(WORD_JOINER, "")
        assert all(part in text for part in expected), text
        assert secret not in page.content() and requests == []
    screenshot(page, "sandbox-hostile-error-text")
    page.set_content(f'<img src="{url}/control.png">')  # control: a real image is fetched
    page.wait_for_timeout(500)
    assert requests == ["/control.png"]
    page.context.close()


def _sandboxes_of(server: Server) -> set[int]:
    """Process ids of the sandboxes the server started (through bubblewrap)."""
    parents: dict[int, int] = {}
    workers = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:  # it ended while we looked
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        if b"explainers.sandbox_worker" in command:
            workers.add(int(entry.name))

    def descends(pid: int) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == server.pid:
                return True
        return False

    # a sandbox forks its own workers for long jobs: count each sandbox once
    return {pid for pid in workers if descends(pid) and parents.get(pid) not in workers}


def test_a_closed_session_stops_its_models_sandbox(browser: Browser, tmp_path: Path) -> None:
    from dashboard.session_reaper import GRACE_ENV
    from explainers.sandbox import IDLE_STOP_S
    from tests.browser_support import upload_model
    from tests.conftest import SAMPLES

    log = ARTIFACTS / "server-sessions.log"
    # a grace of a few seconds: on a loaded machine an idle tab's connection can drop and
    # come back, which a 2 s grace counted as a closed session (a flaky fresh-clone run)
    with streamlit_server(demo=False, log=log, env={GRACE_ENV: "8"}) as server:
        data = tmp_path / "applicants.csv"
        pd.read_csv(SAMPLES / "german_credit.csv").head(200).to_csv(data, index=False)
        contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(2)]
        a, b = (context.new_page() for context in contexts)
        open_app(a, server)
        upload_model(a, SAMPLES / "loan_model.joblib", data, target="creditability")
        open_app(b, server)
        upload_model(b, SAMPLES / "loan_model.joblib", data, target="creditability")
        deadline = time.monotonic() + 60
        while len(_sandboxes_of(server)) < 3 and time.monotonic() < deadline:
            time.sleep(0.5)  # the spare that replaces the one b's model took is starting
        with_both = _sandboxes_of(server)  # one per session, and the spare
        assert len(with_both) == 3, with_both
        contexts[0].close()  # session a ends
        deadline = time.monotonic() + 60
        while len(_sandboxes_of(server)) >= len(with_both) and time.monotonic() < deadline:
            time.sleep(0.5)
        left = _sandboxes_of(server)
        assert len(left) == len(with_both) - 1, (with_both, left)  # long before IDLE_STOP_S
        assert time.monotonic() - server.started_at < IDLE_STOP_S
        go_to(b, "One decision")  # the session still open keeps its model
        wait_for_charts(b, 2, "One decision after another session ended")
        assert_clean(b, "the open session after another ended")
        contexts[1].close()
