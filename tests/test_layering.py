"""House rule: explainers/ never imports streamlit."""

import subprocess
import sys


def test_explainers_do_not_import_streamlit() -> None:
    code = (
        "import importlib, pkgutil, sys, explainers\n"
        "for m in pkgutil.iter_modules(explainers.__path__):\n"
        "    importlib.import_module('explainers.' + m.name)\n"
        "print('streamlit' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
