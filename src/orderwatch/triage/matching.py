"""Hash-set matching in the triage parent: exact hashes and PDQ, into inventory and observations."""

from __future__ import annotations

import json
from typing import Any

from orderwatch.domain.observations import HashMatchObservation, Provenance, stable_id
from orderwatch.triage.records import BatchResult, time_value

MATCHER = "hash_set"


def match_batch(collection: Any, batch: BatchResult) -> list[list[HashMatchObservation]]:
    """Match a batch's files against the loaded hash sets in one vectorised lookup.

    Only the lines of files with a match are decoded: their entry gets its "match" list (or
    `known_good` for an NSRL hit, which makes no observation) and the line is rewritten. Returns
    the observations of each file that has any.
    """
    keys = batch.keys or []
    hashed = [i for i, key in enumerate(keys) if key[0] is not None]
    exact = (
        collection.match_many(
            [keys[i][0] for i in hashed], [keys[i][1] for i in hashed], [keys[i][2] for i in hashed]
        )
        if hashed
        else []
    )
    found: dict[int, list[Any]] = {i: list(m) for i, m in zip(hashed, exact, strict=True) if m}
    for i, key in enumerate(keys):
        if key[3] is not None:
            pdq = collection.match_pdq(key[3])
            if pdq:
                found.setdefault(i, []).extend(pdq)
    observed: list[list[HashMatchObservation]] = []
    for i in sorted(found):
        entry = json.loads(batch.lines[i])
        observations = _record(entry, found[i])
        batch.lines[i] = json.dumps(entry, ensure_ascii=False)
        if observations:
            observed.append(observations)
    return observed


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
