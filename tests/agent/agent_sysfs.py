"""A fake Linux sysfs (and udev database) tree laid out as the kernel lays it out: block
devices under /sys/devices, relative symlinks from /sys/block, USB ids on the USB device folder."""

from __future__ import annotations

import os
from pathlib import Path

_USB_HOST = "sys/devices/pci0000:00/0000:00:14.0/usb1"


def _write(folder: Path, **files: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text + "\n")


def _link_block(root: Path, name: str, block: Path, device: Path) -> None:
    link = root / "sys/block" / name
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(block, link.parent))
    (block / "device").symlink_to(os.path.relpath(device, block))


def add_usb_disk(
    root: Path,
    name: str,
    port: str,
    *,
    vendor: str,
    product: str,
    serial: str | None,
    vid: str = "0781",
    pid: str = "5567",
    minor: int = 16,
    udev_serial: str | None = None,
) -> None:
    """A USB mass-storage disk `name` (e.g. sdb) on USB port `port` (e.g. 1-2)."""
    usb = root / _USB_HOST / port
    files = {"idVendor": vid, "idProduct": pid, "manufacturer": vendor, "product": product}
    if serial is not None:
        files["serial"] = serial
    _write(usb, bcdDevice="0100", **files)
    scsi = usb / f"{port}:1.0/host3/target3:0:0/3:0:0:0"
    _write(scsi, vendor=vendor[:8], model=product[:16])
    block = scsi / "block" / name
    _write(block, removable="1", size="30031872", dev=f"8:{minor}")
    _link_block(root, name, block, scsi)
    if udev_serial is not None:
        _write(
            root / "run/udev/data",
            **{f"b8:{minor}": f"E:ID_SERIAL_SHORT={udev_serial}\nE:ID_VENDOR={vendor}"},
        )


def remove_disk(root: Path, name: str) -> None:
    (root / "sys/block" / name).unlink()


def add_internal_disk(root: Path, name: str = "sda") -> None:
    """A SATA disk inside the machine (not removable, not USB)."""
    scsi = root / "sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0"
    _write(scsi, vendor="ATA", model="Samsung SSD 870")
    block = scsi / "block" / name
    _write(block, removable="0", size="976773168", dev="8:0")
    _link_block(root, name, block, scsi)


def add_loop_device(root: Path, name: str = "loop0") -> None:
    block = root / "sys/devices/virtual/block" / name
    _write(block, removable="0", size="0", dev="7:0")
    link = root / "sys/block" / name
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(block, link.parent))
