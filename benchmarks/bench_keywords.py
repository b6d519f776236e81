"""Keyword matching with 5,000 phrases, normalisation included: MB/s of text.

`make bench BENCH=keywords` (BENCH_ARGS="--mb 32" for a shorter run). The text is made here:
chat-like sentences from a fixed vocabulary, with some non-ASCII (emoji, curly quotes, accents)
and planted phrases, a share of them disguised (leetspeak, spaced-out letters, look-alikes).
Compared in the same run: orderwatch's KeywordMatcher (hyperscan with the C path of _textkey,
the same with the pure-Python path it falls back to, then the pyahocorasick fallback),
pyahocorasick on the raw text, hyperscan on the raw text, and a Python regex alternation (on a
small sample, extrapolated).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import time
from collections.abc import Callable

from orderwatch.domain import textmatch
from orderwatch.domain.textmatch import KeywordMatcher

# Everyday words, most frequent first.
COMMON_TEXT = """
    the a to and of in is you that it for on was with he as i his they be at one have this
    from or had by hot word but what some we can out other were all there when up use your
    how said an each she which do their time if will way about many then them write would
    like so these her long make thing see him two has look more day could go come did number
    sound no most people my over know water than call first who may down side been now find
    any new work part take get place made live where after back little only round man year
    came show every good me give our under name very through just form sentence great think
    say help low line differ turn cause much mean before move right boy old too same tell
    does set three want air well also play small end put home read hand port large spell add
    even land here must big high such follow act why ask men change went light kind off need
    house picture try us again animal point mother world near build self earth father head
    stand own page should country found answer school grow study still learn plant cover
    food sun four between state keep eye never last let thought city tree cross farm hard
    start might story saw far sea draw left late run while press close night real life few
    north open seem together next white children
"""
COMMON = COMMON_TEXT.split()
SYLLABLES_TEXT = "ka lo mi ne ru ta vi so pe du fa gri ston mar bel ten dor wick lan ser"
SYLLABLES = SYLLABLES_TEXT.split()  # made-up words are 2-3 of these
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


def measure(run: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """Best wall-clock and best CPU seconds of `repeat` runs (CPU time is less disturbed by
    other processes on a shared machine), and the last result."""
    wall = cpu = float("inf")
    result: object = None
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = run()
        cpu = min(cpu, time.process_time() - started_cpu)
        wall = min(wall, time.perf_counter() - started)
    return wall, cpu, result


def rate(label: str, megabytes: float, wall: float, cpu: float, note: str = "") -> None:
    print(
        f"{label:<62} {megabytes / wall:7.1f} MB/s wall {megabytes / cpu:7.1f} MB/s CPU  {note}",
        flush=True,
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench_keywords")
    parser.add_argument("--mb", type=float, default=32.0, help="MB of text to generate")
    parser.add_argument("--phrases", type=int, default=5000)
    parser.add_argument("--chunk-kb", type=int, default=64, help="size of one text passed in")
    parser.add_argument("--repeat", type=int, default=3, help="runs per row; the best counts")
    args, _ = parser.parse_known_args(argv)
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for common in (False, True):
        rng = random.Random(20250301)
        vocabulary = make_vocabulary(rng)
        phrases = make_phrases(rng, vocabulary, args.phrases, common)
        text = make_text(rng, vocabulary, phrases, int(args.mb * 1_000_000))
        kind = "made-up words only" if not common else "everyday words mixed in"
        print(f"\n-- {len(phrases)} phrases of {kind} --")
        compare(text, phrases, args.chunk_kb, args.repeat)
    rng = random.Random(20250301)
    vocabulary = make_vocabulary(rng)
    text = make_text(rng, vocabulary, make_phrases(rng, vocabulary, 100, True), 2_000_000)
    print("\n-- 120-char messages, trimmed, as the monitoring server gets them --")
    compare_messages([m.strip() for m in chunks(text, 120)], args.repeat)
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def compare_messages(messages: list[str], repeat: int) -> None:
    """The shipped grooming lexicon and an order's own short word list, per 120-char message."""
    from orderwatch.domain.lexicons import default_lexicon

    message_mb = sum(len(m.encode()) for m in messages) / 1e6
    lexicon = default_lexicon().matcher
    words = KeywordMatcher(["snapchat", "kik", "wickr", "telegram", "omegle"], ["meet up"])
    batches = [messages[i : i + 100] for i in range(0, len(messages), 100)]
    for name, matcher in (("default lexicon", lexicon), ("5 words and a phrase", words)):
        label = f"{name} ({len(matcher)} keys)"

        def one_by_one(matcher: KeywordMatcher = matcher) -> object:
            return [matcher.find(t) for t in messages]

        def in_batches(matcher: KeywordMatcher = matcher) -> object:
            return [matcher.find_many(b) for b in batches]

        wall, cpu, _ = measure(one_by_one, repeat)
        per = f"{cpu / len(messages) * 1e6:.1f} us CPU per message"
        rate(f"{label}: find() per 120-char message", message_mb, wall, cpu, per)
        if hasattr(matcher, "find_many"):
            wall, cpu, _ = measure(in_batches, repeat)
            per = f"{cpu / len(messages) * 1e6:.1f} us CPU per message"
            rate(f"{label}: find_many() of 100", message_mb, wall, cpu, per)


