"""Run the Streamlit server in this process, importing the heavy modules meanwhile.

``whybox demo`` / ``whybox serve`` start ``python -m dashboard.server``. The
first model's sandbox is launched before anything else loads; while Streamlit
starts and the browser loads its page, a background thread imports what the
pages need (:mod:`dashboard.warm_up`), so the first page a visitor opens does
not wait for it.

Three of Streamlit's start-up habits cost the demo about 2 s on 2 cores and
do nothing for an installed app, so they are switched off here (see
``_skip_streamlit_start_up_work``); ``tests/test_cli_serve.py`` checks that
the names this touches still exist.

Requests must name this server in their ``Host`` header (``_accept_only_own_host``):
without that, a web page the user visits could rebind its own name to 127.0.0.1
and read every page (DNS rebinding), since the dashboard has no login.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from explainers.limits import MAX_UPLOAD_MB

APP = Path(__file__).resolve().parent / "app.py"
# While the warm-up imports hold the GIL, the server thread gets it back every
# 0.5 ms instead of every 5 ms, so the browser's files and messages are not held up.
START_UP_SWITCH_INTERVAL_S = 0.0005


def _skip_streamlit_start_up_work() -> None:
    """Turn off two one-off costs of a Streamlit start that whybox has no use for.

    - The custom-component scan reads the metadata of every installed package
      (0.6 s); whybox uses no custom components.
    - The first element a session sends checks whether Streamlit runs in a REPL
      with ``inspect.stack()``, which resolves the module of every frame against
      all of ``sys.modules`` (up to 1 s while the warm-up imports run); whybox
      never runs in a REPL.
    """
    from streamlit import delta_generator
    from streamlit.components.v2 import manifest_scanner

    manifest_scanner.scan_component_manifests = lambda *args, **kwargs: []
    delta_generator._use_warning_has_been_displayed = True


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")
ANY_ADDRESS = ("0.0.0.0", "::", "")


def allowed_hosts(bound_host: str) -> list[str]:
    """The ``Host`` header values a server bound to ``bound_host`` answers.

    The loopback names always; the bound name or address too. A server bound to
    every interface (``0.0.0.0``) is reachable under any name the network gives
    it, so there the operator has chosen exposure and every host is answered.
    """
    if bound_host in ANY_ADDRESS:
        return ["*"]
    return sorted({*LOOPBACK_NAMES, bound_host})


def _accept_only_own_host(bound_host: str) -> None:
    """Put Starlette's TrustedHostMiddleware first in Streamlit's stack (HTTP and websocket)."""
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from streamlit.web.server.starlette import starlette_app

    streamlit_middleware = starlette_app.create_streamlit_middleware

    from dashboard.page_preload import PreloadMiddleware, chart_chunk

    chunk = chart_chunk()

    def with_host_check() -> list[Middleware]:
        hosts = allowed_hosts(bound_host)
        first = [Middleware(TrustedHostMiddleware, allowed_hosts=hosts)]
        if chunk is not None:
            first.append(Middleware(PreloadMiddleware, href=chunk))
        return [*first, *streamlit_middleware()]

    starlette_app.create_streamlit_middleware = with_host_check


def main(argv: list[str]) -> None:
    """``python -m dashboard.server PORT HOST``: serve the app on HOST:PORT."""
    port, host = int(argv[0]), argv[1]
    from explainers import sandbox_launch

    # first of all, before pandas and Streamlit load, so the first model's sandbox imports
    # its stack on the other core meanwhile (or a broker's warm spare is taken); on a thread
    # of its own, since bubblewrap's probe can take seconds on a loaded machine and must not
    # hold up Streamlit (the fresh-clone run's first servers missed 60 s)
    sandbox_launch.prestart()
    # pandas (through the sandbox module) loads here, on the main thread, before any
    # thread touches plotly: imported on a thread of its own while Streamlit loaded,
    # plotly's lazy pandas lookup found it half-initialised and the server died at start
    from explainers import sandbox

    sandbox.keep_a_spare()
    threading.Thread(target=sandbox.start_spare, name="whybox-first-sandbox", daemon=True).start()
    from streamlit.web import bootstrap

    _skip_streamlit_start_up_work()
    _accept_only_own_host(host)
    normal_switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(START_UP_SWITCH_INTERVAL_S)
    from dashboard import warm_up

    threading.Thread(
        target=warm_up.warm,
        args=(normal_switch_interval,),
        name="whybox-warm-imports",
        daemon=True,
    ).start()
    options = {
        "server_port": port,
        "server_address": host,
        "server_headless": True,
        "browser_gatherUsageStats": False,
        "server_maxUploadSize": MAX_UPLOAD_MB,
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
