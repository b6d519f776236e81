"""Request dependencies as `Annotated` aliases, so routes read like the domain.

`CurrentUser` is the gate every non-public route passes: it resolves the session cookie to a
live server-side session and, on unsafe methods, checks the CSRF token (form field or
X-CSRF-Token header). Role checks come on top (`require_role`); person-level reach is enforced by
the storage repositories, which answer NotFoundError outside it. Routes open their own unit of
work with `database.session()` (audited reads and writes) or `database.read_session()`.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from orderwatch.domain.access import Actor, Role
from orderwatch.domain.caseload import VisitCadence
from orderwatch.settings import Settings
from orderwatch.storage import Database, UserAccount, WebSession, lookup_web_session
from orderwatch.web.forms import FormState
from orderwatch.web.security import (
    CSRF_FORM_FIELD,
    CSRF_HEADER,
    SAFE_METHODS,
    SESSION_COOKIE,
)


class LoginRequired(Exception):
    """No live session: pages redirect to the login form, the API answers 401."""


class CsrfRejected(Exception):
    """An unsafe request without the CSRF token of its session: 403."""


class WrongRole(Exception):
    """The page or endpoint is for other roles: 403 with the roles it is for."""

    def __init__(self, roles: tuple[Role, ...]) -> None:
        self.roles = roles
        super().__init__("for the role(s): " + ", ".join(r.value for r in roles))


# Dependencies that do no I/O are `async def`, so FastAPI runs them on the event loop instead of
# sending each one through the thread pool.


async def get_settings_dep(request: Request) -> Settings:
    """The settings the app was built with (injected, never read from the environment here)."""
    settings: Settings = request.app.state.settings
    return settings


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
DatabaseDep = Annotated[Database, Depends(get_database)]


async def get_cadence(settings: SettingsDep) -> VisitCadence:
    """The visit cadence table configured for this unit."""
    return VisitCadence(settings.visit_cadence_days)


CadenceDep = Annotated[VisitCadence, Depends(get_cadence)]


def get_web_session(request: Request, database: DatabaseDep) -> WebSession:
    """The live session named by the cookie (LoginRequired when none)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired()
    with database.read_session() as session:
        found = lookup_web_session(session, token)
    if found is None:
        raise LoginRequired()
    request.state.user = found.user
    request.state.csrf_token = found.csrf_token
    return found


WebSessionDep = Annotated[WebSession, Depends(get_web_session)]


async def current_user(request: Request, web_session: WebSessionDep) -> UserAccount:
    """The signed-in user; unsafe methods must carry the session's CSRF token."""
    if request.method not in SAFE_METHODS:
        given = request.headers.get(CSRF_HEADER)
        if given is None and _is_form(request):
            form = await request.form()
            value = form.get(CSRF_FORM_FIELD)
            given = value if isinstance(value, str) else None
        if not given or not _same(given, web_session.csrf_token):
            raise CsrfRejected()
    return web_session.user


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


CurrentUser = Annotated[UserAccount, Depends(current_user)]


async def get_actor(user: CurrentUser) -> Actor:
    """The signed-in user as the repositories' acting user."""
    return user.actor


ActorDep = Annotated[Actor, Depends(get_actor)]


def require_role(*roles: Role) -> Callable[..., Any]:
    """A dependency admitting only users with one of these roles (WrongRole otherwise)."""

    async def check(user: CurrentUser) -> UserAccount:
        if user.role not in roles:
            raise WrongRole(roles)
        return user

    check.__name__ = "require_" + "_or_".join(r.value for r in roles)
    return check


CASEWORK = (Role.OFFICER, Role.SUPERVISOR, Role.EXAMINER)
CaseworkUser = Annotated[UserAccount, Depends(require_role(*CASEWORK))]
SupervisorUser = Annotated[UserAccount, Depends(require_role(Role.SUPERVISOR))]
AdminUser = Annotated[UserAccount, Depends(require_role(Role.ADMIN))]
AuditorUser = Annotated[UserAccount, Depends(require_role(Role.AUDITOR))]
EditorUser = Annotated[UserAccount, Depends(require_role(Role.OFFICER, Role.SUPERVISOR))]


async def submitted_form(request: Request, user: CurrentUser) -> FormState:
    """The submitted form as typed (after the CSRF check that CurrentUser makes)."""
    data = await request.form()
    return FormState.from_submission(data.multi_items())


FormDep = Annotated[FormState, Depends(submitted_form)]
