"""Artefact parsing overhead: part 1's triage of the 2 GiB corpus plus browser profiles and hives,
with the artefact parsers on and off in the same run (issue 4: no more than 10% added).

The corpus is bench_triage's (cached in /tmp/orderwatch-bench-triage). The artefacts (cached in
/tmp/orderwatch-bench-parsers) are made with the tests' builders: a real headless-Chromium profile
grown to 100,000 visits (5,000 then deleted, so recovery has free pages to read) and a second one
of 10,000, a Firefox places.sqlite of 50,000 visits, SYSTEM and SOFTWARE hives (hivexregedit),
setupapi.dev.log and Thunderbird prefs.js. Both are triaged as two sources of one run by the same
engine call, once with `WorkerOptions(parsers=False)`; on and off alternate over the repeats. Each
run's wall times and CPU seconds (the engine's process and its workers: the figure a shared
machine does not distort) are reported, as best and median of each mode and as the median of
each repeat's own overhead (its two runs are adjacent, so a drifting machine moves it less).
Then each parser's CPU is measured alone on each artefact (one process, lines kept as a triage
without an order keeps them) to say which cost most, and so is what the lines cost afterwards
(a worker's spool file, pickling to the parent, report.json, report.html). Last, what writing
into new page-cache pages costs on this machine, beside how many more of them a run with parsers
fills (its private database copies and spooled lines): a VM host that has taken freed memory back
charges their first touch to the run. And what spooling costs: the largest History parsed with
its lines written to a growing spool file, against to /dev/null.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pickle
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests"
ROOT = Path(os.environ.get("ORDERWATCH_BENCH_PARSERS_DIR", "/tmp/orderwatch-bench-parsers"))
WEBKIT_2024 = 13_350_000_000_000_000  # 2024-01-16 in WebKit microseconds
PRTIME_2024 = 1_705_000_000_000_000  # 2024-01-11 in PRTime microseconds
CHROME_USER_DATA = "Users/sam/AppData/Local/Google/Chrome/User Data"
FIREFOX_PROFILE = "Users/sam/AppData/Roaming/Mozilla/Firefox/Profiles/k3x9.default-release"
USBSTOR = r"ControlSet001\Enum\USBSTOR"
UNINSTALL = r"Microsoft\Windows\CurrentVersion\Uninstall"
SEARCHES = (
    "https://www.google.com/search?q={}",
    "https://www.bing.com/search?q={}",
    "https://duckduckgo.com/?q={}",
    "https://www.youtube.com/results?search_query={}",
)
WORDS = ("garden", "weather", "train", "recipe", "football", "news", "holiday", "music", "cars")


def _bench_triage() -> ModuleType:
    """benchmarks/bench_triage.py (its corpus generator and cache are reused, not copied)."""
    spec = importlib.util.spec_from_file_location("bench_triage", HERE / "bench_triage.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _test_builders() -> tuple[ModuleType, ModuleType]:
    """The browser and hive fixture builders of tests/ (the artefacts are made as the tests
    make theirs)."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    import forensics.parsers.browsers.browser_fixtures as browsers
    import forensics.parsers.registry.hive_fixtures as hives

    return browsers, hives


# --------------------------------------------------------------------------- artefacts


def _page(rng: random.Random, number: int) -> tuple[str, str]:
    if number % 10 == 0:  # one visit in ten is a search on a known engine
        term = "+".join(rng.sample(WORDS, 2))
        url = SEARCHES[number % len(SEARCHES)].format(term) + f"&sid={number}"
        return url, f"{term} - search"
    host = f"site{rng.randrange(2000)}.example.test"
    return f"https://{host}/page/{number}?ref={rng.randrange(10**6)}", f"Page {number} of {host}"


