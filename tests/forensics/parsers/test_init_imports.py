"""Every parser module is imported by the package __init__ (plaso's init_imports test)."""

from __future__ import annotations

import pkgutil
from pathlib import Path

import orderwatch.forensics.parsers as parsers_package

PACKAGE_DIR = Path(parsers_package.__file__).parent
INFRASTRUCTURE = {"__init__", "interface", "manager"}


def _modules(directory: Path, prefix: str) -> set[str]:
    found = set()
    for info in pkgutil.iter_modules([str(directory)]):
        if info.name in INFRASTRUCTURE or info.name.startswith("_"):
            continue
        if info.ispkg:
            found |= _modules(directory / info.name, f"{prefix}{info.name}.")
        else:
            found.add(prefix + info.name)
    return found


def test_every_parser_module_is_imported() -> None:
    init_text = (PACKAGE_DIR / "__init__.py").read_text()
    for module in sorted(_modules(PACKAGE_DIR, "")):
        dotted = f"orderwatch.forensics.parsers.{module}"
        package_init = PACKAGE_DIR / Path(*module.split(".")[:-1]) / "__init__.py"
        where = package_init.read_text() if package_init.parent != PACKAGE_DIR else init_text
        leaf = module.rsplit(".", 1)[-1]
        assert dotted in where or f"import {leaf}" in where, (
            f"{dotted} is not imported by its package"
        )
