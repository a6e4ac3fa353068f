"""`whybox demo` serves on the given port, prints its URL, and stops when told to."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from dashboard import page_preload
from tests.conftest import ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status(port: int, path: str, host: str) -> int:
    """The HTTP status of GET path with the given Host header (errors are statuses too)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _websocket_status_line(port: int, host: str) -> str:
    """The first line of the server's answer to a websocket upgrade naming ``host``."""
    request = (
        f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\n"
        "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request.encode())
        return sock.recv(200).decode(errors="replace").splitlines()[0]


def _wait_until_healthy(port: int, timeout_s: float = 60) -> None:
    """Return once the server on ``port`` answers its health check with ``ok``."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health") as reply:
                assert reply.read() == b"ok"
            return
        except OSError:
            assert time.monotonic() < deadline, "the server never answered"
            time.sleep(0.2)


def test_demo_serves_its_own_host_only_and_stops_on_sigterm() -> None:
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
        _wait_until_healthy(port)
        # the page names the chart code, so the browser fetches it at once
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as reply:
            page = reply.read()
        href = page_preload.chart_chunk()
        assert href is not None and f'<link rel="modulepreload" href="{href}"'.encode() in page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{href[2:]}") as reply:
            assert reply.status == 200 and len(reply.read()) > 1_000_000  # plotly.js is in it
        # DNS rebinding: a page whose own name now resolves to 127.0.0.1 is refused
        assert _status(port, "/", f"localhost:{port}") == 200
        assert _status(port, "/", f"evil.example:{port}") == 400
        assert _status(port, "/_stcore/health", f"evil.example:{port}") == 400
        assert " 101 " in _websocket_status_line(port, f"127.0.0.1:{port}")
        assert " 101 " not in _websocket_status_line(port, f"evil.example:{port}")
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


def test_the_server_answers_loopback_names_and_its_own_host() -> None:
    from dashboard.server import allowed_hosts

    assert allowed_hosts("127.0.0.1") == sorted(["127.0.0.1", "localhost", "::1", "[::1]"])
    exposed = allowed_hosts("10.0.0.5")
    assert "10.0.0.5" in exposed and "evil.example" not in exposed
    assert allowed_hosts("0.0.0.0") == ["*"]


def test_the_streamlit_middleware_the_server_extends_still_exists() -> None:
    from streamlit.web.server.starlette import starlette_app

    assert callable(starlette_app.create_streamlit_middleware)


def test_the_upload_limit_streamlit_reads_is_whyboxs_own() -> None:
    """``streamlit run`` reads only config.toml; it must say what explainers.limits says."""
    import tomllib

    from explainers.limits import MAX_UPLOAD_MB

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB


PLANTED = "open({marker!r}, 'w').write('ran')\n"


def test_a_package_in_the_working_folder_never_runs_as_the_server(tmp_path) -> None:
    marker = tmp_path / "ran.txt"
    for package in ("dashboard", "explainers"):  # what an unpacked "model + data" archive holds
        (tmp_path / package).mkdir()
        for module in ("__init__", "server", "cli", "sandbox_worker", "spare_broker"):
            (tmp_path / package / f"{module}.py").write_text(PLANTED.format(marker=str(marker)))
    port = _free_port()
    server = subprocess.Popen(  # as the `whybox` script runs: its own code, not the folder's
        [sys.executable, "-P", "-m", "dashboard.cli", "demo", "--port", str(port)],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_until_healthy(port)
        assert _status(port, "/", f"127.0.0.1:{port}") == 200
        assert not marker.exists()
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_a_preload_goes_first_in_the_head_and_a_page_without_one_is_unchanged() -> None:
    page = b"<!DOCTYPE html><html><head><title>x</title></head></html>"
    assert page_preload.with_preload(page, "./a.js") == (
        b'<!DOCTYPE html><html><head><link rel="modulepreload" href="./a.js" />'
        b"<title>x</title></head></html>"
    )
    assert page_preload.with_preload(b"not a page", "./a.js") == b"not a page"
