"""The shipped, editable catalogue of software an order may forbid, and matching against it.

`match_software(name_or_path)` is used by the triage parsers and by the live agent alike: a
program name ("VeraCrypt 1.26.7"), a package name ("qbittorrent"), an executable ("tor.exe") or a
path ("C:\\Program Files\\VeraCrypt\\VeraCrypt.exe") gives the catalogue entry it belongs to.
"""

from __future__ import annotations

import fnmatch
import re
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from orderwatch.domain.errors import InvalidInputError, Problem
from orderwatch.domain.observations import SOFTWARE_CATEGORIES

__all__ = [
    "CatalogueEntry",
    "SoftwareCatalogue",
    "SoftwareMatch",
    "configure_default_catalogue",
    "default_catalogue",
    "load_catalogue",
    "match_software",
    "normalise_name",
]

_SHIPPED = "software_catalogue.yaml"
_MISSING: Any = object()
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 5x faster
_TOKEN = re.compile(r"[^\W_]+")
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NOISE = frozenset({"x64", "x86", "amd64", "arm64", "win32", "win64", "bit", "version", "setup"})
_VERSION = re.compile(r"v?\d+")
# Folders whose direct sub-folders are program installs (compared case-folded).
_PROGRAM_ROOTS = frozenset(
    {
        "program files",
        "program files (x86)",
        "programdata",
        "roaming",
        "local",
        "programs",
        "locallow",
        "application data",
        "desktop",
        "opt",
        ".config",
        "share",
        "applications",
    }
)


def normalise_name(name: str) -> str:
    """Lower-case words of a program name without versions, brackets and architecture tags."""
    words = _TOKEN.findall(_BRACKETED.sub(" ", name).casefold())
    kept = [w for w in words if w not in _NOISE and not _VERSION.fullmatch(w)]
    return " ".join(kept)


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """One program (or family) of the catalogue."""

    name: str
    category: str
    names: tuple[str, ...] = ()
    exact_names: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SoftwareMatch:
    """What a name or path was recognised as, and by which rule."""

    name: str  # the catalogue entry's name, e.g. "VeraCrypt"
    category: str
    matched_by: str  # name | exact_name | file | folder | app_bundle
    matched_text: str  # the part of the input that matched


class _PatternIndex:
    """File or folder patterns (`*`, `?`) indexed by their literal start, so that a name is
    tried against a handful of them, not all; the earliest catalogue entry wins."""

    def __init__(self, entries: list[CatalogueEntry], field: str) -> None:
        self._exact: dict[str, tuple[int, CatalogueEntry]] = {}
        self._by_start: dict[str, list[tuple[int, re.Pattern[str], CatalogueEntry]]] = {}
        self._short: list[tuple[int, re.Pattern[str], CatalogueEntry]] = []
        # Every name and pattern ends in literal text (".exe"): a name ending in none of those
        # tails matches nothing, which one endswith() says (None when a pattern ends in "*").
        tails: set[str] | None = set()
        for rank, entry in enumerate(entries):
            for pattern in getattr(entry, field):
                folded = pattern.casefold()
                tail = folded[-4:]
                if tails is not None and tail and not any(c in tail for c in "*?[]"):
                    tails.add(tail)
                else:
                    tails = None
                literal = re.split(r"[*?\[]", folded, maxsplit=1)[0]
                if literal == folded:
                    self._exact.setdefault(folded, (rank, entry))
                    continue
                item = (rank, re.compile(fnmatch.translate(folded)), entry)
                if len(literal) >= 3:
                    self._by_start.setdefault(literal[:3], []).append(item)
                else:
                    self._short.append(item)
        self._tails = tuple(sorted(tails)) if tails is not None else None

    def lookup(self, folded: str) -> CatalogueEntry | None:
        if self._tails is not None and not folded.endswith(self._tails):
            return None
        best = self._exact.get(folded)
        for candidates in (self._by_start.get(folded[:3]), self._short):
            for rank, pattern, entry in candidates or ():
                if (best is None or rank < best[0]) and pattern.match(folded):
                    best = (rank, entry)
        return best[1] if best else None


