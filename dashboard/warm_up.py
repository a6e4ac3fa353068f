"""What the server imports in the background while visitors wait on other things.

First the modules every page needs (``dashboard.cache`` and the loaders: no
scikit-learn, SciPy or shap, which run only in a model's sandbox), while
Streamlit starts and the browser loads its code. Then, once the first page
has been sent (or after :data:`LATER_AFTER_S`), what later pages need on this
side: SciPy's statistics (SHAP/LIME agreement on "One decision"), the health,
comparison, cohort and report views. Imported at once, they held the first
page's chart back by a second on 2 cores; left to first use, they slowed the
first click on "One decision" by about as much.
"""

from __future__ import annotations

import gc
import importlib
import sys
import threading

FIRST = ("dashboard.cache",)
LATER = (
    "scipy.stats",
    "dashboard.decision_views",
    "dashboard.health_views",
    "dashboard.health_cache",
    "dashboard.analysis_views",
    "dashboard.cohort_views",
    "dashboard.compare_views",
    "dashboard.model_report_views",
    "dashboard.settings_views",
)
LATER_AFTER_S = 15.0
_FIRST_PAGE_SENT = threading.Event()


def first_page_sent() -> None:
    """Called by the app at the end of each script run: the later imports may begin."""
    _FIRST_PAGE_SENT.set()


def warm(normal_switch_interval: float) -> None:
    """Import :data:`FIRST`, then :data:`LATER` once the first page is out (one thread)."""
    from dashboard.operator_env import sandbox_required
    from explainers import sandbox

    print(f"whybox: {sandbox.protections().sentence}", flush=True)
    if sandbox.mode() != "bwrap" and sandbox_required():
        print("whybox: --require-sandbox is on, so uploaded models will be refused.", flush=True)
    # Streamlit runs a full collection after every script run; with the explainer
    # stack imported that walk took about 0.25 s a run. Frozen objects are skipped,
    # so each batch of imports is frozen once it is in (the first page's runs too).
    for name in FIRST:
        importlib.import_module(name)
    gc.freeze()
    sys.setswitchinterval(normal_switch_interval)
    _FIRST_PAGE_SENT.wait(LATER_AFTER_S)
    for name in LATER:
        importlib.import_module(name)
    gc.freeze()