def _grow_chromium(history: Path, visits: int, deleted: int, seed: int) -> None:
    """Add `visits` (one url row each) to a real Chromium History, then delete `deleted` of them
    with secure_delete off (their bytes stay in free pages for recovery to read)."""
    rng = random.Random(seed)
    with sqlite3.connect(history) as connection:
        start = connection.execute("SELECT COALESCE(MAX(id), 0) FROM urls").fetchone()[0] + 1
        urls, rows = [], []
        for n in range(visits):
            url, title = _page(rng, n)
            when = WEBKIT_2024 + n * 30_000_000
            urls.append((start + n, url, title, 1, 0, when, 0))
            rows.append((start + n, when, 805306368 if n % 7 else 805306369))
        connection.executemany("INSERT INTO urls VALUES (?, ?, ?, ?, ?, ?, ?)", urls)
        connection.executemany(
            "INSERT INTO visits (url, visit_time, transition) VALUES (?, ?, ?)", rows
        )
    with sqlite3.connect(history) as connection:
        connection.execute("PRAGMA secure_delete = OFF")
        gone = [(start + n,) for n in rng.sample(range(visits), deleted)]
        connection.executemany("DELETE FROM visits WHERE url = ?", gone)
        connection.executemany("DELETE FROM urls WHERE id = ?", gone)
    connection.close()


def _firefox(browsers: ModuleType, root: Path, visits: int) -> None:
    profile = browsers.firefox_profile(root, Path(FIREFOX_PROFILE))
    rng = random.Random(11)
    with sqlite3.connect(profile / "places.sqlite") as connection:
        for n in range(visits):
            url, title = _page(rng, n)
            browsers.add_firefox_visit(connection, url, title, PRTIME_2024 + n * 30_000_000)
    connection.close()


def _hives(hives: ModuleType, root: Path) -> None:
    system: dict[str, dict[str, str]] = {"Select": {"Current": "dword:00000001"}}
    for n in range(40):
        device = rf"Disk&Ven_Vendor{n % 7}&Prod_Stick{n}&Rev_1.00"
        system[rf"{USBSTOR}\{device}\SER{n:012d}&0"] = {"FriendlyName": hives.reg_sz(f"Stick {n}")}
    hives.merge_hive(root / "Windows/System32/config/SYSTEM", "SYSTEM", system)
    software: dict[str, dict[str, str]] = {}
    names = ["VeraCrypt", "Tor Browser", "Dropbox", "CCleaner", "AnyDesk"]
    names += [f"Example Application {n}" for n in range(395)]
    for n, name in enumerate(names):
        software[rf"{UNINSTALL}\{{{n:08d}-app}}"] = {
            "DisplayName": hives.reg_sz(name),
            "DisplayVersion": hives.reg_sz(f"{n % 9}.{n % 5}.1"),
            "Publisher": hives.reg_sz("Example Publisher"),
        }
    hives.merge_hive(
        root / "Windows/System32/config/SOFTWARE", "emRoot\\System32\\Config\\SOFTWARE", software
    )


def _logs(root: Path) -> None:
    sections = []
    for n in range(40):
        device = rf"USBSTOR\Disk&Ven_Vendor{n % 7}&Prod_Stick{n}&Rev_1.00\SER{n:012d}&0"
        sections.append(
            f">>>  [Device Install (Hardware initiated) - {device}]\r\n"
            f">>>  Section start 2024/03/{1 + n % 28:02d} 10:00:01.250\r\n"
            + "     dvi: driver install line\r\n" * 200
            + "<<<  Section end 2024/03/17 10:00:09.000\r\n<<<  [Exit status: SUCCESS]\r\n"
        )
    log = root / "Windows/INF/setupapi.dev.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_bytes(("[Device Install Log]\r\n" + "".join(sections)).encode("cp1252"))
    prefs = root / "Users/sam/AppData/Roaming/Thunderbird/Profiles/a1.default/prefs.js"
    prefs.parent.mkdir(parents=True)
    prefs.write_text(
        'user_pref("mail.identity.id1.useremail", "sam@example.org");\n'
        'user_pref("mail.server.server1.userName", "sam.alias");\n'
    )


