"""Helpers of the browser tests: a real Streamlit server, Debian's Chromium, waiting, checking.

The server runs ``python -m streamlit run dashboard/app.py`` on a free port of
127.0.0.1 and is always terminated. Pages are reached by clicking the links of
the sidebar, by their text, never by URL or file path.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, Playwright, expect

from dashboard.operator_env import DEMO_ENV, TRUST_ENV

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 2600}
SERVER_START_S = 60.0
RUN_TIMEOUT_S = 120.0

EXCEPTION = '[data-testid="stException"]'
ERROR_ALERT = '[data-testid="stAlertContentError"]'
CHART = ".js-plotly-plot"
METRIC_VALUE = '[data-testid="stMetricValue"]'
_BUSY = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !app
        || app.dataset.testScriptState !== 'notRunning'
        || app.dataset.testConnectionState !== 'CONNECTED'
        || document.querySelector('[data-testid="stStatusWidget"]') !== null
        || document.querySelector('[data-testid="stSpinner"]') !== null
        || document.querySelector('[data-stale="true"]') !== null;
}"""


@dataclass(frozen=True, slots=True)
class Server:
    """A running dashboard: its address, when it was started, where it logs, its process id."""

    url: str
    started_at: float
    log: Path
    pid: int


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def streamlit_server(
    *, demo: bool, log: Path, trust: bool = False, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """Start ``streamlit run dashboard/app.py`` on 127.0.0.1, wait for health, always stop it.

    ``trust`` is the operator's ``--trust-unknown-pickles`` (payload tests only);
    ``env`` adds other operator settings.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ, DEMO_ENV: "1" if demo else "0", TRUST_ENV: "1" if trust else "0",
        **(env or {}),
    }  # fmt: skip
    command = [
        sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    log.parent.mkdir(parents=True, exist_ok=True)
    started_at = time.monotonic()
    with log.open("w", encoding="utf-8") as sink:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() - started_at > SERVER_START_S:
                raise RuntimeError(
                    f"Streamlit did not answer {url}/_stcore/health within {SERVER_START_S:.0f} s "
                    f"(exit status {process.poll()}); its log:\n{log.read_text(encoding='utf-8')}"
                )
            time.sleep(0.2)
        yield Server(url=url, started_at=started_at, log=log, pid=process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's headless Chromium (Playwright's own browser download cannot work here)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def settle(page: Page, *, timeout_s: float = RUN_TIMEOUT_S) -> None:
    """Wait until the script run is over and the page has stayed idle for about 0.75 s."""
    deadline = time.monotonic() + timeout_s
    quiet = 0
    while quiet < 3:
        if time.monotonic() > deadline:
            raise AssertionError(f"the app was still running after {timeout_s:.0f} s")
        quiet = 0 if page.evaluate(_BUSY) else quiet + 1
        page.wait_for_timeout(250)


def open_app(page: Page, server: Server) -> None:
    """Load the app's front page (the only URL typed; the rest is reached by clicking)."""
    page.goto(server.url)
    expect(page.locator("h1").first).to_be_visible(timeout=RUN_TIMEOUT_S * 1000)
    settle(page)


def sidebar(page: Page) -> Locator:
    """The sidebar: navigation links and the summary of what is loaded."""
    return page.locator('[data-testid="stSidebar"]')


def go_to(page: Page, link: str, *, title: str | None = None) -> None:
    """Click the sidebar link named ``link`` and wait for its page to finish."""
    nav = sidebar(page).locator('[data-testid="stSidebarNav"]')
    nav.get_by_role("link", name=link, exact=True).click()
    heading = page.locator('[data-testid="stMain"] h1')
    expect(heading.first).to_have_text(title or link, timeout=RUN_TIMEOUT_S * 1000)
    settle(page)


def assert_clean(page: Page, where: str) -> None:
    """No exception box and no error message anywhere on the page."""
    exceptions = page.locator(EXCEPTION)
    assert exceptions.count() == 0, (
        f"{where}: {exceptions.first.inner_text()} (traceback in {ARTIFACTS}/server-*.log)"
    )
    errors = page.locator(ERROR_ALERT)
    assert errors.count() == 0, f"{where}: {errors.first.inner_text()}"


def charts(page: Page) -> Locator:
    """Every Plotly chart drawn on the main part of the page."""
    return page.locator(f'[data-testid="stMain"] {CHART}')


def wait_for_charts(page: Page, n_charts: int, where: str) -> None:
    """Wait until at least ``n_charts`` charts are visible; fail at once on an exception."""
    if n_charts:
        enough = charts(page).nth(n_charts - 1).or_(page.locator(EXCEPTION).first)
        expect(enough).to_be_visible(timeout=RUN_TIMEOUT_S * 1000)
    assert_clean(page, where)


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page (tall enough for Streamlit's own scrolling container)."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], height)})
    page.wait_for_timeout(300)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size(VIEWPORT)
    return path


def widget(page: Page, testid: str, label: str) -> Locator:
    """The widget of this kind (``stFileUploader``…) whose label reads ``label``."""
    label_box = page.locator('[data-testid="stWidgetLabel"]', has_text=label)
    return page.locator(f'[data-testid="{testid}"]').filter(has=label_box).first


def combobox(page: Page, label: str) -> Locator:
    """The text field of the select box or multiselect labelled exactly ``label``."""
    return page.get_by_role("combobox", name=label, exact=True)


def choose(page: Page, label: str, option: str) -> None:
    """Open the select box (or multiselect) labelled ``label`` and click ``option``."""
    combobox(page, label).click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    combobox(page, label).blur()
    settle(page)


def options_of(page: Page, label: str) -> list[str]:
    """The first options a select box lists (it is opened and closed again)."""
    combobox(page, label).click()
    listed = page.get_by_role("option")
    expect(listed.first).to_be_visible()
    texts = [text.strip() for text in listed.all_inner_texts()]
    page.keyboard.press("Escape")
    combobox(page, label).blur()
    return texts


def selected(page: Page, label: str) -> str:
    """The value a select box shows."""
    return combobox(page, label).input_value()


def upload(page: Page, label: str, path: Path) -> None:
    """Put a file into the real file input of the uploader labelled ``label``."""
    box = widget(page, "stFileUploader", label)
    box.locator('input[type="file"]').set_input_files(path)
    chip = box.locator(f'[data-testid="stFileChipName"][title="{path.name}"]')
    expect(chip).to_be_visible(timeout=30_000)
    settle(page)


def upload_model(page: Page, model: Path, data: Path, *, target: str) -> None:
    """On "Load a model": both files, the target, then "Load model and data"."""
    upload(page, "Model file", model)
    upload(page, "Dataset", data)
    choose(page, "Target column (optional)", target)
    page.get_by_role("button", name="Load model and data").click()
    expect(page.locator('[data-testid="stMain"] h1').first).to_have_text(
        "Overview", timeout=RUN_TIMEOUT_S * 1000
    )
    settle(page)


class Timings:
    """Measured durations, printed and kept in ``tests/artifacts/timings.txt``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seconds: dict[str, float] = {}

    def record(self, name: str, seconds: float) -> None:
        self.seconds[name] = seconds
        print(f"{name}: {seconds:.1f} s")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"{key}: {value:.1f} s" for key, value in self.seconds.items()]
        self.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
