"""The auditor's page: the audit log, newest first, and the hash chain's verification."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from orderwatch.storage import list_audit, verify_audit_chain
from orderwatch.web.deps import AuditorUser, DatabaseDep
from orderwatch.web.templating import render

router = APIRouter(tags=["pages"])

AUDIT_PAGE = 100


@router.get("/audit")
def audit_page(
    request: Request,
    user: AuditorUser,
    database: DatabaseDep,
    before: int | None = None,
    entity: str = "",
    username: str = "",
    verify: bool = False,
) -> Response:
    """The audit log, newest first, a page at a time; optionally the chain's verification."""
    filters: dict[str, Any] = {"entity": entity or None, "username": username or None}
    with database.read_session() as session:
        entries = list_audit(session, user.actor, limit=AUDIT_PAGE, before_id=before, **filters)
        verification = verify_audit_chain(session) if verify else None
    context = {
        "title": "Audit log",
        "entries": entries,
        "next_before": entries[-1].id if len(entries) == AUDIT_PAGE else None,
        "filters": {"entity": entity, "username": username},
        "verification": verification,
    }
    return render(request, "audit.html", context)
