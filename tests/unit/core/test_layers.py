"""`urbanops.core` is the layer every domain stands on: it imports none of them (the entry
points `urbanops.app`, `urbanops.worker`, `urbanops.cli` and `urbanops.models` assemble them)."""

from __future__ import annotations

import ast
from pathlib import Path

import urbanops

PACKAGE = Path(urbanops.__file__).parent
DOMAINS = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists())


def imported_modules(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


def test_the_domains_are_found() -> None:
    assert {"core", "cases", "reports", "identity", "areas"} <= set(DOMAINS)


def test_core_imports_no_domain() -> None:
    above = {f"urbanops.{d}" for d in DOMAINS if d not in ("core", "migrations")}
    found = [
        (path.name, name)
        for path in sorted((PACKAGE / "core").glob("*.py"))
        for name in imported_modules(path)
        if any(name == d or name.startswith(d + ".") for d in above)
    ]
    assert found == []
