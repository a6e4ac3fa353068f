"""Demo cold start, one row's breakdown and a page switch, in a real browser.

Run from the repository root (needs Debian's chromium and playwright)::

    python -m benchmarks.cold_start            # 5 cold starts
    python -m benchmarks.cold_start --runs 10
    python -m benchmarks.cold_start --python /tmp/venv/bin/python   # another install

Each run starts a new ``whybox demo`` server (a cold process: nothing imported,
nothing cached) while Chromium is already open, as a user's browser is. The
clock starts when the command is launched. The page is opened once the port
accepts connections (a cheap TCP poll: retrying page loads every 0.1 s kept
Chromium busy and slowed the server's start by about 0.5 s). Measured:

- cold start: command launched → the Overview's first chart visible;
- one row's breakdown: click "One decision" → the SHAP waterfall and LIME drawn;
- page switch: back to "Overview" → its chart visible (nothing recomputed).

By default no spare broker runs (``WHYBOX_SPARE_IDLE_S=0``): every server
starts its own first sandbox, as on a machine's first start. With
``--spare-broker`` each run finds a broker's warm spare sandbox
(``explainers.spare_broker``; the previous run's server started the broker,
and the spare is given :data:`SPARE_WARM_S` seconds to import), as every start
after the first within ten minutes does.

Charts are looked for in the main area only: the first page also sends a hidden,
empty chart to the sidebar to load plotly.js early (``dashboard/preload.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from benchmarks.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, click_link, free_port
from benchmarks.process_speed import NO_BROKER, private_broker

ROOT = Path(__file__).resolve().parents[1]
MAIN_CHART = '[data-testid="stMain"] .js-plotly-plot'
TARGET_S = 4.0
SPARE_WARM_S = 10.0


@dataclass(frozen=True)
class Run:
    """Seconds for one cold start and the two clicks after it."""

    cold: float
    breakdown: float
    switch: float


def wait_for_port(port: int, server: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    """Return once the server accepts connections on ``port``."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the demo server did not start") from None
            time.sleep(0.05)


def one_run(browser: Browser, python: str, env: dict[str, str]) -> Run:
    """A fresh server and a fresh browser tab: time the demo's first chart, then two clicks."""
    page = browser.new_context(viewport=VIEWPORT).new_page()
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [python, "-m", "dashboard.cli", "demo", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, **env},
    )  # fmt: skip
    try:
        wait_for_port(port, server)
        page.goto(f"http://127.0.0.1:{port}/", wait_until="commit")
        page.wait_for_selector(MAIN_CHART, state="visible", timeout=120_000)
        cold = time.perf_counter() - started
        t0 = time.perf_counter()
        click_link(page, "One decision")
        page.wait_for_selector('[data-testid="stMain"] h1:has-text("One decision")')
        page.wait_for_function(  # the SHAP waterfall and the LIME chart
            f"document.querySelectorAll('{MAIN_CHART}').length >= 2", timeout=120_000
        )
        breakdown = time.perf_counter() - t0
        t0 = time.perf_counter()
        click_link(page, "Overview")
        page.wait_for_selector('[data-testid="stMain"] h1:has-text("Overview")')
        page.wait_for_selector(MAIN_CHART, state="visible")
        switch = time.perf_counter() - t0
    finally:
        page.context.close()
        server.terminate()
        server.wait(timeout=30)
    return Run(cold, breakdown, switch)


def main() -> None:
    """Run the cold starts and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="cold starts to time")
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter that runs the server, e.g. of a fresh `pip install -e .` venv",
    )
    parser.add_argument(
        "--spare-broker", action="store_true", help="each run finds a broker's warm spare"
    )
    args = parser.parse_args()
    runs = []
    with contextlib.ExitStack() as stack:
        env = stack.enter_context(private_broker(300)) if args.spare_broker else NO_BROKER
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            if args.spare_broker:
                one_run(browser, args.python, env)  # starts the broker; not timed
            for i in range(args.runs):
                if args.spare_broker:
                    time.sleep(SPARE_WARM_S)
                run = one_run(browser, args.python, env)
                print(f"run {i + 1}: {run}", flush=True)
                runs.append(run)
            browser.close()
    broker = "a broker's warm spare" if args.spare_broker else "no spare broker"
    print(f"\nServer: {args.python}; {broker}")
    print(f"\n| measurement ({len(runs)} runs) | median (s) | max (s) |\n| --- | --- | --- |")
    for name, label in (
        ("cold", f"cold start: `whybox demo` → first chart (target {TARGET_S:.0f} s)"),
        ("breakdown", "one row's breakdown (click → waterfall and LIME)"),
        ("switch", "page switch back to Overview (cached)"),
    ):
        values = [getattr(r, name) for r in runs]
        print(f"| {label} | {statistics.median(values):.2f} | {max(values):.2f} |")


if __name__ == "__main__":
    main()