class SoftwareCatalogue:
    """Entries in priority order, with the lookups precompiled so that a path costs microseconds."""

    def __init__(self, entries: list[CatalogueEntry]) -> None:
        self.entries = tuple(entries)
        # Name phrases by their first word, in catalogue order: a name is tried only against
        # the phrases starting with one of its words.
        self._phrases: dict[str, list[tuple[int, str, CatalogueEntry]]] = {}
        for rank, entry in enumerate(entries):
            for phrase in entry.names:
                self._phrases.setdefault(phrase.split(" ")[0], []).append(
                    (rank, f" {phrase} ", entry)
                )
        self._exact: dict[str, tuple[int, CatalogueEntry]] = {}
        for rank, entry in enumerate(entries):
            for phrase in entry.exact_names:
                self._exact.setdefault(phrase, (rank, entry))
        self._files = _PatternIndex(entries, "files")
        self._folders = _PatternIndex(entries, "folders")
        self._by_directory: dict[str, SoftwareMatch | None] = {}

    def match_name(self, name: str) -> SoftwareMatch | None:
        """A program, package or process name (no folders)."""
        normal = normalise_name(name)
        if not normal:
            return None
        exact_rank, exact = self._exact.get(normal, (len(self.entries), None))
        padded = f" {normal} "
        best: tuple[int, CatalogueEntry] | None = None  # the earliest entry a phrase names
        for word in normal.split(" "):
            for rank, phrase, entry in self._phrases.get(word, ()):
                if rank > exact_rank or (best is not None and rank >= best[0]):
                    break
                if phrase in padded:
                    best = (rank, entry)
                    break
        if best is not None:
            return SoftwareMatch(best[1].name, best[1].category, "name", name)
        if exact is not None:
            return SoftwareMatch(exact.name, exact.category, "exact_name", name)
        return self.match_file(name)

    def match_file(self, file_name: str) -> SoftwareMatch | None:
        """A bare file name such as `VeraCrypt.exe` against the entries' file patterns."""
        entry = self._files.lookup(file_name.casefold())
        if entry is None:
            return None
        return SoftwareMatch(entry.name, entry.category, "file", file_name)

    def match_path(self, path: str) -> SoftwareMatch | None:
        """A path (either slash): its file name, an install folder, or a macOS `.app` bundle."""
        posix = path.replace("\\", "/")
        name_start = posix.rfind("/") + 1
        entry = self._files.lookup(posix[name_start:].casefold())
        if entry is not None:
            return SoftwareMatch(entry.name, entry.category, "file", posix[name_start:])
        # The rest depends on the folders alone: a triage asks about every file, folder by
        # folder, so each folder's answer is kept (MISSING: not known yet).
        directory = posix[:name_start]
        found = self._by_directory.get(directory, _MISSING)
        if found is _MISSING:
            if len(self._by_directory) >= 4096:
                self._by_directory.clear()
            found = self._by_directory[directory] = self._match_directory(directory)
        return found

    def _match_directory(self, directory: str) -> SoftwareMatch | None:
        """An install folder or a macOS `.app` bundle among a path's folders (`a/b/`)."""
        parts = directory.split("/")
        folded = directory.casefold()
        folders = folded.split("/")  # casefold keeps every "/" where it was
        for index in range(1, len(folders) - 1):
            if folders[index - 1] in _PROGRAM_ROOTS:
                entry = self._folders.lookup(folders[index])
                if entry is not None:
                    return SoftwareMatch(entry.name, entry.category, "folder", parts[index])
        if ".app/" not in folded:
            return None
        for part in parts:
            if part.casefold().endswith(".app"):
                bundle = self.match_name(part[:-4])
                if bundle is not None:
                    return SoftwareMatch(bundle.name, bundle.category, "app_bundle", part)
        return None

    def match(self, name_or_path: str) -> SoftwareMatch | None:
        """A path when it holds a slash or backslash, otherwise a name."""
        if "/" in name_or_path or "\\" in name_or_path:
            return self.match_path(name_or_path)
        return self.match_name(name_or_path)