def build_artefacts() -> Path:
    """The folder of browser profiles, hives and logs (built once; rebuilt when params change)."""
    params = {"chrome": [100_000, 5_000, 10_000], "firefox": 50_000, "version": 1}
    base = ROOT / "artefacts"
    marker = ROOT / "artefacts.json"
    if marker.is_file() and json.loads(marker.read_text()).get("params") == params:
        return base
    shutil.rmtree(ROOT, ignore_errors=True)
    ROOT.mkdir(parents=True)
    print(f"generating browser profiles and hives in {base} ...", flush=True)
    browsers, hives = _test_builders()
    made = browsers.make_chromium_profile(ROOT / "chromium") / browsers.CHROMIUM_USER_DATA
    user_data = base / CHROME_USER_DATA
    for name, visits, deleted in (("Default", 100_000, 5_000), ("Profile 1", 10_000, 0)):
        (user_data / name).mkdir(parents=True)
        for file_name in browsers.PROFILE_FILES:
            if (made / "Default" / file_name).is_file():
                shutil.copy2(made / "Default" / file_name, user_data / name / file_name)
        _grow_chromium(user_data / name / "History", visits, deleted, seed=len(name))
    shutil.copy2(made / "Local State", user_data / "Local State")
    _firefox(browsers, base, 50_000)
    _hives(hives, base)
    _logs(base)
    marker.write_text(json.dumps({"params": params}))
    return base


# --------------------------------------------------------------------------- timing

_RUN = """
import json, sys, time
from pathlib import Path
from orderwatch.triage.engine import TriageOptions, run_triage
from orderwatch.triage.worker import WorkerOptions
# As `orderwatch triage` does before run_triage, parsers or not (commands.run checks the override):
from orderwatch.forensics.software_catalogue import default_catalogue
default_catalogue()
*sources, out, workers, parsers = sys.argv[1:]
import gc  # the time the engine's process spends in garbage collections, in whichever thread
collecting, spent = {}, [0.0]
gc.callbacks.append(lambda phase, _: collecting.__setitem__("at", time.thread_time())
                    if phase == "start" else spent.__setitem__(0, spent[0] + time.thread_time()
                                                               - collecting["at"]))
options = TriageOptions(sources=[Path(s) for s in sources], out=Path(out), workers=int(workers),
                        worker_options=WorkerOptions(parsers=parsers == "on"))
started = time.perf_counter()
summary = run_triage(options).report["summary"]
wall = time.perf_counter() - started  # report.json's seconds end before the reports are written
# Workers are the forkserver's children: stopping (and so waiting for) it counts their CPU here.
import multiprocessing.forkserver, resource
getattr(multiprocessing.forkserver._forkserver, "_stop", lambda: None)()
engine, workers = (sum(getattr(resource.getrusage(who), field) for field in ("ru_utime",
                   "ru_stime")) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print(json.dumps({"seconds": summary["seconds"], "wall": wall, "files": summary["files"],
                  "observations": summary["observations"], "errors": summary["errors"],
                  "cpu": engine + workers, "engine_cpu": engine, "workers_cpu": workers,
                  "engine_gc": spent[0]}))
"""


def triage_run(
    sources: list[Path], out: Path, workers: int, parsers: bool, code: Path | None = None
) -> dict[str, float]:
    """The triage engine in a fresh process (as bench_triage's parsers-off run): its summary,
    and the CPU seconds of that process and its workers, together and apart (user + system; on
    a shared machine the figure the load distorts least). The process first loads the software
    catalogue, in both modes, as `orderwatch triage` does before it calls run_triage. `code`: a
    folder holding another build of orderwatch (`pip install --no-deps --target DIR REV`), put
    first on the path; None: this one."""
    shutil.rmtree(out, ignore_errors=True)
    os.sync()  # the last run's report.json written back now, not during this run
    argv = [*map(str, sources), str(out), str(workers), "on" if parsers else "off"]
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", _RUN, *argv], capture_output=True, text=True, check=True, env=env
    )
    return dict(json.loads(done.stdout))


def against(
    sources: list[Path], out: Path, workers: int, code: Path, rounds: int
) -> dict[str, dict[bool, list[dict[str, float]]]]:
    """This build and the one in `code`, parsers off and on, each round's four runs in a
    shuffled order (so a machine whose speed drifts moves both alike): their results."""
    rng = random.Random(1)
    builds = {"this": None, "that": code}
    results: dict[str, dict[bool, list[dict[str, float]]]] = {
        name: {False: [], True: []} for name in builds
    }
    for number in range(rounds):
        runs = [(name, parsers) for name in builds for parsers in (False, True)]
        rng.shuffle(runs)
        for name, parsers in runs:
            results[name][parsers].append(triage_run(sources, out, workers, parsers, builds[name]))
        print(
            f"  round {number + 1}: "
            + ", ".join(
                f"{name} {'on' if parsers else 'off'} {results[name][parsers][-1]['seconds']:.2f} s"
                for name in builds
                for parsers in (False, True)
            ),
            flush=True,
        )
    return results


