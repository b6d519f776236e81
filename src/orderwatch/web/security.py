"""Web-layer protections: session and pre-login cookies, CSRF tokens, security headers.

The session itself lives server-side (storage); the cookie only carries its opaque token. CSRF
tokens are an HMAC of that token, so a page can carry one without revealing the session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orderwatch.settings import Settings

SESSION_COOKIE = "ow_session"
PRELOGIN_COOKIE = "ow_prelogin"
CSRF_FORM_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


class CsrfSigner:
    """Derives and checks CSRF tokens bound to a session (or pre-login) token."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def from_settings(cls, settings: Settings) -> CsrfSigner:
        """Keyed by the configured secret; without one, by a fixed label (still unforgeable
        without the HttpOnly cookie it is bound to)."""
        secret = settings.secret_key.get_secret_value() if settings.secret_key else ""
        return cls(("orderwatch-csrf:" + secret).encode())

    def token_for(self, bound_to: str) -> str:
        return hmac.new(self._key, bound_to.encode(), hashlib.sha256).hexdigest()

    def matches(self, bound_to: str | None, given: str | None) -> bool:
        if not bound_to or not given:
            return False
        return hmac.compare_digest(self.token_for(bound_to), given)


def new_prelogin_token() -> str:
    """A random value for the pre-login cookie that the login form's CSRF token binds to."""
    return secrets.token_urlsafe(32)


def set_cookie(
    response: Response, name: str, value: str, settings: Settings, max_age: int | None
) -> None:
    """HttpOnly, SameSite=Strict, path /, and Secure when served behind TLS."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=settings.behind_tls,
        path="/",
    )


def clear_cookie(response: Response, name: str, settings: Settings) -> None:
    response.delete_cookie(
        name, path="/", httponly=True, samesite="strict", secure=settings.behind_tls
    )


class SecurityHeadersMiddleware:
    """Adds CSP and related headers to every HTTP response; pages are never cached. Behind TLS,
    browsers are also told to keep to HTTPS (HSTS)."""

    def __init__(self, app: ASGIApp, behind_tls: bool = False) -> None:
        self.app = app
        self.headers = _SECURITY_HEADERS
        if behind_tls:
            self.headers += ((b"strict-transport-security", b"max-age=31536000"),)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in self.headers if h[0] not in present)
                if not is_static and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
