"""Executors: inline and process pool give the same results; a dying worker fails only its item."""

from __future__ import annotations

import os
from collections.abc import Iterator

from orderwatch.tasks.executor import (
    IN_FLIGHT_PER_WORKER,
    WORKER_GC_THRESHOLD,
    InlineExecutor,
    ProcessPoolExecutor,
    TaskFailure,
    calm_collector,
    create_executor,
)

_INITIALISED: list[str] = []


def _initialise(tag: str) -> None:
    _INITIALISED.append(tag)


def _square_with_pid(value: int) -> tuple[int, int, list[str]]:
    return value * value, os.getpid(), list(_INITIALISED)


def _die_on_three(value: int) -> int:
    if value == 3:
        os._exit(1)  # a native crash in a worker, as pytsk3 may do on corrupt evidence
    return value


def test_inline_runs_in_this_process_after_the_initializer() -> None:
    _INITIALISED.clear()
    executor = InlineExecutor(_initialise, ("ctx",))
    results = list(executor.map_unordered(_square_with_pid, [1, 2, 3]))
    assert [r[0] for r in results] == [1, 4, 9]
    assert {r[1] for r in results} == {os.getpid()}
    assert _INITIALISED == ["ctx"]


def test_pool_gives_the_same_results_from_other_processes() -> None:
    executor = ProcessPoolExecutor(2, _initialise, ("ctx",))
    try:
        results = list(executor.map_unordered(_square_with_pid, range(20)))
    finally:
        executor.close()
    assert sorted(r[0] for r in results) == [i * i for i in range(20)]
    assert os.getpid() not in {r[1] for r in results}
    assert all(r[2] == ["ctx"] for r in results)  # every worker ran the initializer once


def test_a_dying_worker_fails_only_the_item_that_killed_it() -> None:
    executor = ProcessPoolExecutor(2)
    try:
        results = list(executor.map_unordered(_die_on_three, range(6)))
    finally:
        executor.close()
    failures = [r for r in results if isinstance(r, TaskFailure)]
    assert [f.item for f in failures] == [3]
    assert "worker process died" in failures[0].message
    assert sorted(r for r in results if not isinstance(r, TaskFailure)) == [0, 1, 2, 4, 5]


def test_create_executor_picks_inline_for_one_worker() -> None:
    assert isinstance(create_executor(1), InlineExecutor)
    pool = create_executor(2)
    assert isinstance(pool, ProcessPoolExecutor) and pool.workers == 2
    pool.close()


def test_pool_takes_items_only_as_workers_need_them() -> None:
    pulled: list[int] = []

    def items() -> Iterator[int]:
        for value in range(50):
            pulled.append(value)
            yield value

    executor = ProcessPoolExecutor(2)
    try:
        results = executor.map_unordered(_square_with_pid, items())
        next(results)
        assert len(pulled) <= 2 * IN_FLIGHT_PER_WORKER  # a walk still running is not drained
        assert len(list(results)) == 49
    finally:
        executor.close()


def test_items_after_a_dying_worker_go_on_in_a_new_pool() -> None:
    executor = ProcessPoolExecutor(2)
    try:
        results = list(executor.map_unordered(_die_on_three, range(40)))
    finally:
        executor.close()
    assert [r.item for r in results if isinstance(r, TaskFailure)] == [3]
    assert sorted(r for r in results if not isinstance(r, TaskFailure)) == [
        v for v in range(40) if v != 3
    ]


def _freeze_count(_value: int) -> tuple[int, int]:
    import gc

    return gc.get_freeze_count(), gc.get_threshold()[0]


def test_worker_processes_keep_what_they_inherited_out_of_the_garbage_collector() -> None:
    executor = ProcessPoolExecutor(1, _initialise, ("ctx",), preload=("json",))
    try:
        ((frozen, threshold),) = list(executor.map_unordered(_freeze_count, [0]))
    finally:
        executor.close()
    assert isinstance(frozen, int) and frozen > 1000  # the modules the worker started with
    assert threshold == WORKER_GC_THRESHOLD  # young objects collected less often


def test_a_calm_collector_is_undone_after_the_run_even_when_it_fails() -> None:
    """A triage's parent keeps what it had before the run out of the collections the run sets
    off, and leaves the collector as it found it (a process may run many triages)."""
    import gc

    before = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    try:
        with calm_collector():
            assert gc.get_freeze_count() > 1000 and gc.get_threshold()[0] == WORKER_GC_THRESHOLD
            raise RuntimeError("a run that fails")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_a_calm_collector_leaves_what_someone_else_froze_frozen() -> None:
    import gc

    before = gc.get_threshold()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with calm_collector():
            assert gc.get_threshold()[0] == WORKER_GC_THRESHOLD
        assert gc.get_freeze_count() >= frozen and gc.get_threshold() == before
    finally:
        gc.unfreeze()


def test_calm_collectors_of_runs_side_by_side_restore_once_the_last_is_over() -> None:
    import gc

    before = gc.get_threshold()
    first, second = calm_collector(), calm_collector()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold()[0] == WORKER_GC_THRESHOLD  # the second run is still going
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
