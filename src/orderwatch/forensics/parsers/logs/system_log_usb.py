"""Linux syslog/kern.log/messages and macOS system.log parser: USB storage connections.

Linux kernel lines are followed per port (`usb 1-1: New USB device found, idVendor=...`, then
`Product:`, `Manufacturer:`, `SerialNumber:` until `USB disconnect`); a connection is storage when
usb-storage or uas binds to it, and a phone or camera when its names say so. Hubs, keyboards and
the like are not reported. macOS writes `USBMSC Identifier (non-unique): <serial> <vid> <pid>`.

Traditional syslog lines carry no year: such times are left unknown (the line's stamp is kept
in provenance). RFC 3339 stamps (rsyslog's high-precision format) give full times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from orderwatch.domain.observations import UsbDeviceObservation
from orderwatch.forensics.parsers.interface import Artefact, ArtefactParser, ParserMediator
from orderwatch.forensics.parsers.logs.text_lines import LogLines
from orderwatch.forensics.parsers.manager import registry

_FILE_NAME = re.compile(
    r"(?P<base>syslog|kern\.log|kernel\.log|messages|system\.log)(\.\d+)?(\.gz)?", re.I
)
_NEEDS_LOG_FOLDER = {"messages", "system.log"}  # common names: only inside a `log` folder
_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d))\s")
_TRADITIONAL = re.compile(r"([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d)\s")
_USB = re.compile(r"\busb (?P<port>\d+-[\d.]+): (?P<message>.*)$")
_FOUND = re.compile(
    r"New USB device found, idVendor=(?P<vid>[0-9a-fA-F]{4}), idProduct=(?P<pid>[0-9a-fA-F]{4})"
)
_STRING = re.compile(r"(?P<field>Product|Manufacturer|SerialNumber): (?P<value>.*\S)")
_STORAGE_BIND = re.compile(
    r"usb-storage (?P<port>\d+-[\d.]+):\d+\.\d+: USB Mass Storage device detected"
)
_UAS_BIND = re.compile(r"scsi host\d+: uas\b")
_MACOS = re.compile(
    r"USBMSC Identifier \(non-unique\): (?P<serial>\S+) "
    r"0x(?P<vid>[0-9a-fA-F]+) 0x(?P<pid>[0-9a-fA-F]+)"
)
_PORTABLE_NAMES = re.compile(r"android|iphone|ipad|\bmtp\b|phone|galaxy|pixel|camera", re.I)


@dataclass
class UsbConnection:
    """One connection of a device to a port, as the log tells it."""

    port: str
    line: int
    started: datetime | None
    started_stored: str | None
    vid: str | None = None
    pid: str | None = None
    product: str | None = None
    manufacturer: str | None = None
    serial: str | None = None
    storage: bool = False
    ended: datetime | None = None
    ended_stored: str | None = None

    @property
    def relevant(self) -> bool:
        names = f"{self.product or ''} {self.manufacturer or ''}"
        return self.storage or bool(_PORTABLE_NAMES.search(names))

    def identity(self) -> tuple[str, str, str]:
        return (self.vid or "", self.pid or "", self.serial or self.product or "")


def _stamp(line: str) -> tuple[datetime | None, str | None]:
    """The line's time (None without a year) and its stamp as written."""
    full = _RFC3339.match(line)
    if full:
        try:
            return datetime.fromisoformat(full.group(1).replace("Z", "+00:00")), full.group(1)
        except ValueError:
            return None, full.group(1)
    partial = _TRADITIONAL.match(line)
    return (None, f"{partial.group(1)} (no year in the log)") if partial else (None, None)


