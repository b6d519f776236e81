"""Evidence sources: every file (deleted ones and ADS too) of every image format, read-only.

Fixture images come from tests/fixtures/images.py; real ones from ../shared/data (MANIFEST.md).
Listings are checked against what the fixture put in and against Sleuth Kit's `fls` where present.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytsk3

from datafiles import shared_file
from fixtures.images import BuiltImage, tool
from orderwatch.forensics import _source_libewf
from orderwatch.forensics._source_tsk import TskWalker, native_fs_info
from orderwatch.forensics._source_volumes import new_spec
from orderwatch.forensics.sources import (
    EvidenceSource,
    FileRecord,
    ResolverContext,
    SourceFormatError,
    WalkError,
    artefact_for,
    detect_format,
    new_resolver_context,
    open_file,
    open_source,
)

FLS = shutil.which("fls")
PASSWORDS_SHA256 = "02a2a6af2f1ecf4720d7d49d640f0d0a269a7ec733e41973bdd34f09dad0e252"
ANOTHER_FILE_SHA256 = hashlib.sha256(b"This is another file.\n").hexdigest()
EXT2_FAMILY = {"/passwords.txt", "/a_directory/a_file", "/a_directory/another_file"}
DFVFS = "log2timeline_dfvfs/test_data"
VELOCIRAPTOR = "Velocidex_velociraptor/artifacts/testdata/files"


def walk(source: EvidenceSource) -> tuple[dict[str, FileRecord], list[WalkError]]:
    records: dict[str, FileRecord] = {}
    errors: list[WalkError] = []
    for item in source.walk():
        if isinstance(item, WalkError):
            errors.append(item)
        else:
            assert item.path not in records, f"{item.path} listed twice"
            records[item.path] = item
    return records, errors


def content_sha256(record: FileRecord, context: ResolverContext | None = None) -> str:
    digest = hashlib.sha256()
    with open_file(record.locator, context) as stream:
        while chunk := stream.read(1 << 16):
            digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dfvfs_reads(locator: str) -> bytes:
    """A locator's content read by dfvfs itself: locators are plain dfvfs JSON path specs."""
    from dfvfs.resolver import resolver
    from dfvfs.serializer import json_serializer

    spec = json_serializer.JsonPathSpecSerializer.ReadSerialized(locator)
    return bytes(resolver.Resolver.OpenFileObject(spec).read())


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --------------------------------------------------------------------------- Sleuth Kit's view

_FLS_LINE = re.compile(
    r"^(?P<name>.)/(?P<meta>.) (?P<deleted>\* )?(?P<inode>\d+)(?:-(?P<type>\d+)-\d+)?"
    r"(?P<realloc>\(realloc\))?:\t(?P<path>.*)$"
)


def fls_files(image: Path, *options: str) -> set[tuple[str, bool]]:
    """(path, deleted) of every file `fls -r -p` lists, in the form our walk must give it.

    Sleuth Kit lists NTFS index attributes ($I30, $SDH, ...) as "file:name" too; only $DATA
    streams (type 128) are content. A file with no $DATA at all is listed once, by its name.
    $BadClus:$Bad (as big as the volume, holding only bad clusters) is left out on purpose.
    """
    if FLS is None:
        pytest.skip("Sleuth Kit's fls is not installed")
    output = subprocess.run(
        [FLS, "-r", "-p", *options, str(image)], capture_output=True, text=True, check=True
    ).stdout
    data: set[tuple[str, bool]] = set()
    other: dict[str, bool] = {}
    for line in output.splitlines():
        match = _FLS_LINE.match(line)
        assert match, f"unexpected fls line: {line!r}"
        regular = match["name"] == "r" or (match["name"] == "-" and match["meta"] == "r")
        if not regular or match["realloc"] or "(Volume Label Entry)" in match["path"]:
            continue
        path, deleted = "/" + match["path"], bool(match["deleted"])
        if match["type"] in (None, "128"):
            data.add((path, deleted))
        else:
            other[path.split(":", 1)[0]] = deleted
    bases = {path.split(":", 1)[0] for path, _ in data}
    data |= {(path, deleted) for path, deleted in other.items() if path not in bases}
    return {item for item in data if not item[0].endswith("/$BadClus:$Bad")}


