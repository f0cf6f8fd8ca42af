"""`create_app(settings)`: the FastAPI application of the reference inventory server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from station import __version__
from station.classroom.control import SessionControl
from station.inventory import (
    queries,
    routes_benches,
    routes_benches_page,
    routes_classroom,
    routes_classroom_page,
    routes_daily_page,
    routes_home,
    routes_keys,
    routes_lots,
    routes_machines,
    routes_records,
    routes_reports,
    routes_session,
    routes_subjects,
    routes_verification_page,
)
from station.inventory.context import PROBLEMS, Context, Ctx
from station.inventory.database import Database, StorageUnavailable
from station.inventory.i18n import LanguageMiddleware
from station.inventory.ingest import Ingestor
from station.inventory.models import Health
from station.inventory.problems import Problem
from station.inventory.schema import migrate
from station.inventory.settings import Settings
from station.inventory.users import ensure_secret
from station.inventory.web import STATIC, PageRefusal


def _problem(problem: Problem) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if problem.status == 401 else None
    return JSONResponse(problem.payload(), status_code=problem.status, headers=headers)


async def _on_problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return _problem(exc)


async def _on_invalid(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    fields = [".".join(str(p) for p in e.get("loc", ())) for e in errors]
    pairs = zip(fields, errors, strict=True)
    detail = "; ".join(f"{field}: {e.get('msg', 'invalid')}" for field, e in pairs)
    return _problem(
        Problem(
            422,
            "invalid_parameter",
            detail or "invalid request",
            field=fields[0] if fields else "request",
            fields=fields,
        )
    )


async def _on_http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return JSONResponse(
        {"error": code, "detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
    )


async def _on_page_refusal(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageRefusal)
    return exc.response


async def _on_unavailable(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"error": "storage_unavailable", "detail": str(exc)},
        status_code=503,
        headers={"Retry-After": "5"},
    )


def create_app(settings: Settings, classroom: SessionControl | None = None) -> FastAPI:
    """The server over `settings.database_url`, migrated to the current schema; with
    `classroom`, the classroom engine its page (/salle) drives."""
    db = Database(settings.database_url)
    migrate(db)
    ensure_secret(db)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        db.close()

    app = FastAPI(
        title="Station inventory",
        version=__version__,
        description="Reference inventory for Station benches: enrolment, signed record "
        "ingest, disk and device histories, daily logs and certificate verification.",
        lifespan=lifespan,
    )
    app.add_middleware(LanguageMiddleware)
    app.state.station = Context(
        settings=settings, db=db, ingestor=Ingestor(db), classroom=classroom
    )
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_invalid)
    app.add_exception_handler(HTTPException, _on_http)
    app.add_exception_handler(StorageUnavailable, _on_unavailable)
    app.add_exception_handler(PageRefusal, _on_page_refusal)
    app.include_router(routes_records.router)
    app.include_router(routes_benches.router)
    app.include_router(routes_subjects.router)
    app.include_router(routes_keys.router)
    app.include_router(routes_daily_page.router)
    app.include_router(routes_verification_page.router)
    app.include_router(routes_home.router)
    app.include_router(routes_session.router)
    app.include_router(routes_lots.router)
    app.include_router(routes_reports.router)  # before machines: /machines/{ident}/fiche.pdf
    app.include_router(routes_machines.router)
    app.include_router(routes_benches_page.router)
    app.include_router(routes_classroom.router)
    app.include_router(routes_classroom_page.router)

    @app.get("/static/station.css", include_in_schema=False)
    def style() -> FileResponse:
        """The back office's one style sheet (public: no data in it)."""
        return FileResponse(STATIC / "station.css", media_type="text/css")

    @app.get(
        "/v1/health",
        response_model=Health,
        responses=PROBLEMS,
        tags=["health"],
        summary="The server answers and its database is readable",
    )
    def health(ctx: Ctx) -> Health:
        return Health(status="ok", version=__version__, records=queries.record_count(ctx.db))

    return app
