"""Reading submitted HTML forms: keep exactly what was typed, collect one error per field.

A form that fails is re-rendered from `FormState.values` with `FormState.errors` beside each field,
so bad input never becomes a 500 and nothing typed is lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


@dataclass
class FormState:
    """What the user typed (as text) and what is wrong with it, by field name."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # Every submitted "name=value" pair, for multi-valued fields (checkbox lists).
    checked: set[str] = field(default_factory=set)
    # Password fields: kept apart so they are never rendered back into a page.
    secrets: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_submission(cls, pairs: Iterable[tuple[str, object]]) -> FormState:
        """Copy the submitted text fields (files ignored); the CSRF token is not kept."""
        state = cls()
        for name, value in pairs:
            if not isinstance(value, str) or name == "csrf_token":
                continue
            if "password" in name:
                state.secrets[name] = value
                continue
            state.values[name] = value
            state.checked.add(f"{name}={value}")
        return state

    def ticked(self, name: str) -> list[str]:
        """Every value submitted under a multi-valued name (checkbox lists), in no order."""
        prefix = name + "="
        return [item[len(prefix) :] for item in self.checked if item.startswith(prefix)]

    def ids(self, name: str, label: str) -> tuple[int, ...]:
        """Ticked record ids (examiners, devices inspected), sorted."""
        found: list[int] = []
        for value in self.ticked(name):
            try:
                found.append(int(value))
            except ValueError:
                self.fail(name, f"{label}: {value!r} is not an id.")
        return tuple(sorted(set(found)))

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, name: str, message: str) -> None:
        """Record the first problem with a field (later ones would only repeat it)."""
        self.errors.setdefault(name, message)

    def text(self, name: str, label: str, *, required: bool = False, max_length: int = 200) -> str:
        """Stripped text; '' when empty and optional."""
        value = self.values.get(name, "").strip()
        if required and not value:
            self.fail(name, f"{label} is required.")
        elif len(value) > max_length:
            self.fail(name, f"{label} is too long ({len(value)} characters; at most {max_length}).")
        return value

    def optional_text(self, name: str, label: str, *, max_length: int = 200) -> str | None:
        return self.text(name, label, max_length=max_length) or None

    def day(self, name: str, label: str, *, required: bool = False) -> date | None:
        """A date typed as YYYY-MM-DD (what <input type=date> sends)."""
        value = self.text(name, label, required=required)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(name, f"{label} must be a date like 2024-03-31, not {value!r}.")
            return None

    def integer(
        self, name: str, label: str, *, minimum: int = 0, maximum: int = 10_000
    ) -> int | None:
        value = self.text(name, label)
        if not value:
            return None
        try:
            number = int(value)
        except ValueError:
            self.fail(name, f"{label} must be a whole number, not {value!r}.")
            return None
        if not minimum <= number <= maximum:
            self.fail(name, f"{label} must be between {minimum} and {maximum}.")
            return None
        return number

    def choice(self, name: str, label: str, enum: type[E], *, required: bool = True) -> E | None:
        value = self.text(name, label, required=required)
        if not value:
            return None
        try:
            return enum(value)
        except ValueError:
            options = ", ".join(e.value for e in enum)
            self.fail(name, f"{label} must be one of {options}.")
            return None

    def lines(self, name: str, label: str, *, max_items: int = 500) -> tuple[str, ...]:
        """One item per line or comma; blanks dropped (aliases, words, domains)."""
        raw = self.values.get(name, "")
        items = [part.strip() for line in raw.splitlines() for part in line.split(",")]
        cleaned = tuple(item for item in items if item)
        if len(cleaned) > max_items:
            self.fail(name, f"{label}: at most {max_items} entries.")
        too_long = [item for item in cleaned if len(item) > 200]
        if too_long:
            self.fail(name, f"{label}: entry too long: {too_long[0][:40]}...")
        return cleaned
