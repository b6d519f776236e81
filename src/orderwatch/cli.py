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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orderwatch",
        description="Order-compliance monitoring, device triage and image review.",
    )
    parser.add_argument("--version", action="version", version=f"orderwatch {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
