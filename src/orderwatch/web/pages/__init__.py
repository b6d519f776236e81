"""Server-rendered pages (Jinja2). Every route here needs a login except the login form."""

from fastapi import APIRouter

from orderwatch.web.pages.account import router as account_router
from orderwatch.web.pages.admin import router as admin_router
from orderwatch.web.pages.alerts import router as alerts_router
from orderwatch.web.pages.audit import router as audit_router
from orderwatch.web.pages.auth import router as auth_router
from orderwatch.web.pages.caseload import router as caseload_router
from orderwatch.web.pages.declarations import router as declarations_router
from orderwatch.web.pages.exhibits import router as exhibits_router
from orderwatch.web.pages.investigations import router as investigations_router
from orderwatch.web.pages.persons import router as persons_router
from orderwatch.web.pages.statistics import router as statistics_router

pages_router = APIRouter(include_in_schema=False)
for _router in (
    auth_router,
    account_router,
    caseload_router,
    persons_router,
    declarations_router,
    admin_router,
    audit_router,
):
    pages_router.include_router(_router)
pages_router.include_router(alerts_router)  # live monitoring
for _router in (exhibits_router, investigations_router, statistics_router):  # outcomes
    pages_router.include_router(_router)

__all__ = ["pages_router"]
