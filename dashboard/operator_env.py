"""What the server operator sets, passed from ``whybox serve``/``demo`` to the app as
environment variables (read by the app and the cache layer, written by the CLI)."""

from __future__ import annotations

import os

TRUST_ENV = "WHYBOX_TRUST_UNKNOWN_PICKLES"
DEMO_ENV = "WHYBOX_START_WITH_DEMO"
REQUIRE_SANDBOX_ENV = "WHYBOX_REQUIRE_SANDBOX"


def trust_unknown_pickles() -> bool:
    """Set only by the server operator (``whybox serve --trust-unknown-pickles``)."""
    return os.environ.get(TRUST_ENV) == "1"


def sandbox_required() -> bool:
    """Set only by the operator (``whybox serve --require-sandbox``): refuse uncontained uploads."""
    return os.environ.get(REQUIRE_SANDBOX_ENV) == "1"


def starts_with_demo() -> bool:
    """Set by ``whybox demo``: the first page opens the bundled start demo."""
    return os.environ.get(DEMO_ENV) == "1"
