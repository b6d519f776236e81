"""The agent's command line and run loop against a scripted loopback server: enrolment (the
credential kept private), refused codes and bad settings in one line, a one-shot run that
announces itself and collects only what the conditions need, and conditions that change."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from agent_fixtures import chrome_history, chrome_visits
from agent_sysfs import add_usb_disk
from scripted_server import Scripted, scripted_server

from orderwatch.agent.config import load_config
from orderwatch.agent.service import AgentService
from orderwatch.agent.status import describe_status
from orderwatch.cli import main
from orderwatch.domain.errors import InvalidInputError

DEVICES_ONLY = [
    {"type": "declare_devices", "label": "Declare all devices", "collect": ["usb_device"]}
]
WITH_HISTORY = [
    *DEVICES_ONLY,
    {
        "type": "retain_history",
        "label": "Retain browsing history",
        "collect": ["browser_visit", "history_deletion", "app_event"],
    },
]


def _enrolment(conditions: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    return (
        201,
        {
            "device_id": 9,
            "credential": "owd_test-credential",
            "conditions": conditions,
            "max_batch_observations": 50,
            "max_batch_bytes": 100_000,
        },
    )


def test_enrol_keeps_the_credential_private_and_refuses_a_second_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "agent"
    script = Scripted(answers=[_enrolment(DEVICES_ONLY)])
    with scripted_server(script) as url:
        code = main(
            [
                "agent",
                "enrol",
                "--server",
                url + "/",
                "--code",
                "7KQ2M-XW9DA",
                "--hostname",
                "laptop-1",
                "--data-dir",
                str(data),
            ]
        )
        assert code == 0
        out = capsys.readouterr().out
        assert f"enrolled as monitored device 9 with {url}" in out
        assert "on: removable storage devices connected [usb_device] for declare_devices" in out
        assert "off: browser history" in out
        assert (
            main(["agent", "enrol", "--server", url, "--code", "X", "--data-dir", str(data)]) == 2
        )
    assert "already enrolled" in capsys.readouterr().err
    [request] = script.requests
    assert request["path"] == "/api/v1/agent/enrol"
    assert request["body"]["code"] == "7KQ2M-XW9DA" and request["body"]["hostname"] == "laptop-1"
    credential = data / "credential"
    assert credential.read_text() == "owd_test-credential\n"
    assert oct(credential.stat().st_mode & 0o777) == "0o600"
    assert oct(data.stat().st_mode & 0o777) == "0o711"
    saved = json.loads((data / "enrolment.json").read_text())
    assert saved["server"] == url and saved["device_id"] == 9
    assert "owd_test-credential" not in (data / "enrolment.json").read_text()


def test_a_refused_code_and_a_bad_server_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    refusal = "enrolment code unknown, already used or expired; ask the officer for a new one"
    script = Scripted(answers=[(401, {"detail": refusal})])
    with scripted_server(script) as url:
        assert (
            main(
                [
                    "agent",
                    "enrol",
                    "--server",
                    url,
                    "--code",
                    "OLD",
                    "--data-dir",
                    str(tmp_path / "a"),
                ]
            )
            == 2
        )
    assert capsys.readouterr().err == f"orderwatch: error: enrolment refused: {refusal}\n"
    assert (
        main(
            [
                "agent",
                "enrol",
                "--server",
                "monitor.example",
                "--code",
                "X",
                "--data-dir",
                str(tmp_path / "b"),
            ]
        )
        == 2
    )
    assert "give its URL, e.g. https://monitor.example" in capsys.readouterr().err
    assert main(["agent", "run", "--once", "--data-dir", str(tmp_path / "c")]) == 2
    assert "this agent is not enrolled" in capsys.readouterr().err


def test_bad_settings_name_every_problem(tmp_path: Path) -> None:
    (tmp_path / "agent.toml").write_text("interval_seconds = -1\nimage_folder = ['x']\n")
    with pytest.raises(InvalidInputError) as caught:
        load_config(tmp_path)
    message = str(caught.value)
    assert "interval_seconds: Input should be greater than 0" in message
    assert "image_folder: Extra inputs are not permitted" in message


def _enrolled(tmp_path: Path, url: str, conditions: list[dict[str, Any]]) -> Path:
    data = tmp_path / "agent"
    script = Scripted(answers=[_enrolment(conditions)])
    with scripted_server(script) as enrol_url:
        assert (
            main(["agent", "enrol", "--server", enrol_url, "--code", "C", "--data-dir", str(data)])
            == 0
        )
    saved = json.loads((data / "enrolment.json").read_text())
    saved["server"] = url
    (data / "enrolment.json").write_text(json.dumps(saved))
    return data


def test_a_one_shot_run_announces_itself_and_sends_only_what_is_needed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "home"
    chrome_visits(
        chrome_history(home / ".config/google-chrome/Default"),
        [("https://example.org/", "Example", datetime.now(UTC) - timedelta(hours=1))],
    )
    sysfs = tmp_path / "sysfs"
    add_usb_disk(sysfs, "sdb", "1-2", vendor="Kingston", product="DataTraveler", serial="0019E0")
    script = Scripted(config={"device_id": 9, "conditions": DEVICES_ONLY})
    with scripted_server(script) as url:
        data = _enrolled(tmp_path, url, DEVICES_ONLY)
        (data / "agent.toml").write_text(
            f'home = "{home}"\nsysfs_root = "{sysfs}"\nsoftware_roots = []\n'
        )
        caplog.set_level(logging.INFO, logger="orderwatch.agent")
        service = AgentService(data)
        service.run(once=True)
    log = caplog.text
    assert "orderwatch-agent" in log and "for monitored device 9 enrolled with" in log
    assert "collecting off: browser history (visits, searches, downloads, deletions) " in log
    assert "collecting on: removable storage devices connected [usb_device]" in log
    kinds = sorted(
        o["kind"] for r in script.requests if "body" in r for o in r["body"]["observations"]
    )
    assert kinds == ["heartbeat", "usb_device"]  # no browsing: the order does not ask for it
    assert all(r["auth"] == "Bearer owd_test-credential" for r in script.requests)
    status = json.loads((data / "status.json").read_text())
    assert status["state"] == "stopped" and status["backlog"]["observations"] == 0
    assert status["collectors"]["browser_history"] == {"on": False}
    assert status["collectors"]["removable_storage"]["on"] is True
    lines = describe_status(data)
    assert lines[0].startswith("orderwatch-agent ") and "not running" in lines[0]
    assert "backlog: 0 observation(s), 0.0 MB waiting" in lines


def test_changed_conditions_switch_collectors_on(tmp_path: Path) -> None:
    home = tmp_path / "home"
    history = chrome_history(home / ".config/google-chrome/Default")
    chrome_visits(
        history, [("https://example.org/", "Example", datetime.now(UTC) - timedelta(hours=1))]
    )
    script = Scripted(config={"device_id": 9, "conditions": DEVICES_ONLY})
    with scripted_server(script) as url:
        data = _enrolled(tmp_path, url, DEVICES_ONLY)
        (data / "agent.toml").write_text(
            f'home = "{home}"\nsysfs_root = "{tmp_path}"\nsoftware_roots = []\n'
            "config_refresh_minutes = 0.00001\nbrowser_scan_seconds = 0\n"
        )
        service = AgentService(data)
        service.start()
        try:
            service.run_cycle()
            assert not service.plan.collector_on("browser_history")
            script.config = {"device_id": 9, "conditions": WITH_HISTORY}  # the order changed
            service.run_cycle()
            assert service.plan.collector_on("browser_history")
        finally:
            service.stop("test over")
    sent = [o for r in script.requests if "body" in r for o in r["body"]["observations"]]
    assert [o["url"] for o in sent if o["kind"] == "browser_visit"] == ["https://example.org/"]
    saved = json.loads((data / "enrolment.json").read_text())
    assert [c["type"] for c in saved["conditions"]] == ["declare_devices", "retain_history"]
