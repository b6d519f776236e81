"""One seized device for the issue-4 end-to-end test: every artefact the parsers read, in one image.

The tree is made with the other areas' builders (headless-Chromium and Firefox profiles, hives
merged by hivexregedit, synthetic pictures) and turned into an ext2 image with `mke2fs -d` (and an
E01 with ewfacquire). Everything is synthetic and innocuous: "known" material is simulated only
by listing the hashes of pictures of shapes.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw
from triage_evidence import encoded, shapes_image, stripes_image

from fixtures.images import BuiltImage, build_e01, tool
from forensics.hashsets.hashset_inputs import VICS_20_CONTEXT, media_record
from forensics.parsers.browsers.browser_fixtures import (
    WEBKIT_2026,
    add_then_delete,
    add_visits,
    copy_profile,
    default_profile,
    firefox_profile,
    make_chromium_profile,
)
from forensics.parsers.registry.hive_fixtures import merge_hive, reg_hex, reg_sz
from orderwatch.forensics.hashing import pdq_hash

MIB = 1024 * 1024
PROHIBITED_DOMAIN = "example-chat-site.test"
PROHIBITED_WORD = "example-banned-word"
GROOMING_PHRASE = "what school do you go to"  # in the shipped lexicon (asking_age)
DECLARED_SERIAL = "4C530001230517117082"  # SanDisk Cruzer Blade, declared in the order
UNDECLARED_SERIAL = "60A44C3FACBDE2A1"  # Kingston DataTraveler, not declared
DECLARED_EMAIL = "sam.person@example.org"
UNDECLARED_EMAIL = "dark.alias@example.net"
CONTAINER = "/home/sam/Documents/backup.dat"
RENAMED_JPEG = "/home/sam/Documents/recipe.txt"
KNOWN_PICTURE = "/home/sam/Pictures/known.png"  # its MD5 is in the CSV hash set
NEAR_PICTURE = "/home/sam/Pictures/holiday.jpg"  # a resized copy of a picture listed by PDQ
PLAIN_PICTURE = "/home/sam/Pictures/stripes.png"  # in no hash set
CONFIG = "Windows/System32/config"
USBSTOR = r"ControlSet001\Enum\USBSTOR"
UNINSTALL = r"Microsoft\Windows\CurrentVersion\Uninstall"
SANDISK = r"Disk&Ven_SanDisk&Prod_Cruzer_Blade&Rev_1.00"
KINGSTON = r"Disk&Ven_Kingston&Prod_DataTraveler_3.0&Rev_PMAP"
DELETED_ROWS = 12  # Chromium history rows added, then all but every 4th deleted
CHROMIUM_VISITS = (
    (f"https://{PROHIBITED_DOMAIN}/rooms/teens", "Chat rooms", WEBKIT_2026 + 500_000_000),
    (
        f"https://www.google.com/search?q={PROHIBITED_WORD}+pictures",
        f"{PROHIBITED_WORD} pictures - Google Search",
        WEBKIT_2026 + 600_000_000,
    ),
    (
        "https://www.bing.com/search?q=" + GROOMING_PHRASE.replace(" ", "+"),
        "Bing",
        WEBKIT_2026 + 700_000_000,
    ),
)
THUNDERBIRD_PREFS = f"""// Mozilla User Preferences
user_pref("mail.identity.id1.useremail", "{DECLARED_EMAIL}");
user_pref("mail.identity.id2.useremail", "{UNDECLARED_EMAIL}");
user_pref("mail.server.server1.hostname", "imap.example.org");
user_pref("mail.server.server1.userName", "{DECLARED_EMAIL}");
"""
SETUPAPI_SECTION = (
    ">>>  [Device Install (Hardware initiated) - USBSTOR\\{device}\\{serial}&0]\r\n"
    ">>>  Section start {start}\r\n"
    "<<<  Section end {end}\r\n"
    "<<<  [Exit status: SUCCESS]\r\n"
)
ORDER = f"""\
person:
  ref: OW-0404
  name: Sam Person
  date_of_birth: 1979-04-02
  risk_level: high
  management: active
  officer: dc.jones
