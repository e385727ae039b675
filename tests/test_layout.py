"""The package layout of DESIGN.md §1: dependency direction and where Qt may be imported."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Each package may import only itself and the packages to its right.
ORDER = ["workstation", "exports", "chain_of_custody", "extractors"]


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", ORDER)
def test_packages_import_only_downstream(package: str) -> None:
    forbidden = set(ORDER[: ORDER.index(package)])
    bad = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in _sources(package)
        for line, name in _imports(path)
        if name.split(".")[0] in forbidden
    ]
    assert bad == [], (
        "dependency direction is workstation -> exports -> chain_of_custody -> extractors"
    )


def test_pyside6_only_under_gui() -> None:
    gui = ROOT / "workstation" / "gui"
    bad = [
        f"{path.relative_to(ROOT)}:{line}"
        for package in ORDER
        for path in _sources(package)
        if gui not in path.parents
        for line, name in _imports(path)
        if name.split(".")[0] in {"PySide6", "shiboken6"}
    ]
    assert bad == []


def test_the_check_sees_a_violation(tmp_path: Path) -> None:
    # Guard against a check that can never fail: feed it a file with a forbidden import.
    sample = tmp_path / "x.py"
    sample.write_text("import workstation.cli\nfrom PySide6 import QtCore\n", encoding="utf-8")
    names = [name for _, name in _imports(sample)]
    assert names == ["workstation.cli", "PySide6"]


def test_all_packages_declared() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for package in ORDER:
        assert (ROOT / package / "__init__.py").exists()
        assert f'"{package}*"' in text
