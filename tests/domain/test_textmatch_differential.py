"""Differential test: the matcher's hits on generated text against those recorded from an earlier
implementation (textmatch_golden.json.gz, written by the matcher of commit 1b6e2dd).

The text is made here, deterministically: chat-like sentences with planted terms, most of them
disguised (case, leetspeak, spaced-out or dotted letters, look-alikes, accents, zero-width
characters, repeated letters, joined-up words, text speak, odd separators), long texts and short
ones, for a small matcher (spots found by the shared scanner) and a large one (its own). Any
optimisation of textmatch must leave every hit as it was; a deliberate change of behaviour
rewrites the file: `PYTHONPATH=src python tests/domain/test_textmatch_differential.py --write`.
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from orderwatch.domain import textmatch
from orderwatch.domain.textmatch import KeywordMatcher

GOLDEN = Path(__file__).with_name("textmatch_golden.json.gz")

WORDS = ["alone", "ass", "kik", "sex", "pic", "snap", "still"]
PHRASES = [
    "home alone",
    "are you alone",
    "don't tell anyone",
    "send me a picture",
    "meet up",
    "how old are you",
    "what school do you go to",
    "keep it secret",
    "delete this chat",
    "are your parents home",
    "when will your parents be back",
    "i will buy you",
    "show me what you look like",
    "turn on your camera",
    "our little secret",
    "add me on snapchat",
]
FILLER_TEXT = (
    "the a to and of in is you that it for on was with he as i his they be at one have this from "
    "or had by hot word but what some we can out other were all there when up use your how said "
    "an each she which do their time if will way about many then them write would like so these "
    "her long make thing see him two has look more day could go come did number sound no most "
    "people my over know water than call first who may down side been now find any new work part"
)
FILLER = FILLER_TEXT.split()
SYLLABLES_TEXT = "ka lo mi ne ru ta vi so pe du fa gri ston mar bel ten dor wick lan ser"
SYLLABLES = SYLLABLES_TEXT.split()
EXTRAS = ["\U0001f600", "\u2019s", "caf\u00e9", "na\u00efve", "\u00df", "1st", "2nite", "!!", ":)"]
SEPARATORS = [" ", " ", " ", "  ", "\n", "\t", ", ", ". ", "-", "_", "...", " - "]

Disguise = Callable[[str, random.Random], str]
DISGUISES: list[Disguise] = [
    lambda p, r: p,
    lambda p, r: p.upper(),
    lambda p, r: p.title(),
    lambda p, r: p.replace("o", "0").replace("e", "3").replace("a", "4"),
    lambda p, r: p.replace("a", "@").replace("s", "$").replace("i", "!"),
    lambda p, r: p.replace("l", "1").replace("i", "|"),
    lambda p, r: " ".join(p),
    lambda p, r: ".".join(p.replace(" ", "")),
    lambda p, r: "*".join(p),
    lambda p, r: "  ".join(p.split()),
    lambda p, r: p.replace(" ", ""),
    lambda p, r: "#" + p.title().replace(" ", ""),
    lambda p, r: p.replace("a", "\u0430").replace("o", "\u043e").replace("e", "\u0435"),
    lambda p, r: p.replace("e", "\u00e9").replace("o", "\u00f6").replace("a", "\u00e0"),
    lambda p, r: "\u200b".join(p),
    lambda p, r: p.replace("o", "ooo").replace("e", "eee"),
    lambda p, r: "".join(c * r.randint(1, 3) for c in p),
    lambda p, r: p.replace("you", "u").replace("are", "r").replace("to", "2"),
    lambda p, r: p.replace(" ", r.choice(SEPARATORS)),
    lambda p, r: p.replace("'", "\u2019"),
    lambda p, r: "".join(chr(ord(c) + 0xFEE0) if "a" <= c <= "z" else c for c in p),
    lambda p, r: p[: len(p) // 2] + r.choice(" x") + p[len(p) // 2 :],  # a near miss
    lambda p, r: p + r.choice(["s", "ing", "zone", "1", "!"]),  # runs on into another word
]


def made_up_phrases(rng: random.Random, count: int) -> list[str]:
    phrases: set[str] = set()
    while len(phrases) < count:
        words = [
            "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
            for _ in range(rng.randint(2, 3))
        ]
        phrases.add(" ".join(words))
    return sorted(phrases)


def sentence(rng: random.Random, terms: list[str]) -> str:
    words = [rng.choice(FILLER) for _ in range(rng.randint(2, 12))]
    if rng.random() < 0.15:
        words.insert(rng.randrange(len(words) + 1), rng.choice(EXTRAS))
    if rng.random() < 0.5:
        term = rng.choice(DISGUISES)(rng.choice(terms), rng)
        words.insert(rng.randrange(len(words) + 1), term)
    glue = rng.choice(SEPARATORS) if rng.random() < 0.2 else " "
    text = glue.join(words)
    if rng.random() < 0.1:
        text = f"{rng.randint(1, 2000)} {text}"
    return text + rng.choice([". ", "! ", "? ", " :) ", ".\n", "!!! ", " "])


def texts(seed: int, terms: list[str]) -> tuple[list[str], list[str]]:
    """40 long texts (about 3 KB) and 3,000 short ones (a sentence or two, some trimmed)."""
    rng = random.Random(seed)
    long_texts = []
    for _ in range(40):
        parts: list[str] = []
        while sum(map(len, parts)) < 3000:
            parts.append(sentence(rng, terms))
        long_texts.append("".join(parts))
    short = ["".join(sentence(rng, terms) for _ in range(rng.randint(1, 2))) for _ in range(3000)]
    short = [t.strip() if rng.random() < 0.5 else t for t in short]
    short += ["", " ", "\U0001f600", "a", "h o m e", "a l o n e !", "\u200b\u200b", "!!!"]
    return long_texts, short


def cases(native: bool = True) -> dict[str, tuple[KeywordMatcher, list[str]]]:
    """name -> (matcher, texts): a small matcher and a large one, each on its own texts; with
    `native` False, matchers of the pure-Python path even when the C module is built."""
    saved = textmatch._NATIVE
    if not native:
        textmatch._NATIVE = None
    try:
        return _cases()
    finally:
        textmatch._NATIVE = saved


def _cases() -> dict[str, tuple[KeywordMatcher, list[str]]]:
    made_up = made_up_phrases(random.Random(7), 400)
    labels = {t: f"label {i % 5}" for i, t in enumerate(WORDS + PHRASES)}
    small = KeywordMatcher(WORDS, PHRASES, labels)
    large = KeywordMatcher(WORDS + made_up[:100], PHRASES + made_up[100:], labels)
    out = {}
    for name, matcher, terms, seed in (
        ("small", small, WORDS + PHRASES, 1),
        ("large", large, WORDS + PHRASES + made_up, 2),
    ):
        long_texts, short = texts(seed, terms)
        out[name] = (matcher, long_texts + short)
    return out


Hits = list[list[list[object]]]


def hits_of(matcher: KeywordMatcher, items: list[str]) -> Hits:
    return [[[h.term, h.label, h.start, h.end] for h in matcher.find(t)] for t in items]


@pytest.fixture(scope="module")
def golden() -> dict[str, Hits]:
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as file:
        data: dict[str, Hits] = json.load(file)
    return data


PATHS = pytest.mark.parametrize(
    "native",
    [
        pytest.param(
            True,
            id="native",
            marks=pytest.mark.skipif(textmatch._NATIVE is None, reason="_textkey is not built"),
        ),
        pytest.param(False, id="python"),
    ],
)


@PATHS
@pytest.mark.parametrize("name", ["small", "large"])
def test_hits_are_those_recorded(golden: dict[str, Hits], name: str, native: bool) -> None:
    matcher, items = cases(native)[name]
    assert len(items) == len(golden[name])
    found = hits_of(matcher, items)
    differ = [i for i, (a, b) in enumerate(zip(found, golden[name], strict=True)) if a != b]
    detail = [(items[i], golden[name][i], found[i]) for i in differ[:3]]
    assert not differ, f"{len(differ)} texts differ, e.g. (text, recorded, now): {detail}"
    assert sum(map(len, found)) > 1000  # the text does plant what it should


@PATHS
@pytest.mark.parametrize("name", ["small", "large"])
def test_find_many_gives_the_recorded_hits_too(
    golden: dict[str, Hits], name: str, native: bool
) -> None:
    matcher, items = cases(native)[name]
    rng = random.Random(3)
    at = 0
    while at < len(items):
        size = rng.choice([1, 2, 7, 50, 100, 400])
        batch = items[at : at + size]
        many = matcher.find_many(batch)
        got = [[[h.term, h.label, h.start, h.end] for h in hits] for hits in many]
        assert got == golden[name][at : at + size], f"batch of {size} from text {at}"
        at += size


def write() -> None:
    data = {name: hits_of(matcher, items) for name, (matcher, items) in cases(False).items()}
    with gzip.open(GOLDEN, "wt", encoding="utf-8", compresslevel=9) as file:
        json.dump(data, file, separators=(",", ":"))
    print(f"wrote {GOLDEN}: {sum(len(h) for v in data.values() for h in v)} hits")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write()
