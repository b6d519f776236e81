"""Linux and macOS system logs: USB storage connections (plaso's syslog as a negative control)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orderwatch.domain.observations import UsbDeviceObservation
from orderwatch.forensics.parsers.interface import LocalArtefact, ParserMediator
from orderwatch.forensics.parsers.logs.system_log_usb import SystemLogUsbParser

PLASO_SYSLOG = "log2timeline_plaso/test_data/syslog/syslog"


def _kernel(stamp: str, message: str) -> str:
    return f"{stamp} laptop kernel: [ 1234.567890] {message}\n"


def _plug(stamp: str, port: str, vid: str, pid: str, strings: dict[str, str], host: int) -> str:
    lines = [
        f"usb {port}: new high-speed USB device number 5 using xhci_hcd",
        f"usb {port}: New USB device found, idVendor={vid}, idProduct={pid}, bcdDevice= 1.00",
        f"usb {port}: New USB device strings: Mfr=1, Product=2, SerialNumber=3",
        *(f"usb {port}: {field}: {value}" for field, value in strings.items()),
    ]
    if host:
        lines += [
            f"usb-storage {port}:1.0: USB Mass Storage device detected",
            f"scsi host{host}: usb-storage {port}:1.0",
        ]
    return "".join(_kernel(stamp, line) for line in lines)


SANDISK = {"Product": "Cruzer Blade", "Manufacturer": "SanDisk", "SerialNumber": "4C530001230517"}
KEYBOARD = {"Product": "USB Keyboard", "Manufacturer": "Logitech"}


def _parse(path: Path, root: Path) -> ParserMediator:
    mediator = ParserMediator(source="image")
    SystemLogUsbParser().parse(LocalArtefact(path, root), mediator)
    return mediator


def test_the_plaso_syslog_has_no_usb_devices(shared_data: Path) -> None:
    path = shared_data / PLASO_SYSLOG
    if not path.is_file():
        pytest.skip(f"{PLASO_SYSLOG} is absent from {shared_data}")
    mediator = _parse(path, path.parent.parent)
    assert SystemLogUsbParser().matches("/syslog/syslog")
    assert (mediator.observations, mediator.errors) == ([], [])


def test_kern_log_storage_plugged_twice_keyboard_and_hub(tmp_path: Path) -> None:
    text = _kernel("Mar 17 09:59:58", "hub 1-0:1.0: USB hub found")
    text += _plug("Mar 17 10:00:01", "1-1", "0781", "5567", SANDISK, host=6)
    text += _kernel("Mar 17 10:20:00", "usb 1-1: USB disconnect, device number 5")
    text += _plug("Mar 17 10:30:00", "1-2", "046d", "c31c", KEYBOARD, host=0)
    text += _plug("Mar 17 11:00:00", "1-1", "0781", "5567", SANDISK, host=7)
    path = tmp_path / "var" / "log" / "kern.log"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    mediator = _parse(path, tmp_path)
    assert mediator.errors == []
    (device,) = mediator.observations
    assert isinstance(device, UsbDeviceObservation)
    assert (device.vendor, device.product, device.serial) == (
        "SanDisk",
        "Cruzer Blade",
        "4C530001230517",
    )
    assert (device.time, device.first_seen, device.last_seen) == (None, None, None)  # no year
    assert device.provenance.record == "line(s) 3, 17"  # the "New USB device found" lines
    assert device.provenance.original_time == (
        "Mar 17 10:00:01 (no year in the log); Mar 17 11:00:00 (no year in the log)"
    )


def test_rfc3339_syslog_gives_times_and_uas_counts_as_storage(tmp_path: Path) -> None:
    first, later = "2024-03-17T10:00:01.500000+00:00", "2024-03-17T10:45:00+01:00"
    text = _plug(first, "2-1", "0bc2", "2344", {"Product": "Portable", "SerialNumber": "NA8"}, 0)
    text += _kernel(first, "scsi host4: uas")
    text += _kernel(later, "usb 2-1: USB disconnect, device number 3")
    text += _plug(later, "3-1", "04e8", "6860", {"Product": "SAMSUNG_Android"}, host=0)
    path = tmp_path / "var" / "log" / "syslog.1.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(text.encode()))
    mediator = _parse(path, tmp_path)
    assert mediator.errors == []
    disk, phone = mediator.observations
    assert isinstance(disk, UsbDeviceObservation) and isinstance(phone, UsbDeviceObservation)
    assert (disk.vendor, disk.product, disk.serial) == ("VID_0BC2", "Portable", "NA8")
    assert disk.first_seen == datetime(2024, 3, 17, 10, 0, 1, 500000, tzinfo=UTC)
    assert disk.last_seen == datetime(2024, 3, 17, 9, 45, tzinfo=UTC)
    assert (phone.product, phone.serial) == ("SAMSUNG_Android", None)


def test_macos_usbmsc_lines(tmp_path: Path) -> None:
    path = tmp_path / "private" / "var" / "log" / "system.log"
    path.parent.mkdir(parents=True)
    path.write_text(
        "Mar 17 10:00:01 MacBook kernel[0]: USBMSC Identifier (non-unique): "
        "4C530001230517 0x781 0x5567 0x100, 2\n"
    )
    mediator = _parse(path, tmp_path)
    (device,) = mediator.observations
    assert isinstance(device, UsbDeviceObservation)
    assert (device.vendor, device.product, device.serial) == (
        "VID_0781",
        "PID_5567",
        "4C530001230517",
    )


def test_file_names() -> None:
    parser = SystemLogUsbParser()
    assert parser.matches("/var/log/kern.log")
    assert parser.matches("/var/log/syslog.2.gz")
    assert parser.matches("/var/log/messages")
    assert not parser.matches("/home/u/project/messages")
    assert not parser.matches("/var/log/kern.log.old")
