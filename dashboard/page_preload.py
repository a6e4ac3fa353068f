"""Have the browser fetch and compile the chart code as soon as it has the page.

Streamlit's page asks for its plotly chunk (``PlotlyChart.*.js``, 4.7 MB with
plotly.js) only when the first chart element arrives, which on the demo is a
second after the page itself; fetching and compiling it then held the first
chart back. A ``<link rel="modulepreload">`` in the page's head starts that at
once, in the browser's own time (:func:`preload_middleware`). Where this
Streamlit's chunk cannot be found, the page is served unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHUNK_GLOB = "PlotlyChart.*.js"


def chart_chunk() -> str | None:
    """The page-relative path of Streamlit's plotly chunk, or None."""
    import streamlit

    found = sorted((Path(streamlit.__file__).parent / "static/static/js").glob(CHUNK_GLOB))
    return f"./static/js/{found[0].name}" if len(found) == 1 else None


def with_preload(html: bytes, href: str) -> bytes:
    """``html`` with a module preload of ``href`` first in its head (unchanged if it has none)."""
    link = f'<link rel="modulepreload" href="{href}" />'.encode()
    head = html.find(b"<head>")
    if head < 0:
        return html
    at = head + len(b"<head>")
    return html[:at] + link + html[at:]


class PreloadMiddleware:
    """ASGI middleware: adds :func:`with_preload` to every HTML page Streamlit serves."""

    def __init__(self, app: Any, href: str) -> None:
        self.app = app
        self.href = href

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        body: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                html = headers.get(b"content-type", b"").startswith(b"text/html")
                if not html or b"content-encoding" in headers:
                    start["pass"] = True
                    await send(message)
                    return
                start["message"] = message
            elif start.get("pass"):
                await send(message)
            else:
                body.append(message.get("body", b""))
                if not message.get("more_body"):
                    page = with_preload(b"".join(body), self.href)
                    headers = [
                        (k, str(len(page)).encode() if k == b"content-length" else v)
                        for k, v in start["message"].get("headers", [])
                    ]
                    await send({**start["message"], "headers": headers})
                    await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, capture)
