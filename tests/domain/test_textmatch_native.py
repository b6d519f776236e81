"""Differential tests: the C path of keyword matching (_textkey) against the pure-Python path.

The same matchers are built twice (the C module in use and not) and must give identical hits on
generated and fuzzed texts: every str storage kind (1, 2 and 4 bytes per character), zero-width
characters, combining marks, look-alikes, astral characters, lone surrogates, characters folding
to several bytes, empty strings and very long runs. The C fast key and full key are compared with
the Python ones byte for byte too, offsets included.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from orderwatch.domain import textmatch
from orderwatch.domain.textmatch import KeywordHit, KeywordMatcher
from orderwatch.domain.textmatch_full import MATCHING, full_key
from orderwatch.domain.textmatch_keys import FastKey
from orderwatch.domain.textmatch_native import configure

pytestmark = pytest.mark.skipif(textmatch._NATIVE is None, reason="_textkey is not built")

WORDS = ["alone", "ass", "kik", "sex", "pic", "snap", "still"]
WORDS += ["caf\u00e9", "stra\u00dfe", "\u4e2d\u6587"]
PHRASES = [
    "home alone",
    "are you alone",
    "don't tell anyone",
    "send me a picture",
    "meet up",
    "keep it secret",
    "our little secret",
    "add me on snapchat",
    "\u0445\u043e\u0440\u043e\u0448\u043e today",
]
# Characters of every kind the folding treats differently.
ASCII = "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789@$!|+'-_.,*#  \t\n:;?()"
LATIN1 = "\u00e9\u00ef\u00e0\u00f6\u00df\u00e6\u00d8\u00a0\u00bd\u00b4\u00a3\u00e7"
WIDE = "\u0430\u043e\u0435\u0456\u03b1\u03bf\u0131\u0142\u2019\u2018\u20ac\u2022\u4e2d\u6587\u0301"
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u0300\u0308"
ASTRAL = "\U0001f600\U0001f4f7\U0001d41a\U0001d7d8\U00020000"
SURROGATES = "\ud800\udfff"
ALPHABET = ASCII * 3 + LATIN1 + WIDE + INVISIBLE + ASTRAL + SURROGATES


def matchers(words: list[str], phrases: list[str]) -> tuple[KeywordMatcher, KeywordMatcher]:
    """(C path, Python path) of the same terms."""
    labels = {t: f"label {i % 3}" for i, t in enumerate(words + phrases)}
    native = KeywordMatcher(words, phrases, labels)
    saved = textmatch._NATIVE
    textmatch._NATIVE = None
    try:
        python = KeywordMatcher(words, phrases, labels)
    finally:
        textmatch._NATIVE = saved
    assert native._finder is not None and python._finder is None
    return native, python


@pytest.fixture(scope="module")
def small() -> tuple[KeywordMatcher, KeywordMatcher]:
    """Few keys: the spots come from the shared spot scanner."""
    return matchers(WORDS, PHRASES)


@pytest.fixture(scope="module")
def large() -> tuple[KeywordMatcher, KeywordMatcher]:
    """Over 256 keys: the spot literals are compiled into the matcher's own scanner."""
    rng = random.Random(11)
    syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vi", "so", "pe", "du", "fa", "gri", "mar"]
    made = {
        " ".join("".join(rng.choice(syllables) for _ in range(2)) for _ in range(2))
        for _ in range(400)
    }
    return matchers(WORDS, PHRASES + sorted(made))


