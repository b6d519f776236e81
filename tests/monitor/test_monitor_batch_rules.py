"""Ingestion evaluates a batch at once (CompiledOrder.evaluate_many: one keyword scan per matcher
over all the batch's texts, site lists looked up once per host): the findings must be exactly
those of evaluating each observation on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orderwatch.domain.conditions import Condition, ConditionType, parse_condition
from orderwatch.domain.observations import (
    AppEventObservation,
    BrowserVisitObservation,
    DownloadObservation,
    HeartbeatObservation,
    Observation,
    Provenance,
    SearchTermObservation,
    TextObservation,
)
from orderwatch.domain.reference_lists import (
    ADULT_DOMAINS,
    ANONYMITY_DOMAINS,
    CLOUD_STORAGE_DOMAINS,
    VPN_DOMAINS,
    domain_in,
)
from orderwatch.domain.rules import Declarations, compile_order
from orderwatch.domain.rules_checks import DomainIndex

P = Provenance(source="monitored device 1", parser="agent")
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def conditions(*types: ConditionType) -> list[Condition]:
    params: dict[ConditionType, dict[str, object]] = {
        ConditionType.PROHIBITED_WORDS: {
            "words": ["example-banned-word", "meetup"],
            "phrases": ["are you home alone"],
        },
        ConditionType.PROHIBITED_APPS_OR_SITES: {
            "apps": ["Kik"],
            "domains": ["example-chat-site.test", "*.blocked.example"],
        },
        ConditionType.NO_ADULT_PORNOGRAPHY: {"domains": ["adult-example.test"]},
    }
    return [parse_condition({"type": t.value, **params.get(t, {})}) for t in types]


def batch() -> list[Observation]:
    """Texts, searches, visits and downloads, several matching, some repeated verbatim."""
    texts = [
        "hi there, how was school",
        "are you home alone tonight?",
        "r u h0me al0ne",
        "lets meetup later",
        "example-banned-word",
        "nothing to see",
        "how old are you",
        "don't tell your mum about this",
        "hi there, how was school",
        "",
    ]
    urls = [
        "https://www.torproject.org/download/",
        "https://mullvad.net/en",
        "https://www.dropbox.com/home",
        "https://adult-example.test/video/1",
        "https://cdn.pornhub.com/x",
        "https://example-chat-site.test/room?q=meetup",
        "https://a.b.blocked.example/page",
        "https://news.example.org/search?q=example-banned-word",
        "not a url at all",
        "https://www.torproject.org/download/",
    ]
    out: list[Observation] = []
    for n, text in enumerate(texts):
        time = T0 + timedelta(minutes=n)
        out.append(TextObservation(id=f"t{n}", time=time, provenance=P, app="WhatsApp", text=text))
        term = text or "x"
        out.append(
            SearchTermObservation(id=f"s{n}", time=time, provenance=P, engine="Google", term=term)
        )
    for n, url in enumerate(urls):
        time = T0 + timedelta(minutes=30 + n)
        title = texts[n] or None
        visit = BrowserVisitObservation(
            id=f"v{n}", time=time, provenance=P, browser="Chrome", url=url, title=title
        )
        out += [visit, DownloadObservation(id=f"d{n}", time=time, provenance=P, url=url)]
    out.append(
        AppEventObservation(id="a0", time=T0, provenance=P, app="Kik Messenger", event="started")
    )
    out.append(HeartbeatObservation(id="h0", time=T0, provenance=P))
    return out


@pytest.mark.parametrize(
    "types",
    [
        tuple(ConditionType),
        (ConditionType.PROHIBITED_WORDS,),
        (ConditionType.NO_CONTACT_WITH_CHILDREN, ConditionType.NO_ANONYMISATION),
        (ConditionType.PROHIBITED_APPS_OR_SITES, ConditionType.NO_ADULT_PORNOGRAPHY),
        (ConditionType.DECLARE_CLOUD_STORAGE,),
    ],
    ids=["every-condition", "words", "children-anonymity", "sites-adult", "cloud"],
)
def test_a_batch_gives_the_findings_of_its_observations_one_by_one(
    types: tuple[ConditionType, ...],
) -> None:
    observations = batch()
    one_by_one = compile_order(conditions(*types), Declarations(), now=T0)
    expected = [f for o in observations for f in one_by_one.evaluate(o)]
    at_once = compile_order(conditions(*types), Declarations(), now=T0)
    assert at_once.evaluate_many(observations) == expected
    assert expected  # the batch does match something under each of these orders


def test_an_empty_batch_has_no_findings() -> None:
    assert compile_order(conditions(*ConditionType), Declarations()).evaluate_many([]) == []


@pytest.mark.parametrize(
    "host",
    [
        "www.torproject.org",
        "torproject.org",
        "mullvad.net",
        "x.y.dropbox.com",
        "pornhub.com",
        "cdn.pornhub.com",
        "example.org",
        "com",
        "",
        "a.b.blocked.example",
    ],
)
def test_the_domain_index_answers_as_domain_in(host: str) -> None:
    lists = (
        ANONYMITY_DOMAINS,
        VPN_DOMAINS,
        tuple(CLOUD_STORAGE_DOMAINS),
        ("*.blocked.example", "dropbox.com", *ADULT_DOMAINS),
        (),
    )
    assert DomainIndex(lists).find(host) == tuple(domain_in(host, d) for d in lists)