def parser_costs(
    artefacts: Path, sink: Any = None
) -> tuple[list[tuple[str, float, int, int, int]], list[Any], list[tuple[int, str, Any]]]:
    """Each parser alone on each artefact it claims, one process, as a triage worker without an
    order runs it (every observation kept as its report.json line, a history's visits in blocks
    written into `sink`, the worker's spool file, as they are made): (name, CPU seconds, files,
    observations, errors) most expensive first, every line made one by one, and every block of
    lines (source index, path, block)."""
    import orderwatch.forensics.parsers  # noqa: F401  (registers every parser)
    from orderwatch.forensics.parsers.interface import LocalArtefact, ParserMediator
    from orderwatch.forensics.parsers.manager import registry
    from orderwatch.triage.encoded import REPORT_LINES, encode_observation

    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0, 0, 0])
    made: list[Any] = []
    blocks: list[tuple[int, str, Any]] = []
    for path in sorted(p for p in artefacts.rglob("*") if p.is_file()):
        artefact = LocalArtefact(path, artefacts)
        for parser in registry.parsers_for(artefact.path):
            mediator = ParserMediator(
                str(artefacts), lines=REPORT_LINES, object_kinds=frozenset(), sink=sink
            )
            started = time.process_time()
            parser.parse(artefact, mediator)
            lines = mediator.encoded + [encode_observation(o) for o in mediator.observations]
            row = totals[parser.NAME]
            row[0] += time.process_time() - started
            row[1] += 1
            row[2] += len(lines) + sum(block.count for block in mediator.blocks)
            row[3] += len(mediator.errors)
            made.extend(lines)
            blocks += [(0, artefact.path, block) for block in mediator.blocks]
    rows = [(name, r[0], int(r[1]), int(r[2]), int(r[3])) for name, r in totals.items()]
    return sorted(rows, key=lambda row: -row[1]), made, blocks


def downstream_costs(
    encoded: list[Any], blocks: list[tuple[int, str, Any]], spool: Any, writer: Any
) -> dict[str, float]:
    """What the lines cost after parsing, one process (CPU seconds): the worker keeping its
    blocks (already in its spool file when the parser wrote them there), the trip to the parent
    (pickle both ways: the lines made one by one and where the blocks lie), report.json (sort,
    write: the spooled lines copied in) and report.html."""
    from datetime import UTC, datetime

    from orderwatch.triage.html import render_html
    from orderwatch.triage.report import RunFacts, build_report, write_report

    costs: dict[str, float] = {}
    facts = RunFacts(started=datetime.now(UTC), command_line=[], workers=1, quick=False)
    facts.encoded = encoded
    facts.spool = spool
    started = time.process_time()
    spooled = [(index, path, writer.keep(block)) for index, path, block in blocks]
    costs["a worker spools its blocks"] = time.process_time() - started
    started = time.process_time()
    pickle.loads(pickle.dumps((encoded, spooled), protocol=pickle.HIGHEST_PROTOCOL))
    costs["pickle to the parent and back"] = time.process_time() - started
    started = time.process_time()
    for index, path, block in spooled:
        facts.spool.add(index, "artefacts", path, block)
    costs["the parent notes where they lie"] = time.process_time() - started
    facts.finished = datetime.now(UTC)
    started = time.process_time()
    report = build_report(facts)
    costs["build_report (sort)"] = time.process_time() - started
    started = time.process_time()
    write_report(spool.directory / "report.json", report)
    costs["write_report (report.json)"] = time.process_time() - started
    started = time.process_time()
    render_html(report)
    costs["render_html (report.html)"] = time.process_time() - started
    return costs


