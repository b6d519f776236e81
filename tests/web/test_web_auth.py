"""Logging in and out, session cookies, CSRF, login throttling."""

from __future__ import annotations

import httpx2 as httpx
from web_unit import CSRF_IN_PAGE, PASSWORD, SYSTEM, Client, Unit

from orderwatch.storage import update_user
from orderwatch.web import create_app
from orderwatch.web.security import PRELOGIN_COOKIE, SESSION_COOKIE


def _login_form(client: Client) -> str:
    page = client.get("/login")
    assert page.status_code == 200
    match = CSRF_IN_PAGE.search(page.text)
    assert match is not None
    return match.group(1)


def _log_in(client: Client, username: str, password: str, **extra: str) -> httpx.Response:
    token = _login_form(client)
    data = {"username": username, "password": password, "csrf_token": token, **extra}
    return client.post("/login", data=data)


def test_login_opens_a_session_with_strict_http_only_cookie(unit: Unit) -> None:
    client = unit.client()
    response = _log_in(client, "off.a", PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/caseload"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "=")
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    page = client.get("/caseload")
    assert page.status_code == 200
    assert "Staff off.a" in page.text and "OW-A" in page.text


def test_cookie_is_secure_behind_tls(unit: Unit) -> None:
    settings = unit.settings.model_copy(update={"behind_tls": True})
    client = Client(create_app(settings, unit.database), base_url="https://testserver")
    client.follow_redirects = False
    response = _log_in(client, "off.b", PASSWORD)
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "=")
    )
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert client.get("/login").headers["strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in unit.client().get("/login").headers


def test_login_returns_to_the_page_asked_for_but_never_off_site(unit: Unit) -> None:
    client = unit.client()
    ok = _log_in(client, "off.a", PASSWORD, next=f"/persons/{unit.persons['a']}")
    assert ok.headers["location"] == f"/persons/{unit.persons['a']}"
    other = unit.client()
    off_site = _log_in(other, "off.a", PASSWORD, next="//evil.example/x")
    assert off_site.headers["location"] == "/caseload"


def test_wrong_password_keeps_the_user_name_and_never_echoes_the_password(unit: Unit) -> None:
    client = unit.client()
    response = _log_in(client, "off.c", "not-the-password-123")
    assert response.status_code == 400
    assert "wrong user name or password" in response.text
    assert 'value="off.c"' in response.text
    assert "not-the-password-123" not in response.text
    assert SESSION_COOKIE not in client.cookies


def test_login_form_needs_its_csrf_token(unit: Unit) -> None:
    client = unit.client()
    _login_form(client)
    response = client.post(
        "/login", data={"username": "off.a", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in client.cookies
    cold = unit.client()  # no pre-login cookie at all
    token = _login_form(unit.client())
    assert (
        cold.post(
            "/login", data={"username": "off.a", "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 403
    )


def test_repeated_failures_lock_the_account(unit: Unit) -> None:
    settings = unit.settings.model_copy(update={"login_max_failures": 2})
    app = create_app(settings, unit.database)
    client = Client(app, base_url="http://testserver")
    client.follow_redirects = False
    assert _log_in(client, "auditor", "wrong-password-1").status_code == 400
    locked = _log_in(client, "auditor", "wrong-password-2")
    assert locked.status_code == 429
    assert "locked" in locked.text
    refused = _log_in(client, "auditor", PASSWORD)  # even the right password, while locked
    assert refused.status_code == 429
    api = client.post("/api/v1/session", json={"username": "auditor", "password": PASSWORD})
    assert api.status_code == 429


def test_logout_ends_the_session_server_side(unit: Unit) -> None:
    client = unit.client("off.b")
    token = client.cookies[SESSION_COOKIE]
    response = client.form("/logout", {})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    replay = unit.client()
    replay.cookies.set(SESSION_COOKIE, token)
    assert replay.get("/caseload").status_code == 303  # the old cookie opens nothing


def test_unsafe_requests_need_the_session_csrf_token(unit: Unit) -> None:
    client = unit.client("off.a")
    person = unit.persons["a"]
    data = {"service": "skype", "identifier": "csrf.test"}
    assert client.post(f"/persons/{person}/accounts/new", data=data).status_code == 403
    forged = {**data, "csrf_token": "x" * 43}
    assert client.post(f"/persons/{person}/accounts/new", data=forged).status_code == 403
    other = unit.client("off.b")  # a real token, but of another session
    stolen = {**data, "csrf_token": other.csrf}
    assert client.post(f"/persons/{person}/accounts/new", data=stolen).status_code == 403
    page = client.get(f"/persons/{person}")
    assert "csrf.test" not in page.text
    assert client.form(f"/persons/{person}/accounts/new", data).status_code == 303


def test_api_with_cookie_needs_the_csrf_header(unit: Unit) -> None:
    client = unit.client()
    login = client.post("/api/v1/session", json={"username": "off.a", "password": PASSWORD})
    assert login.status_code == 200
    csrf = login.json()["csrf_token"]
    assert login.json()["user"]["role"] == "officer"
    path = f"/api/v1/persons/{unit.persons['a']}/accounts"
    body = {"service": "icq", "identifier": "api.csrf"}
    refused = client.post(path, json=body)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert client.post(path, json=body, headers={"X-CSRF-Token": "nope"}).status_code == 403
    created = client.post(path, json=body, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201
    assert created.json()["identifier"] == "api.csrf"
    assert client.get("/api/v1/me").json()["csrf_token"] == csrf


def test_api_login_failure_is_401_with_a_message(unit: Unit) -> None:
    response = unit.client().post(
        "/api/v1/session", json={"username": "off.b", "password": "bad-password-xyz"}
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "wrong user name or password"}


def test_login_page_sets_a_prelogin_cookie_only(unit: Unit) -> None:
    client = unit.client()
    _login_form(client)
    assert PRELOGIN_COOKIE in client.cookies
    assert SESSION_COOKIE not in client.cookies


def test_deactivated_user_loses_the_session(unit: Unit) -> None:

    client = unit.client("exam")
    assert client.get(f"/persons/{unit.persons['a']}").status_code == 200
    with unit.database.session() as session:
        update_user(session, SYSTEM, unit.users["exam"], active=False)
    try:
        assert client.get(f"/persons/{unit.persons['a']}").status_code == 303
    finally:
        with unit.database.session() as session:
            update_user(session, SYSTEM, unit.users["exam"], active=True)