def _entries_from(data: Any, source: str) -> tuple[list[CatalogueEntry], bool]:
    """Validate one catalogue document; every problem is listed with the entry it is in."""
    if not isinstance(data, dict) or not isinstance(data.get("software"), list):
        raise InvalidInputError(source, [Problem(0, "expected a mapping with a 'software' list")])
    problems: list[Problem] = []
    entries: list[CatalogueEntry] = []
    for number, item in enumerate(data["software"], start=1):
        where = f"software entry {number}"
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            problems.append(Problem(0, f"{where}: needs a 'name'"))
            continue
        where = f"{where} ({item['name']})"
        unknown = set(item) - {"name", "category", "names", "exact_names", "files", "folders"}
        if unknown:
            problems.append(Problem(0, f"{where}: unknown field(s) {sorted(unknown)}"))
        category = item.get("category")
        if category not in SOFTWARE_CATEGORIES:
            problems.append(
                Problem(
                    0, f"{where}: category {category!r} is not one of {list(SOFTWARE_CATEGORIES)}"
                )
            )
        lists: dict[str, tuple[str, ...]] = {}
        for field in ("names", "exact_names", "files", "folders"):
            value = item.get(field, [])
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                problems.append(Problem(0, f"{where}: '{field}' must be a list of text"))
                value = []
            if field in ("names", "exact_names"):
                value = [normalise_name(v) for v in value]
                if not all(value):
                    problems.append(Problem(0, f"{where}: a '{field}' phrase has no words left"))
            lists[field] = tuple(v for v in value if v)
        if not any(lists.values()):
            problems.append(
                Problem(0, f"{where}: give at least one of names/exact_names/files/folders")
            )
        entries.append(CatalogueEntry(item["name"], str(category), **lists))
    if problems:
        raise InvalidInputError(source, problems)
    return entries, bool(data.get("replace", False))


def _read_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as error:
        line = getattr(getattr(error, "problem_mark", None), "line", -1) + 1
        raise InvalidInputError(source, [Problem(line, f"not valid YAML: {error}")]) from error


def load_catalogue(override: Path | None = None) -> SoftwareCatalogue:
    """The shipped catalogue, with an override file's entries replacing or adding to it."""
    shipped = resources.files("orderwatch.forensics").joinpath(_SHIPPED).read_text("utf-8")
    entries, _ = _entries_from(_read_yaml(shipped, _SHIPPED), _SHIPPED)
    if override is None:
        return SoftwareCatalogue(entries)
    try:
        text = Path(override).read_text("utf-8")
    except OSError as error:
        raise InvalidInputError(
            str(override), [Problem(0, f"cannot read: {error.strerror}")]
        ) from error
    extra, replace = _entries_from(_read_yaml(text, str(override)), str(override))
    if replace:
        return SoftwareCatalogue(extra)
    by_name = {e.name.casefold(): e for e in extra}
    merged = [by_name.pop(e.name.casefold(), e) for e in entries]
    # New entries come first, so that they win over shipped ones that match the same text.
    return SoftwareCatalogue(list(by_name.values()) + merged)


_default: SoftwareCatalogue | None = None
_default_lock = threading.Lock()


def default_catalogue() -> SoftwareCatalogue:
    """The catalogue parsers use: the shipped one unless `configure_default_catalogue` said else."""
    global _default
    catalogue = _default
    if catalogue is not None:
        return catalogue
    with _default_lock:
        if _default is None:
            # ORDERWATCH_SOFTWARE_CATALOGUE (settings) names a unit's override file; worker
            # processes inherit the environment, so triage workers and the agent agree.
            from orderwatch.settings import get_settings

            _default = load_catalogue(get_settings().software_catalogue)
        return _default


def use_default_catalogue(catalogue: SoftwareCatalogue) -> None:
    """Make an already loaded catalogue the default: a triage worker gets its parent's, instead
    of importing the settings and reading the YAML again (a third of a second per process)."""
    global _default
    with _default_lock:
        _default = catalogue


def configure_default_catalogue(override: Path | None) -> SoftwareCatalogue:
    """Load the shipped catalogue plus an override file and make it the default (once per run)."""
    global _default
    catalogue = load_catalogue(override)
    with _default_lock:
        _default = catalogue
    return catalogue


def match_software(
    name_or_path: str, catalogue: SoftwareCatalogue | None = None
) -> SoftwareMatch | None:
    """The catalogue entry a program name, package, executable or path belongs to, or None."""
    return (catalogue or default_catalogue()).match(name_or_path)
