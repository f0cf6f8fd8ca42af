"""The netbooted laptops' side of a classroom session: join it, then ask where they stand.

`POST /v1/classroom/join` is public like the benches' enrolment: its body is an envelope
signed by the key it presents (proof of possession), with the laptop's machine identity.
`GET /v1/classroom/laptops/{bench_id}` is the laptop's own signed read: pending,
approved, refused or expired, in French words too (its screen shows them).
"""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Annotated, Any, Literal

import yaml
from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from station.inventory import classroom
from station.inventory.context import PROBLEMS, READ_PROBLEMS, Ctx, Reader
from station.inventory.http_input import read_json
from station.inventory.models import SelfSignedIn
from station.inventory.problems import Problem
from station.inventory.signed import self_signed_request

router = APIRouter(prefix="/v1/classroom", tags=["classroom"])
CLASSROOM_BENCH_FILE = "banc-salle.yaml"


class JoinIn(SelfSignedIn):
    """A netbooted laptop's join (station.journal.signed_requests.signed_join)."""

    kind: Literal["classroom_join"]
    machine_serial: str | None = None
    machine_uuid: str | None = None
    hostname: str | None = None


class LaptopOut(BaseModel):
    bench_id: str
    session_id: str
    status: str
    status_fr: str = Field(description="the status as the laptop's screen says it")
    image: str | None = None
    status_url: str | None = Field(
        default=None, description="the classroom server's status board for `--status-url`"
    )
    bench_profile: dict[str, Any] | None = Field(
        default=None,
        description="once approved: the session's bench profile (ROOT/banc-salle.yaml)",
    )


def _out(ctx: Ctx, laptop: classroom.Laptop, image: str | None) -> LaptopOut:
    server = ctx.classroom.server if ctx.classroom is not None else None
    return LaptopOut(
        bench_id=laptop.bench_id,
        session_id=laptop.session_id,
        status=laptop.status,
        status_fr=classroom.STATUS_WORDS[laptop.status],
        image=image,
        status_url=server.url if server is not None else None,
        bench_profile=_bench_profile(server.root) if server and laptop.status == "approved"
        else None,
    )  # fmt: skip


def _bench_profile(root: FsPath) -> dict[str, Any] | None:
    """The workshop's bench profile for classroom laptops, if the served folder has one."""
    path = root / CLASSROOM_BENCH_FILE
    if not path.is_file():
        return None
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else None


@router.post(
    "/join",
    status_code=201,
    response_model=LaptopOut,
    responses={**PROBLEMS, 403: PROBLEMS[400], 409: PROBLEMS[400]},
    summary="A netbooted laptop asks to join the open session (waits for approval)",
)
async def join(request: Request, response: Response, ctx: Ctx) -> LaptopOut:
    envelope: Any = await read_json(request, 16 * 1024)
    wanted = self_signed_request(envelope, JoinIn, "bad_join")
    laptop, session = await run_in_threadpool(
        classroom.join, ctx.db, wanted.public_key, wanted.machine_serial,
        wanted.machine_uuid, wanted.hostname,
    )  # fmt: skip
    if laptop.status != "pending":
        response.status_code = 200
    return _out(ctx, laptop, session.image)


@router.get(
    "/laptops/{bench_id}",
    response_model=LaptopOut,
    responses=READ_PROBLEMS,
    summary="Where a laptop stands in the session (that laptop's signed read, or people)",
)
def laptop_status(
    ctx: Ctx, who: Reader, bench_id: Annotated[str, Path(max_length=64)]
) -> LaptopOut:
    who.require_bench(bench_id)
    found = classroom.laptop(ctx.db, bench_id)
    if found is None:
        raise Problem(404, "unknown_laptop", f"aucun portable {bench_id!r} dans la salle")
    session = classroom.open_session_now(ctx.db)
    image = session.image if session and session.session_id == found.session_id else None
    return _out(ctx, found, image)