def read_usb_connections(lines: LogLines) -> list[UsbConnection]:
    """Every USB connection the log records (all kinds: filter with `relevant`)."""
    connections: list[UsbConnection] = []
    open_ports: dict[str, UsbConnection] = {}
    for number, line in lines:
        lowered = line.lower()
        if "usb" not in lowered and "uas" not in lowered:
            continue
        when, stored = _stamp(line)
        mac = _MACOS.search(line)
        if mac:
            connections.append(
                UsbConnection(
                    "macos", number, when, stored,
                    vid=f"{int(mac.group('vid'), 16):04x}", pid=f"{int(mac.group('pid'), 16):04x}",
                    serial=mac.group("serial"), storage=True,
                )
            )  # fmt: skip
            continue
        bind = _STORAGE_BIND.search(line)
        if bind and bind.group("port") in open_ports:
            open_ports[bind.group("port")].storage = True
            continue
        if _UAS_BIND.search(line) and connections:
            connections[-1].storage = True
            continue
        usb = _USB.search(line)
        if usb is None:
            continue
        port, message = usb.group("port"), usb.group("message")
        found = _FOUND.search(message)
        if found:
            vid, pid = found["vid"].lower(), found["pid"].lower()
            connection = UsbConnection(port, number, when, stored, vid, pid)
            open_ports[port] = connection
            connections.append(connection)
            continue
        connection_or_none = open_ports.get(port)
        if connection_or_none is None:
            continue
        if message.startswith("USB disconnect"):
            connection_or_none.ended, connection_or_none.ended_stored = when, stored
            del open_ports[port]
            continue
        string = _STRING.match(message)
        if string and string["field"] == "Product":
            connection_or_none.product = string["value"]
        elif string and string["field"] == "Manufacturer":
            connection_or_none.manufacturer = string["value"]
        elif string:
            connection_or_none.serial = string["value"]
    return connections


class SystemLogUsbParser(ArtefactParser):
    """/var/log/{syslog,kern.log,messages}[.N][.gz] and macOS /var/log/system.log."""

    NAME = "system_log_usb"
    DESCRIPTION = "USB storage and portable device connections from Linux and macOS system logs"

    def base_names(self) -> str | None:
        return _FILE_NAME.pattern.replace("?P<base>", "")

    def matches(self, path: str) -> bool:
        parts = path.rsplit("/", 2)
        found = _FILE_NAME.fullmatch(parts[-1])
        if found is None:
            return False
        folder = parts[-2].lower() if len(parts) > 1 else ""
        return found["base"].lower() not in _NEEDS_LOG_FOLDER or folder == "log"

    def parse(self, artefact: Artefact, mediator: ParserMediator) -> None:
        lines = LogLines(artefact)
        devices: dict[tuple[str, str, str], list[UsbConnection]] = {}
        for connection in read_usb_connections(lines):
            if connection.relevant:
                devices.setdefault(connection.identity(), []).append(connection)
        for identity, seen in devices.items():
            self._report(artefact, mediator, identity, seen)
        problem = lines.problem()
        if problem:
            mediator.error(artefact.path, self.NAME, problem)

    def _report(
        self,
        artefact: Artefact,
        mediator: ParserMediator,
        identity: tuple[str, str, str],
        seen: list[UsbConnection],
    ) -> None:
        first, last = seen[0], seen[-1]
        starts = [c.started for c in seen if c.started]
        ends = [t for c in seen if (t := c.ended or c.started) is not None]
        stored = [s for s in (first.started_stored, last.ended_stored or last.started_stored) if s]
        lines = ", ".join(str(c.line) for c in seen)
        named = next((c for c in seen if c.manufacturer or c.product), first)
        mediator.produce(
            UsbDeviceObservation(
                id=mediator.observation_id(self.NAME, artefact.path, *identity),
                time=max(ends) if ends else None,
                provenance=mediator.provenance(
                    self.NAME,
                    artefact.path,
                    record=f"line(s) {lines}",
                    original_time="; ".join(dict.fromkeys(stored)) or None,
                ),
                vendor=named.manufacturer or (f"VID_{first.vid.upper()}" if first.vid else None),
                product=named.product or (f"PID_{first.pid.upper()}" if first.pid else None),
                serial=next((c.serial for c in seen if c.serial), None),
                first_seen=min(starts) if starts else None,
                last_seen=max(ends) if ends else None,
            )
        )


registry.register(SystemLogUsbParser)
