"""The navigation bar: one list, in one place. Later areas (alerts, triage runs, statistics) add
their link here; each link names the roles that see it."""

from __future__ import annotations

from dataclasses import dataclass

CASEWORK_ROLES = frozenset({"officer", "supervisor", "examiner"})


@dataclass(frozen=True)
class NavLink:
    label: str
    path: str
    roles: frozenset[str]


NAV_LINKS: tuple[NavLink, ...] = (
    NavLink("My caseload", "/caseload", CASEWORK_ROLES),
    NavLink("Alerts", "/alerts", frozenset({"officer", "supervisor"})),
    NavLink("Team", "/team", frozenset({"supervisor"})),
    NavLink("Investigations", "/investigations", CASEWORK_ROLES),
    NavLink("Exhibit queue", "/exhibits", CASEWORK_ROLES),
    NavLink("Statistics", "/statistics", frozenset({"officer", "supervisor"})),
    NavLink("Users", "/admin/users", frozenset({"admin"})),
    NavLink("Audit log", "/audit", frozenset({"auditor"})),
)


def links_for(role: str) -> list[NavLink]:
    """The links a user with this role sees, in bar order."""
    return [link for link in NAV_LINKS if role in link.roles]


def home_path(role: str) -> str:
    """Where a user lands after logging in: their first link."""
    links = links_for(role)
    return links[0].path if links else "/caseload"
