"""The monitoring agent's endpoints. They take a device credential (Authorization: Bearer ...),
or for enrolment a one-time code, never a user session: they are listed in PUBLIC_ROUTES.

Errors are JSON: {"detail": "..."} for credentials (401, 403), and
{"detail": [{"field": "observations[2].time", "message": "..."}]} for a refused batch.
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from orderwatch.domain.errors import NotFoundError, PermissionDeniedError
from orderwatch.monitor.agent_conditions import agent_conditions
from orderwatch.monitor.batch_schema import (
    BatchIn,
    BatchRejected,
    EnrolIn,
    FieldProblem,
    validate_enrolment,
)
from orderwatch.monitor.ingest import AgentAuthError, IngestionService, unit_hashsets
from orderwatch.monitor.notify import deliver_pending_emails
from orderwatch.settings import Settings
from orderwatch.storage import Database
from orderwatch.storage.monitoring_devices import agent_configuration, exchange_enrolment_code

router = APIRouter(prefix="/agent", tags=["agent"])
_SERVICE_LOCK = threading.Lock()
MAX_ENROL_BYTES = 16 * 1024


def ingestion_service(request: Request) -> IngestionService:
    """The app's one ingestion service (it holds the compiled-order cache), made on first use."""
    state = request.app.state
    with _SERVICE_LOCK:
        service: IngestionService | None = getattr(state, "monitor_ingestion", None)
        if service is None:
            settings: Settings = state.settings
            service = IngestionService(state.database, settings, hashsets=unit_hashsets(settings))
            state.monitor_ingestion = service
    return service


def _bearer(request: Request) -> str | None:
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    return credential.strip() or None if scheme.lower() == "bearer" else None


def _refused(status: int, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


def _rejected(error: BatchRejected) -> JSONResponse:
    return JSONResponse({"detail": [p.to_dict() for p in error.problems]}, status_code=error.status)


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 past `limit` bytes (before reading all of it)."""
    declared = request.headers.get("content-length", "")
    too_big = BatchRejected(413, [FieldProblem("body", f"more than {limit:,} bytes")])
    if declared.isdigit() and int(declared) > limit:
        raise too_big
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


def _schema(model: Any) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


@router.post("/enrol", openapi_extra=_schema(EnrolIn))
async def enrol(request: Request) -> JSONResponse:
    """Exchange a one-time enrolment code for this device's credential (shown once)."""
    database: Database = request.app.state.database
    settings: Settings = request.app.state.settings
    try:
        data = validate_enrolment(await _read_body(request, MAX_ENROL_BYTES))
    except BatchRejected as error:
        return _rejected(error)

    def exchange() -> dict[str, Any]:
        with database.session() as session:
            enrolled = exchange_enrolment_code(
                session, data.code, hostname=data.hostname, agent_version=data.agent_version
            )
        return {
            "device_id": enrolled.device_id,
            "credential": enrolled.credential,
            "conditions": agent_conditions(enrolled.conditions),
            "max_batch_observations": settings.max_batch_observations,
            "max_batch_bytes": settings.max_batch_bytes,
        }

    try:
        return JSONResponse(await run_in_threadpool(exchange), status_code=201)
    except NotFoundError as error:
        return _refused(401, str(error))


@router.post("/batches", openapi_extra=_schema(BatchIn))
async def post_batch(request: Request, background: BackgroundTasks) -> JSONResponse:
    """Store a batch of observations; 200 once committed (a replay gets the same answer)."""
    service = ingestion_service(request)
    credential = _bearer(request)
    if credential is None:
        return _refused(401, "send the device credential: Authorization: Bearer <credential>")
    try:
        body = await _read_body(request, service.settings.max_batch_bytes)
        result = await run_in_threadpool(service.ingest, credential, body)
    except AgentAuthError as error:
        return _refused(error.status, str(error))
    except BatchRejected as error:
        return _rejected(error)
    if result.emails_pending:
        background.add_task(deliver_pending_emails, service.database, service.settings)
    headers = {"Idempotent-Replay": "true"} if result.replayed else None
    return JSONResponse(result.body, status_code=200, headers=headers)


@router.get("/config")
async def configuration(request: Request) -> JSONResponse:
    """The device's id and the conditions to collect for now (orders change)."""
    database: Database = request.app.state.database
    credential = _bearer(request)
    if credential is None:
        return _refused(401, "send the device credential: Authorization: Bearer <credential>")

    def read() -> dict[str, Any]:
        with database.read_session() as session:
            found = agent_configuration(session, credential)
        return {"device_id": found.device_id, "conditions": agent_conditions(found.conditions)}

    try:
        return JSONResponse(await run_in_threadpool(read))
    except PermissionDeniedError as error:
        return _refused(403, str(error))
    except NotFoundError as error:
        return _refused(401, str(error))
