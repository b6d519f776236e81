"""Files of raw images read from the mapped image: the same bytes as Sleuth Kit reads."""

from __future__ import annotations

import io

import pytest

from fixtures.images import BuiltImage
from orderwatch.forensics._source_tsk import TskMappedStream
from orderwatch.forensics.hashing import Digest, hash_streams
from orderwatch.forensics.sources import FileRecord, open_file, open_source


@pytest.mark.parametrize("fixture", ["fat32_image", "ext2_image", "mbr_disk", "gpt_disk"])
def test_raw_image_files_hash_the_same_read_from_the_map(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    image: BuiltImage = request.getfixturevalue(fixture)
    expected = {f.listed_path: f.sha256 for f in image.files}
    with open_source(image.path) as source:
        records = [r for r in source.walk() if isinstance(r, FileRecord)]
        streams = [open_file(r.locator, source.context) for r in records]
        mapped = [isinstance(getattr(s, "raw", None), TskMappedStream) for s in streams]
        outcomes = hash_streams(streams, [r.size for r in records])
        for stream in streams:
            stream.close()
    assert any(mapped), "no file was read from the map"
    assert not all(mapped), "deleted files must be read by Sleuth Kit"
    for record, outcome in zip(records, outcomes, strict=True):
        assert isinstance(outcome, Digest), (record.path, outcome)
        assert outcome.sha256 == expected[record.path], record.path


def test_a_mapped_file_in_several_extents_reads_in_order_and_seeks() -> None:
    image = bytes(range(256)) * 64  # 16 KiB of "image"
    extents = [(0, 4096, 1000), (1000, 100, 24), (1024, 8192, 3000)]  # file offset, at, length
    content = image[4096:5096] + image[100:124] + image[8192:11192]
    stream = TskMappedStream(None, None, len(content), memoryview(image), extents)
    chunks = []
    while chunk := stream.direct_chunk(700):
        assert len(chunk) <= 700
        chunks.append(bytes(chunk))
    assert b"".join(chunks) == content
    assert [len(c) for c in chunks[:3]] == [700, 300, 24]  # never across an extent's end
    stream.seek(1010)
    assert bytes(stream.direct_chunk(20)) == content[1010:1024]
    buffered = io.BufferedReader(stream)
    buffered.seek(995)
    assert buffered.read(40) == content[995:1035]
    buffered.seek(0)
    assert buffered.read() == content
