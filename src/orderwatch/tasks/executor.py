"""Where work runs: inline in this process, or in a pool of worker processes on this machine.

Both run `fn(item)` for each item and yield results in completion order. Each worker process
calls `initializer(*initargs)` once (e.g. to make its own dfvfs resolver context). Items are
dispatched in the order given, so a caller that sorts largest-first gets largest-first, and taken
from the iterable only as workers need them.
"""

from __future__ import annotations

import concurrent.futures
import gc
import multiprocessing
import multiprocessing.forkserver
import os
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

IN_FLIGHT_PER_WORKER = 16  # items queued or running per worker: enough that none waits

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class TaskFailure(Generic[T]):
    """An item whose task could not complete (its worker died); the run records it and goes on."""

    item: T
    message: str


class Executor(Protocol):
    """Runs a function over items; results (or TaskFailures) come back as they complete."""

    workers: int

    def start(self) -> None:
        """Start the workers now (they are otherwise started by the first item)."""
        ...

    def map_unordered(
        self, fn: Callable[[T], R], items: Iterable[T]
    ) -> Iterator[R | TaskFailure[T]]:
        """Yield fn(item) for every item, in completion order."""
        ...

    def close(self) -> None:
        """Release the workers."""
        ...


class InlineExecutor:
    """Runs everything in the calling process, in order (one worker; debugging and tests)."""

    workers = 1

    def __init__(
        self, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()
    ) -> None:
        self._initializer = initializer
        self._initargs = initargs
        self._initialised = False

    def start(self) -> None:
        pass

    def map_unordered(
        self, fn: Callable[[T], R], items: Iterable[T]
    ) -> Iterator[R | TaskFailure[T]]:
        if not self._initialised and self._initializer is not None:
            self._initializer(*self._initargs)
        self._initialised = True
        for item in items:
            yield fn(item)

    def close(self) -> None:
        self._initialised = False