def dispatch_cost(folder: Path) -> tuple[float, int, int]:
    """What parsing costs a file no parser wants: the registry asked about every corpus path, a
    run of walked files at a time as the walk asks (`registry.claimed`): (seconds, paths,
    paths claimed)."""
    from orderwatch.forensics.parsers.manager import registry
    from orderwatch.triage.engine import _ASKED_TOGETHER

    paths = ["/" + p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]
    runs = [paths[at : at + _ASKED_TOGETHER] for at in range(0, len(paths), _ASKED_TOGETHER)]
    started = time.perf_counter()
    claimed = sum(sum(registry.claimed(run)) for run in runs)
    return time.perf_counter() - started, len(paths), claimed


NEW_PAGES_MB = 128  # written into a new file to tell what new page-cache pages cost


def new_page_costs(folder: Path, megabytes: int = NEW_PAGES_MB) -> tuple[float, float]:
    """CPU milliseconds to write `megabytes` into a new file: after 8 s idle (a VM guest with
    free page reporting may have handed the pages it freed back to its host by then, so each is
    faulted in again, as a run's private database copies and spool may be), then at once again
    (pages just freed). When the host has taken them back the first costs several times the
    second; when not, the two are alike."""
    block = b"\0" * (1 << 20)

    def write() -> float:
        path = folder / "new-pages.bin"
        started = time.process_time()
        with open(path, "wb", buffering=0) as out:
            for _ in range(megabytes):
                out.write(block)
        spent = time.process_time() - started
        path.unlink()
        return spent * 1000

    time.sleep(8)
    return write(), write()


class _DiscardingSink:
    """A LineSink whose place is /dev/null: the C loop writes its records as to a spool file,
    the kernel keeps none of them (what spooling costs is the difference)."""

    def __init__(self) -> None:
        self.descriptor = os.open(os.devnull, os.O_WRONLY)

    def place(self) -> tuple[int, int]:
        return self.descriptor, 0

    def written(self, length: int, kinds: Any, templates: Any = ()) -> Any:
        from orderwatch.triage.encoded import SpooledBlock

        return SpooledBlock(os.devnull, 0, length, kinds, templates)


def spool_costs(artefacts: Path, repeats: int = 7) -> tuple[float, float, int]:
    """The largest Chrome History parsed `repeats` times each way, one process, CPU seconds
    (median): its records written to a spool file as a worker writes them (growing, so into new
    pages each time), and to /dev/null; and the bytes of one parse's records."""
    import orderwatch.forensics.parsers  # noqa: F401  (registers every parser)
    from orderwatch.forensics.parsers.interface import LocalArtefact, ParserMediator
    from orderwatch.forensics.parsers.manager import registry
    from orderwatch.triage.encoded import REPORT_LINES, BlockWriter

    history = max(artefacts.rglob("History"), key=lambda p: p.stat().st_size)
    artefact, parser = LocalArtefact(history, artefacts), registry.get("chrome_history")
    discarding = _DiscardingSink()
    times: dict[str, list[float]] = {"file": [], "null": []}
    size = 0
    with tempfile.TemporaryDirectory(prefix="orderwatch-bench-parsers-") as tmp:
        writer = BlockWriter(Path(tmp))
        try:
            for _ in range(repeats):
                for name, sink in (("file", writer), ("null", discarding)):
                    mediator = ParserMediator(
                        str(artefacts), lines=REPORT_LINES, object_kinds=frozenset(), sink=sink
                    )
                    started = time.process_time()
                    parser.parse(artefact, mediator)
                    times[name].append(time.process_time() - started)
                    size = sum(getattr(block, "length", 0) for block in mediator.blocks)
        finally:
            writer.close()
            os.close(discarding.descriptor)
    return statistics.median(times["file"]), statistics.median(times["null"]), size


def copied_bytes(artefacts: Path) -> int:
    """Bytes of the private copies the SQLite plugins make of the artefacts they parse (each
    plugin copies its database and the -wal and -journal beside it before opening them)."""
    import orderwatch.forensics.parsers  # noqa: F401  (registers every parser)
    from orderwatch.forensics.parsers.manager import registry
    from orderwatch.forensics.parsers.sqlite_plugins.interface import SQLitePlugin

    total = 0
    for path in (p for p in artefacts.rglob("*") if p.is_file()):
        copies = sum(
            isinstance(parser, SQLitePlugin)
            for parser in registry.parsers_for("/" + path.relative_to(artefacts).as_posix())
        )
        companions = (path.with_name(path.name + suffix) for suffix in ("-wal", "-journal"))
        size = path.stat().st_size + sum(c.stat().st_size for c in companions if c.is_file())
        total += copies * size
    return total


