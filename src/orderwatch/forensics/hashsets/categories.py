"""Category labels: UK grades A/B/C kept as letters, VICS numeric categories given a name."""

from __future__ import annotations

import re

# Project VIC (US) VICS categories, as tools such as Autopsy and Griffeye number them.
VICS_LABELS: dict[int, str] = {
    0: "VICS 0 uncategorised",
    1: "VICS 1 child abuse material",
    2: "VICS 2 exploitative / age difficult",
    3: "VICS 3 CGI / animation",
    4: "VICS 4 comparison",
    5: "VICS 5 non-pertinent",
}
_UK_GRADE = re.compile(r"^(?:cat(?:egory)?[\s._-]*)?([abc])$", re.IGNORECASE)


def category_label(raw: object) -> str | None:
    """The label kept for a category value; None when the record carries none."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return VICS_LABELS.get(raw, f"VICS {raw}")
    text = str(raw).strip()
    if not text:
        return None
    grade = _UK_GRADE.match(text)
    if grade:
        return grade.group(1).upper()
    if text.isdigit():
        return category_label(int(text))
    return text
