"""Known-file hash sets: importers, the compact .owhs index and PDQ near-duplicate matching.

Build once (`build_hashset` or `orderwatch hashset build`), then `load_hashsets` memory-maps the
index in milliseconds and matches files in vectorised batches.
"""

from __future__ import annotations

from orderwatch.forensics.hashsets.builder import build_hashset
from orderwatch.forensics.hashsets.collection import HashSet, HashSetCollection, load_hashsets
from orderwatch.forensics.hashsets.digests import pdq_from_bits, pdq_from_hex
from orderwatch.forensics.hashsets.model import (
    PDQ_MATCH_DISTANCE,
    BuildReport,
    HashSetFormatError,
    HashSetMatch,
)

__all__ = [
    "PDQ_MATCH_DISTANCE",
    "BuildReport",
    "HashSet",
    "HashSetCollection",
    "HashSetFormatError",
    "HashSetMatch",
    "build_hashset",
    "load_hashsets",
    "pdq_from_bits",
    "pdq_from_hex",
]
