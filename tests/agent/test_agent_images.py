"""New images in the user's folders and browser caches: MD5, SHA-1, PDQ (and classifier scores)
of the image as served, never the image; unchanged files are not read again."""

from __future__ import annotations

import hashlib
import io
import os
import struct
from pathlib import Path

from agent_fixtures import make_context, run, spooled
from PIL import Image, ImageDraw

from orderwatch.agent.collectors.images import ImagesCollector, load_classifier
from orderwatch.forensics.hashing import pdq_hash


def picture(
    kind: str = "PNG", colour: tuple[int, int, int] = (200, 40, 40), size: int = 96
) -> bytes:
    """An innocuous synthetic picture: a gradient with a circle."""
    image = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(image)
    for y in range(size):
        draw.line([(0, y), (size, y)], fill=(y * 2 % 256, 100, 255 - y % 256))
    draw.ellipse([size // 4, size // 4, 3 * size // 4, 3 * size // 4], fill=colour)
    out = io.BytesIO()
    image.save(out, kind)
    return out.getvalue()


def chromium_cache_entry(url: str, body: bytes) -> bytes:
    """A Chromium simple-cache `_0` file: header, key, body (stream 1), EOF, headers, EOF."""
    key = f"1/0/_dk_http://127.0.0.1 http://127.0.0.1 {url}".encode()
    header = struct.pack("<QIIII", 0xFCFB6D1BA7725C30, 5, len(key), 0x1234, 0)
    eof = struct.pack("<QIII", 0xF4FA6F45970D41D8, 0, 0, len(body)) + b"\0" * 4
    headers = b"HTTP/1.1 200 OK\0Content-Type: image/png\0\0"
    tail = struct.pack("<QIII", 0xF4FA6F45970D41D8, 3, 0, len(headers)) + b"\0" * 4
    return header + key + body + eof + headers + tail


def firefox_cache_entry(body: bytes) -> bytes:
    """A Firefox cache2 entry: body, metadata, the metadata's offset (big-endian) last."""
    metadata = b"\x00\x00\x00\x01" + b":http://example.org/pic.png\x00" + b"response-head\x00"
    return body + metadata + struct.pack(">I", len(body))


class BrightnessClassifier:
    """A stand-in model for the classifier seam: mean brightness as a score."""

    def scores(self, content: bytes) -> dict[str, float]:
        with Image.open(io.BytesIO(content)) as image:
            grey = image.convert("L").resize((8, 8))
            return {"brightness": round(sum(grey.tobytes()) / 64 / 255, 4)}


def test_pictures_in_user_folders_are_hashed_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    pictures = home / "Pictures" / "holiday"
    pictures.mkdir(parents=True)
    png, jpeg = picture("PNG"), picture("JPEG", (20, 200, 20))
    (pictures / "a.png").write_bytes(png)
    (home / "Pictures" / "b.jpg").write_bytes(jpeg)
    (pictures / "notes.dat").write_bytes(picture("PNG", (1, 2, 3)))  # renamed: still an image
    (pictures / "readme.txt").write_text("not a picture")
    context = make_context(tmp_path, home=home, image_caches=False)
    collector = ImagesCollector()

    assert run(collector, context) == 3
    images = {Path(o["path"]).name: o for o in spooled(context, "image")}
    assert sorted(images) == ["a.png", "b.jpg", "notes.dat"]
    assert images["a.png"]["md5"] == hashlib.md5(png).hexdigest()
    assert images["a.png"]["sha1"] == hashlib.sha1(png).hexdigest()
    assert images["a.png"]["pdq"] == pdq_hash(png)[0].hex()
    assert images["b.jpg"]["pdq"] == pdq_hash(jpeg)[0].hex()
    assert images["a.png"]["provenance"]["record"] == "file"
    # Only hashes leave: no spooled body is anywhere near an image's size.
    bodies = [row[0] for row in context.spool.connection.execute("SELECT body FROM spool")]
    assert max(len(b) for b in bodies) < 700 < len(png)

    assert run(collector, context) == 0  # nothing changed: nothing read
    changed = picture("PNG", (0, 0, 255))
    (pictures / "a.png").write_bytes(changed)
    os.utime(pictures / "a.png", ns=(1, 10**18))
    assert run(collector, context) == 1
    assert spooled(context, "image")[-1]["md5"] == hashlib.md5(changed).hexdigest()


def test_browser_cache_entries_are_unwrapped_to_the_served_image(tmp_path: Path) -> None:
    home = tmp_path / "home"
    served_png, served_jpeg = picture("PNG", (9, 9, 200)), picture("JPEG", (250, 250, 0))
    chrome_cache = home / ".cache/google-chrome/Default/Cache/Cache_Data"
    chrome_cache.mkdir(parents=True)
    (chrome_cache / "a1b2c3d4e5f60718_0").write_bytes(
        chromium_cache_entry("http://127.0.0.1/pic.png", served_png)
    )
    (chrome_cache / "index").write_bytes(b"\0" * 64)
    firefox_cache = home / ".cache/mozilla/firefox/abcd.default-release/cache2/entries"
    firefox_cache.mkdir(parents=True)
    (firefox_cache / "0F3C2A9B").write_bytes(firefox_cache_entry(served_jpeg))
    context = make_context(tmp_path, home=home, image_folders=[])
    assert run(ImagesCollector(), context) == 2
    by_md5 = {o["md5"]: o for o in spooled(context, "image")}
    assert set(by_md5) == {
        hashlib.md5(served_png).hexdigest(),
        hashlib.md5(served_jpeg).hexdigest(),
    }
    chrome = by_md5[hashlib.md5(served_png).hexdigest()]
    assert chrome["provenance"]["record"].startswith("Chromium cache entry, body bytes ")
    assert chrome["pdq"] == pdq_hash(served_png)[0].hex()
    firefox = by_md5[hashlib.md5(served_jpeg).hexdigest()]
    assert (
        firefox["provenance"]["record"] == f"Firefox cache2 entry, body bytes 0-{len(served_jpeg)}"
    )


def test_classifier_scores_are_sent_and_a_scan_is_bounded(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "Pictures").mkdir(parents=True)
    for number, colour in enumerate([(255, 255, 255), (0, 0, 0), (128, 128, 128)]):
        (home / "Pictures" / f"{number}.png").write_bytes(picture("PNG", colour, 64))
    context = make_context(tmp_path, home=home, image_caches=False, images_per_scan=2)
    classifier = load_classifier("test_agent_images:BrightnessClassifier")
    collector = ImagesCollector(classifier)
    collector.setup(context.spool.connection)
    report = collector.collect(context)
    assert not report.errors, report.errors
    assert report.spooled == 2 and report.note == "1 file(s) left for the next scan"
    assert collector.collect(context).spooled == 1
    scores = [o["scores"] for o in spooled(context, "image")]
    assert all(set(s) == {"brightness"} and 0 < s["brightness"] < 1 for s in scores)
    assert len({s["brightness"] for s in scores}) == 3
