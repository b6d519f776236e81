"""What a SYSTEM hive says about USB devices: USBSTOR, Enum\\USB, volumes, MountedDevices.

Plain functions over an opened hive, used by the SYSTEM hive parser and by tests. Only the
current control set (Select\\Current) is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from regipy.registry import NKRecord

from orderwatch.forensics.parsers.registry.hive_reader import (
    OpenedHive,
    child,
    datetime_to_filetime,
    filetime_text,
    filetime_to_datetime,
    key_last_write,
    resource_text,
    subkeys,
    text,
    values,
)

# Device property sets (devpkey.h): install/arrival/removal dates and the bus-reported name.
_DATES_SET = "{83da6326-97a6-4088-9453-a1923f573b29}"
_NAME_SET = "{540b947e-8b40-45bc-a8a2-6a0b894cbda2}"
_DATE_LABELS = {
    0x64: "InstallDate",
    0x65: "FirstInstallDate",
    0x66: "LastArrivalDate",
    0x67: "LastRemovalDate",
}
_USBSTOR_REFERENCE = re.compile(r"USBSTOR#([^#\\]+)#([^#\\]+)#", re.IGNORECASE)
_VOLUME_ENUMERATORS = (r"WpdBusEnumRoot\UMB", r"SWD\WPDBUSENUM", r"STORAGE\Volume")


@dataclass(frozen=True)
class UsbStorageDevice:
    """One Enum\\USBSTOR instance: a USB disk or optical drive that Windows installed."""

    key_path: str
    device_type: str | None  # Disk, CdRom ...
    vendor: str | None
    product: str | None
    revision: str | None
    instance_id: str
    serial: str
    friendly_name: str | None
    last_write: datetime | None
    dates: dict[str, datetime] = field(default_factory=dict)  # by _DATE_LABELS name
    stored_times: tuple[str, ...] = ()  # each time as stored, for provenance

    @property
    def first_seen(self) -> datetime | None:
        found = [self.dates[k] for k in ("FirstInstallDate", "InstallDate") if k in self.dates]
        return min(found) if found else None


@dataclass(frozen=True)
class UsbEnumEntry:
    """One Enum\\USB instance, classified so that hubs and input devices can be told apart."""

    key_path: str
    vid: str | None
    pid: str | None
    instance_id: str
    service: str | None
    device_class: str | None
    description: str | None
    friendly_name: str | None
    manufacturer: str | None
    last_write: datetime | None
    last_write_stored: str
    kind: str  # storage | portable | hub | hid | composite | other


@dataclass(frozen=True)
class MountedDevice:
    """One MountedDevices value: a drive letter or volume and the device it was given to."""

    value_name: str
    drive_letter: str | None  # "E:"
    target: str | None  # the device path stored, when the data is text
    usbstor: tuple[str, str] | None  # (Disk&Ven_..&Prod_..&Rev_.., instance id)


def current_control_set(opened: OpenedHive) -> tuple[str, str | None]:
    """The control set Windows last booted with (Select\\Current), and a note when guessed."""
    current = values(opened.key(r"\Select")).get("Current")
    if isinstance(current, int) and opened.key(rf"\ControlSet{current:03d}") is not None:
        return f"ControlSet{current:03d}", None
    found = sorted(
        k.name for k in subkeys(opened.hive.root) if k.name.lower().startswith("controlset")
    )
    if not found:
        raise ValueError("SYSTEM hive has no ControlSet key")
    return found[0], f"Select\\Current missing or invalid; read {found[0]}"


def parse_usbstor_class(name: str) -> tuple[str | None, str | None, str | None, str | None]:
    """`Disk&Ven_HP&Prod_v100w&Rev_1024` -> ("Disk", "HP", "v100w", "1024"); parts may be None."""
    device_type = vendor = product = revision = None
    for index, part in enumerate(name.split("&")):
        lowered = part.lower()
        if lowered.startswith("ven_"):
            vendor = part[4:] or None
        elif lowered.startswith("prod_"):
            product = part[5:] or None
        elif lowered.startswith("rev_"):
            revision = part[4:] or None
        elif index == 0:
            device_type = part or None
    return device_type, vendor, product, revision


def device_serial(instance_id: str) -> str:
    """The device's own serial from an instance id (`AA95...7252&0` -> `AA95...7252`).

    Windows appends `&<LUN>` to a real serial; an id whose second character is `&` was made up
    by Windows because the device reports none, and is kept whole.
    """
    if len(instance_id) > 1 and instance_id[1] == "&":
        return instance_id
    head, sep, tail = instance_id.rpartition("&")
    return head if sep and tail.isdigit() and head else instance_id


def _property_dates(instance: NKRecord) -> tuple[dict[str, datetime], list[str]]:
    """Install/arrival/removal dates in both layouts: Windows 7 (`00000065\\00000000`, value
    `Data`) and Windows 8+ (`0065`, default value of DEVPROP type FILETIME)."""
    dates: dict[str, datetime] = {}
    stored: list[str] = []
    for key in subkeys(child(child(instance, "Properties"), _DATES_SET)):
        try:
            label = _DATE_LABELS.get(int(key.name, 16))
        except ValueError:
            continue
        if label is None:
            continue
        raw = values(key).get("(default)")
        if raw is None:
            raw = values(child(key, "00000000")).get("Data")
        when, shown = None, None
        if isinstance(raw, datetime):
            when, shown = raw, filetime_text(datetime_to_filetime(raw))
        elif isinstance(raw, bytes) and len(raw) == 8:
            number = int.from_bytes(raw, "little")
            when, shown = filetime_to_datetime(number), filetime_text(number)
        if when is not None and shown is not None:
            dates[label] = when
            stored.append(f"{label} {shown}")
    return dates, stored


def _bus_reported_name(instance: NKRecord) -> str | None:
    key = child(child(child(instance, "Properties"), _NAME_SET), "0004") or child(
        child(child(instance, "Properties"), _NAME_SET), "00000004"
    )
    raw = values(key).get("(default)")
    if raw is None:
        raw = values(child(key, "00000000")).get("Data")
    return text(raw)


def read_usbstor(opened: OpenedHive, control_set: str) -> list[UsbStorageDevice]:
    """Every Enum\\USBSTOR device instance of the control set."""
    base = rf"\{control_set}\Enum\USBSTOR"
    devices = []
    for device_class in subkeys(opened.key(base)):
        device_type, vendor, product, revision = parse_usbstor_class(device_class.name)
        for instance in subkeys(device_class):
            last_write, last_write_stored = key_last_write(instance)
            found = values(instance)
            dates, stored = _property_dates(instance)
            devices.append(
                UsbStorageDevice(
                    key_path=rf"{base}\{device_class.name}\{instance.name}",
                    device_type=device_type,
                    vendor=vendor,
                    product=product,
                    revision=revision,
                    instance_id=instance.name,
                    serial=device_serial(instance.name),
                    friendly_name=text(found.get("FriendlyName")) or _bus_reported_name(instance),
                    last_write=last_write,
                    dates=dates,
                    stored_times=(*stored, f"key last write {last_write_stored}"),
                )
            )
    return devices


def _kind(service: str | None, device_class: str | None, description: str | None) -> str:
    service_l, class_l = (service or "").lower(), (device_class or "").lower()
    if service_l in ("usbstor", "uaspstor"):
        return "storage"
    if class_l == "wpd" or service_l in ("wudfrd", "wpdusb"):
        return "portable"
    if service_l.startswith("usbhub") or "hub" in (description or "").lower():
        return "hub"
    if service_l == "hidusb" or class_l == "hidclass":
        return "hid"
    if service_l == "usbccgp":
        return "composite"
    return "other"


def read_usb_enum(opened: OpenedHive, control_set: str) -> list[UsbEnumEntry]:
    """Every Enum\\USB device instance of the control set (hubs and input devices included)."""
    base = rf"\{control_set}\Enum\USB"
    entries = []
    for device_id in subkeys(opened.key(base)):
        ids = dict(re.findall(r"(VID|PID)_([0-9A-Fa-f]{4})", device_id.name.upper()))
        for instance in subkeys(device_id):
            found = values(instance)
            service, device_class = text(found.get("Service")), text(found.get("Class"))
            description = resource_text(found.get("DeviceDesc"))
            last_write, stored = key_last_write(instance)
            entries.append(
                UsbEnumEntry(
                    key_path=rf"{base}\{device_id.name}\{instance.name}",
                    vid=ids.get("VID"),
                    pid=ids.get("PID"),
                    instance_id=instance.name,
                    service=service,
                    device_class=device_class,
                    description=description,
                    friendly_name=text(found.get("FriendlyName")),
                    manufacturer=resource_text(found.get("Mfg")),
                    last_write=last_write,
                    last_write_stored=stored,
                    kind=_kind(service, device_class, description),
                )
            )
    return entries


def read_volume_labels(opened: OpenedHive, control_set: str) -> dict[tuple[str, str], str | None]:
    """USBSTOR devices named by the volume enumerators (WPD, STORAGE\\Volume), with the volume
    label Windows showed (FriendlyName of WpdBusEnumRoot entries) where there is one."""
    found: dict[tuple[str, str], str | None] = {}
    for enumerator in _VOLUME_ENUMERATORS:
        for instance in subkeys(opened.key(rf"\{control_set}\Enum\{enumerator}")):
            reference = _USBSTOR_REFERENCE.search(instance.name)
            if reference is None:
                continue
            key = (reference.group(1).casefold(), reference.group(2).casefold())
            label = (
                text(values(instance).get("FriendlyName")) if "wpd" in enumerator.lower() else None
            )
            found[key] = found.get(key) or label
    return found


def read_mounted_devices(opened: OpenedHive) -> list[MountedDevice]:
    """Every MountedDevices value, with the USBSTOR device it names when it names one."""
    mounted = []
    for name, data in values(opened.key(r"\MountedDevices")).items():
        target = None
        if isinstance(data, bytes) and len(data) > 24:
            target = data.decode("utf-16-le", errors="replace").rstrip("\x00") or None
        letter = re.fullmatch(r"\\DosDevices\\([A-Za-z]:)", name)
        reference = _USBSTOR_REFERENCE.search(target or "")
        mounted.append(
            MountedDevice(
                value_name=name,
                drive_letter=letter.group(1).upper() if letter else None,
                target=target,
                usbstor=(reference.group(1), reference.group(2)) if reference else None,
            )
        )
    return mounted
