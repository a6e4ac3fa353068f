"""What the browser benchmarks share: Chromium's flags, a free port, sidebar clicks."""

from __future__ import annotations

import socket

from playwright.sync_api import Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1400, "height": 1600}
"""The browser window every benchmark opens its pages in."""


def free_port() -> int:
    """A port of 127.0.0.1 nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def click_link(page: Page, name: str) -> None:
    """Click a sidebar link by its text."""
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_role("link", name=name, exact=True).click()
