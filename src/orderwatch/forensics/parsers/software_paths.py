"""Catalogued software found by where programs live, for every operating system.

Windows `Program Files*/<App>/`, `AppData/*/<App>/`, the Desktop (Tor Browser installs there),
Desktop and Start-menu shortcuts; Linux `/var/lib/dpkg/status` and `applications/*.desktop`;
macOS `*.app/Contents/Info.plist`; and any catalogued executable wherever it is (portable
copies). Only catalogue matches are reported (uncatalogued programs come from the registry),
once per program per evidence source.
"""

from __future__ import annotations

import itertools
import plistlib
import re
import threading
import weakref
from pathlib import PurePosixPath, PureWindowsPath
from xml.parsers.expat import ExpatError

from orderwatch.domain.observations import InstalledSoftwareObservation
from orderwatch.forensics.parsers.interface import Artefact, ArtefactParser, ParserMediator
from orderwatch.forensics.parsers.logs.text_lines import LogLines
from orderwatch.forensics.parsers.manager import registry
from orderwatch.forensics.software_catalogue import (
    SoftwareCatalogue,
    SoftwareMatch,
    default_catalogue,
)

MAX_PLIST_BYTES = 1024 * 1024
_PLIST_KEYS = ("CFBundleDisplayName", "CFBundleName", "CFBundleExecutable", "CFBundleIdentifier")


def _kind(lowered: str) -> str | None:
    """Which special file a (lower-cased, POSIX) path is, if any."""
    name = lowered.rsplit("/", 1)[-1]
    if lowered.endswith("/var/lib/dpkg/status"):
        return "dpkg"
    if name.endswith(".desktop") and "/applications/" in lowered:
        return "desktop_entry"
    if lowered.endswith(".app/contents/info.plist"):
        return "app_bundle"
    if name.endswith(".lnk") and ("/desktop/" in lowered or "/start menu/" in lowered):
        return "shortcut"
    return None


