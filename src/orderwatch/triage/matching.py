"""Hash-set matching in the triage parent: exact hashes and PDQ, into inventory and observations."""

from __future__ import annotations

from typing import Any

from orderwatch.domain.observations import HashMatchObservation, Provenance, stable_id
from orderwatch.triage.records import FileResult, time_value

MATCHER = "hash_set"


def match_results(collection: Any, results: list[FileResult]) -> list[list[HashMatchObservation]]:
    """Match a batch of files against the loaded hash sets in one vectorised lookup.

    Fills each entry's "match" list and returns each file's observations. Known-good (NSRL) hits
    mark the entry `known_good` and make no observation.
    """
    hashed = [r for r in results if r.inventory["md5"] is not None]
    exact = (
        collection.match_many(
            [r.inventory["md5"] for r in hashed],
            [r.inventory["sha1"] for r in hashed],
            [r.inventory["sha256"] for r in hashed],
        )
        if hashed
        else []
    )
    by_result = {id(r): m for r, m in zip(hashed, exact, strict=True)}
    found: list[list[HashMatchObservation]] = []
    for result in results:
        matches = list(by_result.get(id(result), []))
        if result.pdq is not None:
            matches.extend(collection.match_pdq(result.pdq))
        found.append(_record(result.inventory, matches))
    return found


def _record(entry: dict[str, Any], matches: list[Any]) -> list[HashMatchObservation]:
    observations: list[HashMatchObservation] = []
    for match in matches:
        if match.known_good:
            entry["known_good"] = True
            continue
        entry["match"].append(
            {
                "hashset": match.hashset,
                "category": match.category,
                "method": match.method,
                "distance": match.distance,
            }
        )
        observations.append(_observation(entry, match))
    return observations


def _observation(entry: dict[str, Any], match: Any) -> HashMatchObservation:
    method = str(match.method)
    value = entry["pdq"] if method == "pdq" else entry.get(method)
    return HashMatchObservation(
        id=stable_id(
            entry["source"], MATCHER, entry["path"], entry["inode"], match.hashset, method
        ),
        time=time_value(entry.get("mtime")),
        provenance=Provenance(
            source=entry["source"],
            parser=MATCHER,
            path=entry["path"],
            record=f"{method}={value}; distance={match.distance}",
        ),
        path=entry["path"],
        hashset=match.hashset,
        category=match.category,
        method=method,
        distance=int(match.distance),
    )