class ProcessPoolExecutor:
    """A pool of worker processes started through a fork server that has preloaded `preload`.

    A worker that dies (a crash in a native library on corrupt evidence) breaks the pool; the
    items it left unfinished are retried one by one, and only those that kill a worker again come
    back as TaskFailure.
    """

    def __init__(
        self,
        workers: int,
        initializer: Callable[..., None] | None = None,
        initargs: tuple[Any, ...] = (),
        preload: tuple[str, ...] = (),
    ) -> None:
        self.workers = max(1, workers)
        self._window = self.workers * IN_FLIGHT_PER_WORKER
        self._initializer = initializer
        self._initargs = initargs
        self._context = _pool_context(preload)
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._starter: threading.Thread | None = None

    def _new_pool(self, workers: int) -> concurrent.futures.ProcessPoolExecutor:
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=self._context,
            initializer=_start_worker,
            initargs=(self._initializer, *self._initargs),
        )

    def start(self) -> None:
        """Start every worker process (and the fork server) in the background, so their
        start-up (the fork server's imports) overlaps the caller's own preparation."""
        pool = self._pool = self._pool or self._new_pool(self.workers)

        def start_workers() -> None:
            for _ in range(self.workers):
                pool.submit(os.getpid)  # each submit starts a worker while none is idle

        self._starter = threading.Thread(target=start_workers, name="start-workers", daemon=True)
        self._starter.start()

    def map_unordered(
        self, fn: Callable[[T], R], items: Iterable[T]
    ) -> Iterator[R | TaskFailure[T]]:
        """Items are taken from `items` only as workers need them (a few per worker in flight),
        so a lazy iterable (a walk still in progress) overlaps with the work and memory stays
        bounded. If a worker dies, the items then in flight are retried one by one and the rest
        go on in a new pool."""
        pending = iter(items)
        while True:
            failed, exhausted = yield from self._run_window(fn, pending)
            if failed:  # retry each alone so only the item that kills its worker fails
                self.close()
                for item in failed:
                    yield from self._run_alone(fn, item)
            if exhausted:
                return

    def _run_window(
        self, fn: Callable[[T], R], pending: Iterator[T]
    ) -> Generator[R | TaskFailure[T], None, tuple[list[T], bool]]:
        """Run items until they run out (True) or the pool breaks (the items then in flight)."""
        pool = self._pool = self._pool or self._new_pool(self.workers)
        in_flight: dict[concurrent.futures.Future[R], T] = {}
        exhausted = False
        broken: list[T] = []
        while True:
            while not exhausted and not broken and len(in_flight) < self._window:
                try:
                    item = next(pending)
                except StopIteration:
                    exhausted = True
                    break
                try:
                    in_flight[pool.submit(fn, item)] = item
                except BrokenProcessPool:  # the pool broke before a future said so
                    broken.append(item)
            if not in_flight:
                return broken, exhausted
            done, _ = concurrent.futures.wait(
                in_flight, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in done:
                item = in_flight.pop(future)  # hold nothing of a finished item
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken.append(item)
                    continue
                yield result

    def _run_alone(self, fn: Callable[[T], R], item: T) -> Iterator[R | TaskFailure[T]]:
        pool = self._new_pool(1)
        try:
            yield pool.submit(fn, item).result()
        except BrokenProcessPool as error:
            yield TaskFailure(item, f"worker process died: {error}")
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        if self._starter is not None:
            self._starter.join()
            self._starter = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


WORKER_GC_THRESHOLD = 50_000


def _start_worker(initializer: Callable[..., None] | None, *initargs: Any) -> None:
    """First thing in a worker process: what it got from the fork server (the preloaded imports)
    is moved out of the garbage collector's sight, so the collections that the work's allocations
    set off go over the work's own objects, not the whole inherited heap (in a triage's workers,
    a fifth of what those collections cost), and do not write to the pages shared with the fork
    server. The youngest generation is collected after 50,000 new containers, not 700: a
    worker makes rows and tuples by the hundred thousand and frees them by reference counting,
    and a collection every 700 of them cost ~5% of a triage's artefact parsing. Then the
    caller's initializer."""
    _calm_collector()
    if initializer is not None:
        initializer(*initargs)


def _calm_collector() -> tuple[tuple[int, int, int], bool]:
    """What is alive now leaves the garbage collector's sight (gc.freeze, unless something is
    frozen already: that is someone else's) and the youngest generation is collected after
    WORKER_GC_THRESHOLD new containers: (the old thresholds, whether this froze)."""
    old = gc.get_threshold()
    froze = gc.get_freeze_count() == 0
    if froze:
        gc.freeze()
    gc.set_threshold(WORKER_GC_THRESHOLD, *old[1:])
    return old, froze


_calm_lock = threading.Lock()
_calm_runs = 0  # runs in this process inside calm_collector
_calm_restore: tuple[tuple[int, int, int], bool] | None = None  # what the first run changed


@contextmanager
def calm_collector() -> Iterator[None]:
    """The worker processes' collector settings for the length of a run in this process, undone
    when the last run that asked for them is over (what was frozen is collectable again, so a
    process that lives on after the run, such as a test session, keeps nothing it would have
    freed). A triage's parent makes tens of thousands of tasks and results: with the default
    settings its collections went over every module it had imported, ~40 ms of a 2.5 s run, and
    a full one (which a large history's results set off) ~40 ms more."""
    global _calm_runs, _calm_restore
    with _calm_lock:
        if _calm_runs == 0:
            _calm_restore = _calm_collector()
        _calm_runs += 1
    try:
        yield
    finally:
        with _calm_lock:
            _calm_runs -= 1
            if _calm_runs == 0 and _calm_restore is not None:
                (old, froze), _calm_restore = _calm_restore, None
                gc.set_threshold(*old)
                if froze:
                    gc.unfreeze()


def _pool_context(preload: tuple[str, ...] = ()) -> Any:
    """Worker processes come from a fork server (which has imported `preload`) where there is
    one: forking a process that runs threads is unsafe, and imports are paid once."""
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else None
    context = multiprocessing.get_context(method)
    if method == "forkserver" and preload:
        context.set_forkserver_preload(list(preload))
    return context


def prestart(preload: tuple[str, ...]) -> None:
    """Start the fork server now, importing `preload` in the background while the caller goes
    on importing and preparing; a pool made later with the same preload uses it."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        _pool_context(preload)
        multiprocessing.forkserver.ensure_running()


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not every platform has it
        return os.cpu_count() or 1


def create_executor(
    workers: int | None,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
    preload: tuple[str, ...] = (),
) -> Executor:
    """Inline for one worker, otherwise a process pool of `workers` (default: the cores)."""
    count = default_workers() if workers is None else workers
    if count <= 1:
        return InlineExecutor(initializer, initargs)
    return ProcessPoolExecutor(count, initializer, initargs, preload)
