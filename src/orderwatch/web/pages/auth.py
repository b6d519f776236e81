"""Log in and out. The login form is CSRF-protected too, through a pre-login cookie."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from orderwatch.security import ThrottlePolicy
from orderwatch.settings import Settings
from orderwatch.storage import (
    Database,
    authenticate,
    create_web_session,
    delete_web_session,
    lookup_web_session,
)
from orderwatch.web.deps import CurrentUser, DatabaseDep, SettingsDep
from orderwatch.web.forms import FormState
from orderwatch.web.navigation import home_path
from orderwatch.web.security import (
    CSRF_FORM_FIELD,
    PRELOGIN_COOKIE,
    SESSION_COOKIE,
    CsrfSigner,
    clear_cookie,
    new_prelogin_token,
    set_cookie,
)
from orderwatch.web.templating import render

router = APIRouter(tags=["pages"])

_PRELOGIN_MAX_AGE = 3600


def safe_next(target: str | None) -> str | None:
    """Only a path on this site may be a redirect target (no //host or scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _login_page(
    request: Request,
    settings: SettingsDep,
    form: FormState,
    status: int = 200,
    flash: str | None = None,
) -> Response:
    prelogin = request.cookies.get(PRELOGIN_COOKIE) or new_prelogin_token()
    request.state.csrf_token = CsrfSigner.from_settings(settings).token_for(prelogin)
    context = {"title": "Log in", "form": form, "flash": flash}
    response = render(request, "login.html", context, status)
    set_cookie(response, PRELOGIN_COOKIE, prelogin, settings, _PRELOGIN_MAX_AGE)
    return response


@router.get("/login")
def login_form(
    request: Request, settings: SettingsDep, database: DatabaseDep, next: str = "", done: str = ""
) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with database.read_session() as session:
            live = lookup_web_session(session, token)
        if live is not None:
            return RedirectResponse(safe_next(next) or home_path(live.user.role), 303)
    flash = "Password changed. Log in with the new one." if done == "password-changed" else None
    return _login_page(request, settings, FormState(values={"next": next}), flash=flash)


@router.post("/login")
async def login(request: Request, settings: SettingsDep, database: DatabaseDep) -> Response:
    submitted = await request.form()
    form = FormState.from_submission(submitted.multi_items())
    password = form.secrets.get("password", "")
    signer = CsrfSigner.from_settings(settings)
    given = submitted.get(CSRF_FORM_FIELD)
    if not signer.matches(
        request.cookies.get(PRELOGIN_COOKIE), given if isinstance(given, str) else None
    ):
        form.fail("__all__", "The login form had expired. Please log in again.")
        return _login_page(request, settings, form, 403)
    username = form.text("username", "User name", required=True, max_length=120)
    if not form.ok or not password:
        form.fail("__all__", "Give your user name and password.")
        return _login_page(request, settings, form, 400)
    outcome = await run_in_threadpool(_authenticate, database, settings, username, password)
    if isinstance(outcome, _Refused):
        form.fail("__all__", outcome.message)
        return _login_page(request, settings, form, 429 if outcome.locked else 400)
    token, role = outcome
    response = RedirectResponse(safe_next(form.values.get("next")) or home_path(role), 303)
    max_age = settings.session_max_age_minutes * 60
    set_cookie(response, SESSION_COOKIE, token, settings, max_age)
    clear_cookie(response, PRELOGIN_COOKIE, settings)
    return response


@dataclass(frozen=True)
class _Refused:
    message: str
    locked: bool


def _authenticate(
    database: Database, settings: Settings, username: str, password: str
) -> tuple[str, str] | _Refused:
    """(cookie token, role) for a good login, else why not (the failure count is committed)."""
    with database.session() as session:
        attempt = authenticate(
            session, username, password, policy=ThrottlePolicy.from_settings(settings)
        )
        if attempt.user is None:
            return _Refused(attempt.message or "Login failed.", attempt.locked_until is not None)
        opened = create_web_session(
            session,
            attempt.user.id,
            max_age=timedelta(minutes=settings.session_max_age_minutes),
        )
        return opened.token, attempt.user.role.value


@router.post("/logout")
def logout(
    request: Request, user: CurrentUser, settings: SettingsDep, database: DatabaseDep
) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    with database.session() as session:
        delete_web_session(session, token)
    response = RedirectResponse("/login", 303)
    clear_cookie(response, SESSION_COOKIE, settings)
    return response


@router.get("/")
def home(user: CurrentUser) -> Response:
    return RedirectResponse(home_path(user.role), 303)


@router.get("/healthz")
def health(database: DatabaseDep) -> dict[str, str]:
    """For load balancers and the test harness: answers once the database answers."""
    database.check()
    return {"status": "ok"}