def disguise(rng: random.Random, phrase: str) -> str:
    """One of the evasions the matcher sees through, or a near miss."""
    choice = rng.randrange(12)
    if choice == 0:
        return phrase.upper()
    if choice == 1:
        return phrase.replace("o", "0").replace("e", "3").replace("a", "@").replace("s", "$")
    if choice == 2:
        return " ".join(phrase)
    if choice == 3:
        return ".".join(phrase.replace(" ", ""))
    if choice == 4:
        return "\u200b".join(phrase)
    if choice == 5:
        return phrase.replace("a", "\u0430").replace("o", "\u043e")
    if choice == 6:
        return "".join(c + "\u0301" if c in "aeiou" else c for c in phrase)
    if choice == 7:
        return "".join(c * rng.randint(1, 4) for c in phrase)
    if choice == 8:
        return phrase.replace(" ", rng.choice(["", "  ", "\n", "-", "_", " . "]))
    if choice == 9:
        return "".join(chr(ord(c) + 0xFEE0) if "a" <= c <= "z" else c for c in phrase)
    if choice == 10:
        return phrase + rng.choice(["s", "1", "!", "\U0001f600", "\u200b", "'"])
    return phrase[: len(phrase) // 2] + rng.choice(ALPHABET) + phrase[len(phrase) // 2 :]


def fuzzed(rng: random.Random, terms: list[str], size: int) -> str:
    """Random characters of every kind with terms, disguised or not, planted among them."""
    out: list[str] = []
    length = 0
    while length < size:
        if rng.random() < 0.3:
            piece = disguise(rng, rng.choice(terms))
        else:
            piece = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 12)))
        out.append(piece)
        length += len(piece)
    return "".join(out)


def kind_texts(rng: random.Random, terms: list[str]) -> list[str]:
    """Texts stored 1, 2 and 4 bytes per character, ASCII only, and special cases."""
    texts = ["", " ", "a", "\u200b", "\u200b\u200b", "\U0001f600", "\ud800", "!!!", "h o m e"]
    for _ in range(20):
        base = " ".join(disguise(rng, rng.choice(terms)) for _ in range(rng.randint(1, 6)))
        texts.append(base)  # mostly ASCII
        texts.append(base + " \u00e9")  # one byte per character, not ASCII
        texts.append(base + " \u0430")  # two bytes per character
        texts.append(base + " \U0001f600")  # four bytes per character
        texts.append("\u200b" + base + "\u200b")  # zero-width: key offsets differ from the text's
    return texts


def long_runs() -> list[str]:
    """Very long runs of one kind: letters, spaces, leet digits and symbols, spaced-out letters,
    zero-width characters, emoji; with a term before and after."""
    runs = [
        "a" * 70_000,
        " " * 50_000,
        "1" * 40_000,
        "!" * 30_000,
        "4l0n3" * 8_000,
        "a " * 30_000,
        "a." * 20_000,
        "\u200b" * 20_000,
        "\U0001f600" * 20_000,
        "\u00e9" * 30_000,
        "\u043e" * 30_000,
        "\u4e2d" * 10_000,
        "ho" + "o" * 30_000 + "me alone",
    ]
    return [f"home alone {run} h o m e a l o n e" for run in runs]


def assert_same(pair: tuple[KeywordMatcher, KeywordMatcher], texts: list[str]) -> int:
    native, python = pair
    found = 0
    for text in texts:
        expected = python.find(text)
        assert native.find(text) == expected, f"find differs on {text[:200]!r}"
        found += len(expected)
    rng = random.Random(len(texts))
    at = 0
    while at < len(texts):
        batch = texts[at : at + rng.choice([1, 2, 5, 30])]
        assert native.find_many(batch) == python.find_many(batch), f"find_many at {at}"
        at += len(batch)
    return found


@pytest.mark.parametrize("seed", range(4))
def test_fuzzed_texts_give_the_same_hits(
    small: tuple[KeywordMatcher, KeywordMatcher],
    large: tuple[KeywordMatcher, KeywordMatcher],
    seed: int,
) -> None:
    rng = random.Random(seed)
    terms = WORDS + PHRASES
    texts = [fuzzed(rng, terms, rng.choice([5, 40, 300, 3000])) for _ in range(150)]
    texts += [fuzzed(rng, terms, 30_000)]  # long enough for the GIL-free loops
    assert assert_same(small, texts) > 100
    assert assert_same(large, texts) > 100


def test_every_storage_kind_gives_the_same_hits(
    small: tuple[KeywordMatcher, KeywordMatcher], large: tuple[KeywordMatcher, KeywordMatcher]
) -> None:
    texts = kind_texts(random.Random(5), WORDS + PHRASES)
    widths = (0x7F, 0xFF, 0xFFFF, 0x10FFFF)  # ASCII, then 1, 2 and 4 bytes per character
    assert {next(w for w in widths if max(map(ord, t)) <= w) for t in texts if t} == set(widths)
    assert assert_same(small, texts) > 50
    assert assert_same(large, texts) > 50


