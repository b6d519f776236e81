"""Shared hive helpers, and the package wiring the registry parsers depend on."""

from __future__ import annotations

from datetime import UTC, datetime

import orderwatch.forensics.parsers as parsers_package
from orderwatch.forensics.parsers.manager import ParserRegistry
from orderwatch.forensics.parsers.registry.hive_reader import (
    datetime_to_filetime,
    filetime_to_datetime,
    hive_path_matches,
    resource_text,
    text,
)
from orderwatch.forensics.parsers.registry.usb_devices import device_serial, parse_usbstor_class

OURS = {
    "setupapi_dev_log",
    "software_paths",
    "system_log_usb",
    "thunderbird_prefs",
    "windows_ntuser_hive",
    "windows_sam_hive",
    "windows_software_hive",
    "windows_system_hive",
}


def test_the_package_name_registry_stays_the_parser_registry() -> None:
    # The hive parsers live in a sub-package also called `registry`; importing it must not
    # replace the ParserRegistry that everyone reaches as `parsers.registry`.
    assert isinstance(parsers_package.registry, ParserRegistry)
    assert set(parsers_package.registry.names()) >= OURS


def test_filetimes() -> None:
    assert filetime_to_datetime(0x01CBF028A02D1BE0) == datetime(
        2011, 4, 1, 4, 52, 38, 686000, tzinfo=UTC
    )
    assert filetime_to_datetime(0) is None  # an unset time, not 1601
    assert filetime_to_datetime(0x7FFF_FFFF_FFFF_FFFF) is None
    assert datetime_to_filetime(datetime(2011, 4, 1, 4, 52, 38, 686000, tzinfo=UTC)) == (
        0x01CBF028A02D1BE0
    )


def test_hive_paths() -> None:
    assert hive_path_matches("/Windows/System32/config/SAM", "SAM")
    assert hive_path_matches("/windows/system32/config/regback/sam", "SAM")
    assert not hive_path_matches("/regback/SAM", "SAM")
    assert not hive_path_matches("/Users/sam/config/SAMPLE", "SAM")


def test_device_ids() -> None:
    assert device_serial("AA951D0000007252&0") == "AA951D0000007252"
    assert device_serial("7&2a2e2c4a&0") == "7&2a2e2c4a&0"  # made up by Windows: kept whole
    assert device_serial("0123456789ABCDEF") == "0123456789ABCDEF"
    assert parse_usbstor_class("CdRom&Ven_TSSTcorp&Prod_DVD+-RW&Rev_D300") == (
        "CdRom",
        "TSSTcorp",
        "DVD+-RW",
        "D300",
    )
    assert parse_usbstor_class("Other") == ("Other", None, None, None)


def test_value_text() -> None:
    assert text("VeraCrypt\x00junk") == "VeraCrypt"
    assert text("a\x00".encode("utf-16-le")) == "a"
    assert text("  ") is None
    assert resource_text("@usbstor.inf,%genericbulkonly.devicedesc%;USB Mass Storage") == (
        "USB Mass Storage"
    )
