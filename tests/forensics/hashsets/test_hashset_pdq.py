"""PDQ near-duplicates: multi-index search agrees with a full scan; 31 bits match, 32 do not."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from hashset_inputs import VICS_20_CONTEXT
from PIL import Image, ImageDraw

from orderwatch.forensics.hashsets import (
    build_hashset,
    load_hashsets,
    pdq_from_bits,
    pdq_from_hex,
)
from orderwatch.forensics.hashsets.pdq_index import BRUTE_FORCE_BELOW, PdqIndex, pdq_arrays


def _flip(pdq: bytes, count: int, rng: np.random.Generator) -> bytes:
    bits = np.unpackbits(np.frombuffer(pdq, np.uint8))
    bits[rng.choice(256, size=count, replace=False)] ^= 1
    return np.packbits(bits).tobytes()


def _pdq_list(path: Path, hashes: np.ndarray, category: str = "A") -> Path:
    path.write_text("pdq,category\n" + "".join(f"{bytes(h).hex()},{category}\n" for h in hashes))
    return path


@pytest.fixture(scope="module")
def big_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """Enough random PDQ hashes for the multi-index path (not the small-set scan)."""
    rng = np.random.default_rng(5)
    hashes = rng.integers(0, 256, (BRUTE_FORCE_BELOW + 1000, 32), np.uint8)
    folder = tmp_path_factory.mktemp("pdq")
    build_hashset([_pdq_list(folder / "pdq.csv", hashes)], folder / "pdq.owhs")
    return folder / "pdq.owhs", hashes


@pytest.mark.parametrize("size", ["big", "small"])
def test_distance_0_and_31_match_32_does_not(
    size: str, big_set: tuple[Path, np.ndarray], tmp_path: Path
) -> None:
    rng = np.random.default_rng(9)
    if size == "big":
        index, hashes = big_set
    else:
        hashes = rng.integers(0, 256, (50, 32), np.uint8)
        index = tmp_path / "small.owhs"
        build_hashset([_pdq_list(tmp_path / "small.csv", hashes)], index)
    collection = load_hashsets([index])
    target = bytes(hashes[17])

    [exact] = collection.match_pdq(target)
    assert (exact.method, exact.distance, exact.category) == ("pdq", 0, "A")
    for distance in (1, 16, 30, 31):
        [near] = collection.match_pdq(_flip(target, distance, rng))
        assert near.distance == distance
    for distance in (32, 40, 100):
        assert collection.match_pdq(_flip(target, distance, rng)) == []
    assert collection.match_pdq(_flip(target, 40, rng), max_distance=40)[0].distance == 40


def test_multi_index_search_equals_the_full_scan(big_set: tuple[Path, np.ndarray]) -> None:
    index_path, hashes = big_set
    pdq = load_hashsets([index_path]).sets[0].pdq
    assert pdq is not None and len(pdq) == len(hashes)
    rng = np.random.default_rng(13)
    for trial in range(60):
        base = bytes(hashes[rng.integers(len(hashes))])
        query = _flip(base, int(rng.integers(0, 48)), rng)
        for max_distance in (15, 31, 47):
            found = pdq.search(query, max_distance)
            scanned = pdq.scan(query, max_distance)
            assert found[0].tolist() == scanned[0].tolist(), (trial, max_distance)
            assert found[1].tolist() == scanned[1].tolist()


def test_several_entries_in_reach_report_the_nearest_first() -> None:
    rng = np.random.default_rng(21)
    base = rng.integers(0, 256, 32, np.uint8).tobytes()
    close = [_flip(base, d, rng) for d in (3, 12, 25)]
    filler = rng.integers(0, 256, (BRUTE_FORCE_BELOW, 32), np.uint8)
    hashes = np.concatenate([np.frombuffer(b"".join(close), np.uint8).reshape(3, 32), filler])
    index = PdqIndex(pdq_arrays(hashes, np.zeros(len(hashes), np.uint16)))
    entries, distances = index.search(base, 31)
    assert distances.tolist() == [3, 12, 25]
    assert entries.tolist() == [0, 1, 2]


def test_bad_pdq_queries_are_refused(big_set: tuple[Path, np.ndarray]) -> None:
    collection = load_hashsets([big_set[0]])
    with pytest.raises(ValueError, match="32 bytes"):
        collection.match_pdq(b"\x00" * 31)
    with pytest.raises(ValueError, match=r"0\.\.256"):
        collection.sets[0].pdq.search(b"\x00" * 32, 300)  # type: ignore[union-attr]


def _picture(shift: int) -> bytes:
    image = Image.new("RGB", (320, 240), (250, 250, 240))
    draw = ImageDraw.Draw(image)
    for x in range(0, 320, 8):
        draw.line([(x, 0), (x, 239)], fill=(x % 256, 120, 200 - x // 2))
    draw.ellipse([60 + shift, 40, 200 + shift, 180], fill=(30, 90, 160))
    draw.rectangle([220, 120, 300, 220], fill=(200, 60, 40))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _pdq_of(jpeg: bytes, resize: tuple[int, int] | None = None) -> bytes:
    with Image.open(io.BytesIO(jpeg)) as image:
        picture = image.convert("RGB")
    if resize:
        picture = picture.resize(resize)
    bits, _quality = pdqhash.compute(np.asarray(picture))
    return pdq_from_bits(bits)


def test_a_resized_copy_of_a_listed_image_matches_through_vics(tmp_path: Path) -> None:
    original = _picture(0)
    listed = _pdq_of(original)
    document = {
        "@odata.context": VICS_20_CONTEXT,
        "value": [
            {
                "MediaID": 1,
                "Category": 1,
                "MD5": "0" * 32,
                "AlternativeHashes": [{"HashName": "PDQ", "HashValue": listed.hex().upper()}],
            }
        ],
    }
    (tmp_path / "set.json").write_text(json.dumps(document))
    collection = load_hashsets([tmp_path / "set.json"])

    [match] = collection.match_pdq(_pdq_of(original, resize=(160, 120)))
    assert match.distance <= 31 and match.category == "VICS 1 child abuse material"
    assert pdq_from_hex(listed.hex()) == listed
    unrelated = _pdq_of(_stripes())
    assert collection.match_pdq(unrelated) == []


def _stripes() -> bytes:
    image = Image.new("RGB", (256, 256))
    draw = ImageDraw.Draw(image)
    for y in range(0, 256, 32):
        draw.rectangle([0, y, 255, y + 15], fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_pdq_bits_convert_in_meta_order() -> None:
    bits = np.zeros(256, np.uint8)
    bits[0] = 1  # the first bit pdqhash returns is the most significant of the hex form
    bits[255] = 1
    assert pdq_from_bits(bits).hex() == "8" + "0" * 62 + "1"
    with pytest.raises(ValueError, match="256 bits"):
        pdq_from_bits(bits[:200])
