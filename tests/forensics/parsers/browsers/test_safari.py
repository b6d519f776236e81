"""Safari History.db: plaso's real file (visits and the history-clearing tombstones)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from browser_fixtures import of_kind, run_parsers, shared_artefact

from orderwatch.domain.observations import BrowserVisitObservation, HistoryDeletionObservation

SAFARI = "log2timeline_plaso/test_data/safari/History.db"


def test_plaso_safari_visits_and_tombstones(shared_data: Path) -> None:
    history = shared_artefact(shared_data, SAFARI)
    mediator = run_parsers(history, shared_data, "fixture")
    assert mediator.errors == []
    visits = [
        v for v in of_kind(mediator, "browser_visit") if isinstance(v, BrowserVisitObservation)
    ]
    # MANIFEST 1.7: 25 visits (history_visits), over 19 history items.
    assert len(visits) == 25
    assert len({v.url for v in visits}) == 19
    facebook = visits[1]
    data = facebook.to_dict()
    data.pop("id")
    assert data == {
        "kind": "browser_visit",
        "time": "2017-11-09T21:24:28.829571Z",
        "browser": "safari",
        "profile": "Default",
        "url": "http://facebook.com/",
        "title": None,
        "recovered": False,
        "provenance": {
            "source": "fixture",
            "parser": "safari_history",
            "path": "/" + SAFARI,
            "record": "history_visits.id=37 (history_items.id=31)",
            "original_time": "531955468.829571",
        },
    }
    # Six tombstones: Safari's record of each "Clear History".
    cleared = [
        i
        for i in of_kind(mediator, "history_deletion")
        if isinstance(i, HistoryDeletionObservation)
    ]
    assert [i.indicator for i in cleared] == ["history_cleared"] * 6
    assert cleared[2].detail == (
        "safari profile 'Default': history cleared (all visits from the beginning to "
        "2017-11-07T23:27:23.583456+00:00)"
    )
    assert cleared[2].time == datetime(2017, 11, 7, 23, 27, 23, 583456, tzinfo=UTC)
    assert cleared[0].provenance.record == "history_tombstones.id=1"
    # Visit ids 36-60 with the AUTOINCREMENT counter at 60: the cleared visits were the oldest,
    # so no gap and nothing missing after the last; the free pages hold no URL records.
    assert not any(v.recovered for v in visits)
