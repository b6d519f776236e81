"""The store-and-forward spool: stable ids, claims that survive a restart, acknowledgement,
atomicity under a kill, the size bound and its overflow tamper observation."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orderwatch.agent.spool import Spool
from orderwatch.domain.observations import (
    BrowserVisitObservation,
    HeartbeatObservation,
    Provenance,
    TamperObservation,
)

SOURCE = "monitored device 7"
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def visit(number: int) -> BrowserVisitObservation:
    return BrowserVisitObservation(
        id=f"visit-{number}",
        time=START + timedelta(seconds=number),
        provenance=Provenance(SOURCE, "chrome_history", "/home/a/History", f"visits.id={number}"),
        browser="chrome",
        profile="Default",
        url=f"https://example.org/{number}",
        title=f"Page {number}",
    )


def heartbeat(number: int) -> HeartbeatObservation:
    return HeartbeatObservation(
        id=f"heartbeat-{number}",
        time=START + timedelta(minutes=number),
        provenance=Provenance(SOURCE, "agent_health"),
        agent_version="0.1.0",
    )


def test_observations_are_stored_once_in_the_wire_form(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite3", source=SOURCE)
    assert spool.add([visit(1), visit(2), visit(1)]) == 2
    assert spool.add([visit(2), visit(3)]) == 1  # a re-collection keeps one copy
    batch = spool.claim_batch(10, 1_000_000)
    assert batch is not None
    assert batch.ids == ["visit-1", "visit-2", "visit-3"]
    body = json.loads(batch.json_body())
    assert body["batch_id"] == batch.batch_id
    first = body["observations"][0]
    assert first == {
        "id": "visit-1",
        "kind": "browser_visit",
        "time": "2026-03-01T12:00:01Z",
        "browser": "chrome",
        "profile": "Default",
        "url": "https://example.org/1",
        "title": "Page 1",
        "recovered": False,
        "provenance": {
            "parser": "chrome_history",
            "path": "/home/a/History",
            "record": "visits.id=1",
        },
    }
    assert oct(os.stat(tmp_path / "spool.sqlite3").st_mode & 0o777) == "0o600"
    spool.close()


def test_overlong_text_is_cut_to_fit_the_api_and_says_so(tmp_path: Path) -> None:
    long = visit(1)
    long.url = "data:image/png;base64," + "A" * 20_000
    spool = Spool(tmp_path / "spool.sqlite3", source=SOURCE)
    spool.add([long])
    batch = spool.claim_batch(1, 1_000_000)
    assert batch is not None
    url = json.loads(batch.bodies[0])["url"]
    assert url.startswith("data:image/png;base64,AAAA")
    assert url.endswith("... [12,022 more characters]")
    assert len(url) < 8192
    spool.close()


def test_a_claimed_batch_is_sent_again_with_its_id_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    spool = Spool(path, source=SOURCE)
    spool.add([visit(n) for n in range(1, 8)])
    first = spool.claim_batch(3, 1_000_000)
    assert first is not None and first.ids == ["visit-1", "visit-2", "visit-3"]
    spool.close()  # the agent dies before the server answered

    spool = Spool(path, source=SOURCE)
    again = spool.claim_batch(5, 1_000_000)
    assert again == first  # same id, same rows, same bodies: the server can answer a replay
    assert spool.acknowledge(first.batch_id) == 3
    second = spool.claim_batch(3, 1_000_000)
    assert second is not None and second.ids == ["visit-4", "visit-5", "visit-6"]
    assert second.batch_id != first.batch_id
    spool.release(second.batch_id)
    third = spool.claim_batch(10, 1_000_000)
    assert third is not None and third.ids == ["visit-4", "visit-5", "visit-6", "visit-7"]
    assert third.batch_id != second.batch_id
    assert spool.backlog().rows == 4
    spool.close()


def test_a_batch_stays_within_the_byte_limit_but_always_takes_one(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite3", source=SOURCE)
    spool.add([visit(n) for n in range(1, 11)])
    size = len(spool.claim_batch(1, 1_000_000).bodies[0])  # type: ignore[union-attr]
    spool.release(spool.claim_batch(1, 1_000_000).batch_id)  # type: ignore[union-attr]
    batch = spool.claim_batch(100, 100 + 3 * (size + 1) + 1)
    assert batch is not None and len(batch.ids) == 3
    assert len(batch.json_body()) <= 100 + 3 * (size + 1) + 1
    spool.release(batch.batch_id)
    tiny = spool.claim_batch(100, 10)
    assert tiny is not None and len(tiny.ids) == 1  # one observation always goes
    spool.close()


def test_quarantined_observations_are_kept_aside_and_never_claimed(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite3", source=SOURCE)
    spool.add([visit(1), visit(2), visit(3)])
    batch = spool.claim_batch(10, 1_000_000)
    assert batch is not None
    assert spool.quarantine(["visit-2"], "422: observations[1].time: in the future") == 1
    spool.release(batch.batch_id)
    again = spool.claim_batch(10, 1_000_000)
    assert again is not None and again.ids == ["visit-1", "visit-3"]
    reason = spool.connection.execute("SELECT reason FROM rejected WHERE id = 'visit-2'").fetchone()
    assert reason == ("422: observations[1].time: in the future",)
    assert spool.backlog().rejected == 1
    spool.close()


def test_overflow_drops_heartbeats_first_then_the_oldest_and_says_so(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite3", source=SOURCE, max_rows=10, clock=lambda: START)
    tamper = TamperObservation(
        id="tamper-1",
        time=START,
        provenance=Provenance(SOURCE, "agent_health"),
        event="clock_moved_back",
        detail="test",
    )
    spool.add([tamper, heartbeat(1), heartbeat(2), *(visit(n) for n in range(1, 7))])
    assert spool.backlog().rows == 9
    spool.add([visit(n) for n in range(7, 10)])  # 12 > 10: back under 9 (90%)
    kinds = [
        (row[0], row[1])
        for row in spool.connection.execute("SELECT id, kind FROM spool ORDER BY seq")
    ]
    ids = [i for i, _ in kinds]
    assert "tamper-1" in ids  # never dropped
    assert "heartbeat-1" not in ids and "heartbeat-2" not in ids  # dropped first
    assert "visit-1" not in ids  # then the oldest
    assert [i for i in ids if i.startswith("visit")] == [f"visit-{n}" for n in range(2, 10)]
    overflow = [i for i, kind in kinds if kind == "tamper" and i != "tamper-1"]
    assert len(overflow) == 1
    body = json.loads(
        spool.connection.execute("SELECT body FROM spool WHERE id = ?", overflow).fetchone()[0]
    )
    assert body["event"] == "spool_overflow"
    assert "dropped 3 unsent observations (1 browser_visit, 2 heartbeat)" in body["detail"]
    assert spool.backlog().rows <= 10
    spool.close()


def test_claimed_rows_are_never_dropped_by_the_bound(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite3", source=SOURCE, max_rows=4)
    spool.add([visit(n) for n in range(1, 5)])
    batch = spool.claim_batch(4, 1_000_000)
    assert batch is not None
    spool.add([visit(5), visit(6)])
    still = spool.claim_batch(4, 1_000_000)
    assert still == batch  # the batch in flight is intact, so a replay matches
    assert spool.acknowledge(batch.batch_id) == 4
    spool.close()


_WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from pathlib import Path
    from orderwatch.agent.spool import Spool
    from orderwatch.domain.observations import HeartbeatObservation, Provenance

    spool = Spool(Path(sys.argv[1]), source="device")
    done = int(spool.get_state("done") or 0)
    number = done
    while True:
        with spool.transaction() as writer:
            for _ in range(50):
                number += 1
                writer.add(HeartbeatObservation(id=f"hb-{number}", time=datetime.now(UTC),
                           provenance=Provenance("device", "test")))
            writer.set_state("done", str(number))
            if number >= 2000:
                print("holding", flush=True)
                sys.stdin.readline()  # killed here, inside an open transaction
    """
)


def test_a_kill_mid_write_leaves_observations_and_progress_consistent(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    with subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "holding"
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=20)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(timeout=20)
    spool = Spool(path, source="device")
    done = int(spool.get_state("done") or 0)
    rows = spool.backlog().rows
    # The transaction open at the kill (hb-1951..2000) is gone; everything before it is there.
    assert done == 1950
    assert rows == 1950
    ids = {r[0] for r in spool.connection.execute("SELECT id FROM spool")}
    assert ids == {f"hb-{n}" for n in range(1, 1951)}
    assert spool.connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    spool.close()
