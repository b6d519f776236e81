"""The `orderwatch` command. Each area registers its own sub-commands from its `commands` module."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from orderwatch import __version__
from orderwatch.domain.errors import OrderwatchError

# Each module has `register(subparsers)`; its sub-commands set `func(args) -> int`.
_COMMAND_MODULES: tuple[str, ...] = (
    "orderwatch.triage.commands",
    "orderwatch.forensics.hashsets.commands",
    "orderwatch.storage.commands",
    "orderwatch.web.commands",
    "orderwatch.agent.commands",
    "orderwatch.monitor.commands",
)


# The module that registers each top-level command: `orderwatch triage ...` imports only the
# triage commands (importing every area's dependencies costs seconds at start-up). Help, and a
# command not listed here, import every module. tests/test_cli.py keeps this table true.
_COMMAND_OWNERS: dict[str, str] = {
    "triage": "orderwatch.triage.commands",
    "hashset": "orderwatch.forensics.hashsets.commands",
    "init": "orderwatch.storage.commands",
    "db": "orderwatch.storage.commands",
    "user": "orderwatch.storage.commands",
    "import-orders": "orderwatch.storage.commands",
    "audit": "orderwatch.storage.commands",
    "serve": "orderwatch.web.commands",
    "demo": "orderwatch.web.commands",
    "agent": "orderwatch.agent.commands",
    "simulate-agent": "orderwatch.monitor.commands",
    "monitor": "orderwatch.monitor.commands",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or (given a known command name) one with just that command's module."""
    parser = argparse.ArgumentParser(
        prog="orderwatch",
        description="Order-compliance monitoring, device triage and image review.",
    )
    parser.add_argument("--version", action="version", version=f"orderwatch {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    owner = _COMMAND_OWNERS.get(command or "")
    for name in (owner,) if owner else _COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def _command_name(argv: Sequence[str]) -> str | None:
    """The first word that is not an option: the sub-command, if any."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_name(words))
    args = parser.parse_args(words)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except OrderwatchError as error:
        print(f"orderwatch: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("orderwatch: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
