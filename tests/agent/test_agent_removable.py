"""Removable storage through the Linux sysfs back-end, over a fake sysfs tree: USB disks are
seen with their ids and serial, internal and virtual disks are not, each connection is said once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from agent_fixtures import NOW, Clock, make_context, run, spooled
from agent_sysfs import add_internal_disk, add_loop_device, add_usb_disk, remove_disk

from orderwatch.agent.collectors.removable import LinuxSysfsSource, RemovableStorageCollector


def test_the_sysfs_back_end_lists_usb_disks_only(tmp_path: Path) -> None:
    root = tmp_path / "root"
    add_internal_disk(root)
    add_loop_device(root)
    add_usb_disk(root, "sdb", "1-2", vendor="SanDisk", product="Cruzer Blade", serial="4C53000123")
    add_usb_disk(
        root,
        "sdc",
        "1-3",
        vendor="Generic",
        product="Flash Disk",
        serial=None,
        vid="058f",
        pid="6387",
        minor=32,
        udev_serial="AA00000000011905",
    )
    devices = LinuxSysfsSource(root).devices()
    assert [(d.node, d.vendor, d.product, d.serial, d.vid, d.pid) for d in devices] == [
        ("/dev/sdb", "SanDisk", "Cruzer Blade", "4C53000123", "0781", "5567"),
        ("/dev/sdc", "Generic", "Flash Disk", "AA00000000011905", "058f", "6387"),
    ]
    assert devices[0].key == "usb:4C53000123"
    assert devices[0].size_bytes == 30031872 * 512


def test_a_missing_sysfs_gives_no_devices(tmp_path: Path) -> None:
    assert LinuxSysfsSource(tmp_path / "nothing").devices() == []


def test_each_connection_is_one_usb_device_observation(tmp_path: Path) -> None:
    root = tmp_path / "root"
    add_internal_disk(root)
    clock = Clock()
    context = make_context(tmp_path, clock=clock, sysfs_root=root)
    collector = RemovableStorageCollector()
    assert run(collector, context) == 0

    add_usb_disk(root, "sdb", "1-2", vendor="Kingston", product="DataTraveler", serial="0019E06B")
    clock.now = NOW + timedelta(minutes=1)
    assert run(collector, context) == 1
    assert run(collector, context) == 0  # still connected: not said again
    [first] = spooled(context, "usb_device")
    assert first["vendor"] == "Kingston" and first["product"] == "DataTraveler"
    assert first["serial"] == "0019E06B"
    assert first["first_seen"] == first["last_seen"] == "2026-06-01T12:01:00Z"
    assert first["provenance"]["path"] == "/dev/sdb"
    assert (first["vid"], first["pid"]) == ("0781", "5567")
    assert "usb storage connected 0781:5567" in first["provenance"]["record"]

    remove_disk(root, "sdb")
    clock.now = NOW + timedelta(hours=2)
    assert run(collector, context) == 0
    add_usb_disk(root, "sdd", "1-4", vendor="Kingston", product="DataTraveler", serial="0019E06B")
    assert run(collector, context) == 1  # plugged in again: a new connection
    second = spooled(context, "usb_device")[1]
    assert second["first_seen"] == "2026-06-01T12:01:00Z"  # first seen by the agent, kept
    assert second["last_seen"] == "2026-06-01T14:00:00Z"
    assert second["id"] != first["id"]
