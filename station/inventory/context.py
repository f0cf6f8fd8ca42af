"""What every route needs, built once by `create_app` and reached through a dependency."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from station.classroom.control import SessionControl
from station.inventory.access import Principal, principal
from station.inventory.database import Database
from station.inventory.ingest import Ingestor
from station.inventory.models import ProblemOut
from station.inventory.problems import Problem
from station.inventory.settings import Settings
from station.inventory.users import COOKIE_NAME, csrf_token

# Documented on every route: the refusals all share the Problem shape.
PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": ProblemOut} for status in (400, 404, 413, 415, 422, 503)
}
READ_PROBLEMS: dict[int | str, dict[str, Any]] = {
    **PROBLEMS,
    401: {"model": ProblemOut},
    403: {"model": ProblemOut},
}
ADMIN_PROBLEMS = READ_PROBLEMS

_bearer = HTTPBearer(auto_error=False, description="the admin token of the server")


@dataclass
class Context:
    settings: Settings
    db: Database
    ingestor: Ingestor
    classroom: SessionControl | None = None  # the classroom engine, when this server runs one


def get_context(request: Request) -> Context:
    ctx: Context = request.app.state.station
    return ctx


Ctx = Annotated[Context, Depends(get_context)]


def get_principal(ctx: Ctx, request: Request) -> Principal | None:
    return principal(ctx.db, request, ctx.settings.admin_token)


def require_reader(
    principal: Annotated[Principal | None, Depends(get_principal)],
    _: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> Principal:
    """Anyone with credentials: a signed-in user, the admin token, or a bench's signed read
    (routes then limit a bench to its own data)."""
    if principal is None:
        raise Problem(
            401,
            "sign_in_required",
            "reading the inventory needs credentials: sign in at /login, "
            "or a bench's signed request",
        )
    return principal


Reader = Annotated[Principal, Depends(require_reader)]


def require_admin(
    ctx: Ctx,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> None:
    """A supervisor's call: a signed-in user with the admin role, or the admin token."""
    if credentials is not None and ctx.settings.admin_token is None:
        raise Problem(
            403,
            "admin_disabled",
            "the admin token is disabled: start the server "
            "with STATION_INVENTORY_ADMIN_TOKEN set, or sign in as an admin user",
        )
    found = principal(ctx.db, request, ctx.settings.admin_token)
    if found is None:
        raise Problem(
            401,
            "missing_token",
            "admin endpoints need an admin's session (sign in at /login) "
            "or 'Authorization: Bearer TOKEN'",
        )
    if not found.is_admin:
        raise Problem(403, "admin_only", "this needs the admin role")
    cookie = request.cookies.get(COOKIE_NAME)
    if credentials is None and cookie and request.method not in ("GET", "HEAD"):
        # A session's change needs its CSRF token too: the cookie alone could be sent by
        # a page of another site.
        expected = csrf_token(ctx.db, cookie) or ""
        sent = request.headers.get("x-csrf-token", "")
        if not expected or not hmac.compare_digest(sent, expected):
            raise Problem(
                403,
                "csrf_token_missing",
                "a signed-in change needs the X-CSRF-Token header of the session "
                "(the csrf_token of its pages' forms)",
            )


Admin = Depends(require_admin)
