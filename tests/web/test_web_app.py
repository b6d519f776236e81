"""The app as a whole: every route guarded or deliberately public, headers, assets, errors."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute
from web_unit import Unit

from orderwatch.storage import Database
from orderwatch.web import create_app
from orderwatch.web.app import PUBLIC_ROUTES
from orderwatch.web.deps import current_user
from orderwatch.web.security import SESSION_COOKIE

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "orderwatch" / "web" / "templates"


def _depends_on(dependant: Dependant, target: object) -> bool:
    return any(d.call is target or _depends_on(d, target) for d in dependant.dependencies)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def all_routes(app: FastAPI) -> list[tuple[str, str, BaseRoute]]:
    """(method, full path, route) for every route, through included routers (HEAD left out)."""
    found = []
    for context in iter_route_contexts(app.routes):
        for method in sorted(context.methods or {"ANY"}):
            if method != "HEAD":
                found.append((method, str(context.path), context.original_route))
    return found


def test_every_route_is_guarded_or_deliberately_public(unit: Unit) -> None:
    routes = all_routes(unit.app)
    assert len(routes) > 40
    unguarded = []
    for method, path, route in routes:
        public = (method, path) in PUBLIC_ROUTES
        if not isinstance(route, APIRoute):  # the OpenAPI schema and the static files
            assert public or path == "/static", f"{method} {path}"
            continue
        guarded = _depends_on(route.dependant, current_user)
        if public == guarded:
            unguarded.append(f"{method} {path} (public={public}, guarded={guarded})")
    assert unguarded == []


def test_anonymous_requests_to_guarded_routes_are_refused(unit: Unit) -> None:
    client = unit.client()
    for method, path, route in all_routes(unit.app):
        if (method, path) in PUBLIC_ROUTES or not isinstance(route, APIRoute):
            continue
        response = client.request(method, _concrete(path))
        where = f"{method} {path}"
        if path.startswith("/api/"):
            assert response.status_code == 401, where
        else:
            assert response.status_code == 303, where
            assert response.headers["location"].startswith("/login"), where


def test_page_redirect_to_login_remembers_where_to_return(unit: Unit) -> None:
    response = unit.client().get("/persons/7?done=x")
    assert response.headers["location"] == "/login?next=%2Fpersons%2F7%3Fdone%3Dx"


def test_security_headers_on_pages_api_and_assets(unit: Unit) -> None:
    client, anonymous = unit.client("off.a"), unit.client()
    for path in ("/caseload", "/api/v1/caseload", "/static/orderwatch.css", "/login"):
        response = (anonymous if path == "/login" else client).get(path)
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        assert csp.startswith("default-src 'self'"), path
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
    assert client.get("/caseload").headers["cache-control"] == "no-store"


def test_no_template_or_stylesheet_loads_anything_from_elsewhere() -> None:
    sources = list(TEMPLATES.glob("*.html")) + list((TEMPLATES.parent / "static").glob("*"))
    assert len(sources) > 10
    for path in sources:
        text = path.read_text()
        assert not re.search(r"(src|href)=\"(https?:)?//", text), path.name
        assert "@import" not in text and "url(http" not in text, path.name


def test_openapi_schema_lists_the_resources(unit: Unit) -> None:
    schema = unit.client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for expected in (
        "/api/v1/caseload",
        "/api/v1/persons",
        "/api/v1/persons/{person_id}",
        "/api/v1/persons/{person_id}/order",
        "/api/v1/persons/{person_id}/devices",
        "/api/v1/devices/{device_id}",
        "/api/v1/persons/{person_id}/accounts",
        "/api/v1/accounts/{account_id}",
        "/api/v1/persons/{person_id}/visits",
    ):
        assert expected in paths, expected
    assert not any(p.startswith("/persons") for p in paths), "pages stay out of the API schema"
    assert "PersonIn" in schema["components"]["schemas"]


def test_unknown_page_and_malformed_id_are_404_pages(unit: Unit) -> None:
    client = unit.client("off.a")
    for path in ("/nowhere", "/persons/abc", "/persons/999999"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "text/html" in response.headers["content-type"]
        assert "There is nothing here, or not for you." in response.text
    api = client.get("/api/v1/persons/999999")
    assert api.status_code == 404
    assert api.json() == {"detail": "There is nothing here, or not for you."}


def test_health_answers_without_login(unit: Unit) -> None:
    assert unit.client().get("/healthz").json() == {"status": "ok"}


def test_navigation_shows_only_the_links_of_the_role(unit: Unit) -> None:
    officer = unit.client("off.a").get("/caseload").text
    supervisor = unit.client("sup.a").get("/caseload").text
    admin = unit.client("admin").get("/admin/users").text
    assert 'href="/team"' not in officer and 'href="/team"' in supervisor
    assert 'href="/admin/users"' in admin and 'href="/caseload"' not in admin


def test_a_lost_database_is_a_503_that_names_nothing(unit: Unit) -> None:
    gone = Database("postgresql+psycopg://orderwatch:secret@127.0.0.1:1/nowhere")
    client = TestClient(create_app(unit.settings, gone))
    try:
        for path in ("/healthz", "/caseload"):
            client.cookies.set(SESSION_COOKIE, "x")
            response = client.get(path)
            assert response.status_code == 503, path
            assert "The database cannot be reached just now" in response.text
            assert "127.0.0.1" not in response.text and "nowhere" not in response.text
        api = client.get("/api/v1/me")
        assert api.status_code == 503
        assert api.json()["detail"].startswith("The database cannot be reached")
    finally:
        gone.dispose()


def test_the_start_up_heap_is_frozen_out_of_the_collectors_reach() -> None:
    import gc

    from orderwatch.web.app import freeze_start_up_heap

    try:
        freeze_start_up_heap()
        assert gc.get_freeze_count() > 10_000  # modules, templates, metadata of this process
    finally:
        gc.unfreeze()
