"""domain_in: a host matches a listed domain or any subdomain of it; the first listed wins."""

from __future__ import annotations

import pytest

from orderwatch.domain.reference_lists import ADULT_DOMAINS, domain_in, host_of

LISTED = ("Example.COM", "*.sub.example.org", ".dot.net", "", "b.c", "a.b.c")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("example.com", "Example.COM"),
        ("www.example.com", "Example.COM"),
        ("notexample.com", None),
        ("sub.example.org", "*.sub.example.org"),
        ("deep.sub.example.org", "*.sub.example.org"),
        ("example.org", None),
        ("x.dot.net", ".dot.net"),
        ("a.b.c", "b.c"),  # both match: the first listed wins
        ("ab.c", None),
        ("", None),
    ],
)
def test_domain_in(host: str, expected: str | None) -> None:
    assert domain_in(host, LISTED) == expected
    assert domain_in(host, list(LISTED)) == expected


def test_domain_in_the_shipped_lists() -> None:
    assert domain_in(host_of("https://WWW.Pornhub.com/x"), ADULT_DOMAINS) == "pornhub.com"
    assert domain_in(host_of("https://www.bbc.co.uk/news"), ADULT_DOMAINS) is None
