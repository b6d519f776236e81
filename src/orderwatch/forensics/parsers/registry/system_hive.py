"""SYSTEM hive parser: USB storage and portable devices of the current control set.

One `usb_device` observation per USB disk (USBSTOR, joined with its Enum\\USB parent by serial),
per portable device (phones and cameras, WPD class), and per device that only the volume
enumerators or MountedDevices still name (its USBSTOR key was removed). Hubs, input devices and
composite parents are read but not reported: they are not storage and would bury what matters.
"""

from __future__ import annotations

from datetime import datetime

from orderwatch.domain.observations import UsbDeviceObservation
from orderwatch.forensics.parsers.interface import Artefact, ParserMediator
from orderwatch.forensics.parsers.manager import registry
from orderwatch.forensics.parsers.registry.hive_reader import HiveParser, OpenedHive
from orderwatch.forensics.parsers.registry.usb_devices import (
    UsbEnumEntry,
    UsbStorageDevice,
    current_control_set,
    device_serial,
    parse_usbstor_class,
    read_mounted_devices,
    read_usb_enum,
    read_usbstor,
    read_volume_labels,
)


class WindowsSystemHiveParser(HiveParser):
    """USB devices from Windows/System32/config/SYSTEM (and RegBack copies)."""

    NAME = "windows_system_hive"
    DESCRIPTION = "USB storage and portable devices from the SYSTEM registry hive"
    HIVE_NAME = "SYSTEM"

    def parse_hive(self, artefact: Artefact, mediator: ParserMediator, opened: OpenedHive) -> None:
        control_set, note = current_control_set(opened)
        if note:
            opened.notes.append(note)
        usb_entries = read_usb_enum(opened, control_set)
        reported: set[tuple[str, str]] = set()
        parents: set[str] = set()
        for device in read_usbstor(opened, control_set):
            parent = _usb_parent(device, usb_entries)
            if parent is not None:
                parents.add(parent.key_path)
            reported.add(_reference_key(device.key_path))
            self._report_storage(artefact, mediator, device, parent)
        for entry in usb_entries:
            if entry.kind == "portable" or (
                entry.kind == "storage" and entry.key_path not in parents
            ):
                self._report_usb_entry(artefact, mediator, entry)
        self._report_leftovers(artefact, mediator, opened, control_set, reported)

    def _report_storage(
        self,
        artefact: Artefact,
        mediator: ParserMediator,
        device: UsbStorageDevice,
        parent: UsbEnumEntry | None,
    ) -> None:
        stored = list(device.stored_times)
        if parent is not None:
            stored.append(f"USB parent key last write {parent.last_write_stored}")
        last_seen = device.dates.get("LastArrivalDate") or _latest(
            [device.last_write, parent.last_write if parent else None]
        )
        first_seen = device.first_seen
        record = device.key_path + (f" (parent {parent.key_path})" if parent else "")
        mediator.produce(
            UsbDeviceObservation(
                id=mediator.observation_id(self.NAME, artefact.path, device.key_path),
                time=last_seen or first_seen,
                provenance=mediator.provenance(
                    self.NAME, artefact.path, record=record, original_time="; ".join(stored)
                ),
                vendor=device.vendor,
                product=device.product,
                serial=device.serial,
                first_seen=first_seen,
                last_seen=last_seen,
                revision=device.revision,
                friendly_name=device.friendly_name,
                vid=parent.vid if parent else None,
                pid=parent.pid if parent else None,
            )
        )

    def _report_usb_entry(
        self, artefact: Artefact, mediator: ParserMediator, entry: UsbEnumEntry
    ) -> None:
        mediator.produce(
            UsbDeviceObservation(
                id=mediator.observation_id(self.NAME, artefact.path, entry.key_path),
                time=entry.last_write,
                provenance=mediator.provenance(
                    self.NAME,
                    artefact.path,
                    record=entry.key_path,
                    original_time=f"key last write {entry.last_write_stored}",
                ),
                vendor=entry.manufacturer or (f"VID_{entry.vid}" if entry.vid else None),
                product=entry.friendly_name
                or entry.description
                or (f"PID_{entry.pid}" if entry.pid else None),
                serial=device_serial(entry.instance_id),
                last_seen=entry.last_write,
            )
        )

    def _report_leftovers(
        self,
        artefact: Artefact,
        mediator: ParserMediator,
        opened: OpenedHive,
        control_set: str,
        reported: set[tuple[str, str]],
    ) -> None:
        """Devices named by volume enumerators or MountedDevices but absent from USBSTOR."""
        leftovers: dict[tuple[str, str], tuple[str, str, str]] = {}
        for key in read_volume_labels(opened, control_set):
            leftovers.setdefault(
                key, (key[0], key[1], rf"\{control_set}\Enum (volume enumerators)")
            )
        for mounted in read_mounted_devices(opened):
            if mounted.usbstor is not None:
                key = (mounted.usbstor[0].casefold(), mounted.usbstor[1].casefold())
                leftovers.setdefault(
                    key, (*mounted.usbstor, rf"\MountedDevices\{mounted.value_name}")
                )
        for key, (class_id, instance_id, record) in sorted(leftovers.items()):
            if key in reported:
                continue
            _, vendor, product, _ = parse_usbstor_class(class_id)
            mediator.produce(
                UsbDeviceObservation(
                    id=mediator.observation_id(self.NAME, artefact.path, record, *key),
                    provenance=mediator.provenance(self.NAME, artefact.path, record=record),
                    vendor=vendor,
                    product=product,
                    serial=device_serial(instance_id),
                )
            )


def _reference_key(usbstor_key_path: str) -> tuple[str, str]:
    """(class id, instance id), folded, from `\\ControlSetNNN\\Enum\\USBSTOR\\<class>\\<id>`."""
    parts = usbstor_key_path.split("\\")
    return parts[-2].casefold(), parts[-1].casefold()


def _usb_parent(device: UsbStorageDevice, entries: list[UsbEnumEntry]) -> UsbEnumEntry | None:
    """The Enum\\USB storage instance whose serial is the USBSTOR device's serial."""
    for entry in entries:
        if entry.kind == "storage" and entry.instance_id.casefold() == device.serial.casefold():
            return entry
    return None


def _latest(times: list[datetime | None]) -> datetime | None:
    known = [t for t in times if t is not None]
    return max(known) if known else None


registry.register(WindowsSystemHiveParser)
