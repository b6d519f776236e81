"""The admin's pages: accounts (create, change, deactivate, unlock, reset password) and teams."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from orderwatch.domain.access import Role
from orderwatch.domain.errors import InvalidInputError
from orderwatch.storage import (
    Database,
    UserAccount,
    create_team,
    create_user,
    get_user,
    list_teams,
    list_users,
    set_password,
    unlock_user,
    update_user,
)
from orderwatch.web.deps import AdminUser, DatabaseDep, FormDep
from orderwatch.web.forms import FormState
from orderwatch.web.pages.inputs import place_storage_error
from orderwatch.web.templating import render

router = APIRouter(tags=["pages"])

_USER_MESSAGES = {
    "user-created": "Account created.",
    "user-changed": "Account changed.",
    "team-created": "Team created.",
    "password-set": "Password set; the account's sessions were ended.",
}


def _users_page(
    request: Request,
    database: Database,
    user: UserAccount,
    user_form: FormState,
    team_form: FormState,
    status: int = 200,
    flash: str | None = None,
) -> Response:
    with database.read_session() as session:
        users = list_users(session, user.actor)
        teams = list_teams(session, user.actor)
    context = {
        "title": "Users",
        "users": users,
        "teams": teams,
        "team_options": [("", "no team")] + [(str(t.id), t.name) for t in teams],
        "roles": [(r.value, r.value) for r in Role],
        "form": user_form,
        "team_form": team_form,
        "flash": flash,
    }
    return render(request, "users.html", context, status)


@router.get("/admin/users")
def users_page(
    request: Request, user: AdminUser, database: DatabaseDep, done: str = ""
) -> Response:
    """Every account with its role, team and lockout; forms to add accounts and teams."""
    form = FormState(values={"role": Role.OFFICER.value})
    return _users_page(request, database, user, form, FormState(), flash=_USER_MESSAGES.get(done))


@router.post("/admin/users")
def create_user_submit(
    request: Request, user: AdminUser, database: DatabaseDep, form: FormDep
) -> Response:
    password = form.secrets.get("password", "")
    username = form.text("username", "User name", required=True, max_length=80)
    full_name = form.text("full_name", "Full name", max_length=200)
    email = form.optional_text("email", "E-mail", max_length=254)
    role = form.choice("role", "Role", Role)
    team_id = form.integer("team_id", "Team", minimum=1, maximum=2**31)
    if not password:
        form.fail("password", "Password is required.")
    if form.ok and role is not None:
        try:
            with database.session() as session:
                create_user(
                    session,
                    user.actor,
                    username=username,
                    role=role,
                    password=password,
                    full_name=full_name,
                    email=email,
                    team_id=team_id,
                )
            return RedirectResponse("/admin/users?done=user-created", status_code=303)
        except InvalidInputError as error:
            place_storage_error(form, error, fields=("password", "team_id"))
    return _users_page(request, database, user, form, FormState(), 422)


@router.post("/admin/users/{user_id:int}/active")
def set_active_submit(
    user_id: int, user: AdminUser, database: DatabaseDep, form: FormDep
) -> Response:
    """Activate or deactivate an account (deactivating ends its sessions)."""
    active = form.values.get("active") == "true"
    with database.session() as session:
        update_user(session, user.actor, user_id, active=active)
    return RedirectResponse("/admin/users?done=user-changed", status_code=303)


@router.post("/admin/users/{user_id:int}/unlock")
def unlock_submit(user_id: int, user: AdminUser, database: DatabaseDep) -> Response:
    with database.session() as session:
        unlock_user(session, user.actor, user_id)
    return RedirectResponse("/admin/users?done=user-changed", status_code=303)


@router.post("/admin/teams")
def create_team_submit(
    request: Request, user: AdminUser, database: DatabaseDep, form: FormDep
) -> Response:
    name = form.text("name", "Team name", required=True, max_length=120)
    if form.ok:
        try:
            with database.session() as session:
                create_team(session, user.actor, name)
            return RedirectResponse("/admin/users?done=team-created", status_code=303)
        except InvalidInputError as error:
            place_storage_error(form, error)
    user_form = FormState(values={"role": Role.OFFICER.value})
    return _users_page(request, database, user, user_form, form, 422)


def _user_edit_page(
    request: Request,
    database: Database,
    user: AdminUser,
    user_id: int,
    form: FormState,
    status: int = 200,
    flash: str | None = None,
) -> Response:
    with database.read_session() as session:
        account = get_user(session, user.actor, user_id)
        teams = list_teams(session, user.actor)
    context = {
        "title": f"Account {account.username}",
        "account": account,
        "form": form,
        "roles": [(r.value, r.value) for r in Role],
        "team_options": [("", "no team")] + [(str(t.id), t.name) for t in teams],
        "flash": flash,
    }
    return render(request, "user_edit.html", context, status)


@router.get("/admin/users/{user_id:int}")
def user_edit_form(
    request: Request, user_id: int, user: AdminUser, database: DatabaseDep, done: str = ""
) -> Response:
    """One account's details, and a form to set a new password for it."""
    with database.read_session() as session:
        account = get_user(session, user.actor, user_id)
    form = FormState(
        values={
            "full_name": account.full_name,
            "email": account.email or "",
            "role": account.role.value,
            "team_id": str(account.team_id or ""),
        }
    )
    return _user_edit_page(request, database, user, user_id, form, flash=_USER_MESSAGES.get(done))


@router.post("/admin/users/{user_id:int}")
def user_edit_submit(
    request: Request, user_id: int, user: AdminUser, database: DatabaseDep, form: FormDep
) -> Response:
    full_name = form.text("full_name", "Full name", max_length=200)
    email = form.optional_text("email", "E-mail", max_length=254)
    role = form.choice("role", "Role", Role)
    team_id = form.integer("team_id", "Team", minimum=1, maximum=2**31)
    if form.ok and role is not None:
        try:
            with database.session() as session:
                update_user(
                    session,
                    user.actor,
                    user_id,
                    full_name=full_name,
                    email=email,
                    role=role,
                    team_id=team_id,
                )
            return RedirectResponse(f"/admin/users/{user_id}?done=user-changed", status_code=303)
        except InvalidInputError as error:
            place_storage_error(form, error, fields=("team_id",))
    return _user_edit_page(request, database, user, user_id, form, 422)


@router.post("/admin/users/{user_id:int}/password")
def user_password_submit(
    request: Request, user_id: int, user: AdminUser, database: DatabaseDep, form: FormDep
) -> Response:
    """Set a new password for an account (its web sessions end)."""
    password = form.secrets.get("new_password", "")
    try:
        with database.session() as session:
            set_password(session, user.actor, user_id, password)
        return RedirectResponse(f"/admin/users/{user_id}?done=password-set", status_code=303)
    except InvalidInputError as error:
        form.fail("new_password", error.problems[0].message.capitalize())
    with database.read_session() as session:
        account = get_user(session, user.actor, user_id)
    details = FormState(
        values={
            "full_name": account.full_name,
            "email": account.email or "",
            "role": account.role.value,
            "team_id": str(account.team_id or ""),
        },
        errors=form.errors,
    )
    return _user_edit_page(request, database, user, user_id, details, 422)
