"""Removable storage connected to the device, through a platform interface.

`RemovableStorageSource.devices()` lists the storage devices attached now; the Linux back-end
reads sysfs (`/sys/block/*`, walking up to the USB device for its ids and serial) and udev's
database (`/run/udev/data/b<major>:<minor>`) under a root that tests point at a fake tree. A
device that appears (absent at the previous look) becomes a `usb_device` observation.
Windows (SetupAPI / WMI Win32_DiskDrive) and macOS (IOKit / `diskutil list -plist`) back-ends
implement the same interface.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from orderwatch.agent.collectors.base import CollectContext, Collector, CollectorReport
from orderwatch.agent.config import AgentConfig
from orderwatch.domain.observations import UsbDeviceObservation, format_time, parse_time

NAME = "agent_removable_storage"
PRESENT_KEY = "removable.present"  # state: device key -> {"since": iso}
KNOWN_KEY = "removable.first_seen"  # state: device key -> first seen by this agent
_SKIPPED_PREFIXES = ("loop", "ram", "zram", "dm-", "md", "sr", "nbd", "nvme")


@dataclass(frozen=True)
class RemovableDevice:
    """A storage device attached now, as far as the platform tells."""

    key: str  # stable across re-plugs: the serial, else the ids and the block name
    vendor: str | None
    product: str | None
    serial: str | None
    vid: str | None = None
    pid: str | None = None
    bus: str = "usb"
    node: str | None = None  # e.g. /dev/sdb
    size_bytes: int | None = None


class RemovableStorageSource(Protocol):
    """A platform back-end: what removable storage is attached now."""

    def devices(self) -> list[RemovableDevice]: ...


class LinuxSysfsSource:
    """Linux: removable or USB-attached block devices under `root`/sys/block."""

    def __init__(self, root: Path = Path("/")) -> None:
        self.root = root

    def devices(self) -> list[RemovableDevice]:
        block = self.root / "sys" / "block"
        try:
            names = sorted(os.listdir(block))
        except OSError:
            return []
        found = []
        for name in names:
            if name.startswith(_SKIPPED_PREFIXES):
                continue
            device = self._device(block / name, name)
            if device is not None:
                found.append(device)
        return found

    def _device(self, folder: Path, name: str) -> RemovableDevice | None:
        real = Path(os.path.realpath(folder))
        usb = _usb_parent(Path(os.path.realpath(folder / "device")), self.root)
        removable = _read(folder / "removable") == "1"
        if usb is None and not removable:
            return None  # a fixed internal disk
        udev = self._udev(folder)
        vendor = _read(usb / "manufacturer") if usb else None
        product = _read(usb / "product") if usb else None
        serial = _read(usb / "serial") if usb else None
        vendor = vendor or udev.get("ID_VENDOR") or _read(folder / "device" / "vendor")
        product = product or udev.get("ID_MODEL") or _read(folder / "device" / "model")
        serial = serial or udev.get("ID_SERIAL_SHORT")
        vid = _read(usb / "idVendor") if usb else udev.get("ID_VENDOR_ID")
        pid = _read(usb / "idProduct") if usb else udev.get("ID_MODEL_ID")
        sectors = _read(folder / "size")
        size = int(sectors) * 512 if sectors and sectors.isdigit() else None
        bus = "usb" if usb is not None else ("mmc" if "/mmc" in real.as_posix() else "other")
        key = serial or f"{vid or '?'}:{pid or '?'}:{product or name}"
        return RemovableDevice(
            key=f"{bus}:{key}",
            vendor=vendor,
            product=product,
            serial=serial,
            vid=vid,
            pid=pid,
            bus=bus,
            node=f"/dev/{name}",
            size_bytes=size,
        )

    def _udev(self, folder: Path) -> dict[str, str]:
        """udev's properties of the block device (E:KEY=VALUE lines), if its database is there."""
        numbers = _read(folder / "dev")
        if not numbers:
            return {}
        try:
            text = (self.root / "run" / "udev" / "data" / f"b{numbers}").read_text(
                "utf-8", "replace"
            )
        except OSError:
            return {}
        values = {}
        for line in text.splitlines():
            if line.startswith("E:") and "=" in line:
                key, _, value = line[2:].partition("=")
                values[key] = value.strip()
        return values


def platform_source(config: AgentConfig) -> RemovableStorageSource | None:
    """The back-end for this platform, or None where none exists yet."""
    if sys.platform.startswith("linux"):
        return LinuxSysfsSource(config.sysfs_root)
    return None


class RemovableStorageCollector(Collector):
    """A `usb_device` observation each time a removable storage device is connected."""

    NAME = "removable_storage"

    def __init__(self, source: RemovableStorageSource | None = None) -> None:
        self.source = source

    def interval(self, config: AgentConfig) -> float:
        return config.removable_scan_seconds

    def collect(self, context: CollectContext) -> CollectorReport:
        report = CollectorReport()
        source = self.source or platform_source(context.config)
        if source is None:
            report.note = f"no removable-storage back-end for {sys.platform} yet"
            return report
        devices = source.devices()
        report.examined = len(devices)
        now = context.clock()
        with context.spool.transaction() as writer:
            present = json.loads(writer.get_state(PRESENT_KEY) or "{}")
            known = json.loads(writer.get_state(KNOWN_KEY) or "{}")
            current = {}
            for device in devices:
                since = present.get(device.key, {}).get("since")
                if since is None:
                    since = format_time(now)
                    known.setdefault(device.key, since)
                    writer.add(self._observation(context, device, now, known[device.key]))
                current[device.key] = {"since": since}
            writer.set_state(PRESENT_KEY, json.dumps(current))
            writer.set_state(KNOWN_KEY, json.dumps(known))
        report.spooled = writer.added
        return report

    @staticmethod
    def _observation(
        context: CollectContext, device: RemovableDevice, now: datetime, first_seen: str
    ) -> UsbDeviceObservation:
        size = f", {device.size_bytes:,} bytes" if device.size_bytes else ""
        ids = f" {device.vid}:{device.pid}" if device.vid or device.pid else ""
        return UsbDeviceObservation(
            id=context.observation_id(NAME, device.key, format_time(now)),
            time=now,
            provenance=context.provenance(
                NAME, device.node, f"{device.bus} storage connected{ids}{size}"
            ),
            vendor=device.vendor,
            product=device.product,
            serial=device.serial,
            first_seen=parse_time(first_seen),
            last_seen=now,
            vid=device.vid,
            pid=device.pid,
        )


def _usb_parent(device: Path, root: Path) -> Path | None:
    """The USB device folder (with idVendor) above a block device's `device` link, if any."""
    stop = Path(os.path.realpath(root))
    current = device
    for _ in range(12):
        if (current / "idVendor").is_file():
            return current
        if current == stop or current.parent == current:
            return None
        current = current.parent
    return None


def _read(path: Path) -> str | None:
    try:
        text = path.read_text("utf-8", errors="replace").strip()
    except OSError:
        return None
    return text or None
