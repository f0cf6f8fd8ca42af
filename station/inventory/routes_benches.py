"""Bench enrolment, the supervisor's admin calls, a bench's daily log and chain export."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from station.inventory import benches, queries
from station.inventory.benches import BENCH_ID_PATTERN, Bench
from station.inventory.context import ADMIN_PROBLEMS, PROBLEMS, READ_PROBLEMS, Admin, Ctx, Reader
from station.inventory.database import Database
from station.inventory.http_input import read_json
from station.inventory.models import (
    ENVELOPE_SCHEMA,
    BenchOut,
    ChainExport,
    DailyLog,
    EnrolmentIn,
    RecordOut,
)
from station.inventory.problems import Problem
from station.inventory.signed import self_signed_request

router = APIRouter(prefix="/v1", tags=["benches"])
BenchId = Annotated[str, Path(pattern=BENCH_ID_PATTERN)]


def bench_out(db: Database, bench: Bench) -> BenchOut:
    return BenchOut(
        bench_id=bench.bench_id,
        name=bench.name,
        key_id=bench.key_id,
        public_key=bench.public_key,
        status=bench.status,
        enrolled_at=bench.enrolled_at,
        decided_at=bench.decided_at,
        last_seq=queries.chain_head(db, bench.bench_id),
    )


def _known(db: Database, bench_id: str) -> Bench:
    bench = benches.get_bench(db, bench_id)
    if bench is None:
        raise Problem(404, "unknown_bench", f"no bench {bench_id!r} is enrolled")
    return bench


@router.post(
    "/benches",
    status_code=201,
    response_model=BenchOut,
    responses={
        **PROBLEMS,
        409: {"model": PROBLEMS[400]["model"]},
        200: {"model": BenchOut, "description": "already enrolled"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ENVELOPE_SCHEMA}},
        }
    },
    summary="A bench presents its public key, signed by it (waits for approval)",
)
async def enrol(request: Request, response: Response, ctx: Ctx) -> BenchOut:
    """The body is an envelope signed by the key it presents (`station enrol` makes it):
    nobody can enrol a key they do not hold, so nobody can squat another bench's key."""
    envelope = await read_json(request, 16 * 1024)
    wanted = self_signed_request(envelope, EnrolmentIn, "bad_enrolment")
    bench, created = await run_in_threadpool(
        benches.enrol, ctx.db, wanted.bench_id, wanted.name, wanted.public_key
    )
    if not created:
        response.status_code = 200
    return await run_in_threadpool(bench_out, ctx.db, bench)


@router.get(
    "/benches/{bench_id}",
    response_model=BenchOut,
    responses=READ_PROBLEMS,
    summary="A bench's key, approval status and chain head (users, or that bench)",
)
def get_bench(ctx: Ctx, who: Reader, bench_id: BenchId) -> BenchOut:
    who.require_bench(bench_id)
    return bench_out(ctx.db, _known(ctx.db, bench_id))


@router.get(
    "/admin/benches",
    response_model=list[BenchOut],
    responses=ADMIN_PROBLEMS,
    dependencies=[Admin],
    tags=["admin"],
    summary="Every enrolled bench",
)
def list_benches(ctx: Ctx) -> list[BenchOut]:
    return [bench_out(ctx.db, bench) for bench in benches.list_benches(ctx.db)]


@router.post(
    "/admin/benches/{bench_id}/approve",
    response_model=BenchOut,
    responses=ADMIN_PROBLEMS,
    dependencies=[Admin],
    tags=["admin"],
    summary="Approve a bench's key: its records are accepted from now on",
)
def approve(ctx: Ctx, bench_id: BenchId) -> BenchOut:
    return bench_out(ctx.db, benches.decide(ctx.db, bench_id, "approved"))


@router.post(
    "/admin/benches/{bench_id}/revoke",
    response_model=BenchOut,
    responses=ADMIN_PROBLEMS,
    dependencies=[Admin],
    tags=["admin"],
    summary="Revoke a bench's key: its records are refused from now on",
)
def revoke(ctx: Ctx, bench_id: BenchId) -> BenchOut:
    return bench_out(ctx.db, benches.decide(ctx.db, bench_id, "revoked"))


@router.get(
    "/benches/{bench_id}/log",
    response_model=DailyLog,
    responses=READ_PROBLEMS,
    summary="A bench's records of one day, in chain order (users, or that bench)",
)
def daily_log(
    ctx: Ctx,
    who: Reader,
    bench_id: BenchId,
    day: Annotated[date, Query(alias="date", description="YYYY-MM-DD")],
    tz: Annotated[str, Query(max_length=64, description="IANA zone, e.g. Europe/Paris")] = "UTC",
) -> DailyLog:
    who.require_bench(bench_id)
    _known(ctx.db, bench_id)
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Problem(422, "bad_timezone", f"unknown time zone {tz!r}", field="tz") from exc
    records = queries.daily_log(ctx.db, bench_id, day, zone)
    return DailyLog(
        bench_id=bench_id,
        date=day.isoformat(),
        timezone=tz,
        records=[RecordOut(**r) for r in records],
    )


@router.get(
    "/benches/{bench_id}/chain",
    response_model=ChainExport,
    responses=READ_PROBLEMS,
    summary="Export a bench's chain (envelopes in seq order) for offline verification",
)
def export_chain(
    ctx: Ctx,
    who: Reader,
    bench_id: BenchId,
    after_seq: Annotated[int, Query(ge=0, le=2**53)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 10_000,
) -> ChainExport:
    who.require_bench(bench_id)
    bench = _known(ctx.db, bench_id)
    return ChainExport(
        bench_id=bench_id,
        key_id=bench.key_id,
        public_key=bench.public_key,
        public_key_pem=bench.public_key_pem(),
        after_seq=after_seq,
        envelopes=queries.chain_envelopes(ctx.db, bench_id, after_seq, limit),
    )
