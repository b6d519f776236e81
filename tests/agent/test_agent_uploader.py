"""Backoff arithmetic, and the uploader against a real loopback server that fails in the ways a
monitoring server can: 500s, hang-ups, timeouts, invalid observations, too-large batches,
revoked credentials."""

from __future__ import annotations

from pathlib import Path

import pytest
from scripted_server import HANG_UP, Scripted, scripted_server
from test_agent_spool import SOURCE, visit

from orderwatch.agent.backoff import Backoff
from orderwatch.agent.client import ServerClient
from orderwatch.agent.spool import Spool
from orderwatch.agent.uploader import Uploader


class FakeClock:
    """A monotonic clock the test moves by hand (the uploader's seam)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() -> None:
    low = Backoff(initial=2, maximum=60, rng=lambda: 0.0)
    high = Backoff(initial=2, maximum=60, rng=lambda: 0.999999)
    lows = [round(low.failed(), 3) for _ in range(7)]
    highs = [round(high.failed(), 3) for _ in range(7)]
    assert lows == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert highs == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    low.succeeded()
    assert low.step() == 0.0
    assert low.failed() == 1.0
    for _ in range(500):  # no overflow however long the outage
        high.failed()
    assert high.step() == 60


def test_backoff_refuses_nonsense_settings() -> None:
    with pytest.raises(ValueError, match="initial <= maximum"):
        Backoff(initial=10, maximum=5)


def _uploader(
    tmp_path: Path, url: str, clock: FakeClock, count: int = 10
) -> tuple[Spool, Uploader, ServerClient]:
    spool = Spool(tmp_path / "spool.sqlite3", source=SOURCE)
    client = ServerClient(url, credential="owd_secret", timeout=1.0)
    uploader = Uploader(
        spool,
        client,
        max_count=count,
        max_bytes=1_000_000,
        backoff=Backoff(initial=2, maximum=60, rng=lambda: 0.5),
        monotonic=clock,
    )
    return spool, uploader, client


def test_failures_back_off_and_the_same_batch_goes_again_until_stored(tmp_path: Path) -> None:
    script = Scripted(answers=[(500, {"detail": "boom"}), HANG_UP, ("stall", 2.5)])
    clock = FakeClock()
    with scripted_server(script) as url:
        spool, uploader, client = _uploader(tmp_path, url, clock, count=3)
        spool.add([visit(n) for n in range(1, 6)])

        first = uploader.upload()
        assert first.error == "HTTP 500: boom" and first.batches == 0
        assert first.waiting_seconds == pytest.approx(1.5)  # 2 s step, jitter 0.5
        assert uploader.upload().waiting_seconds == pytest.approx(1.5)  # not yet due: no request
        assert len(script.requests) == 1

        clock.now += 2
        second = uploader.upload()
        assert second.error is not None and "unreachable" in second.error
        assert second.waiting_seconds == pytest.approx(3.0)  # 4 s step
        clock.now += 4
        third = uploader.upload()  # the server stalls past the 1 s timeout (it may store it)
        assert third.error is not None and "Timeout" in third.error
        clock.now += 10
        fourth = uploader.upload()
        assert fourth.error is None and fourth.batches == 2 and fourth.sent == 5
        client.close()
    batch_ids = [r["body"]["batch_id"] for r in script.requests]
    assert len(batch_ids) == 5
    assert len(set(batch_ids[:4])) == 1  # the first batch kept its id through every retry
    assert batch_ids[4] != batch_ids[0]
    assert script.requests[0]["body"] == script.requests[3]["body"]
    # The stalled request was stored by the server; its retry was answered as a replay.
    assert script.requests[0]["auth"] == "Bearer owd_secret"
    assert script.stored == {f"visit-{n}": 1 for n in range(1, 6)}
    assert spool.backlog().rows == 0
    assert uploader.backoff.failures == 0


def test_invalid_observations_are_set_aside_and_the_rest_sent(tmp_path: Path) -> None:
    problem = {"field": "observations[1].time", "message": "in the future"}
    script = Scripted(answers=[(422, {"detail": [problem]})])
    clock = FakeClock()
    with scripted_server(script) as url:
        spool, uploader, client = _uploader(tmp_path, url, clock)
        spool.add([visit(1), visit(2), visit(3)])
        report = uploader.upload()
        client.close()
    assert report.rejected == 1 and report.error is None
    assert script.stored == {"visit-1": 1, "visit-3": 1}
    first, second = script.requests
    assert first["body"]["batch_id"] != second["body"]["batch_id"]  # other rows: a new id
    kept = spool.connection.execute("SELECT id, reason FROM rejected").fetchall()
    assert kept == [("visit-2", "422: observations[1].time: in the future")]


def test_too_large_halves_the_batch(tmp_path: Path) -> None:
    script = Scripted(answers=[(413, {"detail": [{"field": "body", "message": "too big"}]})])
    clock = FakeClock()
    with scripted_server(script) as url:
        spool, uploader, client = _uploader(tmp_path, url, clock, count=8)
        spool.add([visit(n) for n in range(1, 9)])
        report = uploader.upload()
        client.close()
    assert [len(r["body"]["observations"]) for r in script.requests] == [8, 4, 4]
    assert report.batches == 2 and uploader.max_count == 4
    assert len(script.stored) == 8


def test_a_revoked_credential_stops_uploads_and_keeps_everything(tmp_path: Path) -> None:
    script = Scripted(answers=[(403, {"detail": "monitored device 7 has been revoked"})])
    clock = FakeClock()
    with scripted_server(script) as url:
        spool, uploader, client = _uploader(tmp_path, url, clock)
        spool.add([visit(1), visit(2)])
        report = uploader.upload()
        again = uploader.upload()
        client.close()
    assert report.error == "HTTP 403: monitored device 7 has been revoked"
    assert uploader.refused == report.error
    assert again.waiting_seconds == pytest.approx(60)  # the slow retry
    assert len(script.requests) == 1
    assert spool.backlog().rows == 2