def listed(records: dict[str, FileRecord], prefix: str = "") -> set[tuple[str, bool]]:
    return {
        (path.removeprefix(prefix), record.deleted)
        for path, record in records.items()
        if path.startswith(prefix)
    }


# --------------------------------------------------------------------------- fixture images

IMAGE_FIXTURES = [
    "fat32_image",
    "ext2_image",
    "ext2_e01",
    "ext2_vhd",
    "ext2_vhdx",
    "ext2_vmdk",
    "ext2_qcow2",
    "ext2_split_raw",
    "mbr_disk",
    "gpt_disk",
]


@pytest.mark.parametrize("fixture", IMAGE_FIXTURES)
def test_every_file_put_in_is_listed_with_its_content(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    image: BuiltImage = request.getfixturevalue(fixture)
    assert detect_format(image.path) == image.format
    with open_source(image.path) as source:
        assert source.info.format == image.format
        assert source.info.volumes == list(image.volumes)
        assert source.info.snapshots == []
        records, errors = walk(source)
        assert errors == []
        assert set(records) == {f.listed_path for f in image.files}
        for expected in image.files:
            record = records[expected.listed_path]
            assert (record.size, record.deleted) == (expected.size, expected.deleted), record.path
            assert (record.hidden, record.system) == (expected.hidden, expected.system), record
            if expected.mtime is not None:
                assert record.mtime == expected.mtime, record.path
            assert content_sha256(record, source.context) == expected.sha256, record.path


def test_deleted_and_orphan_files_are_found_on_fat_and_ext2(
    fat32_image: BuiltImage, ext2_image: BuiltImage
) -> None:
    for image in (fat32_image, ext2_image):
        with open_source(image.path) as source:
            records, _ = walk(source)
        deleted = {path for path, record in records.items() if record.deleted}
        assert deleted == {f.listed_path for f in image.deleted} != set()
    orphans = {p for p in records if p.startswith("/$OrphanFiles/OrphanFile-")}
    assert len(orphans) == 1 and orphans <= deleted  # ext2: an inode no name points to


@pytest.mark.parametrize(
    ("fixture", "options"),
    [
        ("fat32_image", ()),
        ("ext2_image", ()),
        ("ext2_e01", ("-i", "ewf")),
        ("ext2_vhd", ("-i", "vhd")),
        ("ext2_vmdk", ("-i", "vmdk")),
    ],
)
def test_listing_matches_sleuth_kit(
    fixture: str, options: tuple[str, ...], request: pytest.FixtureRequest
) -> None:
    image: BuiltImage = request.getfixturevalue(fixture)
    with open_source(image.path) as source:
        records, _ = walk(source)
    assert listed(records) == fls_files(image.path, *options)


@pytest.mark.parametrize("fixture", ["mbr_disk", "gpt_disk"])
def test_partitions_are_walked_and_prefixed(fixture: str, request: pytest.FixtureRequest) -> None:
    disk: BuiltImage = request.getfixturevalue(fixture)
    with open_source(disk.path) as source:
        records, _ = walk(source)
    assert listed(records, "/p1") == fls_files(disk.path, "-o", "2048")
    assert listed(records, "/p2") == fls_files(disk.path, "-o", str(2048 + 81920))
    assert {path.split("/")[1] for path in records} == {"p1", "p2"}


def test_ext2_times_and_inodes_are_those_of_the_file_system(ext2_image: BuiltImage) -> None:
    with open_source(ext2_image.path) as source:
        records, _ = walk(source)
    readme = records["/readme.txt"]
    assert readme.inode is not None and readme.inode > 11  # ext2: 1-10 reserved, 11 lost+found
    assert readme.ctime is not None and readme.ctime > readme.mtime  # type: ignore[operator]
    assert readme.btime is None  # ext2 has no creation time
    assert records["/.profile"].hidden and not records["/readme.txt"].hidden


def test_e01_stored_hashes_are_read_and_verified(ext2_e01: BuiltImage) -> None:
    assert len(ext2_e01.segments) >= 3  # multi-segment, opened from the first
    with open_source(ext2_e01.path) as source:
        assert source.info.md5 == ext2_e01.media_md5
        assert source.info.sha1 == ext2_e01.media_sha1
        assert source.info.size == ext2_e01.media_size
        assert source.info.verified is None  # not verified yet
        seen: list[int] = []
        assert source.verify(seen.append) is True
        assert source.info.verified is True
        assert sum(seen) == ext2_e01.media_size
        assert source.verification_problem is None


def test_formats_without_stored_hashes_verify_to_none(ext2_vhd: BuiltImage) -> None:
    with open_source(ext2_vhd.path) as source:
        assert source.verify() is None
        assert (source.info.md5, source.info.verified) == (None, None)


def test_truncated_e01_gives_errors_and_fails_verification(truncated_e01: BuiltImage) -> None:
    expected = {f.listed_path: f for f in truncated_e01.files}
    with open_source(truncated_e01.path) as source:
        assert source.info.format == "ewf"
        assert source.info.md5 is None  # the hashes were in the missing last segment
        records, errors = walk(source)
        assert errors and all(e.stage in ("open_source", "volume", "walk") for e in errors)
        assert any("missing segment" in e.message for e in errors), errors
        assert "/readme.txt" in records  # the start of the media is still read
        for record in records.values():
            try:
                assert content_sha256(record, source.context) == expected[record.path].sha256
            except OSError as error:
                assert "offset" in str(error) or "read" in str(error)
        assert source.verify() is False
        assert source.info.verified is False
        assert "unreadable" in (source.verification_problem or "")


def test_e01_cut_in_the_middle_of_its_only_segment(ext2_e01: BuiltImage, tmp_path: Path) -> None:
    cut = tmp_path / "cut.E01"
    data = ext2_e01.path.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with open_source(cut) as source:
        records, errors = walk(source)
        assert records == {}
        assert errors and {e.stage for e in errors} <= {"open_source", "volume"}
        assert source.info.volumes == []
        assert source.verify() is False


def test_damaged_e01_chunk_is_a_read_error_and_fails_verification(
    damaged_e01: BuiltImage,
) -> None:
    """Read through the system libewf (installed by scripts/install-system-deps), a chunk that
    fails its checksum is an error naming its bytes, for the file and for verification."""
    if _source_libewf._lib() is None:
        pytest.skip("the system libewf (Debian libewf2) is not installed")
    expected = {f.listed_path: f.sha256 for f in damaged_e01.files}
    damaged = damaged_e01.extra["damaged"]
    with open_source(damaged_e01.path) as source:
        records, errors = walk(source)
        assert errors == [] and set(records) == {f.listed_path for f in damaged_e01.files}
        for path, record in records.items():
            if path != damaged:
                assert content_sha256(record, source.context) == expected[path], path
        with pytest.raises(OSError, match=r"^E01 chunk checksum error in media bytes \d+-\d+$"):
            content_sha256(records[damaged], source.context)
        assert source.verify() is False
        assert "E01 chunk checksum error" in (source.verification_problem or "")


def test_damaged_e01_chunk_through_pyewf_fails_verification(
    damaged_e01: BuiltImage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the system libewf (pyewf reads), the damaged chunk is handed over as stored:
    the file's hash is wrong, and verification is what tells."""
    monkeypatch.setattr(_source_libewf, "_lib", lambda: None)
    expected = {f.listed_path: f.sha256 for f in damaged_e01.files}
    damaged = damaged_e01.extra["damaged"]
    with open_source(damaged_e01.path) as source:
        records, _ = walk(source)
        assert content_sha256(records[damaged], source.context) != expected[damaged]
        assert source.verify() is False
        assert "hash mismatch" in (source.verification_problem or "")


def test_corrupt_partition_table_costs_only_the_bad_partition(
    corrupt_mbr_disk: BuiltImage,
) -> None:
    with open_source(corrupt_mbr_disk.path) as source:
        assert source.info.volumes == ["p2 (ext2)"]
        records, errors = walk(source)
    bad = [e for e in errors if e.path == "/p1"]
    assert len(bad) == 1 and bad[0].stage == "volume" and "past the end" in bad[0].message
    for expected in corrupt_mbr_disk.files:
        record = records[expected.listed_path.removeprefix("/p2")]
        assert content_sha256(record) == expected.sha256


def test_unknown_format_names_the_supported_ones(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image\n" * 100)
    for path, problem in ((notes, "not a recognised"), (tmp_path / "absent.E01", "no such")):
        with pytest.raises(SourceFormatError) as raised:
            open_source(path)
        text = str(raised.value)
        assert str(path) in text and problem in text and "\n" not in text
        for name in ("folder", "raw", "split raw", "E01", "VHD", "VHDX", "VMDK", "QCOW2"):
            assert name in text
        with pytest.raises(SourceFormatError):
            detect_format(path)


def test_evidence_is_unchanged_by_open_walk_read_and_verify(
    ext2_e01: BuiltImage, mbr_disk: BuiltImage
) -> None:
    segments = [*ext2_e01.segments, *mbr_disk.segments]
    before = {segment: file_sha256(segment) for segment in segments}
    for image in (ext2_e01, mbr_disk):
        with open_source(image.path) as source:
            records, _ = walk(source)
            for record in records.values():
                content_sha256(record, source.context)
            source.verify()
    assert {segment: file_sha256(segment) for segment in segments} == before


_worker_context: ResolverContext | None = None


def _hash_in_worker(locator: str) -> str:
    """Runs in a fresh (spawned) process: one resolver context for all its files."""
    global _worker_context
    if _worker_context is None:
        _worker_context = new_resolver_context()
    with open_file(locator, _worker_context) as stream:
        return hashlib.sha256(stream.read()).hexdigest()


def test_locators_reopen_in_another_process(mbr_disk: BuiltImage) -> None:
    with open_source(mbr_disk.path) as source:
        records, _ = walk(source)
    expected = {f.listed_path: f.sha256 for f in mbr_disk.files}
    paths = sorted(records)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        hashes = pool.map(_hash_in_worker, [records[p].locator for p in paths])
    assert dict(zip(paths, hashes, strict=True)) == expected
    deleted = next(r for r in records.values() if r.deleted and r.path.startswith("/p2/"))
    assert hashlib.sha256(dfvfs_reads(deleted.locator)).hexdigest() == expected[deleted.path]


def test_a_malformed_locator_is_an_os_error() -> None:
    for locator in ('{"type_indicator": "TSK"}', "{not json", '{"parent": 1}'):
        with pytest.raises(OSError, match="cannot open"):
            open_file(locator)


def test_artefacts_read_files_inside_images_and_find_siblings(ext2_e01: BuiltImage) -> None:
    expected = {f.path: f for f in ext2_e01.files}
    with open_source(ext2_e01.path) as source:
        records, _ = walk(source)
        artefact = artefact_for(source, records["/photos/gradient.png"])
        assert artefact.path == "/photos/gradient.png" and artefact.name == "gradient.png"
        assert artefact.size() == expected["/photos/gradient.png"].size
        sibling = artefact.sibling("shapes.jpg")
        assert sibling is not None and sibling.path == "/photos/shapes.jpg"
        with sibling.open() as stream:
            assert (
                hashlib.sha256(stream.read()).hexdigest() == expected["/photos/shapes.jpg"].sha256
            )
        assert artefact.sibling("absent.png") is None
        assert artefact.sibling("../readme.txt") is None
        with artefact.local_copy() as copy:
            assert file_sha256(copy) == expected["/photos/gradient.png"].sha256


# --------------------------------------------------------------------------- folders


def _folder(root: Path) -> dict[str, bytes]:
    files = {
        "a.txt": b"alpha\n",
        ".hidden": b"dot\n",
        "sub/b.bin": bytes(range(256)) * 40,
        "sub/deeper/c.txt": b"",
    }
    for relative, data in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(data)
    (root / "link-to-a").symlink_to(root / "a.txt")
    (root / "link-to-sub").symlink_to(root / "sub", target_is_directory=True)
    os.mkfifo(root / "fifo")
    return files


def test_folder_walk_lists_regular_files_without_following_links(tmp_path: Path) -> None:
    files = _folder(tmp_path)
    assert detect_format(tmp_path) == "folder"
    with open_source(tmp_path) as source:
        assert source.info.format == "folder"
        assert source.info.size is None  # known once walked (no second walk at open)
        records, errors = walk(source)
        assert source.info.size == sum(len(d) for d in files.values())
        assert errors == []
        assert set(records) == {"/" + p for p in files}
        for relative, data in files.items():
            record = records["/" + relative]
            assert record.size == len(data) and not record.deleted
            assert record.hidden == relative.startswith(".")
            assert record.locator == str(tmp_path / relative)
            assert content_sha256(record) == hashlib.sha256(data).hexdigest()
            assert record.mtime is not None and record.mtime.tzinfo is UTC
        sibling = artefact_for(source, records["/sub/b.bin"]).sibling("deeper")
        assert sibling is None  # a folder is not a file


def _walk_items(root: Path) -> list[tuple[str, str, str]]:
    with open_source(root) as source:
        return [(type(i).__name__, i.path, getattr(i, "stage", "")) for i in source.walk()]


def test_folder_permission_errors_are_recorded_and_the_walk_goes_on() -> None:
    root = Path(tempfile.mkdtemp(prefix="orderwatch-perm-"))
    try:
        root.chmod(0o755)
        (root / "open.txt").write_text("readable\n")
        (root / "zlocked").mkdir()
        (root / "zlocked" / "secret.txt").write_text("unreachable\n")
        (root / "zlocked").chmod(0o000)
        if os.geteuid() == 0:  # root reads anything: walk as "nobody" (euid only, restored)
            os.seteuid(65534)
            try:
                items = _walk_items(root)
            finally:
                os.seteuid(0)
        else:
            items = _walk_items(root)
        assert items == [("FileRecord", "/open.txt", ""), ("WalkError", "/zlocked", "walk")]
    finally:
        (root / "zlocked").chmod(0o755)
        shutil.rmtree(root)


# --------------------------------------------------------------------------- real images


def _needs(module: str, what: str) -> None:
    pytest.importorskip(module, reason=f"the installed dfvfs cannot read {what} ({module} absent)")


def test_dfvfs_ext2_e01(shared_data: Path) -> None:
    _needs("pyewf", "E01")
    image = shared_file(shared_data, f"{DFVFS}/ext2.E01")
    with open_source(image) as source:
        assert (source.info.format, source.info.volumes) == ("ewf", ["whole (ext2)"])
        assert source.info.md5 == "196066add11fb71c4c49cf1bb50d6d24"
        assert source.info.size == 4194304
        records, errors = walk(source)
        assert errors == [] and set(records) == EXT2_FAMILY
        passwords = records["/passwords.txt"]
        assert (passwords.inode, passwords.size) == (14, 116)
        assert passwords.mtime == utc("2021-07-22T14:07:32")
        assert content_sha256(passwords, source.context) == PASSWORDS_SHA256
        another = records["/a_directory/another_file"]
        assert (another.inode, another.size) == (15, 22)
        assert content_sha256(another, source.context) == ANOTHER_FILE_SHA256
        assert source.verify() is True
    assert listed(records) == fls_files(image, "-i", "ewf")


def test_dfvfs_ext2_vhd(shared_data: Path) -> None:
    _needs("pyvhdi", "VHD")
    image = shared_file(shared_data, f"{DFVFS}/ext2.vhd")
    with open_source(image) as source:
        assert source.info.format == "vhd"
        assert source.info.size == 4194304 + 18432  # qemu-img's CHS padding
        records, errors = walk(source)
        assert errors == [] and set(records) == EXT2_FAMILY
        assert content_sha256(records["/passwords.txt"]) == PASSWORDS_SHA256


def test_velociraptor_fat12(shared_data: Path) -> None:
    image = shared_file(shared_data, f"{VELOCIRAPTOR}/fat_very_small.dd")
    with open_source(image) as source:
        assert (source.info.format, source.info.volumes) == ("raw", ["whole (FAT12)"])
        records, errors = walk(source)
    assert errors == [] and set(records) == {"/a/b/hello.txt"}
    hello = records["/a/b/hello.txt"]
    assert (
        hello.size == 12 and content_sha256(hello) == hashlib.sha256(b"hello world\n").hexdigest()
    )
    assert hello.mtime == utc("2023-09-23T09:33:48")
    assert hello.btime == utc("2023-09-23T09:33:49.720000")
    assert listed(records) == fls_files(image)


def test_velociraptor_ntfs_e01_with_alternate_data_stream(shared_data: Path) -> None:
    _needs("pyewf", "E01")
    image = shared_file(shared_data, f"{VELOCIRAPTOR}/test.ntfs.dd.E01")
    with open_source(image) as source:
        assert (source.info.format, source.info.volumes) == ("ewf", ["whole (NTFS)"])
        assert source.info.md5 == "8b4382280340597b7930b4b34742afba"
        records, errors = walk(source)
        assert errors == []
        # velociraptor's root glob, less folders, $Secure (no unnamed $DATA) and $BadClus:$Bad
        root = {p for p in records if p.count("/") == 1}
        assert root == {
            "/$AttrDef", "/$BadClus", "/$Bitmap", "/$Boot", "/$LogFile", "/$MFT", "/$MFTMirr",
            "/$Secure:$SDS", "/$UpCase", "/$UpCase:$Info", "/$Volume",
            "/another_file.txt", "/just_a_file.txt", "/ones.bin",
        }  # fmt: skip
        hello = records["/Folder A/Folder B/Hello world text document.txt"]
        stream = records["/Folder A/Folder B/Hello world text document.txt:goodbye.txt"]
        assert (hello.inode, stream.inode, stream.size) == (46, 46, 20)
        assert content_sha256(hello) == hashlib.sha256(b"Hello world!").hexdigest()
        assert hello.btime == utc("2018-09-24T07:55:29.766471")
        assert hello.mtime == utc("2018-09-24T07:56:35.313556")
        assert not hello.hidden and not hello.system  # ARCHIVE|COMPRESSED
        assert records["/$MFT"].hidden and records["/$MFT"].system
        just = records["/just_a_file.txt"]
        assert (just.inode, just.size) == (49, 12)
        assert just.btime == utc("2022-03-18T04:15:18.516615")
        assert content_sha256(just) == hashlib.sha256(b"testing 123!").hexdigest()
        another = records["/another_file.txt"]
        assert content_sha256(another) == hashlib.sha256(b"hello world!\r\n").hexdigest()
        with open_file(records["/ones.bin"].locator) as ones:
            assert ones.read(40) == b"ONES" * 10
        assert source.verify() is True
    assert listed(records) == fls_files(image, "-i", "ewf")
    assert dfvfs_reads(stream.locator) == b"Goodbye cruel world."
    icat = shutil.which("icat")
    if icat:
        content = subprocess.run(
            [icat, "-i", "ewf", str(image), "46-128-5"], capture_output=True, check=True
        ).stdout
        assert content_sha256(stream) == hashlib.sha256(content).hexdigest()


def test_dfvfs_apfs(shared_data: Path) -> None:
    _needs("pyfsapfs", "APFS")
    image = shared_file(shared_data, f"{DFVFS}/apfs.raw")
    with open_source(image) as source:
        assert source.info.volumes == ["apfs1 (APFS)"]
        records, errors = walk(source)
        assert errors == []
        assert {p for p in records if p.count("/") == 1} == {"/passwords.txt"}
        assert {p for p in records if p.startswith("/a_directory/")} == {
            "/a_directory/a_file",
            "/a_directory/another_file",
            "/a_directory/a_resourcefork",
        }
        others = {p for p in records if p.count("/") > 1 and not p.startswith("/a_directory/")}
        assert others and all(p.startswith("/.fseventsd/") for p in others)
        passwords = records["/passwords.txt"]
        assert (passwords.inode, passwords.size) == (18, 116)
        assert content_sha256(passwords, source.context) == PASSWORDS_SHA256
        another = records["/a_directory/another_file"]
        assert (another.inode, another.size) == (19, 22)
        assert content_sha256(another, source.context) == ANOTHER_FILE_SHA256


def test_plaso_vss_qcow2_lists_snapshots(shared_data: Path, tmp_path: Path) -> None:
    _needs("pyqcow", "QCOW2")
    _needs("pyvshadow", "volume shadow snapshots")
    image = shared_file(shared_data, "log2timeline_plaso/test_data/vsstest.qcow2")
    with open_source(image) as source:
        assert (source.info.format, source.info.volumes) == ("qcow2", ["whole (NTFS)"])
        assert source.info.snapshots == ["vss1 2013-12-03T06:35:09Z", "vss2 2013-12-03T06:37:48Z"]
        records, errors = walk(source)
        assert errors == []
        users = {p: (r.inode, r.size) for p, r in records.items() if not p.startswith(("/$", "/S"))}
        assert users == {
            "/another_file": (39, 22),
            "/password.txt": (41, 116),
            "/syslog.gz": (35, 540),
        }
        assert content_sha256(records["/password.txt"]) == PASSWORDS_SHA256
        stores = {r.inode for p, r in records.items() if p.startswith("/System Volume Info")}
        assert stores == {37, 38, 40}
    qemu_img = shutil.which("qemu-img")
    if qemu_img and FLS:
        raw = tmp_path / "vss.raw"
        subprocess.run([qemu_img, "convert", "-O", "raw", str(image), str(raw)], check=True)
        assert listed(records) == fls_files(raw)


def test_dfvfs_windows_volume_qcow2(shared_data: Path, tmp_path: Path) -> None:
    _needs("pyqcow", "QCOW2")
    image = shared_file(shared_data, f"{DFVFS}/windows_volume.qcow2")
    with open_source(image) as source:
        records, errors = walk(source)
        assert errors == []
        syslog = records["/Windows/System32/config/syslog"]
        assert (syslog.inode, syslog.size) == (67, 1247)
        assert (
            content_sha256(syslog, source.context)
            == "0420b023f8dc1b71ff25191ce4ce88d10028f99f99f7c21532611f4c273aeae9"
        )
    # MFT entries 16-23 are unallocated and named by no folder: TSK's inode sweep finds them
    orphans = {p for p, r in records.items() if p.startswith("/$OrphanFiles/") and r.deleted}
    assert orphans == {f"/$OrphanFiles/OrphanFile-{n}" for n in range(16, 24)}
    qemu_img = shutil.which("qemu-img")
    if qemu_img and FLS:
        raw = tmp_path / "windows.raw"
        subprocess.run([qemu_img, "convert", "-O", "raw", str(image), str(raw)], check=True)
        assert listed(records) == fls_files(raw)


def test_real_images_are_unchanged_after_access(shared_data: Path) -> None:
    paths = [
        shared_file(shared_data, f"{VELOCIRAPTOR}/test.ntfs.dd.E01"),
        shared_file(shared_data, f"{DFVFS}/ext2.vhd"),
    ]
    before = [file_sha256(p) for p in paths]
    for path in paths:
        with open_source(path) as source:
            for item in source.walk():
                if isinstance(item, FileRecord):
                    content_sha256(item, source.context)
            source.verify()
    assert [file_sha256(p) for p in paths] == before


def test_walk_is_a_generator_that_can_run_twice(ext2_image: BuiltImage) -> None:
    with open_source(ext2_image.path) as source:
        first = list(source.walk())
        assert isinstance(source.walk(), Iterator)
        assert list(source.walk()) == first
    with pytest.raises(ValueError, match="closed"):
        list(source.walk())


@pytest.mark.parametrize(
    ("fixture", "native"),
    [
        ("ext2_image", True),  # a file system straight on a raw image
        ("mbr_disk", True),  # MBR partitions carry their offset
        ("ext2_split_raw", False),  # segments are joined by dfvfs
        ("ext2_e01", True),  # read by the system libewf
        ("ext2_vhd", False),
        ("gpt_disk", True),  # the GPT table read for the partition's offset
    ],
)
def test_raw_images_are_read_by_sleuth_kit_itself_and_others_through_dfvfs(
    fixture: str, native: bool, request: pytest.FixtureRequest
) -> None:
    image: BuiltImage = request.getfixturevalue(fixture)
    with open_source(image.path) as source:
        records, _ = walk(source)
    parents = {json.dumps(json.loads(r.locator)["parent"]) for r in records.values()}
    assert parents
    for parent in parents:
        assert (native_fs_info(json.loads(parent)) is not None) is native, parent


class _FailingMedium(pytsk3.Img_Info):
    """A raw image whose reads past `fail_from` fail (a medium going bad), read by Python as
    dfvfs's and the system libewf's images are."""

    def __init__(self, path: Path) -> None:
        self._data = path.read_bytes()
        self.fail_from: int | None = None
        super().__init__(url="", type=pytsk3.TSK_IMG_TYPE_EXTERNAL)

    def read(self, offset: int, size: int) -> bytes:
        if self.fail_from is not None and offset >= self.fail_from:
            raise OSError(f"medium unreadable at {offset}")
        return self._data[offset : offset + size]

    def get_size(self) -> int:
        return len(self._data)


def test_an_image_readers_error_is_a_walk_error_not_an_aborted_walk(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "a").mkdir(parents=True)
    for i in range(40):  # pushes the later folder's blocks past the first 8 MiB
        (tree / "a" / f"f{i:02d}.bin").write_bytes(bytes([i]) * 300_000)
    (tree / "z").mkdir()
    (tree / "z" / "late.txt").write_text("late\n")
    image = tmp_path / "ext2.raw"
    subprocess.run(
        [tool("mke2fs"), "-q", "-F", "-t", "ext2", "-d", str(tree), str(image), "32M"],
        check=True,
        capture_output=True,
    )
    medium = _FailingMedium(image)
    fs_info = pytsk3.FS_Info(medium)
    medium.fail_from = 8 * 1024 * 1024  # pytsk3 hands the reader's OSError back as RuntimeError
    parent = new_spec("RAW", parent=new_spec("OS", location=str(image)))
    items = list(TskWalker(fs_info, parent, "", lambda offset, size: b"").walk())
    errors = [i for i in items if isinstance(i, WalkError)]
    assert {(e.path, e.stage) for e in errors} == {("/a", "walk"), ("/z", "walk")}
    assert all(re.fullmatch(r"medium unreadable at \d+", e.message) for e in errors)
