"""Character tables for textmatch: leetspeak, look-alike letters and symbols used as letters."""

from __future__ import annotations

import unicodedata

# Digits read as letters when they touch a letter ("h0me", "a1one", "alon3"); lone numbers stay.
LEET_DIGITS: dict[str, str] = {
    "0": "o",
    "1": "i",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "8": "b",
    "9": "g",
}

# Symbols read as letters when they touch a letter on either side ("$ex", "@lone", "h@ve").
LEET_EITHER_SIDE: dict[str, str] = {"@": "a", "$": "s"}

# Symbols read as letters only inside a word ("sh!t"), so "alone!" keeps its exclamation mark.
LEET_BOTH_SIDES: dict[str, str] = {"!": "i", "|": "l", "+": "t"}

APOSTROPHES = frozenset("\u2018\u2019\u02bc\u0060\u00b4\u2032")

# Lower-case look-alikes from other scripts (applied after case folding and NFKD, so fullwidth
# and mathematical letters are already plain ASCII by then).
HOMOGLYPHS: dict[str, str] = {
    # Cyrillic
    "а": "a",
    "в": "b",
    "е": "e",
    "ё": "e",
    "з": "3",
    "и": "u",
    "й": "u",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "п": "n",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "ь": "b",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "ѕ": "s",
    "ԁ": "d",
    "ԛ": "q",
    "ԝ": "w",
    "һ": "h",
    "ӏ": "l",
    # Greek
    "α": "a",
    "β": "b",
    "γ": "y",
    "δ": "d",
    "ε": "e",
    "ζ": "z",
    "η": "n",
    "ι": "i",
    "κ": "k",
    "μ": "u",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "σ": "o",
    "ς": "s",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "ω": "w",
    # Latin letters that NFKD leaves alone
    "ı": "i",
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "ħ": "h",
    "ŧ": "t",
    "ɡ": "g",
    "ɑ": "a",
    "ß": "ss",
    "æ": "ae",
    "œ": "oe",
    "þ": "th",
}

# Non-ASCII symbols used in place of letters.
SYMBOL_LETTERS: dict[str, str] = {
    "€": "e",
    "£": "l",
    "¢": "c",
    "¥": "y",
    "©": "c",
    "®": "r",
    "∂": "d",
    "ø": "o",
    "∅": "o",
    "•": " ",
}

# Text-speak spellings of common words; phrases are also matched in these forms.
TEXTSPEAK: dict[str, tuple[str, ...]] = {
    "are": ("r",),
    "you": ("u", "ya"),
    "your": ("ur", "yr"),
    "you're": ("ur", "youre"),
    "to": ("2",),
    "too": ("2",),
    "for": ("4",),
    "see": ("c",),
    "why": ("y",),
    "okay": ("ok", "k"),
    "please": ("pls", "plz"),
    "picture": ("pic", "pik"),
    "pictures": ("pics", "pix"),
    "tonight": ("2nite", "tonite"),
    "later": ("l8r",),
    "what": ("wat", "wot"),
    "because": ("cos", "cuz", "bc"),
    "with": ("w",),
    "be": ("b",),
    "mum": ("mom", "mam"),
    "parents": ("rents",),
}


def _fold_char(char: str) -> str:
    """What one non-ASCII character stands for: ASCII look-alike, base letter, '' or a space."""
    if char in APOSTROPHES:
        return "'"
    out: list[str] = []
    for part in unicodedata.normalize("NFKD", char.casefold()):
        category = unicodedata.category(part)
        if part.isascii():
            out.append(part)
        elif category in ("Mn", "Me", "Cf", "Cc"):  # accents, zero-width and format characters
            continue
        elif part in HOMOGLYPHS:
            out.append(HOMOGLYPHS[part])
        elif part in SYMBOL_LETTERS:
            out.append(SYMBOL_LETTERS[part])
        elif category[0] in "LN":
            out.append(part)
        else:
            out.append(" ")
    return "".join(out)


class _FoldMap(dict[int, str]):
    """str.translate table that works out (and caches) each character the first time it is seen."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        self[code] = folded
        return folded


FOLD = _FoldMap({code: chr(code) for code in range(128)})
