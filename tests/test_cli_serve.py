"""`whybox demo` serves on the given port, prints its URL, and stops when told to."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

from tests.conftest import ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_serves_and_stops_on_sigterm() -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "demo", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        assert f"http://127.0.0.1:{port}" in server.stdout.readline()
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health") as reply:
                    assert reply.read() == b"ok"
                break
            except OSError:
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.2)
        server.terminate()  # the CLI became the server (exec), so this stops it
        assert server.wait(timeout=20) is not None
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_bad_usage_is_one_error_line_and_status_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "demo", "--port", "not-a-number"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")


def test_the_streamlit_start_up_work_the_server_skips_still_exists() -> None:
    """The server replaces two Streamlit internals; a rename upstream must fail here."""
    from streamlit import delta_generator
    from streamlit.components.v2 import manifest_scanner

    assert callable(manifest_scanner.scan_component_manifests)
    assert isinstance(delta_generator._use_warning_has_been_displayed, bool)