def _overheads(results: dict[bool, list[dict[str, float]]]) -> None:
    """What parsing added, run against run: best, median and paired, for each figure."""
    for key, what in (
        ("seconds", "report.json's seconds"),
        ("wall", "reports written"),
        ("cpu", "CPU seconds of all processes, reports written"),
        ("engine_cpu", "CPU seconds of the engine's process: walk, dispatch, reports"),
        ("workers_cpu", "CPU seconds of the workers: hashing, parsing"),
    ):
        on = [r[key] for r in results[True]]
        off = [r[key] for r in results[False]]
        for label, pick in (("best", min), ("median", statistics.median)):
            a, b = pick(off), pick(on)
            print(
                f"  {label:<6} parsers off {a:6.2f} s, on {b:6.2f} s: overhead {(b - a) / a:+.1%}"
                f" ({what})"
            )
        # Each repeat's two runs are adjacent: their ratio is less moved by a machine whose
        # speed drifts over the minutes of the bench than the ratio of the medians.
        overheads = [b / a - 1 for a, b in zip(off, on, strict=True)]
        paired = statistics.median(overheads)
        # The middle half of the repeats' overheads: how far a single pair of runs can be
        # trusted on this machine (several points on a shared one).
        low, high = _middle_half(overheads)
        print(
            f"  paired median of each repeat's overhead {paired:+.1%}, middle half of them "
            f"{low:+.1%} to {high:+.1%} ({what})"
        )
    gc_off, gc_on = (statistics.median(r["engine_gc"] for r in results[m]) for m in (False, True))
    print(
        f"  median time in the engine's garbage collections: parsers off {gc_off * 1000:.0f} ms, "
        f"on {gc_on * 1000:.0f} ms"
    )


def _middle_half(values: list[float]) -> tuple[float, float]:
    """The first and third quartiles (the values themselves when there are fewer than 4)."""
    if len(values) < 4:
        return min(values), max(values)
    quartiles = statistics.quantiles(values, n=4)
    return quartiles[0], quartiles[2]


def _parse_once(artefacts: Path) -> None:
    """Every parser on the artefacts, once, writing into a spool as a worker does."""
    from orderwatch.triage.encoded import BlockWriter

    with tempfile.TemporaryDirectory(prefix="orderwatch-bench-parsers-") as tmp:
        writer = BlockWriter(Path(tmp))
        try:
            costs, observations, blocks = parser_costs(artefacts, writer)
        finally:
            writer.close()
    bulk = sum(block.count for _, _, block in blocks)
    print(f"parsed once: {len(observations) + bulk} observations, {len(costs)} parsers")


