"""API login and logout (the cookie session the pages use), and who am I."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from orderwatch.security import ThrottlePolicy
from orderwatch.storage import authenticate, create_web_session, delete_web_session
from orderwatch.web.deps import CurrentUser, DatabaseDep, SettingsDep, WebSessionDep
from orderwatch.web.schemas import SessionIn, SessionOut, UserOut
from orderwatch.web.security import SESSION_COOKIE, clear_cookie, set_cookie

router = APIRouter(tags=["session"])


@router.post(
    "/session",
    response_model=SessionOut,
    responses={401: {"description": "wrong user name or password"}, 429: {"description": "locked"}},
)
def log_in(body: SessionIn, settings: SettingsDep, database: DatabaseDep) -> Response:
    """Log in: sets the HttpOnly session cookie and returns the CSRF token to echo."""
    with database.session() as session:
        attempt = authenticate(
            session, body.username, body.password, policy=ThrottlePolicy.from_settings(settings)
        )
        opened = None
        if attempt.user is not None:
            opened = create_web_session(
                session,
                attempt.user.id,
                max_age=timedelta(minutes=settings.session_max_age_minutes),
            )
    if opened is None:
        status = 429 if attempt.locked_until is not None else 401
        return JSONResponse({"detail": attempt.message or "login failed"}, status_code=status)
    out = SessionOut(
        user=UserOut.model_validate(opened.session.user),
        csrf_token=opened.session.csrf_token,
        expires_at=opened.session.expires_at,
    )
    response = JSONResponse(out.model_dump(mode="json"))
    set_cookie(
        response, SESSION_COOKIE, opened.token, settings, settings.session_max_age_minutes * 60
    )
    return response


@router.delete("/session", status_code=204)
def log_out(
    request: Request, user: CurrentUser, settings: SettingsDep, database: DatabaseDep
) -> Response:
    with database.session() as session:
        delete_web_session(session, request.cookies.get(SESSION_COOKIE, ""))
    response = Response(status_code=204)
    clear_cookie(response, SESSION_COOKIE, settings)
    return response


@router.get("/me", response_model=SessionOut)
def who_am_i(user: CurrentUser, web_session: WebSessionDep) -> SessionOut:
    """The signed-in user and the CSRF token of this session."""
    return SessionOut(
        user=UserOut.model_validate(user),
        csrf_token=web_session.csrf_token,
        expires_at=web_session.expires_at,
    )
