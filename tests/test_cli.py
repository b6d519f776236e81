"""The `orderwatch` command: the lazy command table stays true, and errors are one line."""

from __future__ import annotations

import argparse
import importlib

import pytest

from orderwatch.cli import _COMMAND_MODULES, _COMMAND_OWNERS, build_parser, main


def _registered(module: str) -> list[str]:
    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers()
    importlib.import_module(module).register(subparsers)
    return list(subparsers.choices)


@pytest.mark.parametrize("module", _COMMAND_MODULES)
def test_every_command_is_owned_by_the_module_that_registers_it(module: str) -> None:
    for command in _registered(module):
        assert _COMMAND_OWNERS.get(command) == module, f"add {command!r}: {module!r} to cli.py"


def test_the_owner_table_names_only_listed_modules() -> None:
    assert set(_COMMAND_OWNERS.values()) <= set(_COMMAND_MODULES)


def test_a_known_command_builds_only_its_own_module() -> None:
    parser = build_parser("hashset")
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(subparsers.choices) == {"hashset"}


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in _COMMAND_OWNERS:
        assert command in out


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_user_error_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: object) -> None:
    assert main(["hashset", "info", "/nonexistent/set.owhs"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nonexistent" in err[0]
