"""Does a second session stay responsive while the first runs a heavy explanation?

Run from the repository root (needs Debian's chromium and playwright)::

    python -m benchmarks.responsiveness            # 5 runs of session B under load
    python -m benchmarks.responsiveness --runs 3 --idle-runs 2

Builds an unlimited-depth RandomForestClassifier (100 trees, 20,000 x 30,
seed 0) in a temporary folder and starts ``python -m dashboard.cli serve``.
Browser context A uploads it with the real file inputs and opens "What matters
overall", which starts global SHAP in the worker pool. While A's progress bar
shows, fresh contexts B open the app root (time until the loan demo's "Open
this demo" button is visible and enabled, and until that first script run has
finished) and click it (time until the Overview's first chart is visible, given
up after ``--chart-timeout`` seconds so that several B runs fit in A's job).
B's first run is the first time the server loads the loan demo (cold cache).
After A finishes, and once A's tab has drawn its charts and the machine is
quiet, the same is timed on an idle server. CPU use of the server
process, the pool workers and the whole machine is sampled during B's runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import pandas as pd
import psutil
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier

from benchmarks.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, click_link, free_port

ROOT = Path(__file__).resolve().parents[1]
MAIN = '[data-testid="stMain"]'
PROGRESS = f'{MAIN} [data-testid="stProgress"]'
CHART = f"{MAIN} .js-plotly-plot"
TARGET_S = 2.0
TIMEOUT_MS = 180_000
# Timed with page-side polling every 20 ms: expect()'s retries back off to 1 s
# apart, which had added up to a second to some measurements.
_DEMO_BUTTON_ENABLED = """() => {
    const button = document.querySelector('.st-key-demo_loan button');
    return !!button && !button.disabled && button.innerText.includes('Open this demo');
}"""
_IDLE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !!app && app.dataset.testScriptState === 'notRunning'
        && document.querySelector('[data-testid="stStatusWidget"]') === null;
}"""


@dataclass
class Run:
    """One session B: seconds to the app shell, a usable upload page, its finished run, a chart.

    ``chart`` is None when no chart came within ``--chart-timeout`` seconds.
    """

    shell: float
    usable: float
    page_done: float
    chart: float | None
    under_load: bool
    cpu: dict[str, float] = field(default_factory=dict)


def build_model(folder: Path) -> tuple[Path, Path]:
    """The heavy model (joblib) and its data (CSV with a ``target`` column)."""
    X, y = make_classification(n_samples=20_000, n_features=30, random_state=0)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(30)])
    model = RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=-1).fit(frame, y)
    model.n_jobs = None
    model_path, data_path = folder / "deep_forest.joblib", folder / "deep_forest.csv"
    joblib.dump(model, model_path)
    frame.assign(target=y).to_csv(data_path, index=False)
    return model_path, data_path


