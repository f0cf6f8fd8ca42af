"""The key pool over HTTP: the supervisor imports and lists; benches reserve, assign, release.

Bench calls are signed envelopes (the bench's enrolled Ed25519 key, as for records), so a
bench can only reserve, assign or release for itself. Reservation answers are the only
place a full key leaves the server.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from station.domain.record import LicenceAssignment, parse_body
from station.errors import RecordError, SignatureError
from station.inventory import keypool
from station.inventory.benches import Bench, benches_by_key_ids
from station.inventory.context import ADMIN_PROBLEMS, PROBLEMS, Admin, Ctx
from station.inventory.database import Database
from station.inventory.http_input import read_json
from station.inventory.models import ENVELOPE_SCHEMA, ProblemOut
from station.inventory.problems import Problem
from station.inventory.verify import key_ids_of, signing_bench
from station.journal.envelope import open_envelope

router = APIRouter(prefix="/v1", tags=["keys"])
SIGNED_PROBLEMS = {**PROBLEMS, 403: {"model": ProblemOut}, 409: {"model": ProblemOut}}
FRESH = timedelta(minutes=15)
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


def _signed_body(db: Database, envelope: Any) -> tuple[Bench, dict[str, Any]]:
    """The approved bench that signed `envelope`, and the body it signed (or a 4xx)."""
    if not isinstance(envelope, dict):
        raise Problem(422, "malformed_envelope", "send one signed envelope (a JSON object)")
    try:
        wanted = key_ids_of(envelope)
    except (TypeError, AttributeError, KeyError) as exc:
        raise Problem(422, "malformed_envelope", "the envelope has no signatures") from exc
    if not wanted:
        raise Problem(422, "malformed_envelope", "the envelope has no signatures")
    with db.transaction() as tx:
        benches = {b.key_id: b for b in benches_by_key_ids(tx, wanted)}
    bench = signing_bench(envelope, benches)
    try:
        body = open_envelope(
            envelope, {bench.key_id: Ed25519PublicKey.from_public_bytes(bench.raw_key)}
        )
    except SignatureError as exc:
        raise Problem(403, "bad_signature", exc.one_line()) from exc
    if body.get("bench_id") != bench.bench_id:
        raise Problem(403, "wrong_bench", "the body names another bench than its signer")
    return bench, body


def _fresh(moment: datetime) -> None:
    now = datetime.now(UTC)
    if moment.tzinfo is None or abs(now - moment) > FRESH:
        raise Problem(422, "stale_request", "created_at must be a UTC time within 15 minutes")


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
    raw = await request.body()
    if len(raw) > 8 * 1024 * 1024:
        raise Problem(413, "too_large", "the CSV is over 8 MiB", limit=8 * 1024 * 1024)
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
    bench, body = await run_in_threadpool(_signed_body, ctx.db, envelope)
    wanted: ReservationIn = _model(ReservationIn, body)
    _fresh(wanted.created_at)
    keys = await run_in_threadpool(
        keypool.reserve,
        ctx.db,
        bench.bench_id,
        pool=wanted.pool,
        product=wanted.product,
        count=wanted.count,
    )
    return ReservationOut(
        pool=wanted.pool,
        product=wanted.product,
        keys=[ReservedKey(key_sha256=d, product_key=k) for d, k in keys],
    )


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
    bench, body = await run_in_threadpool(_signed_body, ctx.db, envelope)
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
    bench, body = await run_in_threadpool(_signed_body, ctx.db, envelope)
    wanted: ReleaseIn = _model(ReleaseIn, body)
    _fresh(wanted.created_at)
    count = await run_in_threadpool(
        keypool.release,
        ctx.db,
        wanted.keys,
        bench_id=bench.bench_id,
        quarantine=wanted.action == "quarantine",
    )
    return DoneOut(status="released", count=count)
