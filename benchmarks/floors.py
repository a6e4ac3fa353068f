"""What plain scripts on the same libraries take, for the two speed targets whybox does not meet.

Run from the repository root (the second part needs Debian's chromium and playwright)::

    python -m benchmarks.floors

- **A loan decision from the command line.** Three plain scripts, no sandbox
  and no explanation at all, each a fresh process: the imports alone (numpy,
  pandas and the scikit-learn modules the loan pipeline is made of); a
  notebook's ``joblib.load`` of the bundled pipeline (which runs any code a
  file names) predicting 10 rows of ``loan_current.csv`` and writing them; the
  same with skops's own loader on the ``.skops`` file. Compare ``whybox
  explain`` on the same rows (``benchmarks/process_speed.py``).
- **The demo's first chart.** A bare Streamlit app that draws one plotly bar
  chart, started and opened exactly as ``benchmarks/cold_start.py`` starts and
  opens ``whybox demo`` (the same browser, viewport and clock).

Each is run 5 times; the median and the maximum are printed.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.process_speed import ROOT, SAMPLES, wall

IMPORTS_ONLY = """
import numpy, pandas, sklearn.compose, sklearn.ensemble, sklearn.pipeline, sklearn.preprocessing
"""
PREDICT_JOBLIB = """
import sys
import joblib, pandas as pd
model = joblib.load(sys.argv[1])
X = pd.read_csv(sys.argv[2]).head(10)[list(model.feature_names_in_)]
pd.DataFrame(model.predict_proba(X)).to_csv(sys.argv[3])
"""
PREDICT_SKOPS = """
import sys
import pandas as pd, skops.io as sio
path = sys.argv[1]
model = sio.load(path, trusted=sio.get_untrusted_types(file=path))
X = pd.read_csv(sys.argv[2]).head(10)[list(model.feature_names_in_)]
pd.DataFrame(model.predict_proba(X)).to_csv(sys.argv[3])
"""
ONE_CHART_APP = """
import plotly.graph_objects as go
import streamlit as st

st.title("One chart")
st.plotly_chart(go.Figure(go.Bar(x=[3, 1, 2], y=["a", "b", "c"], orientation="h")))
"""
RUNS = 5


def script_s(tmp: Path, code: str, model_file: str) -> list[float]:
    """Wall seconds of a plain script on the loan model and data, one fresh process per run."""
    script = tmp / "plain.py"
    script.write_text(textwrap.dedent(code))
    command = [sys.executable, str(script), str(SAMPLES / model_file),
               str(SAMPLES / "loan_current.csv"), str(tmp / "out.csv")]  # fmt: skip
    return [wall(command) for _ in range(RUNS)]


def one_chart_app_s(tmp: Path) -> list[float]:
    """Seconds from ``streamlit run`` of the one-chart app to its chart visible, per run."""
    from playwright.sync_api import sync_playwright

    from benchmarks.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, free_port
    from benchmarks.cold_start import MAIN_CHART, wait_for_port

    app = tmp / "one_chart.py"
    app.write_text(textwrap.dedent(ONE_CHART_APP))
    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(RUNS):
            page = browser.new_context(viewport=VIEWPORT).new_page()
            port = free_port()
            started = time.perf_counter()
            server = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
                 "--server.headless", "true", "--browser.gatherUsageStats", "false",
                 "--server.fileWatcherType", "none", "--global.developmentMode", "false"],
                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                wait_for_port(port, server)
                page.goto(f"http://127.0.0.1:{port}/", wait_until="commit")
                page.wait_for_selector(MAIN_CHART, state="visible", timeout=120_000)
                times.append(time.perf_counter() - started)
            finally:
                page.context.close()
                server.terminate()
                server.wait(timeout=30)
        browser.close()
    return times


def main() -> None:
    """Print both floors."""
    with tempfile.TemporaryDirectory() as folder:
        rows: list[tuple[str, Callable[[Path], list[float]]]] = [
            ("imports only: numpy, pandas, the pipeline's scikit-learn modules",
             lambda tmp: script_s(tmp, IMPORTS_ONLY, "loan_model.joblib")),
            ("joblib.load the loan pipeline, predict 10 rows, write them",
             lambda tmp: script_s(tmp, PREDICT_JOBLIB, "loan_model.joblib")),
            ("skops.io.load the loan .skops, predict 10 rows, write them",
             lambda tmp: script_s(tmp, PREDICT_SKOPS, "loan_model.skops")),
            ("a bare Streamlit app's one plotly chart visible", one_chart_app_s),
        ]  # fmt: skip
        print(f"| floor ({RUNS} runs) | median (s) | max (s) |")
        print("| --- | --- | --- |")
        for label, measure in rows:
            times = measure(Path(folder))
            print(f"| {label} | {statistics.median(times):.2f} | {max(times):.2f} |")


if __name__ == "__main__":
    main()
