"""The key pool over HTTP: the supervisor imports and lists; benches reserve, assign, release.

Bench calls are signed envelopes (the bench's enrolled Ed25519 key, as for records), so a
bench can only reserve, assign or release for itself. Reservation answers are the only
place a full key leaves the server.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from station.domain.record import LicenceAssignment, parse_body
from station.errors import RecordError
from station.inventory import keypool
from station.inventory.context import ADMIN_PROBLEMS, PROBLEMS, Admin, Ctx
from station.inventory.database import Tx
from station.inventory.http_input import read_json, read_limited
from station.inventory.models import ENVELOPE_SCHEMA, ProblemOut
from station.inventory.problems import Problem
from station.inventory.signed import fresh, signed_body

router = APIRouter(prefix="/v1", tags=["keys"])
SIGNED_PROBLEMS = {**PROBLEMS, 403: {"model": ProblemOut}, 409: {"model": ProblemOut}}
CSV_LIMIT = 8 * 1024 * 1024  # a pool of 100,000 keys is 3 MiB
NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
CSV_BODY = {"requestBody": {"required": True, "content": {"text/csv": {
    "schema": {"type": "string"}}}}}  # fmt: skip
SIGNED_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": ENVELOPE_SCHEMA}}}}  # fmt: skip


class ImportOut(BaseModel):
    imported: int
    already_known: int
    invalid_lines: list[int]


class KeyOut(BaseModel):
    key_sha256: str
    product: str
    status: str
    bench_id: str | None


class ReservedKey(BaseModel):
    key_sha256: str
    product_key: str


class ReservationOut(BaseModel):
    pool: str
    product: str
    keys: list[ReservedKey]


class ReservationIn(BaseModel):
    kind: Literal["key_reservation"]
    bench_id: str = Field(pattern=NAME)
    pool: str = Field(pattern=NAME)
    product: str = Field(pattern=NAME)
    count: int = Field(ge=1, le=500)
    created_at: datetime
    record_id: str


class ReleaseIn(BaseModel):
    kind: Literal["key_release"]
    bench_id: str = Field(pattern=NAME)
    keys: list[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]] = Field(min_length=1)
    action: Literal["return", "quarantine"]
    created_at: datetime
    record_id: str


class DoneOut(BaseModel):
    status: Literal["stored", "duplicate", "released"]
    count: int = 1


def _model(model: type[BaseModel], body: dict[str, Any]) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise Problem(422, "bad_request", f"{field}: {first['msg']}", field=field) from exc


@router.post(
    "/admin/keys/import",
    response_model=ImportOut,
    responses=ADMIN_PROBLEMS,
    dependencies=[Admin],
    tags=["admin"],
    openapi_extra=CSV_BODY,
    summary="Import refurbisher keys from CSV (a 'product_key' column, optional 'product')",
)
async def import_keys(
    request: Request,
    ctx: Ctx,
    pool: Annotated[str, Query(pattern=NAME)],
    product: Annotated[str, Query(pattern=NAME)],
) -> ImportOut:
    if request.headers.get("content-type", "").split(";")[0].strip() != "text/csv":
        raise Problem(415, "unsupported_media_type", "send the keys as text/csv")
    raw = await read_limited(request, CSV_LIMIT)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Problem(400, "bad_csv", "the CSV is not UTF-8") from exc
    result = await run_in_threadpool(keypool.import_keys, ctx.db, text, pool=pool, product=product)
    return ImportOut(**result.__dict__)


@router.get(
    "/admin/keys",
    response_model=list[KeyOut],
    responses=ADMIN_PROBLEMS,
    dependencies=[Admin],
    tags=["admin"],
    summary="Every key of the pool by its sha256, with its status (never the key itself)",
)
def list_keys(ctx: Ctx, pool: Annotated[str | None, Query(pattern=NAME)] = None) -> list[KeyOut]:
    rows = keypool.summary(ctx.db, pool)
    return [KeyOut(key_sha256=a, product=b, status=c, bench_id=d) for a, b, c, d in rows]


@router.post(
    "/keys/reserve",
    response_model=ReservationOut,
    responses=SIGNED_PROBLEMS,
    openapi_extra=SIGNED_BODY,
    summary="A bench reserves keys to use offline (signed by the bench)",
)
async def reserve(request: Request, ctx: Ctx) -> ReservationOut:
    envelope = await read_json(request, 64 * 1024)
    bench, body = await run_in_threadpool(signed_body, ctx.db, envelope)
    wanted: ReservationIn = _model(ReservationIn, body)
    fresh(wanted.created_at)

    def answer(tx: Tx) -> str:
        keys = keypool.reserve_tx(
            tx, bench.bench_id, pool=wanted.pool, product=wanted.product, count=wanted.count
        )
        return ReservationOut(
            pool=wanted.pool,
            product=wanted.product,
            keys=[ReservedKey(key_sha256=d, product_key=k) for d, k in keys],
        ).model_dump_json()

    # A replayed request gets its first answer back, never new keys.
    text, _ = await run_in_threadpool(
        keypool.once, ctx.db, wanted.record_id, bench.bench_id, answer
    )
    return ReservationOut.model_validate_json(text)


@router.post(
    "/keys/assignments",
    response_model=DoneOut,
    status_code=201,
    responses={**SIGNED_PROBLEMS, 200: {"model": DoneOut, "description": "already recorded"}},
    openapi_extra=SIGNED_BODY,
    summary="The signed licence_assignment record of a key: a key is assigned once, ever",
)
async def assign(request: Request, response: Response, ctx: Ctx) -> DoneOut:
    envelope = await read_json(request, 64 * 1024)
    bench, body = await run_in_threadpool(signed_body, ctx.db, envelope)
    try:
        record = parse_body(body, sealed=True)
    except RecordError as exc:
        raise Problem(422, "bad_record", exc.one_line()) from exc
    if not isinstance(record, LicenceAssignment) or record.source != "key_pool":
        raise Problem(422, "bad_record", "expected a licence_assignment record from a key pool")
    host = record.host
    device = host.uuid or host.serial or host.asset_tag
    if not device:
        raise Problem(422, "bad_record", "the record names no device (uuid, serial, asset tag)")
    new = await run_in_threadpool(
        keypool.assign,
        ctx.db,
        record.licence_sha256,
        bench_id=bench.bench_id,
        device_id=device,
        record_id=str(record.record_id),
    )
    if not new:
        response.status_code = 200
    return DoneOut(status="stored" if new else "duplicate")


@router.post(
    "/keys/release",
    response_model=DoneOut,
    responses=SIGNED_PROBLEMS,
    openapi_extra=SIGNED_BODY,
    summary="A bench gives back unused keys, or quarantines keys of a failed deploy",
)
async def release(request: Request, ctx: Ctx) -> DoneOut:
    envelope = await read_json(request, 256 * 1024)
    bench, body = await run_in_threadpool(signed_body, ctx.db, envelope)
    wanted: ReleaseIn = _model(ReleaseIn, body)
    fresh(wanted.created_at)

    def answer(tx: Tx) -> str:
        count = keypool.release_tx(
            tx, wanted.keys, bench_id=bench.bench_id, quarantine=wanted.action == "quarantine"
        )
        return DoneOut(status="released", count=count).model_dump_json()

    text, _ = await run_in_threadpool(
        keypool.once, ctx.db, wanted.record_id, bench.bench_id, answer
    )
    return DoneOut.model_validate_json(text)
