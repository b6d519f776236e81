"""The application factory: settings and database are injected, never read at import time."""

from __future__ import annotations

import gc
import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from orderwatch import __version__
from orderwatch.domain.errors import (
    InvalidInputError,
    NotFoundError,
    OrderwatchError,
    PermissionDeniedError,
)
from orderwatch.settings import Settings
from orderwatch.storage import Database, DatabaseUnavailableError
from orderwatch.web.deps import CsrfRejected, LoginRequired, WrongRole
from orderwatch.web.security import SecurityHeadersMiddleware
from orderwatch.web.templating import STATIC_DIR, build_templates, render

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"

# Routes reachable without logging in, on purpose: (method, path). tests/web checks that every
# other route depends on CurrentUser.
PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/login"),
        ("POST", "/login"),
        ("GET", "/healthz"),
        ("GET", f"{API_PREFIX}/openapi.json"),
        ("POST", f"{API_PREFIX}/session"),
        # The monitoring agent: a one-time code or a device credential, never a session.
        ("POST", f"{API_PREFIX}/agent/enrol"),
        ("POST", f"{API_PREFIX}/agent/batches"),
        ("GET", f"{API_PREFIX}/agent/config"),
    }
)


def create_app(settings: Settings, database: Database) -> FastAPI:
    """The web app (pages + JSON API under /api/v1) over one database."""
    from orderwatch.web.api import api_router
    from orderwatch.web.pages import pages_router

    app = FastAPI(
        title="orderwatch",
        version=__version__,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # the Swagger and ReDoc pages load scripts from CDNs: not air-gap safe
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.templates = build_templates()
    app.add_middleware(SecurityHeadersMiddleware, behind_tls=settings.behind_tls)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # The API first, the agents' batch route at its head: routes are matched in order, and
    # agents' batches are most of the requests (~0.1 ms a batch less than matching pages first).
    app.include_router(api_router, prefix=API_PREFIX)
    app.include_router(pages_router)
    _add_error_handlers(app)
    return app


def freeze_start_up_heap() -> None:
    """Put every object alive once the app is built (modules, templates, the ORM's metadata:
    some 220,000) out of the garbage collector's reach, as `orderwatch serve` does before it
    serves: a full collection then scans only what requests make (10-30 ms pauses instead of
    110-140 ms every 15-20 requests, which made the statistics dashboard's p95)."""
    gc.collect()
    gc.freeze()


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX + "/")


def _problem(request: Request, status: int, title: str, message: str) -> Response:
    """The same failure as JSON for the API and as a page for people."""
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    return render(request, "error.html", {"title": title, "message": message}, status)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _: Exception) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "log in first"}, status_code=401)
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        where = "/login" if request.method != "GET" else f"/login?next={quote(target, safe='')}"
        return RedirectResponse(where, status_code=303)

    @app.exception_handler(CsrfRejected)
    async def csrf_rejected(request: Request, _: Exception) -> Response:
        message = "The form was stale or did not come from orderwatch (CSRF token missing or "
        message += "wrong). Reload the page and try again."
        return _problem(request, 403, "Request refused", message)

    @app.exception_handler(WrongRole)
    async def wrong_role(request: Request, error: Exception) -> Response:
        return _problem(request, 403, "Not for your role", f"This is {error}.")

    @app.exception_handler(PermissionDeniedError)
    async def permission_denied(request: Request, error: Exception) -> Response:
        return _problem(request, 403, "Not allowed", str(error))

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, _: Exception) -> Response:
        # The same words whether the thing is missing or outside the user's reach.
        return _problem(request, 404, "Not found", "There is nothing here, or not for you.")

    @app.exception_handler(InvalidInputError)
    async def invalid_input(request: Request, error: Exception) -> Response:
        assert isinstance(error, InvalidInputError)
        if _is_api(request):
            detail = [{"field": error.source, "message": str(p)} for p in error.problems]
            return JSONResponse({"detail": detail}, status_code=422)
        return render(request, "error.html", {"title": "Not valid", "message": str(error)}, 422)

    @app.exception_handler(DatabaseUnavailableError)
    async def database_unavailable(request: Request, error: Exception) -> Response:
        log.error("%s", error)  # names the database (password masked): for the log only
        message = "The database cannot be reached just now; the error was logged. Try again."
        return _problem(request, 503, "Database unavailable", message)

    @app.exception_handler(OrderwatchError)
    async def orderwatch_error(request: Request, error: Exception) -> Response:
        return _problem(request, 400, "Cannot do that", str(error))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        if _is_api(request):
            return JSONResponse(
                {"detail": error.detail}, status_code=error.status_code, headers=error.headers
            )
        title = "Not found" if error.status_code == 404 else "Request refused"
        message = (
            "There is nothing here, or not for you."
            if error.status_code == 404
            else str(error.detail)
        )
        return render(
            request, "error.html", {"title": title, "message": message}, error.status_code
        )

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        if _is_api(request):
            return JSONResponse({"detail": _jsonable(error)}, status_code=422)
        # A page's path or query did not parse (e.g. /persons/abc): nothing is there.
        return render(
            request,
            "error.html",
            {"title": "Not found", "message": "There is nothing here, or not for you."},
            404,
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _problem(
            request, 500, "Something went wrong", "The error was logged; nothing was changed."
        )


def _jsonable(error: RequestValidationError) -> list[dict[str, object]]:
    return [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in error.errors()
    ]
