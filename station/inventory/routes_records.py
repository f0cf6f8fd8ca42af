"""Ingest (one envelope, or a batch) and record lookups by record_id or envelope hash."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from station.inventory import queries
from station.inventory.access import Principal
from station.inventory.context import PROBLEMS, READ_PROBLEMS, Ctx, Reader
from station.inventory.http_input import read_json
from station.inventory.ingest import Outcome
from station.inventory.models import (
    BATCH_SCHEMA,
    ENVELOPE_SCHEMA,
    HEX64,
    BatchResult,
    IngestResult,
    ProblemOut,
    RecordOut,
)
from station.inventory.problems import Problem

router = APIRouter(prefix="/v1", tags=["records"])
INGEST_PROBLEMS = {**PROBLEMS, 403: {"model": ProblemOut}, 409: {"model": ProblemOut}}


def _result(outcome: Outcome) -> IngestResult:
    return IngestResult(
        status="stored" if outcome.stored else "duplicate",
        record_id=outcome.record_id,
        bench_id=outcome.bench_id,
        seq=outcome.seq,
        envelope_digest=outcome.envelope_digest,
    )


@router.post(
    "/records",
    status_code=201,
    response_model=IngestResult,
    responses={
        **INGEST_PROBLEMS,
        200: {"model": IngestResult, "description": "already stored (idempotent retry)"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ENVELOPE_SCHEMA}},
        }
    },
    summary="Ingest one signed record",
)
async def post_record(
    request: Request,
    response: Response,
    ctx: Ctx,
    idempotency_key: Annotated[
        str | None, Header(pattern=HEX64, description="the record_id")
    ] = None,
) -> IngestResult:
    """Verify key, signature, schema and chain continuity, then store; a record already
    stored answers 200 with status `duplicate`, so retries never duplicate anything."""
    envelope = await read_json(request, ctx.settings.max_record_bytes)
    [outcome] = await run_in_threadpool(
        ctx.ingestor.ingest, [envelope], idempotency_key=idempotency_key
    )
    if not outcome.stored:
        response.status_code = 200
    return _result(outcome)


@router.post(
    "/records/batch",
    response_model=BatchResult,
    responses=INGEST_PROBLEMS,
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": BATCH_SCHEMA}}}
    },
    summary="Ingest envelopes in chain order, all or nothing",
)
async def post_batch(request: Request, ctx: Ctx) -> BatchResult:
    """One transaction: if any envelope is refused nothing is stored and the answer
    names it (`index`)."""
    data = await read_json(request, ctx.settings.max_batch_bytes)
    envelopes = data.get("envelopes") if isinstance(data, dict) else None
    if not isinstance(envelopes, list) or not envelopes or set(data) != {"envelopes"}:
        raise Problem(
            422, "bad_batch", 'a batch is {"envelopes": [envelope, ...]}', field="envelopes"
        )
    if len(envelopes) > ctx.settings.max_batch_records:
        raise Problem(
            413,
            "too_many",
            f"{len(envelopes)} envelopes; the limit per batch is {ctx.settings.max_batch_records}",
            limit=ctx.settings.max_batch_records,
        )
    outcomes = await run_in_threadpool(ctx.ingestor.ingest, envelopes, batch=True)
    stored = sum(1 for o in outcomes if o.stored)
    return BatchResult(
        stored=stored, duplicates=len(outcomes) - stored, results=[_result(o) for o in outcomes]
    )


@router.get(
    "/records/{record_id}",
    response_model=RecordOut,
    responses=READ_PROBLEMS,
    summary="A record by its record_id (a signed-in user, or the bench that signed it)",
)
def get_record(ctx: Ctx, who: Reader, record_id: Annotated[str, Path(pattern=HEX64)]) -> RecordOut:
    return _found(ctx, who, "record_id", record_id)


@router.get(
    "/envelopes/{envelope_digest}",
    response_model=RecordOut,
    responses=READ_PROBLEMS,
    summary="A record by the sha256 of its envelope (a signed-in user, or its bench)",
)
def get_by_digest(
    ctx: Ctx, who: Reader, envelope_digest: Annotated[str, Path(pattern=HEX64)]
) -> RecordOut:
    """A certificate names the envelope hash of its record: this says whether the
    inventory holds that exact signed record, and returns it (the public verification
    page of one certificate shows its facts without credentials)."""
    return _found(ctx, who, "envelope_digest", envelope_digest)


def _found(ctx: Ctx, who: Principal, column: str, value: str) -> RecordOut:
    found = queries.record_by(ctx.db, column, value)
    # A bench asking about another bench's record learns nothing, not even that it exists.
    if found is None or not who.may_read_bench(str(found["bench_id"])):
        raise Problem(404, "unknown_record", f"no record has {column} {value}")
    return RecordOut(**found)
