"""House rules: explainers/ never imports streamlit or dashboard; the cache layer never the CLI."""

import subprocess
import sys

_IMPORT_ALL = (
    "import importlib, pkgutil, sys, {package}\n"
    "for m in pkgutil.walk_packages({package}.__path__, '{package}.'):\n"
    "    importlib.import_module(m.name)\n"
    "print(sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'dashboard')))\n"
)


def _imported_after_all_of(package: str) -> str:
    code = _IMPORT_ALL.format(package=package)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_explainers_and_subpackages_import_neither_streamlit_nor_dashboard() -> None:
    assert _imported_after_all_of("explainers") == "[]"


def test_the_walk_reaches_subpackages() -> None:
    """The same walk over dashboard/ finds its screens/ subpackage (so it would find any)."""
    code = (
        "import pkgutil, dashboard\n"
        "print([m.name for m in pkgutil.walk_packages(dashboard.__path__, 'dashboard.')"
        " if m.ispkg])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "dashboard.screens" in out.stdout


def test_the_cache_layer_does_not_import_the_command_line() -> None:
    code = (
        "import sys, dashboard.cache, dashboard.health_cache, dashboard.report_cache\n"
        "print('dashboard.cli' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