def test_long_runs_give_the_same_hits(
    small: tuple[KeywordMatcher, KeywordMatcher], large: tuple[KeywordMatcher, KeywordMatcher]
) -> None:
    texts = long_runs()
    assert assert_same(small, texts) >= 2 * len(texts)
    assert assert_same(large, texts) >= 2 * len(texts)


def test_hits_are_keyword_hits(small: tuple[KeywordMatcher, KeywordMatcher]) -> None:
    """The C path makes real KeywordHit objects: equal, hashable, frozen, with their label."""
    hits = small[0].find("Are you HOME  4l0ne?")
    assert hits == [
        KeywordHit("home alone", "label 1", 8, 19),
        KeywordHit("alone", "label 0", 14, 19),
    ]
    assert all(type(hit) is KeywordHit for hit in hits)
    assert len({*hits, *small[1].find("Are you HOME  4l0ne?")}) == 2
    assert repr(hits[1]) == "KeywordHit(term='alone', label='label 0', start=14, end=19)"
    with pytest.raises(AttributeError):
        hits[0].start = 3  # type: ignore[misc]


def test_fast_key_is_the_python_one() -> None:
    native = textmatch._NATIVE
    assert native is not None
    rng = random.Random(8)
    texts = kind_texts(rng, WORDS + PHRASES) + [fuzzed(rng, WORDS, 500) for _ in range(200)]
    for text in texts:
        raw, buffer, mapping = native.fast_key(text)
        key = FastKey(text)
        assert raw == key.raw, text
        assert buffer == bytes(key.buffer), text
        assert (mapping is not None) == key.mapped, text
        if mapping is not None:
            assert mapping == [key.original(i) for i in range(len(raw) + 1)], text


def joined_texts(rng: random.Random) -> list[str]:
    """Texts whose spaces fall everywhere in the 8- and 64-byte blocks the C path squeezes them
    out in: none, all, runs of every length, at block edges, with characters that fold to no
    byte or to several before them (so key and text offsets differ)."""
    texts = ["", " ", "  ", "a", " a ", "a" * 64, " " * 64, " " * 65, "a " * 40, "ab  " * 33]
    for size in (7, 8, 9, 63, 64, 65, 127, 128, 129, 1000, 9000):
        for _ in range(6):
            gap = rng.choice([" ", "  ", " " * rng.randint(1, 70), "\t", "-", "_"])
            word = rng.choice(["a", "home", "alone", "x" * rng.randint(1, 70), "\u00e9t\u00e9"])
            text = "".join(rng.choice([word, gap, "\u200b", "\u00df"]) for _ in range(size))
            texts.append(text[:size])
    return texts


@pytest.mark.parametrize("simd", [True, False])
def test_scanned_key_is_the_key_without_spaces_or_repeats(simd: bool) -> None:
    """What the scanner scans: the fast key without its spaces and without the bytes equal to
    the one before them, and the way back to the key."""
    native = textmatch._NATIVE
    assert native is not None
    rng = random.Random(12)
    texts = joined_texts(rng) + kind_texts(rng, WORDS + PHRASES)
    texts += [fuzzed(rng, WORDS + PHRASES, 3000) for _ in range(30)] + long_runs()[:6]
    configure(native, simd=simd)
    try:
        for text in texts:
            joined, offsets = native.joined_key(text)
            key = native.fast_key(text)[1][1:]  # the buffer starts with a space
            kept = [
                i
                for i, byte in enumerate(key)
                if byte != ord(" ") and (i == 0 or byte != key[i - 1])
            ]
            assert offsets == kept, text[:200]
            assert joined == bytes(key[i] for i in kept), text[:200]
    finally:
        configure(native)