def _load() -> str:
    return "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench_parsers")
    parser.add_argument("--small", action="store_true", help="bench_triage's ~220 MB corpus")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeats", type=int, default=3, help="runs each with parsers on/off")
    parser.add_argument(
        "--parse-once",
        action="store_true",
        help="only parse the artefacts once, as a worker does (for a profiler such as "
        "valgrind --tool=callgrind, whose counts the machine's speed does not move)",
    )
    parser.add_argument(
        "--against",
        type=Path,
        metavar="DIR",
        help="also run the build of orderwatch installed in DIR (pip install --no-deps --target "
        "DIR <an earlier checkout>), alternated with this one in each of --repeats rounds",
    )
    args = parser.parse_args(argv)
    if args.parse_once:
        _parse_once(build_artefacts())
        return
    bench_triage = _bench_triage()
    folder, _image, files, total = bench_triage.build_corpus(args.small)
    artefacts = build_artefacts()
    artefact_files = [p for p in artefacts.rglob("*") if p.is_file()]
    artefact_bytes = sum(p.stat().st_size for p in artefact_files)
    print(
        f"corpus: {files} files, {total / 1e6:.0f} MB; artefacts: {len(artefact_files)} files, "
        f"{artefact_bytes / 1e6:.0f} MB; {args.workers} workers; warm page cache"
    )
    print(f"load average at start: {_load()}", flush=True)
    bench_triage.warm([folder, artefacts])
    if args.against is not None:
        with tempfile.TemporaryDirectory(prefix="orderwatch-bench-parsers-") as tmp:
            pair = against([folder, artefacts], Path(tmp) / "out", args.workers, args.against,
                           args.repeats)  # fmt: skip
        for name, found in pair.items():
            print(f"  {name} build ({args.against if name == 'that' else 'this checkout'}):")
            _overheads(found)
        return
    results: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    with tempfile.TemporaryDirectory(prefix="orderwatch-bench-parsers-") as tmp:
        sources = [folder, artefacts]
        for repeat in range(args.repeats):
            for parsers in (False, True) if repeat % 2 == 0 else (True, False):
                result = triage_run(sources, Path(tmp) / "out", args.workers, parsers)
                results[parsers].append(result)
                print(
                    f"  run {repeat + 1} parsers {'on ' if parsers else 'off'}: "
                    f"{result['seconds']:6.2f} s (reports written: {result['wall']:6.2f} s, "
                    f"CPU {result['cpu']:6.2f} s), {result['observations']:.0f} observations, "
                    f"{result['errors']:.0f} errors (load {_load()})",
                    flush=True,
                )
        alone = {
            parsers: triage_run([artefacts], Path(tmp) / "alone", args.workers, parsers)
            for parsers in (False, True)
        }
    _overheads(results)
    print(
        f"  artefacts alone: parsers off {alone[False]['seconds']:.2f} s, on "
        f"{alone[True]['seconds']:.2f} s ({alone[True]['observations']:.0f} observations); CPU "
        f"off {alone[False]['cpu']:.2f} s, on {alone[True]['cpu']:.2f} s"
    )
    print("  each parser alone on the artefacts (one process, CPU, lines as a triage makes them):")
    from orderwatch.triage.encoded import BlockWriter, LineSpool

    with tempfile.TemporaryDirectory(prefix="orderwatch-bench-parsers-") as tmp:
        spool = LineSpool(Path(tmp))
        writer = BlockWriter(spool.open_for_workers())  # as a worker's: the parsers write there
        try:
            costs, observations, blocks = parser_costs(artefacts, writer)
            for name, seconds, count, made, errors in costs:
                print(
                    f"    {name:<28} {seconds:7.3f} s  {count:3d} files {made:7d} observations"
                    f"  {errors} errors"
                )
            bulk = sum(block.count for _, _, block in blocks)
            print(
                f"  after parsing, for those {len(observations) + bulk} observations ({bulk} in "
                f"{len(blocks)} blocks; one process, CPU):"
            )
            for name, seconds in downstream_costs(observations, blocks, spool, writer).items():
                print(f"    {name:<40} {seconds:7.3f} s")
            spooled = sum(p.stat().st_size for p in spool.worker_folder.iterdir() if p.is_file())
            cold, warm = new_page_costs(Path(tmp))
        finally:
            writer.close()
            spool.remove()
    copied = copied_bytes(artefacts)
    print(
        f"  new page-cache pages: {NEW_PAGES_MB} MB written after 8 s idle {cold:.0f} ms CPU, at "
        f"once again {warm:.0f} ms; a run with parsers writes {(copied + spooled) / 1e6:.0f} MB "
        "more into "
        f"new pages ({copied / 1e6:.0f} MB of private database copies, {spooled / 1e6:.0f} MB "
        f"of spooled lines): about {(copied + spooled) / 2**20 * (cold - warm) / NEW_PAGES_MB:.0f} "
        "ms CPU more than if they had been used just before"
    )
    to_file, to_null, records = spool_costs(artefacts)
    print(
        f"  the largest History parsed with its lines spooled (compact records, "
        f"{records / 1e6:.0f} MB) into a growing file: {to_file:.3f} s CPU; into /dev/null: "
        f"{to_null:.3f} s (median of 7 each, one process)"
    )
    seconds, paths, claimed = dispatch_cost(folder)
    print(
        f"  dispatch (registry.claimed) on {paths} corpus paths: {seconds:.3f} s, "
        f"{seconds / paths * 1e6:.1f} us a path, {claimed} claimed"
    )
    print(f"load average at end: {_load()}")
