"""The web app: FastAPI pages and JSON API over the storage repositories."""

from orderwatch.web.app import create_app

__all__ = ["create_app"]
