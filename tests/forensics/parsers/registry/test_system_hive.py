"""SYSTEM hive: USB devices of the current control set, from regipy's real hive and built ones."""

from __future__ import annotations

import struct
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from hive_fixtures import HiveBuilder, reg_hex, reg_sz, reg_utf16

from orderwatch.domain.observations import UsbDeviceObservation
from orderwatch.forensics.parsers.interface import LocalArtefact, ParserMediator
from orderwatch.forensics.parsers.manager import ParserRegistry
from orderwatch.forensics.parsers.registry.hive_reader import open_hive
from orderwatch.forensics.parsers.registry.system_hive import WindowsSystemHiveParser
from orderwatch.forensics.parsers.registry.usb_devices import (
    current_control_set,
    read_mounted_devices,
    read_usb_enum,
    read_usbstor,
    read_volume_labels,
)

SYSTEM_PATH = Path("Windows") / "System32" / "config" / "SYSTEM"
HP_CLASS = "Disk&Ven_HP&Prod_v100w&Rev_1024"


def _parse(root: Path) -> ParserMediator:
    mediator = ParserMediator(source=str(root))
    WindowsSystemHiveParser().parse(LocalArtefact(root / SYSTEM_PATH, root), mediator)
    return mediator


def _filetime(when: datetime) -> bytes:
    delta = when - datetime(1601, 1, 1, tzinfo=UTC)
    return struct.pack("<Q", (delta.days * 86_400 + delta.seconds) * 10_000_000)


def test_the_real_hive_gives_the_one_hp_usb_disk(real_system_root: Path) -> None:
    mediator = _parse(real_system_root)
    assert mediator.errors == []
    assert len(mediator.observations) == 1
    device = mediator.observations[0]
    assert isinstance(device, UsbDeviceObservation)
    assert (device.vendor, device.product, device.serial) == ("HP", "v100w", "AA951D0000007252")
    assert (device.revision, device.friendly_name) == ("1024", "HP v100w USB Device")
    assert (device.vid, device.pid) == ("03F0", "3207")
    # FirstInstallDate (property 0065, Windows 7 layout) and the USBSTOR key's last write.
    assert device.first_seen == datetime(2011, 4, 1, 4, 52, 38, 686000, tzinfo=UTC)
    # FILETIME 0x01CD14A99CCE548A is ...37.6408714 s (regipy's float arithmetic shows .640872).
    assert device.last_seen == datetime(2012, 4, 7, 10, 31, 37, 640871, tzinfo=UTC)
    assert device.time == device.last_seen
    provenance = device.provenance
    assert provenance.parser == "windows_system_hive"
    assert provenance.path == "/Windows/System32/config/SYSTEM"
    assert provenance.record is not None
    assert provenance.record.startswith(
        rf"\ControlSet001\Enum\USBSTOR\{HP_CLASS}\AA951D0000007252&0 (parent "
        r"\ControlSet001\Enum\USB\VID_03F0&PID_3207\AA951D0000007252)"
    )
    assert provenance.original_time is not None
    assert "FirstInstallDate FILETIME 0x01CBF028A02D1BE0" in provenance.original_time


def test_the_real_hive_read_in_detail(real_system_root: Path) -> None:
    artefact = LocalArtefact(real_system_root / SYSTEM_PATH, real_system_root)
    with open_hive(artefact) as opened:
        assert current_control_set(opened) == ("ControlSet001", None)
        current = read_usb_enum(opened, "ControlSet001")
        both = current + read_usb_enum(opened, "ControlSet002")
        assert len(both) == 14  # regipy's usb_devices plugin count (both control sets)
        assert Counter(e.kind for e in current) == {
            "hub": 3,
            "hid": 2,
            "composite": 1,
            "storage": 1,
        }
        storage = next(e for e in current if e.kind == "storage")
        assert (storage.vid, storage.pid, storage.instance_id) == (
            "03F0",
            "3207",
            "AA951D0000007252",
        )
        (disk,) = read_usbstor(opened, "ControlSet001")
        assert (disk.revision, disk.friendly_name) == ("1024", "HP v100w USB Device")
        mounted = read_mounted_devices(opened)
        assert len(mounted) == 11
        letters = {m.drive_letter: m for m in mounted if m.drive_letter}
        assert sorted(letters) == ["A:", "C:", "D:", "E:"]
        assert letters["E:"].usbstor == (HP_CLASS, "AA951D0000007252&0")
        assert letters["C:"].usbstor is None
        assert read_volume_labels(opened, "ControlSet001") == {
            (HP_CLASS.casefold(), "aa951d0000007252&0"): "SECRETPLANS"
        }


def _device_keys(control_set: str, class_id: str, instance: str) -> dict[str, dict[str, str]]:
    return {rf"{control_set}\Enum\USBSTOR\{class_id}\{instance}": {"FriendlyName": reg_sz("x")}}