class SoftwarePathsParser(ArtefactParser):
    """`installed_software` with a catalogue category, from paths and package lists."""

    NAME = "software_paths"
    DESCRIPTION = "Catalogued software from install folders, shortcuts and package lists"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reported: dict[int, set[str]] = {}
        # Folders where only a file's name can make it wanted (no install folder, bundle or
        # special folder on the way): True/False per folder, for the catalogue in use.
        self._plain: dict[str, bool] = {}
        self._plain_for: SoftwareCatalogue | None = None

    def matches(self, path: str) -> bool:
        """Special files, catalogued executables, and, inside a catalogued install folder, its
        own files and executables (not every cache file below it)."""
        return self.matches_many([path])[0]

    def matches_many(self, paths: list[str]) -> list[bool]:
        """matches() of each path. Most files of a triage are in plain folders (no special or
        install folder on the way), where only the file's name can make it wanted: each
        folder's verdict is kept, and their files are answered in this loop."""
        catalogue = self._catalogue()
        plain_folders, match_file = self._plain, catalogue.match_file
        wanted = []
        for path in paths:
            posix = path.replace("\\", "/")
            cut = posix.rfind("/") + 1
            folder = posix[:cut]
            plain = plain_folders.get(folder)
            if plain is None:
                if len(plain_folders) >= 4096:
                    plain_folders.clear()
                plain = plain_folders[folder] = _plain_folder(catalogue, folder)
            if plain:
                wanted.append(match_file(posix[cut:]) is not None)
            else:
                wanted.append(_matches_below(catalogue, posix))
        return wanted

    def _catalogue(self) -> SoftwareCatalogue:
        """The catalogue in use, the folder verdicts emptied when it changed."""
        catalogue = default_catalogue()
        if self._plain_for is not catalogue:
            self._plain, self._plain_for = {}, catalogue
        return catalogue

    def parse(self, artefact: Artefact, mediator: ParserMediator) -> None:
        posix = artefact.path.replace("\\", "/")
        kind = _kind(posix.lower())
        if kind == "dpkg":
            self._dpkg(artefact, mediator)
        elif kind == "desktop_entry":
            self._desktop_entry(artefact, mediator)
        elif kind == "app_bundle":
            self._app_bundle(artefact, mediator)
        elif kind == "shortcut":
            stem = PureWindowsPath(PurePosixPath(posix).name).stem
            self._report(mediator, artefact, default_catalogue().match_name(stem), posix)
        else:
            found = default_catalogue().match_path(posix)
            self._report(mediator, artefact, found, _install_folder(posix, found))

    def _dpkg(self, artefact: Artefact, mediator: ParserMediator) -> None:
        """Installed packages of /var/lib/dpkg/status (paragraphs of `Field: value` lines)."""
        lines = LogLines(artefact)
        package, line_of_package, installed = None, 0, False
        catalogue = default_catalogue()
        for number, line in itertools.chain(lines, [(0, "")]):
            if not line.strip():
                if package and installed:
                    record = f"package {package} (line {line_of_package})"
                    self._report(mediator, artefact, catalogue.match_name(package), None, record)
                package, installed = None, False
            elif line.startswith("Package:"):
                package, line_of_package = line.split(":", 1)[1].strip(), number
            elif line.startswith("Status:"):
                installed = line.split()[-1] == "installed"
        problem = lines.problem()
        if problem:
            mediator.error(artefact.path, self.NAME, problem)

    def _desktop_entry(self, artefact: Artefact, mediator: ParserMediator) -> None:
        """A freedesktop launcher: its Name= and the program its Exec= runs."""
        fields: dict[str, str] = {}
        for _, line in LogLines(artefact):
            key, sep, value = line.partition("=")
            if sep and key.strip() in ("Name", "Exec") and key.strip() not in fields:
                fields[key.strip()] = value.strip()
        catalogue = default_catalogue()
        found = catalogue.match_name(fields["Name"]) if fields.get("Name") else None
        command = fields.get("Exec", "").split()
        if found is None and command:
            found = catalogue.match_file(PurePosixPath(command[0].strip('"')).name)
        self._report(mediator, artefact, found, artefact.path)

    def _app_bundle(self, artefact: Artefact, mediator: ParserMediator) -> None:
        """A macOS application: the bundle folder's name, then its Info.plist names."""
        bundle = str(PurePosixPath(artefact.path).parent.parent)
        catalogue = default_catalogue()
        found = catalogue.match_name(PurePosixPath(bundle).stem)
        if found is None and artefact.size() <= MAX_PLIST_BYTES:
            with artefact.open() as handle:
                try:
                    info = plistlib.loads(handle.read(MAX_PLIST_BYTES))
                except (plistlib.InvalidFileException, ExpatError, ValueError, TypeError) as error:
                    mediator.error(artefact.path, self.NAME, f"not a readable Info.plist: {error}")
                    return
            names = [info.get(k) for k in _PLIST_KEYS] if isinstance(info, dict) else []
            for name in names:
                if isinstance(name, str) and found is None:
                    found = catalogue.match_name(name.rsplit(".", 1)[-1] if "." in name else name)
        self._report(mediator, artefact, found, bundle)

    def _report(
        self,
        mediator: ParserMediator,
        artefact: Artefact,
        found: SoftwareMatch | None,
        location: str | None,
        record: str | None = None,
    ) -> None:
        """One observation per program per mediator (evidence source); later sightings dropped."""
        if found is None or not self._first_sighting(mediator, found.name):
            return
        mediator.produce(
            InstalledSoftwareObservation(
                id=mediator.observation_id(self.NAME, "program", found.name),
                provenance=mediator.provenance(
                    self.NAME,
                    artefact.path,
                    record=record or f"{found.matched_by} {found.matched_text!r}",
                ),
                name=found.name,
                category=found.category,
                path=location,
            )
        )

    def _first_sighting(self, mediator: ParserMediator, name: str) -> bool:
        with self._lock:
            key = id(mediator)
            if key not in self._reported:
                self._reported[key] = set()
                weakref.finalize(mediator, self._forget, key)
            if name in self._reported[key]:
                return False
            self._reported[key].add(name)
            return True

    def _forget(self, key: int) -> None:
        with self._lock:
            self._reported.pop(key, None)


def _matches_below(catalogue: SoftwareCatalogue, posix: str) -> bool:
    """matches() for a file in a folder that is not plain."""
    if _kind(posix.lower()) is not None:
        return True
    found = catalogue.match_path(posix)
    if found is None or found.matched_by == "app_bundle":
        return False  # a bundle is claimed once, through its Contents/Info.plist
    if found.matched_by != "folder":
        return True
    below = posix[len(_install_folder(posix, found)) + 1 :]
    return "/" not in below or below.lower().endswith(".exe")


def _plain_folder(catalogue: SoftwareCatalogue, directory: str) -> bool:
    """Whether, in this folder (`a/b/`), only a file's own name can make `matches` true: no
    special folder of `_kind` and no install folder or `.app` bundle of the catalogue."""
    lowered = directory.lower()
    special = ("/applications/", "/desktop/", "/start menu/")
    if lowered.endswith(("/var/lib/dpkg/", ".app/contents/")) or any(s in lowered for s in special):
        return False
    return catalogue.match_path(directory) is None


def _install_folder(path: str, found: SoftwareMatch | None) -> str:
    """The path up to the matched install folder, or the file itself for a file match."""
    if found is None or found.matched_by not in ("folder", "app_bundle"):
        return path
    cut = re.search(rf"/{re.escape(found.matched_text)}(?=/)", path, re.IGNORECASE)
    return path[: cut.end()] if cut else path


registry.register(SoftwarePathsParser)