def test_spaced_joined_and_repeated_forms_give_the_same_hits() -> None:
    """Keys that differ only in their spaces or in repeated bytes are one literal to the C path's
    scanner: each must still match only where the text has its own spacing and repeats."""
    words = ["homealone", "ab", "abcd", "a", "sendmeapic", "aa", "hoome", "aab", "bb", "b"]
    phrases = ["home alone", "ho me alone", "h ome a lone", "ab cd", "a bcd", "a b c d"]
    phrases += ["send me a pic", "sendme a pic", "b c", "cd ab", "a a", "a ab", "b b b"]
    pair = matchers(words, phrases)
    rng = random.Random(13)
    gaps = ["", " ", "  ", "\n", "-", "_", ".", "\u200b", " \u200b ", "'", "\u00a0", "\t\t"]
    texts = []
    for _ in range(400):
        term = rng.choice(words + phrases).replace(" ", "")
        texts.append(
            "".join(
                c * rng.choice([1, 1, 1, 2, 3]) + rng.choice(gaps) * (rng.random() < 0.3)
                for c in term
            )
        )
    texts = [" ".join(texts[i : i + 5]) for i in range(0, len(texts), 5)]
    texts += [*joined_texts(rng), "ab cd abcd a bcd a b c d abc d", "x" * 60 + " ab cd " * 20]
    texts += ["a a a aa aaa a", "aab aaab a ab a  ab", "b b b bbb b b", "hoome hooome home"]
    texts += ["a " * 3000, "a" * 5000 + " b", "ab" * 2000]
    assert assert_same(pair, texts) > 200


def test_repeated_digits_in_windows_give_the_same_hits() -> None:
    """The full key keeps runs of digits (letters it collapses): keys ending in such a run are
    checked at each end in it, in the windows' scan as in the whole text's."""
    pair = matchers(["007", "22"], ["catch 22", "agent 007", "room 101", "1 2 3"])
    rng = random.Random(14)
    texts = []
    for _ in range(300):
        term = rng.choice(["catch 22", "agent 007", "room 101", "1 2 3", "007", "22"])
        digits = rng.choice(["2", "22", "222", "0", "00", "000", "1", "7"])
        spaced = " ".join(term) if rng.random() < 0.5 else term
        texts.append(spaced.replace("2", digits) + rng.choice(["", " ", "  ", "!", "2"]))
    texts = [" zz ".join(texts[i : i + 4]) for i in range(0, len(texts), 4)]
    assert assert_same(pair, texts) > 50


def test_repeated_bytes_inside_window_only_keys_give_the_same_hits() -> None:
    """Keys with repeated digits inside them, found only by the windows' scan (an apostrophe
    among the digits is dropped from the windows' full key only; a double space or spaced-out
    letters nearby place a window): the windows' key is joined as the key is (C: in full_key's
    last pass)."""
    pair = matchers([], ["catch 22 now", "room 1001 code", "bay 007 x"])
    rng = random.Random(15)
    texts = []
    for _ in range(200):
        term = rng.choice(["catch 2'2 now", "room 10'01 code", "bay 0'07 x", "catch 22 now"])
        texts.append(rng.choice(["so  ", "", "a b c d "]) + term + rng.choice([" ok", "  x", ""]))
    texts = [" then ".join(texts[i : i + 3]) for i in range(0, len(texts), 3)]
    assert assert_same(pair, texts) > 50


def test_full_key_is_the_python_one() -> None:
    native = textmatch._NATIVE
    assert native is not None
    rng = random.Random(9)
    pieces = ["a", "b", "o", " ", "  ", "'", "0", "1", "3", "4", "5", "7", "!", "|", "+", "@"]
    pieces += ["$", "\x80", "\xc3\xa9", "x", "ll", "i", "9", "2", "-", "*", ".", "z", "Z", "A"]
    cases = [b"", b" ", b"a", b"h o m e", b"h.o.m.e", b"a  b", b"1337", b"sh!t", b"!!a!!"]
    # spaced-out letters that repeat once their gaps go (gaps and repeats are one pass in C)
    cases += [b"a a a", b"h o o m e", b"s s s e e x", b"x a a a a y", b"b o o  o k", b"o o'o"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 40)))
        cases.append(text.encode("latin-1"))
    for data in cases:
        normalised, positions = native.full_key(data)
        expected = full_key(data, MATCHING)
        assert normalised == expected.data, data
        assert positions == [expected.original(i) for i in range(len(normalised))], data


