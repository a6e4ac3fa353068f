"""Run the Streamlit server in this process, importing the heavy modules meanwhile.

``whybox demo`` / ``whybox serve`` start ``python -m dashboard.server``. While
Streamlit starts and the browser loads its page, a background thread imports
the explainer stack (shap, lime, scikit-learn: about two seconds), so the
first page a visitor opens does not wait for it.
"""

from __future__ import annotations

import gc
import sys
import threading
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"


def _warm_imports() -> None:
    import dashboard.cache  # noqa: F401  (imports shap, lime, scikit-learn, the loaders)

    # Streamlit runs a full collection after every script run; with the explainer
    # stack imported that walk took about 0.25 s a run. Frozen objects are skipped.
    gc.freeze()


def main(argv: list[str]) -> None:
    """``python -m dashboard.server PORT HOST``: serve the app on HOST:PORT."""
    port, host = int(argv[0]), argv[1]
    from streamlit.web import bootstrap

    threading.Thread(target=_warm_imports, name="whybox-warm-imports", daemon=True).start()
    options = {
        "server_port": port,
        "server_address": host,
        "server_headless": True,
        "browser_gatherUsageStats": False,
        "server_maxUploadSize": 200,
        "global_developmentMode": False,
        "client_showErrorDetails": "none",
        "client_toolbarMode": "minimal",
        # No reload-on-save: watching every imported module cost about 0.5 s a run.
        "server_fileWatcherType": "none",
    }
    bootstrap.load_config_options(flag_options=options)
    bootstrap.run(str(APP), False, [], options)


if __name__ == "__main__":
    main(sys.argv[1:])