def test_only_the_current_control_set_and_storage_or_portable_devices(
    tmp_path: Path, build_hive: HiveBuilder
) -> None:
    dates = r"ControlSet002\Enum\USBSTOR\Disk&Ven_SanDisk&Prod_Cruzer&Rev_1.00\4C5300012305&0"
    dates += r"\Properties\{83da6326-97a6-4088-9453-a1923f573b29}"
    first = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    last = datetime(2024, 3, 17, 9, 0, 0, tzinfo=UTC)
    keys = {
        "Select": {"Current": "dword:00000002"},
        **_device_keys("ControlSet001", "Disk&Ven_Old&Prod_Stick&Rev_1", "OLD1234&0"),
        **_device_keys("ControlSet002", "Disk&Ven_SanDisk&Prod_Cruzer&Rev_1.00", "4C5300012305&0"),
        **_device_keys("ControlSet002", "Disk&Ven_Generic&Prod_Card&Rev_2", "7&1a2b3c4d&0"),
        rf"{dates}\0065": {"@": reg_hex(0xFFFF0010, _filetime(first))},
        rf"{dates}\0066": {"@": reg_hex(0xFFFF0010, _filetime(last))},
        r"ControlSet002\Enum\USB\VID_04E8&PID_6860\R58M12345": {
            "Class": reg_sz("WPD"),
            "Service": reg_sz("WUDFRd"),
            "FriendlyName": reg_sz("Galaxy A14"),
            "Mfg": reg_sz("@wpdmtp.inf,%mfg%;Samsung"),
        },
        r"ControlSet002\Enum\USB\ROOT_HUB30\4&abc&0": {"Service": reg_sz("USBHUB3")},
        r"ControlSet002\Enum\USB\VID_046D&PID_C52B\5&1&0&1": {"Service": reg_sz("HidUsb")},
        "MountedDevices": {
            r"\DosDevices\F:": reg_hex(
                None,
                r"_??_USBSTOR#Disk&Ven_Kingston&Prod_DT&Rev_PMAP#001CC0EC3450&0#{53f5}".encode(
                    "utf-16-le"
                ),
            ),
        },
    }
    root = tmp_path / "image"
    build_hive(root / SYSTEM_PATH, "SYSTEM", keys)
    mediator = _parse(root)
    assert mediator.errors == []
    found = {o.serial: o for o in mediator.observations if isinstance(o, UsbDeviceObservation)}
    # ControlSet001's OLD1234 is not current; the hub and the mouse are not storage.
    assert sorted(found) == ["001CC0EC3450", "4C5300012305", "7&1a2b3c4d&0", "R58M12345"]
    sandisk = found["4C5300012305"]
    assert (sandisk.vendor, sandisk.product) == ("SanDisk", "Cruzer")
    assert (sandisk.first_seen, sandisk.last_seen) == (first, last)
    phone = found["R58M12345"]
    assert (phone.vendor, phone.product) == ("Samsung", "Galaxy A14")
    kingston = found["001CC0EC3450"]  # only MountedDevices remembers it
    assert (kingston.vendor, kingston.product, kingston.time) == ("Kingston", "DT", None)
    assert kingston.provenance.record == r"\MountedDevices\\DosDevices\F:"


def test_a_corrupt_hive_is_one_error_and_the_run_goes_on(
    tmp_path: Path, real_system_root: Path
) -> None:
    broken = tmp_path / "broken" / SYSTEM_PATH
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"regf" + bytes(range(256)) * 40)
    not_a_hive = tmp_path / "text" / SYSTEM_PATH
    not_a_hive.parent.mkdir(parents=True)
    not_a_hive.write_text("just text\n")
    parsers = ParserRegistry()
    parsers.register(WindowsSystemHiveParser)
    mediator = ParserMediator(source="mixed")
    for artefact in (
        LocalArtefact(broken, tmp_path / "broken"),
        LocalArtefact(not_a_hive, tmp_path / "text"),
        LocalArtefact(real_system_root / SYSTEM_PATH, real_system_root),
    ):
        assert parsers.parse(artefact, mediator) == 1
    assert [e.path for e in mediator.errors] == [f"/{SYSTEM_PATH.as_posix()}"] * 2
    assert mediator.errors[0].message.startswith("UnreadableHiveError: damaged registry hive")
    assert "not a Windows registry hive" in mediator.errors[1].message
    assert [o.serial for o in mediator.observations] == ["AA951D0000007252"]  # type: ignore[attr-defined]


def test_a_dirty_hive_with_a_broken_log_is_read_as_is(
    tmp_path: Path, real_system_root: Path
) -> None:
    hive = tmp_path / SYSTEM_PATH
    hive.parent.mkdir(parents=True)
    data = bytearray((real_system_root / SYSTEM_PATH).read_bytes())
    struct.pack_into("<I", data, 8, struct.unpack_from("<I", data, 4)[0] - 1)  # secondary seq
    hive.write_bytes(bytes(data))
    hive.with_name("SYSTEM.LOG1").write_bytes(b"not a transaction log")
    mediator = _parse(tmp_path)
    assert [o.serial for o in mediator.observations] == ["AA951D0000007252"]  # type: ignore[attr-defined]
    assert len(mediator.errors) == 1
    assert mediator.errors[0].message.startswith("transaction logs not applied")


def test_hives_are_found_by_path_in_any_case() -> None:
    parser = WindowsSystemHiveParser()
    assert parser.matches("/Windows/System32/config/SYSTEM")
    assert parser.matches("/WINDOWS/system32/CONFIG/system")
    assert parser.matches("/Windows/System32/config/RegBack/SYSTEM")
    assert not parser.matches("/home/alice/SYSTEM")
    assert not parser.matches("/Windows/System32/config/SYSTEM.LOG1")
    assert not parser.matches("/Windows/System32/config/SOFTWARE")


def test_utf16_helper_matches_what_windows_stores() -> None:
    assert reg_utf16(2, "C:") == "hex(2):43,00,3a,00,00,00"


def test_an_empty_regback_copy_says_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "Windows" / "System32" / "config" / "RegBack" / "SYSTEM"
    empty.parent.mkdir(parents=True)
    empty.touch()  # Windows 10 and later leave these empty
    parser = WindowsSystemHiveParser()
    assert parser.matches("/Windows/System32/config/RegBack/SYSTEM")
    mediator = ParserMediator(source="image")
    parser.parse(LocalArtefact(empty, tmp_path), mediator)
    assert (mediator.observations, mediator.errors) == ([], [])
