"""Every package a test module imports is declared in pyproject.toml's ``test`` extra.

A package installed by hand on one machine must never make the suite pass
there and fail on a fresh clone.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCAL_PACKAGES = frozenset({"explainers", "dashboard", "sample_models", "tests", "benchmarks"})


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    return _normalise(re.split(r"[\s<>=!~;\[(]", requirement.strip(), maxsplit=1)[0])


def _declared() -> set[str]:
    """Distributions the ``test`` extra installs directly (with the extras it names)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    declared = {_requirement_name(r) for r in project["dependencies"]}
    pending, seen = ["test"], set()
    while pending:
        extra = pending.pop()
        seen.add(extra)
        for requirement in extras[extra]:
            match = re.match(r"whybox\[(.+)\]", requirement.strip())
            if match:
                pending += [e.strip() for e in match.group(1).split(",") if e.strip() not in seen]
            else:
                declared.add(_requirement_name(requirement))
    return declared


def _imported_top_levels(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names - LOCAL_PACKAGES - set(sys.stdlib_module_names)


def test_every_test_import_is_declared_in_the_test_extra() -> None:
    declared = _declared()
    distributions = packages_distributions()
    undeclared = {}
    for path in sorted((ROOT / "tests").glob("*.py")):
        for module in _imported_top_levels(path):
            dists = {_normalise(d) for d in distributions.get(module, [module])}
            if not dists & declared:
                undeclared.setdefault(module, []).append(path.name)
    assert not undeclared, f"imported by tests but not declared in the test extra: {undeclared}"


def test_the_check_sees_an_undeclared_import(tmp_path: Path) -> None:
    module = tmp_path / "test_probe.py"
    module.write_text("import palmerpenguins\nfrom sklearn.base import clone\nimport json\n")
    assert _imported_top_levels(module) == {"palmerpenguins", "sklearn"}
    assert "palmerpenguins" not in _declared() and "scikit-learn" in _declared()
