"""Builders of synthetic evidence for the triage tests, and readers of the triage outputs."""

from __future__ import annotations

import hashlib
import io
import json
import random
import zipfile
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

MIB = 1024 * 1024
DELETED_CONTENT = bytes(range(256)) * 20


def shapes_image() -> Image.Image:
    image = Image.new("RGB", (320, 240), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 180, 140), fill="darkgreen")
    draw.ellipse((150, 100, 300, 230), fill="orange")
    return image


def stripes_image() -> Image.Image:
    image = Image.new("RGB", (320, 240), "white")
    draw = ImageDraw.Draw(image)
    for x in range(0, 320, 32):
        draw.rectangle((x, 0, x + 15, 240), fill="black")
    return image


def encoded(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def archive_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in (("trip/day1.jpg", b"not really"), ("readme.txt", b"hello")):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 2, 3, 4, 6)), data)
    return out.getvalue()


# path -> content; every file of the evidence folder (sizes chosen so the biggest come first).
def folder_contents() -> dict[str, bytes]:
    rng = random.Random(7)
    return {
        "/photos/garden.png": encoded(shapes_image(), "PNG"),
        "/photos/garden_copy.jpg": encoded(shapes_image(), "JPEG"),
        "/photos/stripes.png": encoded(stripes_image(), "PNG"),
        "/downloads/kernel32.dll": encoded(stripes_image(), "JPEG"),
        "/vault.hc": rng.randbytes(2 * MIB),
        "/logs/big.log": b"line of a log file\n" * (MIB // 16),
        "/broken.jpg": b"\xff\xd8\xff\xe0" + b"\x00garbage" * 64,
        "/docs/notes.txt": b"shopping: milk, bread\n",
        "/docs/holiday.zip": archive_bytes(),
        "/.hidden_copy.png": encoded(shapes_image(), "PNG"),
    }


def read_outputs(out: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    lines = (out / "inventory.jsonl").read_text(encoding="utf-8").splitlines()
    return report, [json.loads(line) for line in lines]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
