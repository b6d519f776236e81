"""Every observation id appears once in report.json, whichever files of a source repeat it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from triage_evidence import read_outputs

from orderwatch.domain.observations import InstalledSoftwareObservation, Provenance
from orderwatch.triage.report import unique_observations

TriageRun = Callable[..., tuple[int, Path]]


def test_a_program_seen_through_two_files_of_its_folder_is_one_observation(
    tmp_path: Path, triage_run: TriageRun
) -> None:
    device = tmp_path / "device"
    tor = device / "Users" / "sam" / "Desktop" / "Tor Browser"
    (tor / "Browser").mkdir(parents=True)
    (tor / "Start Tor Browser.lnk").write_bytes(b"L\0\0\0 shortcut\n")
    (tor / "Browser" / "firefox.exe").write_bytes(b"MZ" + bytes(200))
    code, out = triage_run(device, workers=2)  # two workers: each file has its own mediator
    assert code == 0
    report, _ = read_outputs(out)
    ids = Counter(o["id"] for o in report["observations"])
    assert ids and max(ids.values()) == 1
    (program,) = [o for o in report["observations"] if o["kind"] == "installed_software"]
    assert program["name"] == "Tor Browser"
    # The kept copy is the one with the first provenance path, whatever order workers finish in.
    assert program["provenance"]["path"] == "/Users/sam/Desktop/Tor Browser/Browser/firefox.exe"
    assert report["summary"]["observations"] == 1


def test_the_kept_copy_does_not_depend_on_arrival_order() -> None:
    def seen(path: str) -> InstalledSoftwareObservation:
        provenance = Provenance(source="s", parser="software_paths", path=path, record="r")
        return InstalledSoftwareObservation(
            id="same", provenance=provenance, name="Tor Browser", category="anonymity"
        )

    first, second = seen("/b/Start Tor Browser.lnk"), seen("/a/firefox.exe")
    other = InstalledSoftwareObservation(
        id="other", provenance=Provenance(source="s", parser="p"), name="VeraCrypt"
    )
    for ordering in ([first, second, other], [other, second, first]):
        kept = unique_observations(ordering)
        assert sorted(o.id for o in kept) == ["other", "same"]
        assert next(o for o in kept if o.id == "same") is second