def test_bad_arguments_raise() -> None:
    native = textmatch._NATIVE
    assert native is not None
    with pytest.raises(TypeError):
        native.fast_key(b"bytes")
    with pytest.raises(TypeError):
        native.full_key("str")
    with pytest.raises(ValueError):
        native.configure(fast=b"x", full=b"", leet=b"", flags=b"", learn=print)
    with pytest.raises(ValueError):
        native.Finder([b""], [(0,)], [()], [()], [], [], KeywordHit, 10)
    with pytest.raises(TypeError):
        native.Finder(["abc"], [(0,)], [()], [()], [], [], KeywordHit, 10)
    with pytest.raises(ValueError):
        native.Finder([b"abc"], [(0,)], [(1,)], [()], ["a"], [None], KeywordHit, 10)
    with pytest.raises(ValueError):
        native.Finder([b"abc"], [(1,)], [(0,)], [()], ["a"], [None], KeywordHit, 10)
    with pytest.raises(TypeError):
        native.Finder([b"abc"], [0], [(0,)], [()], ["a"], [None], KeywordHit, 10)
    with pytest.raises(TypeError):
        native.Finder([b"abc"], [(0,)], [()], [()], ["a"], [None], int, False, 10)
    finder = native.Finder([b"abc"], [(0,)], [(0,)], [()], ["abc"], [None], KeywordHit, 10)
    job = finder.start("xx abc yy")  # scanned without spaces and repeats: "xabcy"
    with pytest.raises(TypeError):
        job("a", 0, 1)
    with pytest.raises(ValueError):
        job(-1, 0, 1)
    with pytest.raises(RuntimeError):
        job.hits()  # before windows()
    job(0, 0, 4)
    job(0, 0, 3)  # the key has no "abc" there: ignored
    job(0, 0, 10_000)  # an end beyond the key: ignored, not a crash
    job(7, 0, 4)  # not a literal of this finder: ignored
    assert job.windows() is False
    assert job.hits() == [[KeywordHit("abc", None, 3, 6)]]
    job = finder.start("xx ab c yy")  # the same letters, spaced otherwise: no hit
    job(0, 0, 4)
    assert job.windows() is False
    assert job.hits() == [[]]
    with pytest.raises(TypeError):
        finder.start("abc", [0], None)
    with pytest.raises(ValueError):
        finder.start("abc", [0], [10])


@pytest.fixture
def portable() -> Iterator[None]:
    """The C module with its portable loops only (no AVX2), as on a CPU without it."""
    native = textmatch._NATIVE
    assert native is not None
    configure(native, simd=False)
    yield
    configure(native)


@pytest.mark.usefixtures("portable")
def test_portable_loops_give_the_same_hits() -> None:
    pair = matchers(WORDS, PHRASES)
    rng = random.Random(21)
    terms = WORDS + PHRASES
    texts = [fuzzed(rng, terms, rng.choice([40, 3000, 30_000])) for _ in range(60)]
    texts += kind_texts(rng, terms) + long_runs()[:4]
    assert assert_same(pair, texts) > 100


def test_threads_share_a_matcher_on_long_texts(
    large: tuple[KeywordMatcher, KeywordMatcher],
) -> None:
    """Long texts fold and are searched for spots without the GIL: threads must not mix up."""
    rng = random.Random(31)
    texts = [fuzzed(rng, WORDS + PHRASES, 20_000) for _ in range(24)]
    native, python = large
    expected = [python.find(text) for text in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(native.find, texts * 3)) == expected * 3


def test_threads_learning_the_same_new_characters_at_once(
    large: tuple[KeywordMatcher, KeywordMatcher],
) -> None:
    """A character first seen by two threads at once: one learns it (holding the GIL) while the
    other's fold, without the GIL, has stopped at it as unknown; the other must fold on."""
    native_module = textmatch._NATIVE
    assert native_module is not None
    native, python = large
    rng = random.Random(41)
    accented = [chr(c) for c in range(0xC0, 0x250) if chr(c).isalpha()]
    for _ in range(6):
        configure(native_module)  # every character unknown again (no thread is running)
        fresh = rng.sample(accented, 120)
        texts = ["alone " * 4000 + "".join(rng.choices(fresh, k=400)) for _ in range(8)]
        expected = [python.find(text) for text in texts]
        with ThreadPoolExecutor(max_workers=8) as pool:
            assert list(pool.map(native.find, texts)) == expected
