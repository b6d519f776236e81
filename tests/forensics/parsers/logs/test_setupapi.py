"""setupapi.dev.log: USB storage installs, from plaso's real log and from logs built here."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orderwatch.domain.observations import UsbDeviceObservation
from orderwatch.forensics.parsers.interface import LocalArtefact, ParserMediator
from orderwatch.forensics.parsers.logs.setupapi import SetupapiDevLogParser

SETUPAPI = "log2timeline_plaso/test_data/setupapi.dev.log"
SECTION = (
    ">>>  [Device Install (Hardware initiated) - USBSTOR\\Disk&Ven_SanDisk&Prod_Cruzer_Blade"
    "&Rev_1.00\\4C530001230517117082&0]\r\n"
    ">>>  Section start 2024/03/17 10:00:01.250\r\n"
    "     dvi: Caf\xe9 driver\r\n"
    "<<<  Section end 2024/03/17 10:00:09.000\r\n"
    "<<<  [Exit status: SUCCESS]\r\n"
)


def _parse(path: Path) -> ParserMediator:
    mediator = ParserMediator(source="image")
    SetupapiDevLogParser().parse(LocalArtefact(path, path.parent), mediator)
    return mediator


def test_the_real_log_has_exactly_one_usb_storage_install(shared_data: Path) -> None:
    path = shared_data / SETUPAPI
    if not path.is_file():
        pytest.skip(f"{SETUPAPI} is absent from {shared_data}")
    mediator = _parse(path)
    assert mediator.errors == []
    (device,) = mediator.observations
    assert isinstance(device, UsbDeviceObservation)
    # The instance id is 99E2116A&0: the serial is the part before Windows' "&<LUN>".
    assert (device.vendor, device.product, device.serial) == ("Generic", "Flash_Disk", "99E2116A")
    assert device.first_seen == datetime(2016, 11, 22, 23, 50, 30, 938000, tzinfo=UTC)
    assert device.last_seen == datetime(2016, 11, 22, 23, 50, 58, 236000, tzinfo=UTC)
    assert device.time == device.first_seen
    assert device.provenance.record == (
        "line 10527: USBSTOR\\Disk&Ven_Generic&Prod_Flash_Disk&Rev_8.07\\99E2116A&0"
    )
    assert device.provenance.original_time == (
        "first section start 2016/11/22 23:50:30.938; last section end 2016/11/22 23:50:58.236 "
        "(local time, no zone recorded; read as UTC)"
    )


def test_an_ansi_log_is_read_and_reported_once(tmp_path: Path) -> None:
    path = tmp_path / "setupapi.dev.log"
    path.write_bytes(("[Device Install Log]\r\n" + SECTION + SECTION).encode("cp1252"))
    mediator = _parse(path)
    (device,) = mediator.observations  # the same device in two sections is one device
    assert isinstance(device, UsbDeviceObservation)
    assert (device.vendor, device.product, device.serial) == (
        "SanDisk",
        "Cruzer_Blade",
        "4C530001230517117082",
    )
    assert [e.message for e in mediator.errors] == [
        "2 line(s) were not UTF-8 and were read as Latin-1 (first at line 4)"
    ]


def test_a_utf16_log_reads_the_same(tmp_path: Path) -> None:
    path = tmp_path / "setupapi.dev.20240317_100000.log"
    path.write_bytes(codecs.BOM_UTF16_LE + SECTION.encode("utf-16-le"))
    assert SetupapiDevLogParser().matches("/Windows/INF/" + path.name)
    mediator = _parse(path)
    assert mediator.errors == []
    assert [o.first_seen for o in mediator.observations] == [  # type: ignore[attr-defined]
        datetime(2024, 3, 17, 10, 0, 1, 250000, tzinfo=UTC)
    ]


def test_file_names() -> None:
    parser = SetupapiDevLogParser()
    assert parser.matches("/Windows/INF/setupapi.dev.log")
    assert parser.matches("/WINDOWS/inf/SETUPAPI.DEV.LOG")
    assert not parser.matches("/Windows/INF/setupapi.app.log")
    assert not parser.matches("/Windows/INF/setupapi.dev.log.bak")
