"""setupapi.dev.log parser (Windows Vista and later): when USB storage devices were first installed.

Each `>>>  [Device Install ...]` section naming a USBSTOR device gives that device's first
connection (section start) on this Windows installation. The log's times are local wall-clock
time with no zone: they are kept as written in provenance and read as UTC, which the provenance
says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from orderwatch.domain.observations import UsbDeviceObservation
from orderwatch.forensics.parsers.interface import Artefact, ArtefactParser, ParserMediator
from orderwatch.forensics.parsers.logs.text_lines import LogLines
from orderwatch.forensics.parsers.manager import registry
from orderwatch.forensics.parsers.registry.usb_devices import device_serial, parse_usbstor_class

_FILE_NAME = re.compile(r"setupapi\.dev(\.\d{8}_\d{6})?\.log", re.IGNORECASE)
_SECTION = re.compile(r">>>\s+\[(?P<title>.*)\]\s*$")
_START = re.compile(r">>>\s+Section start (?P<time>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d+)?)")
_END = re.compile(r"<<<\s+Section end (?P<time>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d+)?)")
_USBSTOR = re.compile(r"USBSTOR[#\\](?P<class>[^#\\\]]+)[#\\](?P<instance>[^#\\\]]+)", re.I)
_ZONE_NOTE = "local time, no zone recorded; read as UTC"
_MARKS = (">>>", "<<<")  # what a line _SECTION, _START or _END matches begins with


@dataclass
class SetupapiDevice:
    """A USB storage device and the install sections that name it."""

    class_id: str
    instance_id: str
    first_line: int
    starts: list[tuple[datetime, str]] = field(default_factory=list)
    ends: list[tuple[datetime, str]] = field(default_factory=list)


def _local_time(raw: str) -> datetime | None:
    try:
        return datetime.strptime(raw, "%Y/%m/%d %H:%M:%S.%f" if "." in raw else "%Y/%m/%d %H:%M:%S")
    except ValueError:
        return None


def read_usb_storage_installs(lines: LogLines) -> list[SetupapiDevice]:
    """Every USBSTOR device named by a section header, in order of first appearance."""
    devices: dict[tuple[str, str], SetupapiDevice] = {}
    current: SetupapiDevice | None = None
    for number, line in lines:
        if not line.startswith(_MARKS):
            continue  # (most lines: no section header, start or end can match)
        section = _SECTION.match(line)
        if section:
            found = _USBSTOR.search(section.group("title"))
            current = None
            if found:
                key = (found.group("class").casefold(), found.group("instance").casefold())
                current = devices.setdefault(
                    key, SetupapiDevice(found.group("class"), found.group("instance"), number)
                )
            continue
        if current is None:
            continue
        for pattern, target in ((_START, current.starts), (_END, current.ends)):
            stamp = pattern.match(line)
            if stamp:
                when = _local_time(stamp.group("time"))
                if when is not None:
                    target.append((when.replace(tzinfo=UTC), stamp.group("time")))
    return list(devices.values())


class SetupapiDevLogParser(ArtefactParser):
    """Windows/INF/setupapi.dev.log (and its dated rotations)."""

    NAME = "setupapi_dev_log"
    DESCRIPTION = "USB storage device installs from setupapi.dev.log"

    def matches(self, path: str) -> bool:
        return _FILE_NAME.fullmatch(path.rsplit("/", 1)[-1]) is not None

    def base_names(self) -> str | None:
        return _FILE_NAME.pattern

    def parse(self, artefact: Artefact, mediator: ParserMediator) -> None:
        lines = LogLines(artefact)
        for device in read_usb_storage_installs(lines):
            _, vendor, product, _ = parse_usbstor_class(device.class_id)
            first = min(device.starts) if device.starts else None
            last = max(device.ends + device.starts) if device.ends or device.starts else None
            stored = []
            if first:
                stored.append(f"first section start {first[1]}")
            if last:
                stored.append(f"last section end {last[1]}")
            mediator.produce(
                UsbDeviceObservation(
                    id=mediator.observation_id(
                        self.NAME, artefact.path, device.class_id, device.instance_id
                    ),
                    time=first[0] if first else None,
                    provenance=mediator.provenance(
                        self.NAME,
                        artefact.path,
                        record=f"line {device.first_line}: USBSTOR\\{device.class_id}\\"
                        f"{device.instance_id}",
                        original_time=f"{'; '.join(stored)} ({_ZONE_NOTE})" if stored else None,
                    ),
                    vendor=vendor,
                    product=product,
                    serial=device_serial(device.instance_id),
                    first_seen=first[0] if first else None,
                    last_seen=last[0] if last else None,
                )
            )
        problem = lines.problem()
        if problem:
            mediator.error(artefact.path, self.NAME, problem)


registry.register(SetupapiDevLogParser)
