"""Adapters stay at the edges: each framework is imported only by its own package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "orderwatch"

# framework top-level module -> the only places allowed to import it (relative to SRC)
ALLOWED = {
    "dfvfs": ("forensics/sources.py", "forensics/_source_"),
    "pytsk3": ("forensics/sources.py", "forensics/_source_"),
    "pyewf": ("forensics/sources.py", "forensics/_source_"),
    "pysmraw": ("forensics/sources.py", "forensics/_source_"),
    "sqlalchemy": ("storage/",),
    "alembic": ("storage/",),
    "celery": ("tasks/",),
    "fastapi": ("web/",),
    "starlette": ("web/",),
}
DOMAIN_FORBIDDEN_EXTRA = ("jinja2", "uvicorn", "pydantic_settings", "psycopg", "rich", "httpx")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


SOURCES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_framework_imports_stay_in_their_package(path: Path) -> None:
    relative = path.relative_to(SRC).as_posix()
    imported = _imports(path)
    for framework, places in ALLOWED.items():
        if framework in imported:
            assert relative.startswith(places), f"{relative} imports {framework}; only {places} may"
    if relative.startswith("domain/"):
        leaked = imported.intersection(DOMAIN_FORBIDDEN_EXTRA)
        assert not leaked, f"{relative} imports {sorted(leaked)}; the domain core must stay pure"


def test_the_check_sees_the_source_tree() -> None:
    assert any(p.name == "conditions.py" for p in SOURCES)
