"""Jinja2 set-up and the one `render` every page goes through (layout context filled in here)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from orderwatch import __version__
from orderwatch.web.navigation import links_for

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


def _day(value: date | datetime | None) -> str:
    """12 Mar 2025 (dates are shown the British way; blank when unknown)."""
    if value is None:
        return ""
    return value.strftime("%d %b %Y").lstrip("0")


def _moment(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%d %b %Y %H:%M").lstrip("0")


def _words(value: Any) -> str:
    """very_high -> very high (enum values shown to people)."""
    return str(getattr(value, "value", value) or "").replace("_", " ")


def build_templates() -> Jinja2Templates:
    """Autoescaping environment over web/templates with the project's filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(("html",), default=True),
        trim_blocks=False,
    )
    env.filters["day"] = _day
    env.filters["moment"] = _moment
    env.filters["words"] = _words
    env.globals["version"] = __version__
    return Jinja2Templates(env=env)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    """Render a page with the layout's context: the user, their navigation, the CSRF token."""
    templates: Jinja2Templates = request.app.state.templates
    user = getattr(request.state, "user", None)
    full: dict[str, Any] = {
        "user": user,
        "nav": links_for(user.role) if user is not None else [],
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "current_path": request.url.path,
        "title": None,
        "flash": None,
        "flash_kind": "ok",
    }
    full.update(context or {})
    return templates.TemplateResponse(request, name, full, status_code=status_code)
