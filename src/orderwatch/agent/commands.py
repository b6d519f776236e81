"""`orderwatch agent enrol|run|status`: the device agent's command line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import sys
from pathlib import Path
from typing import Any

from orderwatch import __version__
from orderwatch.agent.client import ServerClient
from orderwatch.agent.config import (
    ENROLMENT_FILE,
    PROCESS_NAME,
    Enrolment,
    default_agent_dir,
    load_config,
    save_enrolment,
)
from orderwatch.agent.plan import collection_plan
from orderwatch.agent.spool import utc_now
from orderwatch.agent.status import describe_status, live_backlog, read_status
from orderwatch.domain.errors import OrderwatchError
from orderwatch.domain.observations import format_time

ABOUT = (
    "Runs on a monitored device under a court order: collects what the order's conditions need "
    "and sends it to the unit's monitoring server. It announces itself (log, status file, process "
    "name orderwatch-agent) and reads no keystrokes, passwords or cookies."
)


def register(subparsers: Any) -> None:
    """Add `agent` and its actions to the orderwatch command."""
    parser = subparsers.add_parser(
        "agent", help="the overt monitoring agent for a managed person's device", description=ABOUT
    )
    actions = parser.add_subparsers(dest="agent_action", metavar="ACTION", required=True)
    add_actions(actions)


def add_actions(actions: Any) -> None:
    """enrol, run, status: under `orderwatch agent`, or at the top of `orderwatch-agent`."""
    enrol = actions.add_parser("enrol", help="exchange an officer's one-time code for this device")
    enrol.add_argument("--server", required=True, help="the monitoring server's URL")
    enrol.add_argument("--code", required=True, help="the one-time enrolment code")
    enrol.add_argument("--hostname", default=None, help="how this device names itself")
    enrol.add_argument("--force", action="store_true", help="replace an existing enrolment")
    _data_dir(enrol)
    enrol.set_defaults(func=_enrol)

    run = actions.add_parser("run", help="collect and upload until stopped")
    run.add_argument("--once", action="store_true", help="one cycle, upload everything, exit")
    run.add_argument("--interval", type=float, default=None, metavar="S", help="seconds per cycle")
    _data_dir(run)
    run.set_defaults(func=_run)

    status = actions.add_parser("status", help="what is collected, last upload, backlog")
    status.add_argument("--json", action="store_true", help="the status file and live backlog")
    _data_dir(status)
    status.set_defaults(func=_status)


def _data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="the agent's folder (ORDERWATCH_AGENT_DIR; /var/lib/orderwatch-agent for root)",
    )


def _enrol(args: argparse.Namespace) -> int:
    data_dir: Path = args.data_dir or default_agent_dir()
    existing = data_dir / ENROLMENT_FILE
    if existing.is_file() and not args.force:
        raise OrderwatchError(
            f"this agent is already enrolled ({existing}); add --force to replace the enrolment"
        )
    load_config(data_dir)  # a bad agent.toml is reported now, not at the first run
    hostname = args.hostname or socket.gethostname()
    client = ServerClient(args.server)
    try:
        answer = client.enrol(args.code, hostname, __version__)
    finally:
        client.close()
    try:
        device_id = int(answer["device_id"])
        credential = str(answer["credential"])
        conditions = list(answer.get("conditions") or [])
    except (KeyError, TypeError, ValueError):
        raise OrderwatchError(f"{client.server} answered the enrolment without a device") from None
    enrolment = Enrolment(
        server=client.server,
        device_id=device_id,
        conditions=conditions,
        hostname=hostname,
        enrolled_at=format_time(utc_now()) or "",
        agent_version=__version__,
        max_batch_observations=int(answer.get("max_batch_observations") or 1000),
        max_batch_bytes=int(answer.get("max_batch_bytes") or 4 * 1024 * 1024),
    )
    save_enrolment(data_dir, enrolment, credential)
    print(f"enrolled as monitored device {device_id} with {client.server}")
    print(f"credential kept in {data_dir} (readable by its owner only)")
    for line in collection_plan(conditions).describe():
        print(f"  {line}")
    print(
        "start it with: orderwatch agent run" + (f" --data-dir {data_dir}" if args.data_dir else "")
    )
    return 0


def _run(args: argparse.Namespace) -> int:
    from orderwatch.agent.service import AgentService, set_process_name

    data_dir: Path = args.data_dir or default_agent_dir()
    os.umask(0o077)
    set_process_name(PROCESS_NAME)  # plainly named in ps/top: no disguise
    agent_log = logging.getLogger("orderwatch.agent")
    agent_log.setLevel(logging.INFO)  # the start announcement is always shown
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    service = AgentService(data_dir)
    service.run(once=args.once, interval=args.interval)
    return 0


def _status(args: argparse.Namespace) -> int:
    data_dir: Path = args.data_dir or default_agent_dir()
    if args.json:
        json.dump(
            {"status": read_status(data_dir), "backlog": live_backlog(data_dir)},
            sys.stdout,
            indent=2,
        )
        print()
        return 0
    for line in describe_status(data_dir):
        print(line)
    return 0
