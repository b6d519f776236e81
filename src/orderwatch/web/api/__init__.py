"""The JSON API under /api/v1 (OpenAPI schema at /api/v1/openapi.json).

Authenticated by the same server-side session cookie as the pages (POST /api/v1/session logs
in); unsafe requests carry the session's CSRF token in the X-CSRF-Token header.
"""

from fastapi import APIRouter

from orderwatch.web.api.agent import router as agent_router
from orderwatch.web.api.alerts import router as alerts_router
from orderwatch.web.api.caseload import router as caseload_router
from orderwatch.web.api.declarations import router as declarations_router
from orderwatch.web.api.investigations import router as investigations_router
from orderwatch.web.api.persons import router as persons_router
from orderwatch.web.api.session import router as session_router
from orderwatch.web.api.statistics import router as statistics_router

api_router = APIRouter()
api_router.include_router(agent_router)  # first: agents' batches are most requests (device creds)
for _router in (session_router, caseload_router, persons_router, declarations_router):
    api_router.include_router(_router)
api_router.include_router(alerts_router)  # live monitoring
for _router in (investigations_router, statistics_router):  # investigations and statistics
    api_router.include_router(_router)

__all__ = ["api_router"]