def compare(text: str, phrases: list[str], chunk_kb: int, repeat: int) -> None:
    size_mb = len(text.encode("utf-8")) / 1e6
    docs = chunks(text, chunk_kb * 1000)
    print(f"text: {size_mb:.1f} MB in {len(docs)} texts of {chunk_kb} KB")
    started = time.perf_counter()
    matcher = KeywordMatcher([], phrases)
    seconds = time.perf_counter() - started
    path = "C path" if getattr(matcher, "_finder", None) is not None else "Python path"
    groups = getattr(getattr(matcher, "_fast", None), "groups", None)  # C path: literals scanned
    scanned = f", {len(groups)} literals scanned" if groups else ""
    print(
        f"compile KeywordMatcher ({matcher.engine}): {seconds:.2f} s, {len(matcher)} keys{scanned}"
    )
    wall, cpu, found = measure(lambda: sum(len(matcher.find(d)) for d in docs), repeat)
    rate(
        f"orderwatch KeywordMatcher, {matcher.engine}, normalised ({path})",
        size_mb,
        wall,
        cpu,
        f"{found} hits",
    )
    if path == "C path":  # the pure-Python path it falls back to, for comparison
        saved_native = textmatch._NATIVE
        textmatch._NATIVE = None
        try:
            python = KeywordMatcher([], phrases)
        finally:
            textmatch._NATIVE = saved_native
        wall, cpu, same = measure(lambda: sum(len(python.find(d)) for d in docs), repeat)
        assert same == found, (same, found)
        rate("  same, pure-Python path (no _textkey)", size_mb, wall, cpu, f"{same} hits")

    messages = chunks(text[:2_000_000], 120)
    message_mb = sum(len(m.encode()) for m in messages) / 1e6
    wall, cpu, _ = measure(lambda: [matcher.find(m) for m in messages], repeat)
    per = f"{cpu / len(messages) * 1e6:.1f} us CPU per message"
    rate("  same, one 120-char message per call: find()", message_mb, wall, cpu, per)
    if hasattr(matcher, "find_many"):  # so that this file also runs against older versions
        batches = [messages[i : i + 100] for i in range(0, len(messages), 100)]
        wall, cpu, many = measure(lambda: [matcher.find_many(b) for b in batches], repeat)
        assert isinstance(many, list)
        assert [h for b in many for h in b] == [matcher.find(m) for m in messages]
        per = f"{cpu / len(messages) * 1e6:.1f} us CPU per message"
        rate("  same, batches of 100 messages: find_many()", message_mb, wall, cpu, per)

    saved = textmatch._HYPERSCAN
    textmatch._HYPERSCAN = None
    try:
        portable = KeywordMatcher([], phrases)
    finally:
        textmatch._HYPERSCAN = saved
    sample = docs[: max(1, len(docs) // 4)]
    sample_mb = sum(len(d.encode()) for d in sample) / 1e6
    wall, cpu, found = measure(lambda: sum(len(portable.find(d)) for d in sample), 1)
    note = f"(on a quarter of the text) {found} hits"
    rate(
        "orderwatch KeywordMatcher, pyahocorasick fallback, normalised", sample_mb, wall, cpu, note
    )

    import ahocorasick

    automaton = ahocorasick.Automaton()
    for index, phrase in enumerate(phrases):
        automaton.add_word(phrase, index)
    automaton.make_automaton()
    lowered = [d.lower() for d in docs]
    wall, cpu, found = measure(lambda: sum(1 for d in lowered for _ in automaton.iter(d)), repeat)
    note = f"{found} substring hits"
    rate("pyahocorasick on raw (lower-cased) text, no normalisation", size_mb, wall, cpu, note)

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

        def scan_raw() -> int:
            count[0] = 0
            for r in raw:
                database.scan(r, match_event_handler=on_match, scratch=scratch)
            return count[0]

        wall, cpu, found = measure(scan_raw, repeat)
        note = f"{found} substring hits"
        rate(
            "hyperscan on raw text (caseless literals), no normalisation", size_mb, wall, cpu, note
        )
    else:
        print("hyperscan: not installed or does not load here")

    regex = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b", re.I)
    small = text[:200_000]
    wall, cpu, found = measure(lambda: len(regex.findall(small)), 1)
    note = f"{found} hits"
    rate(
        "Python regex alternation (200 KB sample, extrapolated)",
        len(small.encode()) / 1e6,
        wall,
        cpu,
        note,
    )
