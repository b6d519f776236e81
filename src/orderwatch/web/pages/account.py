"""Your own account: who you are, and changing your password (which ends your sessions)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from orderwatch.domain.errors import InvalidInputError
from orderwatch.security import ThrottlePolicy
from orderwatch.storage import authenticate, set_password
from orderwatch.web.deps import CurrentUser, DatabaseDep, FormDep, SettingsDep
from orderwatch.web.forms import FormState
from orderwatch.web.security import SESSION_COOKIE, clear_cookie
from orderwatch.web.templating import render

router = APIRouter(tags=["pages"])


@router.get("/account")
def account_page(request: Request, user: CurrentUser) -> Response:
    return render(request, "account.html", {"title": "Your account", "form": FormState()})


@router.post("/account/password")
def change_password(
    request: Request,
    user: CurrentUser,
    settings: SettingsDep,
    database: DatabaseDep,
    form: FormDep,
) -> Response:
    """Check the current password (a failure counts towards the lockout), then set the new one."""
    current = form.secrets.get("current_password", "")
    new = form.secrets.get("new_password", "")
    if new != form.secrets.get("repeat_password", ""):
        form.fail("repeat_password", "The two new passwords differ.")
    if not current:
        form.fail("current_password", "Your current password is required.")
    if form.ok:
        with database.session() as session:  # committed apart: failures must count
            attempt = authenticate(
                session, user.username, current, policy=ThrottlePolicy.from_settings(settings)
            )
        if attempt.user is None:
            form.fail("current_password", "That is not your current password.")
    if form.ok:
        try:
            with database.session() as session:
                set_password(session, user.actor, user.id, new)
            response = RedirectResponse("/login?done=password-changed", status_code=303)
            clear_cookie(response, SESSION_COOKIE, settings)
            return response
        except InvalidInputError as error:
            form.fail("new_password", error.problems[0].message.capitalize())
    return render(request, "account.html", {"title": "Your account", "form": form}, 422)
