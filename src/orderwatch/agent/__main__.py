"""`orderwatch-agent` (or `python -m orderwatch.agent`): the agent's own lean command.

It loads only the agent (no web, storage or triage modules), which keeps the resident agent
small: about half the memory of `orderwatch agent run`, which loads every area's commands.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from orderwatch import __version__
from orderwatch.agent.commands import ABOUT, add_actions
from orderwatch.domain.errors import OrderwatchError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="orderwatch-agent", description=ABOUT)
    parser.add_argument("--version", action="version", version=f"orderwatch-agent {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    add_actions(parser.add_subparsers(dest="agent_action", metavar="ACTION", required=True))
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except OrderwatchError as error:
        print(f"orderwatch-agent: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
