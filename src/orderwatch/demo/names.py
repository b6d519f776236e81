"""Obviously fictional names, addresses and identifiers for the demo unit (seeded, repeatable)."""

from __future__ import annotations

import random

_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "tr")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ou")
_ENDINGS = ("", "n", "l", "r", "s", "x", "th")
_SURNAME_TAILS = ("son", "worth", "ford", "field", "by", "more", "ton", "wick", "dale", "hurst")
_STREETS = ("Sample Row", "Placeholder Lane", "Fiction Street", "Example Road", "Mock Close")
_TOWNS = ("Demoville", "Testbury", "Exampleton", "Sampleford")


def given_name(rng: random.Random) -> str:
    """Two or three made-up syllables, e.g. 'Toulan'."""
    syllables = rng.choice((2, 2, 3))
    name = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables))
    return (name + rng.choice(_ENDINGS)).capitalize()


def surname(rng: random.Random) -> str:
    """Always starts with 'Demo', so nobody mistakes a demo record for a real one."""
    return "Demo" + rng.choice(_SURNAME_TAILS)


def full_name(rng: random.Random) -> str:
    return f"{given_name(rng)} {surname(rng)}"


def address(rng: random.Random) -> str:
    street, town = rng.choice(_STREETS), rng.choice(_TOWNS)
    return f"{rng.randint(1, 240)} {street}, {town} DE{rng.randint(1, 9)} 0XX"


def serial(rng: random.Random, length: int = 10) -> str:
    return "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(length))


def imei(rng: random.Random) -> str:
    """A 15-digit IMEI-shaped number with a valid Luhn check digit (not a real handset)."""
    body = [rng.randint(0, 9) for _ in range(14)]
    total = 0
    for index, digit in enumerate(body):
        if index % 2 == 1:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return "".join(map(str, body)) + str((10 - total % 10) % 10)


def mac(rng: random.Random) -> str:
    """A locally administered MAC address (second hex digit 2, 6, A or E): never a vendor's."""
    first = rng.choice((0x02, 0x06, 0x0A, 0x0E))
    rest = [rng.randint(0, 255) for _ in range(5)]
    return ":".join(f"{b:02x}" for b in [first, *rest])
