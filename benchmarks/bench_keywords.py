"""Keyword matching with 5,000 phrases, normalisation included: MB/s of text.

`make bench BENCH=keywords` (BENCH_ARGS="--mb 32" for a shorter run). The text is made here:
chat-like sentences from a fixed vocabulary, with some non-ASCII (emoji, curly quotes, accents)
and planted phrases, a share of them disguised (leetspeak, spaced-out letters, look-alikes).
Compared in the same run: orderwatch's KeywordMatcher (hyperscan, then the pyahocorasick
fallback), pyahocorasick on the raw text, hyperscan on the raw text, and a Python regex
alternation (on a small sample, extrapolated).
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections.abc import Callable

from orderwatch.domain import textmatch
from orderwatch.domain.textmatch import KeywordMatcher

COMMON = [
    "the",
    "a",
    "to",
    "and",
    "of",
    "in",
    "is",
    "you",
    "that",
    "it",
    "for",
    "on",
    "was",
    "with",
    "he",
    "as",
    "i",
    "his",
    "they",
    "be",
    "at",
    "one",
    "have",
    "this",
    "from",
    "or",
    "had",
    "by",
    "hot",
    "word",
    "but",
    "what",
    "some",
    "we",
    "can",
    "out",
    "other",
    "were",
    "all",
    "there",
    "when",
    "up",
    "use",
    "your",
    "how",
    "said",
    "an",
    "each",
    "she",
    "which",
    "do",
    "their",
    "time",
    "if",
    "will",
    "way",
    "about",
    "many",
    "then",
    "them",
    "write",
    "would",
    "like",
    "so",
    "these",
    "her",
    "long",
    "make",
    "thing",
    "see",
    "him",
    "two",
    "has",
    "look",
    "more",
    "day",
    "could",
    "go",
    "come",
    "did",
    "number",
    "sound",
    "no",
    "most",
    "people",
    "my",
    "over",
    "know",
    "water",
    "than",
    "call",
    "first",
    "who",
    "may",
    "down",
    "side",
    "been",
    "now",
    "find",
    "any",
    "new",
    "work",
    "part",
    "take",
    "get",
    "place",
    "made",
    "live",
    "where",
    "after",
    "back",
    "little",
    "only",
    "round",
    "man",
    "year",
    "came",
    "show",
    "every",
    "good",
    "me",
    "give",
    "our",
    "under",
    "name",
    "very",
    "through",
    "just",
    "form",
    "sentence",
    "great",
    "think",
    "say",
    "help",
    "low",
    "line",
    "differ",
    "turn",
    "cause",
    "much",
    "mean",
    "before",
    "move",
    "right",
    "boy",
    "old",
    "too",
    "same",
    "tell",
    "does",
    "set",
    "three",
    "want",
    "air",
    "well",
    "also",
    "play",
    "small",
    "end",
    "put",
    "home",
    "read",
    "hand",
    "port",
    "large",
    "spell",
    "add",
    "even",
    "land",
    "here",
    "must",
    "big",
    "high",
    "such",
    "follow",
    "act",
    "why",
    "ask",
    "men",
    "change",
    "went",
    "light",
    "kind",
    "off",
    "need",
    "house",
    "picture",
    "try",
    "us",
    "again",
    "animal",
    "point",
    "mother",
    "world",
    "near",
    "build",
    "self",
    "earth",
    "father",
    "head",
    "stand",
    "own",
    "page",
    "should",
    "country",
    "found",
    "answer",
    "school",
    "grow",
    "study",
    "still",
    "learn",
    "plant",
    "cover",
    "food",
    "sun",
    "four",
    "between",
    "state",
    "keep",
    "eye",
    "never",
    "last",
    "let",
    "thought",
    "city",
    "tree",
    "cross",
    "farm",
    "hard",
    "start",
    "might",
    "story",
    "saw",
    "far",
    "sea",
    "draw",
    "left",
    "late",
    "run",
    "while",
    "press",
    "close",
    "night",
    "real",
    "life",
    "few",
    "north",
    "open",
    "seem",
    "together",
    "next",
    "white",
    "children",
]
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "ta",
    "vi",
    "so",
    "pe",
    "du",
    "fa",
    "gri",
    "ston",
    "mar",
    "bel",
    "ten",
    "dor",
    "wick",
    "lan",
    "ser",
]
DISGUISES: tuple[Callable[[str], str], ...] = (
    lambda p: p.upper(),
    lambda p: p.replace("o", "0").replace("e", "3").replace("a", "4"),
    lambda p: " ".join(p),  # spaced-out letters
    lambda p: p.replace("a", "\u0430").replace("o", "\u043e"),  # Cyrillic look-alikes
    lambda p: p.replace("e", "eee"),
)


def make_vocabulary(rng: random.Random) -> list[str]:
    made = {"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))) for _ in range(4000)}
    return COMMON + sorted(made)


def make_phrases(rng: random.Random, vocabulary: list[str], count: int, common: bool) -> list[str]:
    """Phrases of 2-4 words and at least 10 letters; with `common`, everyday words mixed in
    (like a real lexicon: "send me a picture"), else made-up words only."""
    words = vocabulary if common else vocabulary[len(COMMON) :]
    phrases: set[str] = set()
    while len(phrases) < count:
        phrase = " ".join(rng.choice(words) for _ in range(rng.randint(2, 4)))
        if len(phrase) >= 10:
            phrases.add(phrase)
    return sorted(phrases)


def make_text(rng: random.Random, vocabulary: list[str], phrases: list[str], size: int) -> str:
    parts: list[str] = []
    total = 0
    extras = ("\U0001f600", "\u2019s", "caf\u00e9", "na\u00efve")
    while total < size:
        words = [
            rng.choice(COMMON) if rng.random() < 0.75 else rng.choice(vocabulary)
            for _ in range(rng.randint(4, 16))
        ]  # everyday words dominate, as in real text
        if rng.random() < 0.05:
            words.append(rng.choice(extras))
        if rng.random() < 0.02:  # about one planted phrase per 3 KB, half disguised
            phrase = rng.choice(phrases)
            words.append(rng.choice(DISGUISES)(phrase) if rng.random() < 0.5 else phrase)
        sentence = " ".join(words).capitalize() + rng.choice((". ", "! ", "? ", " :) ", ".\n"))
        if rng.random() < 0.1:
            sentence = f"{rng.randint(1, 2000)} " + sentence
        parts.append(sentence)
        total += len(sentence)
    return "".join(parts)


def chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def rate(label: str, megabytes: float, seconds: float, note: str = "") -> None:
    print(f"{label:<58} {megabytes / seconds:8.1f} MB/s  {note}", flush=True)


def timed(run: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench_keywords")
    parser.add_argument("--mb", type=float, default=32.0, help="MB of text to generate")
    parser.add_argument("--phrases", type=int, default=5000)
    parser.add_argument("--chunk-kb", type=int, default=64, help="size of one text passed in")
    args, _ = parser.parse_known_args(argv)
    for common in (False, True):
        rng = random.Random(20250301)
        vocabulary = make_vocabulary(rng)
        phrases = make_phrases(rng, vocabulary, args.phrases, common)
        text = make_text(rng, vocabulary, phrases, int(args.mb * 1_000_000))
        kind = "made-up words only" if not common else "everyday words mixed in"
        print(f"\n-- {len(phrases)} phrases of {kind} --")
        compare(text, phrases, args.chunk_kb)


def compare(text: str, phrases: list[str], chunk_kb: int) -> None:
    size_mb = len(text.encode("utf-8")) / 1e6
    docs = chunks(text, chunk_kb * 1000)
    print(f"text: {size_mb:.1f} MB in {len(docs)} texts of {chunk_kb} KB")
    seconds, matcher = timed(lambda: KeywordMatcher([], phrases))
    assert isinstance(matcher, KeywordMatcher)
    print(f"compile KeywordMatcher ({matcher.engine}): {seconds:.2f} s, {len(matcher)} keys")
    seconds, found = timed(lambda: sum(len(matcher.find(d)) for d in docs))
    rate(
        f"orderwatch KeywordMatcher, {matcher.engine}, normalised",
        size_mb,
        seconds,
        f"{found} hits",
    )

    messages = chunks(text[:2_000_000], 120)
    seconds, _ = timed(lambda: [matcher.find(m) for m in messages])
    rate(
        "  same, one 120-char message per call",
        len(messages) * 120 / 1e6,
        seconds,
        f"{seconds / len(messages) * 1e6:.1f} us per message",
    )

    saved = textmatch._HYPERSCAN
    textmatch._HYPERSCAN = None
    try:
        portable = KeywordMatcher([], phrases)
    finally:
        textmatch._HYPERSCAN = saved
    sample = docs[: max(1, len(docs) // 4)]
    sample_mb = sum(len(d.encode()) for d in sample) / 1e6
    seconds, found = timed(lambda: sum(len(portable.find(d)) for d in sample))
    rate(
        "orderwatch KeywordMatcher, pyahocorasick fallback, normalised",
        sample_mb,
        seconds,
        f"(on a quarter of the text) {found} hits",
    )

    import ahocorasick

    automaton = ahocorasick.Automaton()
    for index, phrase in enumerate(phrases):
        automaton.add_word(phrase, index)
    automaton.make_automaton()
    lowered = [d.lower() for d in docs]
    seconds, found = timed(lambda: sum(1 for d in lowered for _ in automaton.iter(d)))
    rate(
        "pyahocorasick on raw (lower-cased) text, no normalisation",
        size_mb,
        seconds,
        f"{found} substring hits",
    )

    if textmatch._HYPERSCAN is not None:
        hyperscan = textmatch._HYPERSCAN
        database = hyperscan.Database()
        database.compile(
            expressions=[p.encode() for p in phrases],
            ids=list(range(len(phrases))),
            elements=len(phrases),
            flags=hyperscan.HS_FLAG_CASELESS,
            literal=True,
        )
        scratch = hyperscan.Scratch(database)
        raw = [d.encode() for d in docs]
        count = [0]

        def on_match(*_: object) -> None:
            count[0] += 1

        seconds, _ = timed(
            lambda: [database.scan(r, match_event_handler=on_match, scratch=scratch) for r in raw]
        )
        rate(
            "hyperscan on raw text (caseless literals), no normalisation",
            size_mb,
            seconds,
            f"{count[0]} substring hits",
        )
    else:
        print("hyperscan: not installed or does not load here")

    regex = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b", re.I)
    small = text[:200_000]
    seconds, found = timed(lambda: len(regex.findall(small)))
    rate(
        "Python regex alternation (200 KB sample, extrapolated)",
        len(small.encode()) / 1e6,
        seconds,
        f"{found} hits",
    )