order:
  kind: SHPO
  court: Example Crown Court
  made: 2023-05-10
  expires: 2028-05-09
  conditions:
    - type: declare_devices
      within_days: 3
    - type: retain_history
    - type: no_encryption_or_wiping
    - type: no_anonymisation
    - type: declare_accounts
    - type: declare_cloud_storage
    - type: no_indecent_images
    - type: no_adult_pornography
    - type: no_contact_with_children
    - type: prohibited_words
      words: [{PROHIBITED_WORD}]
      phrases: ["are you home alone"]
    - type: prohibited_apps_or_sites
      apps: [Kik]
      domains: [{PROHIBITED_DOMAIN}]
    - type: keep_monitoring
    - type: inspection_on_request
declared_devices:
  - {{kind: laptop, make: Dell, model: Latitude 5420, serial: 7XK2Q53}}
  - {{kind: usb_storage, vendor: SanDisk, product: Cruzer Blade, serial: "{DECLARED_SERIAL}"}}
declared_accounts:
  - {{service: email, identifier: {DECLARED_EMAIL}}}
"""


@dataclass(frozen=True)
class Device:
    """The built evidence and the inputs a triage of it needs."""

    folder: Path  # the tree the image was made from
    image: Path  # raw ext2
    order: Path
    md5_set: Path  # CSV listing KNOWN_PICTURE's MD5
    pdq_set: Path  # VICS JSON listing the PDQ of the picture NEAR_PICTURE was resized from
    deleted_urls: frozenset[str]  # Chromium rows deleted (their bytes left in free pages)
    known_md5: str


def circles_image() -> Image.Image:
    """An innocuous picture of circles and bars (the near-duplicate's original)."""
    image = Image.new("RGB", (400, 300), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((30, 40, 190, 200), fill="navy")
    draw.ellipse((210, 90, 370, 250), fill="crimson")
    draw.rectangle((0, 260, 400, 300), fill="olive")
    return image


def build_device(base: Path) -> Device:
    """Make the tree, the ext2 image, the order and both hash sets under `base` (once a module)."""
    root = base / "device"
    root.mkdir(parents=True)
    deleted = _browsers(base, root)
    _windows(root)
    _files(root)
    image = _ext2(base / "device.raw", root)
    known = (root / KNOWN_PICTURE.lstrip("/")).read_bytes()
    md5_set = base / "known-md5.csv"
    md5_set.write_text(f"md5,category\n{hashlib.md5(known).hexdigest()},A\n", encoding="utf-8")
    pdq_set = base / "vics-pdq.json"
    listed = pdq_hash(encoded(circles_image(), "PNG"))[0].hex().upper()
    record = media_record(1, b"original bytes not on the device", category=1)
    record["AlternativeHashes"] = [{"HashName": "PDQ", "HashValue": listed}]
    pdq_set.write_text(json.dumps({"@odata.context": VICS_20_CONTEXT, "value": [record]}))
    order = base / "order.yaml"
    order.write_text(ORDER, encoding="utf-8")
    return Device(
        root, image, order, md5_set, pdq_set, frozenset(deleted), hashlib.md5(known).hexdigest()
    )


def build_e01_copy(directory: Path, raw: Path) -> Path:
    """The same media acquired into an E01 (ewfacquire); returns its first segment."""
    built = build_e01(directory, BuiltImage(raw, "raw", ()), segment_size="64MiB")
    return built.path


def _browsers(base: Path, root: Path) -> set[str]:
    """A real Chromium profile with added visits and deleted rows, and a Firefox profile."""
    copy_profile(make_chromium_profile(base / "chromium"), root)
    history = default_profile(root) / "History"
    add_visits(history, list(CHROMIUM_VISITS))
    deleted = add_then_delete(history, rows=DELETED_ROWS, keep_every=4)  # nothing written after
    firefox_profile(root)  # visits incl. a DuckDuckGo search and MEGA (cloud storage)
    prefs = root / "home/sam/.thunderbird/x1y2z3.default-release/prefs.js"
    prefs.parent.mkdir(parents=True)
    prefs.write_text(THUNDERBIRD_PREFS, encoding="utf-8")
    return deleted


def _windows(root: Path) -> None:
    """SYSTEM (a declared and an undeclared USB stick), SOFTWARE (VeraCrypt, Tor Browser,
    Dropbox in Uninstall), setupapi.dev.log, and a Tor Browser folder on a Desktop."""
    system = {
        "Select": {"Current": "dword:00000001"},
        rf"{USBSTOR}\{SANDISK}\{DECLARED_SERIAL}&0": {"FriendlyName": reg_sz("SanDisk USB")},
        rf"{USBSTOR}\{KINGSTON}\{UNDECLARED_SERIAL}&0": {"FriendlyName": reg_sz("Kingston")},
        r"MountedDevices": {
            r"\DosDevices\E:": reg_hex(
                None, rf"_??_USBSTOR#{KINGSTON}#{UNDECLARED_SERIAL}&0#{{53f5}}".encode("utf-16-le")
            )
        },
    }
    merge_hive(root / CONFIG / "SYSTEM", "SYSTEM", system)
    software = {
        rf"{UNINSTALL}\VeraCrypt": {
            "DisplayName": reg_sz("VeraCrypt"),
            "DisplayVersion": reg_sz("1.26.7"),
            "InstallLocation": reg_sz("C:\\Program Files\\VeraCrypt\\"),
            "InstallDate": reg_sz("20240317"),
        },
        rf"{UNINSTALL}\Tor Browser": {"DisplayName": reg_sz("Tor Browser")},
        rf"{UNINSTALL}\Dropbox": {"DisplayName": reg_sz("Dropbox"), "Publisher": reg_sz("Dropbox")},
    }
    merge_hive(root / CONFIG / "SOFTWARE", "emRoot\\System32\\Config\\SOFTWARE", software)
    sections = [
        SETUPAPI_SECTION.format(
            device=SANDISK,
            serial=DECLARED_SERIAL,
            start="2024/03/17 10:00:01.250",
            end="2024/03/17 10:00:09.000",
        ),
        SETUPAPI_SECTION.format(
            device=KINGSTON,
            serial=UNDECLARED_SERIAL,
            start="2024/04/02 21:14:00.100",
            end="2024/04/02 21:14:05.900",
        ),
    ]
    log = root / "Windows/INF/setupapi.dev.log"
    log.parent.mkdir(parents=True)
    log.write_bytes(("[Device Install Log]\r\n" + "".join(sections)).encode("cp1252"))
    # Two files of one install folder: software_paths reports the program once per source.
    tor = root / "Users/sam/Desktop/Tor Browser"
    (tor / "Browser").mkdir(parents=True)
    (tor / "Start Tor Browser.lnk").write_bytes(b"L\0\0\0 a shortcut stand-in\n")
    (tor / "Browser" / "firefox.exe").write_bytes(b"MZ" + bytes(510))


def _files(root: Path) -> None:
    """Pictures (one listed by MD5, one a resized copy of a picture listed by PDQ, one in no
    set), a JPEG named .txt and a random, sector-aligned 3 MiB file (a container)."""
    near = circles_image().resize((320, 240))
    files = {
        KNOWN_PICTURE: encoded(shapes_image(), "PNG"),
        NEAR_PICTURE: encoded(near, "JPEG"),
        PLAIN_PICTURE: encoded(stripes_image(), "PNG"),
        RENAMED_JPEG: encoded(stripes_image(), "JPEG"),
        CONTAINER: random.Random(404).randbytes(3 * MIB),
        "/home/sam/Documents/shopping.txt": b"milk, bread, stamps\n",
    }
    for path, data in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _ext2(image: Path, tree: Path) -> Path:
    """The tree as a raw ext2 volume (mke2fs -d), sized for its content."""
    used = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file())
    kib = (used * 3 // 2) // 1024 + 8 * 1024
    command = [tool("mke2fs"), "-q", "-F", "-t", "ext2", "-b", "1024", "-L", "seized"]
    command += ["-E", "root_owner=0:0", "-d", str(tree), str(image), f"{kib}k"]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    return image


def have_tools() -> str | None:
    """Why the device cannot be built here, or None."""
    for name in ("mke2fs", "hivexregedit", "chromium"):
        if shutil.which(name) is None and not Path(f"/usr/sbin/{name}").exists():
            return f"{name} is not installed (see scripts/install-system-deps)"
    return None