class CpuSampler:
    """CPU % of the server process, its descendants (pool workers) and the machine."""

    def __init__(self, server_pid: int) -> None:
        self.server = psutil.Process(server_pid)
        self.samples: list[tuple[float, float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        procs = [self.server, *self.server.children(recursive=True)]
        for p in procs:
            p.cpu_percent(None)
        psutil.cpu_percent(None)
        while not self._stop.wait(0.5):
            try:
                server = self.server.cpu_percent(None)
                kids = sum(p.cpu_percent(None) for p in procs[1:] if p.is_running())
            except psutil.Error:
                continue
            self.samples.append((server, kids, psutil.cpu_percent(None) * psutil.cpu_count()))

    def __enter__(self) -> CpuSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def means(self) -> dict[str, float]:
        """Mean CPU % (100 = one core) over the samples."""
        if not self.samples:
            return {}
        cols = list(zip(*self.samples, strict=True))
        names = ("server", "workers", "machine")
        return {n: statistics.fmean(c) for n, c in zip(names, cols, strict=True)}


def wait_idle(page: Page, timeout_s: float = 180) -> None:
    """Wait until Streamlit reports the script run over."""
    page.wait_for_function(_IDLE, timeout=timeout_s * 1000, polling=50)


def start_heavy_job(browser: Browser, url: str, model: Path, data: Path) -> Page:
    """Context A: upload the forest, load it, open "What matters overall"; return the page."""
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.goto(url)
    expect(page.locator(f"{MAIN} h1").first).to_have_text("Load a model", timeout=TIMEOUT_MS)
    wait_idle(page)
    for label, path in (("Model file", model), ("Dataset", data)):
        box = page.locator('[data-testid="stFileUploader"]').filter(
            has=page.locator('[data-testid="stWidgetLabel"]', has_text=label)
        )
        box.locator('input[type="file"]').set_input_files(path)
        expect(box.locator('[data-testid="stFileChipName"]')).to_be_visible(timeout=60_000)
        wait_idle(page)
    target = page.get_by_role("combobox", name="Target column (optional)", exact=True)
    target.click()
    page.get_by_role("option", name="target", exact=True).click()
    page.keyboard.press("Escape")
    wait_idle(page)
    page.get_by_role("button", name="Load model and data").click()
    expect(page.locator(f"{MAIN} h1").first).to_have_text("Overview", timeout=TIMEOUT_MS)
    # the Overview starts global SHAP and waits for it; go straight on
    click_link(page, "What matters overall")
    return page


def wait_for_quiet_machine(limit_s: float = 60, busy_percent: float = 25) -> None:
    """Wait until the whole machine uses under ``busy_percent`` of its CPU for a second.

    Drawing A's finished charts (a 2,000-row beeswarm) kept Chromium busy for a
    few seconds after A's job; idle runs should not be measured against that.
    """
    deadline = time.monotonic() + limit_s
    while psutil.cpu_percent(interval=1.0) > busy_percent and time.monotonic() < deadline:
        pass


def heavy_running(page: Page) -> bool:
    """A's progress bar is still showing."""
    return page.locator(PROGRESS).count() > 0


def session_b(
    browser: Browser, url: str, server_pid: int, under_load: bool, chart_timeout_s: float
) -> Run:
    """A fresh context opens the root, then the loan demo; times both."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    button = page.locator(".st-key-demo_loan").get_by_role("button", name="Open this demo")
    with CpuSampler(server_pid) as cpu:
        t0 = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.wait_for_selector('[data-testid="stApp"]', timeout=TIMEOUT_MS)
        shell = time.perf_counter() - t0
        page.wait_for_function(_DEMO_BUTTON_ENABLED, timeout=TIMEOUT_MS, polling=20)
        usable = time.perf_counter() - t0
        wait_idle(page)
        page_done = time.perf_counter() - t0
        t1 = time.perf_counter()
        button.click()
        try:
            page.wait_for_selector(CHART, state="visible", timeout=chart_timeout_s * 1000)
            chart: float | None = time.perf_counter() - t1
        except PlaywrightTimeoutError:
            chart = None
    context.close()
    return Run(shell, usable, page_done, chart, under_load, cpu.means())


def summary(runs: list[Run], what: str) -> list[str]:
    """Markdown rows: p50 and max of each measurement."""
    lines = []
    for name, label in (
        ("shell", "open root → app shell (JS booted)"),
        ("usable", "open root → upload page usable"),
        ("page_done", "open root → its script run finished"),
        ("chart", 'click "Open this demo" → Overview first chart'),
    ):
        values = [getattr(r, name) for r in runs]
        if not values:
            continue
        if None in values:
            over = sum(v is None for v in values)
            lines.append(f"| {what} | {label} | {len(values)} | {over} of {len(values)} "
                         f"over the chart timeout | – | NOT met |")  # fmt: skip
            continue
        met = "met" if max(values) <= TARGET_S else "NOT met"
        lines.append(
            f"| {what} | {label} | {len(values)} | {statistics.median(values):.2f} "
            f"| {max(values):.2f} | {met} |"
        )
    return lines


def main() -> None:
    """Run the scenario and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="B sessions while A's job runs")
    parser.add_argument("--idle-runs", type=int, default=3, help="B sessions after it ends")
    parser.add_argument(
        "--chart-timeout", type=float, default=20.0, help="seconds B waits for the chart"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model, data = build_model(Path(tmp))
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = (Path(tmp) / "server.log").open("w")
        server = subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli", "serve", "--port", str(port)],
            cwd=ROOT, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("the server did not start") from None
                    time.sleep(0.2)
            loaded, idle, job_s = run_scenario(url, server.pid, model, data, args)
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
    print(f"\nA's progress bar showed for {job_s:.0f} s (2,000 rows of the deep forest).\n")
    print("| B's runs | measurement | n | p50 (s) | max (s) | target 2 s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for line in summary(loaded, "during A's job") + (summary(idle, "idle") if idle else []):
        print(line)
    print("\n| run | A running | shell (s) | usable (s) | run finished (s) | chart (s) "
          "| CPU % server / workers / machine |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for i, r in enumerate(loaded + idle, 1):
        cpu = " / ".join(f"{r.cpu.get(k, 0):.0f}" for k in ("server", "workers", "machine"))
        chart = f"{r.chart:.2f}" if r.chart is not None else f"> {args.chart_timeout:.0f}"
        print(
            f"| {i} | {'yes' if r.under_load else 'no'} | {r.shell:.2f} | {r.usable:.2f} "
            f"| {r.page_done:.2f} | {chart} | {cpu} |"
        )


def run_scenario(
    url: str, server_pid: int, model: Path, data: Path, args: argparse.Namespace
) -> tuple[list[Run], list[Run], float]:
    """A's heavy job, B's runs during it, then B's runs on the idle server."""
    loaded: list[Run] = []
    idle: list[Run] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page_a = start_heavy_job(browser, url, model, data)
        expect(page_a.locator(PROGRESS)).to_be_visible(timeout=TIMEOUT_MS)
        job_start = time.perf_counter()
        print("A: progress bar showing; global SHAP is running in the worker pool", flush=True)
        for i in range(args.runs):
            if not heavy_running(page_a):
                print(f"A's job ended before B's run {i + 1}", flush=True)
                break
            run = session_b(browser, url, server_pid, True, args.chart_timeout)
            print(f"B {i + 1}: {run}; A still running: {heavy_running(page_a)}", flush=True)
            loaded.append(run)
        expect(page_a.locator(PROGRESS)).to_have_count(0, timeout=600_000)
        expect(page_a.locator(CHART).first).to_be_visible(timeout=TIMEOUT_MS)
        job_s = time.perf_counter() - job_start
        wait_idle(page_a)
        wait_for_quiet_machine()
        for i in range(args.idle_runs):
            run = session_b(browser, url, server_pid, False, args.chart_timeout)
            print(f"B idle {i + 1}: {run}", flush=True)
            idle.append(run)
        browser.close()
    return loaded, idle, job_s


if __name__ == "__main__":
    main()
