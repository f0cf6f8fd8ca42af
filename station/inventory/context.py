"""What every route needs, built once by `create_app` and reached through a dependency."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from station.inventory.database import Database
from station.inventory.ingest import Ingestor
from station.inventory.models import ProblemOut
from station.inventory.problems import Problem
from station.inventory.settings import Settings

# Documented on every route: the refusals all share the Problem shape.
PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": ProblemOut} for status in (400, 404, 413, 415, 422, 503)
}
ADMIN_PROBLEMS: dict[int | str, dict[str, Any]] = {
    **PROBLEMS,
    401: {"model": ProblemOut},
    403: {"model": ProblemOut},
}

_bearer = HTTPBearer(auto_error=False, description="the admin token of the server")


@dataclass
class Context:
    settings: Settings
    db: Database
    ingestor: Ingestor


def get_context(request: Request) -> Context:
    ctx: Context = request.app.state.station
    return ctx


Ctx = Annotated[Context, Depends(get_context)]


def require_admin(
    ctx: Ctx, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
) -> None:
    """A supervisor's call: the Bearer token must match the server's admin token."""
    expected = ctx.settings.admin_token
    if expected is None:
        raise Problem(
            403,
            "admin_disabled",
            "the admin API is disabled: start the server "
            "with STATION_INVENTORY_ADMIN_TOKEN set, or use `station-inventory bench`",
        )
    if credentials is None:
        raise Problem(401, "missing_token", "admin endpoints need 'Authorization: Bearer TOKEN'")
    if not hmac.compare_digest(credentials.credentials.encode(), expected.encode()):
        raise Problem(403, "bad_token", "the admin token is not the server's")


Admin = Depends(require_admin)
