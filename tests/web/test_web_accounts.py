"""Your own account page and password change; the admin's account page and password reset."""

from __future__ import annotations

import re

from web_unit import CSRF_IN_PAGE, SYSTEM, Unit

from orderwatch.domain.access import Role
from orderwatch.storage import create_user


def _new_officer(unit: Unit, username: str) -> int:
    with unit.database.session() as session:
        account = create_user(
            session, SYSTEM, username=username, role=Role.OFFICER, password="first-password-1"
        )
    return account.id


def _can_log_in(unit: Unit, username: str, password: str) -> bool:
    client = unit.client()
    token = CSRF_IN_PAGE.search(client.get("/login").text)
    assert token is not None
    data = {"username": username, "password": password, "csrf_token": token.group(1)}
    return client.post("/login", data=data).status_code == 303


def test_changing_your_own_password(unit: Unit) -> None:
    _new_officer(unit, "pw.self")
    client = unit.client()  # log in for real: the password is what is being changed
    token = CSRF_IN_PAGE.search(client.get("/login").text)
    assert token is not None
    data = {"username": "pw.self", "password": "first-password-1", "csrf_token": token.group(1)}
    assert client.post("/login", data=data).status_code == 303
    page = client.get("/account").text
    client.csrf = CSRF_IN_PAGE.search(page).group(1)  # type: ignore[union-attr]
    assert "pw.self" in page and "officer" in page
    wrong = client.form(
        "/account/password",
        {
            "current_password": "not-it-at-all",
            "new_password": "second-password-2",
            "repeat_password": "second-password-2",
        },
    )
    assert wrong.status_code == 422
    assert "not your current password" in wrong.text
    assert "second-password-2" not in wrong.text
    differ = client.form(
        "/account/password",
        {
            "current_password": "first-password-1",
            "new_password": "second-password-2",
            "repeat_password": "second-password-3",
        },
    )
    assert re.search(r'id="e-repeat_password">The two new passwords differ.<', differ.text)
    done = client.form(
        "/account/password",
        {
            "current_password": "first-password-1",
            "new_password": "second-password-2",
            "repeat_password": "second-password-2",
        },
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/login?done=password-changed"
    assert client.get("/account").status_code == 303  # logged out everywhere
    assert "Password changed." in unit.client().get("/login?done=password-changed").text
    assert not _can_log_in(unit, "pw.self", "first-password-1")
    assert _can_log_in(unit, "pw.self", "second-password-2")


def test_admin_changes_an_account_and_sets_its_password(unit: Unit) -> None:
    user_id = _new_officer(unit, "pw.reset")
    admin = unit.client("admin")
    page = admin.get(f"/admin/users/{user_id}").text
    assert "Account pw.reset" in page
    no_team = admin.form(
        f"/admin/users/{user_id}", {"full_name": "Reset Me", "role": "supervisor", "team_id": ""}
    )
    assert no_team.status_code == 422
    assert re.search(r'id="e-team_id">A supervisor needs a team<', no_team.text)
    assert 'value="Reset Me"' in no_team.text
    renamed = admin.form(
        f"/admin/users/{user_id}", {"full_name": "Reset Me", "role": "officer", "team_id": ""}
    )
    assert renamed.status_code == 303
    assert "Reset Me" in admin.get("/admin/users").text
    short = admin.form(f"/admin/users/{user_id}/password", {"new_password": "tiny"})
    assert short.status_code == 422 and "at least 10 characters" in short.text
    ok = admin.form(f"/admin/users/{user_id}/password", {"new_password": "admin-set-password"})
    assert ok.status_code == 303
    assert _can_log_in(unit, "pw.reset", "admin-set-password")
    assert not _can_log_in(unit, "pw.reset", "first-password-1")


def test_account_pages_of_other_users_are_for_admins(unit: Unit) -> None:
    target = unit.users["off.b"]
    for user in ("off.a", "sup.a", "exam", "auditor"):
        client = unit.client(user)
        assert client.get("/account").status_code == 200
        assert client.get(f"/admin/users/{target}").status_code == 403
        reset = client.form(f"/admin/users/{target}/password", {"new_password": "x" * 12})
        assert reset.status_code == 403
